#pragma once
// QUndoCommand::id() values of the commands that merge.
namespace neura::gui {
enum CommandId : int { kMoveNodesId = 1001, kSetAttributeId = 1002 };
}
