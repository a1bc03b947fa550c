#pragma once
// DiffOverlay: the canvas's compare mode. Over the scene's own items it draws what a ModelDiff says —
// added nodes ringed green, changed ones orange with a badge whose tooltip lists the changes, removed
// ones as dashed ghost nodes beside their old neighbours — and a banner on the view with the summary
// and a button that leaves the mode. With a CompareSideView attached, the "before" model is shown beside
// the canvas too, its removed and changed nodes marked, and both views carry a title. It never edits the
// document and keeps out of GraphScene's code.
#include <QObject>
#include <QString>
#include <map>
#include <optional>
#include <vector>

#include "neura/eval/ModelDiff.h"
#include "neura/graph/ModelGraph.h"

class QFrame;
class QGraphicsItem;
class QLabel;

namespace neura::gui {

class CompareSideView;
class GraphScene;
class GraphView;

class DiffOverlay : public QObject {
    Q_OBJECT
public:
    enum class Mark { None, Added, Changed };

    DiffOverlay(GraphScene* scene, GraphView* view, QObject* parent = nullptr);
    ~DiffOverlay() override;

    // The side-by-side view for the "before" model and the title label over the canvas; both are shown
    // in compare mode only.
    void attachSideView(CompareSideView* side, QLabel* nowTitle);

    // The names the two views' titles give the two sides ("other.neura", "Run 3"), and the "before"
    // side's layout (a project's layout_json; empty: laid out in layers).
    struct Sides {
        QString before, after;
        std::string beforeLayoutJson;
    };
    // Compares `before` with the open document, again after every edit, until leave().
    void compareWithDocument(const graph::ModelGraph& before, const QString& title, const Sides& sides = {});
    // Shows how `after` differs from `before` on the document's nodes of the same names (two runs'
    // models: the canvas shows the open model, which is usually the later run's).
    void showDiff(const graph::ModelGraph& before, const graph::ModelGraph& after, const QString& title,
                  const Sides& sides = {});
    // Leaves compare mode: every mark, ghost and the banner go.
    void leave();

    bool isActive() const { return active_; }
    const eval::ModelDiff& diff() const { return diff_; }
    // How a document node is marked, and the badge's tooltip ("out_features: 64 → 128").
    Mark markOf(graph::NodeId id) const;
    QString changeText(graph::NodeId id) const;
    // The removed nodes drawn as ghosts, by name.
    QStringList ghostNames() const;
    QString bannerText() const;
    QFrame* banner() const { return banner_; }
    QString nowTitle() const;

signals:
    void left();

private:
    void recompute();
    void redraw();
    void clearItems();
    void showSides();

    GraphScene* scene_;
    GraphView* view_;
    bool active_ = false;
    bool live_ = false;  // compares against the document, recomputed on edits
    bool syncing_ = false;  // selecting a counterpart, not a new choice
    graph::ModelGraph before_, after_;
    QString title_;
    Sides sides_;
    CompareSideView* side_ = nullptr;
    QLabel* nowTitle_ = nullptr;
    eval::ModelDiff diff_;
    std::map<graph::NodeId, Mark> marks_;
    std::map<graph::NodeId, QString> tips_;
    std::vector<QGraphicsItem*> items_;  // owned by the scene while shown
    QStringList ghosts_;
    QFrame* banner_;
    QLabel* bannerLabel_;
};

}  // namespace neura::gui
