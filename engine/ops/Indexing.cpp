// Joining and indexing: cat, stack, index_select/index_add, gather/scatter_add, one_hot, slice_backward.
#include <algorithm>
#include <cstring>

#include "backend/cpu/Loops.h"
#include "ops/Internal.h"

namespace neura {

using autograd::FunctionNode;
using autograd::Grads;
using autograd::record;

namespace {

Tensor check_index(const Tensor& index, const char* op) {
    NEURA_CHECK(index.defined() && index.dtype() == DType::I64, op, ": the index must be an int64 tensor, got ",
                index.defined() ? dtype_name(index.dtype()) : "undefined");
    return index.contiguous();
}

// [outer, dim, inner] view sizes of a contiguous tensor around dim d.
struct Split {
    std::int64_t outer = 1, size = 1, inner = 1;
};
Split split_at(const Shape& s, int d) {
    Split r;
    for (int i = 0; i < static_cast<int>(s.size()); ++i) {
        if (i < d) r.outer *= s[i];
        else if (i == d) r.size = s[i];
        else r.inner *= s[i];
    }
    return r;
}

// ---- kernels (contiguous operands) ----

void index_select_cpu(const Tensor& x, int dim, const Tensor& index, const Tensor& out) {
    const Split s = split_at(x.shape(), dim);
    const std::int64_t n = index.numel();
    const std::int64_t* idx = index.data<std::int64_t>();
    const std::size_t row = static_cast<std::size_t>(s.inner) * element_size(x.dtype());
    const char* src = static_cast<const char*>(x.raw_data());
    char* dst = static_cast<char*>(out.raw_data());
    for (std::int64_t o = 0; o < s.outer; ++o)
        for (std::int64_t i = 0; i < n; ++i)
            std::memcpy(dst + (o * n + i) * row, src + (o * s.size + idx[i]) * row, row);
}

void index_add_cpu(const Tensor& out, int dim, const Tensor& index, const Tensor& src) {
    const Split s = split_at(out.shape(), dim);
    const std::int64_t n = index.numel();
    const std::int64_t* idx = index.data<std::int64_t>();
    visit_dtype(out.dtype(), [&](auto tag) {
        using T = decltype(tag);
        T* po = out.data<T>();
        const T* ps = src.data<T>();
        for (std::int64_t o = 0; o < s.outer; ++o)
            for (std::int64_t i = 0; i < n; ++i) {
                T* dst = po + (o * s.size + idx[i]) * s.inner;
                const T* from = ps + (o * n + i) * s.inner;
                for (std::int64_t j = 0; j < s.inner; ++j) dst[j] += from[j];
            }
    });
}

// Visits every element of `index` (contiguous) with its flat position and the offset into a contiguous
// tensor of shape `target` where dim `dim` is replaced by the index value.
template <class Body>
void for_each_indexed(const Shape& index_shape, const Shape& target, int dim, const std::int64_t* idx, Body&& body) {
    const Shape tstrides = contiguous_strides(target);
    const std::int64_t n = shape_numel(index_shape);
    Shape pos(index_shape.size(), 0);
    for (std::int64_t flat = 0; flat < n; ++flat) {
        std::int64_t off = 0;
        for (std::size_t d = 0; d < pos.size(); ++d)
            off += (static_cast<int>(d) == dim ? idx[flat] : pos[d]) * tstrides[d];
        body(flat, off);
        for (std::size_t d = pos.size(); d-- > 0;) {
            if (++pos[d] < index_shape[d]) break;
            pos[d] = 0;
        }
    }
}

void gather_cpu(const Tensor& x, int dim, const Tensor& index, const Tensor& out) {
    visit_dtype(x.dtype(), [&](auto tag) {
        using T = decltype(tag);
        const T* px = x.data<T>();
        T* po = out.data<T>();
        for_each_indexed(index.shape(), x.shape(), dim, index.data<std::int64_t>(),
                         [&](std::int64_t flat, std::int64_t off) { po[flat] = px[off]; });
    });
}

void scatter_add_cpu(const Tensor& out, int dim, const Tensor& index, const Tensor& src) {
    visit_dtype(out.dtype(), [&](auto tag) {
        using T = decltype(tag);
        T* po = out.data<T>();
        const T* ps = src.data<T>();
        for_each_indexed(index.shape(), out.shape(), dim, index.data<std::int64_t>(),
                         [&](std::int64_t flat, std::int64_t off) { po[off] += ps[flat]; });
    });
}

Kernel<IndexSelectKernel> kIndexSelect{"index_select", &index_select_cpu};
Kernel<IndexAddKernel> kIndexAdd{"index_add", &index_add_cpu};
Kernel<GatherKernel> kGather{"gather", &gather_cpu};
Kernel<ScatterAddKernel> kScatterAdd{"scatter_add", &scatter_add_cpu};

void check_range(const Tensor& index, std::int64_t size, const char* op, int dim) {
    for (auto v : index.to_vector<std::int64_t>())
        NEURA_CHECK(v >= 0 && v < size, op, ": index ", v, " is out of range for dimension ", dim, " of size ", size);
}

// gather/scatter_add: the index has x's rank, and no dim of it exceeds x's (other than `dim` for scatter).
void check_gather_shapes(const Tensor& x, int dim, const Tensor& index, const char* op) {
    NEURA_CHECK(index.dim() == x.dim(), op, ": the index has ", index.dim(), " dimensions but the tensor has ",
                x.dim(), " (shapes ", shape_str(index.shape()), " and ", shape_str(x.shape()), ")");
    for (int d = 0; d < x.dim(); ++d)
        NEURA_CHECK(d == dim || index.shape()[d] <= x.shape()[d], op, ": index shape ", shape_str(index.shape()),
                    " exceeds tensor shape ", shape_str(x.shape()), " at dimension ", d);
}

}  // namespace

Tensor cat(const std::vector<Tensor>& tensors, std::int64_t dim) {
    NEURA_CHECK(!tensors.empty(), "cat: expects at least one tensor");
    const Tensor& first = tensors.front();
    NEURA_CHECK(first.dim() > 0, "cat: zero-dimensional tensors cannot be concatenated");
    const int d = wrap_dim(dim, first.dim(), "cat");
    DType t = first.dtype();
    Shape shape = first.shape();
    shape[d] = 0;
    for (std::size_t i = 0; i < tensors.size(); ++i) {
        const Tensor& x = tensors[i];
        NEURA_CHECK(x.dim() == first.dim(), "cat: tensor ", i, " has shape ", shape_str(x.shape()),
                    ", expected ", first.dim(), " dimensions like ", shape_str(first.shape()));
        for (int k = 0; k < x.dim(); ++k)
            NEURA_CHECK(k == d || x.shape()[k] == first.shape()[k], "cat: tensor ", i, " has shape ",
                        shape_str(x.shape()), ", which does not match ", shape_str(first.shape()),
                        " outside dimension ", d);
        t = promote_types(t, x.dtype());
        shape[d] += x.shape()[d];
    }
    Tensor out = Tensor::empty(shape, t, first.device());
    std::vector<std::int64_t> sizes;
    {
        NoGradGuard ng;
        std::int64_t off = 0;
        for (const auto& x : tensors) {
            sizes.push_back(x.shape()[d]);
            detail::copy_into(out.slice(d, off, off + x.shape()[d]), x);
            off += x.shape()[d];
        }
    }
    if (auto n = record("CatBackward", tensors, {out})) {
        n->backward = [d, sizes, dtypes = [&] {
            std::vector<DType> v;
            for (const auto& x : tensors) v.push_back(x.dtype());
            return v;
        }()](const FunctionNode& s, const Grads& g) {
            Grads out;
            std::int64_t off = 0;
            for (std::size_t i = 0; i < sizes.size(); ++i) {
                out.push_back(s.needs(i) ? g[0].narrow(d, off, sizes[i]).to(dtypes[i]) : Tensor());
                off += sizes[i];
            }
            return out;
        };
    }
    return out;
}

Tensor stack(const std::vector<Tensor>& tensors, std::int64_t dim) {
    NEURA_CHECK(!tensors.empty(), "stack: expects at least one tensor");
    const int d = wrap_dim(dim, tensors.front().dim() + 1, "stack");
    std::vector<Tensor> parts;
    for (std::size_t i = 0; i < tensors.size(); ++i) {
        NEURA_CHECK(tensors[i].shape() == tensors.front().shape(), "stack: tensor ", i, " has shape ",
                    shape_str(tensors[i].shape()), ", expected ", shape_str(tensors.front().shape()));
        parts.push_back(tensors[i].unsqueeze(d));
    }
    return cat(parts, d);
}

Tensor index_select(const Tensor& x_in, std::int64_t dim, const Tensor& index_in) {
    const Tensor index = check_index(index_in, "index_select");
    NEURA_CHECK(index.dim() <= 1, "index_select: the index must be 1-D, got shape ", shape_str(index.shape()));
    const Tensor x = x_in.contiguous();
    const int d = wrap_dim(dim, std::max<std::int64_t>(x.dim(), 1), "index_select");
    const Tensor xv = x.dim() == 0 ? x.reshape({1}) : x;
    check_range(index, xv.shape()[d], "index_select", d);
    Shape shape = xv.shape();
    shape[d] = index.numel();
    Tensor out = Tensor::empty(shape, x.dtype(), x.device());
    kIndexSelect(x.device())(xv, d, index.reshape({index.numel()}), out);
    if (auto n = record("IndexSelectBackward", {x_in}, {out})) {
        n->save(index);
        n->backward = [d, in_shape = xv.shape(), orig = x_in.shape()](const FunctionNode& s, const Grads& g) {
            const Tensor idx = s.saved(0);
            return Grads{index_add(Tensor::zeros(in_shape, g[0].dtype(), g[0].device()), d, idx, g[0]).reshape(orig)};
        };
    }
    return out;
}

Tensor index_add(const Tensor& x, std::int64_t dim, const Tensor& index_in, const Tensor& source) {
    const Tensor index = check_index(index_in, "index_add").reshape({-1});
    const int d = wrap_dim(dim, x.dim(), "index_add");
    Shape expect = x.shape();
    expect[d] = index.numel();
    NEURA_CHECK(source.shape() == expect, "index_add: source has shape ", shape_str(source.shape()), ", expected ",
                shape_str(expect));
    check_range(index, x.shape()[d], "index_add", d);
    const DType t = promote_types(x.dtype(), source.dtype());
    Tensor out = x.to(t).contiguous();
    out = out.is_same(x) ? x.clone().detach() : out.detach();
    kIndexAdd(x.device())(out, d, index, source.to(t).contiguous());
    if (auto n = record("IndexAddBackward", {x, source}, {out})) {
        n->save(index);
        n->backward = [d](const FunctionNode& s, const Grads& g) {
            return Grads{s.needs(0) ? g[0] : Tensor(), s.needs(1) ? index_select(g[0], d, s.saved(0)) : Tensor()};
        };
    }
    return out;
}

Tensor gather(const Tensor& x_in, std::int64_t dim, const Tensor& index_in) {
    const Tensor index = check_index(index_in, "gather");
    const Tensor x = x_in.contiguous();
    const int d = wrap_dim(dim, x.dim(), "gather");
    check_gather_shapes(x, d, index, "gather");
    check_range(index, x.dim() ? x.shape()[d] : 1, "gather", d);
    Tensor out = Tensor::empty(index.shape(), x.dtype(), x.device());
    kGather(x.device())(x, d, index, out);
    if (auto n = record("GatherBackward", {x_in}, {out})) {
        n->save(index);
        n->backward = [d, in_shape = x.shape()](const FunctionNode& s, const Grads& g) {
            return Grads{scatter_add(Tensor::zeros(in_shape, g[0].dtype(), g[0].device()), d, s.saved(0), g[0])};
        };
    }
    return out;
}

Tensor scatter_add(const Tensor& x, std::int64_t dim, const Tensor& index_in, const Tensor& src) {
    const Tensor index = check_index(index_in, "scatter_add");
    const int d = wrap_dim(dim, x.dim(), "scatter_add");
    check_gather_shapes(x, d, index, "scatter_add");
    NEURA_CHECK(src.shape() == index.shape(), "scatter_add: src has shape ", shape_str(src.shape()),
                " but the index has shape ", shape_str(index.shape()));
    check_range(index, x.dim() ? x.shape()[d] : 1, "scatter_add", d);
    const DType t = promote_types(x.dtype(), src.dtype());
    Tensor out = x.to(t).contiguous();
    out = out.is_same(x) ? x.clone().detach() : out.detach();
    kScatterAdd(x.device())(out, d, index, src.to(t).contiguous());
    if (auto n = record("ScatterAddBackward", {x, src}, {out})) {
        n->save(index);
        n->backward = [d](const FunctionNode& s, const Grads& g) {
            return Grads{s.needs(0) ? g[0] : Tensor(), s.needs(1) ? gather(g[0], d, s.saved(0)) : Tensor()};
        };
    }
    return out;
}

Tensor one_hot(const Tensor& indices_in, std::int64_t num_classes) {
    const Tensor indices = check_index(indices_in, "one_hot");
    const auto values = indices.to_vector<std::int64_t>();
    if (num_classes < 0) {
        num_classes = values.empty() ? 0 : *std::max_element(values.begin(), values.end()) + 1;
    }
    Shape shape = indices.shape();
    shape.push_back(num_classes);
    Tensor out = Tensor::zeros(shape, DType::I64);
    std::int64_t* p = out.data<std::int64_t>();
    for (std::size_t i = 0; i < values.size(); ++i) {
        NEURA_CHECK(values[i] >= 0 && values[i] < num_classes, "one_hot: class ", values[i],
                    " is out of range for ", num_classes, " classes");
        p[static_cast<std::int64_t>(i) * num_classes + values[i]] = 1;
    }
    // The indices were read on the host for the range check anyway; the result goes where they live.
    return out.to(indices.device());
}

Tensor slice_backward(const Tensor& grad, const Shape& input_shape, std::int64_t dim, std::int64_t start,
                      std::int64_t end, std::int64_t step) {
    Tensor out = Tensor::zeros(input_shape, grad.dtype(), grad.device());
    {
        NoGradGuard ng;
        detail::copy_into(out.slice(dim, start, end, step), grad);
    }
    if (auto n = record("SliceBackwardBackward", {grad}, {out})) {
        n->backward = [dim, start, end, step](const FunctionNode&, const Grads& g) {
            return Grads{g[0].slice(dim, start, end, step)};
        };
    }
    return out;
}

}  // namespace neura
