// The CPU's matmul kernel: F32 runs through oneDNN's sgemm (strided and transposed views are passed as-is
// when their layout allows); F64 and I64 use a plain kernel.
#include <dnnl.h>
#include <omp.h>

#include <algorithm>
#include <exception>
#include <type_traits>

#include "backend/cpu/Loops.h"
#include "backend/cpu/ThreadScope.h"
#include "ops/KernelSignatures.h"

namespace neura::cpu {
namespace {

// How a strided matrix can be handed to a row-major BLAS: transposed or not, and its leading dim.
struct BlasLayout {
    bool ok = false;
    char trans = 'N';
    std::int64_t ld = 0;
};

// Multiply-adds below which one product is not worth splitting across threads.
constexpr std::int64_t kSmallProduct = std::int64_t{1} << 18;

BlasLayout blas_layout(std::int64_t rows, std::int64_t cols, std::int64_t rs, std::int64_t cs) {
    if ((cs == 1 || cols == 1) && (rs >= std::max<std::int64_t>(cols, 1) || rows == 1))
        return {true, 'N', std::max<std::int64_t>(rows == 1 ? cols : rs, 1)};
    if ((rs == 1 || rows == 1) && (cs >= std::max<std::int64_t>(rows, 1) || cols == 1))
        return {true, 'T', std::max<std::int64_t>(cols == 1 ? rows : cs, 1)};
    return {};
}

template <class T>
void gemm_plain(std::int64_t m, std::int64_t n, std::int64_t k, const T* a, std::int64_t ars, std::int64_t acs,
                const T* b, std::int64_t brs, std::int64_t bcs, T* c) {
    auto row = [&](std::int64_t i) {
        T* ci = c + i * n;
        std::fill(ci, ci + n, T(0));
        for (std::int64_t p = 0; p < k; ++p) {
            const T av = a[i * ars + p * acs];
            const T* bp = b + p * brs;
            if (bcs == 1) {
#pragma omp simd
                for (std::int64_t j = 0; j < n; ++j) ci[j] += av * bp[j];
            } else {
                for (std::int64_t j = 0; j < n; ++j) ci[j] += av * bp[j * bcs];
            }
        }
    };
    cpu::parallel_for(m, std::max<std::int64_t>(1, cpu::kParallelGrain / std::max<std::int64_t>(n * k, 1)), row);
}

void matmul_cpu(const Tensor& a, const Tensor& b, const Tensor& out) {
    const auto rank = out.dim();
    const std::int64_t m = a.size(-2), k = a.size(-1), n = b.size(-1);
    const Shape batch(out.shape().begin(), out.shape().end() - 2);
    const std::int64_t nbatch = shape_numel(batch);
    const std::int64_t ars = a.stride(-2), acs = a.stride(-1), brs = b.stride(-2), bcs = b.stride(-1);
    if (out.numel() == 0) return;  // nothing to write; an empty operand may have no storage to offset
    visit_dtype(out.dtype(), [&](auto tag) {
        using T = decltype(tag);
        const T* pa = static_cast<const T*>(a.raw_data());
        const T* pb = static_cast<const T*>(b.raw_data());
        T* pc = static_cast<T*>(out.raw_data());
        auto product = [&](std::int64_t bi) {
            std::int64_t ao = 0, bo = 0, rem = bi;
            for (std::int64_t d = rank - 3; d >= 0; --d) {
                const std::int64_t i = rem % batch[d];
                rem /= batch[d];
                ao += i * a.strides()[d];
                bo += i * b.strides()[d];
            }
            T* c = pc + bi * m * n;
            if (k == 0) {
                std::fill(c, c + m * n, T(0));
                return;
            }
            if constexpr (std::is_same_v<T, float>) {
                const BlasLayout la = blas_layout(m, k, ars, acs), lb = blas_layout(k, n, brs, bcs);
                // Tiny products are faster without the BLAS call overhead.
                if (la.ok && lb.ok && m * n * k >= 4096) {
                    const dnnl_status_t st = dnnl_sgemm(la.trans, lb.trans, m, n, k, 1.0f, pa + ao, la.ld, pb + bo,
                                                        lb.ld, 0.0f, c, std::max<std::int64_t>(n, 1));
                    NEURA_CHECK(st == dnnl_success, "matmul: oneDNN sgemm failed (status ", static_cast<int>(st),
                                ") for [", m, ", ", k, "] x [", k, ", ", n, "]");
                    return;
                }
            }
            gemm_plain<T>(m, n, k, pa + ao, ars, acs, pb + bo, brs, bcs, c);
        };
        // A batch of small products runs one product per thread (oneDNN's sgemm and gemm_plain run on the
        // calling thread inside a parallel region); a few large ones are threaded inside each product.
        const std::int64_t flops = m * n * std::max<std::int64_t>(k, 1);
        if (nbatch > 1 && flops < kSmallProduct) {
            std::exception_ptr failed;
#pragma omp parallel for schedule(static)
            for (std::int64_t bi = 0; bi < nbatch; ++bi) {
                try {
                    product(bi);
                } catch (...) {
#pragma omp critical(neura_matmul_error)
                    failed = std::current_exception();
                }
            }
            if (failed) std::rethrow_exception(failed);
        } else {
            // A small product runs on this thread: oneDNN's sgemm would open a parallel region over the team,
            // which costs more than the product (W3's layers at 2 threads: 1.15x their time at 1).
            const ThreadScope team(flops < kSmallProduct && !omp_in_parallel() ? 1 : 0);
            for (std::int64_t bi = 0; bi < nbatch; ++bi) product(bi);
        }
    });
}

}  // namespace

void matmul(const Tensor& a, const Tensor& b, const Tensor& out) { matmul_cpu(a, b, out); }

}  // namespace neura::cpu
