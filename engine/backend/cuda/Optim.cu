// Fused optimizer updates: one kernel per parameter tensor, the element formulas of ops/Formulas.h.
#include "backend/cuda/Common.cuh"
#include "ops/Formulas.h"

namespace neura::cuda::launch {
namespace {

template <class T>
__global__ void sgd_kernel(T* p, const T* g, T* buf, std::int64_t n, SgdStepParams k) {
    const formula::SgdStep<T> step(k);
    NEURA_GRID_LOOP(j, n) { step(p[j], g[j], buf ? buf + j : nullptr); }
}

template <class T>
__global__ void adam_kernel(T* p, const T* g, T* m, T* v, T* vmax, std::int64_t n, AdamStepParams k) {
    const formula::AdamStep<T> step(k);
    NEURA_GRID_LOOP(j, n) { step(p[j], g[j], m[j], v[j], vmax ? vmax + j : nullptr); }
}

template <class T>
__global__ void rmsprop_kernel(T* p, const T* g, T* sq, T* buf, T* ga, std::int64_t n, RmspropStepParams k) {
    const formula::RmspropStep<T> step(k);
    NEURA_GRID_LOOP(j, n) { step(p[j], g[j], sq[j], buf ? buf + j : nullptr, ga ? ga + j : nullptr); }
}

}  // namespace

cudaError_t sgd_step(DType type, void* p, const void* g, void* buf, std::int64_t n, const SgdStepParams& k,
                     cudaStream_t s) {
    if (n == 0) return cudaSuccess;
    return visit_floating(type, [&](auto tag) {
        using T = decltype(tag);
        sgd_kernel<T><<<blocks_for(n), kThreads, 0, s>>>(static_cast<T*>(p), static_cast<const T*>(g),
                                                         static_cast<T*>(buf), n, k);
        return launched();
    });
}

cudaError_t adam_step(DType type, void* p, const void* g, void* m, void* v, void* vmax, std::int64_t n,
                      const AdamStepParams& k, cudaStream_t s) {
    if (n == 0) return cudaSuccess;
    return visit_floating(type, [&](auto tag) {
        using T = decltype(tag);
        adam_kernel<T><<<blocks_for(n), kThreads, 0, s>>>(static_cast<T*>(p), static_cast<const T*>(g),
                                                          static_cast<T*>(m), static_cast<T*>(v), static_cast<T*>(vmax),
                                                          n, k);
        return launched();
    });
}

cudaError_t rmsprop_step(DType type, void* p, const void* g, void* sq, void* buf, void* ga, std::int64_t n,
                         const RmspropStepParams& k, cudaStream_t s) {
    if (n == 0) return cudaSuccess;
    return visit_floating(type, [&](auto tag) {
        using T = decltype(tag);
        rmsprop_kernel<T><<<blocks_for(n), kThreads, 0, s>>>(static_cast<T*>(p), static_cast<const T*>(g),
                                                             static_cast<T*>(sq), static_cast<T*>(buf),
                                                             static_cast<T*>(ga), n, k);
        return launched();
    });
}

}  // namespace neura::cuda::launch
