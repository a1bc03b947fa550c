#pragma once
// The op table (PyTorch's OpInfo idea): one row per case; tst_ops checks every row the same way and
// tests/cuda/tst_parity runs the same rows on a GPU against the CPU (both through OpSamples.h).
//
// HOW TO ADD A CASE (e.g. for a new op `softplus`):
//  1. Add one row below:  {"softplus", "softplus", kF, [](const Inputs& x) { return softplus(x[0]); }},
//     i.e. case name (the fixture key), the public op name exactly as declared in Ops.h/NnOps.h (or
//     "Tensor::method", "operatorX"), the dtypes the op accepts (kF = F64+F32, kFI = also I64, kI = I64
//     only), and the call. Build tensors only from x (a tensor it makes goes to x[0].device()).
//  2. Add one entry to CASES in tests/reference/make_fixtures.py with the same name, the same dtypes
//     ("f", "fi", "i"), the PyTorch call, and samples: drawn ones (several shapes: 0-d, size-1 dims,
//     empty) and reference inputs (0, ties, +-inf, NaN, domain edges) -- unary(...)/binary(...) do most.
//  3. Run /usr/bin/python3 tests/reference/make_fixtures.py and rebuild engine_tst_ops.
// Every sample is compared with PyTorch in each dtype and layout; drawn samples are also gradchecked
// (with double backward unless the row says false). tst_ops fails while a declared op has no row.
#include <functional>
#include <string>
#include <vector>

#include "neura/neura.h"
#include "neura/optim/Optim.h"

namespace neura::test {

using Inputs = std::vector<Tensor>;

struct OpCase {
    std::string name;            // the fixture key in tests/reference/ops_reference.json
    std::string op;              // the public name it covers, exactly as declared
    std::vector<DType> dtypes;   // F64/F32: float inputs in that dtype; I64: their int64 form
    std::function<Tensor(const Inputs&)> fn;
    bool double_backward = true;  // gradgradcheck too
    // Finite differences through an F32 round trip measure rounding, not the derivative: such a case's
    // gradient is checked against PyTorch only.
    bool gradcheck = true;
};

inline const std::vector<DType> kF = {DType::F64, DType::F32};
inline const std::vector<DType> kFI = {DType::F64, DType::F32, DType::I64};
inline const std::vector<DType> kI = {DType::I64};

namespace detail {
// Two steps of an optimizer on a copy of x[0] with the fixed gradient x[1]; returns the parameter.
template <class Opt, class Options>
Tensor optim_steps(const Inputs& x, const Options& o) {
    Tensor p = x[0].detach().clone().requires_grad_();
    Opt opt({p}, o);
    for (int i = 0; i < 2; ++i) {
        p.set_grad(x[1].detach().clone());
        opt.step();
    }
    return p.detach();
}
}  // namespace detail

inline const std::vector<OpCase>& op_table() {
    static const std::vector<OpCase> table = {
        // ---- unary pointwise
        {"neg", "neg", kFI, [](const Inputs& x) { return neg(x[0]); }},
        {"exp", "exp", kFI, [](const Inputs& x) { return exp(x[0]); }},
        {"log", "log", kFI, [](const Inputs& x) { return log(x[0]); }},
        {"sqrt", "sqrt", kFI, [](const Inputs& x) { return sqrt(x[0]); }},
        {"abs", "abs", kFI, [](const Inputs& x) { return abs(x[0]); }},
        {"sign", "sign", kFI, [](const Inputs& x) { return sign(x[0]); }},
        {"sin", "sin", kFI, [](const Inputs& x) { return sin(x[0]); }},
        {"cos", "cos", kFI, [](const Inputs& x) { return cos(x[0]); }},
        {"erf", "erf", kFI, [](const Inputs& x) { return erf(x[0]); }},
        {"relu", "relu", kFI, [](const Inputs& x) { return relu(x[0]); }},
        {"leaky_relu", "leaky_relu", kF, [](const Inputs& x) { return leaky_relu(x[0], 0.1); }},
        {"sigmoid", "sigmoid", kFI, [](const Inputs& x) { return sigmoid(x[0]); }},
        {"tanh", "tanh", kFI, [](const Inputs& x) { return tanh(x[0]); }},
        {"gelu", "gelu", kF, [](const Inputs& x) { return gelu(x[0]); }},
        {"softplus", "softplus", kF, [](const Inputs& x) { return softplus(x[0]); }},
        {"softplus_beta", "softplus", kF, [](const Inputs& x) { return softplus(x[0], 2.0, 5.0); }},
        {"clamp", "clamp", kFI, [](const Inputs& x) { return clamp(x[0], -1.0, 1.0); }},
        {"clamp_min", "clamp", kFI, [](const Inputs& x) { return clamp(x[0], 0.0, std::nullopt); }},
        {"clamp_max", "clamp", kFI, [](const Inputs& x) { return clamp(x[0], std::nullopt, 0.0); }},
        {"clamp_min_gt_max", "clamp", kFI, [](const Inputs& x) { return clamp(x[0], 2.0, 1.0); }},
        {"pow_scalar", "pow", kF, [](const Inputs& x) { return pow(x[0], 2.5); }},
        {"pow_int", "pow", kFI, [](const Inputs& x) { return pow(x[0], 3.0); }},
        {"pow_zero", "pow", kF, [](const Inputs& x) { return pow(x[0], 0.0); }},
        {"pow_negative", "pow", kF, [](const Inputs& x) { return pow(x[0], -1.5); }},
        {"softmax", "softmax", kF, [](const Inputs& x) { return softmax(x[0], 1); }},
        {"softmax_dim0", "softmax", kF, [](const Inputs& x) { return softmax(x[0], 0); }},
        {"log_softmax", "log_softmax", kF, [](const Inputs& x) { return log_softmax(x[0], -1); }},
        {"log_softmax_dim1", "log_softmax", kF, [](const Inputs& x) { return log_softmax(x[0], 1); }},
        // ---- binary pointwise
        {"add", "add", kFI, [](const Inputs& x) { return add(x[0], x[1]); }},
        {"add_alpha", "add", kF, [](const Inputs& x) { return add(x[0], x[1], -2.5); }},
        {"sub", "sub", kFI, [](const Inputs& x) { return sub(x[0], x[1]); }},
        {"sub_alpha", "sub", kF, [](const Inputs& x) { return sub(x[0], x[1], 0.5); }},
        {"mul", "mul", kFI, [](const Inputs& x) { return mul(x[0], x[1]); }},
        {"div", "div", kFI, [](const Inputs& x) { return div(x[0], x[1]); }},
        {"pow", "pow", kF, [](const Inputs& x) { return pow(x[0], x[1]); }},
        {"maximum", "maximum", kFI, [](const Inputs& x) { return maximum(x[0], x[1]); }},
        {"minimum", "minimum", kFI, [](const Inputs& x) { return minimum(x[0], x[1]); }},
        {"where", "where", kFI, [](const Inputs& x) { return where(x[0], x[1], x[2]); }},
        {"eq", "eq", kFI, [](const Inputs& x) { return eq(x[0], x[1]); }},
        {"ne", "ne", kFI, [](const Inputs& x) { return ne(x[0], x[1]); }},
        {"gt", "gt", kFI, [](const Inputs& x) { return gt(x[0], x[1]); }},
        {"ge", "ge", kFI, [](const Inputs& x) { return ge(x[0], x[1]); }},
        {"lt", "lt", kFI, [](const Inputs& x) { return lt(x[0], x[1]); }},
        {"le", "le", kFI, [](const Inputs& x) { return le(x[0], x[1]); }},
        // ---- reductions
        {"sum", "sum", kFI, [](const Inputs& x) { return sum(x[0]); }},
        {"sum_dim1", "sum", kFI, [](const Inputs& x) { return sum(x[0], {1}); }},
        {"sum_dims_keepdim", "sum", kFI, [](const Inputs& x) { return sum(x[0], {0, 2}, true); }},
        {"sum_dims_negative", "sum", kFI, [](const Inputs& x) { return sum(x[0], {-1}); }},
        {"mean", "mean", kF, [](const Inputs& x) { return mean(x[0]); }},
        {"mean_dim0", "mean", kF, [](const Inputs& x) { return mean(x[0], {0}); }},
        {"mean_dims_keepdim", "mean", kF, [](const Inputs& x) { return mean(x[0], {0, 2}, true); }},
        {"var", "var", kF, [](const Inputs& x) { return var(x[0]); }},
        {"var_dim1", "var", kF, [](const Inputs& x) { return var(x[0], {1}); }},
        {"var_dim1_biased", "var", kF, [](const Inputs& x) { return var(x[0], {1}, 0.0); }},
        {"var_dims_keepdim", "var", kF, [](const Inputs& x) { return var(x[0], {0, 2}, 1.0, true); }},
        {"max", "max", kFI, [](const Inputs& x) { return max(x[0]); }},
        {"min", "min", kFI, [](const Inputs& x) { return min(x[0]); }},
        {"max_dim1", "max", kFI, [](const Inputs& x) { return std::get<0>(max(x[0], 1)); }},
        {"max_dim1_indices", "max", kFI, [](const Inputs& x) { return std::get<1>(max(x[0], 1)); }},
        {"min_dim0_keepdim", "min", kFI, [](const Inputs& x) { return std::get<0>(min(x[0], 0, true)); }},
        {"min_dim0_indices", "min", kFI, [](const Inputs& x) { return std::get<1>(min(x[0], 0)); }},
        {"argmax_dim1", "argmax", kFI, [](const Inputs& x) { return argmax(x[0], 1); }},
        {"argmax_dim0_keepdim", "argmax", kFI, [](const Inputs& x) { return argmax(x[0], 0, true); }},
        {"argmin_dim0", "argmin", kFI, [](const Inputs& x) { return argmin(x[0], 0); }},
        // ---- matmul
        {"matmul", "matmul", kFI, [](const Inputs& x) { return matmul(x[0], x[1]); }},
        {"bmm", "bmm", kFI, [](const Inputs& x) { return bmm(x[0], x[1]); }},
        // ---- masks
        {"masked_fill", "masked_fill", kFI, [](const Inputs& x) { return masked_fill(x[0], x[1], 2.0); }},
        // Finite differences of an output holding -inf are NaN: its gradient is checked against PyTorch only.
        {"masked_fill_neg_inf", "masked_fill", kF, [](const Inputs& x) { return masked_fill(x[0], x[1], -INFINITY); },
         true, false},
        {"masked_fill_fraction", "masked_fill", kFI, [](const Inputs& x) { return masked_fill(x[0], x[1], -2.5); }},
        {"tril", "tril", kFI, [](const Inputs& x) { return tril(x[0]); }},
        {"tril_diag1", "tril", kFI, [](const Inputs& x) { return tril(x[0], 1); }},
        {"tril_diag_neg", "tril", kFI, [](const Inputs& x) { return tril(x[0], -2); }},
        {"triu", "triu", kFI, [](const Inputs& x) { return triu(x[0]); }},
        {"triu_diag1", "triu", kFI, [](const Inputs& x) { return triu(x[0], 1); }},
        {"triu_diag_neg", "triu", kFI, [](const Inputs& x) { return triu(x[0], -1); }},
        {"triu_far", "triu", kFI, [](const Inputs& x) { return triu(x[0], 10); }},
        // ---- joining and indexing
        {"cat", "cat", kFI, [](const Inputs& x) { return cat({x[0], x[1]}, 0); }},
        {"cat_dim1", "cat", kFI, [](const Inputs& x) { return cat({x[0], x[1]}, 1); }},
        {"stack", "stack", kFI, [](const Inputs& x) { return stack({x[0], x[1]}, 0); }},
        {"stack_dim1", "stack", kFI, [](const Inputs& x) { return stack({x[0], x[1]}, 1); }},
        {"index_select", "index_select", kFI, [](const Inputs& x) { return index_select(x[0], 0, x[1]); }},
        {"index_select_dim1", "index_select", kFI, [](const Inputs& x) { return index_select(x[0], 1, x[1]); }},
        {"index_add", "index_add", kFI, [](const Inputs& x) { return index_add(x[0], 0, x[1], x[2]); }},
        {"index_add_dim1", "index_add", kFI, [](const Inputs& x) { return index_add(x[0], 1, x[1], x[2]); }},
        {"gather", "gather", kFI, [](const Inputs& x) { return gather(x[0], 1, x[1]); }},
        {"gather_dim0", "gather", kFI, [](const Inputs& x) { return gather(x[0], 0, x[1]); }},
        {"scatter_add", "scatter_add", kFI, [](const Inputs& x) { return scatter_add(x[0], 1, x[1], x[2]); }},
        {"scatter_add_dim0", "scatter_add", kFI, [](const Inputs& x) { return scatter_add(x[0], 0, x[1], x[2]); }},
        {"one_hot", "one_hot", kI, [](const Inputs& x) { return one_hot(x[0], 5); }},
        {"one_hot_inferred", "one_hot", kI, [](const Inputs& x) { return one_hot(x[0]); }},
        {"sum_to", "sum_to", kFI, [](const Inputs& x) { return sum_to(x[0], {1, 4}); }},
        {"sum_to_col", "sum_to", kFI, [](const Inputs& x) { return sum_to(x[0], {3, 1}); }},
        {"slice_backward", "slice_backward", kF, [](const Inputs& x) { return slice_backward(x[0], {5, 4}, 0, 1, 5, 2); }},
        {"slice_backward_dim1", "slice_backward", kF,
         [](const Inputs& x) { return slice_backward(x[0], {3, 6}, 1, 2, 5, 1); }},
        // ---- scalars and operators (a double meets a tensor through scalar_like: an integral one keeps I64)
        {"scalar_like", "scalar_like", kFI, [](const Inputs& x) { return x[0] * scalar_like(2.5, x[0]); }},
        {"scalar_like_integral", "scalar_like", kFI, [](const Inputs& x) { return x[0] * scalar_like(3.0, x[0]); }},
        {"operator_add", "operator+", kFI, [](const Inputs& x) { return x[0] + x[1]; }},
        {"operator_sub", "operator-", kFI, [](const Inputs& x) { return x[0] - x[1]; }},
        {"operator_mul", "operator*", kFI, [](const Inputs& x) { return x[0] * x[1]; }},
        {"operator_div", "operator/", kFI, [](const Inputs& x) { return x[0] / x[1]; }},
        {"operator_neg", "operator-", kFI, [](const Inputs& x) { return -x[0]; }},
        {"operator_add_scalar", "operator+", kF, [](const Inputs& x) { return x[0] + 1.5; }},
        {"operator_sub_scalar", "operator-", kF, [](const Inputs& x) { return x[0] - 1.5; }},
        {"operator_mul_scalar", "operator*", kF, [](const Inputs& x) { return x[0] * -1.5; }},
        {"operator_div_scalar", "operator/", kF, [](const Inputs& x) { return x[0] / 0.5; }},
        {"operator_scalar_add", "operator+", kF, [](const Inputs& x) { return 1.5 + x[0]; }},
        {"operator_scalar_sub", "operator-", kF, [](const Inputs& x) { return 1.5 - x[0]; }},
        {"operator_scalar_mul", "operator*", kF, [](const Inputs& x) { return -1.5 * x[0]; }},
        {"operator_scalar_div", "operator/", kF, [](const Inputs& x) { return 1.5 / x[0]; }},
        {"operator_scalar_int", "operator+", kI, [](const Inputs& x) { return (2.0 + x[0]) * 3.0 - 1.0 - (7.0 - x[0]); }},
        // ---- Tensor methods: views and copies
        {"transpose", "Tensor::transpose", kFI, [](const Inputs& x) { return x[0].transpose(0, 2); }},
        {"permute", "Tensor::permute", kFI, [](const Inputs& x) { return x[0].permute({2, 0, 1}); }},
        {"slice", "Tensor::slice", kFI, [](const Inputs& x) { return x[0].slice(0, 1, 5, 2); }},
        {"slice_dim1", "Tensor::slice", kFI, [](const Inputs& x) { return x[0].slice(1, 2, 9); }},
        {"narrow", "Tensor::narrow", kFI, [](const Inputs& x) { return x[0].narrow(1, 1, 3); }},
        {"select", "Tensor::select", kFI, [](const Inputs& x) { return x[0].select(1, 2); }},
        {"select_negative", "Tensor::select", kFI, [](const Inputs& x) { return x[0].select(-1, -1); }},
        {"unbind", "unbind", kFI, [](const Inputs& x) {
             const std::vector<Tensor> p = unbind(x[0], 1);
             return stack({p[2], p[0]}, 0);
         }},
        {"unbind_last", "unbind", kFI, [](const Inputs& x) { return unbind(x[0], -1)[0]; }},
        {"expand", "Tensor::expand", kFI, [](const Inputs& x) { return x[0].expand({2, 3, 4}); }},
        {"expand_keep", "Tensor::expand", kFI, [](const Inputs& x) { return x[0].expand({-1, 4}); }},
        {"expand_as", "Tensor::expand_as", kFI, [](const Inputs& x) { return x[0].expand_as(x[1]); }},
        {"squeeze", "Tensor::squeeze", kFI, [](const Inputs& x) { return x[0].squeeze(); }},
        {"squeeze_dim", "Tensor::squeeze", kFI, [](const Inputs& x) { return x[0].squeeze(1); }},
        {"unsqueeze", "Tensor::unsqueeze", kFI, [](const Inputs& x) { return x[0].unsqueeze(1); }},
        {"unsqueeze_last", "Tensor::unsqueeze", kFI, [](const Inputs& x) { return x[0].unsqueeze(-1); }},
        {"flatten", "Tensor::flatten", kFI, [](const Inputs& x) { return x[0].flatten(1); }},
        {"flatten_all", "Tensor::flatten", kFI, [](const Inputs& x) { return x[0].flatten(); }},
        {"reshape", "Tensor::reshape", kFI, [](const Inputs& x) { return x[0].reshape({2, 6}); }},
        {"reshape_infer", "Tensor::reshape", kFI, [](const Inputs& x) { return x[0].reshape({-1, 3}); }},
        {"view", "Tensor::view", kFI, [](const Inputs& x) { return x[0].contiguous().view({4, 3}); }},
        {"t", "Tensor::t", kFI, [](const Inputs& x) { return x[0].t(); }},
        {"contiguous", "Tensor::contiguous", kFI, [](const Inputs& x) { return x[0].contiguous(); }},
        {"clone", "Tensor::clone", kFI, [](const Inputs& x) { return x[0].clone(); }},
        {"detach", "Tensor::detach", kFI, [](const Inputs& x) { return x[0].detach(); }},
        // ops as methods: each forwards to the function of the same name
        {"method_sum", "Tensor::sum", kFI, [](const Inputs& x) { return x[0].sum(); }},
        {"method_sum_dims", "Tensor::sum", kFI, [](const Inputs& x) { return x[0].sum({0}, true); }},
        {"method_mean", "Tensor::mean", kF, [](const Inputs& x) { return x[0].mean(); }},
        {"method_mean_dims", "Tensor::mean", kF, [](const Inputs& x) { return x[0].mean({1}); }},
        {"method_var", "Tensor::var", kF, [](const Inputs& x) { return x[0].var({1}); }},
        {"method_max", "Tensor::max", kFI, [](const Inputs& x) { return x[0].max(); }},
        {"method_min", "Tensor::min", kFI, [](const Inputs& x) { return x[0].min(); }},
        {"method_argmax", "Tensor::argmax", kFI, [](const Inputs& x) { return x[0].argmax(1); }},
        {"method_argmin", "Tensor::argmin", kFI, [](const Inputs& x) { return x[0].argmin(0); }},
        {"method_neg", "Tensor::neg", kFI, [](const Inputs& x) { return x[0].neg(); }},
        {"method_abs", "Tensor::abs", kFI, [](const Inputs& x) { return x[0].abs(); }},
        {"method_sign", "Tensor::sign", kFI, [](const Inputs& x) { return x[0].sign(); }},
        {"method_exp", "Tensor::exp", kFI, [](const Inputs& x) { return x[0].exp(); }},
        {"method_log", "Tensor::log", kFI, [](const Inputs& x) { return x[0].log(); }},
        {"method_sqrt", "Tensor::sqrt", kFI, [](const Inputs& x) { return x[0].sqrt(); }},
        {"method_sin", "Tensor::sin", kFI, [](const Inputs& x) { return x[0].sin(); }},
        {"method_cos", "Tensor::cos", kFI, [](const Inputs& x) { return x[0].cos(); }},
        {"method_erf", "Tensor::erf", kFI, [](const Inputs& x) { return x[0].erf(); }},
        {"method_tanh", "Tensor::tanh", kFI, [](const Inputs& x) { return x[0].tanh(); }},
        {"method_sigmoid", "Tensor::sigmoid", kFI, [](const Inputs& x) { return x[0].sigmoid(); }},
        {"method_relu", "Tensor::relu", kFI, [](const Inputs& x) { return x[0].relu(); }},
        {"method_pow_scalar", "Tensor::pow", kF, [](const Inputs& x) { return x[0].pow(2.5); }},
        {"method_pow_tensor", "Tensor::pow", kF, [](const Inputs& x) { return x[0].pow(x[1]); }},
        {"method_clamp", "Tensor::clamp", kFI, [](const Inputs& x) { return x[0].clamp(-1.0, 1.0); }},
        {"method_softmax", "Tensor::softmax", kF, [](const Inputs& x) { return x[0].softmax(1); }},
        {"method_log_softmax", "Tensor::log_softmax", kF, [](const Inputs& x) { return x[0].log_softmax(1); }},
        {"method_add", "Tensor::add", kFI, [](const Inputs& x) { return x[0].add(x[1], 2.0); }},
        {"method_sub", "Tensor::sub", kFI, [](const Inputs& x) { return x[0].sub(x[1]); }},
        {"method_mul", "Tensor::mul", kFI, [](const Inputs& x) { return x[0].mul(x[1]); }},
        {"method_div", "Tensor::div", kFI, [](const Inputs& x) { return x[0].div(x[1]); }},
        {"method_matmul", "Tensor::matmul", kFI, [](const Inputs& x) { return x[0].matmul(x[1]); }},
        {"method_masked_fill", "Tensor::masked_fill", kFI, [](const Inputs& x) { return x[0].masked_fill(x[1], 2.0); }},
        {"method_tril", "Tensor::tril", kFI, [](const Inputs& x) { return x[0].tril(1); }},
        {"method_triu", "Tensor::triu", kFI, [](const Inputs& x) { return x[0].triu(-1); }},
        {"method_index_select", "Tensor::index_select", kFI, [](const Inputs& x) { return x[0].index_select(0, x[1]); }},
        {"method_gather", "Tensor::gather", kFI, [](const Inputs& x) { return x[0].gather(1, x[1]); }},
        {"method_sum_to_size", "Tensor::sum_to_size", kFI, [](const Inputs& x) { return x[0].sum_to_size({1, 4}); }},
        {"to_dtype", "Tensor::to", kFI, [](const Inputs& x) {
             switch (x[0].dtype()) {
             case DType::F64: return x[0].to(DType::F32).to(DType::F64);
             case DType::F32: return x[0].to(DType::F64).to(DType::F32);
             default: return x[0].to(DType::F64);
             }
         }, true, false},
        {"to_int", "Tensor::to", kF, [](const Inputs& x) { return x[0].to(DType::I64); }},
        {"to_device", "Tensor::to", kFI, [](const Inputs& x) { return x[0].to(Device::cpu()).to(x[0].device()); }},
        // ---- neural-network ops (NnOps.h): F32 runs oneDNN, F64 the reference loops. Kernel-backed backward
        // formulas are first order only, hence double_backward = false.
        {"conv2d", "conv2d", kF, [](const Inputs& x) { return conv2d(x[0], x[1], x[2]); }, false},
        {"conv2d_stride_padding", "conv2d", kF,
         [](const Inputs& x) { return conv2d(x[0], x[1], x[2], {2, 1}, {1, 2}); }, false},
        {"conv2d_dilation", "conv2d", kF,
         [](const Inputs& x) { return conv2d(x[0], x[1], x[2], {1, 1}, {2, 1}, {2, 1}); }, false},
        {"conv2d_groups", "conv2d", kF,
         [](const Inputs& x) { return conv2d(x[0], x[1], x[2], {2, 2}, {1, 1}, {1, 1}, 2); }, false},
        {"conv2d_depthwise_nobias", "conv2d", kF,
         [](const Inputs& x) { return conv2d(x[0], x[1], {}, {1, 2}, {0, 0}, {1, 1}, 3); }, false},
        {"conv2d_stride3_unused", "conv2d", kF, [](const Inputs& x) { return conv2d(x[0], x[1], x[2], {3, 3}); }, false},
        {"max_pool2d", "max_pool2d", kF, [](const Inputs& x) { return max_pool2d(x[0], {2, 2}); }, false},
        {"max_pool2d_stride_padding", "max_pool2d", kF,
         [](const Inputs& x) { return max_pool2d(x[0], {3, 3}, {2, 2}, {1, 1}); }, false},
        {"max_pool2d_rect", "max_pool2d", kF, [](const Inputs& x) { return max_pool2d(x[0], {2, 3}, {1, 2}); }, false},
        {"avg_pool2d", "avg_pool2d", kF, [](const Inputs& x) { return avg_pool2d(x[0], {2, 2}); }, false},
        {"avg_pool2d_stride_padding", "avg_pool2d", kF,
         [](const Inputs& x) { return avg_pool2d(x[0], {3, 3}, {2, 2}, {1, 1}); }, false},
        {"avg_pool2d_rect", "avg_pool2d", kF,
         [](const Inputs& x) { return avg_pool2d(x[0], {2, 3}, {1, 2}, {1, 1}); }, false},
        {"adaptive_avg_pool2d", "adaptive_avg_pool2d", kF,
         [](const Inputs& x) { return adaptive_avg_pool2d(x[0], 3, 2); }, false},
        {"adaptive_avg_pool2d_nondivisible", "adaptive_avg_pool2d", kF,
         [](const Inputs& x) { return adaptive_avg_pool2d(x[0], 3, 4); }, false},
        {"adaptive_avg_pool2d_global", "adaptive_avg_pool2d", kF,
         [](const Inputs& x) { return adaptive_avg_pool2d(x[0], 1, 1); }, false},
        {"batch_norm_train", "batch_norm", kF,
         [](const Inputs& x) { return batch_norm(x[0], x[1], x[2], {}, {}, true); }, false},
        {"batch_norm_train_eps", "batch_norm", kF,
         [](const Inputs& x) { return batch_norm(x[0], x[1], x[2], {}, {}, true, 0.1, 1e-3); }, false},
        {"batch_norm_train_noaffine", "batch_norm", kF,
         [](const Inputs& x) { return batch_norm(x[0], {}, {}, {}, {}, true); }, false},
        {"batch_norm_eval", "batch_norm", kF, [](const Inputs& x) {
             const Tensor rm = Tensor::from_vector<double>({0.1, -0.2, 0.3}, {3}, x[0].dtype()).to(x[0].device());
             const Tensor rv = Tensor::from_vector<double>({0.5, 1.5, 2.0}, {3}, x[0].dtype()).to(x[0].device());
             return batch_norm(x[0], x[1], x[2], rm, rv, false);
         }, false},
        {"layer_norm", "layer_norm", kF, [](const Inputs& x) { return layer_norm(x[0], {5}, x[1], x[2]); }, false},
        {"layer_norm_2d", "layer_norm", kF,
         [](const Inputs& x) { return layer_norm(x[0], {3, 4}, x[1], x[2], 1e-3); }, false},
        {"layer_norm_noaffine", "layer_norm", kF, [](const Inputs& x) { return layer_norm(x[0], {6}); }, false},
        {"embedding", "embedding", kF, [](const Inputs& x) { return embedding(x[0], x[1]); }},
        // attention (an int64 mask: nonzero = may attend)
        {"sdpa", "scaled_dot_product_attention", kF,
         [](const Inputs& x) { return scaled_dot_product_attention(x[0], x[1], x[2]); }},
        {"sdpa_causal", "scaled_dot_product_attention", kF,
         [](const Inputs& x) { return scaled_dot_product_attention(x[0], x[1], x[2], {}, 0.0, true); }},
        {"sdpa_bool_mask", "scaled_dot_product_attention", kF,
         [](const Inputs& x) { return scaled_dot_product_attention(x[0], x[1], x[2], x[3]); }},
        {"sdpa_float_mask", "scaled_dot_product_attention", kF,
         [](const Inputs& x) { return scaled_dot_product_attention(x[0], x[1], x[2], x[3]); }},
        {"sdpa_scale", "scaled_dot_product_attention", kF,
         [](const Inputs& x) { return scaled_dot_product_attention(x[0], x[1], x[2], {}, 0.0, false, 0.3); }},
        {"sdpa_dropout_p1", "scaled_dot_product_attention", kF,
         [](const Inputs& x) { return scaled_dot_product_attention(x[0], x[1], x[2], {}, 1.0); }},
        {"dropout_eval", "dropout", kF, [](const Inputs& x) { return dropout(x[0], 0.5, false); }},
        {"dropout_p0", "dropout", kF, [](const Inputs& x) { return dropout(x[0], 0.0, true); }},
        {"dropout_p1", "dropout", kF, [](const Inputs& x) { return dropout(x[0], 1.0, true); }},
        // The random mask without its randomness: kept elements are exactly 2x, dropped ones 0 (see make_fixtures.py).
        {"dropout_train", "dropout", kF, [](const Inputs& x) {
             const Tensor y = dropout(x[0], 0.5, true);
             return where(ne(y, scalar_like(0, y)), y * 0.5, x[0]);
         }},
        // ---- optimizer steps (kernel slots of their own): not differentiable
        {"sgd_step", "optim::SGD::step", kF, [](const Inputs& x) {
             optim::SGDOptions o;
             o.lr = 0.1, o.momentum = 0.9, o.weight_decay = 0.01;
             return detail::optim_steps<optim::SGD>(x, o);
         }},
        {"adam_step", "optim::Adam::step", kF, [](const Inputs& x) {
             optim::AdamOptions o;
             o.lr = 0.1, o.weight_decay = 0.01;
             return detail::optim_steps<optim::Adam>(x, o);
         }},
        {"rmsprop_step", "optim::RMSprop::step", kF, [](const Inputs& x) {
             optim::RMSpropOptions o;
             o.lr = 0.01, o.momentum = 0.5, o.centered = true;
             return detail::optim_steps<optim::RMSprop>(x, o);
         }},
    };
    return table;
}

}  // namespace neura::test
