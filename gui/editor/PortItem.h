#pragma once
// PortItem: one named port on a NodeItem — inputs on the left edge, outputs on the right. Dragging
// from an output to an input asks the document for a connection (see GraphScene).
#include <QGraphicsItem>

#include "neura/graph/ModelGraph.h"

namespace neura::gui {

class PortItem : public QGraphicsItem {
public:
    enum { Type = UserType + 2 };
    static constexpr double kRadius = 5.5;

    PortItem(graph::PortRef ref, bool isInput, QString name, bool dataTarget, QGraphicsItem* parent);

    int type() const override { return Type; }
    QRectF boundingRect() const override;
    QPainterPath shape() const override;
    void paint(QPainter* p, const QStyleOptionGraphicsItem* option, QWidget* widget) override;

    graph::PortRef ref() const { return ref_; }
    bool isInput() const { return isInput_; }
    const QString& name() const { return name_; }
    bool isDataTarget() const { return dataTarget_; }
    void setConnected(bool connected);
    void setHighlighted(bool on);
    QPointF anchor() const { return scenePos(); }  // where edges attach

protected:
    void hoverEnterEvent(QGraphicsSceneHoverEvent* e) override;
    void hoverLeaveEvent(QGraphicsSceneHoverEvent* e) override;

private:
    graph::PortRef ref_;
    bool isInput_;
    QString name_;
    bool dataTarget_;
    bool connected_ = false;
    bool hovered_ = false;
    bool highlighted_ = false;
};

}  // namespace neura::gui
