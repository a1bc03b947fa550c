// batch_norm and layer_norm: shape rules, kernels (float32: oneDNN batch/layer normalization primitives;
// float64: loops) and first-order backward formulas. Both kernels see the input as a contiguous 3-D
// [N, C, S] (batch norm: statistics per C over N and S) or 2-D [M, K] (layer norm: per row of K).
#include <cmath>

#include "backend/cpu/Dnnl.h"
#include "neura/ops/NnOps.h"
#include "ops/Internal.h"

namespace neura {

using autograd::FunctionNode;
using autograd::Grads;
using autograd::record;

namespace {

// ================================================================================== batch norm
template <class T>
void batch_norm_forward_ref(const Tensor& x, const Tensor& weight, const Tensor& bias, const Tensor& mean,
                            const Tensor& var, const Tensor& out, bool training, double eps) {
    const std::int64_t n = x.size(0), c = x.size(1), s = x.size(2), m = n * s;
    const T* px = x.data<T>();
    T* po = out.data<T>();
    T* pm = mean.data<T>();
    T* pv = var.data<T>();
    for (std::int64_t ch = 0; ch < c; ++ch) {
        auto at = [&](std::int64_t i, std::int64_t j) { return (i * c + ch) * s + j; };
        if (training) {
            T sum = 0;
            for (std::int64_t i = 0; i < n; ++i)
                for (std::int64_t j = 0; j < s; ++j) sum += px[at(i, j)];
            const T mu = sum / static_cast<T>(m);
            T sq = 0;
            for (std::int64_t i = 0; i < n; ++i)
                for (std::int64_t j = 0; j < s; ++j) sq += (px[at(i, j)] - mu) * (px[at(i, j)] - mu);
            pm[ch] = mu;
            pv[ch] = sq / static_cast<T>(m);
        }
        const T invstd = T(1) / std::sqrt(pv[ch] + static_cast<T>(eps));
        const T w = weight.defined() ? weight.data<T>()[ch] : T(1);
        const T b = bias.defined() ? bias.data<T>()[ch] : T(0);
        for (std::int64_t i = 0; i < n; ++i)
            for (std::int64_t j = 0; j < s; ++j) po[at(i, j)] = (px[at(i, j)] - pm[ch]) * invstd * w + b;
    }
}

template <class T>
void batch_norm_backward_ref(const Tensor& grad_out, const Tensor& x, const Tensor& weight, const Tensor&,
                             const Tensor& mean, const Tensor& var, const Tensor& grad_x, const Tensor& grad_weight,
                             const Tensor& grad_bias, bool training, double eps) {
    const std::int64_t n = x.size(0), c = x.size(1), s = x.size(2), m = n * s;
    const T* pg = grad_out.data<T>();
    const T* px = x.data<T>();
    T* pgx = grad_x.data<T>();
    for (std::int64_t ch = 0; ch < c; ++ch) {
        auto at = [&](std::int64_t i, std::int64_t j) { return (i * c + ch) * s + j; };
        const T mu = mean.data<T>()[ch];
        const T invstd = T(1) / std::sqrt(var.data<T>()[ch] + static_cast<T>(eps));
        const T w = weight.defined() ? weight.data<T>()[ch] : T(1);
        T sum_g = 0, sum_gx = 0;  // sum of g, sum of g * xhat
        for (std::int64_t i = 0; i < n; ++i)
            for (std::int64_t j = 0; j < s; ++j) {
                sum_g += pg[at(i, j)];
                sum_gx += pg[at(i, j)] * (px[at(i, j)] - mu) * invstd;
            }
        for (std::int64_t i = 0; i < n; ++i)
            for (std::int64_t j = 0; j < s; ++j) {
                const T g = pg[at(i, j)];
                if (training) {
                    const T xhat = (px[at(i, j)] - mu) * invstd;
                    pgx[at(i, j)] = w * invstd * (g - sum_g / static_cast<T>(m) - xhat * sum_gx / static_cast<T>(m));
                } else {
                    pgx[at(i, j)] = w * invstd * g;
                }
            }
        if (grad_weight.defined()) grad_weight.data<T>()[ch] = sum_gx;
        if (grad_bias.defined()) grad_bias.data<T>()[ch] = sum_g;
    }
}

dnnl::normalization_flags norm_flags(bool global_stats, const Tensor& weight, const Tensor& bias) {
    using F = dnnl::normalization_flags;
    F f = global_stats ? F::use_global_stats : F::none;
    if (weight.defined()) f |= F::use_scale;
    if (bias.defined()) f |= F::use_shift;
    return f;
}

dnnl::batch_normalization_forward::primitive_desc batch_norm_pd(const dnnl::memory::desc& data, bool training,
                                                                const Tensor& weight, const Tensor& bias, double eps) {
    const dnnl::batch_normalization_forward::desc fd(dnnl::prop_kind::forward_training, data, static_cast<float>(eps),
                                                     norm_flags(!training, weight, bias));
    return {fd, cpu::dnnl_engine()};
}

void batch_norm_forward_cpu(const Tensor& x, const Tensor& weight, const Tensor& bias, const Tensor& mean,
                            const Tensor& var, const Tensor& out, bool training, double eps) {
    if (x.dtype() != DType::F32) {
        visit_dtype(x.dtype(), [&](auto tag) {
            batch_norm_forward_ref<decltype(tag)>(x, weight, bias, mean, var, out, training, eps);
        });
        return;
    }
    cpu::dnnl_call("batch_norm", [&] {
        const auto data = cpu::plain_desc({x.size(0), x.size(1), x.size(2), 1});  // 4-D nchw: oneDNN's fast path
        const auto pd = batch_norm_pd(data, training, weight, bias, eps);
        std::unordered_map<int, dnnl::memory> args{{DNNL_ARG_SRC, cpu::as_memory(x, data)},
                                                   {DNNL_ARG_DST, cpu::as_memory(out, data)},
                                                   {DNNL_ARG_MEAN, cpu::as_memory(mean)},
                                                   {DNNL_ARG_VARIANCE, cpu::as_memory(var)}};
        if (weight.defined()) args.emplace(DNNL_ARG_SCALE, cpu::as_memory(weight));
        if (bias.defined()) args.emplace(DNNL_ARG_SHIFT, cpu::as_memory(bias));
        cpu::execute(dnnl::batch_normalization_forward(pd), args);
    });
}

void batch_norm_backward_cpu(const Tensor& grad_out, const Tensor& x, const Tensor& weight, const Tensor& bias,
                             const Tensor& mean, const Tensor& var, const Tensor& grad_x, const Tensor& grad_weight,
                             const Tensor& grad_bias, bool training, double eps) {
    if (x.dtype() != DType::F32) {
        visit_dtype(x.dtype(), [&](auto tag) {
            batch_norm_backward_ref<decltype(tag)>(grad_out, x, weight, bias, mean, var, grad_x, grad_weight,
                                                   grad_bias, training, eps);
        });
        return;
    }
    cpu::dnnl_call("batch_norm backward", [&] {
        const auto data = cpu::plain_desc({x.size(0), x.size(1), x.size(2), 1});  // 4-D nchw: oneDNN's fast path
        const auto hint = batch_norm_pd(data, training, weight, bias, eps);
        const bool affine = weight.defined() || bias.defined();
        const dnnl::batch_normalization_backward::desc bd(
            affine ? dnnl::prop_kind::backward : dnnl::prop_kind::backward_data, data, data, static_cast<float>(eps),
            norm_flags(!training, weight, bias));
        const dnnl::batch_normalization_backward::primitive_desc pd(bd, cpu::dnnl_engine(), hint);
        std::unordered_map<int, dnnl::memory> args{{DNNL_ARG_SRC, cpu::as_memory(x, data)},
                                                   {DNNL_ARG_DIFF_DST, cpu::as_memory(grad_out, data)},
                                                   {DNNL_ARG_MEAN, cpu::as_memory(mean)},
                                                   {DNNL_ARG_VARIANCE, cpu::as_memory(var)},
                                                   {DNNL_ARG_DIFF_SRC, cpu::as_memory(grad_x, data)}};
        if (weight.defined()) {
            args.emplace(DNNL_ARG_SCALE, cpu::as_memory(weight));
            args.emplace(DNNL_ARG_DIFF_SCALE, cpu::as_memory(grad_weight));
        }
        if (bias.defined()) {
            args.emplace(DNNL_ARG_SHIFT, cpu::as_memory(bias));
            args.emplace(DNNL_ARG_DIFF_SHIFT, cpu::as_memory(grad_bias));
        }
        cpu::execute(dnnl::batch_normalization_backward(pd), args);
    });
}

Kernel<BatchNormForwardKernel> kBatchNorm{"batch_norm", &batch_norm_forward_cpu};
Kernel<BatchNormBackwardKernel> kBatchNormBackward{"batch_norm_backward", &batch_norm_backward_cpu};

// ================================================================================== layer norm
template <class T>
void layer_norm_forward_ref(const Tensor& x, const Tensor& weight, const Tensor& bias, const Tensor& mean,
                            const Tensor& var, const Tensor& out, double eps) {
    const std::int64_t m = x.size(0), k = x.size(1);
    const T* px = x.data<T>();
    T* po = out.data<T>();
    for (std::int64_t r = 0; r < m; ++r) {
        const T* row = px + r * k;
        T sum = 0, sq = 0;
        for (std::int64_t j = 0; j < k; ++j) sum += row[j];
        const T mu = sum / static_cast<T>(k);
        for (std::int64_t j = 0; j < k; ++j) sq += (row[j] - mu) * (row[j] - mu);
        const T v = sq / static_cast<T>(k);
        mean.data<T>()[r] = mu;
        var.data<T>()[r] = v;
        const T invstd = T(1) / std::sqrt(v + static_cast<T>(eps));
        for (std::int64_t j = 0; j < k; ++j)
            po[r * k + j] = (row[j] - mu) * invstd * (weight.defined() ? weight.data<T>()[j] : T(1)) +
                            (bias.defined() ? bias.data<T>()[j] : T(0));
    }
}

template <class T>
void layer_norm_backward_ref(const Tensor& grad_out, const Tensor& x, const Tensor& weight, const Tensor&,
                             const Tensor& mean, const Tensor& var, const Tensor& grad_x, const Tensor& grad_weight,
                             const Tensor& grad_bias, double eps) {
    const std::int64_t m = x.size(0), k = x.size(1);
    const T* pg = grad_out.data<T>();
    const T* px = x.data<T>();
    T* pgx = grad_x.data<T>();
    if (grad_weight.defined()) std::fill(grad_weight.data<T>(), grad_weight.data<T>() + k, T(0));
    if (grad_bias.defined()) std::fill(grad_bias.data<T>(), grad_bias.data<T>() + k, T(0));
    for (std::int64_t r = 0; r < m; ++r) {
        const T mu = mean.data<T>()[r];
        const T invstd = T(1) / std::sqrt(var.data<T>()[r] + static_cast<T>(eps));
        T sum_wg = 0, sum_wgx = 0;  // sums of w * g and w * g * xhat over the row
        for (std::int64_t j = 0; j < k; ++j) {
            const T xhat = (px[r * k + j] - mu) * invstd;
            const T wg = pg[r * k + j] * (weight.defined() ? weight.data<T>()[j] : T(1));
            sum_wg += wg;
            sum_wgx += wg * xhat;
            if (grad_weight.defined()) grad_weight.data<T>()[j] += pg[r * k + j] * xhat;
            if (grad_bias.defined()) grad_bias.data<T>()[j] += pg[r * k + j];
        }
        for (std::int64_t j = 0; j < k; ++j) {
            const T xhat = (px[r * k + j] - mu) * invstd;
            const T wg = pg[r * k + j] * (weight.defined() ? weight.data<T>()[j] : T(1));
            pgx[r * k + j] = invstd * (wg - sum_wg / static_cast<T>(k) - xhat * sum_wgx / static_cast<T>(k));
        }
    }
}

struct DnnlLayerNorm {
    dnnl::memory::desc data, stat;
    dnnl::layer_normalization_forward::primitive_desc forward;
};

DnnlLayerNorm layer_norm_pd(const Tensor& x, const Tensor& weight, const Tensor& bias, double eps) {
    DnnlLayerNorm d;
    d.data = cpu::plain_desc(x.shape());
    d.stat = cpu::plain_desc({x.size(0)});
    const dnnl::layer_normalization_forward::desc fd(dnnl::prop_kind::forward_training, d.data, d.stat,
                                                     static_cast<float>(eps), norm_flags(false, weight, bias));
    d.forward = dnnl::layer_normalization_forward::primitive_desc(fd, cpu::dnnl_engine());
    return d;
}

void layer_norm_forward_cpu(const Tensor& x, const Tensor& weight, const Tensor& bias, const Tensor& mean,
                            const Tensor& var, const Tensor& out, double eps) {
    if (x.dtype() != DType::F32) {
        visit_dtype(x.dtype(),
                    [&](auto tag) { layer_norm_forward_ref<decltype(tag)>(x, weight, bias, mean, var, out, eps); });
        return;
    }
    cpu::dnnl_call("layer_norm", [&] {
        const DnnlLayerNorm d = layer_norm_pd(x, weight, bias, eps);
        std::unordered_map<int, dnnl::memory> args{{DNNL_ARG_SRC, cpu::as_memory(x, d.data)},
                                                   {DNNL_ARG_DST, cpu::as_memory(out, d.data)},
                                                   {DNNL_ARG_MEAN, cpu::as_memory(mean, d.stat)},
                                                   {DNNL_ARG_VARIANCE, cpu::as_memory(var, d.stat)}};
        if (weight.defined()) args.emplace(DNNL_ARG_SCALE, cpu::as_memory(weight));
        if (bias.defined()) args.emplace(DNNL_ARG_SHIFT, cpu::as_memory(bias));
        cpu::execute(dnnl::layer_normalization_forward(d.forward), args);
    });
}

void layer_norm_backward_cpu(const Tensor& grad_out, const Tensor& x, const Tensor& weight, const Tensor& bias,
                             const Tensor& mean, const Tensor& var, const Tensor& grad_x, const Tensor& grad_weight,
                             const Tensor& grad_bias, double eps) {
    if (x.dtype() != DType::F32) {
        visit_dtype(x.dtype(), [&](auto tag) {
            layer_norm_backward_ref<decltype(tag)>(grad_out, x, weight, bias, mean, var, grad_x, grad_weight,
                                                   grad_bias, eps);
        });
        return;
    }
    cpu::dnnl_call("layer_norm backward", [&] {
        const DnnlLayerNorm d = layer_norm_pd(x, weight, bias, eps);
        const bool affine = weight.defined() || bias.defined();
        const dnnl::layer_normalization_backward::desc bd(
            affine ? dnnl::prop_kind::backward : dnnl::prop_kind::backward_data, d.data, d.data, d.stat,
            static_cast<float>(eps), norm_flags(false, weight, bias));
        const dnnl::layer_normalization_backward::primitive_desc pd(bd, cpu::dnnl_engine(), d.forward);
        std::unordered_map<int, dnnl::memory> args{{DNNL_ARG_SRC, cpu::as_memory(x, d.data)},
                                                   {DNNL_ARG_DIFF_DST, cpu::as_memory(grad_out, d.data)},
                                                   {DNNL_ARG_MEAN, cpu::as_memory(mean, d.stat)},
                                                   {DNNL_ARG_VARIANCE, cpu::as_memory(var, d.stat)},
                                                   {DNNL_ARG_DIFF_SRC, cpu::as_memory(grad_x, d.data)}};
        if (weight.defined()) {
            args.emplace(DNNL_ARG_SCALE, cpu::as_memory(weight));
            args.emplace(DNNL_ARG_DIFF_SCALE, cpu::as_memory(grad_weight));
        }
        if (bias.defined()) {
            args.emplace(DNNL_ARG_SHIFT, cpu::as_memory(bias));
            args.emplace(DNNL_ARG_DIFF_SHIFT, cpu::as_memory(grad_bias));
        }
        cpu::execute(dnnl::layer_normalization_backward(pd), args);
    });
}

Kernel<LayerNormForwardKernel> kLayerNorm{"layer_norm", &layer_norm_forward_cpu};
Kernel<LayerNormBackwardKernel> kLayerNormBackward{"layer_norm_backward", &layer_norm_backward_cpu};

// An optional per-feature parameter: checked, detached and contiguous (undefined stays undefined).
Tensor param_data(const Tensor& p, const Shape& expect, const Tensor& x, const char* op, const char* what) {
    if (!p.defined()) return {};
    NEURA_CHECK(p.shape() == expect, op, ": ", what, " has shape ", shape_str(p.shape()), ", expected ",
                shape_str(expect), " for input of shape ", shape_str(x.shape()));
    NEURA_CHECK(p.dtype() == x.dtype(), op, ": ", what, " is ", dtype_name(p.dtype()), " but the input is ",
                dtype_name(x.dtype()));
    NEURA_CHECK(p.device() == x.device(), op, ": ", what, " is on ", p.device().str(), " but the input is on ",
                x.device().str());
    return p.detach().contiguous();
}

}  // namespace

Tensor batch_norm(const Tensor& x_in, const Tensor& weight, const Tensor& bias, const Tensor& running_mean,
                  const Tensor& running_var, bool training, double momentum, double eps) {
    NEURA_CHECK(x_in.defined(), "batch_norm: undefined input");
    NEURA_CHECK(x_in.dim() >= 2, "batch_norm: expects an input [N, C, *] with at least 2 dimensions, gets shape ",
                shape_str(x_in.shape()));
    NEURA_CHECK(is_floating(x_in.dtype()), "batch_norm: expects a floating input, gets ", dtype_name(x_in.dtype()));
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
    NEURA_CHECK(is_floating(x_in.dtype()), "layer_norm: expects a floating input, gets ", dtype_name(x_in.dtype()));
    NEURA_CHECK(!normalized_shape.empty(), "layer_norm: normalized_shape must not be empty");
    NEURA_CHECK(eps > 0, "layer_norm: eps must be positive, got ", eps);
    const Shape& shape = x_in.shape();
    const auto nd = normalized_shape.size();
    NEURA_CHECK(shape.size() >= nd && Shape(shape.end() - static_cast<std::ptrdiff_t>(nd), shape.end()) == normalized_shape,
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
