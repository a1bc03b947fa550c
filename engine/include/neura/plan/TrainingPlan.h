#pragma once
// The compiled training plan: a Network's graph is static, so one training step (forward, loss, backward)
// is compiled once per (batch shape, dtype, device) into a fixed list of kernel calls over preallocated
// buffers, instead of the dynamic autograd tape that records nodes and allocates tensors on every step.
//
// - Native steps call the op table's kernels directly (any device whose column has them): Linear (matmul,
//   bias), Conv2d, MaxPool2d, Flatten (a view), ReLU / Tanh / Sigmoid. A Linear or Conv2d followed by its
//   only consumer ReLU / Tanh / Sigmoid runs as one fused step (the activation applied in place, its
//   backward folded into the layer's). CrossEntropyLoss over [N, C] logits is one fused softmax + loss +
//   gradient kernel where the device has it.
// - Every other layer (recurrent, attention, normalization, dropout, plugins, ...) runs as an island: its
//   module's forward under autograd on a detached input, its backward through autograd from the plan's
//   gradient buffer. So every network compiles, and islands keep their exact semantics (random streams,
//   running statistics, sequence-length scopes).
// - Memory plan: activations and gradients are views of one arena allocated at compile time; gradient
//   buffers are shared between steps whose lifetimes do not overlap. The steady state allocates nothing
//   for native steps.
// - Threads: OpenMP's one persistent team; the plan runs each native step whose work (multiply-adds,
//   elements) is below what a parallel region costs on the calling thread alone. The others it times both
//   ways for a few steps every 200 and keeps the faster (a busy second core makes the team slower).
// - On a GPU, a plan made only of native steps and the fused loss is captured as a CUDA graph after one
//   warm-up step and replayed from then on (the batch copied into the plan's buffers first).
// - Parameters: every parameter of the network becomes a view of one flat buffer (its tensors keep their
//   identity: the modules', the optimizer's and the caller's handles see the flat storage), and the plan
//   writes the gradients into one flat gradient buffer whose views it sets as each parameter's .grad. An
//   optimizer over these parameters updates them in one fused pass (optim::Optimizer::step).
//
// The dynamic autograd stays the reference: tests/plan checks that a plan's loss and gradients equal
// autograd's on every example project and layer type, and gradcheck runs through the plan.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "neura/core/Tensor.h"

namespace neura::graph {
class Network;
}

namespace neura::plan {

// What the compiler made of a network: for tests, `neura info` and the docs.
struct PlanSummary {
    std::int64_t native_steps = 0;       // steps run by kernels of the op table
    std::int64_t fused_activations = 0;  // activations folded into the Linear / Conv2d before them
    std::int64_t islands = 0;            // steps run through autograd
    std::int64_t serial_steps = 0;       // native steps too small for threads: run on the calling thread
    bool fused_loss = false;             // softmax + cross-entropy + its gradient in one kernel
    std::vector<std::string> island_layers;  // "<node name> (<type>)"
    std::int64_t arena_bytes = 0;        // activations + gradients + scratch, after sharing
    std::int64_t unshared_bytes = 0;     // what one buffer per activation and gradient would take
    std::int64_t parameter_count = 0;    // elements of the flat parameter buffer
};

// The flat parameter and gradient buffers of one network: shared by its plans (one per batch shape).
class FlatParameters;

class TrainingPlan {
public:
    // Compiles `net` (in training mode, its parameters on one device and dtype) for batches shaped like
    // `input` with targets shaped like `target`. Makes the network's parameters views of `flat` (built on
    // first use). Throws neura::Error when the network cannot take such a batch.
    TrainingPlan(graph::Network& net, std::shared_ptr<FlatParameters> flat, const Tensor& input,
                 const Tensor& target);
    ~TrainingPlan();
    struct Impl;  // (public for the helpers of TrainingPlan.cpp)
    TrainingPlan(const TrainingPlan&) = delete;
    TrainingPlan& operator=(const TrainingPlan&) = delete;

    // Whether this plan was compiled for batches like these, and the network's parameters are still
    // the flat buffer's views (Network::to, a loaded project or a copy_ into them keeps the plan valid
    // only where the storage stays).
    bool fits(const Tensor& input, const Tensor& target) const;

    struct Result {
        Tensor output;  // the network's output (a view of the arena: valid until the next step)
        Tensor loss;    // 0-d
    };
    // One step: forward, loss, backward. Every parameter's .grad is set to its view of the flat gradient
    // buffer and holds this batch's gradient (what zero_grad(); loss.backward() leaves).
    Result step(const Tensor& input, const Tensor& target);

    const PlanSummary& summary() const { return summary_; }
    // On a GPU: "replayed" once each step runs as one captured CUDA graph (after a warm-up step and the
    // capture), "warming up" before, or why not ("not captured: ..."). Empty on the CPU.
    const std::string& cuda_graph_status() const;

private:
    std::unique_ptr<Impl> impl_;
    PlanSummary summary_;
};

// The flat buffers of a network's parameters. Made once per network; rebuilt by Network when its
// parameters move (dtype, device) or are replaced.
class FlatParameters {
public:
    // Copies every parameter of `params` into one flat buffer and makes each a view of it; gradients
    // get one flat buffer of the same layout.
    explicit FlatParameters(const std::vector<Tensor>& params);
    // Whether every parameter is still its view of the flat buffer.
    bool intact() const;
    // Sets each parameter's .grad to its view of the flat gradient buffer (the optimizer's zero_grad
    // drops them).
    void attach_grads() const;
    const Tensor& flat() const { return flat_; }
    const Tensor& flat_grad() const { return flat_grad_; }
    const std::vector<Tensor>& params() const { return params_; }
    const Tensor& grad_view(std::size_t i) const { return grad_views_[i]; }
    std::size_t index_of(const Tensor& param) const;  // throws when not a parameter of this buffer

private:
    std::vector<Tensor> params_;
    std::vector<std::int64_t> offsets_;
    std::vector<Tensor> grad_views_;
    Tensor flat_, flat_grad_;
};

}  // namespace neura::plan
