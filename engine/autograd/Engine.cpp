// Runs backward passes: dependency counts over the graph, then nodes in topological order, each
// node's incoming gradients summed in a buffer before it runs.
#include <algorithm>
#include <map>
#include <queue>
#include <unordered_map>

#include "autograd/Function.h"
#include "neura/autograd/Autograd.h"
#include "neura/ops/Ops.h"

namespace neura::autograd {
namespace {

struct Capture {
    GradNode* node;
    std::uint32_t input_nr;
    std::size_t slot;
};

struct ReadyOrder {  // later-created nodes first, as PyTorch does
    bool operator()(const GradNode* a, const GradNode* b) const { return a->sequence_nr < b->sequence_nr; }
};

void accumulate(Tensor& slot, Tensor g) {
    slot = slot.defined() ? slot + g : std::move(g);
}

// Returns the gradients at the captures (empty when none were asked for).
std::vector<Tensor> run(const std::vector<GradEdge>& roots, const std::vector<Tensor>& root_grads, bool keep_graph,
                        bool create_graph, const std::vector<Capture>& captures) {
    EnableGradGuard mode(create_graph);
    const bool accumulate_into_leaves = captures.empty();

    // Dependency counts: how many edges point at each node.
    std::unordered_map<GradNode*, int> deps;
    std::vector<GradNode*> stack;
    for (const auto& e : roots)
        if (e.valid() && deps.emplace(e.node.get(), 0).second) stack.push_back(e.node.get());
    while (!stack.empty()) {
        GradNode* n = stack.back();
        stack.pop_back();
        for (const auto& e : n->next_edges) {
            if (!e.valid()) continue;
            auto [it, inserted] = deps.emplace(e.node.get(), 0);
            ++it->second;
            if (inserted) stack.push_back(e.node.get());
        }
    }

    std::unordered_map<GradNode*, std::vector<Tensor>> buffers;
    auto buffer_of = [&](GradNode* n) -> std::vector<Tensor>& {
        auto& b = buffers[n];
        if (b.empty()) b.resize(n->num_outputs);
        return b;
    };
    for (std::size_t i = 0; i < roots.size(); ++i)
        if (roots[i].valid()) accumulate(buffer_of(roots[i].node.get())[roots[i].input_nr], root_grads[i]);

    std::vector<Tensor> captured(captures.size());
    std::priority_queue<GradNode*, std::vector<GradNode*>, ReadyOrder> ready;
    for (auto& [n, d] : deps)
        if (d == 0) ready.push(n);

    while (!ready.empty()) {
        GradNode* node = ready.top();
        ready.pop();
        std::vector<Tensor> grads = std::move(buffer_of(node));
        buffers.erase(node);
        for (std::uint32_t i = 0; i < grads.size(); ++i) {
            if (!grads[i].defined()) {
                grads[i] = Tensor::zeros(node->output_shapes.at(i), node->output_dtypes.at(i),
                                         node->output_devices.at(i));
            }
        }
        for (const auto& [nr, weak] : node->retained_outputs)
            if (auto impl = weak.lock()) {
                Tensor t(impl);
                Tensor old = t.grad();
                t.set_grad(old.defined() ? old + grads[nr] : grads[nr].detach().clone());
            }
        for (const auto& c : captures)
            if (c.node == node) captured[c.slot] = grads[c.input_nr];

        std::vector<Tensor> outs;
        const bool is_leaf_sink = dynamic_cast<AccumulateGrad*>(node) != nullptr;
        if (!is_leaf_sink || accumulate_into_leaves) {
            outs = node->apply(std::move(grads));
            if (!keep_graph) node->release_saved();
        }
        NEURA_CHECK(outs.empty() || outs.size() == node->next_edges.size(), node->name(), " returned ",
                    outs.size(), " gradients for ", node->next_edges.size(), " inputs");
        for (std::size_t i = 0; i < node->next_edges.size(); ++i) {
            const GradEdge& e = node->next_edges[i];
            if (!e.valid()) continue;
            if (i < outs.size() && outs[i].defined()) {
                const Shape& expected = e.node->output_shapes.at(e.input_nr);
                NEURA_CHECK(outs[i].shape() == expected, node->name(), " produced a gradient of shape ",
                            shape_str(outs[i].shape()), " for input ", i, ", which has shape ", shape_str(expected));
                Tensor g = outs[i];
                if (g.dtype() != e.node->output_dtypes.at(e.input_nr)) g = g.to(e.node->output_dtypes.at(e.input_nr));
                accumulate(buffer_of(e.node.get())[e.input_nr], std::move(g));
            }
            if (--deps[e.node.get()] == 0) ready.push(e.node.get());
        }
    }
    return captured;
}

void check_roots(const std::vector<Tensor>& outputs, std::vector<Tensor>& grads, std::vector<GradEdge>& roots) {
    NEURA_CHECK(grads.empty() || grads.size() == outputs.size(), "backward: got ", grads.size(),
                " gradients for ", outputs.size(), " outputs");
    grads.resize(outputs.size());
    for (std::size_t i = 0; i < outputs.size(); ++i) {
        const Tensor& out = outputs[i];
        NEURA_CHECK(out.defined(), "backward: output ", i, " is undefined");
        NEURA_CHECK(out.requires_grad(), "backward: output ", i,
                    " does not require grad and has no grad_fn (was it computed under NoGradGuard, or from "
                    "tensors that do not require grad?)");
        if (!grads[i].defined()) {
            NEURA_CHECK(out.numel() == 1, "backward: a gradient can be created implicitly only for scalar outputs; "
                                          "output ", i, " has shape ", shape_str(out.shape()));
            grads[i] = Tensor::ones(out.shape(), out.dtype(), out.device());
        }
        NEURA_CHECK(grads[i].shape() == out.shape(), "backward: gradient of shape ", shape_str(grads[i].shape()),
                    " does not match output ", i, " of shape ", shape_str(out.shape()));
        roots.push_back(gradient_edge(out));
    }
}

}  // namespace

void backward(const std::vector<Tensor>& outputs, const std::vector<Tensor>& grad_outputs, bool retain_graph,
              bool create_graph) {
    std::vector<Tensor> grads = grad_outputs;
    std::vector<GradEdge> roots;
    check_roots(outputs, grads, roots);
    run(roots, grads, retain_graph || create_graph, create_graph, {});
}

std::vector<Tensor> grad(const std::vector<Tensor>& outputs, const std::vector<Tensor>& inputs,
                         const std::vector<Tensor>& grad_outputs, bool retain_graph, bool create_graph,
                         bool allow_unused) {
    std::vector<Tensor> grads = grad_outputs;
    std::vector<GradEdge> roots;
    check_roots(outputs, grads, roots);
    std::vector<Capture> captures;
    std::vector<GradEdge> keep_alive;
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        NEURA_CHECK(inputs[i].defined() && inputs[i].requires_grad(), "grad: input ", i, " does not require grad");
        GradEdge e = gradient_edge(inputs[i]);
        keep_alive.push_back(e);
        captures.push_back({e.node.get(), e.input_nr, i});
    }
    auto result = run(roots, grads, retain_graph || create_graph, create_graph, captures);
    for (std::size_t i = 0; i < result.size(); ++i)
        NEURA_CHECK(result[i].defined() || allow_unused, "grad: input ", i,
                    " was not used to compute the outputs (pass allow_unused=true to get an undefined tensor)");
    return result;
}

}  // namespace neura::autograd
