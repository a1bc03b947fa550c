#pragma once
// Every scalar formula of the engine, written once: the pointwise ops (one struct each, named in
// ops/OpList.h) and the element updates of the fused optimizers. Each backend instantiates them in its
// own loops: the CPU (engine/backend/cpu), CUDA (engine/backend/cuda, compiled by nvcc) and any later
// one. So a formula cannot drift between devices, and an edge case fixed here is fixed everywhere.
//
// Rules for a formula: a struct with the op's scalar parameters (`p0`, `p1` for unary ops, `p0` for
// binary ones, as the kernel slot passes them) and a NEURA_HOST_DEVICE call operator templated on the
// element type T (float, double, std::int64_t). Math goes through `fm::` (std:: on the host, CUDA's
// overloads on the device); anything transcendental runs in `Real<T>` (double for integers). Compare a
// value with a double parameter in double, never by converting the parameter to T first: an integer
// T cannot hold ±inf (the bound a one-sided clamp leaves open).
// No engine types here (no Tensor): nvcc compiles this header.
#include <cmath>
#include <cstdint>
#include <type_traits>

#include "ops/KernelParams.h"

#if defined(__CUDACC__)
#define NEURA_HOST_DEVICE __host__ __device__ __forceinline__
#else
#define NEURA_HOST_DEVICE inline
#endif

namespace neura::formula {

// The type a formula computes transcendental functions in: T itself, or double for integers.
template <class T>
using Real = std::conditional_t<std::is_integral_v<T>, double, T>;

namespace fm {
#if defined(__CUDA_ARCH__)
using ::erf;
using ::exp;
using ::log;
using ::log1p;
using ::pow;
using ::sqrt;
using ::sin;
using ::cos;
using ::tanh;
#else
using std::erf;
using std::exp;
using std::log;
using std::log1p;
using std::pow;
using std::sqrt;
using std::sin;
using std::cos;
using std::tanh;
#endif
}  // namespace fm

inline constexpr double kSqrt1_2 = 0.70710678118654752440;     // 1 / sqrt(2)
inline constexpr double k2_SqrtPi = 1.12837916709551257390;    // 2 / sqrt(pi)

// ---------------------------------------------------------------------------------------- unary
// A unary formula: out = f(x; p0, p1).
#define NEURA_UNARY_FORMULA(Name, expr)                     \
    struct Name {                                           \
        double p0 = 0, p1 = 0;                              \
        template <class T>                                  \
        NEURA_HOST_DEVICE T operator()(T x) const {         \
            using R = Real<T>;                              \
            [[maybe_unused]] const R r = static_cast<R>(x); \
            return static_cast<T>(expr);                    \
        }                                                   \
    }

NEURA_UNARY_FORMULA(Neg, -x);
NEURA_UNARY_FORMULA(Exp, fm::exp(r));
NEURA_UNARY_FORMULA(Log, fm::log(r));
NEURA_UNARY_FORMULA(Sqrt, fm::sqrt(r));
// sign(NaN) = 0, as PyTorch.
NEURA_UNARY_FORMULA(Sign, (x > T(0)) - (x < T(0)));
NEURA_UNARY_FORMULA(Abs, x < T(0) ? -x : x);
NEURA_UNARY_FORMULA(Sin, fm::sin(r));
NEURA_UNARY_FORMULA(Cos, fm::cos(r));
NEURA_UNARY_FORMULA(Erf, fm::erf(r));
// min(max(x, lo), hi) as PyTorch: with lo > hi every element becomes hi; NaN stays NaN. An open bound
// is ±inf and is compared in double, so it never reaches T (an integer T cannot hold it); a bound that
// applies is finite here (the op refuses other integer bounds).
struct Clamp {
    double p0 = 0, p1 = 0;  // lo, hi (±inf when not given)
    template <class T>
    NEURA_HOST_DEVICE T operator()(T x) const {
        const double d = static_cast<double>(x);
        if (d > p1 || (p0 > d && p0 > p1)) return static_cast<T>(p1);
        if (d < p0) return static_cast<T>(p0);
        return x;
    }
};
// relu(NaN) = NaN, as PyTorch (clamp_min(x, 0)).
NEURA_UNARY_FORMULA(Relu, x < T(0) ? T(0) : x);
NEURA_UNARY_FORMULA(LeakyRelu, x > T(0) ? x : static_cast<T>(static_cast<double>(x) * p0));
struct Sigmoid {
    double p0 = 0, p1 = 0;
    template <class T>
    NEURA_HOST_DEVICE T operator()(T x) const {
        using R = Real<T>;
        const R r = static_cast<R>(x);
        if (r >= R(0)) return static_cast<T>(R(1) / (R(1) + fm::exp(-r)));
        const R e = fm::exp(r);  // never overflows for r < 0
        return static_cast<T>(e / (R(1) + e));
    }
};
NEURA_UNARY_FORMULA(Tanh, fm::tanh(r));
// The exact (erf) GELU, computed in double as PyTorch's reference.
NEURA_UNARY_FORMULA(Gelu, 0.5 * static_cast<double>(x) * (1.0 + fm::erf(static_cast<double>(x) * kSqrt1_2)));
NEURA_UNARY_FORMULA(PowScalar, fm::pow(static_cast<double>(x), p0));

// ---------------------------------------------------------------------------------------- binary
// A binary formula: out = f(a, b; p0), out of the operands' type (comparisons: 0 or 1 in std::int64_t).
#define NEURA_BINARY_FORMULA(Name, expr)               \
    struct Name {                                      \
        double p0 = 0;                                 \
        template <class T>                             \
        NEURA_HOST_DEVICE auto operator()(T a, T b) const { \
            return expr;                               \
        }                                              \
    }

NEURA_BINARY_FORMULA(Add, static_cast<T>(a + static_cast<T>(p0) * b));
NEURA_BINARY_FORMULA(Mul, static_cast<T>(a * b));
// Integer division is never reached through div() (it promotes to float); 0 guards the kernel itself.
NEURA_BINARY_FORMULA(Div, std::is_integral_v<T> && b == T(0) ? T(0) : static_cast<T>(a / b));
NEURA_BINARY_FORMULA(Pow, static_cast<T>(fm::pow(static_cast<Real<T>>(a), static_cast<Real<T>>(b))));
// NaN wins, as PyTorch's maximum/minimum.
NEURA_BINARY_FORMULA(Maximum, (a != a || a > b) ? a : b);
NEURA_BINARY_FORMULA(Minimum, (a != a || a < b) ? a : b);
// relu's backward (PyTorch's threshold_backward): the gradient a where the relu's result b is not
// <= 0 (so a NaN result passes the gradient, as PyTorch), else 0.
NEURA_BINARY_FORMULA(ReluBackward, b <= T(0) ? T(0) : a);
NEURA_BINARY_FORMULA(Eq, static_cast<std::int64_t>(a == b));
NEURA_BINARY_FORMULA(Ne, static_cast<std::int64_t>(a != b));
NEURA_BINARY_FORMULA(Gt, static_cast<std::int64_t>(a > b));
NEURA_BINARY_FORMULA(Ge, static_cast<std::int64_t>(a >= b));
NEURA_BINARY_FORMULA(Lt, static_cast<std::int64_t>(a < b));
NEURA_BINARY_FORMULA(Le, static_cast<std::int64_t>(a <= b));

#undef NEURA_UNARY_FORMULA
#undef NEURA_BINARY_FORMULA

// ---------------------------------------------------------------------------------------- optimizers
// One element of a fused update, in place. Buffers the options leave unused are null. The constants
// (lr, betas, ...) are converted to T once per tensor by the Consts constructors.

// torch.optim.SGD (PyTorch 1.13, _single_tensor_sgd):
//   d = ±g + weight_decay * p; buf = d on the first step, else momentum * buf + (1 - dampening) * d
//   d = nesterov ? d + momentum * buf : buf;  p -= lr * d
template <class T>
struct SgdStep {
    SgdStepParams o;
    T lr, wd, mom, keep, sign;
    NEURA_HOST_DEVICE explicit SgdStep(const SgdStepParams& k)
        : o(k), lr(T(k.lr)), wd(T(k.weight_decay)), mom(T(k.momentum)), keep(T(1.0 - k.dampening)),
          sign(k.maximize ? T(-1) : T(1)) {}
    NEURA_HOST_DEVICE void operator()(T& p, T g, T* buf) const {
        T d = sign * g;
        if (o.weight_decay != 0.0) d += wd * p;
        if (buf) {
            *buf = o.first ? d : *buf * mom + keep * d;
            d = o.nesterov ? d + mom * *buf : *buf;
        }
        p -= lr * d;
    }
};

// torch.optim.Adam and AdamW (PyTorch 1.13, _single_tensor_adam / _single_tensor_adamw):
//   g = ±grad (+ weight_decay * p for Adam; AdamW instead does p *= 1 - lr * weight_decay first)
//   m = beta1 m + (1 - beta1) g;  v = beta2 v + (1 - beta2) g^2;  amsgrad: vmax = max(vmax, v)
//   p -= lr / (1 - beta1^t) * m / (sqrt(v or vmax) / sqrt(1 - beta2^t) + eps)
template <class T>
struct AdamStep {
    AdamStepParams k;
    T b1, b2, one_b1, one_b2, wd, decay, eps, step_size, bc2, sign;
    NEURA_HOST_DEVICE explicit AdamStep(const AdamStepParams& p)
        : k(p), b1(T(p.beta1)), b2(T(p.beta2)), one_b1(T(1.0 - p.beta1)), one_b2(T(1.0 - p.beta2)),
          wd(T(p.weight_decay)), decay(T(1.0 - p.lr * p.weight_decay)), eps(T(p.eps)), step_size(T(p.step_size)),
          bc2(T(p.bc2_sqrt)), sign(p.maximize ? T(-1) : T(1)) {}
    NEURA_HOST_DEVICE void operator()(T& p, T grad, T& m, T& v, T* vmax) const {
        T g = sign * grad;
        if (k.decoupled) p *= decay;
        else if (k.weight_decay != 0.0) g += wd * p;
        m = m * b1 + one_b1 * g;
        v = v * b2 + one_b2 * (g * g);
        T second = v;
        if (vmax) {
            *vmax = Maximum{}(*vmax, v);  // NaN propagates, as torch.maximum
            second = *vmax;
        }
        const T denom = fm::sqrt(second) / bc2 + eps;
        p += -step_size * (m / denom);
    }
};

// torch.optim.RMSprop (PyTorch 1.13, _single_tensor_rmsprop):
//   g = ±grad + weight_decay * p; sq = alpha sq + (1 - alpha) g^2
//   avg = sqrt(sq - ga^2) (centered, ga = alpha ga + (1 - alpha) g) or sqrt(sq); avg += eps
//   momentum: buf = momentum buf + g / avg, p -= lr buf; else p -= lr g / avg
template <class T>
struct RmspropStep {
    RmspropStepParams o;
    T lr, alpha, one_alpha, eps, wd, mom, sign;
    NEURA_HOST_DEVICE explicit RmspropStep(const RmspropStepParams& k)
        : o(k), lr(T(k.lr)), alpha(T(k.alpha)), one_alpha(T(1.0 - k.alpha)), eps(T(k.eps)), wd(T(k.weight_decay)),
          mom(T(k.momentum)), sign(k.maximize ? T(-1) : T(1)) {}
    NEURA_HOST_DEVICE void operator()(T& p, T grad, T& sq, T* buf, T* ga) const {
        T g = sign * grad;
        if (o.weight_decay != 0.0) g += wd * p;
        sq = sq * alpha + one_alpha * (g * g);
        T avg;
        if (ga) {
            *ga = *ga * alpha + one_alpha * g;
            avg = fm::sqrt(sq - *ga * *ga);
        } else {
            avg = fm::sqrt(sq);
        }
        avg += eps;
        if (buf) {
            *buf = *buf * mom + g / avg;
            p -= lr * *buf;
        } else {
            p += -lr * (g / avg);
        }
    }
};

}  // namespace neura::formula
