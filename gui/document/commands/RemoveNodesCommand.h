#pragma once
// RemoveNodesCommand: deletes nodes; keeps a snapshot of them, their positions and every edge
// touching them, so undo restores the graph exactly (same ids, same ports).
#include <QUndoCommand>

#include "document/GraphSnapshot.h"

namespace neura::gui {
class GraphDocument;

class RemoveNodesCommand : public QUndoCommand {
public:
    RemoveNodesCommand(GraphDocument* doc, GraphSnapshot snapshot);
    void redo() override;
    void undo() override;

private:
    GraphDocument* doc_;
    GraphSnapshot snapshot_;
};
}  // namespace neura::gui
