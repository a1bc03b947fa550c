// The fused kernels (ops/Fused.h): the autograd node around the backend's LSTM, and softmax's backward.
#include "ops/Fused.h"

#include "backend/cpu/Rnn.h"
#include "backend/cpu/Softmax.h"
#include "ops/Internal.h"

namespace neura::detail {

using autograd::FunctionNode;
using autograd::Grads;
using autograd::record;

std::optional<FusedRecurrentOutput> fused_lstm_layer(const Tensor& x, const Tensor& h0, const Tensor& c0,
                                                     const Tensor& w_ih, const Tensor& w_hh, const Tensor& b_ih,
                                                     const Tensor& b_hh, bool reverse) {
    for (const Tensor* t : {&x, &h0, &c0, &w_ih, &w_hh, &b_ih, &b_hh})
        if (t->defined() && (t->dtype() != DType::F32 || t->device() != Device::cpu())) return std::nullopt;
    if (x.dim() != 3 || x.numel() == 0) return std::nullopt;

    Tensor xc, h0c, c0c, wi, wh, bias;
    cpu::LstmForward f;
    {
        NoGradGuard no_grad;  // one node for the whole layer, recorded below
        xc = x.contiguous();
        h0c = h0.contiguous();
        c0c = c0.contiguous();
        wi = w_ih.contiguous();
        wh = w_hh.contiguous();
        const std::int64_t gates = w_hh.size(0);
        bias = b_ih.defined() ? (b_ih + b_hh).contiguous() : Tensor::zeros({gates});
        f = cpu::lstm_forward(xc, h0c, c0c, wi, wh, bias, reverse);
    }
    if (auto n = record("LSTMBackward", {x, h0, c0, w_ih, w_hh, b_ih, b_hh}, {f.y, f.h_n, f.c_n})) {
        n->once_differentiable = true;  // oneDNN's backward records no graph
        for (const Tensor& t : {xc, h0c, c0c, wi, wh, bias, f.y, f.h_n, f.c_n}) n->save(t);
        n->backward = [state = f.state](const FunctionNode& s, const Grads& g) {
            auto grad = [&](std::size_t i, std::size_t like) {
                return g[i].defined() ? g[i].detach().contiguous() : Tensor::zeros_like(s.saved(like));
            };
            const cpu::LstmGrads r =
                cpu::lstm_backward(*state, s.saved(0), s.saved(1), s.saved(2), s.saved(3), s.saved(4), s.saved(5),
                                   s.saved(6), s.saved(7), s.saved(8), grad(0, 6), grad(1, 7), grad(2, 8));
            const bool bias = s.needs(5) || s.needs(6);
            // b_ih and b_hh get the same gradient, each its own tensor (their .grad must not alias).
            return Grads{r.x, r.h0, r.c0, r.w_ih, r.w_hh, bias ? r.bias : Tensor(), bias ? r.bias.clone() : Tensor()};
        };
    }
    return FusedRecurrentOutput{f.y, f.h_n, f.c_n};
}

Tensor fused_softmax_backward(const Tensor& y, const Tensor& g) {
    if (y.dtype() != DType::F32 || g.dtype() != DType::F32 || y.device() != Device::cpu() || g.device() != Device::cpu() ||
        y.shape() != g.shape() || !y.is_contiguous() || !g.is_contiguous() || y.dim() == 0 || y.numel() == 0)
        return {};
    Tensor gx = Tensor::empty(y.shape());
    cpu::softmax_backward(y, g, gx);
    return gx;
}

}  // namespace neura::detail
