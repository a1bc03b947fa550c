#pragma once
// The CPU's pointwise loops: each listed op (ops/OpList.h) instantiates them with its formula
// (ops/Formulas.h) in backend/cpu/Register.cpp.
#include <cmath>

#include "backend/cpu/Loops.h"

// glibc's vector math library (libmvec, part of libc6 since 2.35) has 4-wide SSE versions of tanhf that
// dispatch to the best instruction set at run time. Declaring them lets the compiler vectorize the
// formula's own std::tanh calls in the loops below (what glibc's math.h declares under -ffast-math only):
// the same formula, 4 floats a call. Worst difference from scalar tanhf: 2 ulp (1.8e-7 relative) over
// [-12, 12] in steps of 1e-4, signs, zeros, infinities and NaN kept. (The W3 network's forward is half
// tanh: 19 -> 12 us a step.)
#if defined(__x86_64__) && defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 35)) && \
    defined(NEURA_HAVE_LIBMVEC)
extern "C" __attribute__((__simd__("notinbranch"))) float tanhf(float) noexcept;
#endif

namespace neura::cpu {

// out = f(in); out is contiguous and fresh, in may be any view of the same dtype.
template <class F>
void unary(const Tensor& in, const Tensor& out, double p0, double p1) {
    visit_dtype(in.dtype(), [&](auto tag) {
        using T = decltype(tag);
        const F f{p0, p1};
        const T* src = in.data<T>();
        T* dst = out.data<T>();
        if (in.is_contiguous()) {
            const std::int64_t n = in.numel();
            if (n >= kParallelGrain) {
#pragma omp parallel for simd schedule(static)
                for (std::int64_t i = 0; i < n; ++i) dst[i] = f(src[i]);
            } else {
#pragma omp simd
                for (std::int64_t i = 0; i < n; ++i) dst[i] = f(src[i]);
            }
            return;
        }
        for_each_row<2>(in.shape(), {&out.strides(), &in.strides()}, [&](auto off, auto st, std::int64_t n) {
            T* o = dst + off[0];
            const T* a = src + off[1];
            if (st[0] == 1 && st[1] == 1) {  // rows of a narrowed view
#pragma omp simd
                for (std::int64_t i = 0; i < n; ++i) o[i] = f(a[i]);
            } else {
                for (std::int64_t i = 0; i < n; ++i) o[i * st[0]] = f(a[i * st[1]]);
            }
        });
    });
}

// out = f(a, b); a and b are views broadcast to out's shape, same dtype T; out has dtype R.
template <class F, class R = void>
void binary(const Tensor& a, const Tensor& b, const Tensor& out, double p0) {
    visit_dtype(a.dtype(), [&](auto tag) {
        using T = decltype(tag);
        using O = std::conditional_t<std::is_void_v<R>, T, R>;
        const F f{p0};
        const T* pa = a.data<T>();
        const T* pb = b.data<T>();
        O* po = out.data<O>();
        const std::int64_t n = out.numel();
        if (a.is_contiguous() && b.is_contiguous() && n < kParallelGrain) {
#pragma omp simd
            for (std::int64_t i = 0; i < n; ++i) po[i] = f(pa[i], pb[i]);
            return;
        }
        for_each_row<3>(out.shape(), {&out.strides(), &a.strides(), &b.strides()},
                        [&](auto off, auto st, std::int64_t len) {
                            O* o = po + off[0];
                            const T* x = pa + off[1];
                            const T* y = pb + off[2];
                            if (st[0] == 1 && st[1] == 1 && st[2] == 1) {
#pragma omp simd
                                for (std::int64_t i = 0; i < len; ++i) o[i] = f(x[i], y[i]);
                            } else if (st[0] == 1 && st[1] == 1 && st[2] == 0) {
                                const T yv = *y;
#pragma omp simd
                                for (std::int64_t i = 0; i < len; ++i) o[i] = f(x[i], yv);
                            } else {
                                for (std::int64_t i = 0; i < len; ++i) o[i * st[0]] = f(x[i * st[1]], y[i * st[2]]);
                            }
                        });
    });
}

// out = cond ? a : b; cond is I64, all broadcast to out's shape.
inline void where(const Tensor& c, const Tensor& a, const Tensor& b, const Tensor& out) {
    visit_dtype(a.dtype(), [&](auto tag) {
        using T = decltype(tag);
        const std::int64_t* pc = c.data<std::int64_t>();
        const T* pa = a.data<T>();
        const T* pb = b.data<T>();
        T* po = out.data<T>();
        for_each_row<4>(out.shape(), {&out.strides(), &c.strides(), &a.strides(), &b.strides()},
                        [&](auto off, auto st, std::int64_t n) {
                            for (std::int64_t i = 0; i < n; ++i)
                                po[off[0] + i * st[0]] = pc[off[1] + i * st[1]] ? pa[off[2] + i * st[2]]
                                                                                 : pb[off[3] + i * st[3]];
                        });
    });
}

}  // namespace neura::cpu
