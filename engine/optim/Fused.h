#pragma once
// Fused optimizer updates: one kernel per parameter tensor (a single loop on the CPU, one CUDA kernel on
// a GPU), one pass, no temporaries. Each optimizer owns a kernel slot of the op table (sgd_step,
// adam_step, rmsprop_step). Used when the parameter, its gradient and its buffers are contiguous
// tensors of one dtype on one device; other layouts take the tensor-op path, which computes the same
// formulas.
#include <initializer_list>

#include "neura/core/Tensor.h"
#include "ops/Kernel.h"
#include "ops/KernelSignatures.h"

namespace neura::optim::detail {

inline bool fusable(const Tensor& param, std::initializer_list<const Tensor*> others) {
    if (!is_floating(param.dtype()) || !param.is_contiguous()) return false;
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
