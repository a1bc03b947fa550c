// The CPU column of the op table: puts each CPU kernel into its slot by name, once per process
// (load_backends). The pointwise kernels are made here from the op list and the formulas; the other
// kernels live beside their op for now (see docs/adding-an-op.md).
#include "backend/cpu/PointwiseKernels.h"
#include "ops/Formulas.h"
#include "ops/Kernel.h"
#include "ops/KernelSignatures.h"
#include "ops/OpList.h"

namespace neura::cpu {

// Optim.cpp
void sgd_step(const Tensor& p, const Tensor& g, const Tensor& buf, const SgdStepParams& k);
void adam_step(const Tensor& p, const Tensor& g, const Tensor& m, const Tensor& v, const Tensor& vmax,
               const AdamStepParams& k);
void rmsprop_step(const Tensor& p, const Tensor& g, const Tensor& sq, const Tensor& buf, const Tensor& ga,
                  const RmspropStepParams& k);

namespace {

// The engine is a static library: a program holds only the op files it uses, so a slot may be absent
// (its op cannot be called then either). tests/engine/tst_backends checks that every slot of a program
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

    put<SgdStepKernel>("sgd_step", &sgd_step);
    put<AdamStepKernel>("adam_step", &adam_step);
    put<RmspropStepKernel>("rmsprop_step", &rmsprop_step);
}

}  // namespace neura::cpu
