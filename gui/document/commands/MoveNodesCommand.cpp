#include "document/commands/MoveNodesCommand.h"

#include "document/GraphDocument.h"
#include "document/commands/CommandIds.h"

namespace neura::gui {

MoveNodesCommand::MoveNodesCommand(GraphDocument* doc, std::map<graph::NodeId, QPointF> from,
                                   std::map<graph::NodeId, QPointF> to, int dragId, const QString& text)
    : doc_(doc), from_(std::move(from)), to_(std::move(to)), dragId_(dragId) {
    if (!text.isEmpty())
        setText(text);
    else if (to_.size() == 1)
        setText(QObject::tr("Move %1").arg(doc->nodeName(to_.begin()->first)));
    else
        setText(QObject::tr("Move %1 nodes").arg(to_.size()));
}

void MoveNodesCommand::redo() {
    for (const auto& [id, p] : to_) doc_->placeNode(id, p);
}

void MoveNodesCommand::undo() {
    for (const auto& [id, p] : from_) doc_->placeNode(id, p);
}

int MoveNodesCommand::id() const { return dragId_ < 0 ? -1 : kMoveNodesId; }

bool MoveNodesCommand::mergeWith(const QUndoCommand* other) {
    const auto* o = static_cast<const MoveNodesCommand*>(other);
    if (o->dragId_ != dragId_) return false;
    for (const auto& [id, p] : o->from_) from_.try_emplace(id, p);  // keep our (older) start positions
    for (const auto& [id, p] : o->to_) to_[id] = p;
    bool same = true;
    for (const auto& [id, p] : to_) same = same && from_.count(id) && from_.at(id) == p;
    setObsolete(same);  // dragged back to where it started
    return true;
}

}  // namespace neura::gui
