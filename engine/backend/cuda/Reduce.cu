// Reductions (sum, max/min and their indices) and softmax / log_softmax: one block per output (row),
// threads striding over the reduced elements, then a block-wide combine. Semantics as the CPU kernels:
// sums accumulate in double (int64 for integers), max/min keep the first extremum, NaN wins.
#include <cfloat>
#include <type_traits>

#include "backend/cuda/Common.cuh"

namespace neura::cuda::launch {
namespace {

// ------------------------------------------------------------------ extremum with its index
template <class T>
struct Best {
    T value;
    std::int64_t index;  // -1: nothing seen yet
};

template <class T>
__device__ __forceinline__ bool is_nan(T v) {
    if constexpr (std::is_integral_v<T>) return false;
    else return v != v;
}

// Whether b replaces a: NaN wins (the first NaN), then the larger (smaller) value, then the first index.
template <class T>
__device__ __forceinline__ bool better(const Best<T>& a, const Best<T>& b, bool is_max) {
    if (b.index < 0) return false;
    if (a.index < 0) return true;
    const bool an = is_nan(a.value), bn = is_nan(b.value);
    if (an || bn) return an && bn ? b.index < a.index : bn;
    if (a.value == b.value) return b.index < a.index;
    return is_max ? b.value > a.value : b.value < a.value;
}

template <class T>
__device__ Best<T> block_best(Best<T> v, bool is_max) {
    __shared__ T values[32];
    __shared__ std::int64_t indices[32];
    const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
    for (int o = 16; o > 0; o >>= 1) {
        const Best<T> other{__shfl_down_sync(0xffffffffu, v.value, o), __shfl_down_sync(0xffffffffu, v.index, o)};
        if (better(v, other, is_max)) v = other;
    }
    if (lane == 0) {
        values[warp] = v.value;
        indices[warp] = v.index;
    }
    __syncthreads();
    if (warp == 0) {
        v = lane < static_cast<int>(blockDim.x / 32) ? Best<T>{values[lane], indices[lane]} : Best<T>{T(0), -1};
        for (int o = 16; o > 0; o >>= 1) {
            const Best<T> other{__shfl_down_sync(0xffffffffu, v.value, o), __shfl_down_sync(0xffffffffu, v.index, o)};
            if (better(v, other, is_max)) v = other;
        }
    }
    return v;  // valid in thread 0
}

template <class T>
__global__ void reduce_kernel(ReduceOp op, const T* in, void* out, Strided<1> kept, Strided<1> red) {
    using A = typename Acc<T>::type;
    const bool is_max = op == ReduceOp::Max || op == ReduceOp::ArgMax;
    for (std::int64_t o = blockIdx.x; o < kept.numel; o += gridDim.x) {
        std::int64_t base[1];
        offsets_of(kept, o, base);
        if (op == ReduceOp::Sum) {
            A acc = 0;
            for (std::int64_t r = threadIdx.x; r < red.numel; r += blockDim.x) {
                std::int64_t off[1];
                offsets_of(red, r, off);
                acc += static_cast<A>(in[base[0] + off[0]]);
            }
            acc = block_sum(acc);
            if (threadIdx.x == 0) static_cast<T*>(out)[o] = static_cast<T>(acc);
            continue;
        }
        Best<T> best{T(0), -1};
        for (std::int64_t r = threadIdx.x; r < red.numel; r += blockDim.x) {
            std::int64_t off[1];
            offsets_of(red, r, off);
            const Best<T> cand{in[base[0] + off[0]], r};
            if (better(best, cand, is_max)) best = cand;
        }
        best = block_best(best, is_max);
        if (threadIdx.x == 0) {
            if (op == ReduceOp::ArgMax || op == ReduceOp::ArgMin) static_cast<std::int64_t*>(out)[o] = best.index;
            else static_cast<T*>(out)[o] = best.value;
        }
        __syncthreads();
    }
}

// ------------------------------------------------------------------ softmax
template <class T>
__device__ T block_max(T v) {
    __shared__ T partial[32];
    __shared__ T total;
    const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
    for (int o = 16; o > 0; o >>= 1) v = fmax(v, __shfl_down_sync(0xffffffffu, v, o));
    if (lane == 0) partial[warp] = v;
    __syncthreads();
    if (warp == 0) {
        T w = lane < static_cast<int>(blockDim.x / 32) ? partial[lane] : -INFINITY;
        for (int o = 16; o > 0; o >>= 1) w = fmax(w, __shfl_down_sync(0xffffffffu, w, o));
        if (lane == 0) total = w;
    }
    __syncthreads();
    const T r = total;
    __syncthreads();
    return r;
}

template <class T>
__global__ void softmax_kernel(bool log_out, const T* in, T* out, Strided<2> outer, std::int64_t len,
                               std::int64_t in_stride, std::int64_t out_stride) {
    for (std::int64_t row = blockIdx.x; row < outer.numel; row += gridDim.x) {
        std::int64_t off[2];
        offsets_of(outer, row, off);
        const T* x = in + off[1];
        T* y = out + off[0];
        T m = -INFINITY;
        for (std::int64_t i = threadIdx.x; i < len; i += blockDim.x) m = fmax(m, x[i * in_stride]);
        m = block_max(m);
        if (!isfinite(m)) m = T(0);  // an all -inf row: keep exp finite, as the CPU kernel
        double total = 0;
        for (std::int64_t i = threadIdx.x; i < len; i += blockDim.x) total += exp(static_cast<double>(x[i * in_stride] - m));
        total = block_sum(total);
        if (log_out) {
            const T lse = static_cast<T>(log(total)) + m;
            for (std::int64_t i = threadIdx.x; i < len; i += blockDim.x) y[i * out_stride] = x[i * in_stride] - lse;
        } else {
            const double inv = 1.0 / total;
            for (std::int64_t i = threadIdx.x; i < len; i += blockDim.x)
                y[i * out_stride] = static_cast<T>(exp(static_cast<double>(x[i * in_stride] - m)) * inv);
        }
    }
}

}  // namespace

cudaError_t reduce(ReduceOp op, DType type, const void* in, void* out, const Strided<1>& kept, const Strided<1>& red,
                   cudaStream_t s) {
    if (kept.numel == 0) return cudaSuccess;
    const int threads = reduce_threads(red.numel);
    return visit(type, [&](auto tag) {
        using T = decltype(tag);
        reduce_kernel<T><<<blocks_for(kept.numel, 1), threads, 0, s>>>(op, static_cast<const T*>(in), out, kept, red);
        return launched();
    });
}

cudaError_t softmax(bool log_out, DType type, const void* in, void* out, const Strided<2>& outer, std::int64_t len,
                    std::int64_t in_stride, std::int64_t out_stride, cudaStream_t s) {
    if (outer.numel == 0 || len == 0) return cudaSuccess;
    const int threads = reduce_threads(len);
    return visit_floating(type, [&](auto tag) {
        using T = decltype(tag);
        softmax_kernel<T><<<blocks_for(outer.numel, 1), threads, 0, s>>>(log_out, static_cast<const T*>(in),
                                                                         static_cast<T*>(out), outer, len, in_stride,
                                                                         out_stride);
        return launched();
    });
}

}  // namespace neura::cuda::launch
