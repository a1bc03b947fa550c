// Tensor's op methods (x.sum(), x.relu(), x.matmul(y)): each forwards to the function of the same name,
// which holds the formula, its backward and its checks.
#include "neura/core/Tensor.h"
#include "neura/ops/Ops.h"

namespace neura {

Tensor Tensor::sum() const { return neura::sum(*this); }
Tensor Tensor::sum(const std::vector<std::int64_t>& dims, bool keepdim) const { return neura::sum(*this, dims, keepdim); }
Tensor Tensor::mean() const { return neura::mean(*this); }
Tensor Tensor::mean(const std::vector<std::int64_t>& dims, bool keepdim) const { return neura::mean(*this, dims, keepdim); }
Tensor Tensor::var(const std::vector<std::int64_t>& dims, double correction, bool keepdim) const {
    return neura::var(*this, dims, correction, keepdim);
}
Tensor Tensor::max() const { return neura::max(*this); }
Tensor Tensor::min() const { return neura::min(*this); }
Tensor Tensor::argmax(std::int64_t dim, bool keepdim) const { return neura::argmax(*this, dim, keepdim); }
Tensor Tensor::argmin(std::int64_t dim, bool keepdim) const { return neura::argmin(*this, dim, keepdim); }
Tensor Tensor::neg() const { return neura::neg(*this); }
Tensor Tensor::abs() const { return neura::abs(*this); }
Tensor Tensor::sign() const { return neura::sign(*this); }
Tensor Tensor::exp() const { return neura::exp(*this); }
Tensor Tensor::log() const { return neura::log(*this); }
Tensor Tensor::sqrt() const { return neura::sqrt(*this); }
Tensor Tensor::sin() const { return neura::sin(*this); }
Tensor Tensor::cos() const { return neura::cos(*this); }
Tensor Tensor::erf() const { return neura::erf(*this); }
Tensor Tensor::tanh() const { return neura::tanh(*this); }
Tensor Tensor::sigmoid() const { return neura::sigmoid(*this); }
Tensor Tensor::relu() const { return neura::relu(*this); }
Tensor Tensor::pow(double exponent) const { return neura::pow(*this, exponent); }
Tensor Tensor::pow(const Tensor& exponent) const { return neura::pow(*this, exponent); }
Tensor Tensor::clamp(std::optional<double> min, std::optional<double> max) const { return neura::clamp(*this, min, max); }
Tensor Tensor::softmax(std::int64_t dim) const { return neura::softmax(*this, dim); }
Tensor Tensor::log_softmax(std::int64_t dim) const { return neura::log_softmax(*this, dim); }
Tensor Tensor::add(const Tensor& other, double alpha) const { return neura::add(*this, other, alpha); }
Tensor Tensor::sub(const Tensor& other, double alpha) const { return neura::sub(*this, other, alpha); }
Tensor Tensor::mul(const Tensor& other) const { return neura::mul(*this, other); }
Tensor Tensor::div(const Tensor& other) const { return neura::div(*this, other); }
Tensor Tensor::matmul(const Tensor& other) const { return neura::matmul(*this, other); }
Tensor Tensor::masked_fill(const Tensor& mask, double value) const { return neura::masked_fill(*this, mask, value); }
Tensor Tensor::tril(std::int64_t diagonal) const { return neura::tril(*this, diagonal); }
Tensor Tensor::triu(std::int64_t diagonal) const { return neura::triu(*this, diagonal); }
Tensor Tensor::index_select(std::int64_t dim, const Tensor& index) const { return neura::index_select(*this, dim, index); }
Tensor Tensor::gather(std::int64_t dim, const Tensor& index) const { return neura::gather(*this, dim, index); }
Tensor Tensor::sum_to_size(const Shape& shape) const { return neura::sum_to(*this, shape); }

}  // namespace neura
