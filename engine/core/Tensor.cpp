#include "neura/core/Tensor.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <iomanip>
#include <numeric>
#include <ostream>
#include <sstream>

#include "backend/cpu/Loops.h"
#include "neura/autograd/Autograd.h"
#include "ops/Internal.h"

namespace neura {

using autograd::Grads;
using autograd::record;

TensorImpl::TensorImpl(Storage s, Shape sz, Shape st, std::int64_t off, DType dt)
    : storage(std::move(s)), sizes(std::move(sz)), strides(std::move(st)), offset(off), dtype(dt) {}
TensorImpl::~TensorImpl() = default;

// ---------------------------------------------------------------- creation
Tensor Tensor::empty(const Shape& shape, DType dtype, Device device) {
    for (auto d : shape) NEURA_CHECK(d >= 0, "empty: negative size in shape ", shape_str(shape));
    std::int64_t nbytes = 0;
    NEURA_CHECK(!__builtin_mul_overflow(shape_numel(shape), static_cast<std::int64_t>(element_size(dtype)), &nbytes),
                "empty: a tensor of shape ", shape_str(shape), " needs more bytes than a 64-bit size holds");
    auto storage = std::make_shared<StorageImpl>(static_cast<std::size_t>(nbytes), device);
    return Tensor(std::make_shared<TensorImpl>(std::move(storage), shape, contiguous_strides(shape), 0, dtype));
}

Tensor Tensor::full(const Shape& shape, double value, DType dtype, Device device) {
    Tensor t = empty(shape, dtype, device);
    t.fill_(value);
    return t;
}
Tensor Tensor::zeros(const Shape& shape, DType dtype, Device device) { return full(shape, 0.0, dtype, device); }
Tensor Tensor::ones(const Shape& shape, DType dtype, Device device) { return full(shape, 1.0, dtype, device); }
Tensor Tensor::scalar(double value, DType dtype) { return full({}, value, dtype); }
Tensor Tensor::zeros_like(const Tensor& t) { return zeros(t.shape(), t.dtype(), t.device()); }
Tensor Tensor::ones_like(const Tensor& t) { return ones(t.shape(), t.dtype(), t.device()); }

template <class T>
Tensor Tensor::from_vector(const std::vector<T>& values, const Shape& shape, DType dtype) {
    NEURA_CHECK(static_cast<std::int64_t>(values.size()) == shape_numel(shape), "from_vector: ", values.size(),
                " values do not fill shape ", shape_str(shape), " (", shape_numel(shape), " elements)");
    Tensor t = empty(shape, dtype);
    visit_dtype(dtype, [&](auto tag) {
        using D = decltype(tag);
        D* out = t.data<D>();
        for (std::size_t i = 0; i < values.size(); ++i) out[i] = static_cast<D>(values[i]);
    });
    return t;
}
template Tensor Tensor::from_vector(const std::vector<float>&, const Shape&, DType);
template Tensor Tensor::from_vector(const std::vector<double>&, const Shape&, DType);
template Tensor Tensor::from_vector(const std::vector<std::int64_t>&, const Shape&, DType);
template Tensor Tensor::from_vector(const std::vector<int>&, const Shape&, DType);

Tensor Tensor::arange(double start, double end, double step, DType dtype) {
    NEURA_CHECK(step != 0.0, "arange: step must be nonzero");
    NEURA_CHECK((end - start) / step >= 0, "arange: range [", start, ", ", end, ") is empty for step ", step);
    const auto n = static_cast<std::int64_t>(std::ceil((end - start) / step));
    Tensor t = empty({n}, dtype);
    visit_dtype(dtype, [&](auto tag) {
        using D = decltype(tag);
        D* out = t.data<D>();
        for (std::int64_t i = 0; i < n; ++i) out[i] = static_cast<D>(start + static_cast<double>(i) * step);
    });
    return t;
}
Tensor Tensor::arange(std::int64_t end, DType dtype) { return arange(0.0, static_cast<double>(end), 1.0, dtype); }

Tensor Tensor::linspace(double start, double end, std::int64_t steps, DType dtype) {
    NEURA_CHECK(steps >= 0, "linspace: steps must be non-negative, got ", steps);
    Tensor t = empty({steps}, dtype);
    const double step = steps > 1 ? (end - start) / static_cast<double>(steps - 1) : 0.0;
    visit_dtype(dtype, [&](auto tag) {
        using D = decltype(tag);
        D* out = t.data<D>();
        // Symmetric fill, as PyTorch does, so the last value is exactly `end`.
        const std::int64_t half = steps / 2;
        for (std::int64_t i = 0; i < steps; ++i)
            out[i] = static_cast<D>(i < half ? start + step * static_cast<double>(i)
                                             : end - step * static_cast<double>(steps - 1 - i));
    });
    return t;
}

Tensor Tensor::eye(std::int64_t n, DType dtype) {
    Tensor t = zeros({n, n}, dtype);
    visit_dtype(dtype, [&](auto tag) {
        using D = decltype(tag);
        D* out = t.data<D>();
        for (std::int64_t i = 0; i < n; ++i) out[i * n + i] = D(1);
    });
    return t;
}

namespace {
template <class Draw>
Tensor random_fill(const Shape& shape, DType dtype, Draw&& draw) {
    Tensor t = Tensor::empty(shape, dtype);
    visit_dtype(dtype, [&](auto tag) {
        using D = decltype(tag);
        D* out = t.data<D>();
        for (std::int64_t i = 0, n = t.numel(); i < n; ++i) out[i] = static_cast<D>(draw());
    });
    return t;
}
}  // namespace

Tensor Tensor::rand(const Shape& shape, DType dtype, Generator* gen) {
    Generator& g = gen ? *gen : default_generator();
    return random_fill(shape, dtype, [&] { return g.uniform(); });
}
Tensor Tensor::uniform(const Shape& shape, double low, double high, DType dtype, Generator* gen) {
    Generator& g = gen ? *gen : default_generator();
    return random_fill(shape, dtype, [&] { return low + (high - low) * g.uniform(); });
}
Tensor Tensor::randn(const Shape& shape, DType dtype, Generator* gen) {
    Generator& g = gen ? *gen : default_generator();
    return random_fill(shape, dtype, [&] { return g.normal(); });
}
Tensor Tensor::randint(std::int64_t low, std::int64_t high, const Shape& shape, Generator* gen) {
    NEURA_CHECK(low < high, "randint: low (", low, ") must be below high (", high, ")");
    Generator& g = gen ? *gen : default_generator();
    return random_fill(shape, DType::I64, [&] { return g.randint(low, high); });
}

// ---------------------------------------------------------------- metadata
std::int64_t Tensor::size(std::int64_t d) const { return shape()[wrap_dim(d, dim(), "size")]; }
std::int64_t Tensor::stride(std::int64_t d) const { return strides()[wrap_dim(d, dim(), "stride")]; }
std::int64_t Tensor::numel() const { return shape_numel(shape()); }

bool Tensor::is_contiguous() const {
    if (numel() == 0) return true;  // no element to be out of place (as PyTorch: an empty tensor can always be viewed)
    std::int64_t expected = 1;
    for (std::size_t i = shape().size(); i-- > 0;) {
        if (shape()[i] == 1) continue;
        if (strides()[i] != expected) return false;
        expected *= shape()[i];
    }
    return true;
}

void* Tensor::raw_data() const {
    return static_cast<char*>(storage()->data()) + offset() * static_cast<std::int64_t>(element_size(dtype()));
}

template <class T>
T* Tensor::data() const {
    NEURA_CHECK_TYPE(dtype() == dtype_of<T>::value, "data<", dtype_name(dtype_of<T>::value), ">() on a ",
                dtype_name(dtype()), " tensor");
    return static_cast<T*>(raw_data());
}
template float* Tensor::data<float>() const;
template double* Tensor::data<double>() const;
template std::int64_t* Tensor::data<std::int64_t>() const;

namespace {
double element_as_double(const Tensor& t, std::int64_t elem_offset) {
    return visit_dtype(t.dtype(), [&](auto tag) {
        using D = decltype(tag);
        return static_cast<double>(static_cast<const D*>(t.storage()->data())[elem_offset]);
    });
}
}  // namespace

template <class T>
T Tensor::item() const {
    NEURA_CHECK_SHAPE(numel() == 1, "item(): the tensor has ", numel(), " elements (shape ", shape_str(shape()),
                "), expected exactly one");
    Tensor c = device().type == DeviceType::CPU ? *this : to(Device::cpu());
    return static_cast<T>(element_as_double(c, c.offset()));
}

template <class T>
T Tensor::at(std::initializer_list<std::int64_t> index) const {
    NEURA_CHECK_SHAPE(static_cast<std::int64_t>(index.size()) == dim(), "at(): ", index.size(), " indices for a ", dim(),
                "-d tensor of shape ", shape_str(shape()));
    Tensor c = device().type == DeviceType::CPU ? *this : to(Device::cpu());
    std::int64_t off = c.offset();
    std::size_t d = 0;
    for (auto i : index) {
        const std::int64_t n = shape()[d];
        NEURA_CHECK(i >= -n && i < n, "at(): index ", i, " is out of range for dimension ", d, " of size ", n);
        off += (i < 0 ? i + n : i) * strides()[d];
        ++d;
    }
    return static_cast<T>(element_as_double(c, off));
}

template <class T>
std::vector<T> Tensor::to_vector() const {
    Tensor c = contiguous();
    if (c.device().type != DeviceType::CPU) c = c.to(Device::cpu());
    std::vector<T> out(static_cast<std::size_t>(c.numel()));
    visit_dtype(c.dtype(), [&](auto tag) {
        using D = decltype(tag);
        const D* p = c.data<D>();
        for (std::size_t i = 0; i < out.size(); ++i) out[i] = static_cast<T>(p[i]);
    });
    return out;
}

#define NEURA_INSTANTIATE_ACCESS(T)                                           \
    template T Tensor::item<T>() const;                                       \
    template T Tensor::at<T>(std::initializer_list<std::int64_t>) const;      \
    template std::vector<T> Tensor::to_vector<T>() const;
NEURA_INSTANTIATE_ACCESS(float)
NEURA_INSTANTIATE_ACCESS(double)
NEURA_INSTANTIATE_ACCESS(std::int64_t)
NEURA_INSTANTIATE_ACCESS(int)
#undef NEURA_INSTANTIATE_ACCESS

// ---------------------------------------------------------------- views
namespace detail {

Tensor make_view(const Tensor& base, Shape sizes, Shape strides, std::int64_t offset) {
    return Tensor(std::make_shared<TensorImpl>(base.storage(), std::move(sizes), std::move(strides), offset,
                                               base.dtype()));
}

Tensor broadcast_view(const Tensor& t, const Shape& shape) {
    if (t.shape() == shape) return t;
    const std::size_t n = shape.size();
    NEURA_CHECK_SHAPE(t.dim() <= static_cast<std::int64_t>(n), "expand: cannot expand shape ", shape_str(t.shape()),
                " to ", shape_str(shape), " (fewer dimensions)");
    Shape strides(n, 0);
    const std::size_t lead = n - t.shape().size();
    for (std::size_t i = 0; i < t.shape().size(); ++i) {
        const std::int64_t s = t.shape()[i];
        NEURA_CHECK_SHAPE(s == shape[lead + i] || s == 1, "expand: the size ", s, " at dimension ", i, " of ",
                    shape_str(t.shape()), " must be 1 or match ", shape[lead + i], " of the target ",
                    shape_str(shape));
        strides[lead + i] = s == 1 && shape[lead + i] != 1 ? 0 : t.strides()[i];
    }
    return make_view(t, shape, strides, t.offset());
}

void check_inplace(const Tensor& t, const char* op) {
    if (!GradMode::is_enabled()) return;
    NEURA_CHECK(!t.requires_grad(), op, ": in-place operation on a tensor that requires grad (shape ",
                shape_str(t.shape()), ") while recording gradients; use the out-of-place op, or do it under "
                "NoGradGuard / on detach()");
}

void copy_into(const Tensor& dst, const Tensor& src) {
    Tensor s = src;
    if (s.device() != dst.device()) {  // copy_ between devices: an explicit transfer, then the strided copy
        NoGradGuard ng;
        s = s.to(dst.device());
    }
    kCopy(dst.device())(dst, broadcast_view(s, dst.shape()));
}

Tensor to_floating(const Tensor& t) { return is_floating(t.dtype()) ? t : t.to(DType::F32); }

}  // namespace detail

using detail::make_view;

Tensor Tensor::view(const Shape& shape_in) const {
    // Resolve a -1.
    Shape shape = shape_in;
    std::int64_t known = 1, infer = -1;
    for (std::size_t i = 0; i < shape.size(); ++i) {
        if (shape[i] == -1) {
            NEURA_CHECK(infer < 0, "view: only one dimension can be -1 in ", shape_str(shape_in));
            infer = static_cast<std::int64_t>(i);
        } else {
            NEURA_CHECK(shape[i] >= 0, "view: bad size ", shape[i], " in ", shape_str(shape_in));
            known *= shape[i];
        }
    }
    if (infer >= 0) {
        NEURA_CHECK_SHAPE(known != 0 && numel() % known == 0, "view: shape ", shape_str(shape_in),
                    " is invalid for a tensor of ", numel(), " elements");
        shape[infer] = numel() / known;
    }
    NEURA_CHECK_SHAPE(shape_numel(shape) == numel(), "view: shape ", shape_str(shape_in), " is invalid for a tensor of ",
                numel(), " elements (shape ", shape_str(this->shape()), ")");
    NEURA_CHECK_SHAPE(is_contiguous(), "view: the tensor of shape ", shape_str(this->shape()),
                " is not contiguous; use reshape() (which copies) or contiguous() first");
    Tensor out = make_view(*this, shape, contiguous_strides(shape), offset());
    if (auto n = record("ViewBackward", {*this}, {out})) {
        n->backward = [in_shape = this->shape()](const auto&, const Grads& g) { return Grads{g[0].reshape(in_shape)}; };
    }
    return out;
}

Tensor Tensor::reshape(const Shape& shape) const {
    if (is_contiguous()) return view(shape);
    return contiguous().view(shape);
}

Tensor Tensor::transpose(std::int64_t d0, std::int64_t d1) const {
    const int a = wrap_dim(d0, dim(), "transpose"), b = wrap_dim(d1, dim(), "transpose");
    if (dim() == 0) return *this;
    Shape sizes = shape(), st = strides();
    std::swap(sizes[a], sizes[b]);
    std::swap(st[a], st[b]);
    Tensor out = make_view(*this, sizes, st, offset());
    if (auto n = record("TransposeBackward", {*this}, {out})) {
        n->backward = [a, b](const auto&, const Grads& g) { return Grads{g[0].transpose(a, b)}; };
    }
    return out;
}

Tensor Tensor::t() const {
    NEURA_CHECK_SHAPE(dim() <= 2, "t(): expects a tensor with at most 2 dimensions, got shape ", shape_str(shape()));
    return dim() < 2 ? *this : transpose(0, 1);
}

Tensor Tensor::permute(const std::vector<std::int64_t>& dims) const {
    NEURA_CHECK_SHAPE(static_cast<std::int64_t>(dims.size()) == dim(), "permute: ", dims.size(),
                " dims given for a tensor of shape ", shape_str(shape()));
    std::vector<std::int64_t> wrapped(dims.size()), inverse(dims.size());
    std::vector<bool> seen(dims.size(), false);
    Shape sizes(dims.size()), st(dims.size());
    for (std::size_t i = 0; i < dims.size(); ++i) {
        const int d = wrap_dim(dims[i], dim(), "permute");
        NEURA_CHECK(!seen[d], "permute: dimension ", d, " appears twice");
        seen[d] = true;
        wrapped[i] = d;
        inverse[d] = static_cast<std::int64_t>(i);
        sizes[i] = shape()[d];
        st[i] = strides()[d];
    }
    Tensor out = make_view(*this, sizes, st, offset());
    if (auto n = record("PermuteBackward", {*this}, {out})) {
        n->backward = [inverse](const auto&, const Grads& g) { return Grads{g[0].permute(inverse)}; };
    }
    return out;
}

Tensor Tensor::slice(std::int64_t dim_in, std::int64_t start, std::int64_t end, std::int64_t step) const {
    const int d = wrap_dim(dim_in, dim(), "slice");
    NEURA_CHECK(step > 0, "slice: step must be positive, got ", step);
    NEURA_CHECK(dim() > 0, "slice: cannot slice a 0-d tensor");
    const std::int64_t n = shape()[d];
    if (start < 0) start += n;
    if (end < 0) end += n;
    start = std::clamp<std::int64_t>(start, 0, n);
    end = std::clamp<std::int64_t>(end, start, n);
    Shape sizes = shape(), st = strides();
    sizes[d] = (end - start + step - 1) / step;
    st[d] *= step;
    Tensor out = make_view(*this, sizes, st, offset() + start * strides()[d]);
    if (auto node = record("SliceBackward", {*this}, {out})) {
        node->backward = [in_shape = shape(), d, start, end, step](const auto&, const Grads& g) {
            return Grads{slice_backward(g[0], in_shape, d, start, end, step)};
        };
    }
    return out;
}

Tensor Tensor::narrow(std::int64_t dim_in, std::int64_t start, std::int64_t length) const {
    const int d = wrap_dim(dim_in, dim(), "narrow");
    const std::int64_t n = shape()[d];
    if (start < 0) start += n;
    NEURA_CHECK(start >= 0 && length >= 0 && start + length <= n, "narrow: start ", start, " + length ", length,
                " exceeds dimension ", d, " of size ", n);
    return slice(d, start, start + length, 1);
}

Tensor Tensor::select(std::int64_t dim_in, std::int64_t index) const {
    const int d = wrap_dim(dim_in, dim(), "select");
    const std::int64_t n = shape()[d];
    NEURA_CHECK(index >= -n && index < n, "select: index ", index, " is out of range for dimension ", d,
                " of size ", n);
    if (index < 0) index += n;
    Shape sizes = shape(), st = strides();
    sizes.erase(sizes.begin() + d);
    st.erase(st.begin() + d);
    Tensor out = make_view(*this, sizes, st, offset() + index * strides()[d]);
    if (auto node = record("SelectBackward", {*this}, {out})) {
        node->backward = [in_shape = shape(), d, index](const auto&, const Grads& g) {
            return Grads{slice_backward(g[0].unsqueeze(d), in_shape, d, index, index + 1, 1)};
        };
    }
    return out;
}

Tensor Tensor::expand(const Shape& shape_in) const {
    Shape target = shape_in;
    const std::size_t lead = target.size() - std::min(target.size(), shape().size());
    for (std::size_t i = 0; i < target.size(); ++i) {
        if (target[i] == -1) {
            NEURA_CHECK(i >= lead, "expand: -1 is not allowed for a new leading dimension in ", shape_str(shape_in));
            target[i] = shape()[i - lead];
        }
    }
    Tensor out = detail::broadcast_view(*this, target);
    if (out.is_same(*this)) out = make_view(*this, shape(), strides(), offset());
    if (auto n = record("ExpandBackward", {*this}, {out})) {
        n->backward = [in_shape = shape()](const auto&, const Grads& g) { return Grads{sum_to(g[0], in_shape)}; };
    }
    return out;
}

Tensor Tensor::squeeze() const {
    Shape sizes;
    for (auto s : shape())
        if (s != 1) sizes.push_back(s);
    return reshape(sizes);
}

Tensor Tensor::squeeze(std::int64_t dim_in) const {
    if (dim() == 0) return *this;
    const int d = wrap_dim(dim_in, dim(), "squeeze");
    if (shape()[d] != 1) return *this;
    Shape sizes = shape(), st = strides();
    sizes.erase(sizes.begin() + d);
    st.erase(st.begin() + d);
    Tensor out = make_view(*this, sizes, st, offset());
    if (auto n = record("SqueezeBackward", {*this}, {out})) {
        n->backward = [d](const auto&, const Grads& g) { return Grads{g[0].unsqueeze(d)}; };
    }
    return out;
}

Tensor Tensor::unsqueeze(std::int64_t dim_in) const {
    const int d = wrap_dim(dim_in, dim() + 1, "unsqueeze");
    Shape sizes = shape(), st = strides();
    const std::int64_t new_stride = d < dim() ? strides()[d] * shape()[d] : 1;
    sizes.insert(sizes.begin() + d, 1);
    st.insert(st.begin() + d, new_stride);
    Tensor out = make_view(*this, sizes, st, offset());
    if (auto n = record("UnsqueezeBackward", {*this}, {out})) {
        n->backward = [d](const auto&, const Grads& g) { return Grads{g[0].squeeze(d)}; };
    }
    return out;
}

Tensor Tensor::flatten(std::int64_t start_dim, std::int64_t end_dim) const {
    if (dim() == 0) return reshape({1});
    const int s = wrap_dim(start_dim, dim(), "flatten"), e = wrap_dim(end_dim, dim(), "flatten");
    NEURA_CHECK(s <= e, "flatten: start_dim ", start_dim, " comes after end_dim ", end_dim);
    Shape sizes(shape().begin(), shape().begin() + s);
    std::int64_t merged = 1;
    for (int i = s; i <= e; ++i) merged *= shape()[i];
    sizes.push_back(merged);
    sizes.insert(sizes.end(), shape().begin() + e + 1, shape().end());
    return reshape(sizes);
}

// ---------------------------------------------------------------- copies
Tensor Tensor::contiguous() const {
    if (is_contiguous()) return *this;
    return clone();
}

Tensor Tensor::clone() const {
    Tensor out = empty(shape(), dtype(), device());
    detail::copy_into(out, *this);
    if (auto n = record("CloneBackward", {*this}, {out})) {
        n->backward = [](const auto&, const Grads& g) { return Grads{g[0]}; };
    }
    return out;
}

Tensor Tensor::detach() const { return make_view(*this, shape(), strides(), offset()); }

Tensor Tensor::to(DType target) const {
    if (target == dtype()) return *this;
    Tensor out = empty(shape(), target, device());
    detail::copy_into(out, *this);
    if (is_floating(target)) {
        if (auto n = record("ToCopyBackward", {*this}, {out})) {
            n->backward = [from = dtype()](const auto&, const Grads& g) { return Grads{g[0].to(from)}; };
        }
    }
    return out;
}

Tensor Tensor::to(Device target) const {
    if (target == device()) return *this;
    check_device(target);  // "device cuda:0 is not available: <why>"
    const Tensor src = contiguous();
    Tensor out = empty(shape(), dtype(), target);
    // The device side of the pair does the transfer (the CPU column of this slot is empty).
    if (out.numel() > 0)
        detail::kDeviceCopy(target.type != DeviceType::CPU ? target : device())({.dst = out, .src = src});
    if (is_floating(dtype())) {
        if (auto n = record("ToDeviceBackward", {*this}, {out})) {
            n->backward = [from = device()](const auto&, const Grads& g) { return Grads{g[0].to(from)}; };
        }
    }
    return out;
}

// ---------------------------------------------------------------- in-place
Tensor& Tensor::copy_(const Tensor& src) {
    detail::check_inplace(*this, "copy_");
    detail::copy_into(*this, src);
    storage()->bump_version();
    return *this;
}

Tensor& Tensor::fill_(double value) {
    detail::check_inplace(*this, "fill_");
    if (numel() > 0) detail::kFill(device())(*this, value);
    storage()->bump_version();
    return *this;
}

Tensor& Tensor::zero_() { return fill_(0.0); }

namespace {
Tensor& assign_result(Tensor& self, const Tensor& value, const char* op) {
    detail::check_inplace(self, op);
    NEURA_CHECK(value.shape() == self.shape(), op, ": the result has shape ", shape_str(value.shape()),
                " but the tensor written to has shape ", shape_str(self.shape()));
    detail::copy_into(self, value);
    self.storage()->bump_version();
    return self;
}
}  // namespace

Tensor& Tensor::add_(const Tensor& other, double alpha) {
    detail::check_inplace(*this, "add_");
    NoGradGuard g;
    return assign_result(*this, neura::add(*this, other, alpha), "add_");
}
Tensor& Tensor::add_(double value) {
    detail::check_inplace(*this, "add_");
    NoGradGuard g;
    return assign_result(*this, *this + value, "add_");
}
Tensor& Tensor::sub_(const Tensor& other) {
    detail::check_inplace(*this, "sub_");
    NoGradGuard g;
    return assign_result(*this, *this - other, "sub_");
}
Tensor& Tensor::mul_(const Tensor& other) {
    detail::check_inplace(*this, "mul_");
    NoGradGuard g;
    return assign_result(*this, *this * other, "mul_");
}
Tensor& Tensor::mul_(double value) {
    detail::check_inplace(*this, "mul_");
    NoGradGuard g;
    return assign_result(*this, *this * value, "mul_");
}
Tensor& Tensor::div_(double value) {
    detail::check_inplace(*this, "div_");
    NoGradGuard g;
    return assign_result(*this, *this / value, "div_");
}

// ---------------------------------------------------------------- autograd accessors
bool Tensor::requires_grad() const {
    const auto& m = impl().autograd;
    return m && m->requires_grad;
}

Tensor& Tensor::requires_grad_(bool on) {
    NEURA_CHECK_TYPE(!on || is_floating(dtype()), "requires_grad_: only floating-point tensors can require gradients; "
                                             "this one is ", dtype_name(dtype()));
    auto& m = impl().autograd;
    NEURA_CHECK(on || !m || !m->grad_fn, "requires_grad_(false) on a non-leaf tensor; use detach()");
    if (!m) m = std::make_unique<AutogradMeta>();
    m->requires_grad = on;
    return *this;
}

bool Tensor::is_leaf() const {
    const auto& m = impl().autograd;
    return !m || !m->grad_fn;
}

Tensor Tensor::grad() const {
    const auto& m = impl().autograd;
    return m ? m->grad : Tensor();
}

void Tensor::set_grad(const Tensor& g) {
    auto& m = impl().autograd;
    if (!m) m = std::make_unique<AutogradMeta>();
    m->grad = g;
}

void Tensor::zero_grad() {
    auto& m = impl().autograd;
    if (m) m->grad = Tensor();
}

const std::shared_ptr<GradNode>& Tensor::grad_fn() const {
    static const std::shared_ptr<GradNode> none;
    const auto& m = impl().autograd;
    return m ? m->grad_fn : none;
}

std::uint32_t Tensor::output_nr() const {
    const auto& m = impl().autograd;
    return m ? m->output_nr : 0;
}

void Tensor::backward(const Tensor& gradient, bool retain_graph, bool create_graph) const {
    autograd::backward({*this}, gradient.defined() ? std::vector<Tensor>{gradient} : std::vector<Tensor>{},
                       retain_graph, create_graph);
}

void Tensor::retain_grad() {
    NEURA_CHECK(requires_grad(), "retain_grad() on a tensor that does not require grad");
    auto& m = impl().autograd;
    if (!m->grad_fn || m->retains_grad) return;
    m->retains_grad = true;
    m->grad_fn->retained_outputs.emplace_back(m->output_nr, impl_ptr());
}

// ---------------------------------------------------------------- printing
std::ostream& operator<<(std::ostream& os, const Tensor& t) {
    if (!t.defined()) return os << "Tensor(undefined)";
    const auto values = t.to_vector<double>();
    const Shape& shape = t.shape();
    std::ostringstream body;
    body << std::setprecision(t.dtype() == DType::F64 ? 8 : 5);
    // Nested brackets, eliding the middle of long dims as PyTorch does.
    std::function<void(std::size_t, std::int64_t)> print = [&](std::size_t d, std::int64_t base) {
        if (d == shape.size()) {
            body << values[static_cast<std::size_t>(base)];
            return;
        }
        const std::int64_t n = shape[d];
        const std::int64_t inner = shape_numel(Shape(shape.begin() + static_cast<long>(d) + 1, shape.end()));
        body << '[';
        for (std::int64_t i = 0; i < n; ++i) {
            if (n > 8 && i == 3) {
                body << "..., ";
                i = n - 3;
            }
            print(d + 1, base + i * inner);
            if (i + 1 < n) body << (d + 1 == shape.size() ? ", " : ",\n ");
        }
        body << ']';
    };
    print(0, 0);
    os << "tensor(" << body.str() << ", shape=" << shape_str(shape) << ", dtype=" << dtype_name(t.dtype());
    if (t.device().type != DeviceType::CPU) os << ", device=" << t.device().str();
    if (t.grad_fn()) os << ", grad_fn=" << t.grad_fn()->name();
    else if (t.requires_grad()) os << ", requires_grad=true";
    return os << ')';
}

}  // namespace neura
