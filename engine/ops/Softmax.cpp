// softmax and log_softmax along one dim: max-shifted, so logits of ±1e4 stay finite.
#include <algorithm>
#include <cmath>
#include <numeric>

#include "backend/cpu/Loops.h"
#include "ops/Internal.h"

namespace neura {

using autograd::FunctionNode;
using autograd::Grads;
using autograd::record;

namespace {

template <bool Log>
void softmax_cpu(const Tensor& in, const Tensor& out) {
    const auto rank = in.dim();
    const std::int64_t len = in.shape().back();
    const std::int64_t in_st = in.strides().back(), out_st = out.strides().back();
    const Shape outer(in.shape().begin(), in.shape().end() - 1);
    const Shape in_outer_st(in.strides().begin(), in.strides().end() - 1);
    const Shape out_outer_st(out.strides().begin(), out.strides().end() - 1);
    const std::int64_t rows = shape_numel(outer);
    visit_dtype(in.dtype(), [&](auto tag) {
        using T = decltype(tag);
        const T* src = static_cast<const T*>(in.raw_data());
        T* dst = static_cast<T*>(out.raw_data());
        auto row = [&](std::int64_t r) {
            std::int64_t io = 0, oo = 0, rem = r;
            for (std::int64_t d = rank - 2; d >= 0; --d) {
                const std::int64_t i = rem % outer[d];
                rem /= outer[d];
                io += i * in_outer_st[d];
                oo += i * out_outer_st[d];
            }
            const T* x = src + io;
            T* y = dst + oo;
            T m = x[0];
            for (std::int64_t i = 1; i < len; ++i) m = std::max(m, x[i * in_st]);
            if (!std::isfinite(m)) m = T(0);  // all -inf row: keep exp finite, result NaN/0 as PyTorch
            double total = 0;
            for (std::int64_t i = 0; i < len; ++i) total += std::exp(static_cast<double>(x[i * in_st] - m));
            if constexpr (Log) {
                const T lse = static_cast<T>(std::log(total)) + m;
                for (std::int64_t i = 0; i < len; ++i) y[i * out_st] = x[i * in_st] - lse;
            } else {
                const double inv = 1.0 / total;
                for (std::int64_t i = 0; i < len; ++i)
                    y[i * out_st] = static_cast<T>(std::exp(static_cast<double>(x[i * in_st] - m)) * inv);
            }
        };
        cpu::parallel_for(rows, std::max<std::int64_t>(1, cpu::kParallelGrain / std::max<std::int64_t>(len, 1)), row);
    });
}

Kernel<SoftmaxKernel> kSoftmax{"softmax", &softmax_cpu<false>};
Kernel<SoftmaxKernel> kLogSoftmax{"log_softmax", &softmax_cpu<true>};

Tensor dim_last(const Tensor& t, int d) {
    std::vector<std::int64_t> order;
    for (std::int64_t i = 0; i < t.dim(); ++i)
        if (i != d) order.push_back(i);
    order.push_back(d);
    Shape sizes, strides;
    for (auto i : order) {
        sizes.push_back(t.shape()[i]);
        strides.push_back(t.strides()[i]);
    }
    return detail::make_view(t, sizes, strides, t.offset());
}

Tensor softmax_forward(const Kernel<SoftmaxKernel>& k, const Tensor& x, int d) {
    Tensor y = Tensor::empty(x.shape(), x.dtype(), x.device());
    if (x.numel() == 0) return y;
    if (x.dim() == 0) {
        k(x.device())(x.reshape({1}), y.reshape({1}));
        return y;
    }
    k(x.device())(dim_last(x, d), dim_last(y, d));
    return y;
}

}  // namespace

Tensor softmax(const Tensor& x_in, std::int64_t dim) {
    const Tensor x = detail::to_floating(x_in);
    const int d = wrap_dim(dim, x.dim(), "softmax");
    Tensor y = softmax_forward(kSoftmax, x, d);
    if (auto n = record("SoftmaxBackward", {x}, {y})) {
        n->save(y);
        n->backward = [d](const FunctionNode& s, const Grads& g) {
            const Tensor ys = s.saved(0);
            return Grads{ys * (g[0] - sum(g[0] * ys, {d}, true))};
        };
    }
    return y;
}

Tensor log_softmax(const Tensor& x_in, std::int64_t dim) {
    const Tensor x = detail::to_floating(x_in);
    const int d = wrap_dim(dim, x.dim(), "log_softmax");
    Tensor y = softmax_forward(kLogSoftmax, x, d);
    if (auto n = record("LogSoftmaxBackward", {x}, {y})) {
        n->save(y);
        n->backward = [d](const FunctionNode& s, const Grads& g) {
            return Grads{g[0] - exp(s.saved(0)) * sum(g[0], {d}, true)};
        };
    }
    return y;
}

}  // namespace neura
