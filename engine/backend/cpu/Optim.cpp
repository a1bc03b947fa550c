// The CPU kernels of the fused optimizer updates: the element formulas of ops/Formulas.h in one loop.
#include <algorithm>
#include <type_traits>

#include "backend/cpu/Loops.h"
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

// Runs body(begin, end) over [0, n): in pieces across the threads when n is large, else at once on the
// calling thread. An update is bound by memory bandwidth: on 2 cores a whole W2 network (235k floats)
// takes 34 us on one thread and 58 us on two, so only millions of elements are split.
template <class Body>
void for_pieces(std::int64_t n, Body&& body) {
    constexpr std::int64_t piece = std::int64_t{1} << 21;
    if (n < 2 * piece) {
        body(std::int64_t{0}, n);
        return;
    }
    const std::int64_t pieces = (n + piece - 1) / piece;
#pragma omp parallel for schedule(static)
    for (std::int64_t k = 0; k < pieces; ++k) body(k * piece, std::min(n, (k + 1) * piece));
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
            for_pieces(p.numel(), [&](std::int64_t begin, std::int64_t end) {
                const formula::SgdStep<T> f = step;  // a local copy: no store through pp can change it
                T* __restrict__ q = pp;
                T* __restrict__ qb = pb;
                if (qb) {
#pragma omp simd
                    for (std::int64_t j = begin; j < end; ++j) f(q[j], pg[j], qb + j);
                } else {
#pragma omp simd
                    for (std::int64_t j = begin; j < end; ++j) f(q[j], pg[j], nullptr);
                }
            });
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
            for_pieces(p.numel(), [&](std::int64_t begin, std::int64_t end) {
                const formula::AdamStep<T> f = step;  // a local copy: no store through pp can change it
                T *__restrict__ q = pp, *__restrict__ qm = pm, *__restrict__ qv = pv;
                if (pmax) {
                    for (std::int64_t j = begin; j < end; ++j) f(q[j], pg[j], qm[j], qv[j], pmax + j);
                } else {  // no amsgrad: a loop the compiler vectorizes
#pragma omp simd
                    for (std::int64_t j = begin; j < end; ++j) f(q[j], pg[j], qm[j], qv[j], nullptr);
                }
            });
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
            for_pieces(p.numel(), [&](std::int64_t begin, std::int64_t end) {
                const formula::RmspropStep<T> f = step;  // a local copy: no store through pp can change it
                for (std::int64_t j = begin; j < end; ++j) f(pp[j], pg[j], psq[j], at(pb, j), at(pga, j));
            });
        }
    });
}

}  // namespace neura::cpu
