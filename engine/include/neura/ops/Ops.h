#pragma once
// Tensor operations. Binary ops broadcast as in PyTorch; every op that can be is differentiable, and
// its backward is itself written with these ops, so gradients of gradients work.
#include <optional>
#include <tuple>
#include <vector>

#include "neura/core/Tensor.h"

namespace neura {

// ---- pointwise, binary (broadcasting, type promotion F64 > F32 > I64) ----
Tensor add(const Tensor& a, const Tensor& b, double alpha = 1.0);
Tensor sub(const Tensor& a, const Tensor& b, double alpha = 1.0);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Tensor& b);
Tensor pow(const Tensor& a, const Tensor& b);
Tensor pow(const Tensor& a, double exponent);
Tensor maximum(const Tensor& a, const Tensor& b);
Tensor minimum(const Tensor& a, const Tensor& b);
Tensor where(const Tensor& condition, const Tensor& a, const Tensor& b);  // condition: nonzero = true

// Comparisons give an I64 mask of 0/1, like PyTorch's bool tensors; they carry no gradient.
Tensor eq(const Tensor& a, const Tensor& b);
Tensor ne(const Tensor& a, const Tensor& b);
Tensor gt(const Tensor& a, const Tensor& b);
Tensor ge(const Tensor& a, const Tensor& b);
Tensor lt(const Tensor& a, const Tensor& b);
Tensor le(const Tensor& a, const Tensor& b);

// ---- pointwise, unary ----
Tensor neg(const Tensor& x);
Tensor exp(const Tensor& x);
Tensor log(const Tensor& x);
Tensor sqrt(const Tensor& x);   // gradient at 0 is +inf as in PyTorch
Tensor abs(const Tensor& x);    // subgradient 0 at 0 (PyTorch: sign(0) = 0)
Tensor sign(const Tensor& x);
Tensor sin(const Tensor& x);
Tensor cos(const Tensor& x);
Tensor erf(const Tensor& x);
Tensor clamp(const Tensor& x, std::optional<double> min, std::optional<double> max);
Tensor relu(const Tensor& x);   // subgradient 0 at 0, as PyTorch
Tensor leaky_relu(const Tensor& x, double negative_slope = 0.01);
Tensor sigmoid(const Tensor& x);
Tensor tanh(const Tensor& x);
Tensor gelu(const Tensor& x);   // exact (erf) form, PyTorch's default
// log(1 + exp(beta x)) / beta; x itself where beta x > threshold (torch.nn.functional.softplus)
Tensor softplus(const Tensor& x, double beta = 1.0, double threshold = 20.0);
Tensor softmax(const Tensor& x, std::int64_t dim);
Tensor log_softmax(const Tensor& x, std::int64_t dim);

// ---- reductions (dims may be negative; empty dims = all) ----
Tensor sum(const Tensor& x);
Tensor sum(const Tensor& x, const std::vector<std::int64_t>& dims, bool keepdim = false);
Tensor mean(const Tensor& x);
Tensor mean(const Tensor& x, const std::vector<std::int64_t>& dims, bool keepdim = false);
Tensor var(const Tensor& x, const std::vector<std::int64_t>& dims, double correction = 1.0, bool keepdim = false);
Tensor var(const Tensor& x);  // all elements, unbiased
Tensor max(const Tensor& x);  // gradient shared evenly among ties, as PyTorch
Tensor min(const Tensor& x);
std::tuple<Tensor, Tensor> max(const Tensor& x, std::int64_t dim, bool keepdim = false);  // values, indices (first)
std::tuple<Tensor, Tensor> min(const Tensor& x, std::int64_t dim, bool keepdim = false);
Tensor argmax(const Tensor& x, std::int64_t dim, bool keepdim = false);
Tensor argmin(const Tensor& x, std::int64_t dim, bool keepdim = false);
// Sums `x` down to `shape` (the inverse of broadcasting).
Tensor sum_to(const Tensor& x, const Shape& shape);

// ---- linear algebra (oneDNN) ----
Tensor matmul(const Tensor& a, const Tensor& b);  // 1-D, 2-D and batched with broadcast batch dims

// [B, n, m] x [B, m, p] -> [B, n, p]: torch.bmm (same batch size and dtype, no broadcasting).
Tensor bmm(const Tensor& a, const Tensor& b);

// ---- masks (sequence models, attention) ----
// x with `value` where mask is nonzero; mask broadcasts to x's shape (torch.Tensor.masked_fill).
Tensor masked_fill(const Tensor& x, const Tensor& mask, double value);
// The lower (upper) triangle of the last two dims: elements with column - row <= diagonal (>= diagonal)
// kept, the rest 0 (torch.tril / torch.triu).
Tensor tril(const Tensor& x, std::int64_t diagonal = 0);
Tensor triu(const Tensor& x, std::int64_t diagonal = 0);

// ---- joining and indexing ----
Tensor cat(const std::vector<Tensor>& tensors, std::int64_t dim = 0);
Tensor stack(const std::vector<Tensor>& tensors, std::int64_t dim = 0);
// The slices of x along dim, as views (torch.unbind): one backward for all of them, a stack of their
// gradients (zeros for slices that got none), where a select per slice would add T full-size gradients.
std::vector<Tensor> unbind(const Tensor& x, std::int64_t dim = 0);
Tensor index_select(const Tensor& x, std::int64_t dim, const Tensor& index);
Tensor index_add(const Tensor& x, std::int64_t dim, const Tensor& index, const Tensor& source);
Tensor gather(const Tensor& x, std::int64_t dim, const Tensor& index);
Tensor scatter_add(const Tensor& x, std::int64_t dim, const Tensor& index, const Tensor& src);
Tensor one_hot(const Tensor& indices, std::int64_t num_classes = -1);  // I64 in, I64 out
// Places `grad` into zeros of `input_shape` at slice(dim, start, end, step): slice's backward.
Tensor slice_backward(const Tensor& grad, const Shape& input_shape, std::int64_t dim, std::int64_t start,
                      std::int64_t end, std::int64_t step);

// ---- operators ----
Tensor operator+(const Tensor& a, const Tensor& b);
Tensor operator-(const Tensor& a, const Tensor& b);
Tensor operator*(const Tensor& a, const Tensor& b);
Tensor operator/(const Tensor& a, const Tensor& b);
Tensor operator-(const Tensor& a);
Tensor operator+(const Tensor& a, double b);
Tensor operator-(const Tensor& a, double b);
Tensor operator*(const Tensor& a, double b);
Tensor operator/(const Tensor& a, double b);
Tensor operator+(double a, const Tensor& b);
Tensor operator-(double a, const Tensor& b);
Tensor operator*(double a, const Tensor& b);
Tensor operator/(double a, const Tensor& b);

// A 0-d tensor holding `v` in `like`'s dtype and device: how scalars enter binary ops.
Tensor scalar_like(double v, const Tensor& like);

}  // namespace neura
