#pragma once
// GraphSnapshot: a serialized piece of a graph — nodes (with their ids), the edges among or into
// them and their positions. Deleting keeps one so undo restores exactly; pasting inserts one.
#include <QPointF>
#include <map>
#include <vector>

#include "neura/graph/ModelGraph.h"

namespace neura::gui {

struct GraphSnapshot {
    std::vector<graph::Node> nodes;
    std::vector<graph::Edge> edges;
    std::map<graph::NodeId, QPointF> positions;
};

}  // namespace neura::gui
