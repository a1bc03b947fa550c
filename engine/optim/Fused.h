#pragma once
// Fused optimizer updates: one kernel per parameter tensor (a single loop on the CPU, one CUDA kernel on
// a GPU), one pass, the element formula of ops/Formulas.h. Each optimizer owns a kernel slot of the op
// table (sgd_step, adam_step, rmsprop_step). Every layout takes that one formula: operands that are not
// contiguous tensors of the parameter's dtype and device get contiguous stand-ins (StandIns), written
// back after the step.
#include <initializer_list>
#include <vector>

#include "neura/core/Tensor.h"
#include "ops/Kernel.h"
#include "ops/KernelSignatures.h"

namespace neura::optim::detail {

// Pointer to the elements of t, or null when undefined.
template <class T>
T* ptr(const Tensor& t) {
    return t.defined() ? static_cast<T*>(t.raw_data()) : nullptr;
}

// The operands of one fused step as the kernel needs them. The first is the parameter, the second its
// gradient (read only); the rest are state buffers (undefined when unused). Operands already fit are
// used as they are; the others are copied, and write_back() copies the parameter and buffers home.
class StandIns {
public:
    StandIns(std::initializer_list<Tensor> operands) : original_(operands) {
        const Tensor& p = original_.front();
        NEURA_CHECK(is_floating(p.dtype()), "optimizer: parameter of dtype ", dtype_name(p.dtype()),
                    "; only float32 and float64 parameters are trained");
        for (const Tensor& t : original_) {
            const bool fits = !t.defined() || (t.device() == p.device() && t.dtype() == p.dtype() && t.is_contiguous());
            used_.push_back(fits ? t : t.to(p.device()).to(p.dtype()).contiguous());
        }
    }
    const Tensor& operator[](std::size_t i) const { return used_[i]; }
    void write_back() {
        for (std::size_t i = 0; i < used_.size(); ++i) {
            if (i == 1 || !used_[i].defined() || used_[i].is_same(original_[i])) continue;
            Tensor home = original_[i];  // bypasses autograd's in-place check, as the update itself does
            home.copy_(used_[i]);
        }
    }

private:
    std::vector<Tensor> original_, used_;
};

}  // namespace neura::optim::detail
