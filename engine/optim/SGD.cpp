// torch.optim.SGD (PyTorch 1.13, _single_tensor_sgd):
//   d = ±g + weight_decay * p
//   buf = d on the first step, else momentum * buf + (1 - dampening) * d
//   d = nesterov ? d + momentum * buf : buf
//   p -= lr * d
#include "neura/optim/SGD.h"

#include <type_traits>

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
template <class T>
void sgd_loop(T* p, const T* g, T* buf, std::int64_t n, const SgdStepParams& o) {
    const T lr = static_cast<T>(o.lr), wd = static_cast<T>(o.weight_decay), mom = static_cast<T>(o.momentum);
    const T keep = static_cast<T>(1.0 - o.dampening);
    const T sign = o.maximize ? T(-1) : T(1);
    for (std::int64_t j = 0; j < n; ++j) {
        T d = sign * g[j];
        if (o.weight_decay != 0.0) d += wd * p[j];
        if (buf) {
            buf[j] = o.first ? d : buf[j] * mom + keep * d;
            d = o.nesterov ? d + mom * buf[j] : buf[j];
        }
        p[j] -= lr * d;
    }
}

void sgd_step_cpu(const Tensor& p, const Tensor& g, const Tensor& buf, const SgdStepParams& k) {
    visit_dtype(p.dtype(), [&](auto tag) {
        using T = decltype(tag);
        if constexpr (!std::is_integral_v<T>)
            sgd_loop<T>(detail::ptr<T>(p), detail::ptr<T>(g), detail::ptr<T>(buf), p.numel(), k);
    });
}

Kernel<SgdStepKernel> kSgdStep{"sgd_step", &sgd_step_cpu};
}  // namespace

void SGD::update(std::size_t i, const Tensor& g, ParamState& s) {
    const Tensor& p = params_[i];
    const bool use_momentum = o_.momentum != 0.0;
    const bool first = use_momentum && !s.buffers[kMomentumBuffer].defined();
    Tensor buf = use_momentum ? buffer(s, kMomentumBuffer, p) : Tensor();

    if (detail::fusable(p, {&g, &buf})) {
        const SgdStepParams k{o_.lr, o_.momentum, o_.dampening, o_.weight_decay, o_.nesterov, o_.maximize, first};
        kSgdStep(p.device())(p, g, buf, k);
        return;
    }
    Tensor d = o_.maximize ? -g : g;
    if (o_.weight_decay != 0.0) d = add(d, p, o_.weight_decay);
    if (use_momentum) {
        if (first) buf.copy_(d);
        else buf.copy_(add(buf * o_.momentum, d, 1.0 - o_.dampening));
        d = o_.nesterov ? add(d, buf, o_.momentum) : buf;
    }
    detail::assign(p, add(p, d, -o_.lr));
}

}  // namespace neura::optim
