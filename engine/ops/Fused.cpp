// The fused kernels (ops/Fused.h): the autograd node around the backend's recurrent layers, and softmax's
// backward.
#include "ops/Fused.h"

#include "backend/CudaModule.h"
#include "backend/cpu/Rnn.h"
#include "backend/cpu/Softmax.h"
#include "ops/Internal.h"

namespace neura::detail {

using autograd::FunctionNode;
using autograd::Grads;
using autograd::record;

namespace {

// GRU's three gate blocks of H rows (or elements) from PyTorch's order (r, z, n) to oneDNN's (u = z, r, o = n)
// and back: the first two blocks swap.
Tensor swap_first_blocks(const Tensor& t, std::int64_t h) {
    return cat({t.narrow(0, h, h), t.narrow(0, 0, h), t.narrow(0, 2 * h, h)}, 0);
}

cpu::RnnCell backend_cell(RecurrentCell c) {
    switch (c) {
    case RecurrentCell::Tanh: return cpu::RnnCell::Tanh;
    case RecurrentCell::Relu: return cpu::RnnCell::Relu;
    case RecurrentCell::LSTM: return cpu::RnnCell::LSTM;
    case RecurrentCell::GRU: break;
    }
    return cpu::RnnCell::GRU;
}

}  // namespace

std::optional<FusedRecurrentOutput> fused_recurrent_layer(RecurrentCell cell, const Tensor& x, const Tensor& h0,
                                                          const Tensor& c0, const Tensor& w_ih, const Tensor& w_hh,
                                                          const Tensor& b_ih, const Tensor& b_hh, bool reverse) {
    for (const Tensor* t : {&x, &h0, &c0, &w_ih, &w_hh, &b_ih, &b_hh})
        if (t->defined() && (t->dtype() != DType::F32 || t->device() != Device::cpu())) return std::nullopt;
    if (x.dim() != 3 || x.numel() == 0 || (b_ih.defined() != b_hh.defined())) return std::nullopt;
    const bool lstm = cell == RecurrentCell::LSTM, gru = cell == RecurrentCell::GRU;
    const std::int64_t h = w_hh.size(1), rows = w_hh.size(0);

    // The kernel's inputs: contiguous, GRU's gates in oneDNN's order, one bias of [G*H] ([4H] for GRU: u, r, o
    // and the recurrent candidate bias).
    Tensor xc, h0c, c0c, wi, wh, bias;
    cpu::RnnForward f;
    {
        NoGradGuard no_grad;  // one node for the whole layer, recorded below
        xc = x.contiguous();
        h0c = h0.contiguous();
        c0c = lstm ? c0.contiguous() : Tensor();
        wi = gru ? swap_first_blocks(w_ih, h) : w_ih.contiguous();
        wh = gru ? swap_first_blocks(w_hh, h) : w_hh.contiguous();
        if (!b_ih.defined())
            bias = Tensor::zeros({gru ? 4 * h : rows});
        else if (gru) {
            const Tensor rz = b_ih.narrow(0, 0, 2 * h) + b_hh.narrow(0, 0, 2 * h);  // r and z see both biases
            bias = cat({rz.narrow(0, h, h), rz.narrow(0, 0, h), b_ih.narrow(0, 2 * h, h), b_hh.narrow(0, 2 * h, h)}, 0);
        }
        else
            bias = (b_ih + b_hh).contiguous();
        f = cpu::rnn_forward(backend_cell(cell), xc, h0c, c0c, wi, wh, bias, reverse);
    }
    const char* name = lstm ? "LSTMBackward" : gru ? "GRUBackward" : "RNNBackward";
    std::vector<Tensor> outputs{f.y, f.h_n};
    if (lstm) outputs.push_back(f.c_n);
    if (auto n = record(name, {x, h0, c0, w_ih, w_hh, b_ih, b_hh}, outputs)) {
        n->once_differentiable = true;  // oneDNN's backward records no graph
        for (const Tensor& t : {xc, h0c, c0c, wi, wh, bias, f.y, f.h_n, f.c_n}) n->save(t);
        n->backward = [state = f.state, lstm, gru, h](const FunctionNode& s, const Grads& g) {
            auto grad = [&](std::size_t i, std::size_t like) {
                return i < g.size() && g[i].defined() ? g[i].detach().contiguous() : Tensor::zeros_like(s.saved(like));
            };
            const cpu::RnnGrads r = cpu::rnn_backward(*state, s.saved(0), s.saved(1), s.saved(2), s.saved(3),
                                                      s.saved(4), s.saved(5), s.saved(6), s.saved(7), s.saved(8),
                                                      grad(0, 6), grad(1, 7), lstm ? grad(2, 8) : Tensor());
            const bool bias = s.needs(5) || s.needs(6);
            if (!gru)  // b_ih and b_hh get the same gradient, each its own tensor (their .grad must not alias)
                return Grads{r.x,  r.h0, r.c0, r.w_ih, r.w_hh, bias ? r.bias : Tensor(),
                             bias ? r.bias.clone() : Tensor()};
            // oneDNN's bias gradient [u, r, o, o'] to b_ih = (r, z = u, n = o) and b_hh = (r, z, o').
            const Tensor ur = swap_first_blocks(r.bias.narrow(0, 0, 3 * h), h).narrow(0, 0, 2 * h);
            return Grads{r.x,
                         r.h0,
                         Tensor(),
                         swap_first_blocks(r.w_ih, h),
                         swap_first_blocks(r.w_hh, h),
                         bias ? cat({ur, r.bias.narrow(0, 2 * h, h)}, 0) : Tensor(),
                         bias ? cat({ur, r.bias.narrow(0, 3 * h, h)}, 0) : Tensor()};
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

bool has_fused_cross_entropy(Device device) {
    if (device == Device::cpu()) return true;
    const cuda::ModuleApi* m = device.type == DeviceType::CUDA ? cuda::loaded_module() : nullptr;
    return m && m->cross_entropy;
}

bool fused_cross_entropy(const Tensor& logits, const Tensor& target, const Tensor& loss, const Tensor& grad,
                         std::int64_t ignore_index, const Tensor& rows, const Tensor& flag) {
    if (!has_fused_cross_entropy(logits.device()) || logits.dim() != 2 || !is_floating(logits.dtype()) ||
        !logits.is_contiguous() || target.dtype() != DType::I64 || target.shape() != Shape{logits.size(0)} ||
        !target.is_contiguous() || !grad.is_contiguous() || grad.shape() != logits.shape())
        return false;
    if (logits.device() == Device::cpu()) {
        cpu::cross_entropy({.logits = logits, .target = target, .loss = loss, .grad = grad, .ignore_index = ignore_index});
        return true;
    }
    if (!rows.defined() || rows.numel() < 3 * logits.size(0) + 1 || !flag.defined() || flag.dtype() != DType::I64)
        return false;
    cuda::loaded_module()->cross_entropy(logits, target, loss, grad, rows, flag, ignore_index);
    return true;
}

}  // namespace neura::detail
