// 2-D pooling: max_pool2d, avg_pool2d (count_include_pad), adaptive_avg_pool2d. Shape rules, dispatch
// and first-order backward formulas. The CPU kernels are in backend/cpu/Pool.cpp.
#include "neura/ops/NnOps.h"
#include "ops/Internal.h"

namespace neura {

using autograd::FunctionNode;
using autograd::Grads;
using autograd::record;

namespace {

DispatchSlot<MaxPoolForwardKernel> kMaxPool2d{"max_pool2d"};
DispatchSlot<MaxPoolBackwardKernel> kMaxPool2dBackward{"max_pool2d_backward"};
DispatchSlot<AvgPoolForwardKernel> kAvgPool2d{"avg_pool2d"};
DispatchSlot<AvgPoolBackwardKernel> kAvgPool2dBackward{"avg_pool2d_backward"};
DispatchSlot<AdaptiveAvgPoolForwardKernel> kAdaptiveAvgPool2d{"adaptive_avg_pool2d"};
DispatchSlot<AdaptiveAvgPoolBackwardKernel> kAdaptiveAvgPool2dBackward{"adaptive_avg_pool2d_backward"};

void check_input(const Tensor& x, const char* op) {
    NEURA_CHECK(x.defined(), op, ": undefined input");
    NEURA_CHECK_SHAPE(x.dim() == 3 || x.dim() == 4, op, ": expects a 4-D input [N, C, H, W] (or 3-D [C, H, W]), gets shape ",
                shape_str(x.shape()));
    NEURA_CHECK_TYPE(is_floating(x.dtype()), op, ": expects a floating input, gets ", dtype_name(x.dtype()));
}

// Shape rule of max/avg pooling (ceil_mode = false), with PyTorch's limits and clear errors.
PoolGeometry pool_geometry(const Tensor& x, Size2 kernel, Size2 stride, Size2 padding, const char* op) {
    const Shape& s = x.shape();
    if (stride[0] == 0 && stride[1] == 0) stride = kernel;
    NEURA_CHECK(kernel[0] > 0 && kernel[1] > 0, op, ": kernel size must be positive, got [", kernel[0], ", ",
                kernel[1], "]");
    NEURA_CHECK(stride[0] > 0 && stride[1] > 0, op, ": stride must be positive, got [", stride[0], ", ", stride[1], "]");
    NEURA_CHECK(padding[0] >= 0 && padding[1] >= 0 && 2 * padding[0] <= kernel[0] && 2 * padding[1] <= kernel[1], op,
                ": padding [", padding[0], ", ", padding[1], "] must be between 0 and half the kernel size [",
                kernel[0], ", ", kernel[1], "]");
    const std::int64_t ph = s[2] + 2 * padding[0], pw = s[3] + 2 * padding[1];
    NEURA_CHECK_SHAPE(kernel[0] <= ph && kernel[1] <= pw, op, ": kernel size ", kernel[0], "x", kernel[1],
                " is larger than the padded input ", ph, "x", pw, " (input shape ", shape_str(s), ")");
    return {s[0], s[1], s[2], s[3], (ph - kernel[0]) / stride[0] + 1, (pw - kernel[1]) / stride[1] + 1,
            kernel[0], kernel[1], stride[0], stride[1], padding[0], padding[1]};
}

Tensor empty_grad(const PoolGeometry& g, const Tensor& like) {
    return Tensor::empty({g.n, g.c, g.h, g.w}, like.dtype(), like.device());
}

}  // namespace

Tensor max_pool2d(const Tensor& x_in, Size2 kernel, Size2 stride, Size2 padding) {
    check_input(x_in, "max_pool2d");
    if (x_in.dim() == 3) return max_pool2d(x_in.unsqueeze(0), kernel, stride, padding).squeeze(0);
    const PoolGeometry g = pool_geometry(x_in, kernel, stride, padding, "max_pool2d");
    const Tensor x = x_in.contiguous();
    Tensor out = Tensor::empty({g.n, g.c, g.oh, g.ow}, x.dtype(), x.device());
    const bool grad = GradMode::is_enabled() && x_in.requires_grad();
    Tensor workspace;
    if (out.numel() > 0) workspace = kMaxPool2d(x.device())(x, out, g, grad);
    if (auto n = record("MaxPool2dBackward", {x_in}, {out})) {
        n->once_differentiable = true;  // the backward kernels record no graph
        n->backward = [g, workspace](const FunctionNode&, const Grads& grads) {
            NoGradGuard first_order_only;
            Tensor gx = empty_grad(g, grads[0]);
            if (grads[0].numel() == 0) return Grads{gx.zero_()};
            kMaxPool2dBackward(gx.device())(grads[0].detach().contiguous(), workspace, gx, g);
            return Grads{gx};
        };
    }
    return out;
}

Tensor avg_pool2d(const Tensor& x_in, Size2 kernel, Size2 stride, Size2 padding) {
    check_input(x_in, "avg_pool2d");
    if (x_in.dim() == 3) return avg_pool2d(x_in.unsqueeze(0), kernel, stride, padding).squeeze(0);
    const PoolGeometry g = pool_geometry(x_in, kernel, stride, padding, "avg_pool2d");
    const Tensor x = x_in.contiguous();
    Tensor out = Tensor::empty({g.n, g.c, g.oh, g.ow}, x.dtype(), x.device());
    if (out.numel() > 0) kAvgPool2d(x.device())({.x = x, .out = out, .g = g});
    if (auto n = record("AvgPool2dBackward", {x_in}, {out})) {
        n->once_differentiable = true;  // the backward kernels record no graph
        n->backward = [g](const FunctionNode&, const Grads& grads) {
            NoGradGuard first_order_only;
            Tensor gx = empty_grad(g, grads[0]);
            if (grads[0].numel() == 0) return Grads{gx.zero_()};
            kAvgPool2dBackward(gx.device())({.grad_out = grads[0].detach().contiguous(), .grad_x = gx, .g = g});
            return Grads{gx};
        };
    }
    return out;
}

Tensor adaptive_avg_pool2d(const Tensor& x_in, std::int64_t out_h, std::int64_t out_w) {
    check_input(x_in, "adaptive_avg_pool2d");
    if (x_in.dim() == 3) return adaptive_avg_pool2d(x_in.unsqueeze(0), out_h, out_w).squeeze(0);
    NEURA_CHECK(out_h > 0 && out_w > 0, "adaptive_avg_pool2d: output size must be positive, got [", out_h, ", ", out_w,
                "]");
    const Shape& s = x_in.shape();
    NEURA_CHECK_SHAPE(s[2] > 0 && s[3] > 0, "adaptive_avg_pool2d: empty spatial input, shape ", shape_str(s));
    // Uniform windows are plain average pooling (oneDNN for float32).
    if (s[2] % out_h == 0 && s[3] % out_w == 0) return avg_pool2d(x_in, {s[2] / out_h, s[3] / out_w});
    const PoolGeometry g{s[0], s[1], s[2], s[3], out_h, out_w, 0, 0, 0, 0, 0, 0};
    const Tensor x = x_in.contiguous();
    Tensor out = Tensor::empty({g.n, g.c, g.oh, g.ow}, x.dtype(), x.device());
    kAdaptiveAvgPool2d(x.device())({.x = x, .out = out, .g = g});
    if (auto n = record("AdaptiveAvgPool2dBackward", {x_in}, {out})) {
        n->once_differentiable = true;  // the backward kernels record no graph
        n->backward = [g](const FunctionNode&, const Grads& grads) {
            NoGradGuard first_order_only;
            Tensor gx = empty_grad(g, grads[0]);
            kAdaptiveAvgPool2dBackward(gx.device())(
                {.grad_out = grads[0].detach().contiguous(), .grad_x = gx, .g = g});
            return Grads{gx};
        };
    }
    return out;
}

}  // namespace neura
