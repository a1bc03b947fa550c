#include "neura/train/Insight.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "neura/autograd/GradMode.h"
#include "neura/nn/Padding.h"
#include "neura/core/Error.h"

namespace neura::train {

TensorStats tensor_stats(const Tensor& t) {
    TensorStats s;
    if (!t.defined() || t.numel() == 0) return s;
    const std::vector<double> v = t.detach().to_vector<double>();
    s.numel = static_cast<std::int64_t>(v.size());
    double sum = 0.0, sq = 0.0;
    double lo = std::numeric_limits<double>::infinity(), hi = -lo;
    std::int64_t n = 0;
    for (double x : v) {
        if (!std::isfinite(x)) {
            ++s.non_finite;
            continue;
        }
        sum += x;
        sq += x * x;
        lo = std::min(lo, x);
        hi = std::max(hi, x);
        ++n;
    }
    if (n == 0) return s;
    s.mean = sum / static_cast<double>(n);
    double var = 0.0;
    for (double x : v)
        if (std::isfinite(x)) var += (x - s.mean) * (x - s.mean);
    s.std = std::sqrt(var / static_cast<double>(n));  // population: the spread of these very values
    s.min = lo;
    s.max = hi;
    s.rms = std::sqrt(sq / static_cast<double>(n));
    return s;
}

std::int64_t Histogram::total() const {
    std::int64_t sum = non_finite;
    for (auto c : counts) sum += c;
    return sum;
}

Histogram histogram(const Tensor& t, int bins) {
    NEURA_CHECK(bins >= 1, "histogram: needs at least one bin, got ", bins);
    Histogram h;
    h.counts.assign(static_cast<std::size_t>(bins), 0);
    if (!t.defined() || t.numel() == 0) return h;
    const std::vector<double> v = t.detach().to_vector<double>();
    double lo = std::numeric_limits<double>::infinity(), hi = -lo;
    for (double x : v)
        if (std::isfinite(x)) {
            lo = std::min(lo, x);
            hi = std::max(hi, x);
        }
    if (!(lo <= hi)) {  // nothing finite
        h.non_finite = static_cast<std::int64_t>(v.size());
        return h;
    }
    if (hi - lo <= 0.0) {
        lo -= 0.5;
        hi += 0.5;
    }
    h.lo = lo;
    h.hi = hi;
    const double scale = static_cast<double>(bins) / (hi - lo);
    for (double x : v) {
        if (!std::isfinite(x)) {
            ++h.non_finite;
            continue;
        }
        auto b = static_cast<std::int64_t>((x - lo) * scale);
        b = std::clamp<std::int64_t>(b, 0, bins - 1);
        ++h.counts[static_cast<std::size_t>(b)];
    }
    return h;
}

const NodeCapture* Capture::find(graph::NodeId node) const {
    for (const auto& n : nodes)
        if (n.node == node) return &n;
    return nullptr;
}

namespace {

// The attention a node's module computes, if it is an attention layer.
nn::MultiheadAttention* attention_of(nn::Module* m) {
    if (auto* mha = dynamic_cast<nn::MultiheadAttention*>(m)) return mha;
    if (auto* layer = dynamic_cast<nn::TransformerEncoderLayer*>(m)) return layer->self_attn.get();
    return nullptr;
}

}  // namespace

CaptureRecorder::CaptureRecorder(graph::Network& net) : net_(net) {
    hook_ = net_.add_forward_hook([this](graph::NodeId node, const Tensor& out) {
        Tensor kept = out;
        if (kept.requires_grad() && !kept.is_leaf()) kept.retain_grad();
        outputs_.emplace_back(node, std::move(kept));
    });
    for (const auto& step : net_.steps())
        if (nn::MultiheadAttention* a = attention_of(step.module.get())) {
            a->keep_weights = true;
            a->kept_weights = Tensor{};
            attention_.emplace_back(step.node, a);
        } else if (auto* lstm = dynamic_cast<nn::LSTM*>(step.module.get())) {
            lstm->keep_gates = true;
            lstm->kept_gates.clear();
            lstms_.emplace_back(step.node, lstm);
        }
}

CaptureRecorder::~CaptureRecorder() {
    net_.remove_forward_hook(hook_);
    for (auto& [node, a] : attention_) {
        a->keep_weights = false;
        a->kept_weights = Tensor{};
    }
    for (auto& [node, lstm] : lstms_) {
        lstm->keep_gates = false;
        lstm->kept_gates.clear();
    }
}

namespace {

// Captures go to the GUI thread: host copies, whatever device trains.
Tensor host_copy(const Tensor& t) {
    return t.device() == Device::cpu() ? t.detach().clone() : t.detach().to(Device::cpu());
}

double dead_fraction_of(const Tensor& output) {
    if (!output.defined() || output.dim() < 2 || output.size(0) == 0) return -1.0;
    const std::int64_t batch = output.size(0);
    const std::int64_t units = output.numel() / batch;
    if (units == 0) return -1.0;
    const std::vector<double> v = output.to_vector<double>();
    std::int64_t dead = 0;
    for (std::int64_t u = 0; u < units; ++u) {
        bool alive = false;
        for (std::int64_t b = 0; b < batch && !alive; ++b) alive = v[static_cast<std::size_t>(b * units + u)] != 0.0;
        dead += !alive;
    }
    return static_cast<double>(dead) / static_cast<double>(units);
}

}  // namespace

Capture CaptureRecorder::finish(double loss, std::int64_t batch_size) {
    NoGradGuard ng;
    Capture c;
    c.loss = loss;
    c.batch_size = batch_size;
    for (const auto& step : net_.steps()) {
        NodeCapture n;
        n.node = step.node;
        n.name = step.name;
        n.type = step.type;
        // The last output recorded for the node (a network runs each node once per forward).
        for (auto it = outputs_.rbegin(); it != outputs_.rend(); ++it)
            if (it->first == step.node) {
                n.output = host_copy(it->second);
                const Tensor g = it->second.grad();
                if (g.defined()) n.output_grad = host_copy(g);
                break;
            }
        n.activation = tensor_stats(n.output);
        n.gradient = tensor_stats(n.output_grad);
        if (step.type == "ReLU") n.dead_fraction = dead_fraction_of(n.output);
        double sq = 0.0;
        if (step.module)
            for (const auto& [name, p] : step.module->named_parameters()) {
                ParameterCapture pc;
                pc.name = name;
                pc.value = host_copy(p);
                const Tensor g = p.grad();
                if (g.defined()) {
                    pc.grad = host_copy(g);
                    const TensorStats gs = tensor_stats(pc.grad);
                    sq += gs.rms * gs.rms * static_cast<double>(gs.numel - gs.non_finite);
                }
                n.parameters.push_back(std::move(pc));
            }
        n.parameter_grad_norm = std::sqrt(sq);
        for (const auto& [node, a] : attention_)
            if (node == step.node && a->kept_weights.defined()) n.attention = host_copy(a->kept_weights);
        for (const auto& [node, lstm] : lstms_)
            if (node == step.node) n.gates = lstm->kept_gates;
        c.nodes.push_back(std::move(n));
    }
    outputs_.clear();
    return c;
}

Capture capture_batch(graph::Network& net, const data::Batch& batch) {
    net.zero_grad();
    CaptureRecorder recorder(net);
    // The batch goes where the network is.
    Device device = Device::cpu();
    for (const auto& p : net.parameters()) {
        device = p.device();
        break;
    }
    const nn::SequenceLengthsScope padding(batch.lengths);
    Tensor out = net.forward(batch.features.to(device));
    Tensor loss = net.loss(out, batch.targets.defined() ? batch.targets.to(device) : batch.targets);
    const double value = loss.item<double>();
    if (std::isfinite(value)) loss.backward();
    return recorder.finish(value, batch.size());
}

}  // namespace neura::train
