#pragma once
// Loss functions, as PyTorch's torch.nn.functional losses and torch.nn loss modules: same names,
// defaults and reduction semantics. All are composed of differentiable ops, so their gradients (and
// gradients of gradients) come from autograd, with respect to the input and to float targets.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "neura/core/Tensor.h"

namespace neura::nn {

enum class Reduction { None, Mean, Sum };

std::string to_string(Reduction r);             // "none", "mean", "sum"
Reduction reduction_from_string(std::string_view s);  // throws neura::Error on anything else

// ---- functional ----
// Regression losses: input and target have the same shape and are floating point.
Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::Mean);
Tensor l1_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::Mean);
Tensor huber_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::Mean,
                  double delta = 1.0);

struct CrossEntropyOptions {
    Tensor weight{};                   // [C] per-class weights, or undefined
    std::int64_t ignore_index = -100;  // targets equal to it contribute nothing (class-index targets only)
    Reduction reduction = Reduction::Mean;
    double label_smoothing = 0.0;      // in [0, 1]
};

// input: logits [N, C], [N, C, d1, ...] or [C]. target: class indices (I64) [N], [N, d1, ...] or [],
// or class probabilities (floating point) of the input's shape. Stable: goes through log_softmax.
Tensor cross_entropy(const Tensor& input, const Tensor& target, const CrossEntropyOptions& options = {});

struct NLLOptions {
    Tensor weight{};  // [C] per-class weights, or undefined
    std::int64_t ignore_index = -100;
    Reduction reduction = Reduction::Mean;
};
// input: log-probabilities [N, C], [N, C, d1, ...] or [C]; target: class indices (I64).
Tensor nll_loss(const Tensor& input, const Tensor& target, const NLLOptions& options = {});

struct BCEWithLogitsOptions {
    Tensor weight{};      // broadcast to the input: rescales each element's loss
    Tensor pos_weight{};  // broadcast along the last (class) dimension: weight of positive examples
    Reduction reduction = Reduction::Mean;
};
// max(x, 0) - x*y + log(1 + exp(-|x|)), computed in PyTorch's stable form; target in [0, 1].
Tensor binary_cross_entropy_with_logits(const Tensor& input, const Tensor& target,
                                        const BCEWithLogitsOptions& options = {});

// ---- modules ----
class Loss {
public:
    explicit Loss(Reduction reduction = Reduction::Mean) : reduction(reduction) {}
    virtual ~Loss() = default;
    virtual std::string type_name() const = 0;  // PyTorch's class name: "MSELoss", "CrossEntropyLoss", ...
    virtual Tensor forward(const Tensor& input, const Tensor& target) = 0;
    Tensor operator()(const Tensor& input, const Tensor& target) { return forward(input, target); }

    Reduction reduction;
};

class MSELoss : public Loss {
public:
    explicit MSELoss(Reduction reduction = Reduction::Mean) : Loss(reduction) {}
    std::string type_name() const override { return "MSELoss"; }
    Tensor forward(const Tensor& input, const Tensor& target) override;
};

class L1Loss : public Loss {
public:
    explicit L1Loss(Reduction reduction = Reduction::Mean) : Loss(reduction) {}
    std::string type_name() const override { return "L1Loss"; }
    Tensor forward(const Tensor& input, const Tensor& target) override;
};

class HuberLoss : public Loss {
public:
    explicit HuberLoss(Reduction reduction = Reduction::Mean, double delta = 1.0);
    std::string type_name() const override { return "HuberLoss"; }
    Tensor forward(const Tensor& input, const Tensor& target) override;
    double delta;
};

class CrossEntropyLoss : public Loss {
public:
    explicit CrossEntropyLoss(const CrossEntropyOptions& options = {});
    std::string type_name() const override { return "CrossEntropyLoss"; }
    Tensor forward(const Tensor& input, const Tensor& target) override;
    Tensor weight;
    std::int64_t ignore_index;
    double label_smoothing;
};

class NLLLoss : public Loss {
public:
    explicit NLLLoss(const NLLOptions& options = {});
    std::string type_name() const override { return "NLLLoss"; }
    Tensor forward(const Tensor& input, const Tensor& target) override;
    Tensor weight;
    std::int64_t ignore_index;
};

class BCEWithLogitsLoss : public Loss {
public:
    explicit BCEWithLogitsLoss(const BCEWithLogitsOptions& options = {});
    std::string type_name() const override { return "BCEWithLogitsLoss"; }
    Tensor forward(const Tensor& input, const Tensor& target) override;
    Tensor weight, pos_weight;
};

// ---- the losses by name ----
// What the studio's Loss node sets on a loss: the reduction, and settings only some losses take
// (the others ignore them). The defaults are PyTorch's and the Loss node's attribute defaults.
struct LossSettings {
    Reduction reduction = Reduction::Mean;
    double delta = 1.0;            // HuberLoss
    double label_smoothing = 0.0;  // CrossEntropyLoss
    std::int64_t ignore_index = -100;  // CrossEntropyLoss, NLLLoss: targets equal to it count nothing
};

struct LossKind {
    std::string name;           // PyTorch's class name; the Loss node's `type`
    bool class_scores = false;  // takes a score per class for each sample (and class-index targets)
    std::string use;            // what it is for, in a few words (the Loss node's help)
    std::function<std::shared_ptr<Loss>(const LossSettings& settings)> make;
};

// Every loss by name, in the order the Loss node offers them: adding a loss is one entry here.
const std::vector<LossKind>& loss_kinds();
const LossKind* find_loss_kind(std::string_view name);  // nullptr when unknown

}  // namespace neura::nn
