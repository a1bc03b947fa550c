// torch.optim.Adam and AdamW (PyTorch 1.13, _single_tensor_adam / _single_tensor_adamw):
//   g = ±grad (+ weight_decay * p for Adam; AdamW instead does p *= 1 - lr * weight_decay first)
//   m = beta1 * m + (1 - beta1) * g;  v = beta2 * v + (1 - beta2) * g^2;  amsgrad: vmax = max(vmax, v)
//   p -= lr / (1 - beta1^t) * m / (sqrt(v or vmax) / sqrt(1 - beta2^t) + eps)
#include "neura/optim/Adam.h"

#include <algorithm>
#include <cmath>
#include <type_traits>

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
template <class T>
void adam_loop(T* p, const T* g, T* m, T* v, T* vmax, std::int64_t n, const AdamStepParams& k) {
    const T b1 = static_cast<T>(k.beta1), b2 = static_cast<T>(k.beta2);
    const T one_b1 = static_cast<T>(1.0 - k.beta1), one_b2 = static_cast<T>(1.0 - k.beta2);
    const T wd = static_cast<T>(k.weight_decay), decay = static_cast<T>(1.0 - k.lr * k.weight_decay);
    const T eps = static_cast<T>(k.eps), step_size = static_cast<T>(k.step_size), bc2 = static_cast<T>(k.bc2_sqrt);
    const T sign = k.maximize ? T(-1) : T(1);
    for (std::int64_t j = 0; j < n; ++j) {
        T gj = sign * g[j];
        if (k.decoupled) p[j] *= decay;
        else if (k.weight_decay != 0.0) gj += wd * p[j];
        m[j] = m[j] * b1 + one_b1 * gj;
        v[j] = v[j] * b2 + one_b2 * (gj * gj);
        T second = v[j];
        if (vmax) {
            vmax[j] = std::max(vmax[j], v[j]);
            second = vmax[j];
        }
        const T denom = std::sqrt(second) / bc2 + eps;
        p[j] += -step_size * (m[j] / denom);
    }
}

void adam_step_cpu(const Tensor& p, const Tensor& g, const Tensor& m, const Tensor& v, const Tensor& vmax,
                   const AdamStepParams& k) {
    visit_dtype(p.dtype(), [&](auto tag) {
        using T = decltype(tag);
        if constexpr (!std::is_integral_v<T>)
            adam_loop<T>(detail::ptr<T>(p), detail::ptr<T>(g), detail::ptr<T>(m), detail::ptr<T>(v),
                         detail::ptr<T>(vmax), p.numel(), k);
    });
}

Kernel<AdamStepKernel> kAdamStep{"adam_step", &adam_step_cpu};
}  // namespace

void Adam::update(std::size_t i, const Tensor& g, ParamState& s) {
    const Tensor& p = params_[i];
    Tensor m = buffer(s, kExpAvg, p);
    Tensor v = buffer(s, kExpAvgSq, p);
    Tensor vmax = o_.amsgrad ? buffer(s, kMaxExpAvgSq, p) : Tensor();
    const double t = static_cast<double>(s.step);
    const double bc1 = 1.0 - std::pow(o_.beta1, t), bc2 = 1.0 - std::pow(o_.beta2, t);
    const AdamStepParams k{o_.lr,          o_.beta1, o_.beta2,   o_.eps,    o_.weight_decay, o_.lr / bc1,
                        std::sqrt(bc2), decoupled_, o_.amsgrad, o_.maximize};

    if (detail::fusable(p, {&g, &m, &v, &vmax})) {
        kAdamStep(p.device())(p, g, m, v, vmax, k);
        return;
    }
    Tensor grad = o_.maximize ? -g : g;
    if (decoupled_) detail::assign(p, p * (1.0 - o_.lr * o_.weight_decay));
    else if (o_.weight_decay != 0.0) grad = add(grad, p, o_.weight_decay);
    m.copy_(add(m * o_.beta1, grad, 1.0 - o_.beta1));
    v.copy_(add(v * o_.beta2, grad * grad, 1.0 - o_.beta2));
    Tensor second = v;
    if (o_.amsgrad) {
        vmax.copy_(maximum(vmax, v));
        second = vmax;
    }
    const Tensor denom = sqrt(second) / k.bc2_sqrt + o_.eps;
    detail::assign(p, add(p, m / denom, -k.step_size));
}

}  // namespace neura::optim
