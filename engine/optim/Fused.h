#pragma once
// Optimizer updates as single loops over raw CPU memory: one pass, no temporaries. Used when the
// parameter, its gradient and its buffers are contiguous CPU tensors of one dtype; other tensors
// (another device, odd layouts) take the tensor-op path, which computes the same formulas.
#include <initializer_list>

#include "neura/core/Tensor.h"

namespace neura::optim::detail {

inline bool fusable(const Tensor& param, std::initializer_list<const Tensor*> others) {
    if (param.device().type != DeviceType::CPU || !param.is_contiguous()) return false;
    for (const Tensor* t : others)
        if (t->defined() && (t->device() != param.device() || t->dtype() != param.dtype() || !t->is_contiguous()))
            return false;
    return true;
}

// Pointer to the elements of t, or null when undefined.
template <class T>
T* ptr(const Tensor& t) {
    return t.defined() ? static_cast<T*>(t.raw_data()) : nullptr;
}

// Writes `value` into `param` (the tensor-op path's last step), bypassing autograd's in-place check.
inline void assign(const Tensor& param, const Tensor& value) {
    Tensor p = param;
    p.copy_(value);
}

}  // namespace neura::optim::detail
