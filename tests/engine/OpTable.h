#pragma once
// The op table (PyTorch's OpInfo idea): every case here is checked the same way by tst_ops — forward
// and gradients against PyTorch's fixtures (tests/reference/ops_reference.json, same case names), F64
// gradcheck on contiguous, transposed, sliced and expanded inputs, and double backward where claimed.
// tests/cuda/tst_parity runs every case on a GPU against the CPU, so a case must work on any device
// (a tensor it makes goes to x[0].device()).
#include <functional>
#include <string>
#include <vector>

#include "neura/neura.h"

namespace neura::test {

using Inputs = std::vector<Tensor>;

struct OpCase {
    std::string name;
    std::function<Tensor(const Inputs&)> fn;
    bool double_backward = true;  // gradgradcheck too
    // Finite differences through an F32 round trip measure rounding, not the derivative: such a case's
    // gradient is checked against PyTorch only.
    bool gradcheck = true;
};

inline const std::vector<OpCase>& op_table() {
    static const std::vector<OpCase> table = {
        // unary
        {"neg", [](const Inputs& x) { return -x[0]; }},
        {"exp", [](const Inputs& x) { return exp(x[0]); }},
        {"log", [](const Inputs& x) { return log(x[0]); }},
        {"sqrt", [](const Inputs& x) { return sqrt(x[0]); }},
        {"abs", [](const Inputs& x) { return abs(x[0]); }},
        {"sin", [](const Inputs& x) { return sin(x[0]); }},
        {"cos", [](const Inputs& x) { return cos(x[0]); }},
        {"erf", [](const Inputs& x) { return erf(x[0]); }},
        {"relu", [](const Inputs& x) { return relu(x[0]); }},
        {"leaky_relu", [](const Inputs& x) { return leaky_relu(x[0], 0.1); }},
        {"sigmoid", [](const Inputs& x) { return sigmoid(x[0]); }},
        {"tanh", [](const Inputs& x) { return tanh(x[0]); }},
        {"gelu", [](const Inputs& x) { return gelu(x[0]); }},
        {"clamp", [](const Inputs& x) { return clamp(x[0], -0.5, 0.5); }},
        {"clamp_min", [](const Inputs& x) { return clamp(x[0], -0.5, std::nullopt); }},
        {"pow_scalar", [](const Inputs& x) { return pow(x[0], 2.5); }},
        {"pow_int", [](const Inputs& x) { return pow(x[0], 3.0); }},
        {"softmax_dim1", [](const Inputs& x) { return softmax(x[0], 1); }},
        {"softmax_dim0", [](const Inputs& x) { return softmax(x[0], 0); }},
        {"log_softmax", [](const Inputs& x) { return log_softmax(x[0], -1); }},
        {"log_softmax_dim1", [](const Inputs& x) { return log_softmax(x[0], 1); }},
        // binary
        {"add", [](const Inputs& x) { return x[0] + x[1]; }},
        {"add_row", [](const Inputs& x) { return x[0] + x[1]; }},
        {"add_outer", [](const Inputs& x) { return x[0] + x[1]; }},
        {"add_3d", [](const Inputs& x) { return x[0] + x[1]; }},
        {"add_scalar_tensor", [](const Inputs& x) { return x[0] + x[1]; }},
        {"add_alpha", [](const Inputs& x) { return add(x[0], x[1], -2.5); }},
        {"sub", [](const Inputs& x) { return x[0] - x[1]; }},
        {"mul", [](const Inputs& x) { return x[0] * x[1]; }},
        {"mul_3d", [](const Inputs& x) { return x[0] * x[1]; }},
        {"div", [](const Inputs& x) { return x[0] / x[1]; }},
        {"div_col", [](const Inputs& x) { return x[0] / x[1]; }},
        {"pow", [](const Inputs& x) { return pow(x[0], x[1]); }},
        {"pow_bcast", [](const Inputs& x) { return pow(x[0], x[1]); }},
        {"maximum", [](const Inputs& x) { return maximum(x[0], x[1]); }},
        {"minimum", [](const Inputs& x) { return minimum(x[0], x[1]); }},
        {"where", [](const Inputs& x) { return where(x[0], x[1], x[2]); }},
        {"gt", [](const Inputs& x) { return gt(x[0], x[1]); }},
        {"le", [](const Inputs& x) { return le(x[0], x[1]); }},
        {"eq", [](const Inputs& x) { return eq(x[0], x[1]); }},
        // reductions
        {"sum", [](const Inputs& x) { return sum(x[0]); }},
        {"sum_dim1", [](const Inputs& x) { return sum(x[0], {1}); }},
        {"sum_dims_keepdim", [](const Inputs& x) { return sum(x[0], {0, 2}, true); }},
        {"mean", [](const Inputs& x) { return mean(x[0]); }},
        {"mean_dim0", [](const Inputs& x) { return mean(x[0], {0}); }},
        {"var", [](const Inputs& x) { return var(x[0]); }},
        {"var_dim1", [](const Inputs& x) { return var(x[0], {1}); }},
        {"var_dim1_biased", [](const Inputs& x) { return var(x[0], {1}, 0.0); }},
        {"max", [](const Inputs& x) { return max(x[0]); }},
        {"min", [](const Inputs& x) { return min(x[0]); }},
        {"max_dim1", [](const Inputs& x) { return std::get<0>(max(x[0], 1)); }},
        {"min_dim0_keepdim", [](const Inputs& x) { return std::get<0>(min(x[0], 0, true)); }},
        {"argmax_dim1", [](const Inputs& x) { return argmax(x[0], 1); }},
        {"argmin_dim0", [](const Inputs& x) { return argmin(x[0], 0); }},
        // matmul
        {"matmul_2d", [](const Inputs& x) { return matmul(x[0], x[1]); }},
        {"matmul_vec_mat", [](const Inputs& x) { return matmul(x[0], x[1]); }},
        {"matmul_mat_vec", [](const Inputs& x) { return matmul(x[0], x[1]); }},
        {"matmul_dot", [](const Inputs& x) { return matmul(x[0], x[1]); }},
        {"matmul_batched_2d", [](const Inputs& x) { return matmul(x[0], x[1]); }},
        {"matmul_batched", [](const Inputs& x) { return matmul(x[0], x[1]); }},
        {"matmul_broadcast", [](const Inputs& x) { return matmul(x[0], x[1]); }},
        // joining and indexing
        {"cat_dim0", [](const Inputs& x) { return cat({x[0], x[1]}, 0); }},
        {"cat_dim1", [](const Inputs& x) { return cat({x[0], x[1]}, 1); }},
        {"stack_dim1", [](const Inputs& x) { return stack({x[0], x[1]}, 1); }},
        {"index_select_dim0", [](const Inputs& x) { return index_select(x[0], 0, x[1]); }},
        {"index_select_dim1", [](const Inputs& x) { return index_select(x[0], 1, x[1]); }},
        {"gather_dim1", [](const Inputs& x) { return gather(x[0], 1, x[1]); }},
        {"gather_dim0", [](const Inputs& x) { return gather(x[0], 0, x[1]); }},
        {"one_hot", [](const Inputs& x) { return one_hot(x[0], 5); }},
        // views
        {"transpose", [](const Inputs& x) { return x[0].transpose(0, 2); }},
        {"permute", [](const Inputs& x) { return x[0].permute({2, 0, 1}); }},
        {"slice_step2", [](const Inputs& x) { return x[0].slice(0, 1, 5, 2); }},
        {"narrow", [](const Inputs& x) { return x[0].narrow(1, 1, 3); }},
        {"select", [](const Inputs& x) { return x[0].select(1, 2); }},
        {"expand", [](const Inputs& x) { return x[0].expand({2, 3, 4}); }},
        {"squeeze", [](const Inputs& x) { return x[0].squeeze(1); }},
        {"unsqueeze", [](const Inputs& x) { return x[0].unsqueeze(1); }},
        {"flatten", [](const Inputs& x) { return x[0].flatten(1); }},
        {"reshape", [](const Inputs& x) { return x[0].reshape({2, 6}); }},
        {"t", [](const Inputs& x) { return x[0].t(); }},
        {"clone", [](const Inputs& x) { return x[0].clone(); }},
        {"to_f32_and_back", [](const Inputs& x) {
             return x[0].dtype() == DType::F64 ? x[0].to(DType::F32).to(DType::F64) : x[0].to(DType::F64).to(DType::F32);
         }, true, false},
        // neural-network ops (NnOps.h): F32 runs oneDNN, F64 the reference loops. Kernel-backed backward
        // formulas are first order only, hence double_backward = false.
        {"conv2d", [](const Inputs& x) { return conv2d(x[0], x[1], x[2]); }, false},
        {"conv2d_stride_padding", [](const Inputs& x) { return conv2d(x[0], x[1], x[2], {2, 1}, {1, 2}); }, false},
        {"conv2d_dilation", [](const Inputs& x) { return conv2d(x[0], x[1], x[2], {1, 1}, {2, 1}, {2, 1}); }, false},
        {"conv2d_groups", [](const Inputs& x) { return conv2d(x[0], x[1], x[2], {2, 2}, {1, 1}, {1, 1}, 2); }, false},
        {"conv2d_depthwise_nobias", [](const Inputs& x) { return conv2d(x[0], x[1], {}, {1, 2}, {0, 0}, {1, 1}, 3); },
         false},
        {"conv2d_stride3_unused", [](const Inputs& x) { return conv2d(x[0], x[1], x[2], {3, 3}); }, false},
        {"max_pool2d", [](const Inputs& x) { return max_pool2d(x[0], {2, 2}); }, false},
        {"max_pool2d_stride_padding", [](const Inputs& x) { return max_pool2d(x[0], {3, 3}, {2, 2}, {1, 1}); }, false},
        {"max_pool2d_rect", [](const Inputs& x) { return max_pool2d(x[0], {2, 3}, {1, 2}); }, false},
        {"avg_pool2d", [](const Inputs& x) { return avg_pool2d(x[0], {2, 2}); }, false},
        {"avg_pool2d_stride_padding", [](const Inputs& x) { return avg_pool2d(x[0], {3, 3}, {2, 2}, {1, 1}); }, false},
        {"avg_pool2d_rect", [](const Inputs& x) { return avg_pool2d(x[0], {2, 3}, {1, 2}, {1, 1}); }, false},
        {"adaptive_avg_pool2d_divisible", [](const Inputs& x) { return adaptive_avg_pool2d(x[0], 3, 2); }, false},
        {"adaptive_avg_pool2d_nondivisible", [](const Inputs& x) { return adaptive_avg_pool2d(x[0], 3, 4); }, false},
        {"adaptive_avg_pool2d_global", [](const Inputs& x) { return adaptive_avg_pool2d(x[0], 1, 1); }, false},
        {"batch_norm_train_2d", [](const Inputs& x) { return batch_norm(x[0], x[1], x[2], {}, {}, true); }, false},
        {"batch_norm_train_1d", [](const Inputs& x) { return batch_norm(x[0], x[1], x[2], {}, {}, true, 0.1, 1e-3); },
         false},
        {"batch_norm_train_3d_noaffine", [](const Inputs& x) { return batch_norm(x[0], {}, {}, {}, {}, true); }, false},
        {"batch_norm_eval", [](const Inputs& x) {
             const Tensor rm = Tensor::from_vector<double>({0.1, -0.2, 0.3}, {3}, x[0].dtype()).to(x[0].device());
             const Tensor rv = Tensor::from_vector<double>({0.5, 1.5, 2.0}, {3}, x[0].dtype()).to(x[0].device());
             return batch_norm(x[0], x[1], x[2], rm, rv, false);
         }, false},
        {"layer_norm", [](const Inputs& x) { return layer_norm(x[0], {5}, x[1], x[2]); }, false},
        {"layer_norm_2d", [](const Inputs& x) { return layer_norm(x[0], {3, 4}, x[1], x[2], 1e-3); }, false},
        {"layer_norm_noaffine", [](const Inputs& x) { return layer_norm(x[0], {6}); }, false},
        {"embedding", [](const Inputs& x) { return embedding(x[0], x[1]); }},
        {"dropout_eval", [](const Inputs& x) { return dropout(x[0], 0.5, false); }},
        {"dropout_p0", [](const Inputs& x) { return dropout(x[0], 0.0, true); }},
    };
    return table;
}

}  // namespace neura::test
