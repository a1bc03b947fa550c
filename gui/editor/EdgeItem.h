#pragma once
// EdgeItem: a curve from an output port to an input port, labelled with the tensor shape it carries.
#include <QGraphicsPathItem>
#include <limits>

#include "neura/graph/Ids.h"

namespace neura::gui {

class EdgeItem : public QGraphicsPathItem {
public:
    enum { Type = UserType + 3 };

    explicit EdgeItem(graph::EdgeId id);
    int type() const override { return Type; }

    graph::EdgeId id() const { return id_; }
    // A curve from `from` to `to`; with a finite `gapY`, the return route of a wrapped chain instead: out of
    // the output, along the gap between two rows at height gapY, into the input (detour()).
    void setEnds(QPointF from, QPointF to, double gapY = std::numeric_limits<double>::quiet_NaN());
    void setLabel(const QString& shape);
    const QString& label() const { return label_; }
    // The RMS of the loss's gradient flowing back along this edge on the last captured batch, shown
    // as the curve's colour; negative clears it.
    void setGradientScale(double rms);
    double gradientScale() const { return gradRms_; }

    static QPainterPath curve(QPointF from, QPointF to);
    static QPainterPath detour(QPointF from, QPointF to, double gapY);

    QRectF boundingRect() const override;
    QPainterPath shape() const override;
    void paint(QPainter* p, const QStyleOptionGraphicsItem* option, QWidget* widget) override;

private:
    graph::EdgeId id_;
    void updateToolTip();

    QString label_;
    double gradRms_ = -1.0;
    QPointF labelPos_;
};

}  // namespace neura::gui
