#include "editor/EdgeItem.h"

#include <QApplication>
#include <QFontMetricsF>
#include <QPainter>
#include <QPainterPathStroker>
#include <QPalette>
#include <QStyleOptionGraphicsItem>
#include <cmath>

#include "editor/ScaleColours.h"

namespace neura::gui {

EdgeItem::EdgeItem(graph::EdgeId id) : id_(id) {
    setFlag(ItemIsSelectable);
    setZValue(0);
    setAcceptHoverEvents(true);
}

QPainterPath EdgeItem::curve(QPointF from, QPointF to) {
    const double dx = std::max(40.0, std::abs(to.x() - from.x()) * 0.5);
    QPainterPath path(from);
    path.cubicTo(from + QPointF(dx, 0), to - QPointF(dx, 0), to);
    return path;
}

QPainterPath EdgeItem::detour(QPointF from, QPointF to, double gapY) {
    // A U-turn right of the output down to the gap, the gap leftwards, a U-turn left of the input: the line
    // runs between the rows instead of across their nodes, and its label sits in the gap.
    QPainterPath path(from);
    path.cubicTo(from + QPointF(40, 0), QPointF(from.x() + 40, gapY), QPointF(from.x(), gapY));
    path.lineTo(to.x(), gapY);
    path.cubicTo(QPointF(to.x() - 40, gapY), to - QPointF(40, 0), to);
    return path;
}

void EdgeItem::setEnds(QPointF from, QPointF to, double gapY) {
    prepareGeometryChange();
    setPath(std::isfinite(gapY) ? detour(from, to, gapY) : curve(from, to));
    labelPos_ = path().pointAtPercent(0.5);
}

void EdgeItem::setLabel(const QString& shape) {
    if (label_ == shape) return;
    prepareGeometryChange();
    label_ = shape;
    updateToolTip();
}

void EdgeItem::setGradientScale(double rms) {
    gradRms_ = rms;
    updateToolTip();
    update();
}

void EdgeItem::updateToolTip() {
    QString tip = label_.isEmpty() ? QString() : QObject::tr("Tensor %1").arg(label_);
    if (gradRms_ >= 0)
        tip += QObject::tr("%1Gradient RMS %2 (%3)")
                   .arg(tip.isEmpty() ? "" : "\n")
                   .arg(gradRms_, 0, 'g', 3)
                   .arg(scale_colours::verdict(gradRms_, scale_colours::kGradient));
    setToolTip(tip);
}

QRectF EdgeItem::boundingRect() const {
    QRectF r = QGraphicsPathItem::boundingRect().adjusted(-4, -4, 4, 4);
    if (!label_.isEmpty()) r = r.united(QRectF(labelPos_ - QPointF(70, 14), QSizeF(140, 28)));
    return r;
}

QPainterPath EdgeItem::shape() const {
    QPainterPathStroker s;
    s.setWidth(10);
    return s.createStroke(path());
}

void EdgeItem::paint(QPainter* p, const QStyleOptionGraphicsItem* option, QWidget*) {
    const QPalette pal = QApplication::palette();
    p->setRenderHint(QPainter::Antialiasing);
    const bool selected = option->state & QStyle::State_Selected;
    QColor c = selected ? pal.color(QPalette::Highlight) : pal.color(QPalette::Text);
    if (!selected) c.setAlphaF(0.55f);
    double width = selected ? 3.0 : 2.0;
    if (gradRms_ >= 0 && !selected) {
        c = scale_colours::colour(gradRms_, scale_colours::kGradient);
        width = 3.5;
    }
    p->setPen(QPen(c, width, Qt::SolidLine, Qt::RoundCap));
    p->setBrush(Qt::NoBrush);
    p->drawPath(path());
    if (label_.isEmpty()) return;
    QFont f = QApplication::font();
    f.setPointSizeF(f.pointSizeF() * 0.82);
    p->setFont(f);
    const QFontMetricsF fm(f);
    const QRectF box(labelPos_.x() - fm.horizontalAdvance(label_) / 2 - 6, labelPos_.y() - fm.height() / 2 - 2,
                     fm.horizontalAdvance(label_) + 12, fm.height() + 4);
    QColor bg = pal.color(QPalette::Window);
    p->setPen(QPen(c, 1));
    p->setBrush(bg);
    p->drawRoundedRect(box, box.height() / 2, box.height() / 2);
    p->setPen(pal.color(QPalette::Text));
    p->drawText(box, Qt::AlignCenter, label_);
}

}  // namespace neura::gui
