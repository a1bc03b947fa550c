#include "editor/GraphView.h"

#include <QKeyEvent>
#include <QMouseEvent>
#include <QScrollBar>
#include <QWheelEvent>
#include <algorithm>
#include <cmath>

#include "document/GraphDocument.h"
#include "editor/GraphScene.h"
#include "editor/NodeItem.h"

namespace neura::gui {

namespace {
constexpr double kMinZoom = 0.15;
constexpr double kMaxZoom = 3.0;
}  // namespace

GraphView::GraphView(GraphScene* scene, QWidget* parent) : QGraphicsView(scene, parent), scene_(scene) {
    setRenderHints(QPainter::Antialiasing | QPainter::TextAntialiasing);
    setDragMode(QGraphicsView::RubberBandDrag);
    setRubberBandSelectionMode(Qt::IntersectsItemShape);
    setTransformationAnchor(QGraphicsView::AnchorUnderMouse);
    setResizeAnchor(QGraphicsView::AnchorViewCenter);
    setViewportUpdateMode(QGraphicsView::BoundingRectViewportUpdate);
    setAcceptDrops(true);
    setFrameShape(QFrame::NoFrame);
    setFocusPolicy(Qt::StrongFocus);
    // Panning and zooming move around; scroll bars would only take room.
    setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    setVerticalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
}

void GraphView::setZoom(double z) {
    z = std::clamp(z, kMinZoom, kMaxZoom);
    const double factor = z / zoom();
    scale(factor, factor);
}

void GraphView::fitToContents() {
    const QRectF r = scene_->contentRect();
    fitInView(r, Qt::KeepAspectRatio);
    if (zoom() > 1.25) setZoom(1.25);  // a small graph stays at a readable size
    if (zoom() < kMinZoom) setZoom(kMinZoom);
    centerOn(r.center());
}

bool GraphView::autoLayout() {
    GraphScene* scene = scene_;
    const bool moved = scene->document()->autoLayout(QSizeF(viewport()->size()), [scene](graph::NodeId id) {
        const NodeItem* item = scene->nodeItem(id);
        return item ? item->height() : 86.0;
    });
    if (moved) fitToContents();
    return moved;
}

void GraphView::wheelEvent(QWheelEvent* e) {
    const double steps = e->angleDelta().y() / 120.0;
    if (steps == 0) {
        QGraphicsView::wheelEvent(e);
        return;
    }
    setZoom(zoom() * std::pow(1.15, steps));
    e->accept();
}

void GraphView::mousePressEvent(QMouseEvent* e) {
    if (e->button() == Qt::MiddleButton || (e->button() == Qt::LeftButton && spaceHeld_)) {
        panning_ = true;
        panLast_ = e->position().toPoint();
        viewport()->setCursor(Qt::ClosedHandCursor);
        e->accept();
        return;
    }
    QGraphicsView::mousePressEvent(e);
}

void GraphView::mouseMoveEvent(QMouseEvent* e) {
    if (panning_) {
        const QPoint d = e->position().toPoint() - panLast_;
        panLast_ = e->position().toPoint();
        horizontalScrollBar()->setValue(horizontalScrollBar()->value() - d.x());
        verticalScrollBar()->setValue(verticalScrollBar()->value() - d.y());
        e->accept();
        return;
    }
    QGraphicsView::mouseMoveEvent(e);
}

void GraphView::mouseReleaseEvent(QMouseEvent* e) {
    if (panning_ && (e->button() == Qt::MiddleButton || e->button() == Qt::LeftButton)) {
        panning_ = false;
        viewport()->setCursor(spaceHeld_ ? Qt::OpenHandCursor : Qt::ArrowCursor);
        e->accept();
        return;
    }
    QGraphicsView::mouseReleaseEvent(e);
}

void GraphView::keyPressEvent(QKeyEvent* e) {
    if (e->key() == Qt::Key_Space && !e->isAutoRepeat()) {
        spaceHeld_ = true;
        viewport()->setCursor(Qt::OpenHandCursor);
        e->accept();
        return;
    }
    QGraphicsView::keyPressEvent(e);
}

void GraphView::keyReleaseEvent(QKeyEvent* e) {
    if (e->key() == Qt::Key_Space && !e->isAutoRepeat()) {
        spaceHeld_ = false;
        if (!panning_) viewport()->setCursor(Qt::ArrowCursor);
        e->accept();
        return;
    }
    QGraphicsView::keyReleaseEvent(e);
}

void GraphView::focusOutEvent(QFocusEvent* e) {
    spaceHeld_ = false;
    QGraphicsView::focusOutEvent(e);
}

}  // namespace neura::gui
