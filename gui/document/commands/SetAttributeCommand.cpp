#include "document/commands/SetAttributeCommand.h"

#include "document/GraphDocument.h"
#include "document/commands/CommandIds.h"

namespace neura::gui {

SetAttributeCommand::SetAttributeCommand(GraphDocument* doc, graph::NodeId node, std::string name,
                                         std::optional<graph::AttributeValue> before, graph::AttributeValue after)
    : doc_(doc), node_(node), name_(std::move(name)), before_(std::move(before)), after_(std::move(after)) {
    updateText();
}

void SetAttributeCommand::updateText() {
    setText(QObject::tr("Set %1.%2 = %3")
                .arg(doc_->nodeName(node_), QString::fromStdString(name_),
                     QString::fromStdString(graph::to_string(after_))));
}

void SetAttributeCommand::redo() { doc_->assignAttribute(node_, name_, after_); }
void SetAttributeCommand::undo() { doc_->assignAttribute(node_, name_, before_); }

int SetAttributeCommand::id() const { return kSetAttributeId; }

bool SetAttributeCommand::mergeWith(const QUndoCommand* other) {
    const auto* o = static_cast<const SetAttributeCommand*>(other);
    if (o->node_ != node_ || o->name_ != name_) return false;
    after_ = o->after_;
    updateText();
    setObsolete(before_ && *before_ == after_);
    return true;
}

}  // namespace neura::gui
