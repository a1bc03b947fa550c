// Gradient × input and integrated gradients for one sample (neura/eval/Saliency.h).
#include "neura/eval/Saliency.h"

#include <algorithm>

#include "neura/autograd/Autograd.h"
#include "neura/autograd/GradMode.h"
#include "neura/core/Error.h"
#include "neura/ops/Ops.h"

namespace neura::eval {

const char* saliency_method_name(SaliencyMethod m) {
    return m == SaliencyMethod::GradientTimesInput ? "gradient x input" : "integrated gradients";
}

Saliency saliency(graph::Network& net, const Tensor& sample, const SaliencyOptions& options) {
    const auto params = net.named_parameters();
    const DType dtype = params.empty() ? DType::F32 : params.front().second.dtype();
    const Device device = params.empty() ? Device::cpu() : params.front().second.device();
    NEURA_CHECK_TYPE(sample.dtype() != DType::I64, "saliency needs real-valued features; this model's inputs are ",
                     "token indices");
    NEURA_CHECK_SHAPE(sample.shape() == net.input_shape(), "saliency: the sample has shape ", shape_str(sample.shape()),
                      ", the model takes ", shape_str(net.input_shape()));
    const bool integrated = options.method == SaliencyMethod::IntegratedGradients;
    const std::int64_t steps = integrated ? options.steps : 0;
    NEURA_CHECK(!integrated || steps >= 1, "integrated gradients need at least 1 step, got ", steps);
    const Tensor x = sample.to(dtype).to(device).contiguous();
    const Tensor base = options.baseline.defined() ? options.baseline.to(dtype).to(device) : Tensor::zeros_like(x);
    NEURA_CHECK_SHAPE(base.shape() == x.shape(), "saliency: the baseline has shape ", shape_str(base.shape()),
                      ", the sample ", shape_str(x.shape()));

    // Integrated gradients: the points baseline + k/steps (x - baseline), k = 0..steps, as one batch.
    Tensor path;
    if (integrated) {
        Shape alpha_shape(static_cast<std::size_t>(x.dim()) + 1, 1);
        alpha_shape[0] = steps + 1;
        const Tensor alphas = Tensor::linspace(0.0, 1.0, steps + 1, dtype).to(device).reshape(alpha_shape);
        path = base.unsqueeze(0) + alphas * (x - base).unsqueeze(0);
    } else {
        path = x.unsqueeze(0);
    }
    path = path.detach().contiguous().requires_grad_();

    const bool was_training = net.is_training();
    net.eval();
    const EnableGradGuard grad_on(true);  // whatever the caller's mode: the gradient is the point
    Tensor out, grads;
    try {
        out = net.forward(path);
        NEURA_CHECK_SHAPE(out.dim() == 2, "saliency needs one row of outputs per sample; the model gives ",
                          shape_str(Shape(out.shape().begin() + 1, out.shape().end())), " per sample");
        const auto first = out.select(0, out.size(0) - 1).to(Device::cpu()).to_vector<double>();
        const std::int64_t target = options.target >= 0
                                        ? options.target
                                        : std::max_element(first.begin(), first.end()) - first.begin();
        NEURA_CHECK(target < out.size(1), "saliency: output ", target, " does not exist; the model has ", out.size(1));
        grads = autograd::grad({out.select(1, target).sum()}, {path})[0];
        Saliency s;
        s.target = target;
        const auto values = out.select(1, target).to(Device::cpu()).to_vector<double>();
        s.output = values.back();
        s.baseline_output = integrated ? values.front() : 0.0;
        if (integrated) {  // trapezoidal rule: the end points weigh half
            std::vector<double> w(static_cast<std::size_t>(steps + 1), 1.0 / static_cast<double>(steps));
            w.front() = w.back() = 0.5 / static_cast<double>(steps);
            Shape wshape(static_cast<std::size_t>(x.dim()) + 1, 1);
            wshape[0] = steps + 1;
            const Tensor weights = Tensor::from_vector(w, wshape).to(dtype).to(device);
            s.attributions = ((grads.detach() * weights).sum({0}) * (x - base)).to(DType::F64).to(Device::cpu());
        } else {
            s.attributions = (grads.detach().select(0, 0) * x).to(DType::F64).to(Device::cpu());
        }
        net.train(was_training);
        return s;
    } catch (...) {
        net.train(was_training);
        throw;
    }
}

}  // namespace neura::eval
