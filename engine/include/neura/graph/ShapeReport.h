#pragma once
// infer_shapes(): the per-sample tensor shape on every edge, every node's output shapes and parameter
// count, and model totals. Nodes whose shape cannot be known (an error upstream, a cycle, a missing
// input) have known = false; validate() says why.
#include <cstdint>
#include <map>
#include <vector>

#include "neura/core/DType.h"
#include "neura/graph/LayerRegistry.h"
#include "neura/graph/ModelGraph.h"

namespace neura::graph {

struct NodeShapes {
    bool known = false;
    std::vector<Shape> inputs;   // per connected input port, in port order
    std::vector<Shape> outputs;  // per output port
    std::int64_t parameters = 0; // as PyTorch's sum(p.numel() for p in module.parameters())
    std::int64_t macs = 0;       // multiply-accumulates per sample (forward); -1: the layer gives no count
};

struct ShapeReport {
    std::map<NodeId, NodeShapes> nodes;  // every node of the graph
    std::map<EdgeId, Shape> edges;       // edges whose shape is known
    std::int64_t total_parameters = 0;   // over nodes with known shapes
    // Multiply-accumulates of one sample's forward pass, over nodes with known shapes and counts;
    // macs_complete is false when a node's count is not known (a plugin layer without one).
    std::int64_t total_macs = 0;
    bool macs_complete = true;
    // Sum over nodes of their outputs' elements per sample (the Input's included): what a forward
    // pass keeps for backward. The backward pass needs about as much again for gradients.
    std::int64_t activation_elements_per_sample = 0;

    std::int64_t activation_bytes(std::int64_t batch_size, DType dtype = DType::F32) const {
        return activation_elements_per_sample * batch_size * static_cast<std::int64_t>(element_size(dtype));
    }
    const NodeShapes* find(NodeId id) const {
        auto it = nodes.find(id);
        return it == nodes.end() ? nullptr : &it->second;
    }
};

ShapeReport infer_shapes(const ModelGraph& graph, const LayerRegistry& registry = LayerRegistry::instance());

}  // namespace neura::graph
