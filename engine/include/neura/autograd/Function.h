#pragma once
// How ops record themselves: record() makes a FunctionNode linking the outputs to the inputs' gradient
// edges (only when grad mode is on and an input requires grad); the op then saves what its backward
// needs and sets the backward formula, written with differentiable ops.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "neura/autograd/GradMode.h"
#include "neura/autograd/GradNode.h"

namespace neura::autograd {

using Grads = std::vector<Tensor>;
class FunctionNode;
using BackwardFn = std::function<Grads(const FunctionNode& self, const Grads& grad_outputs)>;

class FunctionNode final : public GradNode {
public:
    explicit FunctionNode(const char* name) : name_(name) {}
    std::string name() const override { return name_; }
    Grads apply(std::vector<Tensor>&& grad_outputs) override;
    void release_saved() override;

    // Saves t for backward; returns its index for saved().
    std::size_t save(const Tensor& t);
    Tensor saved(std::size_t i) const;
    // Whether input i needs a gradient (formulas skip the work otherwise).
    bool needs(std::size_t i) const { return i < next_edges.size() && next_edges[i].valid(); }

    BackwardFn backward;
    // The backward formula runs kernels that record no graph (conv, pooling and the norms through
    // oneDNN), so its result has no derivative of its own. Under create_graph the result then carries a
    // node that fails, naming this op, when a second derivative goes through it (PyTorch's
    // once_differentiable), rather than silently dropping the second-order terms.
    bool once_differentiable = false;

private:
    const char* name_;
    std::vector<SavedTensor> saved_;
    bool released_ = false;
};

bool any_requires_grad(const std::vector<Tensor>& inputs);
// The edge a gradient for t flows along: its grad_fn, its leaf accumulator, or none.
GradEdge gradient_edge(const Tensor& t);

// Returns null when nothing needs recording.
std::shared_ptr<FunctionNode> record(const char* name, const std::vector<Tensor>& inputs,
                                     const std::vector<Tensor>& outputs);

}  // namespace neura::autograd
