// The Runs dock and compare mode, offscreen, on a project with three crafted runs (settings, configs,
// metrics and models written here, so every expected value is known): one row per run with its setting
// values, numeric sorting, filtering, the plots following the selection, "Use This Run's Settings" as
// one undo step, File ▸ Compare With… marking the right nodes (and following edits), and Compare Models
// for two runs; the runs chart's labels share a point and do not overlap.
#include <QComboBox>
#include <QDockWidget>
#include <QFrame>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPushButton>
#include <QSortFilterProxyModel>
#include <QTabWidget>
#include <QStandardItemModel>
#include <QStandardPaths>
#include <QTableView>
#include <QTemporaryDir>
#include <QUndoStack>
#include <QtTest>
#include <nlohmann/json.hpp>
#include <qcustomplot.h>

#include "QuietWindow.h"
#include "document/GraphDocument.h"
#include "editor/CompareSideView.h"
#include "editor/DiffOverlay.h"
#include "editor/GraphScene.h"
#include "editor/GraphView.h"
#include "editor/NodeItem.h"
#include "neura/graph/ModelJson.h"
#include "neura/train/Experiment.h"
#include "neura/train/TrainConfig.h"
#include "panels/RunsPanel.h"
#include "panels/TrainingPanel.h"

using namespace neura;
using namespace neura::graph;
using gui::CompareSideView;
using gui::DiffOverlay;
using gui::RunsPanel;

namespace {

// input[2] → fc1 Linear(width) → relu1 → fc2 Linear(2) → loss; `dropout` puts a Dropout between relu1
// and fc2, `relu` false leaves relu1 out.
ModelGraph model(std::int64_t width, bool dropout = false, bool relu = true) {
    ModelGraph g;
    NodeId n = g.add_node("Input", "input", {{"shape", std::vector<std::int64_t>{2}}});
    auto chain = [&](const std::string& type, const std::string& name, AttributeMap a = {}) {
        const NodeId id = g.add_node(type, name, std::move(a));
        g.add_edge(n, id);
        n = id;
    };
    chain("Linear", "fc1", {{"out_features", width}});
    if (relu) chain("ReLU", "relu1");
    if (dropout) chain("Dropout", "drop");
    chain("Linear", "fc2", {{"out_features", std::int64_t{2}}});
    chain("Loss", "loss", {{"type", std::string("CrossEntropyLoss")}});
    return g;
}

struct RunSpec {
    double lr;
    std::int64_t width;
    std::string optimizer;
    double valAccuracy;
    std::vector<double> seconds;  // per epoch
    bool keepModel = true;
};

project::RunRecord makeRun(const RunSpec& s) {
    project::RunRecord r;
    r.started_at = "2026-12-06T20:00:00.000Z";
    r.finished_at = "2026-12-06T20:01:00.000Z";
    r.status = project::run_status::kCompleted;
    train::TrainConfig c;
    c.lr = s.lr;
    c.optimizer = s.optimizer;
    c.epochs = static_cast<std::int64_t>(s.seconds.size());
    r.config_json = c.to_json();
    r.settings_json = nlohmann::json{{"lr", s.lr}, {"fc1.out_features", s.width}}.dump();
    if (s.keepModel) r.model_json = to_json(model(s.width));
    for (std::size_t e = 0; e < s.seconds.size(); ++e) {
        const auto epoch = static_cast<std::int64_t>(e);
        const double frac = static_cast<double>(e + 1) / static_cast<double>(s.seconds.size());
        r.metrics.push_back({epoch, -1, "train_loss", 1.0 - 0.5 * frac});
        r.metrics.push_back({epoch, -1, "val_loss", 1.1 - 0.5 * frac});
        r.metrics.push_back({epoch, -1, "val_accuracy", s.valAccuracy * frac});
        r.metrics.push_back({epoch, -1, "seconds", s.seconds[e]});
    }
    r.final_metrics_json = nlohmann::json{{"status", "completed"}, {"train_loss", 0.5}, {"val_loss", 0.6},
                                          {"val_accuracy", s.valAccuracy}}.dump();
    return r;
}

// Run 1: lr 0.01, width 16, Adam, 3 s. Run 2: lr 0.1, width 32, Adam, 4.5 s. Run 3: lr 0.05, width 8,
// SGD, 1.5 s, no stored model. The project itself: width 16, lr 0.02.
project::Project threeRuns() {
    project::Project p;
    p.model_json = to_json(model(16));
    train::TrainConfig c;
    c.lr = 0.02;
    c.epochs = 2;
    p.train_config_json = c.to_json();
    train::DatasetSpec spec;
    spec.name = "moons";
    p.dataset_json = spec.to_json();
    p.runs = {makeRun({0.01, 16, "Adam", 0.80, {1.0, 2.0}}), makeRun({0.1, 32, "Adam", 0.95, {2.0, 2.5}}),
              makeRun({0.05, 8, "SGD", 0.90, {1.5}, false})};
    return p;
}

QString save(const QTemporaryDir& dir, const QString& name, const project::Project& p) {
    const QString path = dir.filePath(name);
    project::save_project(path.toStdString(), p);
    return path;
}

// The table's cell under `header` in the row of run `label` ("Run 2").
QString cell(RunsPanel* panel, const QString& label, const QString& header) {
    const int column = panel->columnOf(header);
    for (int row = 0; row < panel->model()->rowCount(); ++row)
        if (panel->model()->item(row, 0)->text() == label) return panel->model()->item(row, column)->text();
    return "<no row>";
}

// The node names a compare side view shows, sorted.
QStringList sortedNames(const CompareSideView* side) {
    QStringList names = side->nodeNames();
    names.sort();
    return names;
}

// Where the node of this name is drawn in the side view's viewport.
QPoint nodePoint(const CompareSideView* side, const std::string& name) {
    const auto* item = side->scene()->nodeItem(side->document()->graph().find_node(name));
    return item ? side->view()->mapFromScene(item->sceneBoundingRect().center() + QPointF(0, -10)) : QPoint(-1, -1);
}

// The run labels in the order the table shows them.
QStringList shownOrder(RunsPanel* panel) {
    QStringList out;
    for (int row = 0; row < panel->proxy()->rowCount(); ++row) out << panel->proxy()->index(row, 0).data().toString();
    return out;
}

}  // namespace

class TestRunsPanel : public QObject {
    Q_OBJECT

    std::unique_ptr<QTemporaryDir> dir_;
    std::unique_ptr<test::QuietWindow> win_;

    void open(const project::Project& p) {
        win_ = std::make_unique<test::QuietWindow>();
        win_->resize(1400, 900);
        QVERIFY(win_->openFile(save(*dir_, "runs.neura", p)));
        win_->show();
        QVERIFY(QTest::qWaitForWindowExposed(win_.get()));
    }

private slots:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName("NeuraStudioTest");
        QCoreApplication::setApplicationName("tst_runs_panel");
    }
    void init() {
        dir_ = std::make_unique<QTemporaryDir>();
        QVERIFY(dir_->isValid());
    }
    void cleanup() {
        win_.reset();
        dir_.reset();
    }

    void tableShowsOneRowPerRunWithItsSettings() {
        open(threeRuns());
        RunsPanel* panel = win_->runsPanel();
        QVERIFY(panel);
        auto* dock = qobject_cast<QDockWidget*>(panel->parentWidget());
        QVERIFY(dock && dock->windowTitle() == "Runs");
        QCOMPARE(panel->model()->rowCount(), 3);
        // The sweep's keys first (sorted), then what the setups differ in: the optimizer (the epochs
        // differ too: 2, 2 and 1); the learning rate is not repeated from the config.
        QCOMPARE(panel->settingColumns(), (QStringList{"fc1.out_features", "lr", "epochs", "optimizer"}));
        QCOMPARE(cell(panel, "Run 1", "lr"), QString("0.01"));
        QCOMPARE(cell(panel, "Run 2", "fc1.out_features"), QString("32"));
        QCOMPARE(cell(panel, "Run 3", "optimizer"), QString("SGD"));
        QCOMPARE(cell(panel, "Run 2", "val accuracy"), QString("0.95"));
        QCOMPARE(cell(panel, "Run 1", "time (s)"), QString("3"));  // 1.0 + 2.0
        QCOMPARE(cell(panel, "Run 2", "time (s)"), QString("4.5"));
        QCOMPARE(cell(panel, "Run 3", "Status"), QString("completed"));
    }

    void sortingIsNumericAndFilteringHidesRows() {
        open(threeRuns());
        RunsPanel* panel = win_->runsPanel();
        panel->table()->sortByColumn(panel->columnOf("lr"), Qt::AscendingOrder);
        QCOMPARE(shownOrder(panel), (QStringList{"Run 1", "Run 3", "Run 2"}));  // 0.01, 0.05, 0.1
        // As text, "8" would come before "32" and "16" when descending.
        panel->table()->sortByColumn(panel->columnOf("fc1.out_features"), Qt::DescendingOrder);
        QCOMPARE(shownOrder(panel), (QStringList{"Run 2", "Run 1", "Run 3"}));  // 32, 16, 8
        panel->table()->sortByColumn(panel->columnOf("val accuracy"), Qt::DescendingOrder);
        QCOMPARE(shownOrder(panel), (QStringList{"Run 2", "Run 3", "Run 1"}));  // 0.95, 0.90, 0.80

        panel->filterEdit()->setText("sgd");
        QCOMPARE(shownOrder(panel), QStringList{"Run 3"});
        panel->filterEdit()->setText("Adam");
        QCOMPARE(panel->proxy()->rowCount(), 2);
        QVERIFY(!shownOrder(panel).contains("Run 3"));
        panel->filterEdit()->clear();
        QCOMPARE(panel->proxy()->rowCount(), 3);
    }

    void plotsFollowTheSelection() {
        open(threeRuns());
        RunsPanel* panel = win_->runsPanel();
        QCOMPARE(panel->selectedRuns(), std::vector<int>{2});  // the newest, at first
        panel->selectRuns({0, 1});
        QCOMPARE(panel->selectedRuns(), (std::vector<int>{0, 1}));
        // Two runs, each with train loss, validation loss and validation accuracy curves.
        QCOMPARE(panel->curvesPlot()->graphCount(), 6);
        QCOMPARE(panel->curvesPlot()->graph(0)->dataCount(), 2);
        // One polyline per run, selected or not; one point per run in the chart (x: training time).
        QCOMPARE(panel->parallelPlot()->graphCount(), 3);
        QCOMPARE(panel->chartPlot()->graphCount(), 3);
        double x = -1;
        for (int i = 0; i < panel->chartPlot()->graphCount(); ++i)
            if (panel->chartPlot()->graph(i)->name() == "Run 2") x = panel->chartPlot()->graph(i)->data()->begin()->key;
        QCOMPARE(x, 4.5);
        // Against MACs: run 1's model 2*16 + 16*2 = 64, run 2's 2*32 + 32*2 = 128; run 3 kept no model.
        panel->chartAxisChoice()->setCurrentIndex(panel->chartAxisChoice()->findData("macs"));
        QCOMPARE(panel->chartPlot()->graphCount(), 2);
        std::map<QString, double> macs;
        for (int i = 0; i < panel->chartPlot()->graphCount(); ++i)
            macs[panel->chartPlot()->graph(i)->name()] = panel->chartPlot()->graph(i)->data()->begin()->key;
        QCOMPARE(macs["Run 1"], 64.0);
        QCOMPARE(macs["Run 2"], 128.0);
        QVERIFY(panel->compareAction()->isEnabled());
        QVERIFY(!panel->useSettingsAction()->isEnabled());
    }

    void useThisRunsSettingsIsOneUndoStep() {
        open(threeRuns());
        RunsPanel* panel = win_->runsPanel();
        gui::GraphDocument* doc = win_->document();
        const NodeId fc1 = doc->graph().find_node("fc1");
        auto width = [&] { return int_attribute(doc->graph().node(fc1).attributes, "out_features"); };
        auto projectLr = [&] { return train::TrainConfig::from_json(win_->projectData().train_config_json).lr; };
        QCOMPARE(width(), std::int64_t{16});
        QCOMPARE(projectLr(), 0.02);
        const int steps = doc->undoStack()->count();

        panel->selectRuns({1});
        QVERIFY(panel->useSettingsAction()->isEnabled());
        panel->useSettingsAction()->trigger();
        QCOMPARE(width(), std::int64_t{32});
        QCOMPARE(projectLr(), 0.1);
        QCOMPARE(win_->trainingPanel()->config().lr, 0.1);
        QCOMPARE(doc->undoStack()->count(), steps + 1);
        QVERIFY(win_->isModified());

        QVERIFY(doc->undo());
        QCOMPARE(width(), std::int64_t{16});
        QCOMPARE(projectLr(), 0.02);
        QCOMPARE(win_->trainingPanel()->config().lr, 0.02);
        QVERIFY(doc->redo());
        QCOMPARE(width(), std::int64_t{32});
        QCOMPARE(win_->trainingPanel()->config().optimizer, std::string("Adam"));

        // Run 3's setup is SGD: the optimizer follows; its width 8 too. Applying it twice changes nothing.
        QVERIFY(win_->useRunSettings(2));
        QCOMPARE(win_->trainingPanel()->config().optimizer, std::string("SGD"));
        QCOMPARE(width(), std::int64_t{8});
        QVERIFY(!win_->useRunSettings(2));
        QVERIFY(win_->errors.isEmpty());
    }

    void compareWithAnotherProjectMarksTheNodes() {
        open(threeRuns());
        // The other project: fc1 is 32 wide, no relu1, a Dropout before fc2. Seen from the open model
        // (width 16, relu1, no Dropout): relu1 added, fc1 changed, drop removed.
        project::Project other = threeRuns();
        other.model_json = to_json(model(32, true, false));
        other.runs.clear();
        const QString otherPath = save(*dir_, "other.neura", other);
        const int itemsBefore = static_cast<int>(win_->scene()->items().size());

        QVERIFY(win_->compareWithFile(otherPath));
        DiffOverlay* overlay = win_->diffOverlay();
        const auto& g = win_->document()->graph();
        QVERIFY(overlay->isActive());
        QCOMPARE(overlay->markOf(g.find_node("relu1")), DiffOverlay::Mark::Added);
        QCOMPARE(overlay->markOf(g.find_node("fc1")), DiffOverlay::Mark::Changed);
        QCOMPARE(overlay->markOf(g.find_node("fc2")), DiffOverlay::Mark::None);
        QCOMPARE(overlay->markOf(g.find_node("input")), DiffOverlay::Mark::None);
        QVERIFY2(overlay->changeText(g.find_node("fc1")).contains("out_features: 32 → 16"),
                 qPrintable(overlay->changeText(g.find_node("fc1"))));
        QCOMPARE(overlay->ghostNames(), QStringList{"drop"});
        QVERIFY(overlay->banner()->isVisible());
        QVERIFY2(overlay->bannerText().contains("other.neura"), qPrintable(overlay->bannerText()));
        QVERIFY(static_cast<int>(win_->scene()->items().size()) > itemsBefore);

        // It follows edits: fc1 made 32 wide again is no longer changed.
        QVERIFY(win_->document()->setAttribute(g.find_node("fc1"), "out_features", AttributeValue{std::int64_t{32}}));
        QCOMPARE(overlay->markOf(g.find_node("fc1")), DiffOverlay::Mark::None);
        QCOMPARE(overlay->markOf(g.find_node("relu1")), DiffOverlay::Mark::Added);

        overlay->leave();
        QVERIFY(!overlay->isActive());
        QVERIFY(!overlay->banner()->isVisible());
        QCOMPARE(overlay->markOf(g.find_node("relu1")), DiffOverlay::Mark::None);
        QCOMPARE(static_cast<int>(win_->scene()->items().size()), itemsBefore);

        // An unreadable file is reported, and compare mode stays off.
        QVERIFY(!win_->compareWithFile(dir_->filePath("missing.neura")));
        QCOMPARE(win_->errors.size(), 1);
        QVERIFY(!overlay->isActive());
    }

    void compareModelsOfTwoRuns() {
        open(threeRuns());
        RunsPanel* panel = win_->runsPanel();
        panel->selectRuns({0, 1});
        panel->compareAction()->trigger();  // run 1 (width 16) → run 2 (width 32)
        DiffOverlay* overlay = win_->diffOverlay();
        const auto& g = win_->document()->graph();
        QVERIFY(overlay->isActive());
        QCOMPARE(overlay->markOf(g.find_node("fc1")), DiffOverlay::Mark::Changed);
        QVERIFY(overlay->changeText(g.find_node("fc1")).contains("out_features: 16 → 32"));
        QCOMPARE(overlay->diff().changed.size(), std::size_t{1});
        QVERIFY(overlay->ghostNames().isEmpty());
        // The canvas (width 16) is not run 2's model (width 32): the banner says so.
        QVERIFY2(overlay->bannerText().contains("differs from the later one"), qPrintable(overlay->bannerText()));
        win_->diffOverlay()->leave();
        QVERIFY(win_->compareRuns(1, 0));  // run 2 → run 1: the canvas is run 1's model
        QVERIFY(overlay->changeText(g.find_node("fc1")).contains("out_features: 32 → 16"));
        QVERIFY(!overlay->bannerText().contains("differs from the later one"));
        // Opening another project leaves compare mode.
        QVERIFY(win_->openFile(save(*dir_, "again.neura", threeRuns())));
        QVERIFY(!overlay->isActive());

        // Run 3 kept no model: refused with a sentence.
        QVERIFY(!win_->compareRuns(0, 2));
        QCOMPARE(win_->errors.size(), 1);
        QVERIFY2(win_->errors.front().contains("Run 3 has no stored model"), qPrintable(win_->errors.front()));
    }

    void runsChartLabelsDoNotOverlap() {
        // Runs 1 and 2 on one point (width 16, accuracy 0.8, 1 s), run 3 almost on it (0.801), run 4 apart.
        project::Project p = threeRuns();
        p.runs = {makeRun({0.01, 16, "Adam", 0.80, {1.0}}), makeRun({0.02, 16, "Adam", 0.80, {1.0}}),
                  makeRun({0.03, 16, "Adam", 0.801, {1.0}}), makeRun({0.04, 32, "Adam", 0.95, {3.0}})};
        open(p);
        RunsPanel* panel = win_->runsPanel();
        auto* dock = qobject_cast<QDockWidget*>(panel->parentWidget());
        dock->setFloating(true);
        dock->resize(1200, 500);
        dock->show();
        for (auto* tabs : panel->findChildren<QTabWidget*>())
            for (int i = 0; i < tabs->count(); ++i)
                if (tabs->tabText(i) == "Runs Chart") tabs->setCurrentIndex(i);
        panel->selectRuns({});
        QCustomPlot* chart = panel->chartPlot();
        QTRY_VERIFY(chart->isVisible() && chart->axisRect()->width() > 200);
        chart->replot();
        // One label per point: runs 1 and 2 share theirs.
        QStringList texts;
        std::vector<QRectF> rects;
        for (int i = 0; i < chart->itemCount(); ++i) {
            auto* t = qobject_cast<QCPItemText*>(chart->item(i));
            if (!t) continue;
            texts << t->text();
            // The text itself: the item's box less its padding (the padding is what moves it).
            const QMargins pad = t->padding();
            rects.push_back(QRectF(t->topLeft->pixelPosition(), t->bottomRight->pixelPosition())
                                .adjusted(pad.left(), pad.top(), -pad.right(), -pad.bottom()));
        }
        texts.sort();
        QCOMPARE(texts, (QStringList{"Run 1, Run 2", "Run 3", "Run 4"}));
        for (std::size_t a = 0; a < rects.size(); ++a)
            for (std::size_t b = a + 1; b < rects.size(); ++b)
                QVERIFY2(!rects[a].intersects(rects[b]), qPrintable(texts.join(" | ")));
        // The table's Run cells carry a swatch of the run's colour (visible when the row is selected).
        QVERIFY(!panel->model()->item(0, 0)->icon().isNull());
    }

    void compareWithAFileShowsItBesideTheCanvas() {
        open(threeRuns());
        // The other project: fc1 32 wide, no relu1, a Dropout before fc2, with a layout of its own.
        const ModelGraph otherModel = model(32, true, false);
        const NodeId otherDrop = otherModel.find_node("drop");
        project::Project other = threeRuns();
        other.model_json = to_json(otherModel);
        nlohmann::json nodes = nlohmann::json::object();
        double x = 0;
        for (const auto& [id, n] : otherModel.nodes()) {
            nodes[std::to_string(id.value)] = {{"x", x}, {"y", id == otherDrop ? 300.0 : 0.0}};
            x += 220;
        }
        other.layout_json = nlohmann::json{{"version", 1}, {"nodes", nodes}}.dump();
        other.runs.clear();
        const QString otherPath = save(*dir_, "other.neura", other);
        CompareSideView* side = win_->compareSideView();
        QVERIFY(!side->isVisible());
        QUndoStack* undo = win_->document()->undoStack();
        const int steps = undo->count();

        QVERIFY(win_->compareWithFile(otherPath));
        QCoreApplication::processEvents();  // the splitter lays out its new side
        QVERIFY(side->isVisible());
        QVERIFY(!side->view()->isInteractive());
        QVERIFY(side->document()->isReadOnly());
        // Beside the canvas, on its left, each wide enough to read.
        const int sideX = side->mapTo(win_.get(), QPoint(0, 0)).x();
        const int canvasX = win_->view()->mapTo(win_.get(), QPoint(0, 0)).x();
        QVERIFY2(sideX + side->width() <= canvasX,
                 qPrintable(QString("%1 + %2 vs %3").arg(sideX).arg(side->width()).arg(canvasX)));
        QVERIFY(side->width() > 200 && win_->view()->width() > 200);
        // The other model's nodes at the other project's places, the removed and changed ones marked.
        QCOMPARE(sortedNames(side), (QStringList{"drop", "fc1", "fc2", "input", "loss"}));
        QCOMPARE(side->document()->position(side->document()->graph().find_node("drop")), QPointF(440, 300));
        QCOMPARE(side->markOf("drop"), CompareSideView::Mark::Removed);
        QCOMPARE(side->markOf("fc1"), CompareSideView::Mark::Changed);
        QCOMPARE(side->markOf("fc2"), CompareSideView::Mark::None);
        QVERIFY2(side->title().contains("Before:") && side->title().contains("other.neura"), qPrintable(side->title()));
        const QString now = win_->diffOverlay()->nowTitle();
        QVERIFY2(now.contains("Now:") && now.contains("this project"), qPrintable(now));
        // The canvas keeps its own marks.
        const auto& g = win_->document()->graph();
        QCOMPARE(win_->diffOverlay()->markOf(g.find_node("relu1")), DiffOverlay::Mark::Added);
        QCOMPARE(win_->diffOverlay()->markOf(g.find_node("fc1")), DiffOverlay::Mark::Changed);
        // The list: drop removed, relu1 added, fc1's width 32 → 16.
        QStringList lines;
        for (int i = 0; i < side->changesList()->count(); ++i) lines << side->changesList()->item(i)->text();
        QVERIFY2(lines.filter("- drop").size() == 1 && lines.filter("+ relu1").size() == 1 &&
                     lines.filter(QRegularExpression("~ fc1.*32 → 16")).size() == 1,
                 qPrintable(lines.join(" | ")));

        // A click on fc1 beside selects the canvas's fc1; the canvas's fc2 selects fc2 beside.
        QTest::mouseClick(side->view()->viewport(), Qt::LeftButton, {}, nodePoint(side, "fc1"));
        QCOMPARE(win_->scene()->selectedNodes(), std::vector<NodeId>{g.find_node("fc1")});
        win_->scene()->selectNodes({g.find_node("fc2")});
        QCOMPARE(side->scene()->selectedNodes(), std::vector<NodeId>{side->document()->graph().find_node("fc2")});

        // Nothing edits it: a drag, the Delete key, a direct edit.
        const NodeId sideFc1 = side->document()->graph().find_node("fc1");
        const QPointF fc1At = side->document()->position(sideFc1);
        const QPoint from = nodePoint(side, "fc1");
        QTest::mousePress(side->view()->viewport(), Qt::LeftButton, {}, from);
        QTest::mouseMove(side->view()->viewport(), from + QPoint(80, 60));
        QTest::mouseRelease(side->view()->viewport(), Qt::LeftButton, {}, from + QPoint(80, 60));
        QCOMPARE(side->document()->position(sideFc1), fc1At);
        side->scene()->selectNodes({sideFc1});
        side->view()->setFocus();
        QTest::keyClick(side->view(), Qt::Key_Delete);
        QTest::keyClick(side->view()->viewport(), Qt::Key_Delete);
        QVERIFY(!side->document()->setAttribute(sideFc1, "out_features", AttributeValue{std::int64_t{8}}));
        QCOMPARE(side->document()->graph().node_count(), std::size_t{5});
        QCOMPARE(int_attribute(side->document()->graph().node(sideFc1).attributes, "out_features"), std::int64_t{32});
        QCOMPARE(side->document()->undoStack()->count(), 0);
        QCOMPARE(undo->count(), steps);
        QCOMPARE(g.node_count(), std::size_t{5});

        // An edit of the open model updates both sides: fc1 back to 32 is changed no more.
        QVERIFY(win_->document()->setAttribute(g.find_node("fc1"), "out_features", AttributeValue{std::int64_t{32}}));
        QCOMPARE(side->markOf("fc1"), CompareSideView::Mark::None);
        QCOMPARE(side->markOf("drop"), CompareSideView::Mark::Removed);

        // Leave Compare: the side view goes, the canvas fills the window again.
        win_->diffOverlay()->banner()->findChild<QPushButton*>("LeaveCompareButton")->click();
        QVERIFY(!side->isVisible());
        QVERIFY(win_->diffOverlay()->nowTitle().isEmpty());
        QCOMPARE(side->document()->graph().node_count(), std::size_t{0});
        const QWidget* central = win_->centralWidget();
        QTRY_COMPARE(win_->view()->mapTo(central, QPoint(0, 0)), QPoint(0, 0));
        QCOMPARE(undo->count(), steps + 1);  // the one edit above
    }

    void compareModelsOfTwoRunsSideBySide() {
        open(threeRuns());
        CompareSideView* side = win_->compareSideView();
        const int steps = win_->document()->undoStack()->count();
        QVERIFY(win_->compareRuns(0, 1));  // run 1 (width 16) beside, run 2 (width 32) marked on the canvas
        QVERIFY(side->isVisible());
        QCOMPARE(sortedNames(side), (QStringList{"fc1", "fc2", "input", "loss", "relu1"}));
        QCOMPARE(side->markOf("fc1"), CompareSideView::Mark::Changed);
        QCOMPARE(side->markOf("relu1"), CompareSideView::Mark::None);
        QVERIFY2(side->title().contains("Run 1"), qPrintable(side->title()));
        // The canvas holds width 16, not run 2's model: its title says so.
        QString now = win_->diffOverlay()->nowTitle();
        QVERIFY2(now.contains("Run 2") && now.contains("open model"), qPrintable(now));
        QTest::keyClick(side->view(), Qt::Key_Delete);
        QCOMPARE(side->document()->graph().node_count(), std::size_t{5});
        QCOMPARE(win_->document()->undoStack()->count(), steps);

        QVERIFY(win_->compareRuns(1, 0));  // run 2 beside; the canvas is run 1's model
        QVERIFY2(side->title().contains("Run 2"), qPrintable(side->title()));
        QCOMPARE(int_attribute(side->document()->graph().node(side->document()->graph().find_node("fc1")).attributes,
                               "out_features"), std::int64_t{32});
        now = win_->diffOverlay()->nowTitle();
        QVERIFY2(now.contains("Run 1") && !now.contains("open model"), qPrintable(now));
        // Opening another project leaves compare mode and the side view.
        QVERIFY(win_->openFile(save(*dir_, "again.neura", threeRuns())));
        QVERIFY(!side->isVisible());
        QVERIFY(win_->diffOverlay()->nowTitle().isEmpty());
    }
};

QTEST_MAIN(TestRunsPanel)
#include "tst_runs_panel.moc"
