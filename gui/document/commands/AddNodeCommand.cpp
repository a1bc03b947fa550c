#include "document/commands/AddNodeCommand.h"

#include "document/GraphDocument.h"

namespace neura::gui {

AddNodeCommand::AddNodeCommand(GraphDocument* doc, GraphSnapshot snapshot, const QString& text)
    : doc_(doc), snapshot_(std::move(snapshot)) {
    setText(text);
}

void AddNodeCommand::redo() { doc_->insertSnapshot(snapshot_); }
void AddNodeCommand::undo() { doc_->removeSnapshot(snapshot_); }

}  // namespace neura::gui
