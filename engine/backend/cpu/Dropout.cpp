// The CPU's dropout mask: one draw of the generator per element.
#include "ops/KernelSignatures.h"

namespace neura::cpu {
namespace {

void dropout_mask_cpu(const Tensor& mask, double p, Generator& gen) {
    visit_dtype(mask.dtype(), [&](auto tag) {
        using T = decltype(tag);
        T* pm = mask.data<T>();
        const T keep = static_cast<T>(1.0 / (1.0 - p));
        for (std::int64_t i = 0; i < mask.numel(); ++i) pm[i] = gen.uniform() < p ? T(0) : keep;
    });
}

}  // namespace

void dropout_mask(const Tensor& mask, double p, Generator& gen) { dropout_mask_cpu(mask, p, gen); }

}  // namespace neura::cpu
