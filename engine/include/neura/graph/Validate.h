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

// Reports: unknown layer types; bad names (empty, duplicate, containing '.'); bad attributes
// (unknown, wrong type, out of range, not one of the choices, wrong list length); edges to ports a
// layer does not have, or into the Loss target; inputs not connected; unused outputs (warning);
// cycles (naming the nodes in them); shape mismatches from the layers' shape rules; no Input, more
// than one Input, no Loss, more than one Loss. Errors first, then warnings; each group by node id.
std::vector<Diagnostic> validate(const ModelGraph& graph, const LayerRegistry& registry = LayerRegistry::instance());

bool has_errors(const std::vector<Diagnostic>& diagnostics);
// "node 'fc2' (Linear): Linear expects 64 input features, gets 128"; whole-model ones as "model: ...".
std::string describe(const ModelGraph& graph, const Diagnostic& d);

}  // namespace neura::graph
