#pragma once
// diff_models(): what changed between two model graphs — nodes added, removed and changed (type, or
// attribute values old → new as text), edges added and removed, and each side's parameter count — for
// `neura diff` and the studio's compare mode. Nodes are matched by name (a node without a name by id),
// edges by the names and port indices of their ends. No Qt.
#include <cstdint>
#include <string>
#include <vector>

#include "neura/graph/LayerRegistry.h"
#include "neura/graph/ModelGraph.h"

namespace neura::eval {

// A node present on one side only.
struct NodeEntry {
    graph::NodeId id;  // in the graph it belongs to
    std::string name;
    std::string type;
    friend bool operator==(const NodeEntry&, const NodeEntry&) = default;
};

// An attribute whose value differs. A side where the attribute is absent (and the layer's schema has
// no default for it) reads "" and has present == false.
struct AttributeChange {
    std::string name;
    std::string old_value, new_value;  // as graph::to_string writes them: "64", "0.5", "[3, 3]"
    bool old_present = true, new_present = true;
    friend bool operator==(const AttributeChange&, const AttributeChange&) = default;
};

// A node on both sides whose type or attributes differ. Attributes are compared with the layer's
// defaults filled in, so an attribute left at its default equals one written out with that value.
struct NodeChange {
    graph::NodeId old_id, new_id;
    std::string name;
    std::string old_type, new_type;        // equal unless the type changed
    std::vector<AttributeChange> attributes;  // by attribute name
    std::int64_t old_parameters = 0, new_parameters = 0;  // infer_shapes' per-node count (0 when unknown)
    bool type_changed() const { return old_type != new_type; }
};

// An edge by the names of its ends (a node without a name as "#<id>").
struct EdgeEntry {
    std::string from;
    std::int64_t from_port = 0;
    std::string to;
    std::int64_t to_port = 0;
    friend auto operator<=>(const EdgeEntry&, const EdgeEntry&) = default;
};

struct ModelDiff {
    std::vector<NodeEntry> added;     // in the new graph only, by its node id
    std::vector<NodeEntry> removed;   // in the old graph only, by its node id
    std::vector<NodeChange> changed;  // by the new graph's node id
    std::vector<EdgeEntry> added_edges, removed_edges;  // sorted
    std::int64_t old_parameters = 0, new_parameters = 0;  // infer_shapes().total_parameters of each side
    std::int64_t old_macs = 0, new_macs = 0;  // infer_shapes().total_macs: multiply-accumulates per sample
    bool identical() const {
        return added.empty() && removed.empty() && changed.empty() && added_edges.empty() && removed_edges.empty();
    }
};

// Compares `before` with `after`. Never throws for a bad graph: unknown layer types are compared by
// the attributes as given, and parameter counts cover the nodes whose shapes are known.
ModelDiff diff_models(const graph::ModelGraph& before, const graph::ModelGraph& after,
                      const graph::LayerRegistry& registry = graph::LayerRegistry::instance());

// The name a diff uses for a node: its name, or "#<id>" when it has none.
std::string node_key(const graph::Node& node);

// JSON text: {"identical", "parameters": {"old", "new"}, "macs": {"old", "new"}, "added_nodes": [{"name", "type"}], "removed_nodes",
// "changed_nodes": [{"name", "old_type", "new_type", "old_parameters", "new_parameters",
// "attributes": [{"name", "old", "new"}]}] (an absent value is null), "added_edges": [{"from", "from_port",
// "to", "to_port"}], "removed_edges"}.
std::string diff_to_json(const ModelDiff& diff);
// Lines for people: "+ drop (Dropout)", "- relu2 (ReLU)", "~ fc1 (Linear): out_features 64 → 128",
// "+ edge fc1[0] → drop[0]", "parameters: 4675 → 9027 (+4352)" and "MACs per sample: …"; "no differences"
// first when identical.
std::string describe(const ModelDiff& diff);

}  // namespace neura::eval
