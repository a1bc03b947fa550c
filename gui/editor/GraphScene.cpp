#include "editor/GraphScene.h"

#include <QApplication>
#include <QGraphicsPathItem>
#include <QGraphicsSceneDragDropEvent>
#include <QGraphicsSceneMouseEvent>
#include <QMimeData>
#include <QPainter>
#include <QPalette>
#include <algorithm>
#include <cmath>
#include <limits>

#include "document/GraphDocument.h"
#include "editor/EdgeItem.h"
#include "editor/NodeItem.h"
#include "editor/PortItem.h"

namespace neura::gui {

GraphScene::GraphScene(GraphDocument* doc, QObject* parent) : QGraphicsScene(parent), doc_(doc) {
    setSceneRect(-5000, -5000, 10000, 10000);
    setItemIndexMethod(QGraphicsScene::NoIndex);  // items move often; the graphs are small
    connect(doc_, &GraphDocument::documentReset, this, &GraphScene::rebuild);
    connect(doc_, &GraphDocument::nodeAdded, this, &GraphScene::addNodeItem);
    connect(doc_, &GraphDocument::nodeRemoved, this, &GraphScene::removeNodeItem);
    connect(doc_, &GraphDocument::edgeAdded, this, &GraphScene::addEdgeItem);
    connect(doc_, &GraphDocument::edgeRemoved, this, &GraphScene::removeEdgeItem);
    connect(doc_, &GraphDocument::nodeMoved, this, &GraphScene::moveNodeItem);
    connect(doc_, &GraphDocument::analysisChanged, this, &GraphScene::refreshAnalysis);
    for (auto signal : {&GraphDocument::nodeAdded, &GraphDocument::nodeRemoved})
        connect(doc_, signal, this, &GraphScene::modelEdited);
    for (auto signal : {&GraphDocument::edgeAdded, &GraphDocument::edgeRemoved})
        connect(doc_, signal, this, &GraphScene::modelEdited);
    connect(doc_, &GraphDocument::attributeChanged, this, &GraphScene::modelEdited);
    connect(doc_, &GraphDocument::documentReset, this, &GraphScene::modelEdited);
    rebuild();
}

GraphScene::~GraphScene() {
    // Items die with the scene; nobody should hear a selection change from that.
    blockSignals(true);
    nodes_.clear();
    edges_.clear();
}

NodeItem* GraphScene::nodeItem(graph::NodeId id) const {
    auto it = nodes_.find(id);
    return it == nodes_.end() ? nullptr : it->second;
}

EdgeItem* GraphScene::edgeItem(graph::EdgeId id) const {
    auto it = edges_.find(id);
    return it == edges_.end() ? nullptr : it->second;
}

std::vector<graph::NodeId> GraphScene::selectedNodes() const {
    std::vector<graph::NodeId> out;
    for (const auto& [id, item] : nodes_)
        if (item->isSelected()) out.push_back(id);
    return out;
}

std::vector<graph::EdgeId> GraphScene::selectedEdges() const {
    std::vector<graph::EdgeId> out;
    for (const auto& [id, item] : edges_)
        if (item->isSelected()) out.push_back(id);
    return out;
}

void GraphScene::selectNodes(const std::vector<graph::NodeId>& ids) {
    QSignalBlocker block(this);
    clearSelection();
    for (auto id : ids)
        if (auto* item = nodeItem(id)) item->setSelected(true);
    block.unblock();
    emit selectionChanged();
}

QPointF GraphScene::snap(QPointF p) {
    return QPointF(std::round(p.x() / kGrid) * kGrid, std::round(p.y() / kGrid) * kGrid);
}

void GraphScene::deleteSelection() {
    const auto nodes = selectedNodes();
    const auto edges = selectedEdges();
    if (!nodes.empty() || !edges.empty()) doc_->removeItems(nodes, edges);
}

QRectF GraphScene::contentRect() const {
    QRectF r;
    for (const auto& [id, item] : nodes_) r = r.united(item->sceneBoundingRect());
    // A margin of 30 (GraphDocument's auto layout counts on it when it sizes rows for a legible zoom).
    return r.isNull() ? QRectF(-200, -150, 400, 300) : r.adjusted(-30, -30, 30, 30);
}

// ---------------------------------------------------------------- following the document

void GraphScene::modelEdited() {
    clearGradcheckVerdicts();
    setInsight(nullptr);
}

void GraphScene::setGradcheckVerdicts(const QMap<quint32, int>& verdicts) {
    for (auto& [id, item] : nodes_) item->setGradcheckVerdict(verdicts.value(id.value, -1));
}

void GraphScene::clearGradcheckVerdicts() {
    for (auto& [id, item] : nodes_) item->setGradcheckVerdict(-1);
}

void GraphScene::setInsight(const train::CapturePtr& capture) {
    if (!capture && !insight_) return;
    insight_ = capture;
    applyInsight();
}

void GraphScene::applyInsight() {
    for (auto& [id, item] : nodes_) {
        const train::NodeCapture* n = insight_ ? insight_->find(id) : nullptr;
        const bool shown = n && n->activation.numel > 0 && doc_->graph().node(id).type != "Input";
        item->setActivationScale(shown ? n->activation.rms : -1.0, n ? n->dead_fraction : -1.0);
    }
    for (auto& [id, item] : edges_) {
        const train::NodeCapture* n = insight_ && doc_->graph().has_edge(id) ? insight_->find(doc_->graph().edge(id).from.node) : nullptr;
        item->setGradientScale(n && n->gradient.numel > 0 ? n->gradient.rms : -1.0);
    }
}

void GraphScene::rebuild() {
    dragPort_ = dropTarget_ = nullptr;
    draggingNodes_ = false;
    delete pendingEdge_;
    pendingEdge_ = nullptr;
    // Emptied before the items go: deleting a selected item emits selectionChanged(), whose listeners
    // walk these maps.
    auto edges = std::move(edges_);
    auto nodes = std::move(nodes_);
    edges_.clear();
    nodes_.clear();
    for (auto& [id, item] : edges) delete item;
    for (auto& [id, item] : nodes) delete item;
    for (const auto& [id, n] : doc_->graph().nodes()) addNodeItem(id);
    for (const auto& [id, e] : doc_->graph().edges()) addEdgeItem(id);
    refreshAnalysis();
}

void GraphScene::addNodeItem(graph::NodeId id) {
    if (nodes_.count(id)) return;
    auto* item = new NodeItem(doc_, id);
    item->setPos(doc_->position(id));
    addItem(item);
    nodes_[id] = item;
}

void GraphScene::addEdgeItem(graph::EdgeId id) {
    if (edges_.count(id) || !doc_->graph().has_edge(id)) return;
    const graph::Edge& e = doc_->graph().edge(id);
    if (auto* n = nodeItem(e.to.node)) n->refresh();  // a variadic node grows a port
    if (auto* n = nodeItem(e.from.node)) n->refresh();
    auto* item = new EdgeItem(id);
    addItem(item);
    edges_[id] = item;
    updateEdge(item);
}

void GraphScene::removeNodeItem(graph::NodeId id) {
    auto it = nodes_.find(id);
    if (it == nodes_.end()) return;
    if (dragPort_ && dragPort_->parentItem() == it->second) dragPort_ = nullptr;
    dropTarget_ = nullptr;
    dragStart_.erase(id);
    // Out of the map before it goes: deleting a selected item emits selectionChanged(), whose
    // listeners walk the map.
    NodeItem* item = it->second;
    nodes_.erase(it);
    delete item;
}

void GraphScene::removeEdgeItem(graph::EdgeId id) {
    auto it = edges_.find(id);
    if (it == edges_.end()) return;
    EdgeItem* item = it->second;
    edges_.erase(it);
    delete item;
}

void GraphScene::moveNodeItem(graph::NodeId id, QPointF pos) {
    if (auto* item = nodeItem(id)) {
        item->setPos(pos);
        updateEdgesOf(id);
    }
}

void GraphScene::refreshAnalysis() {
    dropTarget_ = nullptr;
    for (auto& [id, item] : nodes_) item->refresh();
    for (auto& [id, item] : edges_) updateEdge(item);
}

void GraphScene::updateEdge(EdgeItem* item) {
    if (!doc_->graph().has_edge(item->id())) return;
    const graph::Edge& e = doc_->graph().edge(item->id());
    NodeItem* a = nodeItem(e.from.node);
    NodeItem* b = nodeItem(e.to.node);
    if (!a || !b) return;
    PortItem* pa = a->outputPort(e.from.port.value);
    PortItem* pb = b->inputPort(e.to.port.value);
    const QRectF ra = a->sceneBoundingRect(), rb = b->sceneBoundingRect();
    const QPointF from = pa ? pa->anchor() : ra.center(), to = pb ? pb->anchor() : rb.center();
    // Into a node on a lower row to the left (auto layout's wrapped chain): along the gap above that row.
    double gapY = std::numeric_limits<double>::quiet_NaN();
    if (to.x() < from.x() - 1 && rb.top() > ra.bottom()) gapY = rb.top() - std::min(25.0, (rb.top() - ra.bottom()) / 2);
    item->setEnds(from, to, gapY);
    const auto& shapes = doc_->shapes().edges;
    auto it = shapes.find(item->id());
    item->setLabel(it == shapes.end() ? QString() : GraphDocument::shapeText(it->second));
}

void GraphScene::updateEdgesOf(graph::NodeId id) {
    for (auto& [eid, item] : edges_) {
        if (!doc_->graph().has_edge(eid)) continue;
        const graph::Edge& e = doc_->graph().edge(eid);
        if (e.from.node == id || e.to.node == id) updateEdge(item);
    }
}

// ---------------------------------------------------------------- gestures

PortItem* GraphScene::portAt(QPointF scenePos) const {
    for (QGraphicsItem* item : items(scenePos))
        if (item->type() == PortItem::Type) return static_cast<PortItem*>(item);
    return nullptr;
}

void GraphScene::mousePressEvent(QGraphicsSceneMouseEvent* e) {
    if (e->button() == Qt::LeftButton) {
        if (PortItem* port = portAt(e->scenePos()); port && !port->isDataTarget()) {
            if (doc_->isReadOnly()) {
                doc_->connectPorts({}, {});  // reports why
                e->accept();
                return;
            }
            dragPort_ = port;
            pickedEdge_ = graph::EdgeId::Invalid;
            if (port->isInput()) {  // a connected input: pick its edge up by the loose end
                if (auto e = doc_->graph().edge_into(port->ref())) {
                    const graph::Edge& edge = doc_->graph().edge(*e);
                    if (NodeItem* src = nodeItem(edge.from.node); src && src->outputPort(edge.from.port.value)) {
                        pickedEdge_ = *e;
                        dragPort_ = src->outputPort(edge.from.port.value);
                        if (EdgeItem* item = edgeItem(*e)) item->setOpacity(0.25);
                    }
                }
            }
            pendingEdge_ = new QGraphicsPathItem;
            QColor c = QApplication::palette().color(QPalette::Highlight);
            pendingEdge_->setPen(QPen(c, 2, Qt::DashLine, Qt::RoundCap));
            pendingEdge_->setZValue(3);
            addItem(pendingEdge_);
            pendingEdge_->setPath(dragPort_->isInput() ? EdgeItem::curve(e->scenePos(), dragPort_->anchor())
                                                       : EdgeItem::curve(dragPort_->anchor(), e->scenePos()));
            e->accept();
            return;
        }
    }
    QGraphicsScene::mousePressEvent(e);
    if (e->button() == Qt::LeftButton) {
        QGraphicsItem* top = itemAt(e->scenePos(), QTransform());
        while (top && top->type() != NodeItem::Type) top = top->parentItem();
        if (top && top->isSelected()) {
            draggingNodes_ = true;
            pressPos_ = e->scenePos();
            dragStart_.clear();
            for (auto id : selectedNodes()) dragStart_[id] = doc_->position(id);
            ++dragId_;
        }
    }
}

void GraphScene::mouseMoveEvent(QGraphicsSceneMouseEvent* e) {
    if (dragPort_) {
        const bool fromOutput = !dragPort_->isInput();
        PortItem* target = portAt(e->scenePos());
        if (target && (target->isInput() != fromOutput || target->parentItem() == dragPort_->parentItem()))
            target = nullptr;
        if (target != dropTarget_) {
            if (dropTarget_) dropTarget_->setHighlighted(false);
            dropTarget_ = target;
            if (dropTarget_) dropTarget_->setHighlighted(true);
        }
        const QPointF end = dropTarget_ ? dropTarget_->anchor() : e->scenePos();
        pendingEdge_->setPath(fromOutput ? EdgeItem::curve(dragPort_->anchor(), end)
                                         : EdgeItem::curve(end, dragPort_->anchor()));
        if (dropTarget_) {
            const QString why = fromOutput ? doc_->connectionProblem(dragPort_->ref(), dropTarget_->ref())
                                           : doc_->connectionProblem(dropTarget_->ref(), dragPort_->ref());
            emit statusMessage(why.isEmpty() ? tr("Release to connect") : why);
        }
        e->accept();
        return;
    }
    if (draggingNodes_) {
        const QPointF delta = e->scenePos() - pressPos_;
        if (doc_->isReadOnly()) {
            draggingNodes_ = false;
            doc_->moveNodes({{dragStart_.begin()->first, QPointF()}});  // reports why
            return;
        }
        std::map<graph::NodeId, QPointF> to;
        for (const auto& [id, p] : dragStart_) to[id] = snap(p + delta);
        doc_->moveNodes(to, dragId_);
        e->accept();
        return;
    }
    QGraphicsScene::mouseMoveEvent(e);
}

void GraphScene::finishPortDrag(QPointF scenePos) {
    PortItem* target = portAt(scenePos);
    PortItem* source = dragPort_;
    dragPort_ = nullptr;
    if (dropTarget_) dropTarget_->setHighlighted(false);
    dropTarget_ = nullptr;
    delete pendingEdge_;
    pendingEdge_ = nullptr;
    const graph::EdgeId picked = pickedEdge_;
    pickedEdge_ = graph::EdgeId::Invalid;
    if (picked.valid() && doc_->graph().has_edge(picked)) {
        if (EdgeItem* item = edgeItem(picked)) item->setOpacity(1.0);
        const graph::Edge edge = doc_->graph().edge(picked);
        if (!target || !target->isInput()) {  // dropped off any input: the edge goes
            if (doc_->disconnect(picked)) emit statusMessage(doc_->undoStack()->undoText());
            return;
        }
        if (target->ref() == edge.to) return;  // put back where it was
        // The old edge ends elsewhere, so it neither occupies the target nor closes a cycle through it.
        QString why = doc_->connectionProblem(edge.from, target->ref());
        if (auto other = doc_->graph().edge_into(target->ref()))
            why = tr("Input '%1' of %2 is already connected (from %3); delete that edge first.")
                      .arg(target->name(), doc_->nodeName(target->ref().node),
                           doc_->nodeName(doc_->graph().edge(*other).from.node));
        if (!why.isEmpty()) {
            emit statusMessage(why);
            return;
        }
        doc_->undoStack()->beginMacro(tr("Reconnect %1 → %2").arg(doc_->nodeName(edge.from.node),
                                                                   doc_->nodeName(target->ref().node)));
        doc_->disconnect(picked);
        const bool ok = doc_->connectPorts(edge.from, target->ref()).valid();
        doc_->undoStack()->endMacro();
        if (!ok) doc_->undo();  // cannot happen after the check above; never leave half a reconnect
        return;
    }
    if (!target || target == source) return;
    if (target->isInput() == source->isInput()) {
        emit statusMessage(source->isInput() ? tr("Connect an input to an output port.")
                                             : tr("Connect an output to an input port."));
        return;
    }
    const auto edge = source->isInput() ? doc_->connectPorts(target->ref(), source->ref())
                                        : doc_->connectPorts(source->ref(), target->ref());
    if (edge.valid()) emit statusMessage(doc_->undoStack()->text(doc_->undoStack()->index() - 1));
}

void GraphScene::mouseReleaseEvent(QGraphicsSceneMouseEvent* e) {
    if (dragPort_ && e->button() == Qt::LeftButton) {
        finishPortDrag(e->scenePos());
        e->accept();
        return;
    }
    if (draggingNodes_ && e->button() == Qt::LeftButton) draggingNodes_ = false;
    QGraphicsScene::mouseReleaseEvent(e);
}

void GraphScene::dragEnterEvent(QGraphicsSceneDragDropEvent* e) {
    e->setAccepted(e->mimeData()->hasFormat(kLayerMimeType));
}

void GraphScene::dragMoveEvent(QGraphicsSceneDragDropEvent* e) {
    e->setAccepted(e->mimeData()->hasFormat(kLayerMimeType));
}

void GraphScene::dropEvent(QGraphicsSceneDragDropEvent* e) {
    if (!e->mimeData()->hasFormat(kLayerMimeType)) return;
    const QString type = QString::fromUtf8(e->mimeData()->data(kLayerMimeType));
    const auto id = doc_->addNode(type, snap(e->scenePos() - QPointF(NodeItem::kWidth / 2, 20)));
    if (id.valid()) selectNodes({id});
    e->acceptProposedAction();
}

void GraphScene::drawBackground(QPainter* p, const QRectF& rect) {
    const QPalette pal = QApplication::palette();
    const QColor base = pal.color(QPalette::Window);
    const bool dark = base.lightness() < 128;
    p->fillRect(rect, dark ? base.darker(125) : base.lighter(104));
    QColor minor = pal.color(QPalette::Text);
    minor.setAlphaF(dark ? 0.05f : 0.05f);
    QColor major = pal.color(QPalette::Text);
    major.setAlphaF(dark ? 0.11f : 0.10f);
    const double scale = p->worldTransform().m11();
    const double step = scale < 0.45 ? kGrid * 5 : kGrid;
    const double left = std::floor(rect.left() / step) * step;
    const double top = std::floor(rect.top() / step) * step;
    QVector<QLineF> minors, majors;
    for (double x = left; x < rect.right(); x += step)
        (std::fmod(std::abs(x), kGrid * 5) < 0.5 ? majors : minors).append(QLineF(x, rect.top(), x, rect.bottom()));
    for (double y = top; y < rect.bottom(); y += step)
        (std::fmod(std::abs(y), kGrid * 5) < 0.5 ? majors : minors).append(QLineF(rect.left(), y, rect.right(), y));
    p->setPen(QPen(minor, 0));
    p->drawLines(minors);
    p->setPen(QPen(major, 0));
    p->drawLines(majors);
}

}  // namespace neura::gui
