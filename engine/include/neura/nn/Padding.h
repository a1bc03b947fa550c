#pragma once
// Variable-length sequences in one batch: padded to the longest (data::Batch::lengths holds each row's
// valid steps), and the sequence layers told which steps are padding, so padding changes nothing in
// the valid steps, as PyTorch code does by hand with key_padding_mask and pack_padded_sequence:
//
//   nn::SequenceLengthsScope scope(batch.lengths);   // for this forward, on this thread
//   Tensor out = net.forward(batch.features);
//
// Inside a scope, for a batch-first [B, T, ...] input of B rows: MultiheadAttention and
// TransformerEncoderLayer ignore padded keys; RNN/LSTM/GRU keep each row's state from its last valid
// step and output zeros after it (reverse directions start there); LastStep takes each row's last
// valid step; MeanOverTime averages the valid steps. Outside a scope, or for a tensor with another
// number of rows, nothing changes.
#include <cstdint>

#include "neura/core/Tensor.h"

namespace neura::nn {

class SequenceLengthsScope {
public:
    // lengths: I64 [B], each in 1..T; undefined: no padding (a scope that changes nothing).
    explicit SequenceLengthsScope(const Tensor& lengths);
    ~SequenceLengthsScope();
    SequenceLengthsScope(const SequenceLengthsScope&) = delete;
    SequenceLengthsScope& operator=(const SequenceLengthsScope&) = delete;

private:
    Tensor previous_;
};

// The innermost scope's lengths on this thread when they apply to `batch` rows of `steps` steps
// (the sizes match and no length exceeds `steps`); undefined otherwise.
Tensor sequence_lengths_for(std::int64_t batch, std::int64_t steps);

// [B, T] masks of a scope's lengths (undefined where sequence_lengths_for is): 1 at valid steps and 0 at
// padding in `dtype`; or I64 nonzero at padding (MultiheadAttention's key_padding_mask).
Tensor valid_steps_mask(std::int64_t batch, std::int64_t steps, DType dtype, Device device);
Tensor padding_mask(std::int64_t batch, std::int64_t steps, Device device);

}  // namespace neura::nn
