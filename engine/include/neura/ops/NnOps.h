#pragma once
// Neural-network ops: convolution, pooling, normalization, dropout, embedding. Names, arguments and
// semantics follow torch.nn.functional.
//
// Backends: on the CPU, float32 forward and backward of conv2d, the pooling ops and batch/layer norm run
// through oneDNN primitives. oneDNN has no float64 on the CPU, so float64 runs a plain reference
// implementation of the same formulas (direct loops); that is the path gradcheck exercises.
// adaptive_avg_pool2d uses oneDNN only when the output divides the input (uniform windows).
//
// Gradients: these ops' backward formulas are first order only. Their gradients are computed by the
// kernels with nothing recorded, so a backward with create_graph=true through them still gives correct
// gradients, but those gradients cannot be differentiated again. (dropout and embedding are built from
// differentiable ops and have no such limit.)
#include <array>
#include <cstdint>
#include <optional>

#include "neura/core/Generator.h"
#include "neura/core/Tensor.h"

namespace neura {

using Size2 = std::array<std::int64_t, 2>;  // {height, width}

// x: [N, C, H, W] (or unbatched [C, H, W]); weight: [out, C / groups, kh, kw]; bias: [out] or undefined.
Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias = {}, Size2 stride = {1, 1},
              Size2 padding = {0, 0}, Size2 dilation = {1, 1}, std::int64_t groups = 1);

// stride {0, 0}: the kernel size (PyTorch's default). Padding at most half the kernel, as PyTorch.
Tensor max_pool2d(const Tensor& x, Size2 kernel, Size2 stride = {0, 0}, Size2 padding = {0, 0});
// count_include_pad = true (PyTorch's default): every window is divided by kh * kw.
Tensor avg_pool2d(const Tensor& x, Size2 kernel, Size2 stride = {0, 0}, Size2 padding = {0, 0});
// Window i covers [floor(i * H / out), ceil((i + 1) * H / out)), as PyTorch.
Tensor adaptive_avg_pool2d(const Tensor& x, std::int64_t out_h, std::int64_t out_w);

// x: [N, C], [N, C, L] or [N, C, H, W]; weight, bias, running stats: [C] or undefined.
// training: normalizes with the batch statistics and, when running stats are given, updates them in
// place: running = (1 - momentum) * running + momentum * batch stat, with the unbiased batch variance.
// eval: normalizes with the running statistics (which must be given).
Tensor batch_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, const Tensor& running_mean,
                  const Tensor& running_var, bool training, double momentum = 0.1, double eps = 1e-5);

// Normalizes over the trailing dims given by normalized_shape; weight, bias: normalized_shape or undefined.
Tensor layer_norm(const Tensor& x, const Shape& normalized_shape, const Tensor& weight = {}, const Tensor& bias = {},
                  double eps = 1e-5);

// Zeroes each element with probability p and scales the rest by 1 / (1 - p); identity when !training.
Tensor dropout(const Tensor& x, double p = 0.5, bool training = true, Generator* gen = nullptr);

// weight: [num_embeddings, dim]; indices: int64 of any shape -> [*indices.shape, dim].
Tensor embedding(const Tensor& weight, const Tensor& indices);

// softmax(q k^T * scale + mask) v, as torch.nn.functional.scaled_dot_product_attention (PyTorch 2):
// q [..., L, E], k [..., S, E], v [..., S, Ev] -> [..., L, Ev]; batch dims broadcast. attn_mask [L, S]
// (or broadcasting to [..., L, S]): int64, nonzero = may attend (PyTorch's bool mask), or floating,
// added to the scores. is_causal: query i attends to keys j <= i (no attn_mask then). scale: 1 / sqrt(E)
// by default. dropout_p: dropout on the attention weights (PyTorch applies it whenever p > 0). A query
// that may attend to nothing gets NaN, as in PyTorch. attn_weights, when given, receives the weights
// [..., L, S] that multiplied v (after dropout; MultiheadAttention returns them, the inspector shows them).
Tensor scaled_dot_product_attention(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& attn_mask = {},
                                    double dropout_p = 0.0, bool is_causal = false,
                                    std::optional<double> scale = std::nullopt, Generator* gen = nullptr,
                                    Tensor* attn_weights = nullptr);

}  // namespace neura
