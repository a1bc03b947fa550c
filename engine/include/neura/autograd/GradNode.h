#pragma once
// The autograd graph: a GradNode per recorded op, GradEdges to the nodes that produced its inputs.
// (Not the model graph: that one's graph::Node and graph::Edge are layers and connections,
// neura/graph/ModelGraph.h.)
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "neura/core/Tensor.h"

namespace neura {

struct GradEdge {
    std::shared_ptr<GradNode> node;  // null: that input needs no gradient
    std::uint32_t input_nr = 0;  // which output of `node` the gradient belongs to
    bool valid() const { return static_cast<bool>(node); }
};

// A tensor kept for backward. Records the version at save time; reading it after an in-place write
// throws. An op's own output is kept without a strong reference back to the node (no cycle).
class SavedTensor {
public:
    SavedTensor() = default;
    SavedTensor(const Tensor& t, bool is_output);
    Tensor unpack(const std::shared_ptr<GradNode>& owner) const;
    void reset() { data_ = Tensor(); was_defined_ = false; released_ = true; }
    bool defined() const { return was_defined_; }

private:
    Tensor data_;  // the tensor itself (input) or its detached data (output)
    bool is_output_ = false;
    bool was_defined_ = false;
    bool released_ = false;
    bool requires_grad_ = false;
    std::uint32_t output_nr_ = 0;
    std::uint32_t version_ = 0;
};

class GradNode : public std::enable_shared_from_this<GradNode> {
public:
    virtual ~GradNode() = default;
    virtual std::string name() const = 0;
    // Gradients of the inputs (one per next edge; undefined where none) from the outputs' gradients.
    virtual std::vector<Tensor> apply(std::vector<Tensor>&& grad_outputs) = 0;
    virtual void release_saved() {}

    std::vector<GradEdge> next_edges;
    std::uint32_t num_outputs = 1;
    std::vector<Shape> output_shapes;  // for clear errors and for undefined gradients
    std::vector<DType> output_dtypes;
    std::vector<Device> output_devices;  // where undefined gradients are created as zeros
    std::uint64_t sequence_nr = 0;     // creation order: later nodes run first on ties
    // Non-leaf outputs that asked for retain_grad(): their gradient is stored when this node runs.
    std::vector<std::pair<std::uint32_t, std::weak_ptr<TensorImpl>>> retained_outputs;
};

// The gradient sink of a leaf: adds what reaches it into the leaf's .grad().
class AccumulateGrad : public GradNode {
public:
    explicit AccumulateGrad(std::shared_ptr<TensorImpl> leaf) : leaf_(std::move(leaf)) {}
    std::string name() const override { return "AccumulateGrad"; }
    std::vector<Tensor> apply(std::vector<Tensor>&& grads) override;
    const std::shared_ptr<TensorImpl>& leaf() const { return leaf_; }

private:
    std::shared_ptr<TensorImpl> leaf_;
};

struct AutogradMeta {
    bool requires_grad = false;
    bool retains_grad = false;
    Tensor grad;
    std::shared_ptr<GradNode> grad_fn;
    std::uint32_t output_nr = 0;
    std::weak_ptr<AccumulateGrad> grad_accumulator;
};

}  // namespace neura
