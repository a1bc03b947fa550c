#pragma once
#include <functional>
#include <string>
#include <vector>

#include "neura/autograd/GradMode.h"
#include "neura/core/Tensor.h"

namespace neura::autograd {

// Runs backward from `outputs`, accumulating into every reachable leaf's .grad().
void backward(const std::vector<Tensor>& outputs, const std::vector<Tensor>& grad_outputs = {},
              bool retain_graph = false, bool create_graph = false);

// Returns d(outputs)/d(inputs) weighted by grad_outputs, without touching any .grad().
// An input the outputs do not depend on gets an undefined tensor, or an error unless allow_unused.
std::vector<Tensor> grad(const std::vector<Tensor>& outputs, const std::vector<Tensor>& inputs,
                         const std::vector<Tensor>& grad_outputs = {}, bool retain_graph = false,
                         bool create_graph = false, bool allow_unused = false);

// ---- finite-difference gradient check ----
struct GradcheckOptions {
    double eps = 1e-6;
    double atol = 1e-5;
    double rtol = 1e-3;
    bool check_double_backward = false;  // also gradcheck the gradient itself (gradgradcheck)
    std::int64_t max_elements = 0;       // 0: every element; otherwise a seeded sample per input
    std::uint64_t seed = 0;
};

struct GradcheckTensorResult {
    std::string name;            // "input 0", or the caller's name for it
    Shape shape;
    double max_abs_error = 0.0;
    double max_rel_error = 0.0;
    std::int64_t worst_index = -1;  // flat index into the input of the worst element
    double worst_analytic = 0.0;
    double worst_numeric = 0.0;
    std::int64_t checked_elements = 0;
    bool passed = true;
};

struct GradcheckResult {
    bool passed = true;
    std::vector<GradcheckTensorResult> inputs;  // one per input that requires grad
    std::string message;                        // first failure, in words; empty when passed
};

using GradcheckFn = std::function<std::vector<Tensor>(const std::vector<Tensor>&)>;

// Compares the analytic Jacobian of fn at `inputs` with central differences. Inputs that require
// grad are checked; they should be F64. Forward must be deterministic.
GradcheckResult gradcheck(const GradcheckFn& fn, const std::vector<Tensor>& inputs,
                          const GradcheckOptions& opts = {}, const std::vector<std::string>& names = {});

}  // namespace neura::autograd
