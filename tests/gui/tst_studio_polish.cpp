// Studio polish: auto layout keeps every example project legible at the default window size (long
// chains wrap into rows), the live plots keep the user's zoom and pan until Fit, a double click or a new
// run, a run that diverges at once does not inherit the previous run's axes, and the decision boundary
// follows the dark theme.
#include <QAction>
#include <QDir>
#include <QTemporaryDir>
#include <QWheelEvent>
#include <QtTest>
#include <cmath>
#include <limits>
#include <qcustomplot.h>

#include "app/Theme.h"
#include "common/TestSupport.h"
#include "document/GraphDocument.h"
#include "editor/GraphScene.h"
#include "editor/EdgeItem.h"
#include "editor/GraphView.h"
#include "editor/NodeItem.h"
#include "gui/QuietWindow.h"
#include "neura/data/DatasetRegistry.h"
#include "neura/project/Project.h"
#include "panels/DecisionBoundaryView.h"
#include "panels/PlotsPanel.h"

using namespace neura;
using namespace neura::gui;

namespace {

// The zoom at which node names and shapes stay readable (the node font is drawn at about 9 pt).
constexpr double kLegibleZoom = 0.8;

double meanLuminance(const QImage& image, QRect area = {}) {
    if (area.isNull()) area = image.rect();
    double sum = 0;
    int n = 0;
    for (int y = area.top(); y <= area.bottom(); ++y)
        for (int x = area.left(); x <= area.right(); ++x) {
            const QRgb p = image.pixel(x, y);
            sum += (0.2126 * qRed(p) + 0.7152 * qGreen(p) + 0.0722 * qBlue(p)) / 255.0;
            ++n;
        }
    return n ? sum / n : 0.0;
}

train::EpochMetrics epoch(int index, double loss, double accuracy) {
    train::EpochMetrics m;
    m.epoch = index;
    m.train_loss = loss;
    m.val_loss = loss;
    m.train_accuracy = accuracy;
    m.val_accuracy = accuracy;
    return m;
}

void wheel(QCustomPlot* plot, QPointF pos, int delta) {
    QWheelEvent e(pos, plot->mapToGlobal(pos), QPoint(), QPoint(0, delta), Qt::NoButton, Qt::NoModifier,
                  Qt::NoScrollPhase, false);
    QApplication::sendEvent(plot, &e);
}

QCPRange range(QCustomPlot* plot, int rect, QCPAxis::AxisType type) {
    return plot->axisRects().at(rect)->axis(type)->range();
}

}  // namespace

class TestStudioPolish : public QObject {
    Q_OBJECT
private slots:
    void theWindowFitsALaptopScreen() {
        // Every dock open, as on first start. On a big screen nothing scrolls: the window asks for every panel's
        // whole minimum (wider than a laptop's screen). Fitted to a 1366 x 768 screen less a task bar, its
        // minimum fits: the Inspector, Evaluation and Training docks scroll instead.
        neura::test::QuietWindow w;
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        const QSize natural = w.minimumSizeHint();
        QVERIFY2(natural.width() > 1366, qPrintable(QString("natural minimum width %1").arg(natural.width())));
        const QSize fitted = w.fitDocksTo(QSize(1366, 720));
        QVERIFY2(fitted.width() <= 1366 && fitted.height() <= 720,
                 qPrintable(QString("fitted minimum %1 x %2").arg(fitted.width()).arg(fitted.height())));
        QCOMPARE(w.minimumSizeHint(), fitted);
        w.resize(1366, 720);
        QTest::qWait(50);
        QVERIFY(w.width() <= 1366 && w.height() <= 720);
    }

    void autoLayoutIsLegible();
    void plotsKeepTheUsersView();
    void divergedRunGetsItsOwnAxes();
    void boundaryFollowsTheTheme();
};

void TestStudioPolish::autoLayoutIsLegible() {
    QTemporaryDir dir;
    test::QuietWindow win;
    win.setAutosaveInterval(0);
    win.resize(1440, 900);  // the studio's default window (app/main.cpp)
    win.show();
    QVERIFY(QTest::qWaitForWindowExposed(&win, 60000));
    QAction* layout = nullptr;
    for (QAction* a : win.findChildren<QAction*>())
        if (a->text() == "&Auto Layout") layout = a;
    QVERIFY(layout);
    const QStringList models = QDir(NEURA_SOURCE_DIR "/projects/src").entryList({"*.model.json"});
    QVERIFY(models.size() >= 10);
    for (const QString& model : models) {
        const QString name = model.section('.', 0, 0);
        const QString path = dir.filePath(name + ".neura");
        project::save_project(path.toStdString(), test::example_project(name));
        QVERIFY2(win.openFile(path), qPrintable(name));
        GraphDocument* doc = win.document();
        // Start from the worst: every node on one spot.
        std::map<graph::NodeId, QPointF> heap, before;
        for (const auto& [id, n] : doc->graph().nodes()) heap[id] = QPointF(0, 0);
        QVERIFY(doc->moveNodes(heap));
        for (const auto& [id, n] : doc->graph().nodes()) before[id] = doc->position(id);
        const int steps = doc->undoStack()->index();
        layout->trigger();
        QCoreApplication::processEvents();
        QCOMPARE(doc->undoStack()->index(), steps + 1);  // one undo step
        QCOMPARE(doc->undoStack()->undoText(), QString("Auto layout"));

        GraphView* view = win.view();
        const double zoom = view->transform().m11();
        qInfo("%s: zoom %.3f in a %d × %d canvas", qPrintable(name), zoom, view->viewport()->width(),
              view->viewport()->height());
        QVERIFY2(zoom >= kLegibleZoom, qPrintable(QString("%1: zoom %2 in a %3 × %4 canvas")
                                                       .arg(name).arg(zoom)
                                                       .arg(view->viewport()->width())
                                                       .arg(view->viewport()->height())));
        const QRectF visible = view->mapToScene(view->viewport()->rect()).boundingRect();
        std::vector<QRectF> rects;
        for (const auto& [id, n] : doc->graph().nodes()) {
            NodeItem* item = win.scene()->nodeItem(id);
            QVERIFY(item);
            const QRectF body = item->mapRectToScene(QRectF(0, 0, NodeItem::kWidth, item->height()));
            QVERIFY2(visible.contains(body), qPrintable(name + ": " + QString::fromStdString(n.name) + " off view"));
            for (const QRectF& other : rects)
                QVERIFY2(!other.intersects(body), qPrintable(name + ": " + QString::fromStdString(n.name)
                                                             + " overlaps another node"));
            rects.push_back(body);
        }
        // No edge runs across a node it does not connect (the return edge of a wrapped chain included).
        for (const auto& [eid, e] : doc->graph().edges()) {
            const QPainterPath path = win.scene()->edgeItem(eid)->path();
            for (const auto& [id, n] : doc->graph().nodes()) {
                if (id == e.from.node || id == e.to.node) continue;
                NodeItem* item = win.scene()->nodeItem(id);
                const QRectF body = item->mapRectToScene(QRectF(0, 0, NodeItem::kWidth, item->height()));
                for (int k = 0; k <= 200; ++k)
                    QVERIFY2(!body.adjusted(2, 2, -2, -2).contains(path.pointAtPercent(k / 200.0)),
                             qPrintable(name + ": an edge crosses " + QString::fromStdString(n.name)));
            }
        }
        // Undo puts every node back.
        QVERIFY(doc->undo());
        for (const auto& [id, p] : before) QCOMPARE(doc->position(id), p);
    }
    // The digits CNN (10 layers in a chain) wraps: more than one row, each read left to right.
    GraphDocument* doc = win.document();
    project::save_project(dir.filePath("cnn.neura").toStdString(), test::example_project("digits-cnn"));
    QVERIFY(win.openFile(dir.filePath("cnn.neura")));
    layout->trigger();
    QCOMPARE(doc->graph().node_count(), std::size_t{10});
    const QPointF first = doc->position(doc->graph().find_node("input"));
    const QPointF last = doc->position(doc->graph().find_node("loss"));
    QVERIFY(last.y() > first.y() + 100);  // the loss sits on a row below the input
    QVERIFY(last.x() < 5 * 220);          // not at the end of one long row
}

void TestStudioPolish::plotsKeepTheUsersView() {
    PlotsPanel plots;
    plots.resize(800, 500);
    plots.show();
    QVERIFY(QTest::qWaitForWindowExposed(&plots, 60000));
    QCustomPlot* plot = plots.plot();
    plots.beginRun("run 1");
    plots.addEpoch(epoch(0, 2.0, 0.3));
    plots.addEpoch(epoch(1, 1.5, 0.5));
    plots.addEpoch(epoch(2, 1.2, 0.6));
    plot->replot();
    // Automatic: the epochs 1…3 and the losses 1.2…2.0 in view.
    QCOMPARE(range(plot, 0, QCPAxis::atBottom).lower, 1.0);
    QCOMPARE(range(plot, 0, QCPAxis::atBottom).upper, 3.0);
    QVERIFY(range(plot, 0, QCPAxis::atLeft).contains(1.2) && range(plot, 0, QCPAxis::atLeft).contains(2.0));
    QVERIFY(!plots.userView());

    // The user zooms in on the loss plot; new epochs leave that view alone.
    const QPointF centre = plot->axisRects().at(0)->rect().center();
    wheel(plot, centre, 240);
    QVERIFY(plots.userView());
    const QCPRange x = range(plot, 0, QCPAxis::atBottom), y = range(plot, 0, QCPAxis::atLeft);
    QVERIFY(x.size() < 2.0);  // it did zoom
    plots.addEpoch(epoch(3, 5.0, 0.7));
    QCOMPARE(range(plot, 0, QCPAxis::atBottom), x);
    QCOMPARE(range(plot, 0, QCPAxis::atLeft), y);

    // A double click goes back to automatic ranges: epoch 4 and the loss 5 in view.
    QTest::mouseDClick(plot, Qt::LeftButton, {}, centre.toPoint());
    QVERIFY(!plots.userView());
    QCOMPARE(range(plot, 0, QCPAxis::atBottom).upper, 4.0);
    QVERIFY(range(plot, 0, QCPAxis::atLeft).contains(5.0));
    plots.addEpoch(epoch(4, 6.0, 0.7));
    QCOMPARE(range(plot, 0, QCPAxis::atBottom).upper, 5.0);  // following again

    // Zoomed again, a new run starts with automatic ranges.
    wheel(plot, centre, -240);
    QVERIFY(plots.userView());
    plots.endRun();
    plots.beginRun("run 2");
    QVERIFY(!plots.userView());
    plots.addEpoch(epoch(0, 0.5, 0.9));
    plots.addEpoch(epoch(1, 0.25, 0.95));
    QCOMPARE(range(plot, 0, QCPAxis::atBottom).lower, 1.0);
    QCOMPARE(range(plot, 0, QCPAxis::atBottom).upper, 2.0);
    QVERIFY(range(plot, 0, QCPAxis::atLeft).contains(0.25) && range(plot, 0, QCPAxis::atLeft).contains(0.5));
    QVERIFY(!range(plot, 0, QCPAxis::atLeft).contains(5.0));
}

void TestStudioPolish::divergedRunGetsItsOwnAxes() {
    PlotsPanel plots;
    plots.resize(800, 500);
    QCustomPlot* plot = plots.plot();
    const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
    plots.beginRun("run 1");
    for (int e = 0; e < 5; ++e) plots.addEpoch(epoch(e, 100.0 + 50 * e, 0.2));
    plots.endRun();
    QVERIFY(range(plot, 0, QCPAxis::atLeft).contains(300.0));

    // The next run diverges in its first epoch: a NaN loss (and no accuracy worth the name).
    plots.beginRun("run 2");
    plots.addEpoch(epoch(0, nan, nan));
    plots.endRun();
    const QCPRange lossY = range(plot, 0, QCPAxis::atLeft), lossX = range(plot, 0, QCPAxis::atBottom);
    QVERIFY(std::isfinite(lossY.lower) && std::isfinite(lossY.upper) && lossY.size() > 0);
    QVERIFY2(!lossY.contains(100.0) && !lossY.contains(300.0),
             qPrintable(QString("loss axis %1…%2 kept the previous run's").arg(lossY.lower).arg(lossY.upper)));
    QVERIFY(lossX.contains(1.0));
    QVERIFY(!lossX.contains(5.0));  // the previous run's epochs are gone too
    QCOMPARE(range(plot, 1, QCPAxis::atLeft).lower, 0.0);  // accuracy: the default 0…1
    QCOMPARE(range(plot, 1, QCPAxis::atLeft).upper, 1.0);

    // Finite points among infinite ones: the axes show the finite ones only.
    plots.beginRun("run 3");
    plots.addEpoch(epoch(0, 0.75, 0.5));
    QCOMPARE(range(plot, 1, QCPAxis::atLeft).lower, 0.0);  // one accuracy value: the whole 0…1 scale
    QCOMPARE(range(plot, 1, QCPAxis::atLeft).upper, 1.0);
    QVERIFY(range(plot, 0, QCPAxis::atLeft).contains(0.75) && range(plot, 0, QCPAxis::atLeft).size() < 0.5);
    plots.addEpoch(epoch(1, inf, 0.5));
    plots.addEpoch(epoch(2, 0.5, 0.5));
    const QCPRange y3 = range(plot, 0, QCPAxis::atLeft);
    QVERIFY(y3.contains(0.5) && y3.contains(0.75));
    QVERIFY(std::isfinite(y3.upper) && y3.upper < 1.0);
    QCOMPARE(range(plot, 0, QCPAxis::atBottom).upper, 3.0);

    // On a log axis, zero and negative values are skipped as well.
    plots.setLogLoss(true);
    plots.addEpoch(epoch(3, 0.0, 0.5));
    const QCPRange logY = range(plot, 0, QCPAxis::atLeft);
    QVERIFY(logY.lower > 0 && logY.contains(0.5) && logY.contains(0.75) && logY.upper < 1.0);
}

void TestStudioPolish::boundaryFollowsTheTheme() {
    applyTheme(false);
    DecisionBoundaryView view;
    view.resize(320, 320);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view, 60000));
    view.setDataset(data::make_dataset("xor", {{"n", "40"}, {"seed", "2"}}));
    // Two classes by quadrant, the confidence rising from chance (0.5) on the left to certainty on the right.
    auto grid = std::make_shared<BoundaryGrid>();
    grid->width = grid->height = 36;
    grid->xMin = grid->yMin = -1.2;
    grid->xMax = grid->yMax = 1.2;
    grid->classes = 2;
    for (int j = 0; j < 36; ++j)
        for (int i = 0; i < 36; ++i) {
            grid->cls.push_back((i < 18) != (j < 18) ? 1 : 0);
            grid->confidence.push_back(0.5f + 0.5f * static_cast<float>(i) / 35.0f);
        }
    view.setGrid(grid);
    auto shown = [&view] {
        view.plot()->replot();
        QCoreApplication::processEvents();
        view.plot()->replot();
        return meanLuminance(view.plot()->grab().toImage(), view.plot()->axisRect()->rect().adjusted(2, 2, -2, -2));
    };
    const double lightImage = meanLuminance(view.image()), lightShown = shown();
    QVERIFY2(lightImage > 0.6 && lightShown > 0.6, qPrintable(QString("light: %1 %2").arg(lightImage).arg(lightShown)));

    applyTheme(true);
    QCoreApplication::processEvents();
    const double darkImage = meanLuminance(view.image()), darkShown = shown();
    QVERIFY2(darkImage < 0.3 && darkShown < 0.35, qPrintable(QString("dark: %1 %2").arg(darkImage).arg(darkShown)));
    QCOMPARE(view.image().size(), QSize(36, 36));

    applyTheme(false);  // and back
    QCoreApplication::processEvents();
    QVERIFY(meanLuminance(view.image()) > 0.6);
}

QTEST_MAIN(TestStudioPolish)
#include "tst_studio_polish.moc"
