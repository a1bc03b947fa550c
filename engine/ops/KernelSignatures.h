#pragma once
// The kernel interface: one function type per dispatch slot of the op table. An op file declares its
// slot by name (DispatchSlot<MatmulKernel> kMatmul{"matmul"}); every backend, the CPU's included, puts
// its kernel into the slot by name (backend/<name>/), and register_kernel() checks that the types match.
// Unless a signature says otherwise, every tensor handed to a kernel lives on the slot's device.
//
// Every slot but the pointwise ones has a kernel type of its own (checked at the end of this file), so
// a backend that puts a kernel into the wrong slot (put<GatherKernel>("gather", &index_select)) does not
// compile. Kernels whose operands would otherwise look alike take a parameter struct, called with
// designated initializers ({.x = x, .dim = d, .index = i, .out = out}); families of slots with the same
// operands (the reductions, softmax / log_softmax, the two average poolings) tag that struct with the
// slot (slot::Sum, ...). The pointwise slots share UnaryKernel / BinaryKernel on purpose: their slots and
// every backend's registrations are generated from the one list in ops/OpList.h, so no hand-written
// registration exists that could be swapped.
#include <type_traits>

#include "neura/core/Generator.h"
#include "neura/core/Tensor.h"
#include "ops/KernelParams.h"

namespace neura {

// Tags that give each slot of a family its own kernel type.
namespace slot {
struct Sum;
struct Amax;
struct Amin;
struct Argmax;
struct Argmin;
struct Softmax;
struct LogSoftmax;
struct AvgPool2d;
struct AdaptiveAvgPool2d;
}  // namespace slot

// ---- copies ----
// dst = src converted to dst's dtype; src is already broadcast to dst's shape; any strides.
using CopyKernel = void(const Tensor& dst, const Tensor& src);
// Writes `value` (converted to dst's dtype) into every element of dst; any strides.
using FillKernel = void(const Tensor& dst, double value);
// Copies between the CPU and a device (or two devices): same shape and dtype, both contiguous.
struct DeviceCopyArgs {
    const Tensor& dst;
    const Tensor& src;
};
using DeviceCopyKernel = void(const DeviceCopyArgs&);

// ---- pointwise ----
// out = f(in); out is contiguous and fresh, in may be any view of the same dtype.
using UnaryKernel = void(const Tensor& in, const Tensor& out, double p0, double p1);
// out = f(a, b); a and b are views broadcast to out's shape with one dtype; out: that dtype or I64.
using BinaryKernel = void(const Tensor& a, const Tensor& b, const Tensor& out, double p0);
// out = cond ? a : b; cond is I64, all broadcast to out's shape.
using WhereKernel = void(const Tensor& cond, const Tensor& a, const Tensor& b, const Tensor& out);

// ---- reductions ----
// `in` is viewed so that its last `nred` dims are the reduced ones; `out` is contiguous with the kept shape
// (argmax / argmin: I64 flat indices into the reduced dims).
template <class Slot>
struct ReduceArgs {
    const Tensor& in;
    const Tensor& out;
    int nred;
};
using SumKernel = void(const ReduceArgs<slot::Sum>&);
using AmaxKernel = void(const ReduceArgs<slot::Amax>&);
using AminKernel = void(const ReduceArgs<slot::Amin>&);
using ArgmaxKernel = void(const ReduceArgs<slot::Argmax>&);
using ArgminKernel = void(const ReduceArgs<slot::Argmin>&);
// Both views have the softmax dim last.
template <class Slot>
struct SoftmaxArgs {
    const Tensor& in;
    const Tensor& out;
};
using SoftmaxKernel = void(const SoftmaxArgs<slot::Softmax>&);
using LogSoftmaxKernel = void(const SoftmaxArgs<slot::LogSoftmax>&);

// ---- linear algebra ----
// a: [batch..., m, k], b: [batch..., k, n] (broadcast views), out: contiguous [batch..., m, n].
using MatmulKernel = void(const Tensor& a, const Tensor& b, const Tensor& out);

// ---- indexing (contiguous operands; indices are I64 and already range-checked) ----
// out = x's slices along dim at index (1-D).
struct IndexSelectArgs {
    const Tensor& x;
    int dim;
    const Tensor& index;
    const Tensor& out;
};
using IndexSelectKernel = void(const IndexSelectArgs&);
// out's slices along dim at index (1-D) += src's slices, in place.
struct IndexAddArgs {
    const Tensor& out;
    int dim;
    const Tensor& index;
    const Tensor& src;
};
using IndexAddKernel = void(const IndexAddArgs&);
// out (index's shape) = x at index along dim.
struct GatherArgs {
    const Tensor& x;
    int dim;
    const Tensor& index;
    const Tensor& out;
};
using GatherKernel = void(const GatherArgs&);
// out at index along dim += src (index's shape), in place.
struct ScatterAddArgs {
    const Tensor& out;
    int dim;
    const Tensor& index;
    const Tensor& src;
};
using ScatterAddKernel = void(const ScatterAddArgs&);

// ---- random ----
// Fills `mask` (contiguous) with 0 where an element is dropped (probability p), 1 / (1 - p) elsewhere.
using DropoutMaskKernel = void(const Tensor& mask, double p, Generator& gen);

// ---- convolution (all operands contiguous; bias / grad_bias may be undefined) ----
using ConvForwardKernel = void(const Tensor& x, const Tensor& weight, const Tensor& bias, const Tensor& out,
                               const ConvGeometry& g);
using ConvBackwardDataKernel = void(const Tensor& grad_out, const Tensor& weight, const Tensor& grad_x,
                                    const ConvGeometry& g);
// (A struct: its operands would read like the forward kernel's.)
struct ConvBackwardWeightsArgs {
    const Tensor& grad_out;
    const Tensor& x;
    const Tensor& grad_weight;
    const Tensor& grad_bias;
    const ConvGeometry& g;
};
using ConvBackwardWeightsKernel = void(const ConvBackwardWeightsArgs&);

// ---- pooling (contiguous operands) ----
// Returns a workspace for the backward kernel (window argmax indices, or a backend's own workspace);
// undefined when !for_backward is allowed.
using MaxPoolForwardKernel = Tensor(const Tensor& x, const Tensor& out, const PoolGeometry& g, bool for_backward);
using MaxPoolBackwardKernel = void(const Tensor& grad_out, const Tensor& workspace, const Tensor& grad_x,
                                   const PoolGeometry& g);
// Average pooling (count_include_pad) and adaptive average pooling (PoolGeometry's window fields 0).
template <class Slot>
struct AvgPoolArgs {
    const Tensor& x;
    const Tensor& out;
    const PoolGeometry& g;
};
template <class Slot>
struct AvgPoolBackwardArgs {
    const Tensor& grad_out;
    const Tensor& grad_x;
    const PoolGeometry& g;
};
using AvgPoolForwardKernel = void(const AvgPoolArgs<slot::AvgPool2d>&);
using AvgPoolBackwardKernel = void(const AvgPoolBackwardArgs<slot::AvgPool2d>&);
using AdaptiveAvgPoolForwardKernel = void(const AvgPoolArgs<slot::AdaptiveAvgPool2d>&);
using AdaptiveAvgPoolBackwardKernel = void(const AvgPoolBackwardArgs<slot::AdaptiveAvgPool2d>&);

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

// ---- every kernel type, once ----
// A slot added with a kernel type that another slot already has fails to build here (list its type).
// UnaryKernel and BinaryKernel stand for all the pointwise slots: they share these two types on purpose
// (see the top of this file). tests/engine/tst_formulas checks the op table itself: no two slots outside
// the pointwise ones have one type.
template <class... Ts>
struct TypeList {};

template <class T, class... Ts>
inline constexpr int count_of = (0 + ... + static_cast<int>(std::is_same_v<T, Ts>));

template <class... Ts>
constexpr bool pairwise_distinct(TypeList<Ts...>) {
    return ((count_of<Ts, Ts...> == 1) && ...);
}
static_assert(pairwise_distinct(TypeList<int, long, float>{}) && !pairwise_distinct(TypeList<int, long, int>{}));

using AllKernelTypes =
    TypeList<CopyKernel, FillKernel, DeviceCopyKernel,                                                  //
             UnaryKernel, BinaryKernel, WhereKernel,                                                    //
             SumKernel, AmaxKernel, AminKernel, ArgmaxKernel, ArgminKernel, SoftmaxKernel, LogSoftmaxKernel,  //
             MatmulKernel,                                                                              //
             IndexSelectKernel, IndexAddKernel, GatherKernel, ScatterAddKernel,                         //
             DropoutMaskKernel,                                                                         //
             ConvForwardKernel, ConvBackwardDataKernel, ConvBackwardWeightsKernel,                      //
             MaxPoolForwardKernel, MaxPoolBackwardKernel, AvgPoolForwardKernel, AvgPoolBackwardKernel,  //
             AdaptiveAvgPoolForwardKernel, AdaptiveAvgPoolBackwardKernel,                               //
             BatchNormForwardKernel, BatchNormBackwardKernel, LayerNormForwardKernel, LayerNormBackwardKernel,  //
             SgdStepKernel, AdamStepKernel, RmspropStepKernel>;
 static_assert(pairwise_distinct(AllKernelTypes{}),
              "two kernel slots share one function type: give one of them a parameter struct of its own");

}  // namespace neura
