#pragma once
// NodeItem: how one layer node looks — name, type, named ports (inputs left, outputs right), output
// shape and parameter count; red with the message as tooltip when validate() reports an error.
// It holds the node's id only and refreshes from the document when told to.
#include <QColor>
#include <QGraphicsItem>
#include <vector>

#include "neura/graph/Ids.h"

namespace neura::gui {

class GraphDocument;
class PortItem;

class NodeItem : public QGraphicsItem {
public:
    enum { Type = UserType + 1 };
    static constexpr double kWidth = 160;

    NodeItem(const GraphDocument* doc, graph::NodeId id);

    int type() const override { return Type; }
    QRectF boundingRect() const override;
    void paint(QPainter* p, const QStyleOptionGraphicsItem* option, QWidget* widget) override;

    graph::NodeId id() const { return id_; }
    // Re-reads name, ports, shapes and diagnostics from the document.
    void refresh();
    PortItem* inputPort(std::size_t index) const;
    PortItem* outputPort(std::size_t index) const;
    const std::vector<PortItem*>& inputs() const { return inputs_; }
    const std::vector<PortItem*>& outputs() const { return outputs_; }
    QString title() const { return name_; }
    QString shapeLabel() const { return shape_; }
    QString parameterLabel() const { return params_; }
    bool showsError() const { return error_; }

    // The gradient check's verdict for this node: -1 none, 0 passed, 1 passed narrowly, 2 failed.
    void setGradcheckVerdict(int verdict);
    int gradcheckVerdict() const { return verdict_; }
    static QColor verdictColour(int verdict);
    // What training shows on the node: its output's RMS (a strip along the bottom in the activation
    // colour scale) and, for ReLU, the dead fraction; a negative rms clears it.
    void setActivationScale(double rms, double deadFraction = -1.0);
    double activationScale() const { return activationRms_; }
    double height() const;  // of the body, from the port rows (the bounding rectangle adds 3 on each side)

private:
    void rebuildPorts();
    void updateToolTip();

    const GraphDocument* doc_;
    graph::NodeId id_;
    QString name_, type_, category_, shape_, params_, message_;
    bool error_ = false, warning_ = false;
    int verdict_ = -1;
    double activationRms_ = -1.0, deadFraction_ = -1.0;
    QString baseTip_;
    bool compact_ = false;  // single unnamed ports: no label rows, ports beside the footer
    std::vector<PortItem*> inputs_, outputs_;  // children, owned by the item
};

}  // namespace neura::gui
