// diff_models(): nodes matched by name, attributes compared with the layers' defaults filled in, edges
// compared as sets of (from name, port, to name, port).
#include "neura/eval/ModelDiff.h"

#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "neura/graph/ShapeReport.h"

namespace neura::eval {

using graph::AttributeMap;
using graph::ModelGraph;
using graph::Node;

std::string node_key(const Node& node) {
    return node.name.empty() ? "#" + std::to_string(node.id.value) : node.name;
}

namespace {

// Node key → node id; a duplicated name (an invalid graph) keeps its first node under the name and
// the others under their ids, so every node is matched once.
std::map<std::string, graph::NodeId> keyed_nodes(const ModelGraph& g) {
    std::map<std::string, graph::NodeId> out;
    for (const auto& [id, node] : g.nodes())
        if (!out.emplace(node_key(node), id).second) out.emplace("#" + std::to_string(id.value), id);
    return out;
}

// Node id → its key: keyed_nodes() inverted.
std::map<graph::NodeId, std::string> keys_by_id(const std::map<std::string, graph::NodeId>& keyed) {
    std::map<graph::NodeId, std::string> out;
    for (const auto& [k, id] : keyed) out[id] = k;
    return out;
}

std::set<EdgeEntry> keyed_edges(const ModelGraph& g, const std::map<graph::NodeId, std::string>& key) {
    std::set<EdgeEntry> out;
    for (const auto& [id, e] : g.edges()) {
        auto from = key.find(e.from.node), to = key.find(e.to.node);
        out.insert({from == key.end() ? "#" + std::to_string(e.from.node.value) : from->second,
                    static_cast<std::int64_t>(e.from.port.value),
                    to == key.end() ? "#" + std::to_string(e.to.node.value) : to->second,
                    static_cast<std::int64_t>(e.to.port.value)});
    }
    return out;
}

// The node's attributes over its layer's defaults (as given when the type is unknown).
AttributeMap effective(const Node& node, const graph::LayerRegistry& registry) {
    const auto* d = registry.find(node.type);
    return d ? d->resolve(node.attributes) : node.attributes;
}

std::int64_t node_parameters(const graph::ShapeReport& r, graph::NodeId id) {
    const auto* s = r.find(id);
    return s && s->known ? s->parameters : 0;
}

}  // namespace

ModelDiff diff_models(const ModelGraph& before, const ModelGraph& after, const graph::LayerRegistry& registry) {
    ModelDiff diff;
    const auto old_report = graph::infer_shapes(before, registry);
    const auto new_report = graph::infer_shapes(after, registry);
    diff.old_parameters = old_report.total_parameters;
    diff.new_parameters = new_report.total_parameters;
    diff.old_macs = old_report.total_macs;
    diff.new_macs = new_report.total_macs;

    const auto old_keys = keyed_nodes(before), new_keys = keyed_nodes(after);
    const auto old_key_of = keys_by_id(old_keys), new_key_of = keys_by_id(new_keys);
    // Walk the new graph in id order: added and changed nodes come out in that order.
    for (const auto& [new_id, n] : after.nodes()) {
        const std::string& key = new_key_of.at(new_id);
        auto it = old_keys.find(key);
        if (it == old_keys.end()) {
            diff.added.push_back({new_id, key, n.type});
            continue;
        }
        const Node& o = before.node(it->second);
        NodeChange c{o.id, new_id, key, o.type, n.type, {}, node_parameters(old_report, o.id),
                     node_parameters(new_report, new_id)};
        const AttributeMap a = effective(o, registry), b = effective(n, registry);
        std::set<std::string> names;
        for (const auto& [k, v] : a) names.insert(k);
        for (const auto& [k, v] : b) names.insert(k);
        for (const auto& name : names) {
            auto ia = a.find(name), ib = b.find(name);
            const bool pa = ia != a.end(), pb = ib != b.end();
            if (pa && pb && ia->second == ib->second) continue;
            c.attributes.push_back({name, pa ? graph::to_string(ia->second) : "",
                                    pb ? graph::to_string(ib->second) : "", pa, pb});
        }
        if (c.type_changed() || !c.attributes.empty()) diff.changed.push_back(std::move(c));
    }
    for (const auto& [old_id, o] : before.nodes()) {
        const std::string& key = old_key_of.at(old_id);
        if (!new_keys.count(key)) diff.removed.push_back({old_id, key, o.type});
    }

    const auto old_edges = keyed_edges(before, old_key_of), new_edges = keyed_edges(after, new_key_of);
    for (const auto& e : new_edges)
        if (!old_edges.count(e)) diff.added_edges.push_back(e);
    for (const auto& e : old_edges)
        if (!new_edges.count(e)) diff.removed_edges.push_back(e);
    return diff;
}

std::string diff_to_json(const ModelDiff& d) {
    using nlohmann::json;
    auto nodes = [](const std::vector<NodeEntry>& v) {
        json a = json::array();
        for (const auto& n : v) a.push_back({{"name", n.name}, {"type", n.type}, {"id", n.id.value}});
        return a;
    };
    auto edges = [](const std::vector<EdgeEntry>& v) {
        json a = json::array();
        for (const auto& e : v)
            a.push_back({{"from", e.from}, {"from_port", e.from_port}, {"to", e.to}, {"to_port", e.to_port}});
        return a;
    };
    json changed = json::array();
    for (const auto& c : d.changed) {
        json attrs = json::array();
        for (const auto& a : c.attributes)
            attrs.push_back({{"name", a.name},
                             {"old", a.old_present ? json(a.old_value) : json(nullptr)},
                             {"new", a.new_present ? json(a.new_value) : json(nullptr)}});
        changed.push_back({{"name", c.name}, {"old_type", c.old_type}, {"new_type", c.new_type},
                           {"old_parameters", c.old_parameters}, {"new_parameters", c.new_parameters},
                           {"attributes", attrs}});
    }
    json j = {{"identical", d.identical()},
              {"parameters", {{"old", d.old_parameters}, {"new", d.new_parameters}}},
              {"macs", {{"old", d.old_macs}, {"new", d.new_macs}}},
              {"added_nodes", nodes(d.added)},
              {"removed_nodes", nodes(d.removed)},
              {"changed_nodes", changed},
              {"added_edges", edges(d.added_edges)},
              {"removed_edges", edges(d.removed_edges)}};
    return j.dump(2);
}

std::string describe(const ModelDiff& d) {
    std::string out;
    if (d.identical()) out += "no differences\n";
    for (const auto& n : d.added) out += "+ " + n.name + " (" + n.type + ")\n";
    for (const auto& n : d.removed) out += "- " + n.name + " (" + n.type + ")\n";
    for (const auto& c : d.changed) {
        out += "~ " + c.name + " (" + (c.type_changed() ? c.old_type + " → " + c.new_type : c.new_type) + ")";
        std::string sep = ": ";
        for (const auto& a : c.attributes) {
            out += sep + a.name + " " + (a.old_present ? a.old_value : "(none)") + " → " +
                   (a.new_present ? a.new_value : "(none)");
            sep = ", ";
        }
        out += "\n";
    }
    auto edge = [](const EdgeEntry& e) {
        return e.from + "[" + std::to_string(e.from_port) + "] → " + e.to + "[" + std::to_string(e.to_port) + "]";
    };
    for (const auto& e : d.added_edges) out += "+ edge " + edge(e) + "\n";
    for (const auto& e : d.removed_edges) out += "- edge " + edge(e) + "\n";
    auto totals = [&](const char* what, std::int64_t a, std::int64_t b) {
        const std::int64_t delta = b - a;
        out += std::string(what) + ": " + std::to_string(a) + " → " + std::to_string(b) + " (" +
               (delta >= 0 ? "+" : "") + std::to_string(delta) + ")\n";
    };
    totals("parameters", d.old_parameters, d.new_parameters);
    totals("MACs per sample", d.old_macs, d.new_macs);
    return out;
}

}  // namespace neura::eval
