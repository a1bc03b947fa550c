#include "document/commands/ConnectCommand.h"

#include "document/GraphDocument.h"

namespace neura::gui {

ConnectCommand::ConnectCommand(GraphDocument* doc, graph::PortRef from, graph::PortRef to) : doc_(doc) {
    edge_.from = from;
    edge_.to = to;
    setText(QObject::tr("Connect %1 → %2").arg(doc->nodeName(from.node), doc->nodeName(to.node)));
}

void ConnectCommand::redo() { edge_.id = doc_->insertEdge(edge_); }
void ConnectCommand::undo() { doc_->eraseEdge(edge_.id); }

}  // namespace neura::gui
