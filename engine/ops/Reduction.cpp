// Reductions: sum, mean, var, max/min (values and indices), argmax/argmin, sum_to.
#include <algorithm>
#include <cmath>
#include <limits>

#include "backend/cpu/Loops.h"
#include "ops/Internal.h"

namespace neura {

using autograd::FunctionNode;
using autograd::Grads;
using autograd::record;

namespace {

enum class Reduce { Sum, Max, Min, ArgMax, ArgMin };

template <Reduce R>
void reduce_cpu(const Tensor& in, const Tensor& out, int nred) {
    const int nkeep = static_cast<int>(in.dim()) - nred;
    const Shape kept_sizes(in.shape().begin(), in.shape().begin() + nkeep);
    const Shape kept_strides(in.strides().begin(), in.strides().begin() + nkeep);
    const Shape red_sizes(in.shape().begin() + nkeep, in.shape().end());
    const Shape red_strides(in.strides().begin() + nkeep, in.strides().end());
    const std::int64_t n_out = shape_numel(kept_sizes);
    const std::int64_t n_red = shape_numel(red_sizes);
    if constexpr (R != Reduce::Sum)
        NEURA_CHECK(n_red > 0, "max/min/argmax: cannot reduce over an empty dimension (input shape ",
                    shape_str(in.shape()), ")");
    const cpu::Geometry<1> red = cpu::coalesce<1>(red_sizes, {&red_strides});

    visit_dtype(in.dtype(), [&](auto tag) {
        using T = decltype(tag);
        using Acc = std::conditional_t<std::is_same_v<T, std::int64_t>, std::int64_t, double>;
        const T* src = static_cast<const T*>(in.raw_data());
        auto one = [&](std::int64_t o) {
            std::int64_t base = 0, rem = o;
            for (int d = nkeep - 1; d >= 0; --d) {
                base += (rem % kept_sizes[d]) * kept_strides[d];
                rem /= kept_sizes[d];
            }
            Acc acc = 0;
            T best = T(0);
            std::int64_t best_i = 0, flat = 0;
            bool first = true;
            const std::size_t nd = red.sizes.size();
            const std::int64_t inner = red.sizes.back(), ist = red.strides[0].back();
            std::int64_t rows = 1;
            for (std::size_t d = 0; d + 1 < nd; ++d) rows *= red.sizes[d];
            for (std::int64_t r = 0; r < rows; ++r) {
                std::int64_t off = base, rr = r;
                for (std::size_t d = nd - 1; d-- > 0;) {
                    off += (rr % red.sizes[d]) * red.strides[0][d];
                    rr /= red.sizes[d];
                }
                const T* p = src + off;
                if constexpr (R == Reduce::Sum) {
                    for (std::int64_t i = 0; i < inner; ++i) acc += static_cast<Acc>(p[i * ist]);
                } else {
                    for (std::int64_t i = 0; i < inner; ++i, ++flat) {
                        const T v = p[i * ist];
                        bool take;
                        if constexpr (R == Reduce::Max || R == Reduce::ArgMax) take = v > best;
                        else take = v < best;
                        // NaN wins and stays (PyTorch propagates NaN).
                        if (first || take || (v != v && best == best)) {
                            best = v;
                            best_i = flat;
                            first = false;
                        }
                    }
                }
            }
            if constexpr (R == Reduce::Sum) static_cast<T*>(out.raw_data())[o] = static_cast<T>(acc);
            else if constexpr (R == Reduce::Max || R == Reduce::Min) static_cast<T*>(out.raw_data())[o] = best;
            else static_cast<std::int64_t*>(out.raw_data())[o] = best_i;
        };
        if (n_out * n_red >= cpu::kParallelGrain && n_out > 1) {
#pragma omp parallel for schedule(static)
            for (std::int64_t o = 0; o < n_out; ++o) one(o);
        } else {
            for (std::int64_t o = 0; o < n_out; ++o) one(o);
        }
    });
}

Kernel<ReduceKernel> kSum{"sum", &reduce_cpu<Reduce::Sum>};
Kernel<ReduceKernel> kAmax{"amax", &reduce_cpu<Reduce::Max>};
Kernel<ReduceKernel> kAmin{"amin", &reduce_cpu<Reduce::Min>};
Kernel<ReduceKernel> kArgmax{"argmax", &reduce_cpu<Reduce::ArgMax>};
Kernel<ReduceKernel> kArgmin{"argmin", &reduce_cpu<Reduce::ArgMin>};

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

Tensor run_reduce(const Kernel<ReduceKernel>& k, const ReducePlan& p, const Tensor& x, DType out_dtype, bool keepdim) {
    Tensor out = Tensor::empty(p.kept_shape, out_dtype, x.device());
    k(x.device())(p.view, out, p.nred);
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
    Tensor y = run_reduce(is_max ? kAmax : kAmin, p, x, x.dtype(), false);
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
    Tensor idx = run_reduce(is_max ? kArgmax : kArgmin, p, x, DType::I64, true);
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
    NEURA_CHECK(lead >= 0, "sum_to: cannot sum shape ", shape_str(x.shape()), " to the larger ", shape_str(shape));
    std::vector<std::int64_t> dims;
    for (std::int64_t d = 0; d < x.dim(); ++d) {
        if (d < lead) {
            dims.push_back(d);
            continue;
        }
        const std::int64_t target = shape[static_cast<std::size_t>(d - lead)];
        if (target == 1 && x.shape()[d] != 1) dims.push_back(d);
        else NEURA_CHECK(target == x.shape()[d], "sum_to: shape ", shape_str(x.shape()), " does not broadcast to ",
                         shape_str(shape));
    }
    if (dims.empty()) return x.reshape(shape);
    return sum(x, dims, true).reshape(shape);
}

}  // namespace neura
