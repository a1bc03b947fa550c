// The CPU's conv2d kernels: float32 through oneDNN's convolution primitives, float64 (any other dtype)
// through direct loops.
#include "backend/cpu/Dnnl.h"
#include "ops/KernelSignatures.h"

namespace neura::cpu {
namespace {

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
        cpu::LayoutBlocks blocks;
        const dnnl::memory dst_plain = cpu::as_memory(out, d.dst);
        const dnnl::memory dst = blocks.output_layout(dst_plain, d.forward.dst_desc());
        std::unordered_map<int, dnnl::memory> args{
            {DNNL_ARG_SRC, blocks.to_layout(cpu::as_memory(x, d.src), d.forward.src_desc())},
            {DNNL_ARG_WEIGHTS, blocks.to_layout(cpu::as_memory(weight, d.weights), d.forward.weights_desc())},
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
        cpu::LayoutBlocks blocks;
        const dnnl::convolution_backward_data::desc bd(dnnl::algorithm::convolution_direct, d.src_any, d.weights_any,
                                                       d.dst_any, d.strides, d.dilates, d.pad_l, d.pad_r);
        const dnnl::convolution_backward_data::primitive_desc pd(bd, cpu::dnnl_engine(), d.forward);
        const dnnl::memory dx_plain = cpu::as_memory(grad_x, d.src);
        const dnnl::memory dx = blocks.output_layout(dx_plain, pd.diff_src_desc());
        cpu::execute(dnnl::convolution_backward_data(pd),
                     {{DNNL_ARG_DIFF_DST, blocks.to_layout(cpu::as_memory(grad_out, d.dst), pd.diff_dst_desc())},
                      {DNNL_ARG_WEIGHTS, blocks.to_layout(cpu::as_memory(weight, d.weights), pd.weights_desc())},
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
        cpu::LayoutBlocks blocks;
        const dnnl::convolution_backward_weights::desc bd(dnnl::algorithm::convolution_direct, d.src_any,
                                                          d.weights_any, d.bias, d.dst_any, d.strides, d.dilates,
                                                          d.pad_l, d.pad_r);
        const dnnl::convolution_backward_weights::primitive_desc pd(bd, cpu::dnnl_engine(), d.forward);
        const dnnl::memory dw_plain = cpu::as_memory(grad_weight, d.weights);
        const dnnl::memory dw = blocks.output_layout(dw_plain, pd.diff_weights_desc());
        std::unordered_map<int, dnnl::memory> args{
            {DNNL_ARG_DIFF_DST, blocks.to_layout(cpu::as_memory(grad_out, d.dst), pd.diff_dst_desc())},
            {DNNL_ARG_SRC, blocks.to_layout(cpu::as_memory(x, d.src), pd.src_desc())},
            {DNNL_ARG_DIFF_WEIGHTS, dw}};
        if (grad_bias.defined()) args.emplace(DNNL_ARG_DIFF_BIAS, cpu::as_memory(grad_bias, d.bias));
        cpu::execute(dnnl::convolution_backward_weights(pd), args);
        cpu::from_layout(dw, dw_plain);
    });
}

}  // namespace

void conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, const Tensor& out, const ConvGeometry& g) {
    conv_forward_cpu(x, weight, bias, out, g);
}

void conv2d_backward_data(const Tensor& grad_out, const Tensor& weight, const Tensor& grad_x, const ConvGeometry& g) {
    conv_backward_data_cpu(grad_out, weight, grad_x, g);
}

void conv2d_backward_weights(const ConvBackwardWeightsArgs& a) {
    conv_backward_weights_cpu(a.grad_out, a.x, a.grad_weight, a.grad_bias, a.g);
}

}  // namespace neura::cpu
