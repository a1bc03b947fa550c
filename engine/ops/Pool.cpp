// 2-D pooling: max_pool2d, avg_pool2d (count_include_pad), adaptive_avg_pool2d. Shape rules, kernels
// (float32: oneDNN pooling primitives, max with its workspace; float64: direct loops) and first-order
// backward formulas.
#include <cmath>
#include <limits>

#include "backend/cpu/Dnnl.h"
#include "neura/ops/NnOps.h"
#include "ops/Internal.h"

namespace neura {

using autograd::FunctionNode;
using autograd::Grads;
using autograd::record;

namespace {

// The max-pool workspace of the CPU kernels: window argmax indices (float64) or oneDNN's workspace.

// ---- reference loops ----
template <class T>
void max_pool_forward_ref(const Tensor& x, const Tensor& out, const Tensor& argmax, const PoolGeometry& g) {
    const T* px = x.data<T>();
    T* po = out.data<T>();
    std::int64_t* pi = argmax.data<std::int64_t>();
    for (std::int64_t p = 0; p < g.planes(); ++p)
        for (std::int64_t oy = 0; oy < g.oh; ++oy)
            for (std::int64_t ox = 0; ox < g.ow; ++ox) {
                T best = -std::numeric_limits<T>::infinity();
                std::int64_t where = -1;
                for (std::int64_t iy = oy * g.sh - g.ph; iy < oy * g.sh - g.ph + g.kh; ++iy)
                    for (std::int64_t ix = ox * g.sw - g.pw; ix < ox * g.sw - g.pw + g.kw; ++ix) {
                        if (iy < 0 || iy >= g.h || ix < 0 || ix >= g.w) continue;  // padding never wins
                        const T v = px[(p * g.h + iy) * g.w + ix];
                        if (where < 0 || v > best || std::isnan(v)) {  // first maximum, NaN wins (PyTorch)
                            best = v;
                            where = iy * g.w + ix;
                            if (std::isnan(v)) break;
                        }
                    }
                const std::int64_t o = (p * g.oh + oy) * g.ow + ox;
                po[o] = best;
                pi[o] = where;
            }
}

template <class T>
void max_pool_backward_ref(const Tensor& grad_out, const Tensor& argmax, const Tensor& grad_x, const PoolGeometry& g) {
    const T* pg = grad_out.data<T>();
    const std::int64_t* pi = argmax.data<std::int64_t>();
    T* px = grad_x.data<T>();
    std::fill(px, px + grad_x.numel(), T(0));
    const std::int64_t in_plane = g.h * g.w, out_plane = g.oh * g.ow;
    for (std::int64_t p = 0; p < g.planes(); ++p)
        for (std::int64_t o = 0; o < out_plane; ++o)
            if (pi[p * out_plane + o] >= 0) px[p * in_plane + pi[p * out_plane + o]] += pg[p * out_plane + o];
}

// Visits every (input, output) pair of avg pooling with count_include_pad: every window counts kh * kw.
template <class Body>
void for_each_avg_tap(const PoolGeometry& g, Body&& body) {
    for (std::int64_t p = 0; p < g.planes(); ++p)
        for (std::int64_t oy = 0; oy < g.oh; ++oy)
            for (std::int64_t ox = 0; ox < g.ow; ++ox) {
                const std::int64_t o = (p * g.oh + oy) * g.ow + ox;
                for (std::int64_t iy = std::max<std::int64_t>(oy * g.sh - g.ph, 0);
                     iy < std::min(oy * g.sh - g.ph + g.kh, g.h); ++iy)
                    for (std::int64_t ix = std::max<std::int64_t>(ox * g.sw - g.pw, 0);
                         ix < std::min(ox * g.sw - g.pw + g.kw, g.w); ++ix)
                        body((p * g.h + iy) * g.w + ix, o);
            }
}

template <class T>
void avg_pool_forward_ref(const Tensor& x, const Tensor& out, const PoolGeometry& g) {
    const T* px = x.data<T>();
    T* po = out.data<T>();
    std::fill(po, po + out.numel(), T(0));
    for_each_avg_tap(g, [&](std::int64_t i, std::int64_t o) { po[o] += px[i]; });
    const T scale = T(1) / static_cast<T>(g.kh * g.kw);
    for (std::int64_t o = 0; o < out.numel(); ++o) po[o] *= scale;
}

template <class T>
void avg_pool_backward_ref(const Tensor& grad_out, const Tensor& grad_x, const PoolGeometry& g) {
    const T* pg = grad_out.data<T>();
    T* px = grad_x.data<T>();
    std::fill(px, px + grad_x.numel(), T(0));
    const T scale = T(1) / static_cast<T>(g.kh * g.kw);
    for_each_avg_tap(g, [&](std::int64_t i, std::int64_t o) { px[i] += pg[o] * scale; });
}

// ---- float32: oneDNN ----
struct DnnlPool {
    dnnl::memory::desc src, dst;
    dnnl::memory::dims strides, kernel, pad_l, pad_r;
    dnnl::pooling_forward::primitive_desc forward;
};

DnnlPool dnnl_pool(const PoolGeometry& g, dnnl::algorithm alg, dnnl::prop_kind prop) {
    DnnlPool d;
    d.src = cpu::plain_desc({g.n, g.c, g.h, g.w});
    d.dst = cpu::plain_desc({g.n, g.c, g.oh, g.ow});
    d.strides = {g.sh, g.sw};
    d.kernel = {g.kh, g.kw};
    d.pad_l = {g.ph, g.pw};
    // PyTorch pads both sides alike and floors the output size, which this right padding reproduces;
    // windows never reach past it, so average pooling divides by kh * kw everywhere, as PyTorch.
    d.pad_r = {g.ph, g.pw};
    const dnnl::pooling_forward::desc fd(prop, alg, d.src, d.dst, d.strides, d.kernel, d.pad_l, d.pad_r);
    d.forward = dnnl::pooling_forward::primitive_desc(fd, cpu::dnnl_engine());
    return d;
}

Tensor max_pool_forward_cpu(const Tensor& x, const Tensor& out, const PoolGeometry& g, bool for_backward) {
    if (x.dtype() != DType::F32) {
        Tensor argmax = Tensor::empty(out.shape(), DType::I64, x.device());
        visit_dtype(x.dtype(), [&](auto tag) { max_pool_forward_ref<decltype(tag)>(x, out, argmax, g); });
        return argmax;
    }
    return cpu::dnnl_call("max_pool2d", [&] {
        const DnnlPool d = dnnl_pool(g, dnnl::algorithm::pooling_max,
                                     for_backward ? dnnl::prop_kind::forward_training : dnnl::prop_kind::forward_inference);
        std::unordered_map<int, dnnl::memory> args{{DNNL_ARG_SRC, cpu::as_memory(x, d.src)},
                                                   {DNNL_ARG_DST, cpu::as_memory(out, d.dst)}};
        Tensor ws;
        if (for_backward) {
            // oneDNN's workspace is opaque bytes; an int64 tensor holds them for the backward kernel.
            const auto wsd = d.forward.workspace_desc();
            ws = Tensor::empty({static_cast<std::int64_t>((wsd.get_size() + 7) / 8)}, DType::I64, x.device());
            args.emplace(DNNL_ARG_WORKSPACE, dnnl::memory(wsd, cpu::dnnl_engine(), ws.raw_data()));
        }
        cpu::execute(dnnl::pooling_forward(d.forward), args);
        return ws;
    });
}

void max_pool_backward_cpu(const Tensor& grad_out, const Tensor& workspace, const Tensor& grad_x, const PoolGeometry& g) {
    if (grad_out.dtype() != DType::F32) {
        visit_dtype(grad_out.dtype(),
                    [&](auto tag) { max_pool_backward_ref<decltype(tag)>(grad_out, workspace, grad_x, g); });
        return;
    }
    cpu::dnnl_call("max_pool2d backward", [&] {
        const DnnlPool d = dnnl_pool(g, dnnl::algorithm::pooling_max, dnnl::prop_kind::forward_training);
        const dnnl::pooling_backward::desc bd(dnnl::algorithm::pooling_max, d.src, d.dst, d.strides, d.kernel, d.pad_l,
                                              d.pad_r);
        const dnnl::pooling_backward::primitive_desc pd(bd, cpu::dnnl_engine(), d.forward);
        cpu::execute(dnnl::pooling_backward(pd),
                     {{DNNL_ARG_DIFF_DST, cpu::as_memory(grad_out, d.dst)},
                      {DNNL_ARG_DIFF_SRC, cpu::as_memory(grad_x, d.src)},
                      {DNNL_ARG_WORKSPACE, dnnl::memory(pd.workspace_desc(), cpu::dnnl_engine(), workspace.raw_data())}});
    });
}

void avg_pool_forward_cpu(const Tensor& x, const Tensor& out, const PoolGeometry& g) {
    if (x.dtype() != DType::F32) {
        visit_dtype(x.dtype(), [&](auto tag) { avg_pool_forward_ref<decltype(tag)>(x, out, g); });
        return;
    }
    cpu::dnnl_call("avg_pool2d", [&] {
        const DnnlPool d = dnnl_pool(g, dnnl::algorithm::pooling_avg_include_padding, dnnl::prop_kind::forward_inference);
        cpu::execute(dnnl::pooling_forward(d.forward),
                     {{DNNL_ARG_SRC, cpu::as_memory(x, d.src)}, {DNNL_ARG_DST, cpu::as_memory(out, d.dst)}});
    });
}

void avg_pool_backward_cpu(const Tensor& grad_out, const Tensor& grad_x, const PoolGeometry& g) {
    if (grad_out.dtype() != DType::F32) {
        visit_dtype(grad_out.dtype(), [&](auto tag) { avg_pool_backward_ref<decltype(tag)>(grad_out, grad_x, g); });
        return;
    }
    cpu::dnnl_call("avg_pool2d backward", [&] {
        const auto alg = dnnl::algorithm::pooling_avg_include_padding;
        const DnnlPool d = dnnl_pool(g, alg, dnnl::prop_kind::forward_training);
        const dnnl::pooling_backward::desc bd(alg, d.src, d.dst, d.strides, d.kernel, d.pad_l, d.pad_r);
        const dnnl::pooling_backward::primitive_desc pd(bd, cpu::dnnl_engine(), d.forward);
        cpu::execute(dnnl::pooling_backward(pd), {{DNNL_ARG_DIFF_DST, cpu::as_memory(grad_out, d.dst)},
                                                  {DNNL_ARG_DIFF_SRC, cpu::as_memory(grad_x, d.src)}});
    });
}

// ---- adaptive average pooling with non-uniform windows: loops for every dtype ----
std::int64_t window_start(std::int64_t i, std::int64_t in, std::int64_t out) { return (i * in) / out; }
std::int64_t window_end(std::int64_t i, std::int64_t in, std::int64_t out) { return ((i + 1) * in + out - 1) / out; }

template <class Body>
void for_each_adaptive_tap(const PoolGeometry& g, Body&& body) {
    for (std::int64_t p = 0; p < g.planes(); ++p)
        for (std::int64_t oy = 0; oy < g.oh; ++oy) {
            const std::int64_t y0 = window_start(oy, g.h, g.oh), y1 = window_end(oy, g.h, g.oh);
            for (std::int64_t ox = 0; ox < g.ow; ++ox) {
                const std::int64_t x0 = window_start(ox, g.w, g.ow), x1 = window_end(ox, g.w, g.ow);
                const double count = static_cast<double>((y1 - y0) * (x1 - x0));
                for (std::int64_t iy = y0; iy < y1; ++iy)
                    for (std::int64_t ix = x0; ix < x1; ++ix)
                        body((p * g.h + iy) * g.w + ix, (p * g.oh + oy) * g.ow + ox, count);
            }
        }
}

void adaptive_avg_pool_forward_cpu(const Tensor& x, const Tensor& out, const PoolGeometry& g) {
    visit_dtype(x.dtype(), [&](auto tag) {
        using T = decltype(tag);
        const T* px = x.data<T>();
        T* po = out.data<T>();
        std::fill(po, po + out.numel(), T(0));
        for_each_adaptive_tap(g, [&](std::int64_t i, std::int64_t o, double n) { po[o] += px[i] / static_cast<T>(n); });
    });
}

void adaptive_avg_pool_backward_cpu(const Tensor& grad_out, const Tensor& grad_x, const PoolGeometry& g) {
    visit_dtype(grad_out.dtype(), [&](auto tag) {
        using T = decltype(tag);
        const T* pg = grad_out.data<T>();
        T* px = grad_x.data<T>();
        std::fill(px, px + grad_x.numel(), T(0));
        for_each_adaptive_tap(g, [&](std::int64_t i, std::int64_t o, double n) { px[i] += pg[o] / static_cast<T>(n); });
    });
}

Kernel<MaxPoolForwardKernel> kMaxPool2d{"max_pool2d", &max_pool_forward_cpu};
Kernel<MaxPoolBackwardKernel> kMaxPool2dBackward{"max_pool2d_backward", &max_pool_backward_cpu};
Kernel<AvgPoolForwardKernel> kAvgPool2d{"avg_pool2d", &avg_pool_forward_cpu};
Kernel<AvgPoolBackwardKernel> kAvgPool2dBackward{"avg_pool2d_backward", &avg_pool_backward_cpu};
Kernel<AvgPoolForwardKernel> kAdaptiveAvgPool2d{"adaptive_avg_pool2d", &adaptive_avg_pool_forward_cpu};
Kernel<AvgPoolBackwardKernel> kAdaptiveAvgPool2dBackward{"adaptive_avg_pool2d_backward",
                                                         &adaptive_avg_pool_backward_cpu};

void check_input(const Tensor& x, const char* op) {
    NEURA_CHECK(x.defined(), op, ": undefined input");
    NEURA_CHECK(x.dim() == 3 || x.dim() == 4, op, ": expects a 4-D input [N, C, H, W] (or 3-D [C, H, W]), gets shape ",
                shape_str(x.shape()));
    NEURA_CHECK(is_floating(x.dtype()), op, ": expects a floating input, gets ", dtype_name(x.dtype()));
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
    NEURA_CHECK(kernel[0] <= ph && kernel[1] <= pw, op, ": kernel size ", kernel[0], "x", kernel[1],
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
    if (out.numel() > 0) kAvgPool2d(x.device())(x, out, g);
    if (auto n = record("AvgPool2dBackward", {x_in}, {out})) {
        n->once_differentiable = true;  // the backward kernels record no graph
        n->backward = [g](const FunctionNode&, const Grads& grads) {
            NoGradGuard first_order_only;
            Tensor gx = empty_grad(g, grads[0]);
            if (grads[0].numel() == 0) return Grads{gx.zero_()};
            kAvgPool2dBackward(gx.device())(grads[0].detach().contiguous(), gx, g);
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
    NEURA_CHECK(s[2] > 0 && s[3] > 0, "adaptive_avg_pool2d: empty spatial input, shape ", shape_str(s));
    // Uniform windows are plain average pooling (oneDNN for float32).
    if (s[2] % out_h == 0 && s[3] % out_w == 0) return avg_pool2d(x_in, {s[2] / out_h, s[3] / out_w});
    const PoolGeometry g{s[0], s[1], s[2], s[3], out_h, out_w, 0, 0, 0, 0, 0, 0};
    const Tensor x = x_in.contiguous();
    Tensor out = Tensor::empty({g.n, g.c, g.oh, g.ow}, x.dtype(), x.device());
    kAdaptiveAvgPool2d(x.device())(x, out, g);
    if (auto n = record("AdaptiveAvgPool2dBackward", {x_in}, {out})) {
        n->once_differentiable = true;  // the backward kernels record no graph
        n->backward = [g](const FunctionNode&, const Grads& grads) {
            NoGradGuard first_order_only;
            Tensor gx = empty_grad(g, grads[0]);
            kAdaptiveAvgPool2dBackward(gx.device())(grads[0].detach().contiguous(), gx, g);
            return Grads{gx};
        };
    }
    return out;
}

}  // namespace neura
