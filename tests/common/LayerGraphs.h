#pragma once
// Small networks, one per layer type, for the exporters' tests (tests/onnx, tests/export): a graph
// builder, attribute shorthands, random inputs and a few training steps so exported weights are not the
// initial ones. Each test keeps its own list of cases.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "neura/autograd/GradMode.h"
#include "neura/core/Generator.h"
#include "neura/core/Tensor.h"
#include "neura/graph/ModelGraph.h"
#include "neura/graph/Network.h"
#include "neura/optim/Optimizer.h"
#include "neura/train/Experiment.h"

namespace neura::test {

class GraphBuilder {
public:
    explicit GraphBuilder(const Shape& input) {
        last_ = g_.add_node("Input", "input", {{"shape", graph::AttributeValue(std::vector<std::int64_t>(input))}});
    }
    graph::NodeId input() const { return g_.find_node("input"); }
    // Adds a node fed by `from` (the last node added when empty), one per input port.
    graph::NodeId add(const std::string& type, const std::string& name, graph::AttributeMap attrs = {},
                      std::vector<graph::NodeId> from = {}) {
        const graph::NodeId id = g_.add_node(type, name, std::move(attrs));
        if (from.empty()) from = {last_};
        for (std::size_t p = 0; p < from.size(); ++p)
            g_.add_edge({from[p], graph::PortIndex{0}}, {id, graph::PortIndex{static_cast<graph::PortIndex::Rep>(p)}});
        last_ = id;
        return id;
    }
    graph::ModelGraph done() {
        add("Loss", "loss", {{"type", graph::AttributeValue(std::string("MSELoss"))}});
        return g_;
    }

private:
    graph::ModelGraph g_;
    graph::NodeId last_;
};

inline graph::AttributeValue i(std::int64_t v) { return graph::AttributeValue(v); }
inline graph::AttributeValue f(double v) { return graph::AttributeValue(v); }
inline graph::AttributeValue b(bool v) { return graph::AttributeValue(v); }
inline graph::AttributeValue l(std::vector<std::int64_t> v) { return graph::AttributeValue(std::move(v)); }
inline graph::AttributeValue s(const char* v) { return graph::AttributeValue(std::string(v)); }

struct LayerCase {
    std::string name;
    std::function<graph::ModelGraph()> graph;
    std::int64_t index_high = 0;  // > 0: inputs are integer indices in [0, index_high)
};

inline Tensor random_input(const Shape& per_sample, std::int64_t batch, std::int64_t index_high, Generator& gen) {
    Shape sh = {batch};
    sh.insert(sh.end(), per_sample.begin(), per_sample.end());
    if (index_high > 0) return Tensor::randint(0, index_high, sh, &gen).to(DType::F32);
    return Tensor::randn(sh, DType::F32, &gen).mul_(2.0);
}

// A few Adam steps towards random targets (and train-mode forwards for BatchNorm's running statistics),
// so the exported weights are not the initial ones.
inline void train_a_little(graph::Network& net, std::int64_t index_high, Generator& gen) {
    net.train();
    const auto params = net.parameters();
    std::unique_ptr<optim::Optimizer> opt;
    if (!params.empty()) {
        train::TrainConfig cfg;
        cfg.optimizer = "Adam";
        cfg.lr = 0.05;
        opt = train::make_optimizer(cfg, params);
    }
    for (int step = 0; step < 6; ++step) {
        const Tensor x = random_input(net.input_shape(), 8, index_high, gen);
        if (!opt) {
            NoGradGuard ng;
            net.forward(x);
            continue;
        }
        const Tensor y = net.forward(x);
        opt->zero_grad();
        net.loss(y, Tensor::randn(y.shape(), DType::F32, &gen)).backward();
        opt->step();
    }
    net.eval();
}

}  // namespace neura::test
