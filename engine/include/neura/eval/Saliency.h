#pragma once
// Saliency: how much each input feature of one sample contributes to one output of the network (a class's
// logit, or a regression output), by gradient × input or by integrated gradients (Sundararajan et al.,
// 2017, as Captum's IntegratedGradients): the path integral of the gradient from a baseline to the
// sample, times their difference, so the attributions sum to f(sample) − f(baseline) (completeness).
// Both work in the network's input space (standardized features when the project normalizes).
#include <cstdint>

#include "neura/core/Tensor.h"
#include "neura/graph/Network.h"

namespace neura::eval {

enum class SaliencyMethod : std::uint8_t { GradientTimesInput, IntegratedGradients };
const char* saliency_method_name(SaliencyMethod m);  // "gradient x input", "integrated gradients"

struct SaliencyOptions {
    SaliencyMethod method = SaliencyMethod::IntegratedGradients;
    std::int64_t target = -1;  // the output attributed: a class index or output column; -1: the largest output
    // Integrated gradients: the trapezoidal rule starts with `steps` intervals and halves them (each time
    // evaluating only the new midpoints) until the attributions' sum is within `tolerance` of
    // f(sample) - f(baseline), or `max_steps` is reached. A ReLU network's gradient jumps along the path, so
    // the rule's error shrinks only as 1/steps: 64 steps can miss by 0.03 where 4096 are within 1e-4.
    std::int64_t steps = 64;
    std::int64_t max_steps = 16384;
    double tolerance = 1e-4;
    Tensor baseline;  // per-sample shape; undefined: zeros (the mean sample when standardized)
};

struct Saliency {
    Tensor attributions;  // the sample's shape, F64
    std::int64_t target = 0;
    double output = 0.0;           // f(sample) for the target
    double baseline_output = 0.0;  // f(baseline) (integrated gradients)
    std::int64_t steps = 0;        // integrated gradients: the intervals used
    double convergence_delta = 0;  // sum of the attributions - (output - baseline_output), as Captum's
};

// `sample` has the network's per-sample input shape (no batch dimension). The network runs in eval mode
// (its mode is restored) with its parameters' gradients untouched. Throws neura::Error for a network whose
// inputs are token indices or whose output is not one row of values per sample.
Saliency saliency(graph::Network& net, const Tensor& sample, const SaliencyOptions& options = {});

}  // namespace neura::eval
