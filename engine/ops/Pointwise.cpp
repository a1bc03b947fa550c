// Pointwise ops. Each op's scalar functor, kernel slot, shape rule and backward formula sit together.
#include <cmath>
#include <limits>

#include "backend/cpu/PointwiseKernels.h"
#include "ops/Internal.h"

namespace neura {

using autograd::FunctionNode;
using autograd::Grads;
using autograd::record;
using detail::to_floating;

namespace {

Tensor unary_forward(const Kernel<UnaryKernel>& k, const Tensor& x, double p0 = 0, double p1 = 0) {
    Tensor out = Tensor::empty(x.shape(), x.dtype(), x.device());
    k(x.device())(x, out, p0, p1);
    return out;
}

struct Operands {
    Tensor a, b;  // promoted to one dtype, not yet broadcast
    Shape shape;  // the broadcast shape
};

Operands promote(const Tensor& a, const Tensor& b, const char* op, bool floating) {
    NEURA_CHECK(a.defined() && b.defined(), op, ": undefined operand");
    NEURA_CHECK(a.device() == b.device(), op, ": operands on different devices (", a.device().str(), " and ",
                b.device().str(), ")");
    DType t = promote_types(a.dtype(), b.dtype());
    if (floating && !is_floating(t)) t = DType::F32;
    return {a.to(t), b.to(t), broadcast_shapes(a.shape(), b.shape(), op)};
}

Tensor binary_forward(const Kernel<BinaryKernel>& k, const Operands& o, double p0 = 0, DType out_dtype = DType::F32,
                      bool same_dtype_out = true) {
    Tensor out = Tensor::empty(o.shape, same_dtype_out ? o.a.dtype() : out_dtype, o.a.device());
    k(o.a.device())(detail::broadcast_view(o.a, o.shape), detail::broadcast_view(o.b, o.shape), out, p0);
    return out;
}

#define NEURA_UNARY_FUNCTOR(Name, expr)                                \
    struct Name {                                                      \
        double p0, p1;                                                 \
        template <class T>                                             \
        T operator()(T x) const {                                      \
            return static_cast<T>(expr);                               \
        }                                                              \
    }
#define NEURA_BINARY_FUNCTOR(Name, expr)                               \
    struct Name {                                                      \
        double p0;                                                     \
        template <class T>                                             \
        auto operator()(T a, T b) const {                              \
            return expr;                                               \
        }                                                              \
    }

template <class T>
T stable_sigmoid(T x) {
    if (x >= T(0)) return T(1) / (T(1) + std::exp(-x));
    const T e = std::exp(x);
    return e / (T(1) + e);
}

}  // namespace

Tensor scalar_like(double v, const Tensor& like) {
    // An integer tensor meets a fractional scalar in F32, as PyTorch promotes it.
    const DType t = like.dtype() == DType::I64 && v != std::floor(v) ? DType::F32 : like.dtype();
    return Tensor::full({}, v, t, like.device());  // filled on the device: no host-to-device copy
}

// ------------------------------------------------------------------------------- unary
NEURA_UNARY_FUNCTOR(NegF, -x);
static Kernel<UnaryKernel> kNeg{"neg", &cpu::unary<NegF>};
Tensor neg(const Tensor& x) {
    Tensor y = unary_forward(kNeg, x);
    if (auto n = record("NegBackward", {x}, {y})) n->backward = [](const FunctionNode&, const Grads& g) { return Grads{neg(g[0])}; };
    return y;
}

NEURA_UNARY_FUNCTOR(ExpF, std::exp(x));
static Kernel<UnaryKernel> kExp{"exp", &cpu::unary<ExpF>};
Tensor exp(const Tensor& x_in) {
    const Tensor x = to_floating(x_in);
    Tensor y = unary_forward(kExp, x);
    if (auto n = record("ExpBackward", {x}, {y})) {
        n->save(y);
        n->backward = [](const FunctionNode& s, const Grads& g) { return Grads{g[0] * s.saved(0)}; };
    }
    return y;
}

NEURA_UNARY_FUNCTOR(LogF, std::log(x));
static Kernel<UnaryKernel> kLog{"log", &cpu::unary<LogF>};
Tensor log(const Tensor& x_in) {
    const Tensor x = to_floating(x_in);
    Tensor y = unary_forward(kLog, x);
    if (auto n = record("LogBackward", {x}, {y})) {
        n->save(x);
        n->backward = [](const FunctionNode& s, const Grads& g) { return Grads{g[0] / s.saved(0)}; };
    }
    return y;
}

NEURA_UNARY_FUNCTOR(SqrtF, std::sqrt(x));
static Kernel<UnaryKernel> kSqrt{"sqrt", &cpu::unary<SqrtF>};
Tensor sqrt(const Tensor& x_in) {
    const Tensor x = to_floating(x_in);
    Tensor y = unary_forward(kSqrt, x);
    if (auto n = record("SqrtBackward", {x}, {y})) {
        n->save(y);
        // d sqrt(x) = 1 / (2 sqrt(x)): +inf at 0, as PyTorch.
        n->backward = [](const FunctionNode& s, const Grads& g) { return Grads{g[0] / (2.0 * s.saved(0))}; };
    }
    return y;
}

NEURA_UNARY_FUNCTOR(SignF, (x > T(0)) - (x < T(0)));
static Kernel<UnaryKernel> kSign{"sign", &cpu::unary<SignF>};
Tensor sign(const Tensor& x) {
    Tensor y = unary_forward(kSign, x);
    if (auto n = record("SignBackward", {x}, {y}))
        n->backward = [](const FunctionNode&, const Grads& g) { return Grads{Tensor::zeros_like(g[0])}; };
    return y;
}

NEURA_UNARY_FUNCTOR(AbsF, x < T(0) ? -x : x);
static Kernel<UnaryKernel> kAbs{"abs", &cpu::unary<AbsF>};
Tensor abs(const Tensor& x) {
    Tensor y = unary_forward(kAbs, x);
    if (auto n = record("AbsBackward", {x}, {y})) {
        n->save(x);
        // sign(0) = 0: the subgradient at 0 is 0, as PyTorch.
        n->backward = [](const FunctionNode& s, const Grads& g) { return Grads{g[0] * sign(s.saved(0))}; };
    }
    return y;
}

NEURA_UNARY_FUNCTOR(SinF, std::sin(x));
static Kernel<UnaryKernel> kSin{"sin", &cpu::unary<SinF>};
NEURA_UNARY_FUNCTOR(CosF, std::cos(x));
static Kernel<UnaryKernel> kCos{"cos", &cpu::unary<CosF>};
Tensor sin(const Tensor& x_in) {
    const Tensor x = to_floating(x_in);
    Tensor y = unary_forward(kSin, x);
    if (auto n = record("SinBackward", {x}, {y})) {
        n->save(x);
        n->backward = [](const FunctionNode& s, const Grads& g) { return Grads{g[0] * cos(s.saved(0))}; };
    }
    return y;
}
Tensor cos(const Tensor& x_in) {
    const Tensor x = to_floating(x_in);
    Tensor y = unary_forward(kCos, x);
    if (auto n = record("CosBackward", {x}, {y})) {
        n->save(x);
        n->backward = [](const FunctionNode& s, const Grads& g) { return Grads{-(g[0] * sin(s.saved(0)))}; };
    }
    return y;
}

NEURA_UNARY_FUNCTOR(ErfF, std::erf(x));
static Kernel<UnaryKernel> kErf{"erf", &cpu::unary<ErfF>};
Tensor erf(const Tensor& x_in) {
    const Tensor x = to_floating(x_in);
    Tensor y = unary_forward(kErf, x);
    if (auto n = record("ErfBackward", {x}, {y})) {
        n->save(x);
        n->backward = [](const FunctionNode& s, const Grads& g) {
            const Tensor xs = s.saved(0);
            return Grads{g[0] * (M_2_SQRTPI * exp(-(xs * xs)))};
        };
    }
    return y;
}

NEURA_UNARY_FUNCTOR(ClampF, x < T(p0) ? T(p0) : (x > T(p1) ? T(p1) : x));
static Kernel<UnaryKernel> kClamp{"clamp", &cpu::unary<ClampF>};
Tensor clamp(const Tensor& x, std::optional<double> min, std::optional<double> max) {
    NEURA_CHECK(min || max, "clamp: at least one of min and max must be given");
    const double lo = min.value_or(-std::numeric_limits<double>::infinity());
    const double hi = max.value_or(std::numeric_limits<double>::infinity());
    Tensor y = unary_forward(kClamp, x, lo, hi);
    if (auto n = record("ClampBackward", {x}, {y})) {
        n->save(x);
        // The gradient passes where lo <= x <= hi (bounds included), as PyTorch.
        n->backward = [lo, hi](const FunctionNode& s, const Grads& g) {
            const Tensor xs = s.saved(0);
            const Tensor inside = ge(xs, scalar_like(lo, xs)) * le(xs, scalar_like(hi, xs));
            return Grads{where(inside, g[0], Tensor::zeros_like(g[0]))};
        };
    }
    return y;
}

// relu's backward in one pass: the gradient where the result is positive, 0 elsewhere (PyTorch's
// threshold_backward). Its own gradient with respect to the incoming gradient is the same mask.
NEURA_BINARY_FUNCTOR(ReluBackwardF, b > T(0) ? a : T(0));
static Kernel<BinaryKernel> kReluBackward{"relu_backward", &cpu::binary<ReluBackwardF>};
static Tensor relu_backward(const Tensor& grad, const Tensor& result) {
    const Operands o = promote(grad, result, "relu_backward", false);
    Tensor y = binary_forward(kReluBackward, o);
    if (auto n = record("ReluBackwardBackward", {o.a}, {y})) {
        n->save(o.b);
        n->backward = [](const FunctionNode& s, const Grads& g) { return Grads{relu_backward(g[0], s.saved(0))}; };
    }
    return y;
}

NEURA_UNARY_FUNCTOR(ReluF, x > T(0) ? x : T(0));
static Kernel<UnaryKernel> kRelu{"relu", &cpu::unary<ReluF>};
Tensor relu(const Tensor& x) {
    Tensor y = unary_forward(kRelu, x);
    if (auto n = record("ReluBackward", {x}, {y})) {
        n->save(y);
        // Gradient 0 at x = 0, as PyTorch (threshold_backward on the result).
        n->backward = [](const FunctionNode& s, const Grads& g) { return Grads{relu_backward(g[0], s.saved(0))}; };
    }
    return y;
}

NEURA_UNARY_FUNCTOR(LeakyReluF, x > T(0) ? x : static_cast<T>(x * p0));
static Kernel<UnaryKernel> kLeakyRelu{"leaky_relu", &cpu::unary<LeakyReluF>};
Tensor leaky_relu(const Tensor& x_in, double slope) {
    const Tensor x = to_floating(x_in);
    Tensor y = unary_forward(kLeakyRelu, x, slope);
    if (auto n = record("LeakyReluBackward", {x}, {y})) {
        n->save(x);
        n->backward = [slope](const FunctionNode& s, const Grads& g) {
            const Tensor xs = s.saved(0);
            return Grads{where(gt(xs, scalar_like(0, xs)), g[0], g[0] * slope)};
        };
    }
    return y;
}

NEURA_UNARY_FUNCTOR(SigmoidF, stable_sigmoid(x));
static Kernel<UnaryKernel> kSigmoid{"sigmoid", &cpu::unary<SigmoidF>};
Tensor sigmoid(const Tensor& x_in) {
    const Tensor x = to_floating(x_in);
    Tensor y = unary_forward(kSigmoid, x);
    if (auto n = record("SigmoidBackward", {x}, {y})) {
        n->save(y);
        n->backward = [](const FunctionNode& s, const Grads& g) {
            const Tensor ys = s.saved(0);
            return Grads{g[0] * ys * (1.0 - ys)};
        };
    }
    return y;
}

NEURA_UNARY_FUNCTOR(TanhF, std::tanh(x));
static Kernel<UnaryKernel> kTanh{"tanh", &cpu::unary<TanhF>};
Tensor tanh(const Tensor& x_in) {
    const Tensor x = to_floating(x_in);
    Tensor y = unary_forward(kTanh, x);
    if (auto n = record("TanhBackward", {x}, {y})) {
        n->save(y);
        n->backward = [](const FunctionNode& s, const Grads& g) {
            const Tensor ys = s.saved(0);
            return Grads{g[0] * (1.0 - ys * ys)};
        };
    }
    return y;
}

NEURA_UNARY_FUNCTOR(GeluF, 0.5 * x * (1.0 + std::erf(x * M_SQRT1_2)));
static Kernel<UnaryKernel> kGelu{"gelu", &cpu::unary<GeluF>};
Tensor gelu(const Tensor& x_in) {
    const Tensor x = to_floating(x_in);
    Tensor y = unary_forward(kGelu, x);
    if (auto n = record("GeluBackward", {x}, {y})) {
        n->save(x);
        n->backward = [](const FunctionNode& s, const Grads& g) {
            const Tensor xs = s.saved(0);
            const Tensor cdf = 0.5 * (1.0 + erf(xs * M_SQRT1_2));
            const Tensor pdf = exp(-0.5 * xs * xs) * (0.5 * M_2_SQRTPI * M_SQRT1_2);
            return Grads{g[0] * (cdf + xs * pdf)};
        };
    }
    return y;
}

// ------------------------------------------------------------------------------- binary
NEURA_BINARY_FUNCTOR(AddF, static_cast<T>(a + static_cast<T>(p0) * b));
static Kernel<BinaryKernel> kAdd{"add", &cpu::binary<AddF>};
Tensor add(const Tensor& a, const Tensor& b, double alpha) {
    const Operands o = promote(a, b, "add", false);
    Tensor y = binary_forward(kAdd, o, alpha);
    if (auto n = record("AddBackward", {o.a, o.b}, {y})) {
        n->backward = [alpha, sa = o.a.shape(), sb = o.b.shape()](const FunctionNode& s, const Grads& g) {
            return Grads{s.needs(0) ? sum_to(g[0], sa) : Tensor(),
                         s.needs(1) ? sum_to(alpha == 1.0 ? g[0] : g[0] * alpha, sb) : Tensor()};
        };
    }
    return y;
}
Tensor sub(const Tensor& a, const Tensor& b, double alpha) { return add(a, b, -alpha); }

NEURA_BINARY_FUNCTOR(MulF, static_cast<T>(a * b));
static Kernel<BinaryKernel> kMul{"mul", &cpu::binary<MulF>};
Tensor mul(const Tensor& a, const Tensor& b) {
    const Operands o = promote(a, b, "mul", false);
    Tensor y = binary_forward(kMul, o);
    if (auto n = record("MulBackward", {o.a, o.b}, {y})) {
        n->save(n->needs(1) ? o.a : Tensor());
        n->save(n->needs(0) ? o.b : Tensor());
        n->backward = [sa = o.a.shape(), sb = o.b.shape()](const FunctionNode& s, const Grads& g) {
            return Grads{s.needs(0) ? sum_to(g[0] * s.saved(1), sa) : Tensor(),
                         s.needs(1) ? sum_to(g[0] * s.saved(0), sb) : Tensor()};
        };
    }
    return y;
}

NEURA_BINARY_FUNCTOR(DivF, static_cast<T>(a / b));
static Kernel<BinaryKernel> kDiv{"div", &cpu::binary<DivF>};
Tensor div(const Tensor& a, const Tensor& b) {
    const Operands o = promote(a, b, "div", true);
    Tensor y = binary_forward(kDiv, o);
    if (auto n = record("DivBackward", {o.a, o.b}, {y})) {
        n->save(n->needs(1) ? o.a : Tensor());
        n->save(o.b);
        n->backward = [sa = o.a.shape(), sb = o.b.shape()](const FunctionNode& s, const Grads& g) {
            const Tensor bs = s.saved(1);
            return Grads{s.needs(0) ? sum_to(g[0] / bs, sa) : Tensor(),
                         s.needs(1) ? sum_to(-(g[0] * s.saved(0)) / (bs * bs), sb) : Tensor()};
        };
    }
    return y;
}

NEURA_BINARY_FUNCTOR(PowF, static_cast<T>(std::pow(a, b)));
static Kernel<BinaryKernel> kPow{"pow", &cpu::binary<PowF>};
Tensor pow(const Tensor& a, const Tensor& b) {
    const Operands o = promote(a, b, "pow", false);
    Tensor y = binary_forward(kPow, o);
    if (auto n = record("PowBackward", {o.a, o.b}, {y})) {
        n->save(o.a);
        n->save(o.b);
        n->save(y);
        n->backward = [sa = o.a.shape(), sb = o.b.shape()](const FunctionNode& s, const Grads& g) {
            const Tensor base = s.saved(0), ex = s.saved(1);
            Tensor ga, gb;
            if (s.needs(0)) ga = sum_to(g[0] * ex * pow(base, ex - 1.0), sa);
            if (s.needs(1)) {
                // 0^b with b >= 0 has no log term (PyTorch masks it the same way).
                const Tensor zero_base = eq(base, scalar_like(0, base)) * ge(ex, scalar_like(0, ex));
                const Tensor term = s.saved(2) * log(base);
                gb = sum_to(g[0] * where(zero_base, Tensor::zeros_like(term), term), sb);
            }
            return Grads{ga, gb};
        };
    }
    return y;
}

NEURA_UNARY_FUNCTOR(PowScalarF, std::pow(x, p0));
static Kernel<UnaryKernel> kPowScalar{"pow_scalar", &cpu::unary<PowScalarF>};
Tensor pow(const Tensor& a_in, double exponent) {
    const Tensor a = exponent == std::floor(exponent) && exponent >= 0 ? a_in : to_floating(a_in);
    Tensor y = unary_forward(kPowScalar, a, exponent);
    if (auto n = record("PowBackward", {a}, {y})) {
        n->save(a);
        n->backward = [exponent](const FunctionNode& s, const Grads& g) {
            if (exponent == 0.0) return Grads{Tensor::zeros_like(g[0])};
            return Grads{g[0] * (exponent * pow(s.saved(0), exponent - 1.0))};
        };
    }
    return y;
}

namespace {
// Gradient split of maximum/minimum: all to the winner, half each on ties (PyTorch 1.13+).
Grads extremum_backward(const FunctionNode& s, const Grads& g, const Shape& sa, const Shape& sb, bool is_max) {
    const Tensor a = s.saved(0), b = s.saved(1);
    const Tensor zero = Tensor::zeros_like(g[0]);
    const Tensor half = g[0] * 0.5;
    const Tensor tie = eq(a, b);
    const Tensor a_wins = is_max ? gt(a, b) : lt(a, b);
    const Tensor b_wins = is_max ? gt(b, a) : lt(b, a);
    return Grads{s.needs(0) ? sum_to(where(a_wins, g[0], where(tie, half, zero)), sa) : Tensor(),
                 s.needs(1) ? sum_to(where(b_wins, g[0], where(tie, half, zero)), sb) : Tensor()};
}
}  // namespace

NEURA_BINARY_FUNCTOR(MaximumF, static_cast<T>((a != a || a > b) ? a : b));
static Kernel<BinaryKernel> kMaximum{"maximum", &cpu::binary<MaximumF>};
Tensor maximum(const Tensor& a, const Tensor& b) {
    const Operands o = promote(a, b, "maximum", false);
    Tensor y = binary_forward(kMaximum, o);
    if (auto n = record("MaximumBackward", {o.a, o.b}, {y})) {
        n->save(o.a);
        n->save(o.b);
        n->backward = [sa = o.a.shape(), sb = o.b.shape()](const FunctionNode& s, const Grads& g) {
            return extremum_backward(s, g, sa, sb, true);
        };
    }
    return y;
}

NEURA_BINARY_FUNCTOR(MinimumF, static_cast<T>((a != a || a < b) ? a : b));
static Kernel<BinaryKernel> kMinimum{"minimum", &cpu::binary<MinimumF>};
Tensor minimum(const Tensor& a, const Tensor& b) {
    const Operands o = promote(a, b, "minimum", false);
    Tensor y = binary_forward(kMinimum, o);
    if (auto n = record("MinimumBackward", {o.a, o.b}, {y})) {
        n->save(o.a);
        n->save(o.b);
        n->backward = [sa = o.a.shape(), sb = o.b.shape()](const FunctionNode& s, const Grads& g) {
            return extremum_backward(s, g, sa, sb, false);
        };
    }
    return y;
}

// ------------------------------------------------------------------------------- comparisons
#define NEURA_COMPARISON(fname, Functor, expr)                                            \
    NEURA_BINARY_FUNCTOR(Functor, static_cast<std::int64_t>(expr));                       \
    static Kernel<BinaryKernel> k_##fname{#fname, &cpu::binary<Functor, std::int64_t>};   \
    Tensor fname(const Tensor& a, const Tensor& b) {                                      \
        return binary_forward(k_##fname, promote(a, b, #fname, false), 0, DType::I64, false); \
    }
NEURA_COMPARISON(eq, EqF, a == b)
NEURA_COMPARISON(ne, NeF, a != b)
NEURA_COMPARISON(gt, GtF, a > b)
NEURA_COMPARISON(ge, GeF, a >= b)
NEURA_COMPARISON(lt, LtF, a < b)
NEURA_COMPARISON(le, LeF, a <= b)
#undef NEURA_COMPARISON

// ------------------------------------------------------------------------------- where
namespace {
void where_cpu(const Tensor& c, const Tensor& a, const Tensor& b, const Tensor& out) {
    visit_dtype(a.dtype(), [&](auto tag) {
        using T = decltype(tag);
        const std::int64_t* pc = c.data<std::int64_t>();
        const T* pa = a.data<T>();
        const T* pb = b.data<T>();
        T* po = out.data<T>();
        cpu::for_each_row<4>(out.shape(), {&out.strides(), &c.strides(), &a.strides(), &b.strides()},
                             [&](auto off, auto st, std::int64_t n) {
                                 for (std::int64_t i = 0; i < n; ++i)
                                     po[off[0] + i * st[0]] = pc[off[1] + i * st[1]] ? pa[off[2] + i * st[2]]
                                                                                      : pb[off[3] + i * st[3]];
                             });
    });
}
Kernel<WhereKernel> kWhere{"where", &where_cpu};
}  // namespace

Tensor where(const Tensor& condition, const Tensor& a, const Tensor& b) {
    const Operands o = promote(a, b, "where", false);
    const Tensor c = condition.dtype() == DType::I64 ? condition : ne(condition, scalar_like(0, condition));
    const Shape shape = broadcast_shapes(c.shape(), o.shape, "where");
    Tensor y = Tensor::empty(shape, o.a.dtype(), o.a.device());
    kWhere(y.device())(detail::broadcast_view(c, shape), detail::broadcast_view(o.a, shape),
                       detail::broadcast_view(o.b, shape), y);
    if (auto n = record("WhereBackward", {o.a, o.b}, {y})) {
        n->save(c);
        // Selecting (not multiplying by a mask) keeps NaN or inf in the unused branch out of the gradient.
        n->backward = [sa = o.a.shape(), sb = o.b.shape()](const FunctionNode& s, const Grads& g) {
            const Tensor cs = s.saved(0);
            const Tensor zero = Tensor::zeros_like(g[0]);
            return Grads{s.needs(0) ? sum_to(where(cs, g[0], zero), sa) : Tensor(),
                         s.needs(1) ? sum_to(where(cs, zero, g[0]), sb) : Tensor()};
        };
    }
    return y;
}

// ------------------------------------------------------------------------------- operators
Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }
Tensor operator*(const Tensor& a, const Tensor& b) { return mul(a, b); }
Tensor operator/(const Tensor& a, const Tensor& b) { return div(a, b); }
Tensor operator-(const Tensor& a) { return neg(a); }
Tensor operator+(const Tensor& a, double b) { return add(a, scalar_like(b, a)); }
Tensor operator-(const Tensor& a, double b) { return sub(a, scalar_like(b, a)); }
Tensor operator*(const Tensor& a, double b) { return mul(a, scalar_like(b, a)); }
Tensor operator/(const Tensor& a, double b) { return div(a, scalar_like(b, a)); }
Tensor operator+(double a, const Tensor& b) { return add(scalar_like(a, b), b); }
Tensor operator-(double a, const Tensor& b) { return sub(scalar_like(a, b), b); }
Tensor operator*(double a, const Tensor& b) { return mul(scalar_like(a, b), b); }
Tensor operator/(double a, const Tensor& b) { return div(scalar_like(a, b), b); }

}  // namespace neura
