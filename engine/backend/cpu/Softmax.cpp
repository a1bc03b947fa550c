// The CPU's softmax and log_softmax kernels: max-shifted, so logits of ±1e4 stay finite. softmax over
// contiguous float32 rows runs through oneDNN's softmax primitive (vectorized exp; worst relative error
// 1.2e-6 on randn * 3 rows of 32, PyTorch's own float32 softmax 1.1e-6); rows it leaves NaN (an inf in the
// row) and every other layout or dtype go through the loop below, whose results PyTorch's fixtures
// define. log_softmax stays on the loop: oneDNN's log is several ulps off (log_softmax([0, 1, 2, 3])[3]
// -0.4401875 against -0.4401897), PyTorch's is not.
#include <algorithm>
#include <cmath>
#include <type_traits>
#include <utility>

#include "backend/cpu/Softmax.h"

#include "backend/cpu/Dnnl.h"
#include "backend/cpu/Loops.h"
#include "ops/KernelSignatures.h"

namespace neura::cpu {
namespace {

template <bool Log>
void softmax_cpu(const Tensor& in, const Tensor& out);

// A row's shift m (its max; 0 when that is not finite, so exp stays finite and an all -inf row gives NaN/0
// as PyTorch) and the sum of exp(x - m) in double: what softmax, log_softmax and the fused cross-entropy
// share. Elements are `st` apart.
template <class T>
std::pair<T, double> shift_and_exp_sum(const T* x, std::int64_t len, std::int64_t st) {
    T m = x[0];
    for (std::int64_t i = 1; i < len; ++i) m = std::max(m, x[i * st]);
    if (!std::isfinite(m)) m = T(0);
    double total = 0;
    for (std::int64_t i = 0; i < len; ++i) total += std::exp(static_cast<double>(x[i * st] - m));
    return {m, total};
}

// oneDNN's softmax over the last dim of contiguous float32 `in` into `out`. Rows with a NaN in the
// result are redone by the loop (an inf logit gives NaN in oneDNN's max-shift where PyTorch's result is
// defined by the loop's rule).
void softmax_dnnl(const Tensor& in, const Tensor& out) {
    const std::int64_t len = in.shape().back();
    const std::int64_t rows = in.numel() / len;
    dnnl_call("softmax", [&] {
        const auto md = plain_desc({rows, len});
        const dnnl::softmax_v2_forward::desc d(dnnl::prop_kind::forward_inference,
                                               dnnl::algorithm::softmax_accurate, md, md, 1);
        const dnnl::softmax_v2_forward::primitive_desc pd(d, dnnl_engine());
        execute(dnnl::softmax_v2_forward(pd), {{DNNL_ARG_SRC, as_memory(in, md)}, {DNNL_ARG_DST, as_memory(out, md)}});
    });
    const float* y = out.data<float>();
    for (std::int64_t r = 0; r < rows; ++r) {
        bool nan = false;
        for (std::int64_t i = 0; i < len; ++i) nan |= std::isnan(y[r * len + i]);
        if (nan) softmax_cpu<false>(in.reshape({rows, len}).narrow(0, r, 1), out.reshape({rows, len}).narrow(0, r, 1));
    }
}

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
            const auto [m, total] = shift_and_exp_sum(x, len, in_st);
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

}  // namespace

void softmax(const SoftmaxArgs<slot::Softmax>& a) {
    if (a.in.dtype() == DType::F32 && a.in.is_contiguous() && a.out.is_contiguous())
        softmax_dnnl(a.in, a.out);
    else
        softmax_cpu<false>(a.in, a.out);
}
void log_softmax(const SoftmaxArgs<slot::LogSoftmax>& a) { softmax_cpu<true>(a.in, a.out); }

// CrossEntropyLoss (mean) and its gradient in one pass over each row, with log_softmax's max shift and
// sum: loss = mean over kept rows of lse - x[t]; grad = (softmax - onehot) / kept.
void cross_entropy(const CrossEntropyArgs& a) {
    const std::int64_t rows = a.logits.size(0), classes = a.logits.size(1);
    const std::int64_t* t = a.target.data<std::int64_t>();
    std::int64_t kept = 0;
    for (std::int64_t r = 0; r < rows; ++r) {
        if (t[r] == a.ignore_index) continue;
        NEURA_CHECK(t[r] >= 0 && t[r] < classes, "CrossEntropyLoss: target ", t[r], " is out of range for ", classes,
                    " classes");
        ++kept;
    }
    visit_dtype(a.logits.dtype(), [&](auto tag) {
        using T = decltype(tag);
        if constexpr (std::is_floating_point_v<T>) {
            const T* x0 = static_cast<const T*>(a.logits.raw_data());
            T* g0 = static_cast<T*>(a.grad.raw_data());
            const double scale = kept > 0 ? 1.0 / static_cast<double>(kept) : 0.0;
            double total_loss = 0.0;
            for (std::int64_t r = 0; r < rows; ++r) {
                const T* x = x0 + r * classes;
                T* g = g0 + r * classes;
                if (t[r] == a.ignore_index) {
                    std::fill(g, g + classes, T(0));
                    continue;
                }
                const auto [m, total] = shift_and_exp_sum(x, classes, std::int64_t{1});
                const T lse = static_cast<T>(std::log(total)) + m;
                total_loss += static_cast<double>(lse - x[t[r]]);
                for (std::int64_t i = 0; i < classes; ++i)
                    g[i] = static_cast<T>(std::exp(static_cast<double>(x[i] - lse)) * scale);
                g[t[r]] = static_cast<T>(static_cast<double>(g[t[r]]) - scale);
            }
            *static_cast<T*>(a.loss.raw_data()) =
                static_cast<T>(kept > 0 ? total_loss / static_cast<double>(kept) : std::nan(""));
        }
    });
}

void softmax_backward(const Tensor& y, const Tensor& g, const Tensor& gx) {
    const std::int64_t len = y.shape().back();
    const std::int64_t rows = y.numel() / len;
    dnnl_call("softmax backward", [&] {
        const auto md = plain_desc({rows, len});
        const dnnl::softmax_v2_forward::primitive_desc hint(
            {dnnl::prop_kind::forward_training, dnnl::algorithm::softmax_accurate, md, md, 1}, dnnl_engine());
        const dnnl::softmax_v2_backward::primitive_desc pd({dnnl::algorithm::softmax_accurate, md, md, md, 1},
                                                           dnnl_engine(), hint);
        execute(dnnl::softmax_v2_backward(pd), {{DNNL_ARG_DST, as_memory(y, md)},
                                               {DNNL_ARG_DIFF_DST, as_memory(g, md)},
                                               {DNNL_ARG_DIFF_SRC, as_memory(gx, md)}});
    });
}

}  // namespace neura::cpu
