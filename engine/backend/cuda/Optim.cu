// Fused optimizer updates: one kernel per parameter tensor, the formulas of the CPU loops in
// engine/optim/{SGD,Adam,RMSprop}.cpp element by element.
#include "backend/cuda/Common.cuh"

namespace neura::cuda::launch {
namespace {

template <class T>
__global__ void sgd_kernel(T* p, const T* g, T* buf, std::int64_t n, SgdStepParams o) {
    const T lr = static_cast<T>(o.lr), wd = static_cast<T>(o.weight_decay), mom = static_cast<T>(o.momentum);
    const T keep = static_cast<T>(1.0 - o.dampening);
    const T sign = o.maximize ? T(-1) : T(1);
    NEURA_GRID_LOOP(j, n) {
        T d = sign * g[j];
        if (o.weight_decay != 0.0) d += wd * p[j];
        if (buf) {
            buf[j] = o.first ? d : buf[j] * mom + keep * d;
            d = o.nesterov ? d + mom * buf[j] : buf[j];
        }
        p[j] -= lr * d;
    }
}

template <class T>
__global__ void adam_kernel(T* p, const T* g, T* m, T* v, T* vmax, std::int64_t n, AdamStepParams k) {
    const T b1 = static_cast<T>(k.beta1), b2 = static_cast<T>(k.beta2);
    const T one_b1 = static_cast<T>(1.0 - k.beta1), one_b2 = static_cast<T>(1.0 - k.beta2);
    const T wd = static_cast<T>(k.weight_decay), decay = static_cast<T>(1.0 - k.lr * k.weight_decay);
    const T eps = static_cast<T>(k.eps), step_size = static_cast<T>(k.step_size), bc2 = static_cast<T>(k.bc2_sqrt);
    const T sign = k.maximize ? T(-1) : T(1);
    NEURA_GRID_LOOP(j, n) {
        T gj = sign * g[j];
        T pj = p[j];
        if (k.decoupled) pj *= decay;
        else if (k.weight_decay != 0.0) gj += wd * pj;
        const T mj = m[j] * b1 + one_b1 * gj;
        const T vj = v[j] * b2 + one_b2 * (gj * gj);
        m[j] = mj;
        v[j] = vj;
        T second = vj;
        if (vmax) {
            second = vmax[j] > vj ? vmax[j] : vj;
            vmax[j] = second;
        }
        const T denom = sqrt(second) / bc2 + eps;
        p[j] = pj + (-step_size * (mj / denom));
    }
}

template <class T>
__global__ void rmsprop_kernel(T* p, const T* g, T* sq, T* buf, T* ga, std::int64_t n, RmspropStepParams o) {
    const T lr = static_cast<T>(o.lr), alpha = static_cast<T>(o.alpha), one_alpha = static_cast<T>(1.0 - o.alpha);
    const T eps = static_cast<T>(o.eps), wd = static_cast<T>(o.weight_decay), mom = static_cast<T>(o.momentum);
    const T sign = o.maximize ? T(-1) : T(1);
    NEURA_GRID_LOOP(j, n) {
        T gj = sign * g[j];
        if (o.weight_decay != 0.0) gj += wd * p[j];
        const T s = sq[j] * alpha + one_alpha * (gj * gj);
        sq[j] = s;
        T avg;
        if (ga) {
            const T a = ga[j] * alpha + one_alpha * gj;
            ga[j] = a;
            avg = sqrt(s - a * a);
        } else {
            avg = sqrt(s);
        }
        avg += eps;
        if (buf) {
            const T b = buf[j] * mom + gj / avg;
            buf[j] = b;
            p[j] -= lr * b;
        } else {
            p[j] += -lr * (gj / avg);
        }
    }
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
