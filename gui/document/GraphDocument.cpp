#include "document/GraphDocument.h"

#include <QLocale>
#include <algorithm>
#include <functional>
#include <nlohmann/json.hpp>
#include <set>

#include "document/commands/AddNodeCommand.h"
#include "document/commands/ConnectCommand.h"
#include "document/commands/DisconnectCommand.h"
#include "document/commands/MoveNodesCommand.h"
#include "document/commands/RemoveNodesCommand.h"
#include "document/commands/RenameCommand.h"
#include "document/commands/SetAttributeCommand.h"
#include "neura/core/Error.h"
#include "neura/core/JsonText.h"
#include "neura/graph/LayerRegistry.h"
#include "neura/graph/ModelJson.h"

namespace neura::gui {

using nlohmann::json;
namespace {
constexpr const char* kClipboardTag = "neurastudio-nodes";
constexpr double kLayerSpacingX = 200.0;  // from one layer's left edge to the next's
constexpr double kLayerSpacingY = 160.0;  // a new document's nodes
// Auto layout. The node measures are the editor's (NodeItem: 160 wide, 44 header + 20 per port row + 42
// footer; its bounding rectangle 3 more on each side), the margin GraphScene::contentRect's, the zoom
// limit GraphView::fitToContents'.
constexpr double kNodeWidth = 160.0 + 6.0;
constexpr double kNodeGapY = 40.0;       // between the nodes of one layer
constexpr double kRowGap = 50.0;         // between the rows of a wrapped chain
constexpr double kFitMargin = 30.0 + 3.0;
constexpr double kMaxFitZoom = 1.25;
// The zoom at which node names and shapes read comfortably; a layout wraps into as few rows as reach it.
constexpr double kLegibleZoom = 0.85;
// The canvas of the default window (1440 × 900 with the default docks), for layouts made without a view.
const QSizeF kDefaultCanvas(900, 290);
}  // namespace

GraphDocument::GraphDocument(QObject* parent) : QObject(parent) { analyse(); }

// ---------------------------------------------------------------- queries

std::vector<graph::Diagnostic> GraphDocument::diagnosticsFor(NodeId id) const {
    std::vector<graph::Diagnostic> out;
    for (const auto& d : diagnostics_)
        if (d.node == id) out.push_back(d);
    return out;
}

bool GraphDocument::hasError(NodeId id) const {
    return std::any_of(diagnostics_.begin(), diagnostics_.end(),
                       [id](const auto& d) { return d.node == id && d.severity == graph::Severity::Error; });
}

QPointF GraphDocument::position(NodeId id) const {
    auto it = positions_.find(id);
    return it == positions_.end() ? QPointF() : it->second;
}

QString GraphDocument::nodeName(NodeId id) const {
    const graph::Node* n = graph_.find_node(id);
    return n ? QString::fromStdString(n->name) : QString();
}

std::size_t GraphDocument::inputPortCount(NodeId id) const {
    const graph::Node* n = graph_.find_node(id);
    const graph::LayerDescriptor* d = n ? graph::LayerRegistry::instance().find(n->type) : nullptr;
    if (!n) return 0;
    std::size_t connected = 0;
    for (EdgeId e : graph_.edges_into(id)) connected = std::max<std::size_t>(connected, graph_.edge(e).to.port.value + 1);
    if (!d) return n->plugin.empty() ? 0 : std::max(n->plugin.inputs.size(), connected);  // a missing plugin's: as stored
    if (!d->variadic_inputs) return std::max(d->inputs.size(), connected);
    return std::max(d->input_count(connected), connected + 1);
}

std::size_t GraphDocument::outputPortCount(NodeId id) const {
    const graph::Node* n = graph_.find_node(id);
    const graph::LayerDescriptor* d = n ? graph::LayerRegistry::instance().find(n->type) : nullptr;
    if (d || !n || n->plugin.empty()) return d ? d->outputs.size() : 0;
    std::size_t used = 0;  // a missing plugin's node: the ports stored, and any an edge leaves from
    for (EdgeId e : graph_.edges_out_of(id)) used = std::max<std::size_t>(used, graph_.edge(e).from.port.value + 1);
    return std::max(n->plugin.outputs.size(), used);
}

void GraphDocument::refreshLayers() {
    analyse();
    emit documentReset();
}

QString GraphDocument::shapeText(const Shape& s) {
    QString t = QStringLiteral("[B");
    for (auto d : s) t += QStringLiteral(", ") + QString::number(d);
    return t + QLatin1Char(']');
}

QString GraphDocument::countText(std::int64_t n) { return QLocale(QLocale::English).toString(qlonglong(n)); }

// ---------------------------------------------------------------- read-only

void GraphDocument::setReadOnly(bool readOnly, const QString& reason) {
    readOnlyReason_ = reason.isEmpty() ? tr("The model cannot be edited while it is training.") : reason;
    if (readOnly_ == readOnly) return;
    readOnly_ = readOnly;
    emit readOnlyChanged(readOnly_);
}

bool GraphDocument::refuseIfReadOnly() {
    if (!readOnly_) return false;
    emit editRefused(readOnlyReason_);
    return true;
}

// ---------------------------------------------------------------- edits

NodeId GraphDocument::addNode(const QString& type, QPointF pos, const graph::AttributeMap& attributes) {
    if (refuseIfReadOnly()) return NodeId::Invalid;
    const std::string t = type.toStdString();
    if (!graph::LayerRegistry::instance().contains(t)) {
        emit editRefused(tr("Unknown layer type \"%1\".").arg(type));
        return NodeId::Invalid;
    }
    // The id add_node gives next (ids are never reused, so redo after undo keeps it).
    graph::Node node{graph_.next_node_id(), t, graph_.unique_name(t), attributes};
    GraphSnapshot s;
    s.nodes.push_back(node);
    s.positions[node.id] = pos;
    undo_.push(new AddNodeCommand(this, std::move(s), tr("Add %1").arg(type)));
    return node.id;
}

bool GraphDocument::removeNodes(const std::vector<NodeId>& ids) {
    if (refuseIfReadOnly()) return false;
    std::vector<NodeId> present;
    for (NodeId id : ids)
        if (graph_.has_node(id)) present.push_back(id);
    if (present.empty()) return false;
    undo_.push(new RemoveNodesCommand(this, snapshot(present)));
    return true;
}

QString GraphDocument::connectionProblem(PortRef from, PortRef to) const {
    const graph::Node* a = graph_.find_node(from.node);
    const graph::Node* b = graph_.find_node(to.node);
    if (!a || !b) return tr("That node no longer exists.");
    if (from.node == to.node) return tr("A node cannot feed itself.");
    const auto& reg = graph::LayerRegistry::instance();
    const graph::LayerDescriptor* da = reg.find(a->type);
    const graph::LayerDescriptor* db = reg.find(b->type);
    if (!da || !db) return tr("Unknown layer type.");
    if (!from.port.valid() || from.port.value >= da->outputs.size())
        return tr("%1 has no output %2.").arg(nodeName(from.node)).arg(from.port.value);
    if (!to.port.valid() || to.port.value >= inputPortCount(to.node))
        return tr("%1 has no input %2.").arg(nodeName(to.node)).arg(to.port.value);
    const graph::PortSpec& port = db->input_port(to.port.value);
    const QString portName = QString::fromStdString(port.name);
    if (port.kind == graph::PortKind::DataTarget)
        return tr("The '%1' input of %2 is fed by the dataset's targets, not by a layer.").arg(portName, nodeName(to.node));
    if (auto e = graph_.edge_into(to))
        return tr("Input '%1' of %2 is already connected (from %3); delete that edge first.")
            .arg(portName, nodeName(to.node), nodeName(graph_.edge(*e).from.node));
    // A cycle: `to.node` already reaches `from.node`.
    std::vector<NodeId> stack{to.node};
    std::set<NodeId> seen;
    while (!stack.empty()) {
        const NodeId n = stack.back();
        stack.pop_back();
        if (n == from.node) return tr("Connecting %1 → %2 would make a cycle.").arg(nodeName(from.node), nodeName(to.node));
        if (!seen.insert(n).second) continue;
        for (EdgeId e : graph_.edges_out_of(n)) stack.push_back(graph_.edge(e).to.node);
    }
    return {};
}

EdgeId GraphDocument::connectPorts(PortRef from, PortRef to) {
    if (refuseIfReadOnly()) return EdgeId::Invalid;
    const QString problem = connectionProblem(from, to);
    if (!problem.isEmpty()) {
        emit editRefused(problem);
        return EdgeId::Invalid;
    }
    auto* cmd = new ConnectCommand(this, from, to);
    undo_.push(cmd);
    return cmd->edge();
}

bool GraphDocument::disconnect(EdgeId id) {
    if (refuseIfReadOnly() || !graph_.has_edge(id)) return false;
    undo_.push(new DisconnectCommand(this, graph_.edge(id)));
    return true;
}

bool GraphDocument::disconnectEdges(const std::vector<EdgeId>& ids) {
    if (refuseIfReadOnly()) return false;
    std::vector<EdgeId> present;
    for (EdgeId id : ids)
        if (graph_.has_edge(id) && std::find(present.begin(), present.end(), id) == present.end()) present.push_back(id);
    if (present.empty()) return false;  // an empty macro would still be an undo step, and "modified"
    if (present.size() == 1) return disconnect(present.front());
    undo_.beginMacro(tr("Disconnect %1 edges").arg(present.size()));
    for (EdgeId id : present) undo_.push(new DisconnectCommand(this, graph_.edge(id)));
    undo_.endMacro();
    return true;
}

bool GraphDocument::removeItems(const std::vector<NodeId>& nodes, const std::vector<EdgeId>& edges) {
    if (refuseIfReadOnly()) return false;
    std::vector<NodeId> presentNodes;
    for (NodeId id : nodes)
        if (graph_.has_node(id)) presentNodes.push_back(id);
    // Edges touching a deleted node go with it (its snapshot keeps them for undo).
    std::vector<EdgeId> otherEdges;
    for (EdgeId id : edges) {
        if (!graph_.has_edge(id)) continue;
        const graph::Edge& e = graph_.edge(id);
        const auto touches = [&](NodeId n) { return n == e.from.node || n == e.to.node; };
        if (std::none_of(presentNodes.begin(), presentNodes.end(), touches)) otherEdges.push_back(id);
    }
    if (presentNodes.empty()) return disconnectEdges(otherEdges);
    if (otherEdges.empty()) return removeNodes(presentNodes);
    const QString nodesText = presentNodes.size() == 1 ? tr("1 node") : tr("%1 nodes").arg(presentNodes.size());
    const QString edgesText = otherEdges.size() == 1 ? tr("1 edge") : tr("%1 edges").arg(otherEdges.size());
    undo_.beginMacro(tr("Delete %1 and %2").arg(nodesText, edgesText));
    removeNodes(presentNodes);
    disconnectEdges(otherEdges);
    undo_.endMacro();
    return true;
}

bool GraphDocument::moveNodes(const std::map<NodeId, QPointF>& positions, int dragId, const QString& text) {
    if (refuseIfReadOnly()) return false;
    std::map<NodeId, QPointF> from, to;
    for (const auto& [id, p] : positions) {
        if (!graph_.has_node(id) || position(id) == p) continue;
        from[id] = position(id);
        to[id] = p;
    }
    if (to.empty()) return false;
    undo_.push(new MoveNodesCommand(this, std::move(from), std::move(to), dragId, text));
    return true;
}

bool GraphDocument::setAttribute(NodeId id, const std::string& name, const graph::AttributeValue& value) {
    if (refuseIfReadOnly()) return false;
    const graph::Node* n = graph_.find_node(id);
    if (!n) return false;
    std::optional<graph::AttributeValue> before;
    if (auto it = n->attributes.find(name); it != n->attributes.end()) before = it->second;
    if (before && *before == value) return false;
    if (!before) {  // unset: compare with the default so a no-op edit does not dirty the document
        const graph::LayerDescriptor* d = graph::LayerRegistry::instance().find(n->type);
        const graph::AttributeSpec* s = d ? d->find_attribute(name) : nullptr;
        if (s && s->default_value == value) return false;
    }
    undo_.push(new SetAttributeCommand(this, id, name, std::move(before), value));
    return true;
}

bool GraphDocument::rename(NodeId id, const QString& name) {
    if (refuseIfReadOnly()) return false;
    const graph::Node* n = graph_.find_node(id);
    if (!n) return false;
    const std::string s = name.trimmed().toStdString();
    if (s == n->name) return false;
    if (s.empty()) {
        emit editRefused(tr("A node needs a name."));
        return false;
    }
    if (s.find('.') != std::string::npos) {
        emit editRefused(tr("Names cannot contain '.': parameters are named \"<name>.weight\"."));
        return false;
    }
    if (graph_.find_node(s).valid()) {
        emit editRefused(tr("Another node is already named \"%1\".").arg(QString::fromStdString(s)));
        return false;
    }
    undo_.push(new RenameCommand(this, id, n->name, s));
    return true;
}

bool GraphDocument::undo() {
    if (refuseIfReadOnly() || !undo_.canUndo()) return false;
    undo_.undo();
    return true;
}

bool GraphDocument::redo() {
    if (refuseIfReadOnly() || !undo_.canRedo()) return false;
    undo_.redo();
    return true;
}

std::map<NodeId, QPointF> GraphDocument::layeredPositions(QSizeF canvas,
                                                         const std::function<double(NodeId)>& nodeHeight) const {
    // Depth = longest path from a node without inputs; cycles are cut by the visit limit.
    std::map<NodeId, int> depth;
    for (const auto& [id, n] : graph_.nodes()) depth[id] = 0;
    for (std::size_t pass = 0; pass < graph_.node_count(); ++pass) {
        bool changed = false;
        for (const auto& [eid, e] : graph_.edges()) {
            const int d = depth[e.from.node] + 1;
            if (d > depth[e.to.node]) {
                depth[e.to.node] = d;
                changed = true;
            }
        }
        if (!changed) break;
    }
    std::map<int, std::vector<NodeId>> byDepth;
    for (const auto& [id, d] : depth) byDepth[d].push_back(id);
    std::vector<std::vector<NodeId>> layers;
    for (auto& [d, ids] : byDepth) {
        // Keep the present vertical order within a layer.
        std::stable_sort(ids.begin(), ids.end(), [this](NodeId a, NodeId b) { return position(a).y() < position(b).y(); });
        layers.push_back(std::move(ids));
    }
    // Node heights: the view's when it gives them, else NodeItem's rule from the port counts.
    std::map<NodeId, double> height;
    for (const auto& [id, d] : depth) {
        const double rows = static_cast<double>(std::max({inputPortCount(id), outputPortCount(id), std::size_t{1}}));
        height[id] = (nodeHeight ? nodeHeight(id) : (rows <= 1 ? 86.0 : 86.0 + 20.0 * rows)) + 6.0;
    }
    std::vector<double> stack(layers.size(), 0.0);  // a layer's nodes one above the other
    for (std::size_t l = 0; l < layers.size(); ++l) {
        for (NodeId id : layers[l]) stack[l] += height[id];
        stack[l] += kNodeGapY * static_cast<double>(layers[l].size() - 1);
    }
    if (canvas.width() <= 0 || canvas.height() <= 0) canvas = kDefaultCanvas;

    // Layers left to right; a long chain wraps after `columns` layers into further rows (each read left to
    // right, as text). Returns the zoom that fits the result into the canvas.
    auto arrange = [&](std::size_t columns, std::map<NodeId, QPointF>* out) {
        double top = 0, width = 0;
        for (std::size_t start = 0; start < layers.size(); start += columns) {
            const std::size_t end = std::min(layers.size(), start + columns);
            const double band = *std::max_element(stack.begin() + static_cast<std::ptrdiff_t>(start),
                                                  stack.begin() + static_cast<std::ptrdiff_t>(end));
            for (std::size_t l = start; l < end && out; ++l) {
                // Centred in a single row; in wrapped rows flush with the row's top, so that the gap
                // between rows is clear for the edge that returns to the next row's start.
                double y = top + (columns < layers.size() ? 0.0 : (band - stack[l]) / 2);
                for (NodeId id : layers[l]) {
                    (*out)[id] = QPointF(static_cast<double>(l - start) * kLayerSpacingX, y);
                    y += height[id] + kNodeGapY;
                }
            }
            width = std::max(width, static_cast<double>(end - start - 1) * kLayerSpacingX + kNodeWidth);
            top += band + kRowGap;
        }
        const double w = width + 2 * kFitMargin, h = top - kRowGap + 2 * kFitMargin;
        return std::min({canvas.width() / w, canvas.height() / h, kMaxFitZoom});
    };
    std::map<NodeId, QPointF> out;
    if (layers.empty()) return out;
    // The fewest rows that reach a legible zoom; when none does, the largest zoom (fewest rows on ties).
    std::size_t best = layers.size();
    double bestZoom = 0;
    for (std::size_t rows = 1; rows <= layers.size(); ++rows) {
        const std::size_t columns = (layers.size() + rows - 1) / rows;
        if (rows > 1 && (layers.size() + columns - 1) / columns != rows) continue;  // same as fewer rows
        const double zoom = arrange(columns, nullptr);
        if (zoom > bestZoom + 1e-9) {
            bestZoom = zoom;
            best = columns;
        }
        if (zoom >= kLegibleZoom) break;
    }
    arrange(best, &out);
    return out;
}

bool GraphDocument::autoLayout(QSizeF canvas, const std::function<double(NodeId)>& nodeHeight) {
    return moveNodes(layeredPositions(canvas, nodeHeight), -1, tr("Auto layout"));
}

// ---------------------------------------------------------------- clipboard

QString GraphDocument::copyText(const std::vector<NodeId>& ids) const {
    graph::ModelGraph part;
    std::set<NodeId> chosen;
    json positions = json::object();
    for (NodeId id : ids) {
        const graph::Node* n = graph_.find_node(id);
        if (!n) continue;
        part.add_node(*n);
        chosen.insert(id);
        positions[std::to_string(id.value)] = {position(id).x(), position(id).y()};
    }
    if (chosen.empty()) return {};
    for (const auto& [eid, e] : graph_.edges())
        if (chosen.count(e.from.node) && chosen.count(e.to.node)) part.add_edge(e);
    json root = {{"kind", kClipboardTag}, {"model", json::parse(graph::to_json(part))}, {"positions", positions}};
    return QString::fromStdString(root.dump());
}

std::vector<NodeId> GraphDocument::paste(const QString& text, QPointF offset) {
    // The clipboard is outside text: bounded nesting (neura/core/JsonText.h), every value's type checked.
    const std::optional<json> parsed = neura::try_parse_json(text.toStdString());
    if (!parsed || !parsed->is_object()) return {};
    json root = *parsed;
    const auto kind = root.find("kind");
    if (kind == root.end() || !kind->is_string() || *kind != kClipboardTag || !root.contains("model")) return {};
    if (refuseIfReadOnly()) return {};
    graph::ModelGraph part;
    try {
        part = graph::from_json(root["model"].dump());
    } catch (const neura::Error& e) {
        emit editRefused(tr("Cannot paste: %1").arg(QString::fromUtf8(e.what())));
        return {};
    }
    graph::ModelGraph probe = graph_;  // assigns the fresh ids and unique names the paste will use
    GraphSnapshot s;
    std::map<NodeId, NodeId> remap;
    const json pos = root.contains("positions") && root["positions"].is_object() ? root["positions"] : json::object();
    for (const auto& [oldId, n] : part.nodes()) {
        graph::Node copy = n;
        copy.id = NodeId::Invalid;
        if (probe.find_node(copy.name).valid()) copy.name = probe.unique_name(copy.type);
        copy.id = probe.add_node(copy);
        remap[oldId] = copy.id;
        QPointF p;
        if (auto it = pos.find(std::to_string(oldId.value));
            it != pos.end() && it->is_array() && it->size() == 2 && (*it)[0].is_number() && (*it)[1].is_number())
            p = QPointF((*it)[0].get<double>(), (*it)[1].get<double>());
        s.positions[copy.id] = p + offset;
        s.nodes.push_back(std::move(copy));
    }
    for (const auto& [eid, e] : part.edges()) {
        graph::Edge copy{EdgeId::Invalid, {remap.at(e.from.node), e.from.port}, {remap.at(e.to.node), e.to.port}};
        copy.id = probe.add_edge(copy);
        s.edges.push_back(copy);
    }
    std::vector<NodeId> ids;
    for (const auto& n : s.nodes) ids.push_back(n.id);
    if (ids.empty()) return {};
    const QString label = ids.size() == 1 ? tr("Paste %1").arg(QString::fromStdString(s.nodes.front().type))
                                          : tr("Paste %1 nodes").arg(ids.size());
    undo_.push(new AddNodeCommand(this, std::move(s), label));
    return ids;
}

// ---------------------------------------------------------------- files

QString GraphDocument::layoutJson() const {
    json nodes = json::object();
    for (const auto& [id, p] : positions_)
        if (graph_.has_node(id)) nodes[std::to_string(id.value)] = {{"x", p.x()}, {"y", p.y()}};
    return QString::fromStdString(json{{"version", 1}, {"nodes", nodes}}.dump());
}

void GraphDocument::applyLayoutJson(const std::string& text) {
    const std::optional<json> parsed = neura::try_parse_json(text);
    if (!parsed || !parsed->is_object()) return;
    const json& root = *parsed;
    if (!root.contains("nodes") || !root["nodes"].is_object()) return;
    for (const auto& [key, v] : root["nodes"].items()) {
        if (!v.is_object() || !v.contains("x") || !v.contains("y") || !v["x"].is_number() || !v["y"].is_number())
            continue;
        try {
            const NodeId id{static_cast<NodeId::Rep>(std::stoul(key))};
            if (graph_.has_node(id)) positions_[id] = QPointF(v["x"].get<double>(), v["y"].get<double>());
        } catch (const std::exception&) {
            // a key that is not a node id: ignore, the node gets a computed place
        }
    }
}

void GraphDocument::loadProject(const project::Project& project) {
    graph::ModelGraph g = project.model_json.empty() ? graph::ModelGraph() : graph::from_json(project.model_json);
    // Commit only after the model parsed: a failure leaves the document as it was.
    undo_.clear();
    graph_ = std::move(g);
    positions_.clear();
    applyLayoutJson(project.layout_json);
    bool missing = false;
    for (const auto& [id, n] : graph_.nodes()) missing = missing || !positions_.count(id);
    if (missing) {
        const auto laid = layeredPositions();
        for (const auto& [id, n] : graph_.nodes()) positions_.try_emplace(id, laid.at(id));
    }
    analyse();
    emit documentReset();
    undo_.setClean();
}

void GraphDocument::storeInto(project::Project& project) const {
    project.model_json = graph::to_json(graph_);
    project.layout_json = layoutJson().toStdString();
}

void GraphDocument::newDocument() {
    undo_.clear();
    graph_.clear();
    positions_.clear();
    const NodeId in = graph_.add_node("Input", "input");
    const NodeId loss = graph_.add_node("Loss", "loss");
    positions_[in] = QPointF(0, 0);
    positions_[loss] = QPointF(2 * kLayerSpacingX, 0);
    analyse();
    emit documentReset();
    undo_.setClean();
}

GraphSnapshot GraphDocument::snapshot(const std::vector<NodeId>& ids) const {
    GraphSnapshot s;
    std::set<NodeId> chosen;
    for (NodeId id : ids) {
        if (const graph::Node* n = graph_.find_node(id); n && chosen.insert(id).second) {
            s.nodes.push_back(*n);
            s.positions[id] = position(id);
        }
    }
    for (const auto& [eid, e] : graph_.edges())
        if (chosen.count(e.from.node) || chosen.count(e.to.node)) s.edges.push_back(e);
    return s;
}

// ---------------------------------------------------------------- primitives

void GraphDocument::insertSnapshot(const GraphSnapshot& s) {
    for (const auto& n : s.nodes) {
        graph_.add_node(n);
        positions_[n.id] = s.positions.count(n.id) ? s.positions.at(n.id) : QPointF();
        emit nodeAdded(n.id);
    }
    for (const auto& e : s.edges) {
        graph_.add_edge(e);
        emit edgeAdded(e.id);
    }
    analyse();
}

void GraphDocument::removeSnapshot(const GraphSnapshot& s) {
    for (const auto& e : s.edges)
        if (graph_.remove_edge(e.id)) emit edgeRemoved(e.id);
    for (const auto& n : s.nodes) {
        for (EdgeId e : graph_.edges_into(n.id)) {  // edges the snapshot did not know of
            graph_.remove_edge(e);
            emit edgeRemoved(e);
        }
        for (EdgeId e : graph_.edges_out_of(n.id)) {
            graph_.remove_edge(e);
            emit edgeRemoved(e);
        }
        graph_.remove_node(n.id);
        positions_.erase(n.id);
        emit nodeRemoved(n.id);
    }
    analyse();
}

EdgeId GraphDocument::insertEdge(const graph::Edge& edge) {
    const EdgeId id = graph_.add_edge(edge);
    emit edgeAdded(id);
    analyse();
    return id;
}

void GraphDocument::eraseEdge(EdgeId id) {
    if (!graph_.remove_edge(id)) return;
    emit edgeRemoved(id);
    analyse();
}

void GraphDocument::placeNode(NodeId id, QPointF pos) {
    if (!graph_.has_node(id)) return;
    positions_[id] = pos;
    emit nodeMoved(id, pos);
}

void GraphDocument::assignAttribute(NodeId id, const std::string& name,
                                    const std::optional<graph::AttributeValue>& value) {
    if (!graph_.has_node(id)) return;
    if (value)
        graph_.set_attribute(id, name, *value);
    else
        graph_.remove_attribute(id, name);
    emit attributeChanged(id, QString::fromStdString(name));
    analyse();
}

void GraphDocument::assignName(NodeId id, const std::string& name) {
    if (!graph_.has_node(id)) return;
    graph_.set_name(id, name);
    emit nodeRenamed(id);
    analyse();
}

void GraphDocument::analyse() {
    shapes_ = graph::infer_shapes(graph_);
    diagnostics_ = graph::validate(graph_);
    emit analysisChanged();
}

}  // namespace neura::gui
