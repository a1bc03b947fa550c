// dropout: a mask kernel draws which elements survive; the op is mask multiplication, so its backward
// (and double backward) comes from mul.
#include "neura/ops/NnOps.h"
#include "ops/Internal.h"

namespace neura {

namespace {

DispatchSlot<DropoutMaskKernel> kDropoutMask{"dropout_mask"};  // the CPU kernel: backend/cpu/Dropout.cpp

}  // namespace

Tensor dropout(const Tensor& x, double p, bool training, Generator* gen) {
    NEURA_CHECK(x.defined(), "dropout: undefined input");
    NEURA_CHECK(p >= 0.0 && p <= 1.0, "dropout: probability has to be between 0 and 1, but got ", p);
    if (!training || p == 0.0) return x;
    NEURA_CHECK_TYPE(is_floating(x.dtype()), "dropout: expects a floating input, gets ", dtype_name(x.dtype()));
    if (p == 1.0) return x * Tensor::zeros_like(x);  // every element dropped; keeps the graph
    Tensor mask = Tensor::empty(x.shape(), x.dtype(), x.device());
    kDropoutMask(x.device())(mask, p, gen ? *gen : default_generator());
    return x * mask;
}

}  // namespace neura
