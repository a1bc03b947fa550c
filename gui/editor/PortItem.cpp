#include "editor/PortItem.h"

#include <QApplication>
#include <QPainter>
#include <QPalette>

namespace neura::gui {

PortItem::PortItem(graph::PortRef ref, bool isInput, QString name, bool dataTarget, QGraphicsItem* parent)
    : QGraphicsItem(parent), ref_(ref), isInput_(isInput), name_(std::move(name)), dataTarget_(dataTarget) {
    setAcceptHoverEvents(true);
    setCursor(dataTarget_ ? Qt::ArrowCursor : Qt::CrossCursor);
    setToolTip(dataTarget_ ? QObject::tr("%1: fed by the dataset's targets").arg(name_)
                           : (isInput_ ? QObject::tr("Input '%1': drop a connection here")
                                       : QObject::tr("Output '%1': drag to an input to connect"))
                                 .arg(name_));
    setZValue(2);
}

QRectF PortItem::boundingRect() const {
    const double r = kRadius + 4;  // generous hit area
    return QRectF(-r, -r, 2 * r, 2 * r);
}

QPainterPath PortItem::shape() const {
    QPainterPath p;
    p.addEllipse(boundingRect());
    return p;
}

void PortItem::paint(QPainter* p, const QStyleOptionGraphicsItem*, QWidget*) {
    const QPalette pal = QApplication::palette();
    p->setRenderHint(QPainter::Antialiasing);
    QColor ring = pal.color(QPalette::Text);
    QColor fill = connected_ ? pal.color(QPalette::Highlight) : pal.color(QPalette::Base);
    if (dataTarget_) {
        fill = pal.color(QPalette::Mid);
        ring = pal.color(QPalette::Mid).darker(130);
    }
    if (hovered_ || highlighted_) {
        fill = pal.color(QPalette::Highlight).lighter(130);
        ring = pal.color(QPalette::Highlight);
    }
    p->setPen(QPen(ring, 1.6));
    p->setBrush(fill);
    const double r = (hovered_ || highlighted_) ? kRadius + 1.5 : kRadius;
    if (dataTarget_)
        p->drawRect(QRectF(-r + 1, -r + 1, 2 * r - 2, 2 * r - 2));
    else
        p->drawEllipse(QPointF(0, 0), r, r);
}

void PortItem::setConnected(bool connected) {
    if (connected_ == connected) return;
    connected_ = connected;
    update();
}

void PortItem::setHighlighted(bool on) {
    if (highlighted_ == on) return;
    highlighted_ = on;
    update();
}

void PortItem::hoverEnterEvent(QGraphicsSceneHoverEvent*) {
    hovered_ = true;
    update();
}

void PortItem::hoverLeaveEvent(QGraphicsSceneHoverEvent*) {
    hovered_ = false;
    update();
}

}  // namespace neura::gui
