// Reductions: sum, mean, var, max/min (values and indices), argmax/argmin, sum_to. The CPU kernels are in
// backend/cpu/Reduce.cpp.
#include <algorithm>
#include <cmath>
#include <limits>

#include "ops/Internal.h"

namespace neura {

using autograd::FunctionNode;
using autograd::Grads;
using autograd::record;

namespace {

DispatchSlot<SumKernel> kSum{"sum"};
DispatchSlot<AmaxKernel> kAmax{"amax"};
DispatchSlot<AminKernel> kAmin{"amin"};
DispatchSlot<ArgmaxKernel> kArgmax{"argmax"};
DispatchSlot<ArgminKernel> kArgmin{"argmin"};

struct ReducePlan {
    std::vector<bool> reduced;  // per input dim
    Tensor view;                // kept dims first, reduced dims last
    Shape kept_shape;           // output shape without keepdim
    Shape keepdim_shape;        // output shape with keepdim
    int nred = 0;
};

ReducePlan plan(const Tensor& x, const std::vector<std::int64_t>& dims, const char* op) {
    ReducePlan p;
    const auto rank = x.dim();
    p.reduced.assign(static_cast<std::size_t>(rank), dims.empty());
    for (auto d : dims) {
        if (rank == 0) {
            wrap_dim(d, rank, op);
            continue;
        }
        const int w = wrap_dim(d, rank, op);
        NEURA_CHECK(!p.reduced[w] || dims.empty(), op, ": dimension ", d, " appears twice");
        p.reduced[w] = true;
    }
    std::vector<std::int64_t> order;
    for (std::int64_t d = 0; d < rank; ++d)
        if (!p.reduced[d]) {
            order.push_back(d);
            p.kept_shape.push_back(x.shape()[d]);
        }
    for (std::int64_t d = 0; d < rank; ++d) {
        if (p.reduced[d]) {
            order.push_back(d);
            ++p.nred;
        }
        p.keepdim_shape.push_back(p.reduced[d] ? 1 : x.shape()[d]);
    }
    Shape sizes, strides;
    for (auto d : order) {
        sizes.push_back(x.shape()[d]);
        strides.push_back(x.strides()[d]);
    }
    p.view = detail::make_view(x, sizes, strides, x.offset());
    return p;
}

// One slot of the reduction family (each has its own kernel type, ReduceArgs<its tag>).
template <class Slot>
Tensor run_reduce(const DispatchSlot<void(const ReduceArgs<Slot>&)>& k, const ReducePlan& p, const Tensor& x,
                  DType out_dtype, bool keepdim) {
    Tensor out = Tensor::empty(p.kept_shape, out_dtype, x.device());
    k(x.device())({.in = p.view, .out = out, .nred = p.nred});
    return keepdim ? detail::make_view(out, p.keepdim_shape, contiguous_strides(p.keepdim_shape), 0) : out;
}

// Brings a reduced gradient back to the input's shape.
Tensor expand_reduced(const Tensor& g, const ReducePlan& p, const Shape& in_shape, bool keepdim) {
    return (keepdim ? g : g.reshape(p.keepdim_shape)).expand(in_shape);
}

}  // namespace

Tensor sum(const Tensor& x, const std::vector<std::int64_t>& dims, bool keepdim) {
    const ReducePlan p = plan(x, dims, "sum");
    Tensor y = run_reduce(kSum, p, x, x.dtype(), keepdim);
    if (auto n = record("SumBackward", {x}, {y})) {
        n->backward = [p, in_shape = x.shape(), keepdim](const FunctionNode&, const Grads& g) {
            return Grads{expand_reduced(g[0], p, in_shape, keepdim)};
        };
    }
    return y;
}
Tensor sum(const Tensor& x) { return sum(x, {}, false); }

Tensor mean(const Tensor& x_in, const std::vector<std::int64_t>& dims, bool keepdim) {
    const Tensor x = detail::to_floating(x_in);
    const ReducePlan p = plan(x, dims, "mean");
    const std::int64_t count = x.numel() / std::max<std::int64_t>(shape_numel(p.kept_shape), 1);
    return sum(x, dims, keepdim) * (1.0 / static_cast<double>(count));
}
Tensor mean(const Tensor& x) { return mean(x, {}, false); }

Tensor var(const Tensor& x_in, const std::vector<std::int64_t>& dims, double correction, bool keepdim) {
    const Tensor x = detail::to_floating(x_in);
    const ReducePlan p = plan(x, dims, "var");
    const std::int64_t count = x.numel() / std::max<std::int64_t>(shape_numel(p.kept_shape), 1);
    const Tensor d = x - mean(x, dims, true);
    return sum(d * d, dims, keepdim) * (1.0 / std::max(static_cast<double>(count) - correction, 0.0));
}
Tensor var(const Tensor& x) { return var(x, {}, 1.0, false); }

namespace {
Tensor full_extremum(const Tensor& x, bool is_max) {
    NEURA_CHECK(x.numel() > 0, is_max ? "max" : "min", "(): the tensor is empty");
    const ReducePlan p = plan(x, {}, is_max ? "max" : "min");
    Tensor y = is_max ? run_reduce(kAmax, p, x, x.dtype(), false) : run_reduce(kAmin, p, x, x.dtype(), false);
    if (auto n = record(is_max ? "MaxBackward" : "MinBackward", {x}, {y})) {
        n->save(x);
        n->save(y);
        // Ties share the gradient evenly, as PyTorch's max()/min() without a dim.
        n->backward = [](const FunctionNode& s, const Grads& g) {
            const Tensor xs = s.saved(0);
            const Tensor mask = eq(xs, s.saved(1)).to(xs.dtype());
            return Grads{mask * (g[0] / sum(mask))};
        };
    }
    return y;
}

std::tuple<Tensor, Tensor> dim_extremum(const Tensor& x, std::int64_t dim, bool keepdim, bool is_max) {
    const char* op = is_max ? "max" : "min";
    const int d = wrap_dim(dim, x.dim(), op);
    if (x.dim() == 0) return {x, Tensor::zeros({}, DType::I64)};
    const ReducePlan p = plan(x, {d}, op);
    Tensor idx = is_max ? run_reduce(kArgmax, p, x, DType::I64, true) : run_reduce(kArgmin, p, x, DType::I64, true);
    // Values by gather: its backward routes the gradient to the chosen (first) index.
    Tensor values = gather(x, d, idx);
    if (!keepdim) {
        values = values.squeeze(d);
        idx = idx.squeeze(d);
    }
    return {values, idx};
}
}  // namespace

Tensor max(const Tensor& x) { return full_extremum(x, true); }
Tensor min(const Tensor& x) { return full_extremum(x, false); }
std::tuple<Tensor, Tensor> max(const Tensor& x, std::int64_t dim, bool keepdim) { return dim_extremum(x, dim, keepdim, true); }
std::tuple<Tensor, Tensor> min(const Tensor& x, std::int64_t dim, bool keepdim) { return dim_extremum(x, dim, keepdim, false); }

Tensor argmax(const Tensor& x, std::int64_t dim, bool keepdim) {
    const int d = wrap_dim(dim, x.dim(), "argmax");
    if (x.dim() == 0) return Tensor::zeros({}, DType::I64);
    return run_reduce(kArgmax, plan(x, {d}, "argmax"), x, DType::I64, keepdim);
}
Tensor argmin(const Tensor& x, std::int64_t dim, bool keepdim) {
    const int d = wrap_dim(dim, x.dim(), "argmin");
    if (x.dim() == 0) return Tensor::zeros({}, DType::I64);
    return run_reduce(kArgmin, plan(x, {d}, "argmin"), x, DType::I64, keepdim);
}

Tensor sum_to(const Tensor& x, const Shape& shape) {
    if (x.shape() == shape) return x;
    const std::int64_t lead = x.dim() - static_cast<std::int64_t>(shape.size());
    NEURA_CHECK_SHAPE(lead >= 0, "sum_to: cannot sum shape ", shape_str(x.shape()), " to the larger ", shape_str(shape));
    std::vector<std::int64_t> dims;
    for (std::int64_t d = 0; d < x.dim(); ++d) {
        if (d < lead) {
            dims.push_back(d);
            continue;
        }
        const std::int64_t target = shape[static_cast<std::size_t>(d - lead)];
        if (target == 1 && x.shape()[d] != 1) dims.push_back(d);
        else NEURA_CHECK_SHAPE(target == x.shape()[d], "sum_to: shape ", shape_str(x.shape()), " does not broadcast to ",
                         shape_str(shape));
    }
    if (dims.empty()) return x.reshape(shape);
    return sum(x, dims, true).reshape(shape);
}

}  // namespace neura
