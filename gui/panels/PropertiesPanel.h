#pragma once
// PropertiesPanel: a form built from the selected node's attribute schema. Every edit goes to the
// document (SetAttribute / Rename commands); the form follows the document's signals back.
#include <QDockWidget>
#include <map>
#include <string>

#include "neura/graph/Ids.h"

class QFormLayout;
class QLabel;
class QLineEdit;
class QWidget;

namespace neura::gui {

class GraphDocument;

class PropertiesPanel : public QDockWidget {
    Q_OBJECT
public:
    explicit PropertiesPanel(GraphDocument* doc, QWidget* parent = nullptr);

    graph::NodeId node() const { return node_; }
    void setNode(graph::NodeId id);  // Invalid: nothing selected
    // The editor of one attribute (objectName "attr_<name>"), or the name field; nullptr when absent.
    QWidget* editorFor(const QString& attribute) const;
    QLineEdit* nameEdit() const { return nameEdit_; }

signals:
    void statusMessage(const QString& text);

private:
    void rebuild();
    void updateValues();
    void updateInfo();

    GraphDocument* doc_;
    graph::NodeId node_;
    QWidget* form_ = nullptr;
    QLineEdit* nameEdit_ = nullptr;
    QLabel* typeLabel_ = nullptr;
    QLabel* shapeLabel_ = nullptr;
    QLabel* paramsLabel_ = nullptr;
    QLabel* macsLabel_ = nullptr;
    QLabel* memoryLabel_ = nullptr;
    QLabel* issuesLabel_ = nullptr;
    QLabel* emptyLabel_ = nullptr;
    std::map<std::string, QWidget*> editors_;
};

}  // namespace neura::gui
