// torch.optim.Adam and AdamW: hyperparameters and state; the element update is formula::AdamStep (ops/Formulas.h), run by
// the step kernel of the parameter's device for every layout (optim/Fused.h).
#include "neura/optim/Adam.h"

#include <algorithm>
#include <cmath>

#include "neura/ops/Ops.h"
#include "optim/Fused.h"

namespace neura::optim {

namespace {
constexpr std::size_t kExpAvg = 0, kExpAvgSq = 1, kMaxExpAvgSq = 2;
}

Adam::Adam(std::vector<Tensor> params, const AdamOptions& options) : Adam(std::move(params), options, false) {}

Adam::Adam(std::vector<Tensor> params, const AdamOptions& options, bool decoupled_weight_decay)
    : Optimizer(std::move(params), {"exp_avg", "exp_avg_sq", "max_exp_avg_sq"}),
      o_(options),
      decoupled_(decoupled_weight_decay) {
    validate();
}

void Adam::validate() const {
    detail::check_hyper(o_.lr >= 0.0, "learning rate", o_.lr);
    detail::check_hyper(o_.eps >= 0.0, "epsilon value", o_.eps);
    detail::check_hyper(o_.beta1 >= 0.0 && o_.beta1 < 1.0, "beta parameter at index 0", o_.beta1);
    detail::check_hyper(o_.beta2 >= 0.0 && o_.beta2 < 1.0, "beta parameter at index 1", o_.beta2);
    detail::check_hyper(o_.weight_decay >= 0.0, "weight_decay value", o_.weight_decay);
}

std::vector<std::pair<std::string, double>> Adam::hyperparameters() const {
    return {{"lr", o_.lr},
            {"beta1", o_.beta1},
            {"beta2", o_.beta2},
            {"eps", o_.eps},
            {"weight_decay", o_.weight_decay},
            {"amsgrad", o_.amsgrad ? 1.0 : 0.0},
            {"maximize", o_.maximize ? 1.0 : 0.0}};
}

bool Adam::set_hyperparameter(const std::string& name, double v) {
    if (name == "lr") o_.lr = v;
    else if (name == "beta1") o_.beta1 = v;
    else if (name == "beta2") o_.beta2 = v;
    else if (name == "eps") o_.eps = v;
    else if (name == "weight_decay") o_.weight_decay = v;
    else if (name == "amsgrad") o_.amsgrad = v != 0.0;
    else if (name == "maximize") o_.maximize = v != 0.0;
    else return false;
    return true;
}

namespace {
DispatchSlot<AdamStepKernel> kAdamStep{"adam_step"};  // kernels: backend/cpu/Optim.cpp, backend/cuda
}  // namespace

void Adam::update(const Tensor& p, const Tensor& g, ParamState& s) {
    const Tensor m = buffer(s, kExpAvg, p);
    const Tensor v = buffer(s, kExpAvgSq, p);
    const Tensor vmax = o_.amsgrad ? buffer(s, kMaxExpAvgSq, p) : Tensor();
    const double t = static_cast<double>(s.step);
    const double bc1 = 1.0 - std::pow(o_.beta1, t), bc2 = 1.0 - std::pow(o_.beta2, t);
    const AdamStepParams k{o_.lr,          o_.beta1, o_.beta2,   o_.eps,    o_.weight_decay, o_.lr / bc1,
                           std::sqrt(bc2), decoupled_, o_.amsgrad, o_.maximize};
    detail::StandIns x{p, g, m, v, vmax};
    kAdamStep(p.device())(x[0], x[1], x[2], x[3], x[4], k);
    x.write_back();
}

}  // namespace neura::optim
