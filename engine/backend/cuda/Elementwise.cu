// Pointwise CUDA kernels: copies with dtype conversion, fill, unary and binary ops (with broadcasting
// through stride-0 operands and any strides), where, the dropout mask, and the indexing ops. The scalar
// formulas are ops/Formulas.h, the ones the CPU uses; the ops are those of ops/OpList.h.
#include <type_traits>

#include "backend/cuda/Common.cuh"
#include "ops/Formulas.h"

namespace neura::cuda::launch {
namespace {

// ------------------------------------------------------------------ copy and fill
template <class D, class S>
__global__ void copy_kernel(D* dst, const S* src, Strided<2> g) {
    NEURA_GRID_LOOP(i, g.numel) {
        std::int64_t off[2];
        offsets_of(g, i, off);
        dst[off[0]] = static_cast<D>(src[off[1]]);
    }
}

template <class T>
__global__ void fill_kernel(T* dst, T value, Strided<1> g) {
    NEURA_GRID_LOOP(i, g.numel) {
        std::int64_t off[1];
        offsets_of(g, i, off);
        dst[off[0]] = value;
    }
}

// ------------------------------------------------------------------ unary and binary
template <class F, class T>
__global__ void unary_kernel(const T* in, T* out, double p0, double p1, Strided<2> g) {
    const F f{p0, p1};
    NEURA_GRID_LOOP(i, g.numel) {
        std::int64_t off[2];
        offsets_of(g, i, off);
        out[off[0]] = f(in[off[1]]);
    }
}

template <class F, class T, class O>
__global__ void binary_kernel(const T* a, const T* b, O* out, double p0, Strided<3> g) {
    const F f{p0};
    NEURA_GRID_LOOP(i, g.numel) {
        std::int64_t off[3];
        offsets_of(g, i, off);
        out[off[0]] = static_cast<O>(f(a[off[1]], b[off[2]]));
    }
}

template <class F>
cudaError_t launch_unary(DType type, const void* in, void* out, double p0, double p1, const Strided<2>& g,
                         cudaStream_t s) {
    return visit(type, [&](auto tag) {
        using T = decltype(tag);
        unary_kernel<F, T><<<blocks_for(g.numel), kThreads, 0, s>>>(static_cast<const T*>(in), static_cast<T*>(out),
                                                                    p0, p1, g);
        return launched();
    });
}

// O: the output's element type (std::int64_t for comparisons), or void for the operands' type.
template <class F, class O>
cudaError_t launch_binary(DType type, const void* a, const void* b, void* out, double p0, const Strided<3>& g,
                          cudaStream_t s) {
    return visit(type, [&](auto tag) {
        using T = decltype(tag);
        using Out = std::conditional_t<std::is_void_v<O>, T, O>;
        binary_kernel<F, T, Out><<<blocks_for(g.numel), kThreads, 0, s>>>(
            static_cast<const T*>(a), static_cast<const T*>(b), static_cast<Out*>(out), p0, g);
        return launched();
    });
}

template <class T>
__global__ void where_kernel(const std::int64_t* c, const T* a, const T* b, T* out, Strided<4> g) {
    NEURA_GRID_LOOP(i, g.numel) {
        std::int64_t off[4];
        offsets_of(g, i, off);
        out[off[0]] = c[off[1]] ? a[off[2]] : b[off[3]];
    }
}

// ------------------------------------------------------------------ dropout
__device__ __forceinline__ std::uint64_t splitmix64(std::uint64_t z) {
    z += 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

template <class T>
__global__ void dropout_kernel(T* mask, std::int64_t n, double p, T keep, std::uint64_t seed) {
    NEURA_GRID_LOOP(i, n) {
        const double u = static_cast<double>(splitmix64(seed ^ splitmix64(static_cast<std::uint64_t>(i))) >> 11) *
                         (1.0 / 9007199254740992.0);
        mask[i] = u < p ? T(0) : keep;
    }
}

// ------------------------------------------------------------------ indexing
template <class T>
__device__ __forceinline__ void atomic_add(T* p, T v) {
    if constexpr (std::is_same_v<T, std::int64_t>)
        atomicAdd(reinterpret_cast<unsigned long long*>(p), static_cast<unsigned long long>(v));
    else
        atomicAdd(p, v);
}

template <class T>
__global__ void index_select_kernel(const T* x, const std::int64_t* index, T* out, std::int64_t size,
                                    std::int64_t n_index, std::int64_t inner, std::int64_t total) {
    NEURA_GRID_LOOP(i, total) {
        const std::int64_t j = i % inner, r = i / inner;
        const std::int64_t k = r % n_index, o = r / n_index;
        out[i] = x[(o * size + index[k]) * inner + j];
    }
}

template <class T>
__global__ void index_add_kernel(T* out, const std::int64_t* index, const T* src, std::int64_t size,
                                 std::int64_t n_index, std::int64_t inner, std::int64_t total) {
    NEURA_GRID_LOOP(i, total) {
        const std::int64_t j = i % inner, r = i / inner;
        const std::int64_t k = r % n_index, o = r / n_index;
        atomic_add(out + (o * size + index[k]) * inner + j, src[i]);
    }
}

__device__ __forceinline__ std::int64_t gather_offset(const GatherShape& sh, const std::int64_t* index,
                                                      std::int64_t p) {
    std::int64_t off = 0, rem = p;
    for (int d = sh.ndim - 1; d >= 0; --d) {
        const std::int64_t c = rem % sh.index_sizes[d];
        rem /= sh.index_sizes[d];
        off += (d == sh.dim ? index[p] : c) * sh.target_strides[d];
    }
    return off;
}

template <class T>
__global__ void gather_kernel(const T* x, const std::int64_t* index, T* out, GatherShape sh) {
    NEURA_GRID_LOOP(p, sh.numel) { out[p] = x[gather_offset(sh, index, p)]; }
}

template <class T>
__global__ void scatter_add_kernel(T* out, const std::int64_t* index, const T* src, GatherShape sh) {
    NEURA_GRID_LOOP(p, sh.numel) { atomic_add(out + gather_offset(sh, index, p), src[p]); }
}

}  // namespace

// ------------------------------------------------------------------ launchers
cudaError_t copy(DType dst_type, void* dst, DType src_type, const void* src, const Strided<2>& g, cudaStream_t s) {
    if (g.numel == 0) return cudaSuccess;
    return visit(dst_type, [&](auto dtag) {
        using D = decltype(dtag);
        return visit(src_type, [&](auto stag) {
            using S = decltype(stag);
            copy_kernel<D, S><<<blocks_for(g.numel), kThreads, 0, s>>>(static_cast<D*>(dst), static_cast<const S*>(src), g);
            return launched();
        });
    });
}

cudaError_t fill(DType type, void* dst, double value, const Strided<1>& g, cudaStream_t s) {
    if (g.numel == 0) return cudaSuccess;
    return visit(type, [&](auto tag) {
        using T = decltype(tag);
        fill_kernel<T><<<blocks_for(g.numel), kThreads, 0, s>>>(static_cast<T*>(dst), static_cast<T>(value), g);
        return launched();
    });
}

cudaError_t unary(UnaryOp op, DType type, const void* in, void* out, double p0, double p1, const Strided<2>& g,
                  cudaStream_t s) {
    if (g.numel == 0) return cudaSuccess;
    switch (op) {
#define NEURA_CASE(name, Formula) \
    case UnaryOp::Formula: return launch_unary<formula::Formula>(type, in, out, p0, p1, g, s);
        NEURA_UNARY_OPS(NEURA_CASE)
#undef NEURA_CASE
    }
    return cudaErrorInvalidValue;
}

cudaError_t binary(BinaryOp op, DType type, const void* a, const void* b, void* out, double p0, const Strided<3>& g,
                   cudaStream_t s) {
    if (g.numel == 0) return cudaSuccess;
    switch (op) {
#define NEURA_CASE(name, Formula) \
    case BinaryOp::Formula: return launch_binary<formula::Formula, void>(type, a, b, out, p0, g, s);
        NEURA_BINARY_OPS(NEURA_CASE)
#undef NEURA_CASE
#define NEURA_CASE(name, Formula) \
    case BinaryOp::Formula: return launch_binary<formula::Formula, std::int64_t>(type, a, b, out, p0, g, s);
        NEURA_COMPARISON_OPS(NEURA_CASE)
#undef NEURA_CASE
    }
    return cudaErrorInvalidValue;
}

cudaError_t where(DType type, const std::int64_t* cond, const void* a, const void* b, void* out, const Strided<4>& g,
                  cudaStream_t s) {
    if (g.numel == 0) return cudaSuccess;
    return visit(type, [&](auto tag) {
        using T = decltype(tag);
        where_kernel<T><<<blocks_for(g.numel), kThreads, 0, s>>>(cond, static_cast<const T*>(a),
                                                                 static_cast<const T*>(b), static_cast<T*>(out), g);
        return launched();
    });
}

cudaError_t dropout_mask(DType type, void* mask, std::int64_t n, double p, std::uint64_t seed, cudaStream_t s) {
    if (n == 0) return cudaSuccess;
    return visit_floating(type, [&](auto tag) {
        using T = decltype(tag);
        dropout_kernel<T><<<blocks_for(n), kThreads, 0, s>>>(static_cast<T*>(mask), n, p,
                                                             static_cast<T>(1.0 / (1.0 - p)), seed);
        return launched();
    });
}

cudaError_t index_select(DType type, const void* x, const std::int64_t* index, void* out, std::int64_t outer,
                         std::int64_t size, std::int64_t n_index, std::int64_t inner, cudaStream_t s) {
    const std::int64_t total = outer * n_index * inner;
    if (total == 0) return cudaSuccess;
    return visit(type, [&](auto tag) {
        using T = decltype(tag);
        index_select_kernel<T><<<blocks_for(total), kThreads, 0, s>>>(static_cast<const T*>(x), index,
                                                                      static_cast<T*>(out), size, n_index, inner, total);
        return launched();
    });
}

cudaError_t index_add(DType type, void* out, const std::int64_t* index, const void* src, std::int64_t outer,
                      std::int64_t size, std::int64_t n_index, std::int64_t inner, cudaStream_t s) {
    const std::int64_t total = outer * n_index * inner;
    if (total == 0) return cudaSuccess;
    return visit(type, [&](auto tag) {
        using T = decltype(tag);
        index_add_kernel<T><<<blocks_for(total), kThreads, 0, s>>>(static_cast<T*>(out), index,
                                                                   static_cast<const T*>(src), size, n_index, inner, total);
        return launched();
    });
}

cudaError_t gather(DType type, const void* x, const std::int64_t* index, void* out, const GatherShape& sh,
                   cudaStream_t s) {
    if (sh.numel == 0) return cudaSuccess;
    return visit(type, [&](auto tag) {
        using T = decltype(tag);
        gather_kernel<T><<<blocks_for(sh.numel), kThreads, 0, s>>>(static_cast<const T*>(x), index,
                                                                   static_cast<T*>(out), sh);
        return launched();
    });
}

cudaError_t scatter_add(DType type, void* out, const std::int64_t* index, const void* src, const GatherShape& sh,
                        cudaStream_t s) {
    if (sh.numel == 0) return cudaSuccess;
    return visit(type, [&](auto tag) {
        using T = decltype(tag);
        scatter_add_kernel<T><<<blocks_for(sh.numel), kThreads, 0, s>>>(static_cast<T*>(out), index,
                                                                        static_cast<const T*>(src), sh);
        return launched();
    });
}

}  // namespace neura::cuda::launch
