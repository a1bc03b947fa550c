// conv2d: shape rule, kernels (float32: oneDNN convolution primitives; float64: direct loops) and the
// first-order backward (data and weights/bias gradients from the backward kernels, nothing recorded).
#include "backend/cpu/Dnnl.h"
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

// ---- float64 (and any dtype): direct loops ----
template <class T, class Body>
void for_each_tap(const ConvGeometry& g, Body&& body) {
    // body(x offset, weight offset, out offset) for every (output element, kernel tap) that lands inside x.
    const std::int64_t cg = g.c / g.groups, ocg = g.oc / g.groups;
    for (std::int64_t n = 0; n < g.n; ++n)
        for (std::int64_t oc = 0; oc < g.oc; ++oc) {
            const std::int64_t c0 = (oc / ocg) * cg;
            for (std::int64_t oy = 0; oy < g.oh; ++oy)
                for (std::int64_t ox = 0; ox < g.ow; ++ox) {
                    const std::int64_t o = ((n * g.oc + oc) * g.oh + oy) * g.ow + ox;
                    for (std::int64_t ic = 0; ic < cg; ++ic)
                        for (std::int64_t ky = 0; ky < g.kh; ++ky) {
                            const std::int64_t iy = oy * g.sh - g.ph + ky * g.dh;
                            if (iy < 0 || iy >= g.h) continue;
                            for (std::int64_t kx = 0; kx < g.kw; ++kx) {
                                const std::int64_t ix = ox * g.sw - g.pw + kx * g.dw;
                                if (ix < 0 || ix >= g.w) continue;
                                body(((n * g.c + c0 + ic) * g.h + iy) * g.w + ix,
                                     ((oc * cg + ic) * g.kh + ky) * g.kw + kx, o);
                            }
                        }
                }
        }
}

template <class T>
void conv_forward_ref(const Tensor& x, const Tensor& weight, const Tensor& bias, const Tensor& out,
                      const ConvGeometry& g) {
    const T* px = x.data<T>();
    const T* pw = weight.data<T>();
    T* po = out.data<T>();
    const std::int64_t plane = g.oh * g.ow;
    for (std::int64_t i = 0; i < out.numel(); ++i) po[i] = bias.defined() ? bias.data<T>()[(i / plane) % g.oc] : T(0);
    for_each_tap<T>(g, [&](std::int64_t xi, std::int64_t wi, std::int64_t oi) { po[oi] += px[xi] * pw[wi]; });
}

template <class T>
void conv_backward_data_ref(const Tensor& grad_out, const Tensor& weight, const Tensor& grad_x, const ConvGeometry& g) {
    const T* pg = grad_out.data<T>();
    const T* pw = weight.data<T>();
    T* px = grad_x.data<T>();
    std::fill(px, px + grad_x.numel(), T(0));
    for_each_tap<T>(g, [&](std::int64_t xi, std::int64_t wi, std::int64_t oi) { px[xi] += pg[oi] * pw[wi]; });
}

template <class T>
void conv_backward_weights_ref(const Tensor& grad_out, const Tensor& x, const Tensor& grad_weight,
                               const Tensor& grad_bias, const ConvGeometry& g) {
    const T* pg = grad_out.data<T>();
    const T* px = x.data<T>();
    T* pw = grad_weight.data<T>();
    std::fill(pw, pw + grad_weight.numel(), T(0));
    for_each_tap<T>(g, [&](std::int64_t xi, std::int64_t wi, std::int64_t oi) { pw[wi] += pg[oi] * px[xi]; });
    if (grad_bias.defined()) {
        T* pb = grad_bias.data<T>();
        std::fill(pb, pb + g.oc, T(0));
        const std::int64_t plane = g.oh * g.ow;
        for (std::int64_t i = 0; i < grad_out.numel(); ++i) pb[(i / plane) % g.oc] += pg[i];
    }
}

// ---- float32: oneDNN ----
// The primitives choose their layouts (format "any"): oneDNN's direct convolutions run on blocked
// layouts and are several times faster than its im2col + gemm path on plain NCHW. Tensors stay plain;
// they are reordered in and out around each primitive.
struct DnnlConv {
    dnnl::memory::desc src, weights, bias, dst;  // plain: the tensors as they are
    dnnl::memory::desc src_any, weights_any, dst_any;
    dnnl::memory::dims strides, dilates, pad_l, pad_r;
    dnnl::convolution_forward::primitive_desc forward;
};

DnnlConv dnnl_conv(const ConvGeometry& g, bool with_bias) {
    DnnlConv d;
    const Shape src{g.n, g.c, g.h, g.w}, dst{g.n, g.oc, g.oh, g.ow};
    const Shape weights = g.groups == 1 ? Shape{g.oc, g.c, g.kh, g.kw}
                                        : Shape{g.groups, g.oc / g.groups, g.c / g.groups, g.kh, g.kw};
    d.src = cpu::plain_desc(src);
    d.weights = cpu::plain_desc(weights);
    d.bias = with_bias ? cpu::plain_desc({g.oc}) : dnnl::memory::desc();
    d.dst = cpu::plain_desc(dst);
    d.src_any = cpu::any_desc(src);
    d.weights_any = cpu::any_desc(weights);
    d.dst_any = cpu::any_desc(dst);
    d.strides = {g.sh, g.sw};
    d.dilates = {g.dh - 1, g.dw - 1};  // oneDNN counts the gaps between taps
    // PyTorch pads both sides alike; the output size rule floors, so the same right padding fits.
    d.pad_l = {g.ph, g.pw};
    d.pad_r = {g.ph, g.pw};
    const dnnl::convolution_forward::desc fd(dnnl::prop_kind::forward_training, dnnl::algorithm::convolution_direct,
                                             d.src_any, d.weights_any, d.bias, d.dst_any, d.strides, d.dilates,
                                             d.pad_l, d.pad_r);
    d.forward = dnnl::convolution_forward::primitive_desc(fd, cpu::dnnl_engine());
    return d;
}

void conv_forward_cpu(const Tensor& x, const Tensor& weight, const Tensor& bias, const Tensor& out,
                      const ConvGeometry& g) {
    if (x.dtype() != DType::F32) {
        visit_dtype(x.dtype(), [&](auto tag) { conv_forward_ref<decltype(tag)>(x, weight, bias, out, g); });
        return;
    }
    cpu::dnnl_call("conv2d", [&] {
        const DnnlConv d = dnnl_conv(g, bias.defined());
        const dnnl::memory dst_plain = cpu::as_memory(out, d.dst);
        const dnnl::memory dst = cpu::output_layout(dst_plain, d.forward.dst_desc());
        std::unordered_map<int, dnnl::memory> args{
            {DNNL_ARG_SRC, cpu::to_layout(cpu::as_memory(x, d.src), d.forward.src_desc())},
            {DNNL_ARG_WEIGHTS, cpu::to_layout(cpu::as_memory(weight, d.weights), d.forward.weights_desc())},
            {DNNL_ARG_DST, dst}};
        if (bias.defined()) args.emplace(DNNL_ARG_BIAS, cpu::as_memory(bias, d.bias));
        cpu::execute(dnnl::convolution_forward(d.forward), args);
        cpu::from_layout(dst, dst_plain);
    });
}

void conv_backward_data_cpu(const Tensor& grad_out, const Tensor& weight, const Tensor& grad_x, const ConvGeometry& g) {
    if (grad_out.dtype() != DType::F32) {
        visit_dtype(grad_out.dtype(), [&](auto tag) { conv_backward_data_ref<decltype(tag)>(grad_out, weight, grad_x, g); });
        return;
    }
    cpu::dnnl_call("conv2d backward", [&] {
        const DnnlConv d = dnnl_conv(g, false);
        const dnnl::convolution_backward_data::desc bd(dnnl::algorithm::convolution_direct, d.src_any, d.weights_any,
                                                       d.dst_any, d.strides, d.dilates, d.pad_l, d.pad_r);
        const dnnl::convolution_backward_data::primitive_desc pd(bd, cpu::dnnl_engine(), d.forward);
        const dnnl::memory dx_plain = cpu::as_memory(grad_x, d.src);
        const dnnl::memory dx = cpu::output_layout(dx_plain, pd.diff_src_desc());
        cpu::execute(dnnl::convolution_backward_data(pd),
                     {{DNNL_ARG_DIFF_DST, cpu::to_layout(cpu::as_memory(grad_out, d.dst), pd.diff_dst_desc())},
                      {DNNL_ARG_WEIGHTS, cpu::to_layout(cpu::as_memory(weight, d.weights), pd.weights_desc())},
                      {DNNL_ARG_DIFF_SRC, dx}});
        cpu::from_layout(dx, dx_plain);
    });
}

void conv_backward_weights_cpu(const Tensor& grad_out, const Tensor& x, const Tensor& grad_weight,
                               const Tensor& grad_bias, const ConvGeometry& g) {
    if (grad_out.dtype() != DType::F32) {
        visit_dtype(grad_out.dtype(), [&](auto tag) {
            conv_backward_weights_ref<decltype(tag)>(grad_out, x, grad_weight, grad_bias, g);
        });
        return;
    }
    cpu::dnnl_call("conv2d backward", [&] {
        const DnnlConv d = dnnl_conv(g, grad_bias.defined());
        const dnnl::convolution_backward_weights::desc bd(dnnl::algorithm::convolution_direct, d.src_any,
                                                          d.weights_any, d.bias, d.dst_any, d.strides, d.dilates,
                                                          d.pad_l, d.pad_r);
        const dnnl::convolution_backward_weights::primitive_desc pd(bd, cpu::dnnl_engine(), d.forward);
        const dnnl::memory dw_plain = cpu::as_memory(grad_weight, d.weights);
        const dnnl::memory dw = cpu::output_layout(dw_plain, pd.diff_weights_desc());
        std::unordered_map<int, dnnl::memory> args{
            {DNNL_ARG_DIFF_DST, cpu::to_layout(cpu::as_memory(grad_out, d.dst), pd.diff_dst_desc())},
            {DNNL_ARG_SRC, cpu::to_layout(cpu::as_memory(x, d.src), pd.src_desc())},
            {DNNL_ARG_DIFF_WEIGHTS, dw}};
        if (grad_bias.defined()) args.emplace(DNNL_ARG_DIFF_BIAS, cpu::as_memory(grad_bias, d.bias));
        cpu::execute(dnnl::convolution_backward_weights(pd), args);
        cpu::from_layout(dw, dw_plain);
    });
}

Kernel<ConvForwardKernel> kConv2d{"conv2d", &conv_forward_cpu};
Kernel<ConvBackwardDataKernel> kConv2dBackwardData{"conv2d_backward_data", &conv_backward_data_cpu};
Kernel<ConvBackwardWeightsKernel> kConv2dBackwardWeights{"conv2d_backward_weights", &conv_backward_weights_cpu};

}  // namespace

Tensor conv2d(const Tensor& x_in, const Tensor& weight, const Tensor& bias, Size2 stride, Size2 padding,
              Size2 dilation, std::int64_t groups) {
    NEURA_CHECK(x_in.defined() && weight.defined(), "conv2d: undefined input or weight");
    NEURA_CHECK(x_in.dim() == 3 || x_in.dim() == 4, "conv2d: expects a 4-D input [N, C, H, W] (or 3-D [C, H, W]), ",
                "gets shape ", shape_str(x_in.shape()));
    if (x_in.dim() == 3) {  // unbatched [C, H, W]
        NEURA_CHECK(weight.dim() != 4 || groups <= 0 || x_in.size(0) == weight.size(1) * groups, "Conv2d expects ",
                    weight.size(1) * groups, " input channels, gets ", x_in.size(0), " (unbatched input shape ",
                    shape_str(x_in.shape()), ", weight shape ", shape_str(weight.shape()), ", groups ", groups, ")");
        return conv2d(x_in.unsqueeze(0), weight, bias, stride, padding, dilation, groups).squeeze(0);
    }
    NEURA_CHECK(weight.dim() == 4, "conv2d: expects a 4-D weight [out, in / groups, kh, kw], gets shape ",
                shape_str(weight.shape()));
    NEURA_CHECK(is_floating(x_in.dtype()) && x_in.dtype() == weight.dtype() &&
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
    NEURA_CHECK(!bias.defined() || bias.shape() == Shape{ws[0]}, "conv2d: bias has shape ", shape_str(bias.shape()),
                ", expected [", ws[0], "]");
    const std::int64_t eff_kh = dilation[0] * (ws[2] - 1) + 1, eff_kw = dilation[1] * (ws[3] - 1) + 1;
    const std::int64_t ph = xs[2] + 2 * padding[0], pw = xs[3] + 2 * padding[1];
    NEURA_CHECK(eff_kh <= ph && eff_kw <= pw, "conv2d: kernel size ", eff_kh, "x", eff_kw,
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
                kConv2dBackwardWeights(go.device())(go, xs_.detach(), gw, gb, g);
                if (s.needs(1)) r[1] = gw;
                r[2] = gb;
            }
            return r;
        };
    }
    return out;
}

}  // namespace neura
