#pragma once
// One LSTM layer and direction in one oneDNN LSTM primitive (float32, CPU), forward for training and
// backward: PyTorch's gate order (i, f, g, o) is oneDNN's, and PyTorch's [4H, I] weights are oneDNN's
// ldgoi layout, so nothing is permuted. ops/Fused.cpp records the autograd node around it.
#include <memory>

#include "neura/core/Tensor.h"

namespace neura::cpu {

// What the backward needs of a forward beyond its tensors: oneDNN's forward descriptor (the backward's
// hint) and the workspace the forward wrote for it.
struct LstmState;

struct LstmForward {
    Tensor y, h_n, c_n;  // [T, B, H], [B, H], [B, H]
    std::shared_ptr<LstmState> state;
};

// x [T, B, I], h0 and c0 [B, H], w_ih [4H, I], w_hh [4H, H], bias [4H] (b_ih + b_hh): all contiguous
// float32 on the CPU. `reverse` runs the steps from last to first.
LstmForward lstm_forward(const Tensor& x, const Tensor& h0, const Tensor& c0, const Tensor& w_ih, const Tensor& w_hh,
                         const Tensor& bias, bool reverse);

struct LstmGrads {
    Tensor x, h0, c0, w_ih, w_hh, bias;
};

// The gradients of every input from those of y, h_n and c_n (each contiguous float32).
LstmGrads lstm_backward(const LstmState& state, const Tensor& x, const Tensor& h0, const Tensor& c0,
                        const Tensor& w_ih, const Tensor& w_hh, const Tensor& bias, const Tensor& y,
                        const Tensor& h_n, const Tensor& c_n, const Tensor& gy, const Tensor& gh, const Tensor& gc);

}  // namespace neura::cpu
