#pragma once
// validate(): everything wrong with a ModelGraph, as per-node diagnostics in plain words with the
// numbers involved. Never throws for a bad graph; the GUI runs it on every edit.
#include <string>
#include <vector>

#include "neura/graph/LayerRegistry.h"
#include "neura/graph/ModelGraph.h"

namespace neura::graph {

enum class Severity : std::uint8_t { Error, Warning };
const char* severity_name(Severity s);  // "error", "warning"

struct Diagnostic {
    NodeId node;  // Invalid for whole-model problems ("the model has no Input node")
    Severity severity = Severity::Error;
    std::string message;
    friend bool operator==(const Diagnostic&, const Diagnostic&) = default;
};

// What a model may ask for before anything is allocated: a hostile or mistyped model (a Linear of
// 2^40 features) is refused by validate() with the numbers, never met with a failed allocation. The
// budget is process-wide; its first value comes from NEURA_MAX_PARAMETERS and NEURA_MAX_ACTIVATION_MIB
// when they are set.
struct ModelBudget {
    std::int64_t max_parameters = 250'000'000;                // 1 GB of F32 weights (4 GB with Adam's state)
    std::int64_t max_activation_bytes_per_sample = 256 << 20;  // F32 outputs of every node, one sample
};
ModelBudget model_budget();
void set_model_budget(const ModelBudget& budget);

// Reports: unknown layer types; bad names (empty, duplicate, containing '.'); bad attributes
// (unknown, wrong type, out of range, not one of the choices, wrong list length); edges to ports a
// layer does not have, or into the Loss target; inputs not connected; unused outputs (warning);
// cycles (naming the nodes in them); shape mismatches from the layers' shape rules; no Input, more
// than one Input, no Loss, more than one Loss; integer attributes beyond +-(2^31 - 1) even where the layer
// declares no bound; shapes and parameter counts that overflow; a model over model_budget(). Errors first, then warnings; each group by node id.
std::vector<Diagnostic> validate(const ModelGraph& graph, const LayerRegistry& registry = LayerRegistry::instance());

bool has_errors(const std::vector<Diagnostic>& diagnostics);
// "node 'fc2' (Linear): Linear expects 64 input features, gets 128"; whole-model ones as "model: ...".
std::string describe(const ModelGraph& graph, const Diagnostic& d);

}  // namespace neura::graph
