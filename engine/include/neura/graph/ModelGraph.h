#pragma once
// ModelGraph: a pure description of a model — layer nodes (type id, display name, attribute values)
// and edges from an output port to an input port. It knows nothing of layers' meaning: validate()
// checks it against the LayerRegistry, compile() turns it into a runnable Network. No Qt.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "neura/graph/AttributeValue.h"
#include "neura/graph/Ids.h"

namespace neura::graph {

struct PortRef {
    NodeId node;
    PortIndex port;
    friend bool operator==(const PortRef&, const PortRef&) = default;
};

// The plugin a node's layer comes from, as a model file names it: the plugin's name, the version the
// model was saved with (the least it needs) and the layer's port names. A model opened without the
// plugin keeps this (and the node's attributes and edges) as it was, so nothing is lost on save.
// Empty for built-in layers, and for plugin nodes added since the model was loaded (to_json writes
// their plugin's record from the registry).
struct PluginRequirement {
    std::string name;
    std::string version;
    std::vector<std::string> inputs, outputs;  // port names
    bool empty() const { return name.empty(); }
    friend bool operator==(const PluginRequirement&, const PluginRequirement&) = default;
};

// Compares dotted versions ("1.10.0" > "1.9"): numeric parts as numbers, missing parts as 0, other
// parts as text. Negative, zero or positive as a < b, a == b, a > b.
int compare_versions(const std::string& a, const std::string& b);

struct Node {
    NodeId id;
    std::string type;        // a LayerRegistry type id: "Linear", "Input", "Loss", ...
    std::string name;        // unique display name; parameters are named "<name>.weight", ...
    AttributeMap attributes; // attributes not listed take the layer's defaults
    PluginRequirement plugin = {};  // what the model file says of the layer's plugin, if any
    friend bool operator==(const Node&, const Node&) = default;
};

struct Edge {
    EdgeId id;
    PortRef from;  // an output port
    PortRef to;    // an input port; each input port takes at most one edge
    friend bool operator==(const Edge&, const Edge&) = default;
};

class ModelGraph {
public:
    // ---- nodes ----
    // Adds a node with a fresh id. An empty name becomes "<type in lower case>_<n>", unique in the graph.
    NodeId add_node(const std::string& type, const std::string& name = {}, AttributeMap attributes = {});
    // Adds `node` keeping node.id when it is valid (loading, undo); throws neura::Error when the id is taken.
    NodeId add_node(Node node);
    // Removes the node and every edge touching it; false when there is no such node.
    bool remove_node(NodeId id);
    void set_name(NodeId id, std::string name);
    void set_attribute(NodeId id, const std::string& name, AttributeValue value);
    bool remove_attribute(NodeId id, const std::string& name);  // back to the default

    bool has_node(NodeId id) const { return nodes_.count(id) != 0; }
    const Node& node(NodeId id) const;  // throws neura::Error for an unknown id
    const Node* find_node(NodeId id) const;
    NodeId find_node(const std::string& name) const;  // Invalid when no node has this name
    std::vector<NodeId> nodes_of_type(const std::string& type) const;
    const std::map<NodeId, Node>& nodes() const { return nodes_; }  // ordered by id
    std::size_t node_count() const { return nodes_.size(); }
    std::string unique_name(const std::string& type) const;  // what add_node would name a new node
    // The id add_node gives the next node added without one (ids are never reused); throws
    // neura::Error when the graph is out of ids.
    NodeId next_node_id() const;

    // ---- edges ----
    // Throws neura::Error when a node is unknown, a port index is Invalid or `to` already has an edge.
    EdgeId add_edge(PortRef from, PortRef to);
    EdgeId add_edge(NodeId from, NodeId to) { return add_edge({from, PortIndex{0}}, {to, PortIndex{0}}); }
    EdgeId add_edge(Edge edge);  // keeps edge.id when valid
    bool remove_edge(EdgeId id);

    bool has_edge(EdgeId id) const { return edges_.count(id) != 0; }
    const Edge& edge(EdgeId id) const;  // throws neura::Error for an unknown id
    const std::map<EdgeId, Edge>& edges() const { return edges_; }  // ordered by id
    std::size_t edge_count() const { return edges_.size(); }
    std::optional<EdgeId> edge_into(PortRef to) const;
    std::vector<EdgeId> edges_into(NodeId id) const;   // ordered by input port
    std::vector<EdgeId> edges_out_of(NodeId id) const; // ordered by edge id

    // ---- GUI layout ----
    // Opaque JSON object text (node positions, ...) carried through to_json/from_json untouched by
    // the engine. Empty: none. set_layout throws neura::Error unless the text is empty or a JSON object.
    const std::string& layout() const { return layout_; }
    void set_layout(std::string json_object_text);

    void clear();
    // Same nodes, edges and layout; the id counters of either graph do not matter.
    friend bool operator==(const ModelGraph& a, const ModelGraph& b) {
        return a.nodes_ == b.nodes_ && a.edges_ == b.edges_ && a.layout_ == b.layout_;
    }

private:
    Node& node_ref(NodeId id);

    std::map<NodeId, Node> nodes_;
    std::map<EdgeId, Edge> edges_;
    NodeId::Rep next_node_ = 0;
    EdgeId::Rep next_edge_ = 0;
    std::string layout_;
};

}  // namespace neura::graph
