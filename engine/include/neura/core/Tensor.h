#pragma once
// Tensor: a shared handle to a strided view of a Storage, with optional autograd metadata.
// Names and semantics follow PyTorch's C++ frontend.
#include <cstdint>
#include <iosfwd>
#include <memory>
#include <optional>
#include <vector>

#include "neura/core/DType.h"
#include "neura/core/Device.h"
#include "neura/core/Error.h"
#include "neura/core/Generator.h"
#include "neura/core/Shape.h"
#include "neura/core/Storage.h"

namespace neura {

class GradNode;
class Tensor;
struct AutogradMeta;

class TensorImpl {
public:
    TensorImpl(Storage storage, Shape sizes, Shape strides, std::int64_t offset, DType dtype);
    ~TensorImpl();

    Storage storage;
    Shape sizes;
    Shape strides;
    std::int64_t offset = 0;  // in elements
    DType dtype = DType::F32;
    std::unique_ptr<AutogradMeta> autograd;  // null until requires_grad or grad_fn is set
};

class Tensor {
public:
    Tensor() = default;  // undefined tensor
    explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

    // ---- creation ----
    static Tensor empty(const Shape& shape, DType dtype = DType::F32, Device device = {});
    static Tensor zeros(const Shape& shape, DType dtype = DType::F32, Device device = {});
    static Tensor ones(const Shape& shape, DType dtype = DType::F32, Device device = {});
    static Tensor full(const Shape& shape, double value, DType dtype = DType::F32, Device device = {});
    static Tensor scalar(double value, DType dtype = DType::F32);  // 0-d tensor
    template <class T>
    static Tensor from_vector(const std::vector<T>& values, const Shape& shape, DType dtype = dtype_of<T>::value);
    static Tensor arange(double start, double end, double step = 1.0, DType dtype = DType::F32);
    static Tensor arange(std::int64_t end, DType dtype = DType::I64);
    static Tensor linspace(double start, double end, std::int64_t steps, DType dtype = DType::F32);
    static Tensor eye(std::int64_t n, DType dtype = DType::F32);
    static Tensor rand(const Shape& shape, DType dtype = DType::F32, Generator* gen = nullptr);   // U[0,1)
    static Tensor randn(const Shape& shape, DType dtype = DType::F32, Generator* gen = nullptr);  // N(0,1)
    static Tensor randint(std::int64_t low, std::int64_t high, const Shape& shape, Generator* gen = nullptr);
    static Tensor uniform(const Shape& shape, double low, double high, DType dtype = DType::F32, Generator* gen = nullptr);
    static Tensor zeros_like(const Tensor& t);
    static Tensor ones_like(const Tensor& t);

    // ---- metadata ----
    bool defined() const { return static_cast<bool>(impl_); }
    const Shape& shape() const { return impl().sizes; }
    const Shape& sizes() const { return impl().sizes; }
    const Shape& strides() const { return impl().strides; }
    std::int64_t dim() const { return static_cast<std::int64_t>(impl().sizes.size()); }
    std::int64_t size(std::int64_t d) const;
    std::int64_t stride(std::int64_t d) const;
    std::int64_t numel() const;
    std::int64_t offset() const { return impl().offset; }
    DType dtype() const { return impl().dtype; }
    Device device() const { return impl().storage->device(); }
    bool is_contiguous() const;
    const Storage& storage() const { return impl().storage; }
    void* raw_data() const;  // address of element 0 of this view
    template <class T> T* data() const;  // checks the dtype
    bool is_same(const Tensor& o) const { return impl_ == o.impl_; }
    TensorImpl* unsafe_impl() const { return impl_.get(); }
    const std::shared_ptr<TensorImpl>& impl_ptr() const { return impl_; }

    // ---- element access (synchronous, CPU) ----
    template <class T> T item() const;
    template <class T> T at(std::initializer_list<std::int64_t> index) const;
    template <class T> std::vector<T> to_vector() const;  // row-major, converted to T

    // ---- views: share storage; differentiable ----
    Tensor view(const Shape& shape) const;       // requires compatible strides
    Tensor reshape(const Shape& shape) const;    // a view when possible, otherwise a copy
    Tensor transpose(std::int64_t d0, std::int64_t d1) const;
    Tensor t() const;                            // transpose of a 2-D tensor
    Tensor permute(const std::vector<std::int64_t>& dims) const;
    Tensor slice(std::int64_t dim, std::int64_t start, std::int64_t end, std::int64_t step = 1) const;
    Tensor narrow(std::int64_t dim, std::int64_t start, std::int64_t length) const;
    Tensor select(std::int64_t dim, std::int64_t index) const;
    Tensor expand(const Shape& shape) const;     // -1 keeps a size
    Tensor expand_as(const Tensor& other) const { return expand(other.shape()); }
    Tensor squeeze() const;
    Tensor squeeze(std::int64_t dim) const;
    Tensor unsqueeze(std::int64_t dim) const;
    Tensor flatten(std::int64_t start_dim = 0, std::int64_t end_dim = -1) const;

    // ---- copies ----
    Tensor contiguous() const;  // itself when already contiguous
    Tensor clone() const;
    Tensor detach() const;      // shares storage, no autograd history
    Tensor to(DType dtype) const;
    Tensor to(Device device) const;

    // ---- in-place (bump the version counter; refused on tensors autograd tracks) ----
    Tensor& copy_(const Tensor& src);  // broadcasts src
    Tensor& fill_(double value);
    Tensor& zero_();
    Tensor& add_(const Tensor& other, double alpha = 1.0);
    Tensor& add_(double value);
    Tensor& sub_(const Tensor& other);
    Tensor& mul_(const Tensor& other);
    Tensor& mul_(double value);
    Tensor& div_(double value);

    // ---- ops as methods (PyTorch's C++ frontend has them too; each forwards to the function of the
    // same name in neura/ops/Ops.h, so a formula still lives in one place) ----
    Tensor sum() const;
    Tensor sum(const std::vector<std::int64_t>& dims, bool keepdim = false) const;
    Tensor mean() const;
    Tensor mean(const std::vector<std::int64_t>& dims, bool keepdim = false) const;
    Tensor var(const std::vector<std::int64_t>& dims, double correction = 1.0, bool keepdim = false) const;
    Tensor max() const;
    Tensor min() const;
    Tensor argmax(std::int64_t dim, bool keepdim = false) const;
    Tensor argmin(std::int64_t dim, bool keepdim = false) const;
    Tensor neg() const;
    Tensor abs() const;
    Tensor sign() const;
    Tensor exp() const;
    Tensor log() const;
    Tensor sqrt() const;
    Tensor sin() const;
    Tensor cos() const;
    Tensor erf() const;
    Tensor tanh() const;
    Tensor sigmoid() const;
    Tensor relu() const;
    Tensor pow(double exponent) const;
    Tensor pow(const Tensor& exponent) const;
    Tensor clamp(std::optional<double> min, std::optional<double> max) const;
    Tensor softmax(std::int64_t dim) const;
    Tensor log_softmax(std::int64_t dim) const;
    Tensor add(const Tensor& other, double alpha = 1.0) const;
    Tensor sub(const Tensor& other, double alpha = 1.0) const;
    Tensor mul(const Tensor& other) const;
    Tensor div(const Tensor& other) const;
    Tensor matmul(const Tensor& other) const;
    Tensor masked_fill(const Tensor& mask, double value) const;
    Tensor tril(std::int64_t diagonal = 0) const;
    Tensor triu(std::int64_t diagonal = 0) const;
    Tensor index_select(std::int64_t dim, const Tensor& index) const;
    Tensor gather(std::int64_t dim, const Tensor& index) const;
    Tensor sum_to_size(const Shape& shape) const;

    // ---- autograd ----
    bool requires_grad() const;
    Tensor& requires_grad_(bool on = true);
    bool is_leaf() const;
    Tensor grad() const;                 // undefined until a backward reaches this leaf
    void set_grad(const Tensor& g);
    void zero_grad();                    // drops the gradient
    const std::shared_ptr<GradNode>& grad_fn() const;
    std::uint32_t output_nr() const;
    std::uint32_t version() const { return impl().storage->version(); }
    void backward(const Tensor& gradient = {}, bool retain_graph = false, bool create_graph = false) const;
    void retain_grad();                  // keep .grad() on a non-leaf too

private:
    TensorImpl& impl() const {
        NEURA_CHECK(impl_, "operation on an undefined tensor");
        return *impl_;
    }
    std::shared_ptr<TensorImpl> impl_;
};

std::ostream& operator<<(std::ostream& os, const Tensor& t);

// from_vector is instantiated for float, double, std::int64_t and int.

}  // namespace neura
