#pragma once
// ConnectCommand: one edge from an output port to an input port ("Connect fc1 → act1").
#include <QUndoCommand>

#include "neura/graph/ModelGraph.h"

namespace neura::gui {
class GraphDocument;

class ConnectCommand : public QUndoCommand {
public:
    ConnectCommand(GraphDocument* doc, graph::PortRef from, graph::PortRef to);
    void redo() override;
    void undo() override;
    graph::EdgeId edge() const { return edge_.id; }

private:
    GraphDocument* doc_;
    graph::Edge edge_;  // id fixed on first redo
};
}  // namespace neura::gui
