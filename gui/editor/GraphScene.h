#pragma once
// GraphScene: the canvas. It mirrors the GraphDocument — it creates, moves and removes items only in
// answer to the document's signals — and turns the user's gestures (port drags, node drags, drops
// from the palette) into requests to the document.
#include <QGraphicsScene>
#include <QMap>
#include <map>
#include <vector>

#include "neura/graph/ModelGraph.h"
#include "neura/train/Insight.h"

class QGraphicsPathItem;

namespace neura::gui {

class GraphDocument;
class NodeItem;
class EdgeItem;
class PortItem;

class GraphScene : public QGraphicsScene {
    Q_OBJECT
public:
    static constexpr double kGrid = 20.0;
    static constexpr const char* kLayerMimeType = "application/x-neura-layer";

    explicit GraphScene(GraphDocument* doc, QObject* parent = nullptr);
    ~GraphScene() override;

    GraphDocument* document() const { return doc_; }
    NodeItem* nodeItem(graph::NodeId id) const;
    EdgeItem* edgeItem(graph::EdgeId id) const;
    std::vector<graph::NodeId> selectedNodes() const;
    std::vector<graph::EdgeId> selectedEdges() const;
    void selectNodes(const std::vector<graph::NodeId>& ids);
    static QPointF snap(QPointF p);

    // Deletes the selected nodes (one undo step) or else the selected edges.
    void deleteSelection();
    // Bounding rectangle of the nodes, with a margin.
    QRectF contentRect() const;

    // Gradient-check verdicts by node id value (GradcheckPanel::verdictOf): the nodes' halos. Any edit
    // of the model clears them, since they no longer describe it.
    void setGradcheckVerdicts(const QMap<quint32, int>& verdicts);
    void clearGradcheckVerdicts();
    // A batch seen from inside: nodes get their activation scale, edges the gradient flowing back
    // along them. Null (or any edit of the model) clears it.
    void setInsight(const train::CapturePtr& capture);
    const train::CapturePtr& insight() const { return insight_; }

signals:
    void statusMessage(const QString& text);

protected:
    void drawBackground(QPainter* painter, const QRectF& rect) override;
    void mousePressEvent(QGraphicsSceneMouseEvent* e) override;
    void mouseMoveEvent(QGraphicsSceneMouseEvent* e) override;
    void mouseReleaseEvent(QGraphicsSceneMouseEvent* e) override;
    void dragEnterEvent(QGraphicsSceneDragDropEvent* e) override;
    void dragMoveEvent(QGraphicsSceneDragDropEvent* e) override;
    void dropEvent(QGraphicsSceneDragDropEvent* e) override;

private:
    void rebuild();
    void addNodeItem(graph::NodeId id);
    void addEdgeItem(graph::EdgeId id);
    void removeNodeItem(graph::NodeId id);
    void removeEdgeItem(graph::EdgeId id);
    void moveNodeItem(graph::NodeId id, QPointF pos);
    void refreshAnalysis();
    void updateEdge(EdgeItem* item);
    void updateEdgesOf(graph::NodeId id);
    PortItem* portAt(QPointF scenePos) const;
    void finishPortDrag(QPointF scenePos);
    void modelEdited();
    void applyInsight();

    GraphDocument* doc_;
    train::CapturePtr insight_;
    std::map<graph::NodeId, NodeItem*> nodes_;
    std::map<graph::EdgeId, EdgeItem*> edges_;

    // A connection being dragged out of a port.
    PortItem* dragPort_ = nullptr;
    graph::EdgeId pickedEdge_;  // an edge lifted off its input port: the drag moves or removes it
    PortItem* dropTarget_ = nullptr;
    QGraphicsPathItem* pendingEdge_ = nullptr;

    // Nodes being dragged: start positions, press point; one drag id per gesture for merging.
    bool draggingNodes_ = false;
    QPointF pressPos_;
    std::map<graph::NodeId, QPointF> dragStart_;
    int dragId_ = 0;
};

}  // namespace neura::gui
