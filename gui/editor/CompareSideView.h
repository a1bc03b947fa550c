#pragma once
// CompareSideView: the "before" model of compare mode, drawn beside the canvas — its own read-only
// GraphDocument and GraphScene over a copy of the other model (so it looks like the canvas and no edit
// can reach the open document or its undo stack), removed nodes ringed red and changed ones orange,
// a title ("Before: other.neura") and a short list of the differences under it.
#include <QStringList>
#include <QWidget>
#include <map>
#include <string>
#include <vector>

#include "neura/eval/ModelDiff.h"
#include "neura/graph/ModelGraph.h"

class QGraphicsItem;
class QLabel;
class QListWidget;

namespace neura::gui {

class GraphDocument;
class GraphScene;
class GraphView;

class CompareSideView : public QWidget {
    Q_OBJECT
public:
    enum class Mark { None, Removed, Changed };

    explicit CompareSideView(QWidget* parent = nullptr);
    ~CompareSideView() override;

    // Shows `model` at the positions of `layoutJson` (a project's layout_json; laid out in layers
    // where it has none) under the title "Before: <title>".
    void showModel(const graph::ModelGraph& model, const std::string& layoutJson, const QString& title);
    // Marks what `diff` (from this model to the other) says of this model's nodes, and lists it.
    void setDiff(const eval::ModelDiff& diff);
    // Empties the view (the document holds an empty graph again).
    void clear();
    // Selects this model's nodes of these names (the counterparts of the canvas's selection).
    void highlight(const QStringList& names);

    GraphDocument* document() const { return doc_; }
    GraphScene* scene() const { return scene_; }
    GraphView* view() const { return view_; }
    QString title() const;
    QListWidget* changesList() const { return list_; }
    Mark markOf(const QString& name) const;
    QStringList nodeNames() const;

    // The title style both views share, so the two read as a pair.
    static QLabel* makeTitle(QWidget* parent = nullptr);

signals:
    // A node of this model was clicked: its name, for the canvas to select its counterpart.
    void nodeClicked(const QString& name);

protected:
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    void redrawMarks();
    void clearMarks();
    graph::NodeId findNode(const std::string& key) const;

    GraphDocument* doc_;
    GraphScene* scene_;
    GraphView* view_;
    QLabel* title_;
    QListWidget* list_;
    std::map<graph::NodeId, Mark> marks_;
    std::map<graph::NodeId, QString> tips_;
    std::vector<QGraphicsItem*> items_;  // owned by the scene while shown
};

}  // namespace neura::gui
