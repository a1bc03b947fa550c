#include "neura/graph/Network.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <set>

#include "Analysis.h"
#include "neura/core/Error.h"
#include "neura/autograd/GradMode.h"
#include "neura/nn/Loss.h"
#include "neura/plan/TrainingPlan.h"

namespace neura::graph {

namespace {
// NEURA_PLAN=0 trains every network through autograd (for comparisons); anything else keeps the plan.
bool plan_default() {
    const char* v = std::getenv("NEURA_PLAN");
    return !(v && std::strcmp(v, "0") == 0);
}
constexpr std::size_t kKeptPlans = 3;  // the full batch, the last short one, and one more
}  // namespace

Network::Network() : plan_enabled_(plan_default()) {}
Network::~Network() = default;
Network::Network(Network&&) noexcept = default;
Network& Network::operator=(Network&&) noexcept = default;

Network compile(const ModelGraph& graph, std::uint64_t seed, const LayerRegistry& registry) {
    const detail::Analysis a = detail::analyze(graph, registry);
    for (const Diagnostic& d : a.diagnostics)
        if (d.severity == Severity::Error) throw Error("cannot compile the model: " + describe(graph, d));

    const NodeId input = graph.nodes_of_type("Input").front();
    const NodeId loss = graph.nodes_of_type("Loss").front();
    auto producer = [&](NodeId n, std::size_t port) { return graph.edge(a.inputs.at(n).at(port)).from.node; };

    // Only what the Loss depends on runs.
    std::set<NodeId> needed;
    std::vector<NodeId> stack = {producer(loss, 0)};
    while (!stack.empty()) {
        const NodeId n = stack.back();
        stack.pop_back();
        if (!needed.insert(n).second) continue;
        for (EdgeId e : a.inputs.at(n)) stack.push_back(graph.edge(e).from.node);
    }
    NEURA_CHECK(needed.count(input), "cannot compile the model: the Loss does not depend on the Input node '",
                graph.node(input).name, "'");

    Network net;
    net.gen_ = std::make_unique<Generator>(seed);
    net.loss_node_ = loss;
    net.input_shape_ = a.shapes.nodes.at(input).outputs.at(0);
    std::map<NodeId, std::size_t> step_of;
    for (NodeId id : a.order) {
        if (!needed.count(id)) continue;
        const Node& node = graph.node(id);
        const LayerDescriptor& d = registry.at(node.type);
        const NodeShapes& shapes = a.shapes.nodes.at(id);
        NEURA_CHECK(d.outputs.size() == 1, "cannot compile the model: node '", node.name, "' (", node.type, ") has ",
                    d.outputs.size(), " outputs; compiled layers have one");
        Network::Step step;
        step.node = id;
        step.type = node.type;
        step.name = node.name;
        step.output_shape = shapes.outputs.at(0);
        for (std::size_t p = 0; p < a.inputs.at(id).size(); ++p) {
            step.input_steps.push_back(step_of.at(producer(id, p)));
            step.input_kinds.push_back(d.input_port(p).kind);
        }
        if (id != input) {
            NEURA_CHECK(static_cast<bool>(d.build), "cannot compile the model: layer type ", node.type,
                        " cannot be built (it has no module builder)");
            step.module = d.build(a.attributes.at(id), shapes.inputs, *net.gen_);
            NEURA_CHECK(step.module, "cannot compile the model: building node '", node.name, "' (", node.type,
                        ") gave no module");
        }
        step_of[id] = net.steps_.size();
        net.steps_.push_back(std::move(step));
    }
    // The Loss's producer depends on every other needed node, so it comes last.
    NEURA_CHECK(net.steps_.back().node == producer(loss, 0), "compile: internal error in the node order");

    const AttributeMap& loss_attrs = a.attributes.at(loss);
    net.loss_type_ = choice_attribute(loss_attrs, "type");
    const nn::LossKind* kind = nn::find_loss_kind(net.loss_type_);
    net.loss_module_ = make_loss(loss_attrs);
    net.loss_ = [loss_fn = net.loss_module_, class_scores = kind && kind->class_scores](const Tensor& output,
                                                                                           const Tensor& target) {
        // The graph keeps features last, so a sequence model's scores are [B, T, C] for class targets
        // [B, T]; PyTorch's losses take the classes at dim 1 ([B, C, T]), as `logits.transpose(1, 2)`.
        if (class_scores && output.dim() >= 3 && target.dtype() == DType::I64 &&
            Shape(output.shape().begin(), output.shape().end() - 1) == target.shape()) {
            std::vector<std::int64_t> dims = {0, output.dim() - 1};
            for (std::int64_t d = 1; d < output.dim() - 1; ++d) dims.push_back(d);
            return loss_fn->forward(output.permute(dims), target);
        }
        return loss_fn->forward(output, target);
    };
    return net;
}

Tensor Network::forward(const Tensor& batch_input) {
    NEURA_CHECK(!steps_.empty(), "Network::forward: the network is empty (not compiled)");
    const Shape& x = batch_input.shape();
    NEURA_CHECK(x.size() == input_shape_.size() + 1 && std::equal(input_shape_.begin(), input_shape_.end(), x.begin() + 1),
                "Network::forward: the model takes batches of shape [B, ", shape_str(input_shape_).substr(1),
                " (per sample ", shape_str(input_shape_), "), got ", shape_str(x));
    std::vector<Tensor> out(steps_.size());
    std::vector<Tensor> inputs;
    for (std::size_t i = 0; i < steps_.size(); ++i) {
        const Step& s = steps_[i];
        if (!s.module) {
            out[i] = batch_input;
        } else {
            inputs.clear();
            for (std::size_t p = 0; p < s.input_steps.size(); ++p) {
                Tensor t = out[s.input_steps[p]];
                if (s.input_kinds[p] == PortKind::Indices && t.dtype() != DType::I64) t = t.to(DType::I64);
                inputs.push_back(std::move(t));
            }
            out[i] = inputs.size() == 1 ? s.module->forward(inputs[0]) : s.module->forward(inputs);
        }
        for (const auto& [_, hook] : hooks_) hook(s.node, out[i]);
    }
    return out.back();
}

Tensor Network::loss(const Tensor& output, const Tensor& target) const {
    NEURA_CHECK(static_cast<bool>(loss_), "Network::loss: the network is empty (not compiled)");
    return loss_(output, target);
}

Network::StepResult Network::train_step(const Tensor& input, const Tensor& target) {
    last_plan_ = nullptr;
    if (plan_enabled_ && training_ && hooks_.empty() && GradMode::is_enabled() && !steps_.empty()) {
        plan::TrainingPlan* chosen = nullptr;
        try {
            if (!flat_ || !flat_->intact()) {
                plans_.clear();
                flat_.reset();
                const std::vector<Tensor> params = parameters();
                if (!params.empty()) flat_ = std::make_shared<plan::FlatParameters>(params);
            }
            if (flat_) {
                for (auto it = plans_.begin(); it != plans_.end(); ++it)
                    if ((*it)->fits(input, target)) {
                        std::rotate(it, it + 1, plans_.end());  // most recently used last
                        chosen = plans_.back().get();
                        break;
                    }
                if (!chosen) {
                    auto made = std::make_unique<plan::TrainingPlan>(*this, flat_, input, target);
                    if (plans_.size() >= kKeptPlans) plans_.erase(plans_.begin());
                    plans_.push_back(std::move(made));
                    chosen = plans_.back().get();
                }
            }
        } catch (const Error& e) {
            if (std::getenv("NEURA_PLAN_DEBUG")) std::fprintf(stderr, "plan: %s\n", e.what());
            chosen = nullptr;  // a batch the plan cannot take: autograd below gives the error or the answer
        }
        if (chosen) {
            const plan::TrainingPlan::Result r = chosen->step(input, target);
            last_plan_ = chosen;
            return {r.output, r.loss};
        }
    }
    zero_grad();
    Tensor out = forward(input);
    Tensor l = loss(out, target);
    if (l.requires_grad()) l.backward();
    return {out, l};
}

std::vector<std::pair<std::string, Tensor>> Network::named_parameters() const {
    std::vector<std::pair<std::string, Tensor>> out;
    for (const Step& s : steps_)
        if (s.module)
            for (auto& [name, t] : s.module->named_parameters()) out.emplace_back(s.name + "." + name, t);
    return out;
}

std::vector<Tensor> Network::parameters() const {
    std::vector<Tensor> out;
    for (auto& [_, t] : named_parameters()) out.push_back(t);
    return out;
}

std::vector<std::pair<std::string, Tensor>> Network::named_buffers() const {
    std::vector<std::pair<std::string, Tensor>> out;
    for (const Step& s : steps_)
        if (s.module)
            for (auto& [name, t] : s.module->named_buffers()) out.emplace_back(s.name + "." + name, t);
    return out;
}

std::int64_t Network::parameter_count() const {
    std::int64_t n = 0;
    for (const Tensor& t : parameters()) n += t.numel();
    return n;
}

void Network::train(bool on) {
    training_ = on;
    for (const Step& s : steps_)
        if (s.module) s.module->train(on);
}

void Network::zero_grad() {
    for (const Step& s : steps_)
        if (s.module) s.module->zero_grad();
}

void Network::to(DType dtype) {
    for (const Step& s : steps_)
        if (s.module) s.module->to(dtype);
}

void Network::to(Device device) {
    check_device(device);
    for (const Step& s : steps_)
        if (s.module) s.module->to(device);
}

Network::HookHandle Network::add_forward_hook(ForwardHook hook) {
    hooks_.emplace_back(next_hook_, std::move(hook));
    return next_hook_++;
}

bool Network::remove_forward_hook(HookHandle handle) {
    return std::erase_if(hooks_, [handle](const auto& h) { return h.first == handle; }) != 0;
}

std::shared_ptr<nn::Module> Network::module(NodeId node) const {
    for (const Step& s : steps_)
        if (s.node == node) return s.module;
    return nullptr;
}

std::string Network::node_name(NodeId node) const {
    for (const Step& s : steps_)
        if (s.node == node) return s.name;
    return {};
}

}  // namespace neura::graph
