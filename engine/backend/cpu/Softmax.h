#pragma once
// softmax's backward through oneDNN (ops/Fused.h): gx = y * (g - sum(g * y)) along the last dim of contiguous
// float32 y and g, into contiguous gx of the same shape.
#include "neura/core/Tensor.h"

namespace neura::cpu {

void softmax_backward(const Tensor& y, const Tensor& g, const Tensor& gx);

}  // namespace neura::cpu
