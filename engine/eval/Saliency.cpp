// Gradient × input and integrated gradients for one sample (neura/eval/Saliency.h).
#include "neura/eval/Saliency.h"

#include <algorithm>
#include <cmath>

#include "neura/autograd/Autograd.h"
#include "neura/autograd/GradMode.h"
#include "neura/core/Error.h"
#include "neura/ops/Ops.h"

namespace neura::eval {

const char* saliency_method_name(SaliencyMethod m) {
    return m == SaliencyMethod::GradientTimesInput ? "gradient x input" : "integrated gradients";
}

namespace {

// The points base + alpha (x - base), at most this many to a batch (a big image times thousands of steps
// would not fit in one).
constexpr std::int64_t kChunk = 512;

struct PathGradients {
    Tensor sum;                   // of the target's gradient over the points, weighted; the sample's shape
    std::vector<double> outputs;  // the target's value at each point
};

class Path {
public:
    Path(graph::Network& net, const Tensor& x, const Tensor& base, DType dtype, Device device)
        : net_(net), x_(x), base_(base), dtype_(dtype), device_(device) {}

    std::int64_t target = -1;  // chosen from the first evaluation when negative

    // Σ weights[i] · ∂f_target/∂input at base + alphas[i] (x - base).
    PathGradients at(const std::vector<double>& alphas, const std::vector<double>& weights) {
        PathGradients r;
        r.sum = Tensor::zeros(x_.shape(), dtype_, device_);
        for (std::size_t start = 0; start < alphas.size(); start += kChunk) {
            const std::size_t end = std::min(alphas.size(), start + kChunk);
            const auto n = static_cast<std::int64_t>(end - start);
            Shape column(static_cast<std::size_t>(x_.dim()) + 1, 1);
            column[0] = n;
            const auto tensor = [&](const std::vector<double>& v) {
                return Tensor::from_vector(std::vector<double>(v.begin() + static_cast<std::ptrdiff_t>(start),
                                                               v.begin() + static_cast<std::ptrdiff_t>(end)),
                                           column)
                    .to(dtype_)
                    .to(device_);
            };
            Tensor points = (base_.unsqueeze(0) + tensor(alphas) * (x_ - base_).unsqueeze(0)).detach().contiguous();
            points.requires_grad_();
            const Tensor out = net_.forward(points);
            NEURA_CHECK_SHAPE(out.dim() == 2, "saliency needs one row of outputs per sample; the model gives ",
                              shape_str(Shape(out.shape().begin() + 1, out.shape().end())), " per sample");
            if (target < 0) {  // the largest output at the last point (the sample itself for gradient x input)
                const auto last = out.select(0, n - 1).to(Device::cpu()).to_vector<double>();
                target = std::max_element(last.begin(), last.end()) - last.begin();
            }
            NEURA_CHECK(target < out.size(1), "saliency: output ", target, " does not exist; the model has ",
                        out.size(1));
            const Tensor y = out.select(1, target);
            const Tensor g = autograd::grad({y.sum()}, {points})[0].detach();
            r.sum = r.sum + (g * tensor(weights)).sum({0});
            const auto values = y.detach().to(Device::cpu()).to_vector<double>();
            r.outputs.insert(r.outputs.end(), values.begin(), values.end());
        }
        return r;
    }

private:
    graph::Network& net_;
    Tensor x_, base_;
    DType dtype_;
    Device device_;
};

}  // namespace

Saliency saliency(graph::Network& net, const Tensor& sample, const SaliencyOptions& options) {
    const auto params = net.named_parameters();
    const DType dtype = params.empty() ? DType::F32 : params.front().second.dtype();
    const Device device = params.empty() ? Device::cpu() : params.front().second.device();
    NEURA_CHECK_TYPE(sample.dtype() != DType::I64, "saliency needs real-valued features; this model's inputs are ",
                     "token indices");
    NEURA_CHECK_SHAPE(sample.shape() == net.input_shape(), "saliency: the sample has shape ", shape_str(sample.shape()),
                      ", the model takes ", shape_str(net.input_shape()));
    const bool integrated = options.method == SaliencyMethod::IntegratedGradients;
    NEURA_CHECK(!integrated || (options.steps >= 1 && options.max_steps >= options.steps),
                "integrated gradients need 1 <= steps <= max_steps, got ", options.steps, " and ", options.max_steps);
    const Tensor x = sample.to(dtype).to(device).contiguous();
    const Tensor base = options.baseline.defined() ? options.baseline.to(dtype).to(device) : Tensor::zeros_like(x);
    NEURA_CHECK_SHAPE(base.shape() == x.shape(), "saliency: the baseline has shape ", shape_str(base.shape()),
                      ", the sample ", shape_str(x.shape()));

    const bool was_training = net.is_training();
    net.eval();
    const EnableGradGuard grad_on(true);  // whatever the caller's mode: the gradient is the point
    try {
        Path path(net, x, base, dtype, device);
        path.target = options.target;
        Saliency s;
        if (!integrated) {
            const PathGradients g = path.at({1.0}, {1.0});
            s.attributions = (g.sum * x).to(DType::F64).to(Device::cpu());
            s.output = g.outputs.back();
        } else {
            // T(n) = 1/n (g_0 / 2 + g_1 + ... + g_(n-1) + g_n / 2); T(2n) = T(n) / 2 + 1/(2n) Σ g(midpoints).
            std::int64_t n = options.steps;
            std::vector<double> alphas, weights;
            for (std::int64_t k = 0; k <= n; ++k) {
                alphas.push_back(static_cast<double>(k) / static_cast<double>(n));
                weights.push_back((k == 0 || k == n ? 0.5 : 1.0) / static_cast<double>(n));
            }
            const PathGradients ends = path.at(alphas, weights);
            s.baseline_output = ends.outputs.front();
            s.output = ends.outputs.back();
            Tensor average = ends.sum;  // ∫ gradient dα over [0, 1], by the rule
            const Tensor diff = x - base;
            for (;;) {
                s.attributions = (average * diff).to(DType::F64).to(Device::cpu());
                s.steps = n;
                s.convergence_delta = s.attributions.sum().item<double>() - (s.output - s.baseline_output);
                if (std::abs(s.convergence_delta) <= options.tolerance || 2 * n > options.max_steps) break;
                alphas.clear();
                weights.clear();
                for (std::int64_t k = 0; k < n; ++k) {
                    alphas.push_back((2.0 * static_cast<double>(k) + 1.0) / (2.0 * static_cast<double>(n)));
                    weights.push_back(1.0 / (2.0 * static_cast<double>(n)));
                }
                average = average * 0.5 + path.at(alphas, weights).sum;
                n *= 2;
            }
        }
        s.target = path.target;
        net.train(was_training);
        return s;
    } catch (...) {
        net.train(was_training);
        throw;
    }
}

}  // namespace neura::eval
