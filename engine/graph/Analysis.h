#pragma once
// One pass over a ModelGraph that both validate() and infer_shapes() report from (and compile() builds on).
#include <map>
#include <vector>

#include "neura/graph/ShapeReport.h"
#include "neura/graph/Validate.h"

namespace neura::graph::detail {

struct Analysis {
    std::vector<Diagnostic> diagnostics;  // sorted: whole-model errors, node errors, then warnings
    ShapeReport shapes;
    std::vector<NodeId> order;                  // topological order of the nodes outside cycles
    std::map<NodeId, AttributeMap> attributes;  // resolved (defaults filled in) for nodes of known type
    std::map<NodeId, std::vector<EdgeId>> inputs;  // per node: the edge into each input port (Invalid: none)
};

Analysis analyze(const ModelGraph& graph, const LayerRegistry& registry);

}  // namespace neura::graph::detail
