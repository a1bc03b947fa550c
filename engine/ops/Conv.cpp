// conv2d: shape rule, dispatch and the first-order backward (data and weights/bias gradients from the
// backward kernels, nothing recorded). The CPU kernels are in backend/cpu/Conv.cpp.
#include "neura/ops/NnOps.h"
#include "ops/Internal.h"

namespace neura {

using autograd::FunctionNode;
using autograd::Grads;
using autograd::record;

namespace {

ConvGeometry geometry_of(const Shape& x, const Shape& weight, Size2 s, Size2 p, Size2 d, std::int64_t groups,
                         const Shape& out) {
    return {x[0], x[1], x[2], x[3], weight[0], weight[2], weight[3], out[2], out[3],
            s[0], s[1], p[0], p[1], d[0], d[1], groups};
}

DispatchSlot<ConvForwardKernel> kConv2d{"conv2d"};
DispatchSlot<ConvBackwardDataKernel> kConv2dBackwardData{"conv2d_backward_data"};
DispatchSlot<ConvBackwardWeightsKernel> kConv2dBackwardWeights{"conv2d_backward_weights"};

}  // namespace

Tensor conv2d(const Tensor& x_in, const Tensor& weight, const Tensor& bias, Size2 stride, Size2 padding,
              Size2 dilation, std::int64_t groups) {
    NEURA_CHECK(x_in.defined() && weight.defined(), "conv2d: undefined input or weight");
    NEURA_CHECK_SHAPE(x_in.dim() == 3 || x_in.dim() == 4, "conv2d: expects a 4-D input [N, C, H, W] (or 3-D [C, H, W]), ",
                "gets shape ", shape_str(x_in.shape()));
    if (x_in.dim() == 3) {  // unbatched [C, H, W]
        NEURA_CHECK_SHAPE(weight.dim() != 4 || groups <= 0 || x_in.size(0) == weight.size(1) * groups, "Conv2d expects ",
                    weight.size(1) * groups, " input channels, gets ", x_in.size(0), " (unbatched input shape ",
                    shape_str(x_in.shape()), ", weight shape ", shape_str(weight.shape()), ", groups ", groups, ")");
        return conv2d(x_in.unsqueeze(0), weight, bias, stride, padding, dilation, groups).squeeze(0);
    }
    NEURA_CHECK_SHAPE(weight.dim() == 4, "conv2d: expects a 4-D weight [out, in / groups, kh, kw], gets shape ",
                shape_str(weight.shape()));
    NEURA_CHECK_TYPE(is_floating(x_in.dtype()) && x_in.dtype() == weight.dtype() &&
                    (!bias.defined() || bias.dtype() == x_in.dtype()),
                "conv2d: input, weight and bias must share one floating dtype, got ", dtype_name(x_in.dtype()), ", ",
                dtype_name(weight.dtype()), bias.defined() ? std::string(", ") + dtype_name(bias.dtype()) : "");
    NEURA_CHECK(x_in.device() == weight.device() && (!bias.defined() || bias.device() == x_in.device()),
                "conv2d: input, weight and bias are on different devices");
    NEURA_CHECK(stride[0] > 0 && stride[1] > 0, "conv2d: stride must be positive, got [", stride[0], ", ", stride[1],
                "]");
    NEURA_CHECK(dilation[0] > 0 && dilation[1] > 0, "conv2d: dilation must be positive, got [", dilation[0], ", ",
                dilation[1], "]");
    NEURA_CHECK(padding[0] >= 0 && padding[1] >= 0, "conv2d: padding must be non-negative, got [", padding[0], ", ",
                padding[1], "]");
    const Shape& xs = x_in.shape();
    const Shape& ws = weight.shape();
    NEURA_CHECK(groups > 0 && xs[1] % groups == 0 && ws[0] % groups == 0, "conv2d: groups = ", groups,
                " must divide both the input channels (", xs[1], ") and the output channels (", ws[0], ")");
    NEURA_CHECK(ws[1] * groups == xs[1], "Conv2d expects ", ws[1] * groups, " input channels, gets ", xs[1],
                " (input shape ", shape_str(xs), ", weight shape ", shape_str(ws), ", groups ", groups, ")");
    NEURA_CHECK_SHAPE(!bias.defined() || bias.shape() == Shape{ws[0]}, "conv2d: bias has shape ", shape_str(bias.shape()),
                ", expected [", ws[0], "]");
    const std::int64_t eff_kh = dilation[0] * (ws[2] - 1) + 1, eff_kw = dilation[1] * (ws[3] - 1) + 1;
    const std::int64_t ph = xs[2] + 2 * padding[0], pw = xs[3] + 2 * padding[1];
    NEURA_CHECK_SHAPE(eff_kh <= ph && eff_kw <= pw, "conv2d: kernel size ", eff_kh, "x", eff_kw,
                " (dilated) is larger than the padded input ", ph, "x", pw, " (input shape ", shape_str(xs), ")");
    const Shape out_shape{xs[0], ws[0], (ph - eff_kh) / stride[0] + 1, (pw - eff_kw) / stride[1] + 1};

    const Tensor x = x_in.contiguous(), w = weight.contiguous(), b = bias.defined() ? bias.contiguous() : Tensor();
    const ConvGeometry g = geometry_of(xs, ws, stride, padding, dilation, groups, out_shape);
    Tensor out = Tensor::empty(out_shape, x.dtype(), x.device());
    if (out.numel() > 0) kConv2d(x.device())(x, w, b, out, g);
    if (auto n = record("Conv2dBackward", {x_in, weight, bias}, {out})) {
        n->once_differentiable = true;  // the backward kernels record no graph
        n->save(n->needs(1) || n->needs(2) ? x : Tensor());
        n->save(n->needs(0) ? w : Tensor());
        n->backward = [g](const FunctionNode& s, const Grads& grads) {
            NoGradGuard first_order_only;
            const Tensor go = grads[0].detach().contiguous();
            Grads r(3);
            if (go.numel() == 0) {  // an empty batch: nothing flows back
                if (s.needs(0)) r[0] = Tensor::zeros({g.n, g.c, g.h, g.w}, go.dtype(), go.device());
                if (s.needs(1)) r[1] = Tensor::zeros({g.oc, g.c / g.groups, g.kh, g.kw}, go.dtype(), go.device());
                if (s.needs(2)) r[2] = Tensor::zeros({g.oc}, go.dtype(), go.device());
                return r;
            }
            if (s.needs(0)) {
                const Tensor ws_ = s.saved(1);
                r[0] = Tensor::empty({g.n, g.c, g.h, g.w}, go.dtype(), go.device());
                kConv2dBackwardData(go.device())(go, ws_.detach(), r[0], g);
            }
            if (s.needs(1) || s.needs(2)) {
                const Tensor xs_ = s.saved(0);
                Tensor gw = Tensor::empty({g.oc, g.c / g.groups, g.kh, g.kw}, go.dtype(), go.device());
                Tensor gb = s.needs(2) ? Tensor::empty({g.oc}, go.dtype(), go.device()) : Tensor();
                kConv2dBackwardWeights(go.device())(
                    {.grad_out = go, .x = xs_.detach(), .grad_weight = gw, .grad_bias = gb, .g = g});
                if (s.needs(1)) r[1] = gw;
                r[2] = gb;
            }
            return r;
        };
    }
    return out;
}

}  // namespace neura
