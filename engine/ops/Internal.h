#pragma once
// Helpers shared by the op files (not public API).
#include "autograd/Function.h"
#include "neura/ops/Ops.h"
#include "ops/Kernel.h"
#include "ops/KernelSignatures.h"

namespace neura::detail {

// A view of `base`'s storage with other geometry; records no history.
Tensor make_view(const Tensor& base, Shape sizes, Shape strides, std::int64_t offset);
// `t` broadcast to `shape` as a stride-0 view; records no history.
Tensor broadcast_view(const Tensor& t, const Shape& shape);
// Copies src (broadcast to dst's shape, converted to dst's dtype) into dst; no history, no version bump.
void copy_into(const Tensor& dst, const Tensor& src);
// Fails with a clear message when autograd tracks `t` (in-place writes would corrupt its history).
void check_inplace(const Tensor& t, const char* op);
// Converts to a floating dtype (F32 for I64) for ops defined on reals only.
Tensor to_floating(const Tensor& t);

extern DispatchSlot<CopyKernel> kCopy;
extern DispatchSlot<FillKernel> kFill;
// Copies between the CPU and a device; filled by device backends only.
extern DispatchSlot<DeviceCopyKernel> kDeviceCopy;

}  // namespace neura::detail
