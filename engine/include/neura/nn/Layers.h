#pragma once
// Built-in layers with PyTorch's names, defaults and initialization. The defaults (kEps, ...,
// Conv2dOptions{}) are also the layer descriptors' attribute defaults (neura/graph).
#include <optional>
#include <string>
#include <vector>

#include "neura/core/Generator.h"
#include "neura/nn/Module.h"

namespace neura::nn {

// A learnable parameter as a layer's constructor registers it: its name and shape.
struct ParameterSpec {
    std::string name;
    Shape shape;
    bool operator==(const ParameterSpec&) const = default;
};
using ParameterSpecs = std::vector<ParameterSpec>;
// The elements of all of `specs`; throws neura::Error when the count passes a 64-bit integer.
std::int64_t parameter_numel(const ParameterSpecs& specs);

// A layer with parameters has `static ParameterSpecs parameter_specs(...)` taking all of its
// constructor's arguments but the generator: the parameters that constructor registers, in order.
// The constructor registers exactly that list, and the layer descriptors (neura/graph) count a
// node's parameters from it without allocating them.

class Linear : public Module {
public:
    Linear(std::int64_t in_features, std::int64_t out_features, bool bias = true, Generator* gen = nullptr);
    static ParameterSpecs parameter_specs(std::int64_t in_features, std::int64_t out_features, bool bias);
    std::string type_name() const override { return "Linear"; }
    Tensor forward(const Tensor& x) override;  // [*, in] -> [*, out]
    Tensor weight, bias;                          // [out, in], [out] (undefined without bias)
};

struct Conv2dOptions {
    std::int64_t in_channels = 1, out_channels = 1;
    std::int64_t kernel_h = 3, kernel_w = 3;
    std::int64_t stride_h = 1, stride_w = 1;
    std::int64_t padding_h = 0, padding_w = 0;
    std::int64_t dilation_h = 1, dilation_w = 1;
    std::int64_t groups = 1;
    bool bias = true;
};

class Conv2d : public Module {
public:
    explicit Conv2d(const Conv2dOptions& o, Generator* gen = nullptr);
    static ParameterSpecs parameter_specs(const Conv2dOptions& o);
    std::string type_name() const override { return "Conv2d"; }
    Tensor forward(const Tensor& x) override;  // [N, C, H, W]
    Conv2dOptions options;
    Tensor weight, bias;  // [out, in/groups, kh, kw], [out]
};

struct Pool2dOptions {
    std::int64_t kernel_h = 2, kernel_w = 2;
    std::int64_t stride_h = 0, stride_w = 0;  // 0: the kernel size (PyTorch's default)
    std::int64_t padding_h = 0, padding_w = 0;
};

class MaxPool2d : public Module {
public:
    explicit MaxPool2d(const Pool2dOptions& o);
    std::string type_name() const override { return "MaxPool2d"; }
    Tensor forward(const Tensor& x) override;
    Pool2dOptions options;
};

class AvgPool2d : public Module {
public:
    explicit AvgPool2d(const Pool2dOptions& o);
    std::string type_name() const override { return "AvgPool2d"; }
    Tensor forward(const Tensor& x) override;  // count_include_pad = true, as PyTorch's default
    Pool2dOptions options;
};

class AdaptiveAvgPool2d : public Module {
public:
    AdaptiveAvgPool2d(std::int64_t out_h, std::int64_t out_w);
    std::string type_name() const override { return "AdaptiveAvgPool2d"; }
    Tensor forward(const Tensor& x) override;
    std::int64_t out_h, out_w;
};

class BatchNorm : public Module {  // BatchNorm1d ([N, C] or [N, C, L]) and BatchNorm2d ([N, C, H, W])
public:
    static constexpr double kEps = 1e-5, kMomentum = 0.1;  // PyTorch's defaults (and the layer palette's)
    BatchNorm(int spatial_dims, std::int64_t num_features, double eps = kEps, double momentum = kMomentum,
              bool affine = true);
    static ParameterSpecs parameter_specs(int spatial_dims, std::int64_t num_features, double eps, double momentum,
                                          bool affine);
    std::string type_name() const override { return spatial_dims_ == 2 ? "BatchNorm2d" : "BatchNorm1d"; }
    Tensor forward(const Tensor& x) override;
    double eps, momentum;
    Tensor weight, bias, running_mean, running_var, num_batches_tracked;

private:
    int spatial_dims_;
};

class LayerNorm : public Module {
public:
    static constexpr double kEps = 1e-5;
    explicit LayerNorm(Shape normalized_shape, double eps = kEps, bool elementwise_affine = true);
    static ParameterSpecs parameter_specs(const Shape& normalized_shape, double eps, bool elementwise_affine);
    std::string type_name() const override { return "LayerNorm"; }
    Tensor forward(const Tensor& x) override;
    Shape normalized_shape;
    double eps;
    Tensor weight, bias;
};

class Dropout : public Module {
public:
    static constexpr double kP = 0.5;
    explicit Dropout(double p = kP, Generator* gen = nullptr);
    std::string type_name() const override { return "Dropout"; }
    Tensor forward(const Tensor& x) override;  // identity in eval mode
    double p;

private:
    Generator* gen_;
};

class Flatten : public Module {
public:
    static constexpr std::int64_t kStartDim = 1, kEndDim = -1;
    explicit Flatten(std::int64_t start_dim = kStartDim, std::int64_t end_dim = kEndDim)
        : start_dim(start_dim), end_dim(end_dim) {}
    std::string type_name() const override { return "Flatten"; }
    Tensor forward(const Tensor& x) override;
    std::int64_t start_dim, end_dim;
};

class Embedding : public Module {
public:
    Embedding(std::int64_t num_embeddings, std::int64_t embedding_dim, Generator* gen = nullptr);
    static ParameterSpecs parameter_specs(std::int64_t num_embeddings, std::int64_t embedding_dim);
    std::string type_name() const override { return "Embedding"; }
    Tensor forward(const Tensor& indices) override;  // I64 [*] -> [*, dim]
    Tensor weight;                                      // N(0, 1) init, as PyTorch
};

// Activations as layers.
class ReLU : public Module {
public:
    std::string type_name() const override { return "ReLU"; }
    Tensor forward(const Tensor& x) override;
};
class LeakyReLU : public Module {
public:
    static constexpr double kNegativeSlope = 0.01;
    explicit LeakyReLU(double negative_slope = kNegativeSlope) : negative_slope(negative_slope) {}
    std::string type_name() const override { return "LeakyReLU"; }
    Tensor forward(const Tensor& x) override;
    double negative_slope;
};
class Sigmoid : public Module {
public:
    std::string type_name() const override { return "Sigmoid"; }
    Tensor forward(const Tensor& x) override;
};
class Tanh : public Module {
public:
    std::string type_name() const override { return "Tanh"; }
    Tensor forward(const Tensor& x) override;
};
class GELU : public Module {
public:
    std::string type_name() const override { return "GELU"; }
    Tensor forward(const Tensor& x) override;
};
class Softmax : public Module {
public:
    static constexpr std::int64_t kDim = -1;
    explicit Softmax(std::int64_t dim = kDim) : dim(dim) {}
    std::string type_name() const override { return "Softmax"; }
    Tensor forward(const Tensor& x) override;
    std::int64_t dim;
};

// Merge layers: graphs are DAGs, not only chains.
class Add : public Module {
public:
    std::string type_name() const override { return "Add"; }
    Tensor forward(const std::vector<Tensor>& inputs) override;  // same shapes (or broadcastable)
};
class Concat : public Module {
public:
    static constexpr std::int64_t kDim = 1;
    explicit Concat(std::int64_t dim = kDim) : dim(dim) {}
    std::string type_name() const override { return "Concat"; }
    Tensor forward(const std::vector<Tensor>& inputs) override;
    std::int64_t dim;
};

}  // namespace neura::nn
