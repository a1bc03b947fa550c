// torch.optim.RMSprop: hyperparameters and state; the element update is formula::RmspropStep (ops/Formulas.h), run by
// the step kernel of the parameter's device for every layout (optim/Fused.h).
#include "neura/optim/RMSprop.h"

#include <cmath>

#include "neura/ops/Ops.h"
#include "optim/Fused.h"

namespace neura::optim {

namespace {
constexpr std::size_t kSquareAvg = 0, kMomentumBuffer = 1, kGradAvg = 2;
}

RMSprop::RMSprop(std::vector<Tensor> params, const RMSpropOptions& options)
    : Optimizer(std::move(params), {"square_avg", "momentum_buffer", "grad_avg"}), o_(options) {
    validate();
}

void RMSprop::validate() const {
    detail::check_hyper(o_.lr >= 0.0, "learning rate", o_.lr);
    detail::check_hyper(o_.eps >= 0.0, "epsilon value", o_.eps);
    detail::check_hyper(o_.momentum >= 0.0, "momentum value", o_.momentum);
    detail::check_hyper(o_.weight_decay >= 0.0, "weight_decay value", o_.weight_decay);
    detail::check_hyper(o_.alpha >= 0.0, "alpha value", o_.alpha);
}

std::vector<std::pair<std::string, double>> RMSprop::hyperparameters() const {
    return {{"lr", o_.lr},
            {"alpha", o_.alpha},
            {"eps", o_.eps},
            {"weight_decay", o_.weight_decay},
            {"momentum", o_.momentum},
            {"centered", o_.centered ? 1.0 : 0.0},
            {"maximize", o_.maximize ? 1.0 : 0.0}};
}

bool RMSprop::set_hyperparameter(const std::string& name, double v) {
    if (name == "lr") o_.lr = v;
    else if (name == "alpha") o_.alpha = v;
    else if (name == "eps") o_.eps = v;
    else if (name == "weight_decay") o_.weight_decay = v;
    else if (name == "momentum") o_.momentum = v;
    else if (name == "centered") o_.centered = v != 0.0;
    else if (name == "maximize") o_.maximize = v != 0.0;
    else return false;
    return true;
}

namespace {
DispatchSlot<RmspropStepKernel> kRmspropStep{"rmsprop_step"};  // kernels: backend/cpu/Optim.cpp, backend/cuda
}  // namespace

void RMSprop::update(const Tensor& p, const Tensor& g, ParamState& s) {
    const Tensor sq = buffer(s, kSquareAvg, p);
    const Tensor buf = o_.momentum > 0.0 ? buffer(s, kMomentumBuffer, p) : Tensor();
    const Tensor ga = o_.centered ? buffer(s, kGradAvg, p) : Tensor();
    const RmspropStepParams k{o_.lr, o_.alpha, o_.eps, o_.weight_decay, o_.momentum, o_.centered, o_.maximize};
    detail::StandIns x{p, g, sq, buf, ga};
    kRmspropStep(p.device())(x[0], x[1], x[2], x[3], x[4], k);
    x.write_back();
}

}  // namespace neura::optim
