// dropout: a mask kernel draws which elements survive; the op is mask multiplication, so its backward
// (and double backward) comes from mul.
#include "neura/ops/NnOps.h"
#include "ops/Internal.h"

namespace neura {

namespace {

void dropout_mask_cpu(const Tensor& mask, double p, Generator& gen) {
    visit_dtype(mask.dtype(), [&](auto tag) {
        using T = decltype(tag);
        T* pm = mask.data<T>();
        const T keep = static_cast<T>(1.0 / (1.0 - p));
        for (std::int64_t i = 0; i < mask.numel(); ++i) pm[i] = gen.uniform() < p ? T(0) : keep;
    });
}

Kernel<DropoutMaskKernel> kDropoutMask{"dropout_mask", &dropout_mask_cpu};

}  // namespace

Tensor dropout(const Tensor& x, double p, bool training, Generator* gen) {
    NEURA_CHECK(x.defined(), "dropout: undefined input");
    NEURA_CHECK(p >= 0.0 && p <= 1.0, "dropout: probability has to be between 0 and 1, but got ", p);
    if (!training || p == 0.0) return x;
    NEURA_CHECK(is_floating(x.dtype()), "dropout: expects a floating input, gets ", dtype_name(x.dtype()));
    if (p == 1.0) return x * Tensor::zeros_like(x);  // every element dropped; keeps the graph
    Tensor mask = Tensor::empty(x.shape(), x.dtype(), x.device());
    kDropoutMask(x.device())(mask, p, gen ? *gen : default_generator());
    return x * mask;
}

}  // namespace neura
