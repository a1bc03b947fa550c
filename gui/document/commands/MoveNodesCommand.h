#pragma once
// MoveNodesCommand: new positions for some nodes. The moves of one drag (same dragId) merge into a
// single undo step; dragId -1 (auto layout, nudges) never merges.
#include <QPointF>
#include <QUndoCommand>
#include <map>

#include "neura/graph/Ids.h"

namespace neura::gui {
class GraphDocument;

class MoveNodesCommand : public QUndoCommand {
public:
    MoveNodesCommand(GraphDocument* doc, std::map<graph::NodeId, QPointF> from, std::map<graph::NodeId, QPointF> to,
                     int dragId, const QString& text);
    void redo() override;
    void undo() override;
    int id() const override;
    bool mergeWith(const QUndoCommand* other) override;

private:
    GraphDocument* doc_;
    std::map<graph::NodeId, QPointF> from_, to_;
    int dragId_;
};
}  // namespace neura::gui
