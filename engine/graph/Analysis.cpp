#include "Analysis.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <mutex>
#include <set>
#include <sstream>
#include <tuple>

#include "neura/core/Error.h"

namespace neura::graph {

using neura::detail::concat;

namespace {

std::int64_t budget_from_env(const char* name, std::int64_t fallback, std::int64_t unit) {
    const char* v = std::getenv(name);
    if (!v || !*v) return fallback;
    char* end = nullptr;
    const long long x = std::strtoll(v, &end, 10);
    if (*end != '\0' || x <= 0 || x > std::numeric_limits<std::int64_t>::max() / unit) return fallback;
    return x * unit;
}

std::mutex g_budget_mutex;
ModelBudget& budget_storage() {
    static ModelBudget b = [] {
        ModelBudget d;
        d.max_parameters = budget_from_env("NEURA_MAX_PARAMETERS", d.max_parameters, 1);
        d.max_activation_bytes_per_sample =
            budget_from_env("NEURA_MAX_ACTIVATION_MIB", d.max_activation_bytes_per_sample, 1 << 20);
        return d;
    }();
    return b;
}

}  // namespace

const char* severity_name(Severity s) { return s == Severity::Error ? "error" : "warning"; }

bool has_errors(const std::vector<Diagnostic>& diagnostics) {
    return std::any_of(diagnostics.begin(), diagnostics.end(), [](const Diagnostic& d) { return d.severity == Severity::Error; });
}

std::string describe(const ModelGraph& graph, const Diagnostic& d) {
    const Node* n = graph.find_node(d.node);
    if (!n) return "model: " + d.message;
    return concat("node '", n->name, "' (", n->type, "): ", d.message);
}

ModelBudget model_budget() {
    std::lock_guard lock(g_budget_mutex);
    return budget_storage();
}

void set_model_budget(const ModelBudget& budget) {
    std::lock_guard lock(g_budget_mutex);
    budget_storage() = budget;
}

std::vector<Diagnostic> validate(const ModelGraph& graph, const LayerRegistry& registry) {
    return detail::analyze(graph, registry).diagnostics;
}

ShapeReport infer_shapes(const ModelGraph& graph, const LayerRegistry& registry) {
    return detail::analyze(graph, registry).shapes;
}

namespace detail {
namespace {

std::string number(double v) { return to_string(AttributeValue{v}); }

const char* type_in_words(AttributeType t) {
    switch (t) {
        case AttributeType::Int: return "an integer";
        case AttributeType::Float: return "a number";
        case AttributeType::Bool: return "true or false";
        case AttributeType::Choice: return "one of the listed names";
        case AttributeType::IntList: return "a list of integers";
    }
    return "?";
}

std::string range_in_words(const AttributeSpec& s) {
    // Integer bounds as integers ("at most 2147483647", never "2.14748e+09").
    const bool integral = s.type == AttributeType::Int || s.type == AttributeType::IntList;
    auto text = [&](double v) { return integral ? std::to_string(static_cast<std::int64_t>(v)) : number(v); };
    if (s.min && s.max) return concat("between ", text(*s.min), " and ", text(*s.max));
    if (s.min) return concat("at least ", text(*s.min));
    return concat("at most ", text(*s.max));
}

bool in_range(const AttributeSpec& s, double v) { return (!s.min || v >= *s.min) && (!s.max || v <= *s.max); }

// Integer attributes without a declared bound still get one: no size beyond 2^31 - 1 is meant, and
// such values only make shape and parameter arithmetic overflow.
constexpr double kIntAttributeLimit = 2147483647.0;
AttributeSpec bounded(const AttributeSpec& s) {
    if (s.type != AttributeType::Int && s.type != AttributeType::IntList) return s;
    AttributeSpec b = s;
    b.max = std::min(s.max.value_or(kIntAttributeLimit), kIntAttributeLimit);
    b.min = std::max(s.min.value_or(-kIntAttributeLimit), -kIntAttributeLimit);
    return b;
}

std::string with_commas(std::int64_t v) {
    std::string digits = std::to_string(v), out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i && (digits.size() - i) % 3 == 0 && digits[i - 1] != '-') out += ',';
        out += digits[i];
    }
    return out;
}

std::string bytes_text(std::int64_t bytes) {
    if (bytes < (1 << 20)) return with_commas(bytes) + " bytes";
    std::ostringstream os;
    os.precision(1);
    os << std::fixed << static_cast<double>(bytes) / (1 << 20) << " MiB";
    return os.str();
}


// The message for a value that does not fit its schema, or "" when it fits.
std::string check_attribute(const AttributeSpec& s, const AttributeValue& v) {
    const AttributeType t = type_of(v);
    const bool type_ok = t == s.type || (s.type == AttributeType::Float && t == AttributeType::Int);
    if (!type_ok)
        return concat(s.name, " should be ", type_in_words(s.type), ", is ", type_in_words(t), " (", to_string(v), ")");
    switch (s.type) {
        case AttributeType::Int: {
            const auto x = std::get<std::int64_t>(v);
            if (!in_range(s, static_cast<double>(x))) return concat(s.name, " must be ", range_in_words(s), ", is ", x);
            break;
        }
        case AttributeType::Float: {
            const double x = t == AttributeType::Int ? static_cast<double>(std::get<std::int64_t>(v)) : std::get<double>(v);
            if (!std::isfinite(x)) return concat(s.name, " must be a finite number, is ", number(x));
            if (!in_range(s, x)) return concat(s.name, " must be ", range_in_words(s), ", is ", number(x));
            break;
        }
        case AttributeType::Bool: break;
        case AttributeType::Choice: {
            const auto& x = std::get<std::string>(v);
            if (std::find(s.choices.begin(), s.choices.end(), x) == s.choices.end()) {
                std::string list;
                for (std::size_t i = 0; i < s.choices.size(); ++i) list += (i ? ", " : "") + s.choices[i];
                return concat(s.name, " must be one of ", list, "; is \"", x, "\"");
            }
            break;
        }
        case AttributeType::IntList: {
            const auto& l = std::get<std::vector<std::int64_t>>(v);
            if (l.size() < s.min_length || (s.max_length && l.size() > s.max_length)) {
                const std::string want = s.min_length == s.max_length ? concat(s.min_length)
                                         : s.max_length             ? concat(s.min_length, " to ", s.max_length)
                                                                    : concat("at least ", s.min_length);
                return concat(s.name, " must have ", want, " value", (want == "1" ? "" : "s"), ", has ", l.size(),
                              " (", to_string(v), ")");
            }
            for (auto x : l)
                if (!in_range(s, static_cast<double>(x)))
                    return concat(s.name, " values must each be ", range_in_words(s), ", one is ", x);
            break;
        }
    }
    return {};
}

std::string port_words(const LayerDescriptor& d, std::size_t port) {
    if (!d.variadic_inputs && d.inputs.size() == 1) return "its input";
    if (d.variadic_inputs) return concat("input ", port);
    return concat("input ", port, " (", d.inputs[port].name, ")");
}

}  // namespace

Analysis analyze(const ModelGraph& graph, const LayerRegistry& registry) {
    Analysis a;
    auto error = [&](NodeId n, std::string m) { a.diagnostics.push_back({n, Severity::Error, std::move(m)}); };
    auto warning = [&](NodeId n, std::string m) { a.diagnostics.push_back({n, Severity::Warning, std::move(m)}); };

    std::map<NodeId, const LayerDescriptor*> desc;
    std::set<NodeId> attrs_ok;

    // Types, names, attributes.
    std::map<std::string, NodeId> first_with_name;
    for (const auto& [id, node] : graph.nodes()) {
        a.shapes.nodes[id];
        const LayerDescriptor* d = registry.find(node.type);
        desc[id] = d;
        if (!d && !node.plugin.empty())
            error(id, concat("needs plugin ", node.plugin.name, " \u2265 ", node.plugin.version, " (layer type ", node.type,
                             "); the plugin is not loaded"));
        else if (!d)
            error(id, concat("unknown layer type \"", node.type, "\" (is the plugin that provides it loaded?)"));
        if (d && !node.plugin.empty() && d->plugin == node.plugin.name &&
            compare_versions(d->plugin_version, node.plugin.version) < 0)
            error(id, concat("needs plugin ", node.plugin.name, " \u2265 ", node.plugin.version, " (layer type ", node.type,
                             "); version ", d->plugin_version, " is loaded"));
        if (d && d->check == LayerCheck::Failed)
            warning(id, concat(node.type, " (plugin ", d->plugin, " ", d->plugin_version,
                               ") failed its gradient check when the plugin loaded: ", d->check_message));

        if (node.name.empty()) {
            error(id, "has no name; parameters are named after their node");
        } else if (node.name.find('.') != std::string::npos) {
            error(id, concat("name '", node.name, "' must not contain '.', which separates parameter names"));
        } else if (auto [it, fresh] = first_with_name.emplace(node.name, id); !fresh) {
            error(id, concat("name '", node.name, "' is already used by node ", it->second.value,
                             "; parameter names need unique node names"));
        }
        if (!d) continue;

        bool ok = true;
        for (const auto& [name, value] : node.attributes) {
            const AttributeSpec* s = d->find_attribute(name);
            if (!s) {
                error(id, concat(node.type, " has no attribute '", name, "'"));
                ok = false;
            } else if (std::string m = attribute_problem(*s, value); !m.empty()) {
                error(id, std::move(m));
                ok = false;
            }
        }
        a.attributes[id] = d->resolve(node.attributes);
        if (ok) attrs_ok.insert(id);
    }

    // Edges: keep the ones that reach ports the layers have.
    std::vector<const Edge*> good;
    for (const auto& [eid, e] : graph.edges()) {
        const LayerDescriptor* from = desc[e.from.node];
        const LayerDescriptor* to = desc[e.to.node];
        bool ok = from && to;
        if (from && e.from.port.value >= from->outputs.size()) {
            error(e.from.node, concat(from->type, " has ", from->outputs.size(), " output", from->outputs.size() == 1 ? "" : "s",
                                      ", an edge leaves from output ", e.from.port.value));
            ok = false;
        }
        if (to) {
            const std::size_t port = e.to.port.value;
            if (!to->variadic_inputs && port >= to->inputs.size()) {
                error(e.to.node, concat(to->type, " has ", to->inputs.size(), " input", to->inputs.size() == 1 ? "" : "s",
                                        ", an edge arrives at input ", port));
                ok = false;
            } else if (to->input_port(port).kind == PortKind::DataTarget) {
                error(e.to.node, concat(port_words(*to, port), " is fed by the dataset's targets; remove the edge from '",
                                        graph.node(e.from.node).name, "'"));
                ok = false;
            }
        }
        if (ok) good.push_back(&e);
    }

    // Per node: which good edge feeds each input port; which output ports are used.
    std::map<NodeId, std::map<std::size_t, const Edge*>> in_edges;
    std::map<NodeId, std::set<std::size_t>> used_outputs;
    std::map<NodeId, std::vector<NodeId>> successors;
    for (const Edge* e : good) {
        in_edges[e->to.node][e->to.port.value] = e;
        used_outputs[e->from.node].insert(e->from.port.value);
        successors[e->from.node].push_back(e->to.node);
    }
    // Edges to or from a node of unknown type (a missing plugin's): the port is connected, with a
    // shape no one knows; that node's own diagnostic says why.
    std::map<NodeId, std::set<std::size_t>> fed_by_unknown;
    for (const auto& [eid, e] : graph.edges()) {
        if (!desc[e.from.node] && desc[e.to.node]) fed_by_unknown[e.to.node].insert(e.to.port.value);
        if (desc[e.from.node] && !desc[e.to.node]) used_outputs[e.from.node].insert(e.from.port.value);
    }

    // Missing inputs and unused outputs.
    std::set<NodeId> inputs_complete;
    for (const auto& [id, node] : graph.nodes()) {
        const LayerDescriptor* d = desc[id];
        if (!d) continue;
        const auto& connected = in_edges[id];
        const std::size_t span = connected.empty() ? 0 : connected.rbegin()->first + 1;
        bool complete = true;
        if (d->variadic_inputs && connected.size() < d->min_inputs) {
            error(id, concat(d->type, " needs at least ", d->min_inputs, " inputs, has ", connected.size()));
            complete = false;
        }
        const std::size_t count = d->variadic_inputs ? span : d->inputs.size();
        for (std::size_t p = 0; p < count; ++p) {
            if (d->input_port(p).kind == PortKind::DataTarget || connected.count(p)) continue;
            if (fed_by_unknown[id].count(p)) {
                complete = false;
                continue;
            }
            error(id, concat(port_words(*d, p), " is not connected"));
            complete = false;
        }
        if (complete) inputs_complete.insert(id);
        std::vector<EdgeId> ports;
        for (std::size_t p = 0; p < (d->variadic_inputs ? span : d->inputs.size()); ++p) {
            auto it = connected.find(p);
            ports.push_back(it == connected.end() ? EdgeId::Invalid : it->second->id);
        }
        a.inputs[id] = std::move(ports);

        for (std::size_t p = 0; p < d->outputs.size(); ++p)
            if (!used_outputs[id].count(p))
                warning(id, d->outputs.size() == 1 ? std::string("output is not used")
                                                   : concat("output ", p, " (", d->outputs[p].name, ") is not used"));
    }

    // One Input, one Loss.
    for (const char* io : {"Input", "Loss"}) {
        const auto ids = graph.nodes_of_type(io);
        if (ids.empty()) {
            error(NodeId::Invalid, concat("the model has no ", io, " node"));
        } else if (ids.size() > 1) {
            std::string names;
            for (std::size_t i = 0; i < ids.size(); ++i) names += (i ? ", " : "") + graph.node(ids[i]).name;
            for (std::size_t i = 1; i < ids.size(); ++i)
                error(ids[i], concat("the model has ", ids.size(), " ", io, " nodes (", names, "); it needs exactly one"));
        }
    }

    // Topological order (Kahn, smallest id first); what remains lies on or behind a cycle.
    std::map<NodeId, std::size_t> indegree;
    for (const auto& [id, _] : graph.nodes()) indegree[id] = 0;
    for (const Edge* e : good) ++indegree[e->to.node];
    std::set<NodeId> ready;
    for (const auto& [id, deg] : indegree)
        if (deg == 0) ready.insert(id);
    while (!ready.empty()) {
        const NodeId n = *ready.begin();
        ready.erase(ready.begin());
        a.order.push_back(n);
        for (NodeId s : successors[n])
            if (--indegree[s] == 0) ready.insert(s);
    }
    if (a.order.size() < graph.node_count()) {
        std::map<NodeId, std::vector<NodeId>> predecessors;  // among the remaining nodes
        for (const Edge* e : good)
            if (indegree[e->to.node] > 0 && indegree[e->from.node] > 0) predecessors[e->to.node].push_back(e->from.node);
        std::set<NodeId> seen;
        for (const auto& [start, deg] : indegree) {
            if (deg == 0 || seen.count(start)) continue;
            // Walk backwards: every remaining node has a remaining predecessor, so the walk meets itself.
            std::vector<NodeId> path;
            std::map<NodeId, std::size_t> pos;
            NodeId n = start;
            while (!seen.count(n) && !pos.count(n)) {
                pos[n] = path.size();
                path.push_back(n);
                n = *std::min_element(predecessors[n].begin(), predecessors[n].end());
            }
            for (NodeId p : path) seen.insert(p);
            if (!pos.count(n)) continue;  // reached an already reported cycle
            std::vector<NodeId> cycle(path.begin() + static_cast<std::ptrdiff_t>(pos[n]), path.end());
            std::reverse(cycle.begin(), cycle.end());  // edge direction
            std::rotate(cycle.begin(), std::min_element(cycle.begin(), cycle.end()), cycle.end());
            std::string names;
            for (NodeId c : cycle) names += graph.node(c).name + " -> ";
            names += graph.node(cycle.front()).name;
            for (NodeId c : cycle) error(c, concat("is part of a cycle: ", names));
        }
    }

    // Shapes, in topological order; the nodes that hold the most parameters and outputs, for the budget.
    ShapeReport& report = a.shapes;
    NodeId largest_params = NodeId::Invalid, largest_output = NodeId::Invalid;
    std::int64_t largest_elements = 0;
    for (NodeId id : a.order) {
        const LayerDescriptor* d = desc[id];
        if (!d || !attrs_ok.count(id) || !inputs_complete.count(id)) continue;
        NodeShapes& ns = report.nodes[id];
        bool inputs_known = true;
        for (const auto& [port, e] : in_edges[id]) {
            const NodeShapes& src = report.nodes[e->from.node];
            if (!src.known || e->from.port.value >= src.outputs.size()) {
                inputs_known = false;
                break;
            }
            ns.inputs.push_back(src.outputs[e->from.port.value]);
        }
        if (!inputs_known) {
            ns.inputs.clear();
            continue;
        }
        const AttributeMap& attrs = a.attributes[id];
        ShapeResult r;
        std::int64_t elements = 0;  // of the outputs, per sample
        try {
            r = d->shape(attrs, ns.inputs);
            if (r.is_ok() && r.outputs.size() != d->outputs.size())
                r = ShapeResult::fail(concat("the shape rule of ", d->type, " gives ", r.outputs.size(),
                                             " output shapes for ", d->outputs.size(), " outputs"));
            for (std::size_t o = 0; r.is_ok() && o < r.outputs.size(); ++o) {
                const Shape& out = r.outputs[o];
                if (std::any_of(out.begin(), out.end(), [](std::int64_t dim) { return dim < 0; })) {
                    r = ShapeResult::fail(concat("output shape ", shape_str(out), " has a negative size"));
                    break;
                }
                if (__builtin_add_overflow(elements, shape_numel(r.outputs[o]), &elements))  // throws past 2^63
                    r = ShapeResult::fail(concat("the outputs of ", d->type, " hold more elements than a 64-bit count"));
            }
        } catch (const std::exception& ex) {
            r = ShapeResult::fail(concat("the shape rule of ", d->type, " failed: ", ex.what()));
        }
        try {
            if (r.is_ok() && d->parameter_count) ns.parameters = d->parameter_count(attrs, ns.inputs);
            if (ns.parameters < 0) r = ShapeResult::fail(concat("the parameter count of ", d->type, " is negative"));
        } catch (const std::exception& ex) {
            r = ShapeResult::fail(concat("the parameter count of ", d->type, " failed: ", ex.what()));
        }
        // A count that fails or is negative is unknown, not an error: the model still trains.
        ns.macs = -1;
        try {
            if (r.is_ok() && d->macs) ns.macs = std::max<std::int64_t>(d->macs(attrs, ns.inputs, r.outputs), -1);
        } catch (const std::exception&) {
        }
        if (!r.is_ok()) {
            error(id, r.error);
            ns.inputs.clear();
            ns.parameters = 0;
            ns.macs = 0;
            continue;
        }
        ns.outputs = std::move(r.outputs);
        ns.known = true;
        // Totals saturate rather than wrap; the budget below refuses them long before.
        if (__builtin_add_overflow(report.total_parameters, ns.parameters, &report.total_parameters))
            report.total_parameters = std::numeric_limits<std::int64_t>::max();
        if (__builtin_add_overflow(report.activation_elements_per_sample, elements, &report.activation_elements_per_sample))
            report.activation_elements_per_sample = std::numeric_limits<std::int64_t>::max();
        if (ns.macs < 0) report.macs_complete = false;
        else if (__builtin_add_overflow(report.total_macs, ns.macs, &report.total_macs))
            report.total_macs = std::numeric_limits<std::int64_t>::max();
        if (!largest_params.valid() || ns.parameters > report.nodes[largest_params].parameters) largest_params = id;
        if (!largest_output.valid() || elements > largest_elements) largest_output = id, largest_elements = elements;
    }
    const ModelBudget budget = model_budget();
    if (report.total_parameters > budget.max_parameters && largest_params.valid())
        error(largest_params,
              concat("the model has ", with_commas(report.total_parameters), " parameters, more than the budget of ",
                     with_commas(budget.max_parameters), "; this node holds ",
                     with_commas(report.nodes[largest_params].parameters),
                     " of them (NEURA_MAX_PARAMETERS raises the budget)"));
    const std::int64_t f32 = static_cast<std::int64_t>(element_size(DType::F32));
    const std::int64_t per_sample = report.activation_elements_per_sample > std::numeric_limits<std::int64_t>::max() / f32
                                        ? std::numeric_limits<std::int64_t>::max()
                                        : report.activation_elements_per_sample * f32;
    if (per_sample > budget.max_activation_bytes_per_sample && largest_output.valid())
        error(largest_output,
              concat("the model's outputs take ",
                     per_sample == std::numeric_limits<std::int64_t>::max()
                         ? concat("more than ", with_commas(std::numeric_limits<std::int64_t>::max()), " bytes")
                         : bytes_text(per_sample),
                     " per sample in F32, more than the budget of ", bytes_text(budget.max_activation_bytes_per_sample),
                     "; this node's output holds ", with_commas(largest_elements),
                     " values per sample (NEURA_MAX_ACTIVATION_MIB raises the budget)"));
    for (const Edge* e : good) {
        const NodeShapes& src = report.nodes[e->from.node];
        if (src.known && e->from.port.value < src.outputs.size()) report.edges[e->id] = src.outputs[e->from.port.value];
    }

    std::stable_sort(a.diagnostics.begin(), a.diagnostics.end(), [](const Diagnostic& x, const Diagnostic& y) {
        return std::tuple(x.severity, x.node.valid(), x.node) < std::tuple(y.severity, y.node.valid(), y.node);
    });
    return a;
}

}  // namespace detail

// The declared bounds' message first; then the implicit bound of integer attributes.
std::string attribute_problem(const AttributeSpec& s, const AttributeValue& v) {
    std::string m = detail::check_attribute(s, v);
    return m.empty() ? detail::check_attribute(detail::bounded(s), v) : m;
}

}  // namespace neura::graph
