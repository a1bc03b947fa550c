#pragma once
// SetAttributeCommand: one attribute of one node ("Set fc1.out_features = 32"). Consecutive edits of
// the same attribute (typing in a spin box) merge into one undo step.
#include <QUndoCommand>
#include <optional>
#include <string>

#include "neura/graph/AttributeValue.h"
#include "neura/graph/Ids.h"

namespace neura::gui {
class GraphDocument;

class SetAttributeCommand : public QUndoCommand {
public:
    // `before` empty: the attribute was not set (its default applied).
    SetAttributeCommand(GraphDocument* doc, graph::NodeId node, std::string name,
                        std::optional<graph::AttributeValue> before, graph::AttributeValue after);
    void redo() override;
    void undo() override;
    int id() const override;
    bool mergeWith(const QUndoCommand* other) override;

private:
    void updateText();

    GraphDocument* doc_;
    graph::NodeId node_;
    std::string name_;
    std::optional<graph::AttributeValue> before_;
    graph::AttributeValue after_;
};
}  // namespace neura::gui
