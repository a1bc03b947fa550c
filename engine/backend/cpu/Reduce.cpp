// The CPU's reduction kernels: sum, amax / amin and argmax / argmin over the trailing dims of a view.
#include <algorithm>
#include <type_traits>

#include "backend/cpu/Loops.h"
#include "ops/KernelSignatures.h"

namespace neura::cpu {
namespace {

enum class Reduce { Sum, Max, Min, ArgMax, ArgMin };

template <Reduce R>
void reduce_cpu(const Tensor& in, const Tensor& out, int nred) {
    const int nkeep = static_cast<int>(in.dim()) - nred;
    const Shape kept_sizes(in.shape().begin(), in.shape().begin() + nkeep);
    const Shape kept_strides(in.strides().begin(), in.strides().begin() + nkeep);
    const Shape red_sizes(in.shape().begin() + nkeep, in.shape().end());
    const Shape red_strides(in.strides().begin() + nkeep, in.strides().end());
    const std::int64_t n_out = shape_numel(kept_sizes);
    const std::int64_t n_red = shape_numel(red_sizes);
    if constexpr (R != Reduce::Sum)
        NEURA_CHECK_SHAPE(n_red > 0, "max/min/argmax: cannot reduce over an empty dimension (input shape ",
                    shape_str(in.shape()), ")");
    const cpu::Geometry<1> red = cpu::coalesce<1>(red_sizes, {&red_strides});

    visit_dtype(in.dtype(), [&](auto tag) {
        using T = decltype(tag);
        using Acc = std::conditional_t<std::is_same_v<T, std::int64_t>, std::int64_t, double>;
        const T* src = static_cast<const T*>(in.raw_data());
        if constexpr (R == Reduce::Sum) {
            // Kept elements adjacent in memory (a sum over leading dims, e.g. a bias gradient): each reduced
            // position adds a whole run of outputs at once, a loop that vectorizes, instead of each output
            // walking its strided column. Every output still adds its values in the same order into its
            // own Acc, so the result is bit for bit the column-wise one.
            const cpu::Geometry<1> keep = cpu::coalesce<1>(kept_sizes, {&kept_strides});
            if (n_out >= 16 && n_red > 0 && keep.sizes.size() == 1 && keep.strides[0][0] == 1) {
                const std::size_t nd = red.sizes.size();
                const std::int64_t inner = red.sizes.back(), ist = red.strides[0].back();
                std::int64_t rows = 1;
                for (std::size_t d = 0; d + 1 < nd; ++d) rows *= red.sizes[d];
                constexpr std::int64_t kChunk = 1024;  // outputs per task: its sums stay in L1
                const std::int64_t chunks = (n_out + kChunk - 1) / kChunk;
                auto chunk = [&](std::int64_t c) {
                    const std::int64_t begin = c * kChunk, len = std::min(kChunk, n_out - begin);
                    Acc acc[kChunk] = {};
                    for (std::int64_t r = 0; r < rows; ++r) {
                        std::int64_t off = begin, rr = r;
                        for (std::size_t d = nd - 1; d-- > 0;) {
                            off += (rr % red.sizes[d]) * red.strides[0][d];
                            rr /= red.sizes[d];
                        }
                        for (std::int64_t i = 0; i < inner; ++i) {
                            const T* p = src + off + i * ist;
#pragma omp simd
                            for (std::int64_t o = 0; o < len; ++o) acc[o] += static_cast<Acc>(p[o]);
                        }
                    }
                    T* dst = static_cast<T*>(out.raw_data()) + begin;
                    for (std::int64_t o = 0; o < len; ++o) dst[o] = static_cast<T>(acc[o]);
                };
                if (n_out * n_red >= cpu::kParallelGrain && chunks > 1) {
#pragma omp parallel for schedule(static)
                    for (std::int64_t c = 0; c < chunks; ++c) chunk(c);
                } else {
                    for (std::int64_t c = 0; c < chunks; ++c) chunk(c);
                }
                return;
            }
        }
        auto one = [&](std::int64_t o) {
            std::int64_t base = 0, rem = o;
            for (int d = nkeep - 1; d >= 0; --d) {
                base += (rem % kept_sizes[d]) * kept_strides[d];
                rem /= kept_sizes[d];
            }
            Acc acc = 0;
            T best = T(0);
            std::int64_t best_i = 0, flat = 0;
            bool first = true;
            const std::size_t nd = red.sizes.size();
            const std::int64_t inner = red.sizes.back(), ist = red.strides[0].back();
            std::int64_t rows = 1;
            for (std::size_t d = 0; d + 1 < nd; ++d) rows *= red.sizes[d];
            // An empty reduction reads nothing (its input may have no storage at all): sum 0.
            for (std::int64_t r = 0; n_red > 0 && r < rows; ++r) {
                std::int64_t off = base, rr = r;
                for (std::size_t d = nd - 1; d-- > 0;) {
                    off += (rr % red.sizes[d]) * red.strides[0][d];
                    rr /= red.sizes[d];
                }
                const T* p = src + off;
                if constexpr (R == Reduce::Sum) {
                    for (std::int64_t i = 0; i < inner; ++i) acc += static_cast<Acc>(p[i * ist]);
                } else {
                    for (std::int64_t i = 0; i < inner; ++i, ++flat) {
                        const T v = p[i * ist];
                        bool take;
                        if constexpr (R == Reduce::Max || R == Reduce::ArgMax) take = v > best;
                        else take = v < best;
                        // NaN wins and stays (PyTorch propagates NaN).
                        if (first || take || (v != v && best == best)) {
                            best = v;
                            best_i = flat;
                            first = false;
                        }
                    }
                }
            }
            if constexpr (R == Reduce::Sum) static_cast<T*>(out.raw_data())[o] = static_cast<T>(acc);
            else if constexpr (R == Reduce::Max || R == Reduce::Min) static_cast<T*>(out.raw_data())[o] = best;
            else static_cast<std::int64_t*>(out.raw_data())[o] = best_i;
        };
        if (n_out * n_red >= cpu::kParallelGrain && n_out > 1) {
#pragma omp parallel for schedule(static)
            for (std::int64_t o = 0; o < n_out; ++o) one(o);
        } else {
            for (std::int64_t o = 0; o < n_out; ++o) one(o);
        }
    });
}

}  // namespace

void sum(const ReduceArgs<slot::Sum>& a) { reduce_cpu<Reduce::Sum>(a.in, a.out, a.nred); }
void amax(const ReduceArgs<slot::Amax>& a) { reduce_cpu<Reduce::Max>(a.in, a.out, a.nred); }
void amin(const ReduceArgs<slot::Amin>& a) { reduce_cpu<Reduce::Min>(a.in, a.out, a.nred); }
void argmax(const ReduceArgs<slot::Argmax>& a) { reduce_cpu<Reduce::ArgMax>(a.in, a.out, a.nred); }
void argmin(const ReduceArgs<slot::Argmin>& a) { reduce_cpu<Reduce::ArgMin>(a.in, a.out, a.nred); }

}  // namespace neura::cpu
