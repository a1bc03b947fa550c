#pragma once
// F64 gradient check of a network's layers on one batch: for each layer, its inputs and parameters
// are checked with autograd::gradcheck (central differences against the analytic gradient). A
// layer's inputs are its real activations on the batch plus a seeded jitter of 1e-3 (std), which
// moves them off kinks such as ReLU's zeros and ties in max-pool windows. The
// command line's `neura gradcheck` and the studio's gradient-check panel show these results.
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "neura/autograd/Autograd.h"
#include "neura/graph/LayerDescriptor.h"
#include "neura/graph/Network.h"
#include "neura/train/Trainer.h"

namespace neura::train {

struct LayerGradcheckResult {
    graph::NodeId node;
    std::string name, type;
    bool passed = true;
    std::string message;  // the first failure, or why the layer could not be checked
    std::vector<autograd::GradcheckTensorResult> tensors;  // "input", "input 1", "weight", "bias", ...
};

struct LayerGradcheckOptions {
    autograd::GradcheckOptions gradcheck;  // eps, atol, rtol, max_elements (sampled per tensor)
    std::set<graph::NodeId> only;          // empty: every layer
    std::int64_t batch_rows = 4;           // rows of the batch used
};

// Works on `net` converted to `dtype` (normally F64); `net` is changed (it should be a copy made for
// checking). `progress(done, total)` is called after each layer; a stop request ends early, within
// the layer being checked (which then has no result).
std::vector<LayerGradcheckResult> check_layers(graph::Network& net, const Tensor& batch_features,
                                               const LayerGradcheckOptions& opts, DType dtype = DType::F64,
                                               const std::function<void(int, int)>& progress = {},
                                               StopToken* stop = nullptr);

// The check a plugin's layer gets when the plugin loads, without any model around it: the layer
// built with its default attributes on a seeded random F64 batch of 2 (per sample:
// descriptor.check_inputs, or [3, 4] for each input), forward's output shape compared with the
// shape rule's, then every input and parameter through autograd::gradcheck. NotChecked (with why)
// when it cannot run: no module, indices or target inputs, or a shape rule that rejects the inputs.
// Never throws: an exception from the layer is a failure naming it.
struct LayerTypeCheck {
    graph::LayerCheck result = graph::LayerCheck::NotChecked;
    std::string message;  // why it failed or was not checked; the largest error when it passed
};
LayerTypeCheck check_layer_type(const graph::LayerDescriptor& layer, const autograd::GradcheckOptions& opts = {});

}  // namespace neura::train
