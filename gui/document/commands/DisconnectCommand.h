#pragma once
// DisconnectCommand: removes one edge; undo puts it back with the same id.
#include <QUndoCommand>

#include "neura/graph/ModelGraph.h"

namespace neura::gui {
class GraphDocument;

class DisconnectCommand : public QUndoCommand {
public:
    DisconnectCommand(GraphDocument* doc, const graph::Edge& edge);
    void redo() override;
    void undo() override;

private:
    GraphDocument* doc_;
    graph::Edge edge_;
};
}  // namespace neura::gui
