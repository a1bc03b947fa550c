#include "document/commands/RenameCommand.h"

#include "document/GraphDocument.h"

namespace neura::gui {

RenameCommand::RenameCommand(GraphDocument* doc, graph::NodeId node, std::string before, std::string after)
    : doc_(doc), node_(node), before_(std::move(before)), after_(std::move(after)) {
    setText(QObject::tr("Rename %1 → %2").arg(QString::fromStdString(before_), QString::fromStdString(after_)));
}

void RenameCommand::redo() { doc_->assignName(node_, after_); }
void RenameCommand::undo() { doc_->assignName(node_, before_); }

}  // namespace neura::gui
