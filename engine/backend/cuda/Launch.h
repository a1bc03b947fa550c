#pragma once
// The launchers of the CUDA kernels: plain pointers, sizes and small structs, no engine types, so that
// the .cu files (nvcc) stay small and the Tensor-level code (Kernels.cpp, g++) stays out of nvcc.
// Each launcher enqueues on `stream` and returns the launch status (cudaGetLastError); the caller
// checks it, naming the op. Element types are neura::DType values; strides count elements.
#include <cuda_runtime_api.h>

#include <cstdint>

#include "neura/core/DType.h"
#include "ops/KernelParams.h"
#include "ops/OpList.h"

namespace neura::cuda::launch {

constexpr int kMaxDims = 8;

// The iteration space of N operands sharing one shape: coalesced dims (innermost last) and each
// operand's element strides. `contiguous`: every operand is dense in iteration order.
template <int N>
struct Strided {
    int ndim = 0;
    bool contiguous = false;
    std::int64_t numel = 0;
    std::int64_t sizes[kMaxDims] = {};
    std::int64_t strides[N][kMaxDims] = {};
};

// ---- pointwise: one enumerator per op of ops/OpList.h, named after its formula ----
#define NEURA_ENUMERATOR(name, Formula) Formula,
enum class UnaryOp : int { NEURA_UNARY_OPS(NEURA_ENUMERATOR) };
enum class BinaryOp : int { NEURA_BINARY_OPS(NEURA_ENUMERATOR) NEURA_COMPARISON_OPS(NEURA_ENUMERATOR) };
#undef NEURA_ENUMERATOR

// g: {dst, src}
cudaError_t copy(DType dst_type, void* dst, DType src_type, const void* src, const Strided<2>& g, cudaStream_t s);
// g: {dst}
cudaError_t fill(DType type, void* dst, double value, const Strided<1>& g, cudaStream_t s);
// g: {out, in}
cudaError_t unary(UnaryOp op, DType type, const void* in, void* out, double p0, double p1, const Strided<2>& g,
                  cudaStream_t s);
// g: {out, a, b}; comparisons write I64 0/1.
cudaError_t binary(BinaryOp op, DType type, const void* a, const void* b, void* out, double p0, const Strided<3>& g,
                   cudaStream_t s);
// g: {out, cond, a, b}
cudaError_t where(DType type, const std::int64_t* cond, const void* a, const void* b, void* out, const Strided<4>& g,
                  cudaStream_t s);
// mask[i] = (uniform(seed, i) < p) ? 0 : 1 / (1 - p); counter-based, so one seed gives one mask.
cudaError_t dropout_mask(DType type, void* mask, std::int64_t n, double p, std::uint64_t seed, cudaStream_t s);

// ---- reductions ----
enum class ReduceOp : int { Sum, Max, Min, ArgMax, ArgMin };
// out[o] = reduce over r of in[kept_offset(o) + red_offset(r)]; out is contiguous (I64 for arg ops).
// kept: {in} over the kept dims (numel = outputs); red: {in} over the reduced dims (numel > 0 but for Sum).
cudaError_t reduce(ReduceOp op, DType type, const void* in, void* out, const Strided<1>& kept, const Strided<1>& red,
                   cudaStream_t s);
// Along the last dim: rows over outer {out, in}, `len` elements with strides in_stride / out_stride.
cudaError_t softmax(bool log, DType type, const void* in, void* out, const Strided<2>& outer, std::int64_t len,
                    std::int64_t in_stride, std::int64_t out_stride, cudaStream_t s);

// ---- integer matmul (floating point goes through cuBLAS): c[b] = a[b] . b[b], c contiguous ----
struct MatmulShape {
    std::int64_t batch, m, n, k;
    std::int64_t a_batch, a_row, a_col, b_batch, b_row, b_col;  // strides; batch strides after coalescing
};
cudaError_t matmul_int64(const std::int64_t* a, const std::int64_t* b, std::int64_t* c, const MatmulShape& sh,
                         cudaStream_t s);

// ---- indexing (contiguous operands; [outer, size, inner] around the indexed dim) ----
cudaError_t index_select(DType type, const void* x, const std::int64_t* index, void* out, std::int64_t outer,
                         std::int64_t size, std::int64_t n_index, std::int64_t inner, cudaStream_t s);
// out[o, index[i], j] += src[o, i, j] (atomic: repeated indices add up)
cudaError_t index_add(DType type, void* out, const std::int64_t* index, const void* src, std::int64_t outer,
                      std::int64_t size, std::int64_t n_index, std::int64_t inner, cudaStream_t s);
// gather: out[p] = x[p with dim replaced by index[p]]; scatter_add: out[...] += src[p] (atomic).
struct GatherShape {
    int ndim, dim;
    std::int64_t index_sizes[kMaxDims];
    std::int64_t target_strides[kMaxDims];  // contiguous strides of x (gather) or out (scatter_add)
    std::int64_t numel;                     // of the index
};
cudaError_t gather(DType type, const void* x, const std::int64_t* index, void* out, const GatherShape& sh,
                   cudaStream_t s);
cudaError_t scatter_add(DType type, void* out, const std::int64_t* index, const void* src, const GatherShape& sh,
                        cudaStream_t s);

// ---- convolution helpers: columns are [C * KH * KW, N * OH * OW] ----
cudaError_t im2col(DType type, const void* x, void* col, const ConvGeometry& g, cudaStream_t s);
cudaError_t col2im(DType type, const void* col, void* x, const ConvGeometry& g, cudaStream_t s);
// out [N, OC, OHW] = permute(cols [OC, N, OHW]) + bias[oc]; bias may be null.
cudaError_t conv_output(DType type, const void* cols, const void* bias, void* out, std::int64_t n, std::int64_t oc,
                        std::int64_t plane, cudaStream_t s);
// grad_bias[oc] = sum over n and the plane of grad_out [N, OC, plane]
cudaError_t conv_bias_grad(DType type, const void* grad_out, void* grad_bias, std::int64_t n, std::int64_t oc,
                           std::int64_t plane, cudaStream_t s);

// ---- pooling (contiguous NCHW) ----
// argmax: window argmax as a flat index into the input plane (iy * W + ix), or null when not needed.
cudaError_t max_pool_forward(DType type, const void* x, void* out, std::int64_t* argmax, const PoolGeometry& g,
                             cudaStream_t s);
cudaError_t max_pool_backward(DType type, const void* grad_out, const std::int64_t* argmax, void* grad_x,
                              const PoolGeometry& g, cudaStream_t s);
// adaptive: windows [floor(i * H / OH), ceil((i + 1) * H / OH)) divided by their size; otherwise kh x kw
// windows divided by kh * kw (count_include_pad).
cudaError_t avg_pool_forward(DType type, const void* x, void* out, const PoolGeometry& g, bool adaptive,
                             cudaStream_t s);
cudaError_t avg_pool_backward(DType type, const void* grad_out, void* grad_x, const PoolGeometry& g, bool adaptive,
                              cudaStream_t s);

// ---- normalization (contiguous): batch norm over x [N, C, S] per channel, layer norm over rows of [M, K] ----
// weight / bias / grad_weight / grad_bias may be null.
cudaError_t batch_norm_forward(DType type, const void* x, const void* weight, const void* bias, void* mean, void* var,
                               void* out, std::int64_t n, std::int64_t c, std::int64_t sp, bool training, double eps,
                               cudaStream_t s);
cudaError_t batch_norm_backward(DType type, const void* grad_out, const void* x, const void* weight, const void* mean,
                                const void* var, void* grad_x, void* grad_weight, void* grad_bias, std::int64_t n,
                                std::int64_t c, std::int64_t sp, bool training, double eps, cudaStream_t s);
cudaError_t layer_norm_forward(DType type, const void* x, const void* weight, const void* bias, void* mean, void* var,
                               void* out, std::int64_t m, std::int64_t k, double eps, cudaStream_t s);
cudaError_t layer_norm_backward(DType type, const void* grad_out, const void* x, const void* weight, const void* mean,
                                const void* var, void* grad_x, void* grad_weight, void* grad_bias, std::int64_t m,
                                std::int64_t k, double eps, cudaStream_t s);

// ---- fused optimizer updates: one kernel per parameter tensor; optional buffers may be null ----
cudaError_t sgd_step(DType type, void* p, const void* g, void* buf, std::int64_t n, const SgdStepParams& k,
                     cudaStream_t s);
cudaError_t adam_step(DType type, void* p, const void* g, void* m, void* v, void* vmax, std::int64_t n,
                      const AdamStepParams& k, cudaStream_t s);
cudaError_t rmsprop_step(DType type, void* p, const void* g, void* sq, void* buf, void* ga, std::int64_t n,
                         const RmspropStepParams& k, cudaStream_t s);

// CrossEntropyLoss (mean over the rows whose target is not ignore_index) of logits [n, c] against class
// indices, and its gradient (softmax - onehot) / kept rows: the training plan's fused loss. `rows` is
// scratch of 3 n + 1 elements of the logits' type; a target out of range sets *flag to 1 (read by the host
// after the step, so the kernels never synchronize and can be captured in a CUDA graph).
cudaError_t cross_entropy(DType type, const void* logits, const std::int64_t* target, void* loss, void* grad,
                          void* rows, std::int64_t* flag, std::int64_t n, std::int64_t c, std::int64_t ignore_index,
                          cudaStream_t s);

}  // namespace neura::cuda::launch
