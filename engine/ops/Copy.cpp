// Strided copy with dtype conversion (contiguous(), clone(), to(dtype), copy_()), fill_, and the slot for
// copies between the CPU and a device (to(device)), which only device backends fill. The CPU kernels are
// in backend/cpu/Copy.cpp.
#include "ops/Internal.h"

namespace neura::detail {

DispatchSlot<CopyKernel> kCopy{"copy"};
DispatchSlot<FillKernel> kFill{"fill"};
DispatchSlot<DeviceCopyKernel> kDeviceCopy{"device_copy"};

}  // namespace neura::detail
