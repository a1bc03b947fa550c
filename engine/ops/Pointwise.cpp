// Pointwise ops: each op's shape rule, dispatch and backward formula. Their scalar formulas are in
// ops/Formulas.h, their kernel slots are made from ops/OpList.h below, and every backend fills the
// slots from the same list (backend/cpu/Register.cpp, backend/cuda/Kernels.cpp).
#include <cmath>
#include <limits>

#include "ops/Internal.h"
#include "ops/OpList.h"

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

// One slot per listed op: k_<name>.
#define NEURA_UNARY_SLOT(name, Formula) Kernel<UnaryKernel> k_##name{#name};
#define NEURA_BINARY_SLOT(name, Formula) Kernel<BinaryKernel> k_##name{#name};
NEURA_UNARY_OPS(NEURA_UNARY_SLOT)
NEURA_BINARY_OPS(NEURA_BINARY_SLOT)
NEURA_COMPARISON_OPS(NEURA_BINARY_SLOT)
#undef NEURA_UNARY_SLOT
#undef NEURA_BINARY_SLOT
Kernel<WhereKernel> k_where{"where"};

}  // namespace

Tensor scalar_like(double v, const Tensor& like) {
    // An integer tensor meets a fractional scalar in F32, as PyTorch promotes it.
    const DType t = like.dtype() == DType::I64 && v != std::floor(v) ? DType::F32 : like.dtype();
    return Tensor::full({}, v, t, like.device());  // filled on the device: no host-to-device copy
}

// ------------------------------------------------------------------------------- unary
Tensor neg(const Tensor& x) {
    Tensor y = unary_forward(k_neg, x);
    if (auto n = record("NegBackward", {x}, {y})) n->backward = [](const FunctionNode&, const Grads& g) { return Grads{neg(g[0])}; };
    return y;
}

Tensor exp(const Tensor& x_in) {
    const Tensor x = to_floating(x_in);
    Tensor y = unary_forward(k_exp, x);
    if (auto n = record("ExpBackward", {x}, {y})) {
        n->save(y);
        n->backward = [](const FunctionNode& s, const Grads& g) { return Grads{g[0] * s.saved(0)}; };
    }
    return y;
}

Tensor log(const Tensor& x_in) {
    const Tensor x = to_floating(x_in);
    Tensor y = unary_forward(k_log, x);
    if (auto n = record("LogBackward", {x}, {y})) {
        n->save(x);
        n->backward = [](const FunctionNode& s, const Grads& g) { return Grads{g[0] / s.saved(0)}; };
    }
    return y;
}

Tensor sqrt(const Tensor& x_in) {
    const Tensor x = to_floating(x_in);
    Tensor y = unary_forward(k_sqrt, x);
    if (auto n = record("SqrtBackward", {x}, {y})) {
        n->save(y);
        // d sqrt(x) = 1 / (2 sqrt(x)): +inf at 0, as PyTorch.
        n->backward = [](const FunctionNode& s, const Grads& g) { return Grads{g[0] / (2.0 * s.saved(0))}; };
    }
    return y;
}

Tensor sign(const Tensor& x) {
    Tensor y = unary_forward(k_sign, x);
    if (auto n = record("SignBackward", {x}, {y}))
        n->backward = [](const FunctionNode&, const Grads& g) { return Grads{Tensor::zeros_like(g[0])}; };
    return y;
}

Tensor abs(const Tensor& x) {
    Tensor y = unary_forward(k_abs, x);
    if (auto n = record("AbsBackward", {x}, {y})) {
        n->save(x);
        // sign(0) = 0: the subgradient at 0 is 0, as PyTorch.
        n->backward = [](const FunctionNode& s, const Grads& g) { return Grads{g[0] * sign(s.saved(0))}; };
    }
    return y;
}

Tensor sin(const Tensor& x_in) {
    const Tensor x = to_floating(x_in);
    Tensor y = unary_forward(k_sin, x);
    if (auto n = record("SinBackward", {x}, {y})) {
        n->save(x);
        n->backward = [](const FunctionNode& s, const Grads& g) { return Grads{g[0] * cos(s.saved(0))}; };
    }
    return y;
}
Tensor cos(const Tensor& x_in) {
    const Tensor x = to_floating(x_in);
    Tensor y = unary_forward(k_cos, x);
    if (auto n = record("CosBackward", {x}, {y})) {
        n->save(x);
        n->backward = [](const FunctionNode& s, const Grads& g) { return Grads{-(g[0] * sin(s.saved(0)))}; };
    }
    return y;
}

Tensor erf(const Tensor& x_in) {
    const Tensor x = to_floating(x_in);
    Tensor y = unary_forward(k_erf, x);
    if (auto n = record("ErfBackward", {x}, {y})) {
        n->save(x);
        n->backward = [](const FunctionNode& s, const Grads& g) {
            const Tensor xs = s.saved(0);
            return Grads{g[0] * (M_2_SQRTPI * exp(-(xs * xs)))};
        };
    }
    return y;
}

Tensor clamp(const Tensor& x_in, std::optional<double> min, std::optional<double> max) {
    NEURA_CHECK(min || max, "clamp: at least one of min and max must be given");
    // An integer tensor keeps its dtype for integer bounds; a fractional or infinite bound makes the
    // result float, as PyTorch promotes it.
    auto integral = [](std::optional<double> v) { return !v || (std::isfinite(*v) && *v == std::floor(*v)); };
    const Tensor x = integral(min) && integral(max) ? x_in : to_floating(x_in);
    const double lo = min.value_or(-std::numeric_limits<double>::infinity());
    const double hi = max.value_or(std::numeric_limits<double>::infinity());
    Tensor y = unary_forward(k_clamp, x, lo, hi);
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
static Tensor relu_backward(const Tensor& grad, const Tensor& result) {
    const Operands o = promote(grad, result, "relu_backward", false);
    Tensor y = binary_forward(k_relu_backward, o);
    if (auto n = record("ReluBackwardBackward", {o.a}, {y})) {
        n->save(o.b);
        n->backward = [](const FunctionNode& s, const Grads& g) { return Grads{relu_backward(g[0], s.saved(0))}; };
    }
    return y;
}

Tensor relu(const Tensor& x) {
    Tensor y = unary_forward(k_relu, x);
    if (auto n = record("ReluBackward", {x}, {y})) {
        n->save(y);
        // Gradient 0 at x = 0, as PyTorch (threshold_backward on the result).
        n->backward = [](const FunctionNode& s, const Grads& g) { return Grads{relu_backward(g[0], s.saved(0))}; };
    }
    return y;
}

Tensor leaky_relu(const Tensor& x_in, double slope) {
    const Tensor x = to_floating(x_in);
    Tensor y = unary_forward(k_leaky_relu, x, slope);
    if (auto n = record("LeakyReluBackward", {x}, {y})) {
        n->save(x);
        n->backward = [slope](const FunctionNode& s, const Grads& g) {
            const Tensor xs = s.saved(0);
            return Grads{where(gt(xs, scalar_like(0, xs)), g[0], g[0] * slope)};
        };
    }
    return y;
}

Tensor sigmoid(const Tensor& x_in) {
    const Tensor x = to_floating(x_in);
    Tensor y = unary_forward(k_sigmoid, x);
    if (auto n = record("SigmoidBackward", {x}, {y})) {
        n->save(y);
        n->backward = [](const FunctionNode& s, const Grads& g) {
            const Tensor ys = s.saved(0);
            return Grads{g[0] * ys * (1.0 - ys)};
        };
    }
    return y;
}

Tensor tanh(const Tensor& x_in) {
    const Tensor x = to_floating(x_in);
    Tensor y = unary_forward(k_tanh, x);
    if (auto n = record("TanhBackward", {x}, {y})) {
        n->save(y);
        n->backward = [](const FunctionNode& s, const Grads& g) {
            const Tensor ys = s.saved(0);
            return Grads{g[0] * (1.0 - ys * ys)};
        };
    }
    return y;
}

Tensor gelu(const Tensor& x_in) {
    const Tensor x = to_floating(x_in);
    Tensor y = unary_forward(k_gelu, x);
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
Tensor add(const Tensor& a, const Tensor& b, double alpha) {
    const Operands o = promote(a, b, "add", false);
    Tensor y = binary_forward(k_add, o, alpha);
    if (auto n = record("AddBackward", {o.a, o.b}, {y})) {
        n->backward = [alpha, sa = o.a.shape(), sb = o.b.shape()](const FunctionNode& s, const Grads& g) {
            return Grads{s.needs(0) ? sum_to(g[0], sa) : Tensor(),
                         s.needs(1) ? sum_to(alpha == 1.0 ? g[0] : g[0] * alpha, sb) : Tensor()};
        };
    }
    return y;
}
Tensor sub(const Tensor& a, const Tensor& b, double alpha) { return add(a, b, -alpha); }

Tensor mul(const Tensor& a, const Tensor& b) {
    const Operands o = promote(a, b, "mul", false);
    Tensor y = binary_forward(k_mul, o);
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

Tensor div(const Tensor& a, const Tensor& b) {
    const Operands o = promote(a, b, "div", true);
    Tensor y = binary_forward(k_div, o);
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

Tensor pow(const Tensor& a, const Tensor& b) {
    const Operands o = promote(a, b, "pow", false);
    Tensor y = binary_forward(k_pow, o);
    if (auto n = record("PowBackward", {o.a, o.b}, {y})) {
        n->save(o.a);
        n->save(o.b);
        n->save(y);
        n->backward = [sa = o.a.shape(), sb = o.b.shape()](const FunctionNode& s, const Grads& g) {
            const Tensor base = s.saved(0), ex = s.saved(1);
            Tensor ga, gb;
            if (s.needs(0)) {
                // b * a^(b - 1), and 0 where b = 0 (so 0^0 gives 0, not 0 * inf): PyTorch's pow_backward_self.
                const Tensor term = g[0] * ex * pow(base, ex - 1.0);
                ga = sum_to(where(eq(ex, scalar_like(0, ex)), Tensor::zeros_like(term), term), sa);
            }
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

Tensor pow(const Tensor& a_in, double exponent) {
    const Tensor a = exponent == std::floor(exponent) && exponent >= 0 ? a_in : to_floating(a_in);
    Tensor y = unary_forward(k_pow_scalar, a, exponent);
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

Tensor maximum(const Tensor& a, const Tensor& b) {
    const Operands o = promote(a, b, "maximum", false);
    Tensor y = binary_forward(k_maximum, o);
    if (auto n = record("MaximumBackward", {o.a, o.b}, {y})) {
        n->save(o.a);
        n->save(o.b);
        n->backward = [sa = o.a.shape(), sb = o.b.shape()](const FunctionNode& s, const Grads& g) {
            return extremum_backward(s, g, sa, sb, true);
        };
    }
    return y;
}

Tensor minimum(const Tensor& a, const Tensor& b) {
    const Operands o = promote(a, b, "minimum", false);
    Tensor y = binary_forward(k_minimum, o);
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
#define NEURA_COMPARISON(fname, Formula)                                                  \
    Tensor fname(const Tensor& a, const Tensor& b) {                                      \
        return binary_forward(k_##fname, promote(a, b, #fname, false), 0, DType::I64, false); \
    }
NEURA_COMPARISON_OPS(NEURA_COMPARISON)
#undef NEURA_COMPARISON

// ------------------------------------------------------------------------------- where

Tensor where(const Tensor& condition, const Tensor& a, const Tensor& b) {
    const Operands o = promote(a, b, "where", false);
    NEURA_CHECK(condition.defined(), "where: undefined condition");
    NEURA_CHECK(condition.device() == o.a.device(), "where: the condition is on ", condition.device().str(),
                ", the operands on ", o.a.device().str());
    const Tensor c = condition.dtype() == DType::I64 ? condition : ne(condition, scalar_like(0, condition));
    const Shape shape = broadcast_shapes(c.shape(), o.shape, "where");
    Tensor y = Tensor::empty(shape, o.a.dtype(), o.a.device());
    k_where(y.device())(detail::broadcast_view(c, shape), detail::broadcast_view(o.a, shape),
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
