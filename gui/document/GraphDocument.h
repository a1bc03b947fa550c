#pragma once
// GraphDocument: the studio's model — a QObject over neura::graph::ModelGraph plus GUI data (node
// positions). Every edit is an undo command on its QUndoStack; after every change the graph is
// re-validated and the document emits what changed, so views only react. The public edits push
// commands; the primitives the commands call (no undo, no refusal) are private, the commands friends.
#include <QHash>
#include <QObject>
#include <QPointF>
#include <QSizeF>
#include <QString>
#include <QUndoStack>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "document/GraphSnapshot.h"
#include "neura/graph/ModelGraph.h"
#include "neura/graph/ShapeReport.h"
#include "neura/graph/Validate.h"
#include "neura/project/Project.h"

namespace neura::gui {

using graph::EdgeId;
using graph::NodeId;
using graph::PortIndex;
using graph::PortRef;

class GraphDocument : public QObject {
    Q_OBJECT
public:
    explicit GraphDocument(QObject* parent = nullptr);

    const graph::ModelGraph& graph() const { return graph_; }
    QUndoStack* undoStack() { return &undo_; }
    bool isModified() const { return !undo_.isClean(); }
    void markSaved() { undo_.setClean(); }

    // ---- analysis (recomputed after every change) ----
    const graph::ShapeReport& shapes() const { return shapes_; }
    const std::vector<graph::Diagnostic>& diagnostics() const { return diagnostics_; }
    std::vector<graph::Diagnostic> diagnosticsFor(NodeId id) const;
    bool hasError(NodeId id) const;

    // ---- GUI data ----
    QPointF position(NodeId id) const;
    QString nodeName(NodeId id) const;  // "" for an unknown node
    // Ports a node shows: a variadic layer shows one free port past the connected ones.
    std::size_t inputPortCount(NodeId id) const;
    std::size_t outputPortCount(NodeId id) const;
    // The layer types changed (plugins reloaded): re-validate; views rebuild (documentReset).
    void refreshLayers();

    // ---- read-only (while training): every edit below is refused with editRefused(reason) ----
    bool isReadOnly() const { return readOnly_; }
    void setReadOnly(bool readOnly, const QString& reason = {});

    // ---- edits: each pushes one undo command; false (or Invalid) when refused ----
    NodeId addNode(const QString& type, QPointF pos, const graph::AttributeMap& attributes = {});
    bool removeNodes(const std::vector<NodeId>& ids);
    // Empty when `from` (an output) may be connected to `to` (an input); otherwise why not.
    QString connectionProblem(PortRef from, PortRef to) const;
    EdgeId connectPorts(PortRef from, PortRef to);
    bool disconnect(EdgeId id);
    // The edges that still exist, as one undo step ("Disconnect 3 edges"); nothing is pushed (false)
    // when none does or the document is read-only.
    bool disconnectEdges(const std::vector<EdgeId>& ids);
    // Deletes the nodes (with their edges) and the other edges, as one undo step; nothing is pushed
    // (false) when none of them exists or the document is read-only.
    bool removeItems(const std::vector<NodeId>& nodes, const std::vector<EdgeId>& edges);
    // `dragId` groups the moves of one drag into one undo step; -1 never merges.
    bool moveNodes(const std::map<NodeId, QPointF>& positions, int dragId = -1, const QString& text = {});
    bool setAttribute(NodeId id, const std::string& name, const graph::AttributeValue& value);
    bool rename(NodeId id, const QString& name);
    bool undo();
    bool redo();

    // Layered left-to-right by topological depth, as one undo step. A chain too long for `canvas` (the
    // view's viewport in pixels; empty: the default window's canvas) at a legible zoom wraps into rows,
    // each read left to right, as few as reach that zoom. `nodeHeight` gives the nodes' heights in scene
    // units (the view's items); without it they are estimated from the port counts.
    bool autoLayout(QSizeF canvas = {}, const std::function<double(NodeId)>& nodeHeight = {});
    std::map<NodeId, QPointF> layeredPositions(QSizeF canvas = {},
                                               const std::function<double(NodeId)>& nodeHeight = {}) const;

    // ---- clipboard ----
    QString copyText(const std::vector<NodeId>& ids) const;       // the nodes, edges among them, positions
    std::vector<NodeId> paste(const QString& text, QPointF offset);  // new ids; empty when not ours / refused

    // ---- files ----
    // Replaces everything with the project's model and layout; throws neura::Error (document unchanged)
    // when the model cannot be read.
    void loadProject(const project::Project& project);
    // Writes model_json and layout_json; leaves every other field alone.
    void storeInto(project::Project& project) const;
    // An Input and a Loss, nothing else.
    void newDocument();

    // Snapshot of `ids` with every edge touching them.
    GraphSnapshot snapshot(const std::vector<NodeId>& ids) const;

    static QString shapeText(const Shape& s);  // "[B, 32]"
    static QString countText(std::int64_t n);  // "2,179"

signals:
    void nodeAdded(neura::graph::NodeId id);
    void nodeRemoved(neura::graph::NodeId id);
    void edgeAdded(neura::graph::EdgeId id);
    void edgeRemoved(neura::graph::EdgeId id);
    void nodeMoved(neura::graph::NodeId id, QPointF pos);
    void attributeChanged(neura::graph::NodeId id, const QString& name);
    void nodeRenamed(neura::graph::NodeId id);
    void analysisChanged();
    void documentReset();  // loaded or new: views rebuild from scratch
    void editRefused(const QString& reason);
    void readOnlyChanged(bool readOnly);

private:
    // ---- primitives for the undo commands only: no undo, no refusal, but signals and analysis ----
    friend class AddNodeCommand;
    friend class RemoveNodesCommand;
    friend class ConnectCommand;
    friend class DisconnectCommand;
    friend class MoveNodesCommand;
    friend class SetAttributeCommand;
    friend class RenameCommand;
    void insertSnapshot(const GraphSnapshot& s);
    void removeSnapshot(const GraphSnapshot& s);
    EdgeId insertEdge(const graph::Edge& edge);
    void eraseEdge(EdgeId id);
    void placeNode(NodeId id, QPointF pos);
    void assignAttribute(NodeId id, const std::string& name, const std::optional<graph::AttributeValue>& value);
    void assignName(NodeId id, const std::string& name);

    bool refuseIfReadOnly();
    void analyse();
    QString layoutJson() const;
    void applyLayoutJson(const std::string& text);

    graph::ModelGraph graph_;
    std::map<NodeId, QPointF> positions_;
    graph::ShapeReport shapes_;
    std::vector<graph::Diagnostic> diagnostics_;
    QUndoStack undo_;
    bool readOnly_ = false;
    QString readOnlyReason_;
};

}  // namespace neura::gui
