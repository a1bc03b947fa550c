#pragma once
// Recurrent layers fused into one kernel where a backend has one: on the CPU, an LSTM layer and direction
// in float32 runs as oneDNN's LSTM primitive (backend/cpu/Rnn.h), forward and backward, instead of a dozen
// ops per time step. Elsewhere (float64, a device, LSTM gate recording, padded batches) nn::LSTM composes its
// steps of differentiable ops, which stay the reference the fused kernel is tested against (tests/nn).
#include <optional>

#include "neura/core/Tensor.h"

namespace neura::detail {

struct FusedRecurrentOutput {
    Tensor output, h_n, c_n;  // [T, B, H], [B, H], [B, H]
};

// x [T, B, I], h0 and c0 [B, H], weights and biases as torch.nn.LSTM's (biases may be undefined); nullopt
// where no fused kernel applies. Its backward is first-order only (once_differentiable).
std::optional<FusedRecurrentOutput> fused_lstm_layer(const Tensor& x, const Tensor& h0, const Tensor& c0,
                                                     const Tensor& w_ih, const Tensor& w_hh, const Tensor& b_ih,
                                                     const Tensor& b_hh, bool reverse);

}  // namespace neura::detail
