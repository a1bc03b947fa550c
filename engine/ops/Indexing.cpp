// Joining and indexing: cat, stack, index_select/index_add, gather/scatter_add, one_hot, slice_backward.
// The CPU kernels are in backend/cpu/Indexing.cpp.
#include <algorithm>

#include "ops/Internal.h"

namespace neura {

using autograd::FunctionNode;
using autograd::Grads;
using autograd::record;

namespace {

Tensor check_index(const Tensor& index, const char* op) {
    NEURA_CHECK_TYPE(index.defined() && index.dtype() == DType::I64, op, ": the index must be an int64 tensor, got ",
                index.defined() ? dtype_name(index.dtype()) : "undefined");
    return index.contiguous();
}

DispatchSlot<IndexSelectKernel> kIndexSelect{"index_select"};
DispatchSlot<IndexAddKernel> kIndexAdd{"index_add"};
DispatchSlot<GatherKernel> kGather{"gather"};
DispatchSlot<ScatterAddKernel> kScatterAdd{"scatter_add"};

void check_range(const Tensor& index, std::int64_t size, const char* op, int dim) {
    for (auto v : index.to_vector<std::int64_t>())
        NEURA_CHECK(v >= 0 && v < size, op, ": index ", v, " is out of range for dimension ", dim, " of size ", size);
}

// gather/scatter_add: the index has x's rank, and no dim of it exceeds x's (other than `dim` for scatter).
void check_gather_shapes(const Tensor& x, int dim, const Tensor& index, const char* op) {
    NEURA_CHECK_SHAPE(index.dim() == x.dim(), op, ": the index has ", index.dim(), " dimensions but the tensor has ",
                x.dim(), " (shapes ", shape_str(index.shape()), " and ", shape_str(x.shape()), ")");
    for (int d = 0; d < x.dim(); ++d)
        NEURA_CHECK_SHAPE(d == dim || index.shape()[d] <= x.shape()[d], op, ": index shape ", shape_str(index.shape()),
                    " exceeds tensor shape ", shape_str(x.shape()), " at dimension ", d);
}

}  // namespace

Tensor cat(const std::vector<Tensor>& tensors, std::int64_t dim) {
    NEURA_CHECK(!tensors.empty(), "cat: expects at least one tensor");
    const Tensor& first = tensors.front();
    NEURA_CHECK_SHAPE(first.dim() > 0, "cat: zero-dimensional tensors cannot be concatenated");
    const int d = wrap_dim(dim, first.dim(), "cat");
    DType t = first.dtype();
    Shape shape = first.shape();
    shape[d] = 0;
    for (std::size_t i = 0; i < tensors.size(); ++i) {
        const Tensor& x = tensors[i];
        NEURA_CHECK_SHAPE(x.dim() == first.dim(), "cat: tensor ", i, " has shape ", shape_str(x.shape()),
                    ", expected ", first.dim(), " dimensions like ", shape_str(first.shape()));
        for (int k = 0; k < x.dim(); ++k)
            NEURA_CHECK_SHAPE(k == d || x.shape()[k] == first.shape()[k], "cat: tensor ", i, " has shape ",
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
        NEURA_CHECK_SHAPE(tensors[i].shape() == tensors.front().shape(), "stack: tensor ", i, " has shape ",
                    shape_str(tensors[i].shape()), ", expected ", shape_str(tensors.front().shape()));
        parts.push_back(tensors[i].unsqueeze(d));
    }
    return cat(parts, d);
}

std::vector<Tensor> unbind(const Tensor& x, std::int64_t dim) {
    NEURA_CHECK_SHAPE(x.dim() >= 1, "unbind: expects a tensor with at least one dimension, got a scalar");
    const int d = wrap_dim(dim, x.dim(), "unbind");
    std::vector<Tensor> parts;
    {
        NoGradGuard ng;  // one node for all the slices, recorded below
        for (std::int64_t i = 0; i < x.shape()[d]; ++i) parts.push_back(x.select(d, i));
    }
    if (parts.empty()) return parts;
    if (auto n = record("UnbindBackward", {x}, parts)) {
        n->backward = [d, slice = parts.front().shape()](const FunctionNode&, const Grads& g) {
            Tensor like;
            for (const Tensor& t : g)
                if (t.defined()) like = t;
            if (!like.defined()) return Grads{Tensor()};
            std::vector<Tensor> full;
            for (const Tensor& t : g) full.push_back(t.defined() ? t : Tensor::zeros(slice, like.dtype(), like.device()));
            return Grads{stack(full, d)};
        };
    }
    return parts;
}

Tensor index_select(const Tensor& x_in, std::int64_t dim, const Tensor& index_in) {
    const Tensor index = check_index(index_in, "index_select");
    NEURA_CHECK_SHAPE(index.dim() <= 1, "index_select: the index must be 1-D, got shape ", shape_str(index.shape()));
    const Tensor x = x_in.contiguous();
    const int d = wrap_dim(dim, std::max<std::int64_t>(x.dim(), 1), "index_select");
    const Tensor xv = x.dim() == 0 ? x.reshape({1}) : x;
    check_range(index, xv.shape()[d], "index_select", d);
    Shape shape = xv.shape();
    shape[d] = index.numel();
    Tensor out = Tensor::empty(shape, x.dtype(), x.device());
    kIndexSelect(x.device())({.x = xv, .dim = d, .index = index.reshape({index.numel()}), .out = out});
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
    NEURA_CHECK_SHAPE(source.shape() == expect, "index_add: source has shape ", shape_str(source.shape()), ", expected ",
                shape_str(expect));
    check_range(index, x.shape()[d], "index_add", d);
    const DType t = promote_types(x.dtype(), source.dtype());
    Tensor out = x.to(t).contiguous();
    out = out.is_same(x) ? x.clone().detach() : out.detach();
    kIndexAdd(x.device())({.out = out, .dim = d, .index = index, .src = source.to(t).contiguous()});
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
    kGather(x.device())({.x = x, .dim = d, .index = index, .out = out});
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
    NEURA_CHECK_SHAPE(src.shape() == index.shape(), "scatter_add: src has shape ", shape_str(src.shape()),
                " but the index has shape ", shape_str(index.shape()));
    check_range(index, x.dim() ? x.shape()[d] : 1, "scatter_add", d);
    const DType t = promote_types(x.dtype(), src.dtype());
    Tensor out = x.to(t).contiguous();
    out = out.is_same(x) ? x.clone().detach() : out.detach();
    kScatterAdd(x.device())({.out = out, .dim = d, .index = index, .src = src.to(t).contiguous()});
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
