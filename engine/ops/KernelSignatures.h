#pragma once
// The kernel interface: one function type per kernel slot of the op table. An op file defines its
// slot with the CPU kernel (Kernel<UnaryKernel> kExp{"exp", ...}); a device backend registers its
// kernel for the same slot by name, and register_kernel() checks that the types match.
// Unless a signature says otherwise, every tensor handed to a kernel lives on the slot's device.
#include "neura/core/Generator.h"
#include "neura/core/Tensor.h"
#include "ops/KernelParams.h"

namespace neura {

// ---- copies ----
// dst = src converted to dst's dtype; src is already broadcast to dst's shape; any strides.
using CopyKernel = void(const Tensor& dst, const Tensor& src);
// Writes `value` (converted to dst's dtype) into every element of dst; any strides.
using FillKernel = void(const Tensor& dst, double value);
// Copies between the CPU and a device (or two devices): same shape and dtype, both contiguous.
using DeviceCopyKernel = void(const Tensor& dst, const Tensor& src);

// ---- pointwise ----
// out = f(in); out is contiguous and fresh, in may be any view of the same dtype.
using UnaryKernel = void(const Tensor& in, const Tensor& out, double p0, double p1);
// out = f(a, b); a and b are views broadcast to out's shape with one dtype; out: that dtype or I64.
using BinaryKernel = void(const Tensor& a, const Tensor& b, const Tensor& out, double p0);
// out = cond ? a : b; cond is I64, all broadcast to out's shape.
using WhereKernel = void(const Tensor& cond, const Tensor& a, const Tensor& b, const Tensor& out);

// ---- reductions ----
// `in` is viewed so that its last `nred` dims are the reduced ones; `out` is contiguous with the kept shape.
using ReduceKernel = void(const Tensor& in, const Tensor& out, int nred);
// Both views have the softmax dim last.
using SoftmaxKernel = void(const Tensor& in, const Tensor& out);

// ---- linear algebra ----
// a: [batch..., m, k], b: [batch..., k, n] (broadcast views), out: contiguous [batch..., m, n].
using MatmulKernel = void(const Tensor& a, const Tensor& b, const Tensor& out);

// ---- indexing (contiguous operands; indices are I64 and already range-checked) ----
using IndexSelectKernel = void(const Tensor& x, int dim, const Tensor& index, const Tensor& out);
using IndexAddKernel = void(const Tensor& out, int dim, const Tensor& index, const Tensor& src);
using GatherKernel = void(const Tensor& x, int dim, const Tensor& index, const Tensor& out);
using ScatterAddKernel = void(const Tensor& out, int dim, const Tensor& index, const Tensor& src);

// ---- random ----
// Fills `mask` (contiguous) with 0 where an element is dropped (probability p), 1 / (1 - p) elsewhere.
using DropoutMaskKernel = void(const Tensor& mask, double p, Generator& gen);

// ---- convolution (all operands contiguous; bias / grad_bias may be undefined) ----
using ConvForwardKernel = void(const Tensor& x, const Tensor& weight, const Tensor& bias, const Tensor& out,
                               const ConvGeometry& g);
using ConvBackwardDataKernel = void(const Tensor& grad_out, const Tensor& weight, const Tensor& grad_x,
                                    const ConvGeometry& g);
using ConvBackwardWeightsKernel = void(const Tensor& grad_out, const Tensor& x, const Tensor& grad_weight,
                                       const Tensor& grad_bias, const ConvGeometry& g);

// ---- pooling (contiguous operands) ----
// Returns a workspace for the backward kernel (window argmax indices, or a backend's own workspace);
// undefined when !for_backward is allowed.
using MaxPoolForwardKernel = Tensor(const Tensor& x, const Tensor& out, const PoolGeometry& g, bool for_backward);
using MaxPoolBackwardKernel = void(const Tensor& grad_out, const Tensor& workspace, const Tensor& grad_x,
                                   const PoolGeometry& g);
using AvgPoolForwardKernel = void(const Tensor& x, const Tensor& out, const PoolGeometry& g);
using AvgPoolBackwardKernel = void(const Tensor& grad_out, const Tensor& grad_x, const PoolGeometry& g);

// ---- normalization: x is a contiguous [N, C, S] (batch norm) or [M, K] (layer norm) ----
// training: computes the batch mean and biased variance into mean/var; otherwise reads them.
// weight/bias may be undefined (no affine transform).
using BatchNormForwardKernel = void(const Tensor& x, const Tensor& weight, const Tensor& bias, const Tensor& mean,
                                    const Tensor& var, const Tensor& out, bool training, double eps);
// grad_weight is defined exactly when weight is, grad_bias when bias is.
using BatchNormBackwardKernel = void(const Tensor& grad_out, const Tensor& x, const Tensor& weight, const Tensor& bias,
                                     const Tensor& mean, const Tensor& var, const Tensor& grad_x,
                                     const Tensor& grad_weight, const Tensor& grad_bias, bool training, double eps);
// mean, var: [M] (written); weight, bias: [K] or undefined.
using LayerNormForwardKernel = void(const Tensor& x, const Tensor& weight, const Tensor& bias, const Tensor& mean,
                                    const Tensor& var, const Tensor& out, double eps);
// grad_weight / grad_bias are zero-initialized by the caller when defined.
using LayerNormBackwardKernel = void(const Tensor& grad_out, const Tensor& x, const Tensor& weight, const Tensor& bias,
                                     const Tensor& mean, const Tensor& var, const Tensor& grad_x,
                                     const Tensor& grad_weight, const Tensor& grad_bias, double eps);

// ---- fused optimizer updates: one pass over a parameter, in place. Every tensor is contiguous with the
// parameter's dtype and device; optional buffers are undefined when unused. ----
using SgdStepKernel = void(const Tensor& param, const Tensor& grad, const Tensor& momentum_buffer,
                           const SgdStepParams& k);
using AdamStepKernel = void(const Tensor& param, const Tensor& grad, const Tensor& exp_avg, const Tensor& exp_avg_sq,
                            const Tensor& max_exp_avg_sq, const AdamStepParams& k);
using RmspropStepKernel = void(const Tensor& param, const Tensor& grad, const Tensor& square_avg,
                               const Tensor& momentum_buffer, const Tensor& grad_avg, const RmspropStepParams& k);

}  // namespace neura
