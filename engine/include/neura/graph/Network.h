#pragma once
// Network: a compiled ModelGraph — the modules of the nodes between the Input and the Loss, run in
// topological order. forward() returns the tensor feeding the Loss node; loss() applies the Loss.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "neura/core/Generator.h"
#include "neura/core/Tensor.h"
#include "neura/graph/LayerRegistry.h"
#include "neura/graph/ModelGraph.h"
#include "neura/nn/Module.h"

namespace neura::nn {
class Loss;  // neura/nn/Loss.h
}
namespace neura::plan {
class TrainingPlan;  // neura/plan/TrainingPlan.h
class FlatParameters;
}

namespace neura::graph {

// The loss a Loss node's attributes give: its `type` looked up in nn::loss_kinds(), the other
// attributes (reduction, delta, label_smoothing) as its settings, defaults filled in. Throws
// neura::Error for an unknown type.
std::shared_ptr<nn::Loss> make_loss(const AttributeMap& attributes);

class Network {
public:
    // Called after each node's forward (the Input's too) with the node's output; the GUI colours
    // nodes with it, the trainer finds the first node whose output holds a NaN.
    using ForwardHook = std::function<void(NodeId node, const Tensor& output)>;
    using HookHandle = std::uint64_t;
    using LossFunction = std::function<Tensor(const Tensor& output, const Tensor& target)>;

    struct Step {
        NodeId node;
        std::string type;
        std::string name;
        std::shared_ptr<nn::Module> module;    // null for the Input
        std::vector<std::size_t> input_steps;  // producing steps, in input-port order
        std::vector<PortKind> input_kinds;
        Shape output_shape;                    // per sample
    };

    Network();
    ~Network();
    Network(Network&&) noexcept;
    Network& operator=(Network&&) noexcept;

    // batch_input: [B, ...input_shape()]; throws neura::Error naming both shapes otherwise.
    Tensor forward(const Tensor& batch_input);
    Tensor loss(const Tensor& output, const Tensor& target) const;

    // One training step's forward, loss and backward: every parameter's .grad holds this batch's gradient
    // (what zero_grad(); loss(forward(input), target).backward() leaves), and the output and the 0-d loss
    // come back. In training mode with gradients on and no forward hook, it runs through a compiled
    // training plan (neura/plan/TrainingPlan.h; one per batch shape, kept), whose gradients equal autograd's;
    // otherwise (eval mode, hooks: the inspector's captures, plan_enabled false) through autograd. The plan's
    // output is a view of its buffers, valid until the next step. The first plan makes the parameters views
    // of one flat buffer (their tensors stay the same objects).
    struct StepResult {
        Tensor output, loss;
    };
    StepResult train_step(const Tensor& input, const Tensor& target);
    void set_plan_enabled(bool on) { plan_enabled_ = on; }  // default on; NEURA_PLAN=0 turns it off
    bool plan_enabled() const { return plan_enabled_; }
    // The plan the last train_step ran through; null when it ran through autograd.
    const plan::TrainingPlan* last_plan() const { return last_plan_; }
    const LossFunction& loss_function() const { return loss_; }
    const std::shared_ptr<nn::Loss>& loss_module() const { return loss_module_; }

    std::vector<Tensor> parameters() const;
    // "<node name>.<module parameter name>" in step order: "fc1.weight", "fc1.bias", ...
    std::vector<std::pair<std::string, Tensor>> named_parameters() const;
    std::vector<std::pair<std::string, Tensor>> named_buffers() const;  // "bn1.running_mean", ...
    std::int64_t parameter_count() const;
    void train(bool on = true);
    void eval() { train(false); }
    bool is_training() const { return training_; }
    void zero_grad();
    void to(DType dtype);
    void to(Device device);  // moves every module's parameters and buffers (see Module::to)

    HookHandle add_forward_hook(ForwardHook hook);
    bool remove_forward_hook(HookHandle handle);

    const std::vector<Step>& steps() const { return steps_; }  // topological order, the Input first
    std::shared_ptr<nn::Module> module(NodeId node) const;     // null for Input or an unknown node
    std::string node_name(NodeId node) const;                  // "" for an unknown node
    const Shape& input_shape() const { return input_shape_; }
    const Shape& output_shape() const { return steps_.back().output_shape; }
    NodeId input_node() const { return steps_.front().node; }
    NodeId output_node() const { return steps_.back().node; }  // the node feeding the Loss
    NodeId loss_node() const { return loss_node_; }
    const std::string& loss_type() const { return loss_type_; }

private:
    friend Network compile(const ModelGraph&, std::uint64_t, const LayerRegistry&);

    std::vector<Step> steps_;
    Shape input_shape_;
    NodeId loss_node_;
    std::string loss_type_;
    LossFunction loss_;
    std::shared_ptr<nn::Loss> loss_module_;
    std::shared_ptr<plan::FlatParameters> flat_;
    std::vector<std::unique_ptr<plan::TrainingPlan>> plans_;  // most recently used last
    const plan::TrainingPlan* last_plan_ = nullptr;
    bool plan_enabled_ = true;
    std::unique_ptr<Generator> gen_;  // initialization and Dropout; heap-held so modules' pointers survive moves
    std::vector<std::pair<HookHandle, ForwardHook>> hooks_;
    HookHandle next_hook_ = 1;
    bool training_ = true;
};

// Validates the graph and builds a module per node that the Loss depends on (others are left out),
// initialized from `seed`. Throws neura::Error with the first error diagnostic (see describe()).
Network compile(const ModelGraph& graph, std::uint64_t seed,
                const LayerRegistry& registry = LayerRegistry::instance());

}  // namespace neura::graph
