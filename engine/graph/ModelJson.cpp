#include "neura/graph/ModelJson.h"

#include <limits>
#include <nlohmann/json.hpp>

#include "neura/core/Error.h"
#include "neura/core/JsonText.h"

namespace neura::graph {

using neura::detail::concat;
using json = nlohmann::ordered_json;
using nlohmann::ordered_json;

namespace {

ordered_json value_to_json(const AttributeValue& v, std::optional<AttributeType> schema_type) {
    if (schema_type == AttributeType::Float)
        if (const auto* i = std::get_if<std::int64_t>(&v)) return static_cast<double>(*i);
    return std::visit([](const auto& x) { return ordered_json(x); }, v);
}

[[noreturn]] void fail(const std::string& path, const std::string& what) { throw Error(path + ": " + what); }

const json& member(const json& obj, const std::string& path, const char* key) {
    auto it = obj.find(key);
    if (it == obj.end()) fail(path.empty() ? key : path + "." + key, "missing");
    return *it;
}

std::string sub(const std::string& path, const char* key) { return path.empty() ? key : path + "." + key; }

std::int64_t get_int(const json& j, const std::string& path) {
    if (!j.is_number_integer()) fail(path, "expected an integer");
    if (j.is_number_unsigned() && j.get<std::uint64_t>() > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
        fail(path, "expected an integer, this one is too large");
    return j.get<std::int64_t>();
}

std::uint32_t get_id(const json& j, const std::string& path) {
    const std::int64_t v = get_int(j, path);
    if (v < 0 || v >= static_cast<std::int64_t>(NodeId::kInvalidValue)) fail(path, concat("expected an id from 0 to ", NodeId::kInvalidValue - 1, ", got ", v));
    return static_cast<std::uint32_t>(v);
}

const std::string& get_string(const json& j, const std::string& path) {
    if (!j.is_string()) fail(path, "expected a string");
    return j.get_ref<const std::string&>();
}

std::vector<std::int64_t> get_int_list(const json& j, const std::string& path) {
    if (!j.is_array()) fail(path, "expected a list of integers");
    std::vector<std::int64_t> out;
    for (std::size_t i = 0; i < j.size(); ++i) out.push_back(get_int(j[i], concat(path, "[", i, "]")));
    return out;
}

AttributeValue attribute_from_json(const json& j, std::optional<AttributeType> type, const std::string& path) {
    if (!type) {  // not in the schema: kept as written, validate() reports the name
        if (j.is_boolean()) return j.get<bool>();
        if (j.is_number_integer()) return get_int(j, path);
        if (j.is_number()) return j.get<double>();
        if (j.is_string()) return j.get<std::string>();
        if (j.is_array()) return get_int_list(j, path);
        fail(path, "expected an integer, a number, true or false, a string or a list of integers");
    }
    switch (*type) {
        case AttributeType::Int: return get_int(j, path);
        case AttributeType::Float:
            if (!j.is_number()) fail(path, "expected a number");
            return j.get<double>();
        case AttributeType::Bool:
            if (!j.is_boolean()) fail(path, "expected true or false");
            return j.get<bool>();
        case AttributeType::Choice: return get_string(j, path);
        case AttributeType::IntList: return get_int_list(j, path);
    }
    fail(path, "unsupported attribute type");
}

std::vector<std::string> get_string_list(const json& j, const std::string& path) {
    if (!j.is_array()) fail(path, "expected a list of strings");
    std::vector<std::string> out;
    for (std::size_t i = 0; i < j.size(); ++i) out.push_back(get_string(j[i], concat(path, "[", i, "]")));
    return out;
}

// "plugin": {"name": "swish", "version": "1.0.0", "inputs": ["input"], "outputs": ["output"]}
PluginRequirement plugin_from_json(const json& j, const std::string& path) {
    if (!j.is_object()) fail(path, "expected an object with \"name\" and \"version\"");
    PluginRequirement r;
    r.name = get_string(member(j, path, "name"), sub(path, "name"));
    if (r.name.empty()) fail(sub(path, "name"), "must not be empty");
    r.version = get_string(member(j, path, "version"), sub(path, "version"));
    if (auto it = j.find("inputs"); it != j.end()) r.inputs = get_string_list(*it, sub(path, "inputs"));
    if (auto it = j.find("outputs"); it != j.end()) r.outputs = get_string_list(*it, sub(path, "outputs"));
    return r;
}

// What to_json writes of a node's plugin: the loaded layer's (keeping a newer version the file asked
// for), or the record the node was loaded with when its plugin is missing.
PluginRequirement plugin_record(const Node& node, const LayerDescriptor* d) {
    if (!d || d->plugin.empty()) return node.plugin;
    PluginRequirement r;
    r.name = d->plugin;
    r.version = d->plugin_version;
    if (node.plugin.name == d->plugin && compare_versions(node.plugin.version, r.version) > 0)
        r.version = node.plugin.version;
    for (const auto& p : d->inputs) r.inputs.push_back(p.name);
    for (const auto& p : d->outputs) r.outputs.push_back(p.name);
    return r;
}

PortRef port_ref(const json& j, const std::string& path, const ModelGraph& g) {
    if (!j.is_object()) fail(path, "expected an object with \"node\" and \"port\"");
    const NodeId node{get_id(member(j, path, "node"), sub(path, "node"))};
    if (!g.has_node(node)) fail(sub(path, "node"), concat("no node has id ", node.value));
    const PortIndex port{get_id(member(j, path, "port"), sub(path, "port"))};
    return {node, port};
}

}  // namespace

std::string to_json(const ModelGraph& graph, const LayerRegistry& registry) {
    ordered_json root;
    root["format_version"] = kModelFormatVersion;
    ordered_json nodes = ordered_json::array();
    for (const auto& [id, node] : graph.nodes()) {
        ordered_json n;
        n["id"] = id.value;
        n["type"] = node.type;
        n["name"] = node.name;
        const LayerDescriptor* d = registry.find(node.type);
        if (const PluginRequirement p = plugin_record(node, d); !p.empty())
            n["plugin"] = {{"name", p.name}, {"version", p.version}, {"inputs", p.inputs}, {"outputs", p.outputs}};
        ordered_json attrs = ordered_json::object();
        if (d) {
            for (const AttributeSpec& s : d->attributes) {
                auto it = node.attributes.find(s.name);
                const AttributeValue& v = it == node.attributes.end() ? s.default_value : it->second;
                const AttributeType t = type_of(v);
                NEURA_CHECK(t == s.type || (s.type == AttributeType::Float && t == AttributeType::Int),
                            "to_json: node '", node.name, "' attribute ", s.name, " holds a value of type ",
                            attribute_type_name(t), ", its layer declares ", attribute_type_name(s.type));
                attrs[s.name] = value_to_json(v, s.type);
            }
        }
        for (const auto& [name, v] : node.attributes)  // not in the schema (or unknown type): as they are
            if (!d || !d->find_attribute(name)) attrs[name] = value_to_json(v, std::nullopt);
        n["attributes"] = std::move(attrs);
        nodes.push_back(std::move(n));
    }
    root["nodes"] = std::move(nodes);
    ordered_json edges = ordered_json::array();
    for (const auto& [id, e] : graph.edges()) {
        edges.push_back({{"id", id.value},
                         {"from", {{"node", e.from.node.value}, {"port", e.from.port.value}}},
                         {"to", {{"node", e.to.node.value}, {"port", e.to.port.value}}}});
    }
    root["edges"] = std::move(edges);
    if (!graph.layout().empty()) root["layout"] = ordered_json::parse(graph.layout());
    return root.dump(2) + "\n";
}

ModelGraph from_json(const std::string& text, const LayerRegistry& registry) {
    const json root = parse_json<json>(text, "the model");
    if (!root.is_object()) fail("(root)", "expected a JSON object");

    // Version at the door: nothing else is read before it is known.
    auto version_it = root.find("format_version");
    if (version_it == root.end()) fail("format_version", "missing; this is not a NeuraStudio model");
    const std::int64_t version = get_int(*version_it, "format_version");
    if (version > kModelFormatVersion)
        fail("format_version", concat(version, " is newer than this NeuraStudio reads (up to ", kModelFormatVersion,
                                      "); open the model with a newer NeuraStudio"));
    if (version < 1) fail("format_version", concat(version, " is not a valid version (versions start at 1)"));

    ModelGraph g;
    const json& nodes = member(root, "", "nodes");
    if (!nodes.is_array()) fail("nodes", "expected a list");
    for (std::size_t i = 0; i < nodes.size(); ++i) {
        const std::string path = concat("nodes[", i, "]");
        const json& n = nodes[i];
        if (!n.is_object()) fail(path, "expected an object");
        Node node;
        node.id = NodeId{get_id(member(n, path, "id"), sub(path, "id"))};
        if (g.has_node(node.id)) fail(sub(path, "id"), concat(node.id.value, " is used by another node too"));
        node.type = get_string(member(n, path, "type"), sub(path, "type"));
        if (auto p = n.find("plugin"); p != n.end()) node.plugin = plugin_from_json(*p, sub(path, "plugin"));
        // A layer from a plugin that is not loaded keeps its node as written; validate() says which
        // plugin it needs. A type no one provides is an error.
        const LayerDescriptor* d = registry.find(node.type);
        if (!d && node.plugin.empty()) fail(sub(path, "type"), concat("unknown layer type \"", node.type, "\""));
        node.name = get_string(member(n, path, "name"), sub(path, "name"));
        if (auto a = n.find("attributes"); a != n.end()) {
            const std::string apath = sub(path, "attributes");
            if (!a->is_object()) fail(apath, "expected an object");
            for (const auto& [key, value] : a->items()) {
                const AttributeSpec* s = d ? d->find_attribute(key) : nullptr;
                node.attributes[key] = attribute_from_json(value, s ? std::optional(s->type) : std::nullopt,
                                                           apath + "." + key);
            }
        }
        g.add_node(std::move(node));
    }

    const json& edges = member(root, "", "edges");
    if (!edges.is_array()) fail("edges", "expected a list");
    for (std::size_t i = 0; i < edges.size(); ++i) {
        const std::string path = concat("edges[", i, "]");
        const json& e = edges[i];
        if (!e.is_object()) fail(path, "expected an object");
        Edge edge;
        if (auto id = e.find("id"); id != e.end()) {
            edge.id = EdgeId{get_id(*id, sub(path, "id"))};
            if (g.has_edge(edge.id)) fail(sub(path, "id"), concat(edge.id.value, " is used by another edge too"));
        }
        edge.from = port_ref(member(e, path, "from"), sub(path, "from"), g);
        edge.to = port_ref(member(e, path, "to"), sub(path, "to"), g);
        if (auto other = g.edge_into(edge.to))
            fail(sub(path, "to"), concat("input ", edge.to.port.value, " of node ", edge.to.node.value, " ('",
                                         g.node(edge.to.node).name, "') already has an edge (from node ",
                                         g.edge(*other).from.node.value, ")"));
        g.add_edge(edge);
    }

    if (auto layout = root.find("layout"); layout != root.end()) {
        if (!layout->is_object()) fail("layout", "expected an object");
        g.set_layout(layout->dump());
    }
    return g;
}

}  // namespace neura::graph
