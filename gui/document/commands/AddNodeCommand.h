#pragma once
// AddNodeCommand: inserts one node ("Add Linear") or a pasted group ("Paste 3 nodes") with their
// internal edges. The ids are fixed on first redo so redo after undo restores the same ids.
#include <QUndoCommand>

#include "document/GraphSnapshot.h"

namespace neura::gui {
class GraphDocument;

class AddNodeCommand : public QUndoCommand {
public:
    AddNodeCommand(GraphDocument* doc, GraphSnapshot snapshot, const QString& text);
    void redo() override;
    void undo() override;
    const GraphSnapshot& inserted() const { return snapshot_; }

private:
    GraphDocument* doc_;
    GraphSnapshot snapshot_;
};
}  // namespace neura::gui
