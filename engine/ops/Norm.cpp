// batch_norm and layer_norm: shape rules, dispatch and first-order backward formulas. Both kernels see
// the input as a contiguous 3-D [N, C, S] (batch norm: statistics per C over N and S) or 2-D [M, K]
// (layer norm: per row of K). The CPU kernels are in backend/cpu/Norm.cpp.
#include "neura/ops/NnOps.h"
#include "ops/Internal.h"

namespace neura {

using autograd::FunctionNode;
using autograd::Grads;
using autograd::record;

namespace {

DispatchSlot<BatchNormForwardKernel> kBatchNorm{"batch_norm"};
DispatchSlot<BatchNormBackwardKernel> kBatchNormBackward{"batch_norm_backward"};
DispatchSlot<LayerNormForwardKernel> kLayerNorm{"layer_norm"};
DispatchSlot<LayerNormBackwardKernel> kLayerNormBackward{"layer_norm_backward"};

// An optional per-feature parameter: checked, detached and contiguous (undefined stays undefined).
Tensor param_data(const Tensor& p, const Shape& expect, const Tensor& x, const char* op, const char* what) {
    if (!p.defined()) return {};
    NEURA_CHECK_SHAPE(p.shape() == expect, op, ": ", what, " has shape ", shape_str(p.shape()), ", expected ",
                shape_str(expect), " for input of shape ", shape_str(x.shape()));
    NEURA_CHECK_TYPE(p.dtype() == x.dtype(), op, ": ", what, " is ", dtype_name(p.dtype()), " but the input is ",
                dtype_name(x.dtype()));
    NEURA_CHECK(p.device() == x.device(), op, ": ", what, " is on ", p.device().str(), " but the input is on ",
                x.device().str());
    return p.detach().contiguous();
}

}  // namespace

Tensor batch_norm(const Tensor& x_in, const Tensor& weight, const Tensor& bias, const Tensor& running_mean,
                  const Tensor& running_var, bool training, double momentum, double eps) {
    NEURA_CHECK(x_in.defined(), "batch_norm: undefined input");
    NEURA_CHECK_SHAPE(x_in.dim() >= 2, "batch_norm: expects an input [N, C, *] with at least 2 dimensions, gets shape ",
                shape_str(x_in.shape()));
    NEURA_CHECK_TYPE(is_floating(x_in.dtype()), "batch_norm: expects a floating input, gets ", dtype_name(x_in.dtype()));
    NEURA_CHECK(eps > 0, "batch_norm: eps must be positive, got ", eps);
    const Shape& shape = x_in.shape();
    const std::int64_t n = shape[0], c = shape[1], s = shape_numel(shape) / std::max<std::int64_t>(n * c, 1);
    const Tensor w = param_data(weight, {c}, x_in, "batch_norm", "weight");
    const Tensor b = param_data(bias, {c}, x_in, "batch_norm", "bias");
    param_data(running_mean, {c}, x_in, "batch_norm", "running_mean");
    param_data(running_var, {c}, x_in, "batch_norm", "running_var");
    NEURA_CHECK(running_mean.defined() == running_var.defined(),
                "batch_norm: give both running_mean and running_var, or neither");
    NEURA_CHECK(training || running_mean.defined(), "batch_norm: evaluation mode needs running_mean and running_var");
    NEURA_CHECK(!training || n * s > 1, "batch_norm: expected more than 1 value per channel when training, got input ",
                "shape ", shape_str(shape));

    const Tensor x = x_in.detach().contiguous().reshape({n, c, s});
    Tensor mean, var;
    if (training) {
        mean = Tensor::empty({c}, x.dtype(), x.device());
        var = Tensor::empty({c}, x.dtype(), x.device());
    } else {
        // Copies: a later in-place update of the running stats must not change this node's backward.
        mean = running_mean.detach().clone();
        var = running_var.detach().clone();
    }
    Tensor out = Tensor::empty({n, c, s}, x.dtype(), x.device());
    if (out.numel() > 0) kBatchNorm(x.device())(x, w, b, mean, var, out, training, eps);
    if (training && running_mean.defined()) {
        NoGradGuard ng;
        const double unbias = static_cast<double>(n * s) / static_cast<double>(n * s - 1);
        Tensor rm = running_mean, rv = running_var;
        rm.mul_(1.0 - momentum).add_(mean, momentum);
        rv.mul_(1.0 - momentum).add_(var, momentum * unbias);
    }
    Tensor y = out.view(shape);
    if (auto node = record("BatchNormBackward", {x_in, weight, bias}, {y})) {
        node->once_differentiable = true;  // the backward kernels record no graph
        node->save(x);
        node->save(w);  // saved, not captured: an in-place update of the weight before backward is an error
        node->backward = [=, has_bias = b.defined()](const FunctionNode& self, const Grads& grads) {
            NoGradGuard first_order_only;
            const Tensor xs = self.saved(0), ws = self.saved(1);
            const Tensor bs = has_bias ? Tensor::zeros({c}, xs.dtype(), xs.device()) : Tensor();  // only its presence matters
            const Tensor go = grads[0].detach().contiguous().reshape({n, c, s});
            Tensor gx = Tensor::empty(xs.shape(), xs.dtype(), xs.device());
            Tensor gw = ws.defined() ? Tensor::empty({c}, xs.dtype(), xs.device()) : Tensor();
            Tensor gb = has_bias ? Tensor::empty({c}, xs.dtype(), xs.device()) : Tensor();
            if (go.numel() == 0) {
                gx.zero_();
                if (gw.defined()) gw.zero_();
                if (gb.defined()) gb.zero_();
            } else {
                kBatchNormBackward(xs.device())(go, xs, ws, bs, mean, var, gx, gw, gb, training, eps);
            }
            return Grads{self.needs(0) ? gx.view(shape) : Tensor(), self.needs(1) ? gw : Tensor(),
                         self.needs(2) ? gb : Tensor()};
        };
    }
    return y;
}

Tensor layer_norm(const Tensor& x_in, const Shape& normalized_shape, const Tensor& weight, const Tensor& bias,
                  double eps) {
    NEURA_CHECK(x_in.defined(), "layer_norm: undefined input");
    NEURA_CHECK_TYPE(is_floating(x_in.dtype()), "layer_norm: expects a floating input, gets ", dtype_name(x_in.dtype()));
    NEURA_CHECK(!normalized_shape.empty(), "layer_norm: normalized_shape must not be empty");
    NEURA_CHECK(eps > 0, "layer_norm: eps must be positive, got ", eps);
    const Shape& shape = x_in.shape();
    const auto nd = normalized_shape.size();
    NEURA_CHECK_SHAPE(shape.size() >= nd && Shape(shape.end() - static_cast<std::ptrdiff_t>(nd), shape.end()) == normalized_shape,
                "layer_norm: normalized_shape ", shape_str(normalized_shape),
                " does not match the trailing dimensions of the input shape ", shape_str(shape));
    const std::int64_t k = shape_numel(normalized_shape), m = shape_numel(shape) / std::max<std::int64_t>(k, 1);
    NEURA_CHECK(k > 0, "layer_norm: normalized_shape ", shape_str(normalized_shape), " has no elements");
    const Tensor w = param_data(weight, normalized_shape, x_in, "layer_norm", "weight");
    const Tensor b = param_data(bias, normalized_shape, x_in, "layer_norm", "bias");
    const Tensor wk = w.defined() ? w.reshape({k}) : Tensor(), bk = b.defined() ? b.reshape({k}) : Tensor();

    const Tensor x = x_in.detach().contiguous().reshape({m, k});
    const Tensor mean = Tensor::empty({m}, x.dtype(), x.device()), var = Tensor::empty({m}, x.dtype(), x.device());
    Tensor out = Tensor::empty({m, k}, x.dtype(), x.device());
    if (m > 0) kLayerNorm(x.device())(x, wk, bk, mean, var, out, eps);
    Tensor y = out.view(shape);
    if (auto node = record("LayerNormBackward", {x_in, weight, bias}, {y})) {
        node->once_differentiable = true;  // the backward kernels record no graph
        node->save(x);
        node->save(wk);
        node->backward = [=, has_bias = bk.defined()](const FunctionNode& self, const Grads& grads) {
            NoGradGuard first_order_only;
            const Tensor xs = self.saved(0), ws = self.saved(1);
            const Tensor bs = has_bias ? Tensor::zeros({k}, xs.dtype(), xs.device()) : Tensor();  // only its presence matters
            const Tensor go = grads[0].detach().contiguous().reshape({m, k});
            Tensor gx = Tensor::empty({m, k}, xs.dtype(), xs.device());
            Tensor gw = ws.defined() ? Tensor::zeros({k}, xs.dtype(), xs.device()) : Tensor();
            Tensor gb = has_bias ? Tensor::zeros({k}, xs.dtype(), xs.device()) : Tensor();
            if (m > 0) kLayerNormBackward(xs.device())(go, xs, ws, bs, mean, var, gx, gw, gb, eps);
            return Grads{self.needs(0) ? gx.view(shape) : Tensor(),
                         self.needs(1) ? gw.view(normalized_shape) : Tensor(),
                         self.needs(2) ? gb.view(normalized_shape) : Tensor()};
        };
    }
    return y;
}

}  // namespace neura
