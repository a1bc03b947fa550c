#pragma once
// Work fused into one kernel where a backend has one, beside the composition of differentiable ops that
// defines it and that runs everywhere else (float64, devices, a second derivative). The composition stays
// the reference the fused kernels are tested against.
// - On the CPU, an RNN, LSTM or GRU layer and direction in float32 runs as one oneDNN RNN primitive
//   (backend/cpu/Rnn.h), forward and backward, instead of several ops per time step. Elsewhere (float64, a
//   device, padded batches) nn::RNN / LSTM / GRU compose their steps.
// - CrossEntropyLoss (mean, class indices) over [N, C] logits on the CPU: the loss and its gradient with
//   respect to the logits in one pass (the training plan's loss, neura/plan).
// - softmax's backward over contiguous float32 rows on the CPU is oneDNN's softmax backward: one pass
//   instead of four.
#include <optional>

#include "neura/core/Tensor.h"

namespace neura::detail {

struct FusedRecurrentOutput {
    Tensor output, h_n, c_n;  // [T, B, H], [B, H], [B, H] (c_n: LSTM only)
};

enum class RecurrentCell { Tanh, Relu, LSTM, GRU };

// One layer and direction of torch.nn.RNN / LSTM / GRU: x [T, B, I], h0 (and c0, LSTM only) [B, H], weights and
// biases as PyTorch's (biases may be undefined); nullopt where no fused kernel applies. Its backward is first-order
// only (once_differentiable).
std::optional<FusedRecurrentOutput> fused_recurrent_layer(RecurrentCell cell, const Tensor& x, const Tensor& h0,
                                                          const Tensor& c0, const Tensor& w_ih, const Tensor& w_hh,
                                                          const Tensor& b_ih, const Tensor& b_hh, bool reverse);

// The gradient of softmax's input, y * (g - sum(g * y)) along y's last dim, when a fused kernel applies (y
// and g contiguous float32 on the CPU); an undefined tensor otherwise. Records nothing.
Tensor fused_softmax_backward(const Tensor& y, const Tensor& g);

// CrossEntropyLoss with mean reduction of logits [N, C] (contiguous, floating) against class indices [N] (I64,
// ignore_index rows left out): writes the 0-d `loss` and `grad` = d loss / d logits ([N, C], contiguous) and
// returns true, where a fused kernel applies (the CPU, a GPU); false otherwise, writing nothing. Records
// nothing. On the CPU it throws neura::Error naming a target out of range, as cross_entropy(). On a GPU it
// never synchronizes: it needs scratch `rows` (3 N + 1 elements of the logits' dtype) and `flag` (I64 [1],
// zero), which a target out of range sets to 1 for the caller to read after the step.
bool fused_cross_entropy(const Tensor& logits, const Tensor& target, const Tensor& loss, const Tensor& grad,
                         std::int64_t ignore_index, const Tensor& rows = {}, const Tensor& flag = {});
// Whether fused_cross_entropy() applies on `device`.
bool has_fused_cross_entropy(Device device);

}  // namespace neura::detail
