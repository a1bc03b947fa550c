#pragma once
// softmax's backward through oneDNN (ops/Fused.h): gx = y * (g - sum(g * y)) along the last dim of contiguous
// float32 y and g, into contiguous gx of the same shape.
#include "neura/core/Tensor.h"

namespace neura::cpu {

void softmax_backward(const Tensor& y, const Tensor& g, const Tensor& gx);

// CrossEntropyLoss with mean reduction over logits [N, C] (contiguous, floating) and class indices target
// [N] (I64; rows equal to ignore_index count for nothing): writes the 0-d loss and its gradient with respect
// to the logits, (softmax - onehot) / kept rows ([N, C], contiguous). Throws on a target out of range.
struct CrossEntropyArgs {
    const Tensor& logits;
    const Tensor& target;
    const Tensor& loss;
    const Tensor& grad;
    std::int64_t ignore_index = -100;
};
void cross_entropy(const CrossEntropyArgs& a);

}  // namespace neura::cpu
