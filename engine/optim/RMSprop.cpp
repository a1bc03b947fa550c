// torch.optim.RMSprop (PyTorch 1.13, _single_tensor_rmsprop):
//   g = ±grad + weight_decay * p
//   sq = alpha * sq + (1 - alpha) * g^2
//   avg = sqrt(sq - ga^2) with ga = alpha * ga + (1 - alpha) * g when centered, else sqrt(sq); avg += eps
//   momentum > 0: buf = momentum * buf + g / avg, p -= lr * buf;  otherwise p -= lr * g / avg
#include "neura/optim/RMSprop.h"

#include <cmath>
#include <type_traits>

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
template <class T>
void rmsprop_loop(T* p, const T* g, T* sq, T* buf, T* ga, std::int64_t n, const RmspropStepParams& o) {
    const T lr = static_cast<T>(o.lr), alpha = static_cast<T>(o.alpha), one_alpha = static_cast<T>(1.0 - o.alpha);
    const T eps = static_cast<T>(o.eps), wd = static_cast<T>(o.weight_decay), mom = static_cast<T>(o.momentum);
    const T sign = o.maximize ? T(-1) : T(1);
    for (std::int64_t j = 0; j < n; ++j) {
        T gj = sign * g[j];
        if (o.weight_decay != 0.0) gj += wd * p[j];
        sq[j] = sq[j] * alpha + one_alpha * (gj * gj);
        T avg;
        if (ga) {
            ga[j] = ga[j] * alpha + one_alpha * gj;
            avg = std::sqrt(sq[j] - ga[j] * ga[j]);
        } else {
            avg = std::sqrt(sq[j]);
        }
        avg += eps;
        if (buf) {
            buf[j] = buf[j] * mom + gj / avg;
            p[j] -= lr * buf[j];
        } else {
            p[j] += -lr * (gj / avg);
        }
    }
}

void rmsprop_step_cpu(const Tensor& p, const Tensor& g, const Tensor& sq, const Tensor& buf, const Tensor& ga,
                      const RmspropStepParams& k) {
    visit_dtype(p.dtype(), [&](auto tag) {
        using T = decltype(tag);
        if constexpr (!std::is_integral_v<T>)
            rmsprop_loop<T>(detail::ptr<T>(p), detail::ptr<T>(g), detail::ptr<T>(sq), detail::ptr<T>(buf),
                            detail::ptr<T>(ga), p.numel(), k);
    });
}

Kernel<RmspropStepKernel> kRmspropStep{"rmsprop_step", &rmsprop_step_cpu};
}  // namespace

void RMSprop::update(std::size_t i, const Tensor& g, ParamState& s) {
    const Tensor& p = params_[i];
    Tensor sq = buffer(s, kSquareAvg, p);
    Tensor buf = o_.momentum > 0.0 ? buffer(s, kMomentumBuffer, p) : Tensor();
    Tensor ga = o_.centered ? buffer(s, kGradAvg, p) : Tensor();

    if (detail::fusable(p, {&g, &sq, &buf, &ga})) {
        const RmspropStepParams k{o_.lr, o_.alpha, o_.eps, o_.weight_decay, o_.momentum, o_.centered, o_.maximize};
        kRmspropStep(p.device())(p, g, sq, buf, ga, k);
        return;
    }
    Tensor grad = o_.maximize ? -g : g;
    if (o_.weight_decay != 0.0) grad = add(grad, p, o_.weight_decay);
    sq.copy_(add(sq * o_.alpha, grad * grad, 1.0 - o_.alpha));
    Tensor avg;
    if (o_.centered) {
        ga.copy_(add(ga * o_.alpha, grad, 1.0 - o_.alpha));
        avg = sqrt(sq - ga * ga);
    } else {
        avg = sqrt(sq);
    }
    avg = avg + o_.eps;
    if (o_.momentum > 0.0) {
        buf.copy_(buf * o_.momentum + grad / avg);
        detail::assign(p, add(p, buf, -o_.lr));
    } else {
        detail::assign(p, add(p, grad / avg, -o_.lr));
    }
}

}  // namespace neura::optim
