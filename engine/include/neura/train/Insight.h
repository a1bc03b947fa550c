#pragma once
// Insight: what the studio shows of a network's inside — every node's output and the gradient of the
// loss with respect to it, every parameter and its gradient, on one batch — and the statistics and
// histograms drawn from them. The trainer takes a Capture between two batches when asked; the
// inspector and the canvas colours read it.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "neura/core/Tensor.h"
#include "neura/data/Dataset.h"
#include "neura/graph/Network.h"
#include "neura/nn/Attention.h"
#include "neura/nn/Recurrent.h"

namespace neura::train {

struct TensorStats {
    std::int64_t numel = 0;
    std::int64_t non_finite = 0;  // NaN and ±Inf elements; the other figures leave them out
    double mean = 0.0, std = 0.0, min = 0.0, max = 0.0;
    double rms = 0.0;             // sqrt(mean(x²)): the scale the canvas colours show
};
TensorStats tensor_stats(const Tensor& t);  // an undefined tensor gives numel 0

// Equal-width bins over [lo, hi]; the last bin includes hi. counts plus non_finite add up to numel.
struct Histogram {
    double lo = 0.0, hi = 0.0;
    std::vector<std::int64_t> counts;
    std::int64_t non_finite = 0;
    double bin_width() const { return counts.empty() ? 0.0 : (hi - lo) / static_cast<double>(counts.size()); }
    double bin_center(std::size_t i) const { return lo + (static_cast<double>(i) + 0.5) * bin_width(); }
    std::int64_t total() const;  // the counts' sum plus non_finite
};
// When every finite value is the same, the range is [v - 0.5, v + 0.5] and they all fall in the middle.
Histogram histogram(const Tensor& t, int bins = 30);

// A parameter and its gradient on the captured batch (the gradient before the optimizer used it).
struct ParameterCapture {
    std::string name;  // the module's own name: "weight", "bias"
    Tensor value;      // detached copies
    Tensor grad;       // undefined when no gradient reached it
};

struct NodeCapture {
    graph::NodeId node;
    std::string name, type;
    Tensor output;       // the node's output for the batch, detached
    Tensor output_grad;  // d loss / d output; undefined for the Input and where no gradient flows
    std::vector<ParameterCapture> parameters;
    TensorStats activation, gradient;  // of output and output_grad
    // ReLU nodes: the fraction of units (elements of one sample's output) that are zero for every
    // sample of the batch — "dead" on this batch. -1 for other node types.
    double dead_fraction = -1.0;
    double parameter_grad_norm = 0.0;  // L2 norm over all the node's parameter gradients
    // Attention nodes (MultiheadAttention, TransformerEncoderLayer): the attention weights of each head
    // on the batch, [B, heads, query steps, key steps]; each row sums to 1. Undefined for other nodes.
    Tensor attention;
    // LSTM nodes: how saturated each unit's input, forget and output gates were on the batch, one entry
    // per layer and direction (nn::GateSaturation). Empty for other nodes.
    std::vector<nn::GateSaturation> gates;
};

struct Capture {
    std::int64_t epoch = -1, step = -1, global_step = -1;  // where training was; -1 outside training
    double loss = 0.0;
    std::int64_t batch_size = 0;
    std::vector<NodeCapture> nodes;  // the network's steps in order, the Input first
    const NodeCapture* find(graph::NodeId node) const;
};
using CapturePtr = std::shared_ptr<const Capture>;

// Records one forward + backward of `net`: construct before the forward, call finish() after
// loss.backward(). Retains the gradients of the node outputs while it lives.
class CaptureRecorder {
public:
    explicit CaptureRecorder(graph::Network& net);
    ~CaptureRecorder();
    CaptureRecorder(const CaptureRecorder&) = delete;
    CaptureRecorder& operator=(const CaptureRecorder&) = delete;

    Capture finish(double loss, std::int64_t batch_size);

private:
    graph::Network& net_;
    graph::Network::HookHandle hook_ = 0;
    std::vector<std::pair<graph::NodeId, nn::MultiheadAttention*>> attention_;  // asked to keep their weights
    std::vector<std::pair<graph::NodeId, nn::LSTM*>> lstms_;  // asked to keep their gates' saturation
    std::vector<std::pair<graph::NodeId, Tensor>> outputs_;
};

// One forward + backward of `batch` through `net` (in its current train/eval mode), without an
// optimizer step; the parameters' gradients are left as the backward made them.
Capture capture_batch(graph::Network& net, const data::Batch& batch);

}  // namespace neura::train
