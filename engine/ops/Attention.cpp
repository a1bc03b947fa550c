// Masks and attention: masked_fill, tril / triu and scaled_dot_product_attention, composed of
// differentiable ops (where, matmul, softmax, dropout), so their gradients of gradients work.
#include <cmath>
#include <limits>

#include "neura/ops/NnOps.h"
#include "neura/ops/Ops.h"

namespace neura {

Tensor masked_fill(const Tensor& x, const Tensor& mask, double value) {
    NEURA_CHECK(x.defined() && mask.defined(), "masked_fill: undefined input or mask");
    NEURA_CHECK(mask.device() == x.device(), "masked_fill: the mask is on ", mask.device().str(), ", the input on ",
                x.device().str());
    const Shape shape = broadcast_shapes(mask.shape(), x.shape(), "masked_fill");
    NEURA_CHECK_SHAPE(shape == x.shape(), "masked_fill: the mask ", shape_str(mask.shape()),
                " does not broadcast to the input's shape ", shape_str(x.shape()));
    if (x.dtype() == DType::I64) {
        // As PyTorch: a fractional value is truncated; one an int64 cannot hold is an error.
        NEURA_CHECK(std::isfinite(value) && std::fabs(value) < 9.2e18, "masked_fill: value ", value,
                    " cannot be converted to int64 without overflow");
        value = std::trunc(value);
    }
    return where(mask, scalar_like(value, x), x);
}

namespace {

// 1 where keep(column - row) holds, over the last two dims of `x` ([rows, cols], I64, on x's device).
template <class Keep>
Tensor triangle_mask(const Tensor& x, Keep keep, const char* op) {
    NEURA_CHECK(x.defined(), op, ": undefined input");
    NEURA_CHECK_SHAPE(x.dim() >= 2, op, ": expects at least 2 dimensions, gets shape ", shape_str(x.shape()));
    const std::int64_t rows = x.size(-2), cols = x.size(-1);
    std::vector<std::int64_t> m(static_cast<std::size_t>(shape_numel({rows, cols})));
    for (std::int64_t i = 0; i < rows; ++i)
        for (std::int64_t j = 0; j < cols; ++j) m[static_cast<std::size_t>(i * cols + j)] = keep(j - i) ? 1 : 0;
    return Tensor::from_vector(m, {rows, cols}).to(x.device());
}

}  // namespace

Tensor tril(const Tensor& x, std::int64_t diagonal) {
    const Tensor keep = triangle_mask(x, [diagonal](std::int64_t d) { return d <= diagonal; }, "tril");
    return where(keep, x, Tensor::zeros_like(x));
}

Tensor triu(const Tensor& x, std::int64_t diagonal) {
    const Tensor keep = triangle_mask(x, [diagonal](std::int64_t d) { return d >= diagonal; }, "triu");
    return where(keep, x, Tensor::zeros_like(x));
}

Tensor scaled_dot_product_attention(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& attn_mask,
                                    double dropout_p, bool is_causal, std::optional<double> scale, Generator* gen,
                                    Tensor* attn_weights) {
    const char* op = "scaled_dot_product_attention";
    NEURA_CHECK(q.defined() && k.defined() && v.defined(), op, ": undefined query, key or value");
    NEURA_CHECK_SHAPE(q.dim() >= 2 && k.dim() >= 2 && v.dim() >= 2, op,
                ": query, key and value need at least 2 dimensions ([..., L, E], [..., S, E], [..., S, Ev]), gets ",
                shape_str(q.shape()), ", ", shape_str(k.shape()), " and ", shape_str(v.shape()));
    NEURA_CHECK_SHAPE(q.size(-1) == k.size(-1), op, ": query and key embeddings differ (", shape_str(q.shape()), " and ",
                shape_str(k.shape()), ")");
    NEURA_CHECK_SHAPE(k.size(-2) == v.size(-2), op, ": key and value lengths differ (", shape_str(k.shape()), " and ",
                shape_str(v.shape()), ")");
    NEURA_CHECK_TYPE(q.dtype() == k.dtype() && q.dtype() == v.dtype() && is_floating(q.dtype()), op,
                ": query, key and value must share one floating dtype, got ", dtype_name(q.dtype()), ", ",
                dtype_name(k.dtype()), " and ", dtype_name(v.dtype()));
    NEURA_CHECK(dropout_p >= 0.0 && dropout_p <= 1.0, op, ": dropout_p must be in [0, 1], got ", dropout_p);
    NEURA_CHECK(!(is_causal && attn_mask.defined()), op, ": give either attn_mask or is_causal, not both");
    const std::int64_t L = q.size(-2), S = k.size(-2);
    const double s = scale.value_or(1.0 / std::sqrt(static_cast<double>(q.size(-1))));
    Tensor scores = matmul(q, k.transpose(-2, -1)) * s;
    const double minus_inf = -std::numeric_limits<double>::infinity();
    if (is_causal) {
        const Tensor allowed = tril(Tensor::ones({L, S}, DType::I64, q.device()));
        scores = masked_fill(scores, eq(allowed, scalar_like(0, allowed)), minus_inf);
    } else if (attn_mask.defined()) {
        NEURA_CHECK(attn_mask.device() == q.device(), op, ": the mask is on ", attn_mask.device().str(),
                    ", the query on ", q.device().str());
        if (attn_mask.dtype() == DType::I64) {
            const Tensor blocked = eq(attn_mask, scalar_like(0, attn_mask));
            const Shape shape = broadcast_shapes(blocked.shape(), scores.shape(), op);
            scores = masked_fill(shape == scores.shape() ? scores : scores.expand(shape), blocked, minus_inf);
        } else {
            scores = scores + attn_mask.to(q.dtype());
        }
    }
    Tensor weights = softmax(scores, -1);
    if (dropout_p > 0.0) weights = dropout(weights, dropout_p, true, gen);
    if (attn_weights) *attn_weights = weights;
    return matmul(weights, v);
}

}  // namespace neura
