// torch.optim.SGD: hyperparameters and state; the element update is formula::SgdStep (ops/Formulas.h), run by
// the step kernel of the parameter's device for every layout (optim/Fused.h).
#include "neura/optim/SGD.h"


#include "neura/ops/Ops.h"
#include "optim/Fused.h"

namespace neura::optim {

namespace {
constexpr std::size_t kMomentumBuffer = 0;
}

SGD::SGD(std::vector<Tensor> params, const SGDOptions& options)
    : Optimizer(std::move(params), {"momentum_buffer"}), o_(options) {
    validate();
}

void SGD::validate() const {
    detail::check_hyper(o_.lr >= 0.0, "learning rate", o_.lr);
    detail::check_hyper(o_.momentum >= 0.0, "momentum value", o_.momentum);
    detail::check_hyper(o_.weight_decay >= 0.0, "weight_decay value", o_.weight_decay);
    NEURA_CHECK(!o_.nesterov || (o_.momentum > 0.0 && o_.dampening == 0.0),
                "Nesterov momentum requires a momentum and zero dampening");
}

std::vector<std::pair<std::string, double>> SGD::hyperparameters() const {
    return {{"lr", o_.lr},
            {"momentum", o_.momentum},
            {"dampening", o_.dampening},
            {"weight_decay", o_.weight_decay},
            {"nesterov", o_.nesterov ? 1.0 : 0.0},
            {"maximize", o_.maximize ? 1.0 : 0.0}};
}

bool SGD::set_hyperparameter(const std::string& name, double v) {
    if (name == "lr") o_.lr = v;
    else if (name == "momentum") o_.momentum = v;
    else if (name == "dampening") o_.dampening = v;
    else if (name == "weight_decay") o_.weight_decay = v;
    else if (name == "nesterov") o_.nesterov = v != 0.0;
    else if (name == "maximize") o_.maximize = v != 0.0;
    else return false;
    return true;
}

namespace {
DispatchSlot<SgdStepKernel> kSgdStep{"sgd_step"};  // kernels: backend/cpu/Optim.cpp, backend/cuda
}  // namespace

void SGD::update(const Tensor& p, const Tensor& g, ParamState& s) {
    const bool use_momentum = o_.momentum != 0.0;
    const bool first = use_momentum && !s.buffers[kMomentumBuffer].defined();
    const Tensor buf = use_momentum ? buffer(s, kMomentumBuffer, p) : Tensor();
    const SgdStepParams k{o_.lr, o_.momentum, o_.dampening, o_.weight_decay, o_.nesterov, o_.maximize, first};
    detail::StandIns x{p, g, buf};
    kSgdStep(p.device())(x[0], x[1], x[2], k);
    x.write_back();
}

}  // namespace neura::optim
