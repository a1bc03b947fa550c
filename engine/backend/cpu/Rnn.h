#pragma once
// One recurrent layer and direction in one oneDNN RNN primitive (float32, CPU), forward for training and
// backward: vanilla RNN (tanh or relu), LSTM and GRU (oneDNN's linear-before-reset GRU, which is PyTorch's).
// The weights come in oneDNN's gate order as [G*H, I] and [G*H, H] matrices (oneDNN's ldgoi layout, PyTorch's
// own for RNN and LSTM, whose gate orders agree), the bias as [B*H] (B = G, and G + 1 for GRU, whose last
// part is the recurrent candidate bias). ops/Fused.cpp maps PyTorch's parameters and records the autograd
// node around it.
#include <memory>

#include "neura/core/Tensor.h"

namespace neura::cpu {

enum class RnnCell { Tanh, Relu, LSTM, GRU };

// What the backward needs of a forward beyond its tensors: oneDNN's forward descriptor (the backward's
// hint) and the workspace the forward wrote for it.
struct RnnState;

struct RnnForward {
    Tensor y, h_n, c_n;  // [T, B, H], [B, H], [B, H] (c_n: LSTM only)
    std::shared_ptr<RnnState> state;
};

// x [T, B, I], h0 (and c0, LSTM only) [B, H], weights and bias as above: all contiguous float32 on the
// CPU. `reverse` runs the steps from last to first.
RnnForward rnn_forward(RnnCell cell, const Tensor& x, const Tensor& h0, const Tensor& c0, const Tensor& w_ih,
                       const Tensor& w_hh, const Tensor& bias, bool reverse);

struct RnnGrads {
    Tensor x, h0, c0, w_ih, w_hh, bias;
};

// The gradients of every input from those of y, h_n and c_n (each contiguous float32; gc for LSTM only).
RnnGrads rnn_backward(const RnnState& state, const Tensor& x, const Tensor& h0, const Tensor& c0, const Tensor& w_ih,
                      const Tensor& w_hh, const Tensor& bias, const Tensor& y, const Tensor& h_n, const Tensor& c_n,
                      const Tensor& gy, const Tensor& gh, const Tensor& gc);

}  // namespace neura::cpu
