#include "document/commands/RemoveNodesCommand.h"

#include "document/GraphDocument.h"

namespace neura::gui {

RemoveNodesCommand::RemoveNodesCommand(GraphDocument* doc, GraphSnapshot snapshot)
    : doc_(doc), snapshot_(std::move(snapshot)) {
    if (snapshot_.nodes.size() == 1)
        setText(QObject::tr("Delete %1").arg(QString::fromStdString(snapshot_.nodes.front().name)));
    else
        setText(QObject::tr("Delete %1 nodes").arg(snapshot_.nodes.size()));
}

void RemoveNodesCommand::redo() { doc_->removeSnapshot(snapshot_); }
void RemoveNodesCommand::undo() { doc_->insertSnapshot(snapshot_); }

}  // namespace neura::gui
