// The built-in layers: PyTorch's names, defaults, parameter shapes and initialization.
#include "neura/nn/Layers.h"

#include <cmath>

#include "neura/autograd/GradMode.h"
#include "neura/ops/NnOps.h"
#include "neura/ops/Ops.h"

namespace neura::nn {

namespace {

// U(-1/sqrt(fan_in), 1/sqrt(fan_in)): what PyTorch's kaiming_uniform_(a=sqrt(5)) gives for weights, and
// its bias rule, for Linear and Conv2d.
Tensor fan_in_uniform(const Shape& shape, std::int64_t fan_in, Generator* gen) {
    const double bound = fan_in > 0 ? 1.0 / std::sqrt(static_cast<double>(fan_in)) : 0.0;
    return Tensor::uniform(shape, -bound, bound, DType::F32, gen);
}

void check_positive(std::int64_t v, const char* layer, const char* what) {
    NEURA_CHECK(v > 0, layer, ": ", what, " must be positive, got ", v);
}

// The member a layer's parameter named by a spec goes to: "weight" or "bias".
Tensor& weight_or_bias(const ParameterSpec& p, Tensor& weight, Tensor& bias) {
    NEURA_CHECK(p.name == "weight" || p.name == "bias", "internal error: a layer parameter named ", p.name);
    return p.name == "weight" ? weight : bias;
}

// A normalization's affine parameters start as the identity: scale (weight) 1, shift (bias) 0.
Tensor identity_affine(const ParameterSpec& p) {
    return p.name == "weight" ? Tensor::ones(p.shape) : Tensor::zeros(p.shape);
}

}  // namespace

std::int64_t parameter_numel(const ParameterSpecs& specs) {
    std::int64_t n = 0;
    for (const ParameterSpec& p : specs)
        NEURA_CHECK(!__builtin_add_overflow(n, shape_numel(p.shape), &n),  // shape_numel throws on its own overflow
                    "the parameters hold more elements than a 64-bit count");
    return n;
}

// ---------------------------------------------------------------------------------- Linear
ParameterSpecs Linear::parameter_specs(std::int64_t in_features, std::int64_t out_features, bool bias) {
    ParameterSpecs specs = {{"weight", {out_features, in_features}}};
    if (bias) specs.push_back({"bias", {out_features}});
    return specs;
}

Linear::Linear(std::int64_t in_features, std::int64_t out_features, bool with_bias, Generator* gen) {
    check_positive(in_features, "Linear", "in_features");
    check_positive(out_features, "Linear", "out_features");
    for (const ParameterSpec& p : parameter_specs(in_features, out_features, with_bias))
        weight_or_bias(p, weight, bias) = register_parameter(p.name, fan_in_uniform(p.shape, in_features, gen));
}

Tensor Linear::forward(const Tensor& x) {
    NEURA_CHECK_SHAPE(x.defined() && x.dim() >= 1, "Linear expects an input [*, ", weight.size(1), "], gets ",
                x.defined() ? shape_str(x.shape()) : "an undefined tensor");
    NEURA_CHECK_SHAPE(x.size(-1) == weight.size(1), "Linear expects ", weight.size(1), " input features, gets ", x.size(-1),
                " (input shape ", shape_str(x.shape()), ")");
    Tensor y = matmul(x, weight.t());
    return bias.defined() ? y + bias : y;
}

// ---------------------------------------------------------------------------------- Conv2d
Conv2d::Conv2d(const Conv2dOptions& o, Generator* gen) : options(o) {
    check_positive(o.in_channels, "Conv2d", "in_channels");
    check_positive(o.out_channels, "Conv2d", "out_channels");
    check_positive(o.groups, "Conv2d", "groups");
    NEURA_CHECK(o.kernel_h > 0 && o.kernel_w > 0 && o.stride_h > 0 && o.stride_w > 0 && o.dilation_h > 0 &&
                    o.dilation_w > 0 && o.padding_h >= 0 && o.padding_w >= 0,
                "Conv2d: kernel size, stride and dilation must be positive and padding non-negative, got kernel [",
                o.kernel_h, ", ", o.kernel_w, "], stride [", o.stride_h, ", ", o.stride_w, "], padding [", o.padding_h,
                ", ", o.padding_w, "], dilation [", o.dilation_h, ", ", o.dilation_w, "]");
    NEURA_CHECK(o.in_channels % o.groups == 0, "Conv2d: in_channels (", o.in_channels, ") must be divisible by groups (",
                o.groups, ")");
    NEURA_CHECK(o.out_channels % o.groups == 0, "Conv2d: out_channels (", o.out_channels,
                ") must be divisible by groups (", o.groups, ")");
    const std::int64_t fan_in = o.in_channels / o.groups * o.kernel_h * o.kernel_w;
    for (const ParameterSpec& p : parameter_specs(o))
        weight_or_bias(p, weight, bias) = register_parameter(p.name, fan_in_uniform(p.shape, fan_in, gen));
}

ParameterSpecs Conv2d::parameter_specs(const Conv2dOptions& o) {
    ParameterSpecs specs = {{"weight", {o.out_channels, o.in_channels / o.groups, o.kernel_h, o.kernel_w}}};
    if (o.bias) specs.push_back({"bias", {o.out_channels}});
    return specs;
}

Tensor Conv2d::forward(const Tensor& x) {
    NEURA_CHECK_SHAPE(x.defined() && (x.dim() == 3 || x.dim() == 4), "Conv2d expects an input [N, ", options.in_channels,
                ", H, W], gets ", x.defined() ? shape_str(x.shape()) : "an undefined tensor");
    const std::int64_t c = x.size(-3);
    NEURA_CHECK_SHAPE(c == options.in_channels, "Conv2d expects ", options.in_channels, " input channels, gets ", c,
                " (input shape ", shape_str(x.shape()), ")");
    const auto& o = options;
    return conv2d(x, weight, bias, {o.stride_h, o.stride_w}, {o.padding_h, o.padding_w}, {o.dilation_h, o.dilation_w},
                  o.groups);
}

// ---------------------------------------------------------------------------------- pooling
MaxPool2d::MaxPool2d(const Pool2dOptions& o) : options(o) {}
Tensor MaxPool2d::forward(const Tensor& x) {
    const auto& o = options;
    return max_pool2d(x, {o.kernel_h, o.kernel_w}, {o.stride_h, o.stride_w}, {o.padding_h, o.padding_w});
}

AvgPool2d::AvgPool2d(const Pool2dOptions& o) : options(o) {}
Tensor AvgPool2d::forward(const Tensor& x) {
    const auto& o = options;
    return avg_pool2d(x, {o.kernel_h, o.kernel_w}, {o.stride_h, o.stride_w}, {o.padding_h, o.padding_w});
}

AdaptiveAvgPool2d::AdaptiveAvgPool2d(std::int64_t out_h, std::int64_t out_w) : out_h(out_h), out_w(out_w) {
    NEURA_CHECK(out_h > 0 && out_w > 0, "AdaptiveAvgPool2d: output size must be positive, got [", out_h, ", ", out_w,
                "]");
}
Tensor AdaptiveAvgPool2d::forward(const Tensor& x) { return adaptive_avg_pool2d(x, out_h, out_w); }

// ---------------------------------------------------------------------------------- normalization
BatchNorm::BatchNorm(int spatial_dims, std::int64_t num_features, double eps, double momentum, bool affine)
    : eps(eps), momentum(momentum), spatial_dims_(spatial_dims) {
    NEURA_CHECK(spatial_dims == 1 || spatial_dims == 2, "BatchNorm: spatial_dims must be 1 (BatchNorm1d) or 2 ",
                "(BatchNorm2d), got ", spatial_dims);
    check_positive(num_features, type_name().c_str(), "num_features");
    for (const ParameterSpec& p : parameter_specs(spatial_dims, num_features, eps, momentum, affine))
        weight_or_bias(p, weight, bias) = register_parameter(p.name, identity_affine(p));
    running_mean = register_buffer("running_mean", Tensor::zeros({num_features}));
    running_var = register_buffer("running_var", Tensor::ones({num_features}));
    num_batches_tracked = register_buffer("num_batches_tracked", Tensor::zeros({}, DType::I64));
}

ParameterSpecs BatchNorm::parameter_specs(int /*spatial_dims*/, std::int64_t num_features, double /*eps*/,
                                         double /*momentum*/, bool affine) {
    if (!affine) return {};
    return {{"weight", {num_features}}, {"bias", {num_features}}};
}

Tensor BatchNorm::forward(const Tensor& x) {
    const std::int64_t c = running_mean.size(0);
    NEURA_CHECK(x.defined(), type_name(), ": undefined input");
    if (spatial_dims_ == 2) {
        NEURA_CHECK_SHAPE(x.dim() == 4, "BatchNorm2d expects a 4-D input [N, ", c, ", H, W], gets shape ",
                    shape_str(x.shape()));
    } else {
        NEURA_CHECK_SHAPE(x.dim() == 2 || x.dim() == 3, "BatchNorm1d expects a 2-D input [N, ", c, "] or 3-D [N, ", c,
                    ", L], gets shape ", shape_str(x.shape()));
    }
    NEURA_CHECK_SHAPE(x.size(1) == c, type_name(), " expects ", c, " channels, gets ", x.size(1), " (input shape ",
                shape_str(x.shape()), ")");
    if (is_training()) {
        NoGradGuard ng;
        num_batches_tracked.add_(1.0);
    }
    return batch_norm(x, weight, bias, running_mean, running_var, is_training(), momentum, eps);
}

LayerNorm::LayerNorm(Shape shape, double eps, bool elementwise_affine) : normalized_shape(std::move(shape)), eps(eps) {
    NEURA_CHECK(!normalized_shape.empty() && shape_numel(normalized_shape) > 0,
                "LayerNorm: normalized_shape must be non-empty with positive sizes, got ", shape_str(normalized_shape));
    for (const ParameterSpec& p : parameter_specs(normalized_shape, eps, elementwise_affine))
        weight_or_bias(p, weight, bias) = register_parameter(p.name, identity_affine(p));
}

ParameterSpecs LayerNorm::parameter_specs(const Shape& normalized_shape, double /*eps*/, bool elementwise_affine) {
    if (!elementwise_affine) return {};
    return {{"weight", normalized_shape}, {"bias", normalized_shape}};
}

Tensor LayerNorm::forward(const Tensor& x) {
    const auto nd = static_cast<std::int64_t>(normalized_shape.size());
    NEURA_CHECK_SHAPE(x.defined() && x.dim() >= nd &&
                    Shape(x.shape().end() - nd, x.shape().end()) == normalized_shape,
                "LayerNorm expects an input ending in ", shape_str(normalized_shape), ", gets ",
                x.defined() ? shape_str(x.shape()) : "an undefined tensor");
    return layer_norm(x, normalized_shape, weight, bias, eps);
}

// ---------------------------------------------------------------------------------- others
Dropout::Dropout(double p, Generator* gen) : p(p), gen_(gen) {
    NEURA_CHECK(p >= 0.0 && p <= 1.0, "Dropout: probability has to be between 0 and 1, but got ", p);
}
Tensor Dropout::forward(const Tensor& x) { return dropout(x, p, is_training(), gen_); }

Tensor Flatten::forward(const Tensor& x) { return x.flatten(start_dim, end_dim); }

Embedding::Embedding(std::int64_t num_embeddings, std::int64_t embedding_dim, Generator* gen) {
    check_positive(num_embeddings, "Embedding", "num_embeddings");
    check_positive(embedding_dim, "Embedding", "embedding_dim");
    for (const ParameterSpec& p : parameter_specs(num_embeddings, embedding_dim))
        weight = register_parameter(p.name, Tensor::randn(p.shape, DType::F32, gen));
}
ParameterSpecs Embedding::parameter_specs(std::int64_t num_embeddings, std::int64_t embedding_dim) {
    return {{"weight", {num_embeddings, embedding_dim}}};
}
Tensor Embedding::forward(const Tensor& indices) { return embedding(weight, indices); }

Tensor ReLU::forward(const Tensor& x) { return relu(x); }
Tensor LeakyReLU::forward(const Tensor& x) { return leaky_relu(x, negative_slope); }
Tensor Sigmoid::forward(const Tensor& x) { return sigmoid(x); }
Tensor Tanh::forward(const Tensor& x) { return tanh(x); }
Tensor GELU::forward(const Tensor& x) { return gelu(x); }
Tensor Softmax::forward(const Tensor& x) { return softmax(x, dim); }

Tensor Add::forward(const std::vector<Tensor>& inputs) {
    NEURA_CHECK(!inputs.empty(), "Add expects at least one input, gets none");
    Tensor y = inputs[0];
    for (std::size_t i = 1; i < inputs.size(); ++i) {
        NEURA_CHECK(inputs[i].defined(), "Add: input ", i, " is undefined");
        try {
            y = y + inputs[i];
        } catch (const Error&) {
            std::string shapes;
            for (std::size_t k = 0; k < inputs.size(); ++k) shapes += (k ? ", " : "") + shape_str(inputs[k].shape());
            throw Error("Add expects inputs of the same (or broadcastable) shapes, gets " + shapes);
        }
    }
    return y;
}

Tensor Concat::forward(const std::vector<Tensor>& inputs) {
    NEURA_CHECK(!inputs.empty(), "Concat expects at least one input, gets none");
    return cat(inputs, dim);
}

}  // namespace neura::nn
