#pragma once
// RenameCommand: a node's display name ("Rename fc1 → encoder").
#include <QUndoCommand>
#include <string>

#include "neura/graph/Ids.h"

namespace neura::gui {
class GraphDocument;

class RenameCommand : public QUndoCommand {
public:
    RenameCommand(GraphDocument* doc, graph::NodeId node, std::string before, std::string after);
    void redo() override;
    void undo() override;

private:
    GraphDocument* doc_;
    graph::NodeId node_;
    std::string before_, after_;
};
}  // namespace neura::gui
