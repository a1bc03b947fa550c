// gradcheck: the analytic Jacobian (one backward per output element) against F64-style central
// differences (two forwards per input element), as torch.autograd.gradcheck does in its slow mode.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <sstream>

#include "neura/autograd/Autograd.h"
#include "neura/ops/Ops.h"

namespace neura::autograd {
namespace {

std::vector<double> flatten_outputs(const std::vector<Tensor>& outs) {
    std::vector<double> flat;
    for (const auto& o : outs) {
        if (!o.defined() || !is_floating(o.dtype())) continue;
        auto v = o.to_vector<double>();
        flat.insert(flat.end(), v.begin(), v.end());
    }
    return flat;
}

// Storage offset (in elements) of the flat row-major element j of t.
std::int64_t element_offset(const Tensor& t, std::int64_t j) {
    std::int64_t off = t.offset();
    for (std::int64_t d = t.dim() - 1; d >= 0; --d) {
        off += (j % t.shape()[d]) * t.strides()[d];
        j /= t.shape()[d];
    }
    return off;
}

double read_at(const Tensor& t, std::int64_t off) {
    return visit_dtype(t.dtype(), [&](auto tag) {
        using T = decltype(tag);
        return static_cast<double>(static_cast<T*>(t.storage()->data())[off]);
    });
}
void write_at(const Tensor& t, std::int64_t off, double v) {
    visit_dtype(t.dtype(), [&](auto tag) {
        using T = decltype(tag);
        static_cast<T*>(t.storage()->data())[off] = static_cast<T>(v);
    });
}

}  // namespace

GradcheckResult gradcheck(const GradcheckFn& fn, const std::vector<Tensor>& inputs, const GradcheckOptions& opts,
                          const std::vector<std::string>& names) {
    GradcheckResult result;
    std::vector<std::size_t> checked;
    for (std::size_t i = 0; i < inputs.size(); ++i)
        if (inputs[i].defined() && inputs[i].requires_grad()) checked.push_back(i);
    NEURA_CHECK(!checked.empty(), "gradcheck: no input requires grad");

    // Which elements of each checked input to perturb.
    std::mt19937_64 rng(opts.seed);
    std::vector<std::vector<std::int64_t>> elements(checked.size());
    for (std::size_t c = 0; c < checked.size(); ++c) {
        const std::int64_t n = inputs[checked[c]].numel();
        auto& e = elements[c];
        e.resize(static_cast<std::size_t>(n));
        std::iota(e.begin(), e.end(), 0);
        if (opts.max_elements > 0 && n > opts.max_elements) {
            std::shuffle(e.begin(), e.end(), rng);
            e.resize(static_cast<std::size_t>(opts.max_elements));
            std::sort(e.begin(), e.end());
        }
    }

    // Analytic Jacobian rows: one backward per output element.
    std::vector<Tensor> outs;
    {
        EnableGradGuard on(true);
        outs = fn(inputs);
    }
    std::vector<Tensor> diff_outs;
    for (const auto& o : outs)
        if (o.defined() && is_floating(o.dtype())) diff_outs.push_back(o);
    const std::vector<double> base = flatten_outputs(outs);
    const std::size_t n_out = base.size();
    std::vector<Tensor> checked_inputs;
    for (auto i : checked) checked_inputs.push_back(inputs[i]);

    // analytic[c][o * k + e]: d out[o] / d input_c[elements[c][e]]
    std::vector<std::vector<double>> analytic(checked.size());
    for (std::size_t c = 0; c < checked.size(); ++c) analytic[c].assign(n_out * elements[c].size(), 0.0);
    std::size_t row = 0;
    for (std::size_t k = 0; k < diff_outs.size(); ++k) {
        const Tensor& o = diff_outs[k];
        for (std::int64_t j = 0; j < o.numel(); ++j, ++row) {
            if (!o.requires_grad()) continue;  // the output does not depend on any input: row of zeros
            std::vector<Tensor> seeds;
            for (std::size_t m = 0; m < diff_outs.size(); ++m) {
                Tensor s = Tensor::zeros(diff_outs[m].shape(), diff_outs[m].dtype());
                if (m == k) write_at(s, j, 1.0);
                seeds.push_back(s);
            }
            std::vector<Tensor> used, used_seeds;
            for (std::size_t m = 0; m < diff_outs.size(); ++m)
                if (diff_outs[m].requires_grad()) {
                    used.push_back(diff_outs[m]);
                    used_seeds.push_back(seeds[m]);
                }
            const auto grads = grad(used, checked_inputs, used_seeds, /*retain_graph=*/true, false, /*allow_unused=*/true);
            for (std::size_t c = 0; c < checked.size(); ++c) {
                if (!grads[c].defined()) continue;
                const auto g = grads[c].to_vector<double>();
                for (std::size_t e = 0; e < elements[c].size(); ++e)
                    analytic[c][row * elements[c].size() + e] = g[static_cast<std::size_t>(elements[c][e])];
            }
        }
    }

    // Numeric columns by central differences, comparing as we go.
    for (std::size_t c = 0; c < checked.size(); ++c) {
        const Tensor& x = inputs[checked[c]];
        GradcheckTensorResult r;
        r.name = c < names.size() && !names[c].empty() ? names[c] : "input " + std::to_string(checked[c]);
        r.shape = x.shape();
        r.checked_elements = static_cast<std::int64_t>(elements[c].size());
        double worst_ratio = -1.0;
        for (std::size_t e = 0; e < elements[c].size(); ++e) {
            const std::int64_t off = element_offset(x, elements[c][e]);
            const double orig = read_at(x, off);
            write_at(x, off, orig + opts.eps);
            std::vector<double> plus, minus;
            {
                NoGradGuard no_grad;
                plus = flatten_outputs(fn(inputs));
                write_at(x, off, orig - opts.eps);
                minus = flatten_outputs(fn(inputs));
            }
            write_at(x, off, orig);  // restored bit for bit
            for (std::size_t o = 0; o < n_out; ++o) {
                const double numeric = (plus[o] - minus[o]) / (2.0 * opts.eps);
                const double a = analytic[c][o * elements[c].size() + e];
                const double abs_err = std::abs(a - numeric);
                const double bound = opts.atol + opts.rtol * std::abs(numeric);
                const bool nan_mismatch = std::isnan(a) != std::isnan(numeric);
                const double ratio = nan_mismatch || std::isnan(abs_err) ? INFINITY : abs_err / bound;
                const double rel = abs_err / std::max(std::abs(numeric), 1e-12);
                if (!std::isnan(abs_err)) {
                    r.max_abs_error = std::max(r.max_abs_error, abs_err);
                    r.max_rel_error = std::max(r.max_rel_error, abs_err == 0 ? 0.0 : rel);
                }
                if (ratio > 1.0 || nan_mismatch) r.passed = false;
                if (ratio > worst_ratio) {
                    worst_ratio = ratio;
                    r.worst_index = elements[c][e];
                    r.worst_analytic = a;
                    r.worst_numeric = numeric;
                }
            }
        }
        if (!r.passed && result.passed) {
            std::ostringstream msg;
            msg << "gradient mismatch for " << r.name << " (shape " << shape_str(r.shape) << ") at element "
                << r.worst_index << ": analytic " << r.worst_analytic << ", numeric " << r.worst_numeric
                << " (max abs error " << r.max_abs_error << ", tolerance atol " << opts.atol << " + rtol "
                << opts.rtol << ")";
            result.message = msg.str();
            result.passed = false;
        }
        result.inputs.push_back(r);
    }

    if (opts.check_double_backward && result.passed) {
        // gradgradcheck: the gradient (with random output weights v) is itself checked as a function.
        Generator gen(opts.seed + 1);
        std::vector<Tensor> all = inputs;
        const std::size_t first_v = all.size();
        for (const auto& o : diff_outs)
            all.push_back(Tensor::randn(o.shape(), o.dtype(), &gen).requires_grad_());
        GradcheckOptions inner = opts;
        inner.check_double_backward = false;
        auto grad_fn = [&](const std::vector<Tensor>& xs) {
            // Numeric probes call this without grad mode; the gradient itself always needs a graph.
            const bool outer_grad = GradMode::is_enabled();
            EnableGradGuard on(true);
            std::vector<Tensor> in(xs.begin(), xs.begin() + static_cast<long>(first_v));
            std::vector<Tensor> vs(xs.begin() + static_cast<long>(first_v), xs.end());
            std::vector<Tensor> ys;
            for (const auto& o : fn(in))
                if (o.defined() && is_floating(o.dtype())) ys.push_back(o);
            std::vector<Tensor> used, used_v, targets;
            for (std::size_t m = 0; m < ys.size(); ++m)
                if (ys[m].requires_grad()) {
                    used.push_back(ys[m]);
                    used_v.push_back(vs[m]);
                }
            for (auto i : checked) targets.push_back(in[i]);
            std::vector<Tensor> g;
            if (!used.empty()) g = grad(used, targets, used_v, outer_grad, outer_grad, true);
            g.resize(targets.size());
            for (std::size_t i = 0; i < g.size(); ++i) {
                if (!g[i].defined()) g[i] = Tensor::zeros(targets[i].shape(), targets[i].dtype());
                else if (!outer_grad) g[i] = g[i].detach();
            }
            return g;
        };
        GradcheckResult second = gradcheck(grad_fn, all, inner);
        if (!second.passed) {
            result.passed = false;
            result.message = "double backward: " + second.message;
        }
    }
    return result;
}

}  // namespace neura::autograd
