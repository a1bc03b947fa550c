// The CPU kernels of the fused optimizer updates: the element formulas of ops/Formulas.h in one loop.
#include <type_traits>

#include "ops/Formulas.h"
#include "ops/KernelSignatures.h"

namespace neura::cpu {
namespace {

template <class T>
T* ptr(const Tensor& t) {
    return t.defined() ? static_cast<T*>(t.raw_data()) : nullptr;
}
template <class T>
T* at(T* p, std::int64_t j) {
    return p ? p + j : nullptr;
}

}  // namespace

void sgd_step(const Tensor& p, const Tensor& g, const Tensor& buf, const SgdStepParams& k) {
    visit_dtype(p.dtype(), [&](auto tag) {
        using T = decltype(tag);
        if constexpr (!std::is_integral_v<T>) {
            const formula::SgdStep<T> step(k);
            T* pp = ptr<T>(p);
            const T* pg = ptr<T>(g);
            T* pb = ptr<T>(buf);
            for (std::int64_t j = 0, n = p.numel(); j < n; ++j) step(pp[j], pg[j], at(pb, j));
        }
    });
}

void adam_step(const Tensor& p, const Tensor& g, const Tensor& m, const Tensor& v, const Tensor& vmax,
               const AdamStepParams& k) {
    visit_dtype(p.dtype(), [&](auto tag) {
        using T = decltype(tag);
        if constexpr (!std::is_integral_v<T>) {
            const formula::AdamStep<T> step(k);
            T *pp = ptr<T>(p), *pm = ptr<T>(m), *pv = ptr<T>(v), *pmax = ptr<T>(vmax);
            const T* pg = ptr<T>(g);
            const std::int64_t n = p.numel();
            if (pmax) {
                for (std::int64_t j = 0; j < n; ++j) step(pp[j], pg[j], pm[j], pv[j], pmax + j);
            } else {  // no amsgrad: a loop the compiler vectorizes
#pragma omp simd
                for (std::int64_t j = 0; j < n; ++j) step(pp[j], pg[j], pm[j], pv[j], nullptr);
            }
        }
    });
}

void rmsprop_step(const Tensor& p, const Tensor& g, const Tensor& sq, const Tensor& buf, const Tensor& ga,
                  const RmspropStepParams& k) {
    visit_dtype(p.dtype(), [&](auto tag) {
        using T = decltype(tag);
        if constexpr (!std::is_integral_v<T>) {
            const formula::RmspropStep<T> step(k);
            T *pp = ptr<T>(p), *psq = ptr<T>(sq), *pb = ptr<T>(buf), *pga = ptr<T>(ga);
            const T* pg = ptr<T>(g);
            for (std::int64_t j = 0, n = p.numel(); j < n; ++j) step(pp[j], pg[j], psq[j], at(pb, j), at(pga, j));
        }
    });
}

}  // namespace neura::cpu
