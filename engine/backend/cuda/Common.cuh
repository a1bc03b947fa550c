#pragma once
// Device-side helpers shared by the .cu files: grid sizing, offsets of strided operands, block
// reductions and a dtype switch. Kept small: every kernel here is a template over the element type
// only, with the op chosen by a runtime code (the switch costs nothing in memory-bound kernels and keeps
// the number of instantiations, and so the compile time, low).
#include <cuda_runtime.h>

#include <cstdint>

#include "backend/cuda/Launch.h"

namespace neura::cuda::launch {

constexpr int kThreads = 256;

inline unsigned blocks_for(std::int64_t n, int threads = kThreads) {
    const std::int64_t b = (n + threads - 1) / threads;
    // Grid-stride loops cover the rest; 65535 * 8 blocks keep every SM busy on any current GPU.
    return static_cast<unsigned>(b < 1 ? 1 : (b > 65535 * 8 ? 65535 * 8 : b));
}

// Element offsets of operand k at linear index i of the iteration space.
template <int N>
__device__ __forceinline__ void offsets_of(const Strided<N>& g, std::int64_t i, std::int64_t (&off)[N]) {
    if (g.contiguous) {
        for (int k = 0; k < N; ++k) off[k] = i;
        return;
    }
    for (int k = 0; k < N; ++k) off[k] = 0;
    for (int d = g.ndim - 1; d >= 0; --d) {
        const std::int64_t size = g.sizes[d];
        const std::int64_t c = i % size;
        i /= size;
        for (int k = 0; k < N; ++k) off[k] += c * g.strides[k][d];
    }
}

#define NEURA_GRID_LOOP(i, n) \
    for (std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; i < (n); \
         i += static_cast<std::int64_t>(blockDim.x) * gridDim.x)

template <class T>
__device__ __forceinline__ T warp_sum(T v) {
    for (int o = 16; o > 0; o >>= 1) v += __shfl_down_sync(0xffffffffu, v, o);
    return v;
}

// Sum over the block (blockDim.x a multiple of 32, at most 1024); the result is valid in every thread.
template <class T>
__device__ T block_sum(T v) {
    __shared__ T partial[32];
    __shared__ T total;
    const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
    v = warp_sum(v);
    if (lane == 0) partial[warp] = v;
    __syncthreads();
    if (warp == 0) {
        T w = lane < static_cast<int>(blockDim.x / 32) ? partial[lane] : T(0);
        w = warp_sum(w);
        if (lane == 0) total = w;
    }
    __syncthreads();
    const T r = total;
    __syncthreads();  // the shared slots may be reused by a following call
    return r;
}

// Threads per block for a reduction over n elements: a power of two from 32 to 512.
inline int reduce_threads(std::int64_t n) {
    int t = 32;
    while (t < 512 && t < n) t *= 2;
    return t;
}

// Calls f(T{}) with T the element type of `type`.
template <class F>
cudaError_t visit(DType type, F&& f) {
    switch (type) {
        case DType::F32: return f(float{});
        case DType::F64: return f(double{});
        case DType::I64: return f(std::int64_t{});
    }
    return cudaErrorInvalidValue;
}
// Floating types only; I64 is an invalid value here.
template <class F>
cudaError_t visit_floating(DType type, F&& f) {
    switch (type) {
        case DType::F32: return f(float{});
        case DType::F64: return f(double{});
        case DType::I64: break;
    }
    return cudaErrorInvalidValue;
}

// Accumulator type: double for floating point sums, int64 for integers.
template <class T> struct Acc { using type = double; };
template <> struct Acc<std::int64_t> { using type = std::int64_t; };

inline cudaError_t launched() { return cudaGetLastError(); }

}  // namespace neura::cuda::launch
