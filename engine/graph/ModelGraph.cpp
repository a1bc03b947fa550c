#include "neura/graph/ModelGraph.h"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

#include "neura/core/Error.h"
#include "neura/core/JsonText.h"

namespace neura::graph {

int compare_versions(const std::string& a, const std::string& b) {
    auto parts = [](const std::string& v) {
        std::vector<std::string> out;
        std::string cur;
        for (char c : v) {
            if (c == '.') {
                out.push_back(cur);
                cur.clear();
            } else {
                cur += c;
            }
        }
        out.push_back(cur);
        return out;
    };
    const auto pa = parts(a), pb = parts(b);
    auto numeric = [](const std::string& s) {
        return !s.empty() && s.size() < 19 && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
    };
    for (std::size_t i = 0; i < std::max(pa.size(), pb.size()); ++i) {
        const std::string x = i < pa.size() ? pa[i] : "0", y = i < pb.size() ? pb[i] : "0";
        if (numeric(x) && numeric(y)) {
            const long long nx = std::stoll(x), ny = std::stoll(y);
            if (nx != ny) return nx < ny ? -1 : 1;
        } else if (int c = x.compare(y); c != 0) {
            return c < 0 ? -1 : 1;
        }
    }
    return 0;
}

std::string ModelGraph::unique_name(const std::string& type) const {
    std::string base;
    for (char c : type) base += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (base.empty()) base = "node";
    for (int n = 1;; ++n) {
        std::string candidate = base + "_" + std::to_string(n);
        if (!find_node(candidate).valid()) return candidate;
    }
}

NodeId ModelGraph::add_node(const std::string& type, const std::string& name, AttributeMap attributes) {
    return add_node(Node{NodeId::Invalid, type, name.empty() ? unique_name(type) : name, std::move(attributes)});
}

NodeId ModelGraph::next_node_id() const {
    NEURA_CHECK(next_node_ != NodeId::kInvalidValue, "ModelGraph: out of node ids");
    return NodeId{next_node_};
}

NodeId ModelGraph::add_node(Node node) {
    if (!node.id.valid()) node.id = next_node_id();
    NEURA_CHECK(!has_node(node.id), "ModelGraph: node id ", node.id.value, " is already taken");
    if (node.name.empty()) node.name = unique_name(node.type);
    next_node_ = std::max(next_node_, node.id.value + 1);
    const NodeId id = node.id;
    nodes_.emplace(id, std::move(node));
    return id;
}

bool ModelGraph::remove_node(NodeId id) {
    if (!has_node(id)) return false;
    std::erase_if(edges_, [id](const auto& kv) { return kv.second.from.node == id || kv.second.to.node == id; });
    nodes_.erase(id);
    return true;
}

Node& ModelGraph::node_ref(NodeId id) {
    auto it = nodes_.find(id);
    NEURA_CHECK(it != nodes_.end(), "ModelGraph: no node with id ", to_string(id));
    return it->second;
}

const Node& ModelGraph::node(NodeId id) const {
    auto it = nodes_.find(id);
    NEURA_CHECK(it != nodes_.end(), "ModelGraph: no node with id ", to_string(id));
    return it->second;
}

const Node* ModelGraph::find_node(NodeId id) const {
    auto it = nodes_.find(id);
    return it == nodes_.end() ? nullptr : &it->second;
}

NodeId ModelGraph::find_node(const std::string& name) const {
    for (const auto& [id, n] : nodes_)
        if (n.name == name) return id;
    return NodeId::Invalid;
}

std::vector<NodeId> ModelGraph::nodes_of_type(const std::string& type) const {
    std::vector<NodeId> out;
    for (const auto& [id, n] : nodes_)
        if (n.type == type) out.push_back(id);
    return out;
}

void ModelGraph::set_name(NodeId id, std::string name) { node_ref(id).name = std::move(name); }

void ModelGraph::set_attribute(NodeId id, const std::string& name, AttributeValue value) {
    node_ref(id).attributes[name] = std::move(value);
}

bool ModelGraph::remove_attribute(NodeId id, const std::string& name) {
    return node_ref(id).attributes.erase(name) != 0;
}

EdgeId ModelGraph::add_edge(PortRef from, PortRef to) { return add_edge(Edge{EdgeId::Invalid, from, to}); }

EdgeId ModelGraph::add_edge(Edge edge) {
    NEURA_CHECK(has_node(edge.from.node), "ModelGraph: edge from unknown node ", to_string(edge.from.node));
    NEURA_CHECK(has_node(edge.to.node), "ModelGraph: edge to unknown node ", to_string(edge.to.node));
    NEURA_CHECK(edge.from.port.valid() && edge.to.port.valid(), "ModelGraph: edge with an invalid port index");
    if (auto existing = edge_into(edge.to))
        throw Error(detail::concat("ModelGraph: input ", edge.to.port.value, " of node '", node(edge.to.node).name,
                                   "' already has an edge (from '", node(edges_.at(*existing).from.node).name, "')"));
    if (!edge.id.valid()) {
        NEURA_CHECK(next_edge_ != EdgeId::kInvalidValue, "ModelGraph: out of edge ids");
        edge.id = EdgeId{next_edge_};
    }
    NEURA_CHECK(!has_edge(edge.id), "ModelGraph: edge id ", edge.id.value, " is already taken");
    next_edge_ = std::max(next_edge_, edge.id.value + 1);
    const EdgeId id = edge.id;
    edges_.emplace(id, edge);
    return id;
}

bool ModelGraph::remove_edge(EdgeId id) { return edges_.erase(id) != 0; }

const Edge& ModelGraph::edge(EdgeId id) const {
    auto it = edges_.find(id);
    NEURA_CHECK(it != edges_.end(), "ModelGraph: no edge with id ", to_string(id));
    return it->second;
}

std::optional<EdgeId> ModelGraph::edge_into(PortRef to) const {
    for (const auto& [id, e] : edges_)
        if (e.to == to) return id;
    return std::nullopt;
}

std::vector<EdgeId> ModelGraph::edges_into(NodeId id) const {
    std::vector<EdgeId> out;
    for (const auto& [eid, e] : edges_)
        if (e.to.node == id) out.push_back(eid);
    std::sort(out.begin(), out.end(),
              [this](EdgeId a, EdgeId b) { return edges_.at(a).to.port < edges_.at(b).to.port; });
    return out;
}

std::vector<EdgeId> ModelGraph::edges_out_of(NodeId id) const {
    std::vector<EdgeId> out;
    for (const auto& [eid, e] : edges_)
        if (e.from.node == id) out.push_back(eid);
    return out;
}

void ModelGraph::set_layout(std::string json_object_text) {
    if (!json_object_text.empty()) {
        std::string why;
        const auto j = try_parse_json(json_object_text, &why);
        NEURA_CHECK(j, "ModelGraph: the layout is not valid JSON: ", why);
        NEURA_CHECK(j->is_object(), "ModelGraph: the layout must be a JSON object");
    }
    layout_ = std::move(json_object_text);
}

void ModelGraph::clear() {
    nodes_.clear();
    edges_.clear();
    layout_.clear();
    next_node_ = next_edge_ = 0;
}

}  // namespace neura::graph
