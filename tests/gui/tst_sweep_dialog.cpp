// Train ▸ Sweep… in the studio: a 2×1 sweep started from the dialog runs on the worker thread and each
// run lands in the open project (and, saved, in its file) with its settings; stop; bad rows; the
// project cannot be closed under a sweep.
#include <QAction>
#include <QFileInfo>
#include <QComboBox>
#include <QLabel>
#include <QPushButton>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>
#include <nlohmann/json.hpp>

#include "QuietWindow.h"
#include "TrainedExample.h"
#include "dialogs/SweepDialog.h"
#include "neura/graph/ModelJson.h"
#include "panels/TrainingPanel.h"
#include "session/SweepSession.h"

using namespace neura;
using neura::gui::SweepDialog;
using neura::gui::SweepSession;

namespace {

SweepDialog* openDialog(test::QuietWindow& w) {
    QAction* act = w.findChild<QAction*>(QStringLiteral("SweepAction"));
    if (!act) return nullptr;
    act->trigger();
    return w.findChild<SweepDialog*>(QStringLiteral("SweepDialog"));
}

}  // namespace

class TestSweepDialog : public QObject {
    Q_OBJECT
private slots:
    void runsASweepIntoTheProject() {
        QTemporaryDir dir;
        test::QuietWindow w;
        const QString path = test::trainedExample(dir, "xor");
        QVERIFY(w.openFile(path));
        const std::size_t runsBefore = w.projectData().runs.size();
        const auto weightsBefore = w.projectData().weights;
        SweepDialog* d = openDialog(w);
        QVERIFY(d);
        QVERIFY(d->isVisible());
        QVERIFY(d->keyChoices().contains("lr"));
        QVERIFY(d->keyChoices().contains("fc1.out_features"));

        d->setRowCount(2);
        d->setRow(0, "fc1.out_features", "4, 8");
        d->setRow(1, "lr", "0.05");
        d->setEpochs(2);
        QSignalSpy finished(w.sweepSession(), &SweepSession::finished);
        QSignalSpy runs(w.sweepSession(), &SweepSession::runFinished);
        QVERIFY2(d->start(), qPrintable(d->statusLabel()->text()));
        QVERIFY(w.sweepSession()->isRunning());
        QVERIFY(!d->startButton()->isEnabled());
        // The GUI thread is free meanwhile: the event loop turns while the worker trains.
        QVERIFY(finished.wait(120000));
        QCOMPARE(runs.count(), 2);
        QCOMPARE(finished.last().at(0).toInt(), 2);
        QCOMPARE(finished.last().at(1).toInt(), 0);
        QCOMPARE(finished.last().at(2).toBool(), false);
        QVERIFY(d->startButton()->isEnabled());
        QVERIFY2(d->statusLabel()->text().contains("2 runs"), qPrintable(d->statusLabel()->text()));

        // Both runs are the open project's now, with their settings; the weights are the project's own.
        const auto& p = w.projectData();
        QCOMPARE(p.runs.size(), runsBefore + 2);
        QVERIFY(w.isModified());
        const std::int64_t widths[] = {4, 8};
        for (int i = 0; i < 2; ++i) {
            const project::RunRecord& r = p.runs[runsBefore + static_cast<std::size_t>(i)];
            QCOMPARE(r.status, std::string(project::run_status::kCompleted));
            const nlohmann::json s = nlohmann::json::parse(r.settings_json);
            QCOMPARE(s["fc1.out_features"].get<std::int64_t>(), widths[i]);
            QCOMPARE(s["lr"].get<double>(), 0.05);
            const graph::ModelGraph g = graph::from_json(r.model_json);
            QCOMPARE(graph::int_attribute(g.node(g.find_node("fc1")).attributes, "out_features"), widths[i]);
            QCOMPARE(train::TrainConfig::from_json(r.config_json).epochs, std::int64_t(2));
        }
        QCOMPARE(p.runs[runsBefore].id + 1, p.runs[runsBefore + 1].id);
        QCOMPARE(p.weights.size(), weightsBefore.size());
        for (std::size_t i = 0; i < p.weights.size(); ++i) {
            const Tensor a = p.weights[i].tensor.contiguous(), b = weightsBefore[i].tensor.contiguous();
            QCOMPARE(a.shape(), b.shape());
            QVERIFY(std::memcmp(a.raw_data(), b.raw_data(), static_cast<std::size_t>(a.numel()) * element_size(a.dtype())) == 0);
        }

        // Saved, the file holds them.
        QVERIFY(w.save());
        const project::Project saved = project::load_project(path.toStdString());
        QCOMPARE(saved.runs.size(), runsBefore + 2);
        QCOMPARE(saved.runs.back().settings_json, p.runs.back().settings_json);
        QVERIFY(w.errors.isEmpty());
    }

    void badRowsAreRefusedInTheDialog() {
        QTemporaryDir dir;
        test::QuietWindow w;
        QVERIFY(w.openFile(test::trainedExample(dir, "xor")));
        SweepDialog* d = openDialog(w);
        QVERIFY(d);
        d->setRowCount(1);
        d->setRow(0, "fc9.out_features", "4");
        QVERIFY(!d->start());
        QVERIFY2(d->statusLabel()->text().contains("no node"), qPrintable(d->statusLabel()->text()));
        d->setRow(0, "lr", "");
        QVERIFY(!d->start());
        QVERIFY2(d->statusLabel()->text().contains("give the values"), qPrintable(d->statusLabel()->text()));
        QVERIFY(!w.sweepSession()->isRunning());
    }

    void stopEndsTheSweepAndOpenWaits() {
        QTemporaryDir dir;
        test::QuietWindow w;
        const QString path = test::trainedExample(dir, "xor");
        QVERIFY(w.openFile(path));
        const std::size_t runsBefore = w.projectData().runs.size();
        SweepDialog* d = openDialog(w);
        QVERIFY(d);
        d->setRowCount(1);
        d->setRow(0, "lr", "0.1, 0.01, 0.001, 0.0001");
        d->setEpochs(100000);  // far longer than the test: only Stop ends it
        QSignalSpy started(w.sweepSession(), &SweepSession::epochFinished);
        QSignalSpy finished(w.sweepSession(), &SweepSession::finished);
        QVERIFY(d->start());
        QVERIFY(started.wait(60000));
        // A project cannot be opened (or made new) under a sweep that adds runs to it.
        w.newDocument();
        QCOMPARE(w.filePath(), QFileInfo(path).absoluteFilePath());
        d->stopButton()->click();
        QVERIFY(finished.wait(60000));
        QCOMPARE(finished.last().at(2).toBool(), true);
        QCOMPARE(w.projectData().runs.size(), runsBefore + 1);  // the run in flight, recorded as stopped
        QCOMPARE(w.projectData().runs.back().status, std::string(project::run_status::kStopped));
    }
};

QTEST_MAIN(TestSweepDialog)
#include "tst_sweep_dialog.moc"
