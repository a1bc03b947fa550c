#pragma once
// IssuesPanel: the validator's diagnostics; activating one selects and centres its node.
#include <QDockWidget>

#include "neura/graph/Ids.h"

class QTreeWidget;

namespace neura::gui {

class GraphDocument;

class IssuesPanel : public QDockWidget {
    Q_OBJECT
public:
    explicit IssuesPanel(GraphDocument* doc, QWidget* parent = nullptr);
    QTreeWidget* list() const { return list_; }

signals:
    void nodeActivated(neura::graph::NodeId id);

private:
    void refresh();

    GraphDocument* doc_;
    QTreeWidget* list_;
};

}  // namespace neura::gui
