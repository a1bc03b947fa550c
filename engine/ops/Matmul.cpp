// matmul: 1-D, 2-D and batched with broadcast batch dims: shape rule, dispatch and backward. The CPU
// kernel is in backend/cpu/Matmul.cpp.
#include "ops/Internal.h"

namespace neura {

using autograd::FunctionNode;
using autograd::Grads;
using autograd::record;

namespace {

DispatchSlot<MatmulKernel> kMatmul{"matmul"};

Tensor matmul_nd(const Tensor& a, const Tensor& b) {
    const Shape ab(a.shape().begin(), a.shape().end() - 2), bb(b.shape().begin(), b.shape().end() - 2);
    const std::int64_t m = a.size(-2), k = a.size(-1), k2 = b.size(-2), n = b.size(-1);
    NEURA_CHECK_SHAPE(k == k2, "matmul: shapes ", shape_str(a.shape()), " and ", shape_str(b.shape()),
                " cannot be multiplied (", k, " columns vs ", k2, " rows)");
    Shape batch = broadcast_shapes(ab, bb, "matmul (batch dimensions)");
    Shape a_shape = batch, b_shape = batch, out_shape = batch;
    a_shape.insert(a_shape.end(), {m, k});
    b_shape.insert(b_shape.end(), {k, n});
    out_shape.insert(out_shape.end(), {m, n});
    Tensor out = Tensor::empty(out_shape, a.dtype(), a.device());
    kMatmul(a.device())(detail::broadcast_view(a, a_shape), detail::broadcast_view(b, b_shape), out);
    if (auto node = record("MmBackward", {a, b}, {out})) {
        node->save(node->needs(1) ? a : Tensor());
        node->save(node->needs(0) ? b : Tensor());
        node->backward = [sa = a.shape(), sb = b.shape()](const FunctionNode& s, const Grads& g) {
            return Grads{s.needs(0) ? sum_to(matmul(g[0], s.saved(1).transpose(-1, -2)), sa) : Tensor(),
                         s.needs(1) ? sum_to(matmul(s.saved(0).transpose(-1, -2), g[0]), sb) : Tensor()};
        };
    }
    return out;
}

}  // namespace

Tensor matmul(const Tensor& a_in, const Tensor& b_in) {
    NEURA_CHECK_SHAPE(a_in.dim() >= 1 && b_in.dim() >= 1, "matmul: both operands need at least 1 dimension, got shapes ",
                shape_str(a_in.shape()), " and ", shape_str(b_in.shape()));
    NEURA_CHECK(a_in.device() == b_in.device(), "matmul: operands on different devices (", a_in.device().str(),
                " and ", b_in.device().str(), ")");
    const DType t = promote_types(a_in.dtype(), b_in.dtype());
    const Tensor a = a_in.to(t), b = b_in.to(t);
    if (a.dim() == 1 && b.dim() == 1) {
        NEURA_CHECK_SHAPE(a.size(0) == b.size(0), "matmul: vectors of different lengths ", a.size(0), " and ", b.size(0));
        return matmul_nd(a.unsqueeze(0), b.unsqueeze(1)).reshape({});
    }
    if (a.dim() == 1) return matmul_nd(a.unsqueeze(0), b).squeeze(-2);
    if (b.dim() == 1) return matmul_nd(a, b.unsqueeze(1)).squeeze(-1);
    if (a.dim() > 2 && b.dim() == 2) {
        // As PyTorch: [batch..., m, k] x [k, n] folds the batch into the rows, one product of
        // [batch * m, k] x [k, n] (and one for each gradient, the weight's summed inside the product)
        // instead of a product per batch element and a sum over the batch.
        NEURA_CHECK_SHAPE(a.size(-1) == b.size(0), "matmul: shapes ", shape_str(a.shape()), " and ", shape_str(b.shape()),
                    " cannot be multiplied (", a.size(-1), " columns vs ", b.size(0), " rows)");
        Shape out_shape(a.shape().begin(), a.shape().end() - 1);
        const std::int64_t rows = shape_numel(out_shape);
        out_shape.push_back(b.size(1));
        return matmul_nd(a.reshape({rows, a.size(-1)}), b).reshape(out_shape);
    }
    return matmul_nd(a, b);
}

Tensor bmm(const Tensor& a, const Tensor& b) {
    NEURA_CHECK(a.defined() && b.defined(), "bmm: undefined operand");
    NEURA_CHECK_SHAPE(a.dim() == 3 && b.dim() == 3, "bmm: expects two 3-D tensors [B, n, m] and [B, m, p], gets shapes ",
                shape_str(a.shape()), " and ", shape_str(b.shape()));
    NEURA_CHECK_SHAPE(a.size(0) == b.size(0), "bmm: batch sizes differ (", shape_str(a.shape()), " and ",
                shape_str(b.shape()), ")");
    NEURA_CHECK_TYPE(a.dtype() == b.dtype(), "bmm: operands of different dtypes (", dtype_name(a.dtype()), " and ",
                dtype_name(b.dtype()), ")");
    return matmul(a, b);
}

}  // namespace neura
