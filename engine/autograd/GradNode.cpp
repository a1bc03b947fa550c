#include "neura/autograd/GradNode.h"

#include <atomic>

#include "autograd/Function.h"
#include "neura/ops/Ops.h"

namespace neura {

SavedTensor::SavedTensor(const Tensor& t, bool is_output) : is_output_(is_output), was_defined_(t.defined()) {
    if (!t.defined()) return;
    version_ = t.version();
    requires_grad_ = t.requires_grad();
    output_nr_ = t.output_nr();
    data_ = is_output ? t.detach() : t;  // an output must not own its own grad_fn
}

Tensor SavedTensor::unpack(const std::shared_ptr<GradNode>& owner) const {
    NEURA_CHECK(!released_,
                "Trying to backward through the graph a second time (or to read saved tensors after they were "
                "freed). Pass retain_graph=true to the first backward if you need to backward twice.");
    if (!was_defined_) return {};
    NEURA_CHECK(data_.version() == version_,
                "one of the tensors needed for gradient computation has been modified by an in-place operation: ",
                owner ? owner->name() : std::string("a node"), " saved a tensor of shape ", shape_str(data_.shape()),
                " at version ", version_, ", and it is now at version ", data_.version(),
                ". Use an out-of-place op or clone() the tensor before modifying it.");
    if (!is_output_) return data_;
    // Rebuild the output with its grad_fn so double backward flows through the owner node.
    auto impl = std::make_shared<TensorImpl>(data_.storage(), data_.shape(), data_.strides(), data_.offset(),
                                             data_.dtype());
    Tensor out(impl);
    if (requires_grad_) {
        impl->autograd = std::make_unique<AutogradMeta>();
        impl->autograd->requires_grad = true;
        impl->autograd->grad_fn = owner;
        impl->autograd->output_nr = output_nr_;
    }
    return out;
}

std::vector<Tensor> AccumulateGrad::apply(std::vector<Tensor>&& grads) {
    Tensor leaf(leaf_);
    Tensor g = std::move(grads.at(0));
    if (!g.defined()) return {};
    Tensor old = leaf.grad();
    if (GradMode::is_enabled()) {
        // create_graph: keep the history of the gradient so it can be differentiated again.
        leaf.set_grad(old.defined() ? old + g : g);
    } else if (!old.defined()) {
        leaf.set_grad(g.clone());  // own memory: g may be a broadcast view or another tensor's buffer
    } else if (old.requires_grad()) {
        leaf.set_grad(old.detach() + g);  // the old grad came from create_graph: do not write into it
    } else {
        old.add_(g);
    }
    return {};
}

namespace autograd {
namespace {
std::atomic<std::uint64_t> g_sequence{0};
}

namespace {
// Makes `node` the grad_fn of each floating output.
void attach_outputs(const std::shared_ptr<FunctionNode>& node, const std::vector<Tensor>& outputs) {
    node->num_outputs = static_cast<std::uint32_t>(outputs.size());
    for (std::uint32_t i = 0; i < outputs.size(); ++i) {
        const Tensor& out = outputs[i];
        if (!out.defined()) {  // a gradient a first-order-only formula did not compute
            node->output_shapes.emplace_back();
            node->output_dtypes.push_back(DType::F32);
            node->output_devices.emplace_back();
            continue;
        }
        node->output_shapes.push_back(out.shape());
        node->output_dtypes.push_back(out.dtype());
        node->output_devices.push_back(out.device());
        if (!is_floating(out.dtype())) continue;  // integer outputs (indices) carry no gradient
        auto& meta = out.unsafe_impl()->autograd;
        if (!meta) meta = std::make_unique<AutogradMeta>();
        meta->requires_grad = true;
        meta->grad_fn = node;
        meta->output_nr = i;
    }
}
}  // namespace

Grads FunctionNode::apply(std::vector<Tensor>&& grad_outputs) {
    NEURA_CHECK(backward, name_, " has no backward formula");
    if (!once_differentiable || !GradMode::is_enabled()) return backward(*this, grad_outputs);
    Grads result;
    {
        NoGradGuard no_grad;
        result = backward(*this, grad_outputs);
    }
    // The gradients depend on this node's inputs and on the incoming gradients; a backward through them
    // reaches this error.
    auto error = std::make_shared<FunctionNode>(name_);
    error->sequence_nr = g_sequence.fetch_add(1);
    error->next_edges = next_edges;
    for (const Tensor& g : grad_outputs) error->next_edges.push_back(gradient_edge(g));
    error->backward = [op = std::string(name_)](const FunctionNode&, const Grads&) -> Grads {
        throw Error(op + " is differentiable once only: its backward runs kernels that record no graph, so a "
                         "second derivative through it (double backward, create_graph) is not available");
    };
    std::vector<Tensor> defined;
    for (const Tensor& r : result) defined.push_back(r.defined() ? r : Tensor());
    attach_outputs(error, defined);
    return result;
}

void FunctionNode::release_saved() {
    for (auto& s : saved_) s.reset();
    released_ = true;
}

std::size_t FunctionNode::save(const Tensor& t) {
    const bool is_output = t.defined() && t.grad_fn().get() == this;
    saved_.emplace_back(t, is_output);
    return saved_.size() - 1;
}

Tensor FunctionNode::saved(std::size_t i) const {
    return saved_.at(i).unpack(std::const_pointer_cast<GradNode>(shared_from_this()));
}

bool any_requires_grad(const std::vector<Tensor>& inputs) {
    for (const auto& t : inputs)
        if (t.defined() && t.requires_grad()) return true;
    return false;
}

GradEdge gradient_edge(const Tensor& t) {
    if (!t.defined() || !t.requires_grad()) return {};
    auto* meta = t.unsafe_impl()->autograd.get();
    if (meta->grad_fn) return {meta->grad_fn, meta->output_nr};
    auto acc = meta->grad_accumulator.lock();
    if (!acc) {
        acc = std::make_shared<AccumulateGrad>(t.impl_ptr());
        acc->output_shapes = {t.shape()};
        acc->output_dtypes = {t.dtype()};
        acc->output_devices = {t.device()};
        meta->grad_accumulator = acc;
    }
    return {acc, 0};
}

std::shared_ptr<FunctionNode> record(const char* name, const std::vector<Tensor>& inputs,
                                     const std::vector<Tensor>& outputs) {
    if (!GradMode::is_enabled() || !any_requires_grad(inputs)) return nullptr;
    auto node = std::make_shared<FunctionNode>(name);
    node->sequence_nr = g_sequence.fetch_add(1);
    node->next_edges.reserve(inputs.size());
    for (const auto& in : inputs) node->next_edges.push_back(gradient_edge(in));
    attach_outputs(node, outputs);
    return node;
}

}  // namespace autograd
}  // namespace neura
