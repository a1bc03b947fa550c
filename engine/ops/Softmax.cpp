// softmax and log_softmax along one dim: shape rule, dispatch and backward. The CPU kernels are in
// backend/cpu/Softmax.cpp (max-shifted, so logits of ±1e4 stay finite).
#include "ops/Fused.h"
#include "ops/Internal.h"

namespace neura {

using autograd::FunctionNode;
using autograd::Grads;
using autograd::record;

namespace {

DispatchSlot<SoftmaxKernel> kSoftmax{"softmax"};
DispatchSlot<LogSoftmaxKernel> kLogSoftmax{"log_softmax"};

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

// softmax or log_softmax (each has its own kernel type, SoftmaxArgs<its tag>).
template <class Slot>
Tensor softmax_forward(const DispatchSlot<void(const SoftmaxArgs<Slot>&)>& k, const Tensor& x, int d) {
    Tensor y = Tensor::empty(x.shape(), x.dtype(), x.device());
    if (x.numel() == 0) return y;
    if (x.dim() == 0) {
        k(x.device())({.in = x.reshape({1}), .out = y.reshape({1})});
        return y;
    }
    k(x.device())({.in = dim_last(x, d), .out = dim_last(y, d)});
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
            // Without a second derivative to record, one fused kernel where a backend has it (ops/Fused.h).
            if (!GradMode::is_enabled() && d == ys.dim() - 1)
                if (Tensor gx = detail::fused_softmax_backward(ys, g[0].contiguous()); gx.defined()) return Grads{gx};
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
