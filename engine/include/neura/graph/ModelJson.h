#pragma once
// The versioned JSON text form of a ModelGraph, described in docs/model-format.md.
#include <string>

#include "neura/graph/LayerRegistry.h"
#include "neura/graph/ModelGraph.h"

namespace neura::graph {

inline constexpr int kModelFormatVersion = 1;

// Every attribute of the layer's schema is written (defaults included), in schema order, so a file
// does not change meaning when a default changes. Throws neura::Error for a node of unknown type.
std::string to_json(const ModelGraph& graph, const LayerRegistry& registry = LayerRegistry::instance());

// Checks format_version first (1 ≤ version ≤ kModelFormatVersion), then the structure. Throws
// neura::Error naming the JSON path: "nodes[3].attributes.out_features: expected an integer".
// Values that are well-formed but wrong (out of range, shapes that do not fit) load fine: validate()
// reports them, so the studio can open and show a broken model. So does a node whose layer type is
// unknown but whose "plugin" record names the plugin providing it (PluginRequirement): validate()
// says "needs plugin X ≥ v" and to_json writes the node back as it was read.
ModelGraph from_json(const std::string& text, const LayerRegistry& registry = LayerRegistry::instance());

}  // namespace neura::graph
