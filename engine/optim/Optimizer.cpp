#include "neura/optim/Optimizer.h"

#include <cmath>
#include <string_view>

#include "neura/autograd/GradMode.h"
#include "ops/Internal.h"

namespace neura::optim {

namespace detail {
void check_hyper(bool ok, const char* what, double value) {
    NEURA_CHECK(ok, "Invalid ", what, ": ", value);
}
}  // namespace detail

Optimizer::Optimizer(std::vector<Tensor> params, std::vector<std::string> buffer_names)
    : params_(std::move(params)), buffer_names_(std::move(buffer_names)) {
    NEURA_CHECK(!params_.empty(), "optimizer got an empty parameter list");
    for (std::size_t i = 0; i < params_.size(); ++i) {
        const Tensor& p = params_[i];
        NEURA_CHECK(p.defined(), "optimizer: parameter ", i, " is undefined");
        NEURA_CHECK(is_floating(p.dtype()), "optimizer: parameter ", i, " is ", dtype_name(p.dtype()),
                    "; only floating-point tensors can be optimized");
        NEURA_CHECK(p.is_leaf(), "optimizer: can't optimize a non-leaf tensor (parameter ", i, ", shape ",
                    shape_str(p.shape()), ")");
    }
    states_.resize(params_.size());
    for (auto& s : states_) s.buffers.resize(buffer_names_.size());
}

bool Optimizer::step_flat() {
    const Tensor& p0 = params_.front();
    const Tensor g0 = p0.grad();
    if (!g0.defined() || g0.dtype() != p0.dtype() || g0.device() != p0.device() ||
        g0.storage().get() == p0.storage().get())
        return false;  // the loop below checks every parameter's layout, the first one's included
    const std::int64_t step = states_.front().step;
    std::int64_t end = p0.offset();
    for (std::size_t i = 0; i < params_.size(); ++i) {
        const Tensor& p = params_[i];
        const Tensor g = p.grad();
        if (!g.defined() || p.storage().get() != p0.storage().get() || g.storage().get() != g0.storage().get() ||
            !p.is_contiguous() || !g.is_contiguous() || p.offset() < end || g.shape() != p.shape() ||
            p.offset() - p0.offset() != g.offset() - g0.offset() || states_[i].step != step)
            return false;
        end = p.offset() + p.numel();
        for (std::size_t b = 0; b < buffer_names_.size(); ++b)  // all buffers of a kind made, or none
            if (states_[i].buffers[b].defined() != states_.front().buffers[b].defined()) return false;
    }
    const std::int64_t span = end - p0.offset();
    const Tensor flat_p = neura::detail::make_view(p0, {span}, {1}, p0.offset());
    const Tensor flat_g = neura::detail::make_view(g0, {span}, {1}, g0.offset());
    // Parameter i's place in a buffer laid out like the span.
    const auto inside = [&](const Tensor& flat, std::size_t i) {
        return neura::detail::make_view(flat, params_[i].shape(), params_[i].strides(),
                                        params_[i].offset() - p0.offset());
    };
    // The flat state: kept while it covers this span at this step count; else made from the per-parameter
    // buffers (the gaps between parameters are zeros in the parameters, the gradients and the state, and so
    // stay zeros under every update).
    const bool same_span = flat_param_.defined() && flat_param_.storage().get() == p0.storage().get() &&
                           flat_param_.offset() == p0.offset() && flat_param_.numel() == span &&
                           flat_state_.step == step;
    if (!same_span) {
        flat_param_ = flat_p;
        flat_state_ = ParamState{};
        flat_state_.step = step;
        flat_state_.buffers.resize(buffer_names_.size());
        for (std::size_t b = 0; b < buffer_names_.size(); ++b) {
            if (!states_.front().buffers[b].defined()) continue;
            Tensor flat = Tensor::zeros({span}, p0.dtype(), p0.device());
            for (std::size_t i = 0; i < params_.size(); ++i)
                neura::detail::copy_into(inside(flat, i), states_[i].buffers[b]);
            flat_state_.buffers[b] = flat;
        }
    }
    ++flat_state_.step;
    update(flat_p, flat_g, flat_state_);
    p0.storage()->bump_version();
    for (std::size_t i = 0; i < params_.size(); ++i) {
        ParamState& s = states_[i];
        s.step = flat_state_.step;
        for (std::size_t b = 0; b < buffer_names_.size(); ++b) {
            const Tensor& flat = flat_state_.buffers[b];
            if (!flat.defined() || (s.buffers[b].defined() && s.buffers[b].storage().get() == flat.storage().get()))
                continue;
            s.buffers[b] = inside(flat, i);
        }
    }
    return true;
}

void Optimizer::step() {
    NoGradGuard ng;
    last_flat_ = step_flat();
    if (last_flat_) return;
    for (std::size_t i = 0; i < params_.size(); ++i) {
        const Tensor& p = params_[i];
        Tensor g = p.grad();
        if (!g.defined()) continue;
        NEURA_CHECK(g.shape() == p.shape(), type_name(), ": the gradient of parameter ", i, " has shape ",
                    shape_str(g.shape()), " but the parameter has shape ", shape_str(p.shape()));
        if (g.dtype() != p.dtype()) g = g.to(p.dtype());
        if (g.device() != p.device()) g = g.to(p.device());
        ParamState& s = states_[i];
        ++s.step;
        update(p, g.detach(), s);
        p.storage()->bump_version();
    }
}

void Optimizer::zero_grad() {
    for (auto& p : params_) p.zero_grad();
}

void Optimizer::set_lr(double lr) {
    detail::check_hyper(lr >= 0.0, "learning rate", lr);
    lr_ref() = lr;
}

Tensor& Optimizer::buffer(ParamState& s, std::size_t index, const Tensor& param) {
    Tensor& b = s.buffers.at(index);
    if (!b.defined()) b = Tensor::zeros(param.shape(), param.dtype(), param.device());
    return b;
}

OptimizerState Optimizer::state() const {
    OptimizerState out;
    out.type = type_name();
    for (const auto& [name, value] : hyperparameters()) out.scalars[name] = value;
    out.scalars["num_params"] = static_cast<double>(params_.size());
    NoGradGuard ng;
    for (std::size_t i = 0; i < states_.size(); ++i) {
        const ParamState& s = states_[i];
        const std::string prefix = "param." + std::to_string(i) + ".";
        if (s.step > 0) out.scalars[prefix + "step"] = static_cast<double>(s.step);
        for (std::size_t b = 0; b < s.buffers.size(); ++b)
            if (s.buffers[b].defined()) out.tensors.emplace_back(prefix + buffer_names_[b], s.buffers[b].clone());
    }
    return out;
}

namespace {
// "param.<i>.<rest>" -> (i, rest); false for other keys.
bool parse_param_key(const std::string& key, std::size_t& index, std::string& rest) {
    constexpr std::string_view prefix = "param.";
    if (key.rfind(prefix, 0) != 0) return false;
    const std::size_t dot = key.find('.', prefix.size());
    if (dot == std::string::npos || dot == prefix.size()) return false;
    index = 0;
    for (std::size_t k = prefix.size(); k < dot; ++k) {
        if (key[k] < '0' || key[k] > '9') return false;
        index = index * 10 + static_cast<std::size_t>(key[k] - '0');
        if (index > (1u << 30)) return false;
    }
    rest = key.substr(dot + 1);
    return true;
}
}  // namespace

void Optimizer::load_state(const OptimizerState& st) {
    const std::string me = type_name();
    NEURA_CHECK(st.type == me, me, ": cannot load the state of a ", st.type.empty() ? "(untyped)" : st.type,
                " optimizer");
    if (auto it = st.scalars.find("num_params"); it != st.scalars.end())
        NEURA_CHECK(it->second == static_cast<double>(params_.size()), me, ": the saved state is for ", it->second,
                    " parameters, this optimizer has ", params_.size());

    // Validate everything before changing anything, so a bad state leaves the optimizer untouched.
    std::vector<ParamState> states(params_.size());
    for (auto& s : states) s.buffers.resize(buffer_names_.size());
    std::vector<std::pair<std::string, double>> hyper;
    for (const auto& [key, value] : st.scalars) {
        std::size_t i = 0;
        std::string rest;
        if (key == "num_params") continue;
        if (parse_param_key(key, i, rest)) {
            NEURA_CHECK(i < params_.size(), me, ": state entry '", key, "' names parameter ", i, " of ",
                        params_.size());
            NEURA_CHECK(rest == "step", me, ": unknown state entry '", key, "'");
            NEURA_CHECK(value >= 0 && value == std::floor(value), me, ": invalid step count ", value, " in '", key,
                        "'");
            states[i].step = static_cast<std::int64_t>(value);
        } else {
            hyper.emplace_back(key, value);
        }
    }
    NoGradGuard ng;
    for (const auto& [key, t] : st.tensors) {
        std::size_t i = 0;
        std::string rest;
        NEURA_CHECK(parse_param_key(key, i, rest) && i < params_.size(), me, ": unknown state tensor '", key, "'");
        std::size_t b = 0;
        while (b < buffer_names_.size() && buffer_names_[b] != rest) ++b;
        NEURA_CHECK(b < buffer_names_.size(), me, ": unknown state tensor '", key, "'");
        const Tensor& p = params_[i];
        NEURA_CHECK(t.defined() && is_floating(t.dtype()), me, ": state tensor '", key,
                    "' must be a floating-point tensor");
        NEURA_CHECK(t.shape() == p.shape(), me, ": state tensor '", key, "' has shape ", shape_str(t.shape()),
                    " but parameter ", i, " has shape ", shape_str(p.shape()));
        Tensor c = Tensor::empty(p.shape(), p.dtype(), p.device());
        c.copy_(t.device() == p.device() ? t : t.to(p.device()));
        states[i].buffers[b] = c;
    }
    const auto before = hyperparameters();
    try {
        for (const auto& [name, value] : hyper)
            NEURA_CHECK(set_hyperparameter(name, value), me, ": unknown state entry '", name, "'");
        validate();
    } catch (...) {
        for (const auto& [name, value] : before) set_hyperparameter(name, value);
        throw;
    }
    states_ = std::move(states);
    flat_param_ = Tensor();  // the next flat step starts from the loaded buffers
}

}  // namespace neura::optim
