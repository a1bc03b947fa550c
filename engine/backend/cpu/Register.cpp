// The CPU column of the op table: puts each CPU kernel into its slot by name, once per process
// (load_backends), as backend/cuda/Kernels.cpp does for the CUDA column. The pointwise kernels are made
// here from the op list and the formulas; the others live in this folder, one file per kind of op, and
// are declared below with their slot's kernel type (so a declaration cannot drift from the slot).
// docs/adding-an-op.md says what a new op needs.
#include "backend/cpu/PointwiseKernels.h"
#include "ops/Formulas.h"
#include "ops/Kernel.h"
#include "ops/KernelSignatures.h"
#include "ops/OpList.h"

namespace neura::cpu {

// Copy.cpp
CopyKernel copy;
FillKernel fill;
// Reduce.cpp
SumKernel sum;
AmaxKernel amax;
AminKernel amin;
ArgmaxKernel argmax;
ArgminKernel argmin;
// Softmax.cpp
SoftmaxKernel softmax;
LogSoftmaxKernel log_softmax;
// Matmul.cpp
MatmulKernel matmul;
// Indexing.cpp
IndexSelectKernel index_select;
IndexAddKernel index_add;
GatherKernel gather;
ScatterAddKernel scatter_add;
// Dropout.cpp
DropoutMaskKernel dropout_mask;
// Conv.cpp
ConvForwardKernel conv2d;
ConvBackwardDataKernel conv2d_backward_data;
ConvBackwardWeightsKernel conv2d_backward_weights;
// Pool.cpp
MaxPoolForwardKernel max_pool2d;
MaxPoolBackwardKernel max_pool2d_backward;
AvgPoolForwardKernel avg_pool2d;
AvgPoolBackwardKernel avg_pool2d_backward;
AdaptiveAvgPoolForwardKernel adaptive_avg_pool2d;
AdaptiveAvgPoolBackwardKernel adaptive_avg_pool2d_backward;
// Norm.cpp
BatchNormForwardKernel batch_norm;
BatchNormBackwardKernel batch_norm_backward;
LayerNormForwardKernel layer_norm;
LayerNormBackwardKernel layer_norm_backward;
// Optim.cpp
SgdStepKernel sgd_step;
AdamStepKernel adam_step;
RmspropStepKernel rmsprop_step;

namespace {

// The engine is a static library: a program holds only the op files it uses, so a slot may be absent
// (its op cannot be called then either). tests/engine/tst_formulas checks that every slot of a program
// holding the whole engine has its CPU kernel, which also catches a misspelt name.
template <class Fn>
void put(const char* name, Fn* fn) {
    if (find_kernel(name)) register_kernel<Fn>(name, DeviceType::CPU, fn);
}

}  // namespace

void register_kernels() {
#define NEURA_PUT_UNARY(name, Formula) put<UnaryKernel>(#name, &unary<formula::Formula>);
#define NEURA_PUT_BINARY(name, Formula) put<BinaryKernel>(#name, &binary<formula::Formula>);
#define NEURA_PUT_COMPARISON(name, Formula) put<BinaryKernel>(#name, &binary<formula::Formula, std::int64_t>);
    NEURA_UNARY_OPS(NEURA_PUT_UNARY)
    NEURA_BINARY_OPS(NEURA_PUT_BINARY)
    NEURA_COMPARISON_OPS(NEURA_PUT_COMPARISON)
#undef NEURA_PUT_UNARY
#undef NEURA_PUT_BINARY
#undef NEURA_PUT_COMPARISON
    put<WhereKernel>("where", &where);

    put<CopyKernel>("copy", &copy);
    put<FillKernel>("fill", &fill);
    // device_copy: copies between the CPU and a device belong to the device's backend.

    put<SumKernel>("sum", &sum);
    put<AmaxKernel>("amax", &amax);
    put<AminKernel>("amin", &amin);
    put<ArgmaxKernel>("argmax", &argmax);
    put<ArgminKernel>("argmin", &argmin);
    put<SoftmaxKernel>("softmax", &softmax);
    put<LogSoftmaxKernel>("log_softmax", &log_softmax);

    put<MatmulKernel>("matmul", &matmul);

    put<IndexSelectKernel>("index_select", &index_select);
    put<IndexAddKernel>("index_add", &index_add);
    put<GatherKernel>("gather", &gather);
    put<ScatterAddKernel>("scatter_add", &scatter_add);

    put<DropoutMaskKernel>("dropout_mask", &dropout_mask);

    put<ConvForwardKernel>("conv2d", &conv2d);
    put<ConvBackwardDataKernel>("conv2d_backward_data", &conv2d_backward_data);
    put<ConvBackwardWeightsKernel>("conv2d_backward_weights", &conv2d_backward_weights);
    put<MaxPoolForwardKernel>("max_pool2d", &max_pool2d);
    put<MaxPoolBackwardKernel>("max_pool2d_backward", &max_pool2d_backward);
    put<AvgPoolForwardKernel>("avg_pool2d", &avg_pool2d);
    put<AvgPoolBackwardKernel>("avg_pool2d_backward", &avg_pool2d_backward);
    put<AdaptiveAvgPoolForwardKernel>("adaptive_avg_pool2d", &adaptive_avg_pool2d);
    put<AdaptiveAvgPoolBackwardKernel>("adaptive_avg_pool2d_backward", &adaptive_avg_pool2d_backward);
    put<BatchNormForwardKernel>("batch_norm", &batch_norm);
    put<BatchNormBackwardKernel>("batch_norm_backward", &batch_norm_backward);
    put<LayerNormForwardKernel>("layer_norm", &layer_norm);
    put<LayerNormBackwardKernel>("layer_norm_backward", &layer_norm_backward);

    put<SgdStepKernel>("sgd_step", &sgd_step);
    put<AdamStepKernel>("adam_step", &adam_step);
    put<RmspropStepKernel>("rmsprop_step", &rmsprop_step);
}

}  // namespace neura::cpu
