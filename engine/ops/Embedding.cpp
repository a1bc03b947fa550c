// embedding: rows of the weight picked by index_select, so its backward (index_add) and double backward
// come from index_select.
#include "neura/ops/NnOps.h"
#include "neura/ops/Ops.h"

namespace neura {

Tensor embedding(const Tensor& weight, const Tensor& indices) {
    NEURA_CHECK(weight.defined() && indices.defined(), "embedding: undefined weight or indices");
    NEURA_CHECK_SHAPE(weight.dim() == 2, "embedding: expects a 2-D weight [num_embeddings, embedding_dim], gets shape ",
                shape_str(weight.shape()));
    NEURA_CHECK_TYPE(indices.dtype() == DType::I64, "embedding: indices must be int64, got ", dtype_name(indices.dtype()),
                " of shape ", shape_str(indices.shape()));
    const std::int64_t rows = weight.size(0);
    for (auto v : indices.to_vector<std::int64_t>())
        NEURA_CHECK(v >= 0 && v < rows, "embedding: index ", v, " is out of range for ", rows, " embeddings (weight ",
                    shape_str(weight.shape()), ")");
    Shape out = indices.shape();
    out.push_back(weight.size(1));
    return index_select(weight, 0, indices.reshape({indices.numel()})).reshape(out);
}

}  // namespace neura
