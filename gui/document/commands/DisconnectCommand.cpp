#include "document/commands/DisconnectCommand.h"

#include "document/GraphDocument.h"

namespace neura::gui {

DisconnectCommand::DisconnectCommand(GraphDocument* doc, const graph::Edge& edge) : doc_(doc), edge_(edge) {
    setText(QObject::tr("Disconnect %1 → %2").arg(doc->nodeName(edge.from.node), doc->nodeName(edge.to.node)));
}

void DisconnectCommand::redo() { doc_->eraseEdge(edge_.id); }
void DisconnectCommand::undo() { doc_->insertEdge(edge_); }

}  // namespace neura::gui
