// The training part of the studio: TrainingSession on its worker thread (finish, stop, pause, NaN stop,
// errors, closing mid-run) driving the real panels (plots, decision boundary, training setup, dataset).
#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QLineEdit>
#include <QListWidget>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStackedWidget>
#include <QStandardItemModel>
#include <QTemporaryDir>
#include <QtTest>
#include <fstream>
#include <memory>
#include <qcustomplot.h>
#include <sstream>

#include "neura/backend/Cuda.h"
#include "neura/train/Experiment.h"
#include "panels/DatasetPanel.h"
#include "panels/DecisionBoundaryView.h"
#include "panels/PlotsPanel.h"
#include "panels/TrainingPanel.h"
#include "session/BackgroundTask.h"
#include "session/TrainingSession.h"

using namespace neura;
using neura::gui::TrainingProgress;
using neura::gui::TrainingResult;
using neura::gui::TrainingSession;

namespace {

std::string readText(const std::string& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

// projects/spiral's model (2 → 32 tanh → 32 tanh → 3) on a 3-class spiral of 600 points.
project::Project spiralProject() {
    project::Project p;
    p.model_json = readText(NEURA_SOURCE_DIR "/projects/src/spiral.model.json");
    train::DatasetSpec spec;
    spec.name = "spiral";
    spec.params = {{"n", "600"}, {"classes", "3"}, {"noise", "0.1"}, {"seed", "1"}};
    p.dataset_json = spec.to_json();
    return p;
}

train::TrainConfig spiralConfig(std::int64_t epochs) {
    train::TrainConfig c;
    c.epochs = epochs;
    c.batch_size = 32;
    c.optimizer = "Adam";
    c.lr = 0.01;
    c.seed = 1;
    c.val_fraction = 0.2;
    return c;
}

TrainingResult resultOf(const QSignalSpy& spy) { return spy.last().at(0).value<TrainingResult>(); }

}  // namespace

class TestTraining : public QObject {
    Q_OBJECT
private slots:
    void trainsSpiralToFinished();
    void stopsWithinOneBatch();
    void pausesAndResumes();
    void nanRunNamesTheNode();
    void engineErrorArrivesAsFailed();
    void destroyingMidRunJoinsCleanly();
    void weightsSnapshotOnRequest();
    void trainingPanelEditsTheConfig();
    void deviceSelectorListsCpuAndGpus();
    void datasetPanelEmitsTheChosenParams();
    void datasetPanelPreviewsImages();
    void datasetPanelPreviewsASeries();
};

void TestTraining::trainsSpiralToFinished() {
    TrainingSession session;
    gui::PlotsPanel plots;
    gui::DecisionBoundaryView boundary;
    gui::TrainingPanel panel;
    panel.attachSession(&session);
    const project::Project project = spiralProject();
    boundary.setDataset(data::make_dataset("spiral", {{"n", "600"}, {"classes", "3"}, {"noise", "0.1"}, {"seed", "1"}}));
    QCOMPARE(boundary.pointCount(), 600);
    connect(&session, &TrainingSession::epochFinished, &plots, &gui::PlotsPanel::addEpoch);
    connect(&session, &TrainingSession::boundaryUpdated, &boundary, &gui::DecisionBoundaryView::setGrid);
    QSignalSpy finished(&session, &TrainingSession::finished);
    QSignalSpy failed(&session, &TrainingSession::failed);
    QSignalSpy progress(&session, &TrainingSession::stepProgress);
    QSignalSpy started(&session, &TrainingSession::started);
    QSignalSpy boundaries(&session, &TrainingSession::boundaryUpdated);

    const std::int64_t epochs = 60;
    plots.beginRun("live");
    QElapsedTimer clock;
    clock.start();
    QVERIFY(session.start(project, spiralConfig(epochs)));
    QVERIFY(session.isRunning());
    QVERIFY(!session.start(project, spiralConfig(epochs)));  // one run at a time
    QVERIFY(finished.wait(60000));
    const double seconds = clock.elapsed() / 1000.0;
    plots.endRun();
    QCOMPARE(failed.count(), 0);
    QVERIFY(!session.isRunning());
    QCOMPARE(started.count(), 1);
    QCOMPARE(started.first().at(0).toLongLong(), qlonglong(480));  // 80% of 600 for training
    QCOMPARE(started.first().at(2).toLongLong(), qlonglong(15));   // ceil(480 / 32) batches

    const TrainingResult r = resultOf(finished);
    QCOMPARE(r.status, train::FitStatus::Completed);
    QCOMPARE(r.statusName, QString("completed"));
    QCOMPARE(static_cast<std::int64_t>(r.history.size()), epochs);

    // The plots hold every epoch, and the spiral was learnt.
    QCOMPARE(plots.currentPointCount("train_loss"), static_cast<int>(epochs));
    QCOMPARE(plots.currentPointCount("val_accuracy"), static_cast<int>(epochs));
    const QVector<double> acc = plots.currentValues("train_accuracy");
    qInfo("spiral: %lld epochs in %.2f s; train accuracy %.3f → %.3f, val accuracy %.3f; %lld progress reports",
          static_cast<long long>(epochs), seconds, acc.first(), acc.last(), r.history.back().val_accuracy,
          static_cast<long long>(progress.count()));
    QVERIFY(acc.last() > acc.first());
    QVERIFY2(acc.last() > 0.8, qPrintable(QString::number(acc.last())));

    // Progress is throttled (~10 Hz), not one signal per batch (900 batches), and ends on the last step.
    QVERIFY(progress.count() >= 1);
    QVERIFY2(progress.count() <= 10 * seconds + 5, qPrintable(QString::number(progress.count())));
    const auto last = progress.last().at(0).value<TrainingProgress>();
    QCOMPARE(last.globalStep, static_cast<qint64>(epochs * 15 - 1));
    QVERIFY(last.samplesPerSecond > 0);
    QCOMPARE(last.etaSeconds, 0.0);

    // The decision boundary got at least the final grid, over the spiral's plane.
    QVERIFY(boundaries.count() >= 1);
    QVERIFY(!boundary.image().isNull());
    QCOMPARE(boundary.image().width(), 72);
    const auto grid = boundaries.last().at(0).value<gui::BoundaryGridPtr>();
    QCOMPARE(grid->classes, 3);
    QCOMPARE(static_cast<int>(grid->cls.size()), 72 * 72);

    // The result carries the trained weights and the run record; the caller's project is untouched.
    QVERIFY(r.project);
    QVERIFY(!r.project->weights.empty());
    QCOMPARE(r.project->runs.size(), std::size_t{1});
    QCOMPARE(r.project->runs[0].status, std::string(project::run_status::kCompleted));
    QVERIFY(project.weights.empty());

    // Previous runs overlay, and export.
    plots.setRuns(r.project->runs);
    QCOMPARE(plots.previousRunCount(), 1);
    QCOMPARE(plots.runList()->count(), 2);  // the live run and the recorded one
    plots.setSmoothing(0.6);
    plots.setLogLoss(true);
    QTemporaryDir dir;
    QVERIFY(plots.exportPng(dir.filePath("plots.png"), 640, 480));
    QVERIFY(plots.exportPdf(dir.filePath("plots.pdf"), 640, 480));
    QVERIFY(QFileInfo(dir.filePath("plots.png")).size() > 1000);
    QVERIFY(QFileInfo(dir.filePath("plots.pdf")).size() > 1000);
}

void TestTraining::stopsWithinOneBatch() {
    TrainingSession session;
    QSignalSpy finished(&session, &TrainingSession::finished);
    QSignalSpy progress(&session, &TrainingSession::stepProgress);
    QVERIFY(session.start(spiralProject(), spiralConfig(100000)));
    QVERIFY(progress.wait(60000));
    QElapsedTimer clock;
    clock.start();
    session.stop();
    QCOMPARE(session.state(), TrainingSession::State::Stopping);
    // 100000 epochs would take hours: ending at all shows the stop took effect (the engine's test
    // shows no batch runs after the request). The time is reported, not asserted.
    QVERIFY(finished.wait(60000));
    qInfo("stop → finished in %lld ms", static_cast<long long>(clock.elapsed()));
    const TrainingResult r = resultOf(finished);
    QCOMPARE(r.status, train::FitStatus::Stopped);
    QCOMPARE(r.statusName, QString("stopped"));
    QVERIFY2(r.message.contains("stopped by the user"), qPrintable(r.message));
    QCOMPARE(r.project->runs.back().status, std::string(project::run_status::kStopped));
    QVERIFY(!session.isRunning());
}

void TestTraining::pausesAndResumes() {
    TrainingSession session;
    QSignalSpy finished(&session, &TrainingSession::finished);
    QSignalSpy progress(&session, &TrainingSession::stepProgress);
    QSignalSpy states(&session, &TrainingSession::stateChanged);
    TrainingSession::Options o;
    o.progressIntervalMs = 0;  // every step, so a paused run shows as silence
    QVERIFY(session.start(spiralProject(), spiralConfig(100000), o));
    QVERIFY(progress.wait(60000));
    session.pause();
    QVERIFY(session.isPaused());
    // The batch in flight ends and the worker blocks in the pause; its signals are queued by then.
    QTRY_VERIFY_WITH_TIMEOUT(session.isHeld(), 60000);
    session.deliverPending();
    const auto before = progress.count();
    const auto stepBefore = progress.last().at(0).value<TrainingProgress>().globalStep;
    // This wait proves that nothing happens: no batch runs while paused.
    QTest::qWait(500);
    QCOMPARE(progress.count(), before);
    session.resume();
    QCOMPARE(session.state(), TrainingSession::State::Running);
    QVERIFY(progress.wait(60000));
    QVERIFY(progress.last().at(0).value<TrainingProgress>().globalStep > stepBefore);
    // Stop while paused ends the pause too.
    session.pause();
    session.stop();
    QVERIFY(finished.wait(60000));
    QCOMPARE(resultOf(finished).status, train::FitStatus::Stopped);
    QVERIFY(states.count() >= 5);  // running, paused, running, paused, stopping, idle
    QCOMPARE(states.last().at(0).value<TrainingSession::State>(), TrainingSession::State::Idle);
}

void TestTraining::nanRunNamesTheNode() {
    TrainingSession session;
    QSignalSpy finished(&session, &TrainingSession::finished);
    QSignalSpy diverged(&session, &TrainingSession::diverged);
    // The spiral model with ReLU instead of Tanh (saturating Tanh keeps even absurd steps finite) and
    // SGD at lr 1e6: the weights multiply up to Inf within a few steps.
    project::Project p = spiralProject();
    for (std::size_t at; (at = p.model_json.find("\"Tanh\"")) != std::string::npos;) p.model_json.replace(at, 6, "\"ReLU\"");
    train::TrainConfig c = spiralConfig(50);
    c.optimizer = "SGD";
    c.lr = 1e6;
    QVERIFY(session.start(p, c));
    QVERIFY(finished.wait(60000));
    const TrainingResult r = resultOf(finished);
    QCOMPARE(r.status, train::FitStatus::Diverged);
    QCOMPARE(diverged.count(), 1);
    const QString message = diverged.first().at(0).toString();
    const qint64 node = diverged.first().at(1).toLongLong();
    qInfo("diverged: %s (node %lld)", qPrintable(message), static_cast<long long>(node));
    QVERIFY2(message.contains("not finite"), qPrintable(message));
    QVERIFY2(message.contains("node '") || message.contains("parameter") || message.contains("gradient of"),
             qPrintable(message));
    QVERIFY(node >= 0 && node <= 6);
    QCOMPARE(r.badNode, node);
    // The NaN weights are not handed back; the failed run is recorded.
    QVERIFY(r.project->weights.empty());
    QCOMPARE(r.project->runs.back().status, std::string(project::run_status::kFailed));
}

void TestTraining::engineErrorArrivesAsFailed() {
    TrainingSession session;
    QSignalSpy finished(&session, &TrainingSession::finished);
    QSignalSpy failed(&session, &TrainingSession::failed);
    project::Project p = spiralProject();
    p.dataset_json = R"({"name": "moons", "params": {"n": "0"}})";  // n out of range
    QVERIFY(session.start(p, spiralConfig(3)));
    QVERIFY(failed.wait(60000));
    QCOMPARE(finished.count(), 0);
    QVERIFY2(failed.first().at(0).toString().contains("n"), qPrintable(failed.first().at(0).toString()));
    QVERIFY(!session.isRunning());
    // A wrong Input shape is an engine error too, naming both shapes.
    p = spiralProject();
    p.dataset_json = R"({"name": "iris"})";
    QVERIFY(session.start(p, spiralConfig(3)));
    QVERIFY(failed.wait(60000));
    QVERIFY2(failed.last().at(0).toString().contains("[4]"), qPrintable(failed.last().at(0).toString()));
}

void TestTraining::destroyingMidRunJoinsCleanly() {
    auto session = std::make_unique<TrainingSession>();
    QSignalSpy progress(session.get(), &TrainingSession::stepProgress);
    QVERIFY(session->start(spiralProject(), spiralConfig(100000)));
    QVERIFY(progress.wait(60000));
    // The destructor stops the run and joins its thread (bounded: one that does not stop in time is
    // abandoned, tst_studio's closingNeverWaitsForAStuckWorker). Either way the worker ends.
    session.reset();  // what closing the window mid-training does
    QVERIFY(gui::BackgroundTask::waitForAll(60000));
    // Even while paused (the worker blocked in the pause).
    session = std::make_unique<TrainingSession>();
    QSignalSpy progress2(session.get(), &TrainingSession::stepProgress);
    QVERIFY(session->start(spiralProject(), spiralConfig(100000)));
    QVERIFY(progress2.wait(60000));
    session->pause();
    QTRY_VERIFY_WITH_TIMEOUT(session->isHeld(), 60000);
    session.reset();
    QVERIFY(gui::BackgroundTask::waitForAll(60000));
    // And right after start, before the experiment is even built.
    session = std::make_unique<TrainingSession>();
    QVERIFY(session->start(spiralProject(), spiralConfig(100000)));
    session.reset();
    QVERIFY(gui::BackgroundTask::waitForAll(60000));
    // This wait proves that nothing happens: no stray queued signal arrives at a dead session.
    QTest::qWait(50);
}

void TestTraining::weightsSnapshotOnRequest() {
    TrainingSession session;
    QSignalSpy progress(&session, &TrainingSession::stepProgress);
    QSignalSpy snapshots(&session, &TrainingSession::weightsSnapshot);
    QSignalSpy finished(&session, &TrainingSession::finished);
    QVERIFY(session.start(spiralProject(), spiralConfig(100000)));
    QVERIFY(progress.wait(60000));
    session.requestWeightsSnapshot();
    QVERIFY(snapshots.wait(60000));
    const auto w = snapshots.first().at(0).value<gui::WeightsPtr>();
    QVERIFY(w);
    QCOMPARE(w->size(), std::size_t{6});  // 3 Linear layers × (weight, bias)
    QCOMPARE(w->front().name, std::string("fc1.weight"));
    session.stop();
    QVERIFY(finished.wait(60000));
}

void TestTraining::trainingPanelEditsTheConfig() {
    gui::TrainingPanel panel;
    train::TrainConfig c;
    c.optimizer = "AdamW";
    c.lr = 0.003;
    c.weight_decay = 0.05;
    c.scheduler.type = "CosineAnnealingLR";
    c.scheduler.t_max = 30;
    c.scheduler.eta_min = 1e-4;
    c.batch_size = 64;
    c.epochs = 30;
    c.seed = 7;
    c.val_fraction = 0.25;
    panel.setConfig(c);
    const train::TrainConfig back = panel.config();
    QCOMPARE(back.to_json(), c.to_json());
    project::Project p;
    panel.saveToProject(p);
    QCOMPARE(train::TrainConfig::from_json(p.train_config_json).to_json(), c.to_json());
    p.train_config_json = spiralConfig(80).to_json();
    QVERIFY(panel.loadFromProject(p));
    QCOMPARE(panel.config().epochs, std::int64_t{80});
    QCOMPARE(panel.config().optimizer, std::string("Adam"));
    p.train_config_json = R"({"optimizer": "Nope"})";
    QVERIFY(!panel.loadFromProject(p));

    QSignalSpy train(&panel, &gui::TrainingPanel::trainRequested);
    QCOMPARE(panel.trainAction()->shortcut(), QKeySequence(Qt::Key_F5));
    panel.trainAction()->trigger();
    QCOMPARE(train.count(), 1);
    panel.setState(TrainingSession::State::Running);
    QVERIFY(!panel.trainAction()->isEnabled());  // no second run while one goes
}

void TestTraining::deviceSelectorListsCpuAndGpus() {
    // The CUDA module (backend/CudaModule.h) is opened only when the list opens or a configuration names
    // a GPU: the tests before this one built panels and trained on the CPU without it.
    auto cudaModuleMapped = [] {
        QFile maps("/proc/self/maps");
        return maps.open(QIODevice::ReadOnly) && maps.readAll().contains("libneura_cuda.so");
    };
    QVERIFY(!cudaModuleMapped());
    {
        gui::TrainingPanel panel;
        QCOMPARE(panel.deviceCombo()->count(), 1);  // the CPU, nothing looked up yet
        QVERIFY(!cudaModuleMapped());
        panel.deviceCombo()->showPopup();  // a look at the list finds the devices
        QVERIFY(panel.deviceCombo()->count() > 1);
        panel.deviceCombo()->hidePopup();
        QCOMPARE(cudaModuleMapped(), neura::cuda::built_with_cuda());
    }
    gui::TrainingPanel panel;
    QComboBox* device = panel.deviceCombo();
    auto* model = qobject_cast<QStandardItemModel*>(device->model());
    QVERIFY(model);
    QCOMPARE(device->itemData(0).toString(), QString("cpu"));
    QVERIFY(model->item(0)->isEnabled());
    QCOMPARE(device->currentIndex(), 0);
    QCOMPARE(panel.config().device, std::string("cpu"));
    train::TrainConfig c;
    c.device = "cuda:0";
    panel.setConfig(c);
    const int gpus = neura::cuda::device_count();
    if (gpus == 0) {
        // One disabled CUDA entry that says why; a project asking for a GPU trains on the CPU here.
        QCOMPARE(device->count(), 2);
        QVERIFY(device->itemText(1).startsWith("CUDA"));
        QVERIFY(!model->item(1)->isEnabled());
        const QString tip = model->item(1)->toolTip();
        QVERIFY2(tip.contains("CUDA") || tip.contains(QString::fromStdString(neura::cuda::unavailable_reason())),
                 qPrintable(tip));
        if (neura::cuda::built_with_cuda())
            QVERIFY2(tip.contains(QString::fromStdString(neura::cuda::unavailable_reason())), qPrintable(tip));
        QCOMPARE(panel.config().device, std::string("cpu"));
    } else {
        QCOMPARE(device->count(), 1 + gpus);
        for (int i = 0; i < gpus; ++i) {
            QCOMPARE(device->itemData(1 + i).toString(), QString("cuda:%1").arg(i));
            QVERIFY(model->item(1 + i)->isEnabled());
        }
        QCOMPARE(panel.config().device, std::string("cuda:0"));
    }
}

void TestTraining::datasetPanelEmitsTheChosenParams() {
    gui::DatasetPanel panel;
    QSignalSpy changed(&panel, &gui::DatasetPanel::datasetChanged);
    QSignalSpy built(&panel, &gui::DatasetPanel::datasetBuilt);
    QComboBox* combo = panel.datasetCombo();
    combo->setCurrentIndex(combo->findData("moons"));
    auto* n = qobject_cast<QSpinBox*>(panel.editor("n"));
    auto* noise = qobject_cast<QDoubleSpinBox*>(panel.editor("noise"));
    QVERIFY(n && noise);
    QCOMPARE(n->minimum(), 1);  // bounds from the registry
    n->setValue(123);
    noise->setValue(0.3);
    QVERIFY(changed.wait(60000));
    QCOMPARE(changed.count(), 1);  // debounced: one emission for the three edits
    QCOMPARE(changed.last().at(0).toString(), QString("moons"));
    const QVariantMap params = changed.last().at(1).toMap();
    QCOMPARE(params.value("n").toString(), QString("123"));
    QCOMPARE(params.value("noise").toString(), QString("0.3"));
    QCOMPARE(params.value("seed").toString(), QString("0"));
    QVERIFY(panel.dataset());
    QCOMPARE(panel.dataset()->size(), std::int64_t{123});
    QCOMPARE(panel.featureShape(), (Shape{2}));
    QVERIFY(built.count() >= 1);
    QVERIFY(gui::DecisionBoundaryView::supports(panel.dataset().get()));
    const train::DatasetSpec spec = train::DatasetSpec::from_json(panel.datasetJson().toStdString());
    QCOMPARE(spec.name, std::string("moons"));
    QCOMPARE(spec.params.at("n"), std::string("123"));

    // Loading a project's choice does not count as a user change.
    project::Project p;
    p.dataset_json = R"({"name": "spiral", "params": {"n": "90", "classes": "4"}})";
    QVERIFY(panel.loadFromProject(p));
    // This wait proves that nothing happens: no datasetChanged once the debounce (250 ms) would have fired.
    QTest::qWait(400);
    QCOMPARE(changed.count(), 1);
    QCOMPARE(panel.datasetName(), QString("spiral"));
    QCOMPARE(panel.dataset()->num_classes(), std::int64_t{4});
    // CSV needs a file: nothing is emitted, the panel says why.
    combo->setCurrentIndex(combo->findData("csv"));
    // This wait proves that nothing happens: a dataset that cannot be built emits nothing.
    QTest::qWait(400);
    QCOMPARE(changed.count(), 1);
    QVERIFY(!panel.dataset());
    QVERIFY(!panel.errorText().isEmpty());
    QVERIFY(panel.editor("path"));
    QVERIFY(qobject_cast<QComboBox*>(panel.editor("delimiter")));  // a choice list
}

void TestTraining::datasetPanelPreviewsImages() {
    gui::DatasetPanel panel;
    QVERIFY(panel.setDataset("digits", {{"image", "true"}}));
    QVERIFY(panel.dataset());
    QCOMPARE(panel.featureShape(), (Shape{1, 8, 8}));
    auto* image = qobject_cast<QCheckBox*>(panel.editor("image"));
    QVERIFY(image && image->isChecked());
    QVERIFY(!gui::DecisionBoundaryView::supports(panel.dataset().get()));
    QSignalSpy changed(&panel, &gui::DatasetPanel::datasetChanged);
    image->setChecked(false);
    QVERIFY(changed.wait(60000));
    QCOMPARE(changed.last().at(1).toMap().value("image").toString(), QString("false"));
    QCOMPARE(panel.featureShape(), (Shape{64}));
}

void TestTraining::datasetPanelPreviewsASeries() {
    QTemporaryDir dir;
    const QString path = dir.filePath("levels.csv");
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("day,level,flow\n");
    for (int r = 1; r <= 30; ++r) f.write(QString("d%1,%2,%3\n").arg(r).arg(r * 0.5).arg(100 + r).toUtf8());
    f.close();
    gui::DatasetPanel panel;
    QVERIFY(panel.setDataset("csv-series", {{"path", path.toStdString()}, {"window", "6"}, {"horizon", "2"},
                                            {"target", "flow"}}));
    QVERIFY2(panel.dataset(), qPrintable(panel.errorText()));
    QCOMPARE(panel.featureShape(), (Shape{6, 2}));  // what the Input node's shape becomes
    QCOMPARE(panel.dataset()->size(), std::int64_t{23});  // 30 - 6 - 2 + 1
    QVERIFY(qobject_cast<QLineEdit*>(panel.editor("path")));
    QVERIFY(qobject_cast<QSpinBox*>(panel.editor("window")));
    QCOMPARE(qobject_cast<QSpinBox*>(panel.editor("stride"))->minimum(), 1);
    // The preview: sample 0's target column among its inputs over 6 steps, then its 2 target values.
    auto* plot = qobject_cast<QCustomPlot*>(panel.findChild<QStackedWidget*>()->currentWidget());
    QVERIFY(plot);
    QCOMPARE(plot->graphCount(), 2);
    QCOMPARE(plot->graph(0)->data()->size(), 6);
    QCOMPARE(plot->graph(0)->data()->at(5)->value, 106.0);  // flow on row 6
    QCOMPARE(plot->graph(0)->name(), QString("input: flow"));
    QCOMPARE(plot->graph(1)->data()->size(), 2);
    QCOMPARE(plot->graph(1)->data()->at(0)->key, 6.0);
    QCOMPARE(plot->graph(1)->data()->at(1)->value, 108.0);  // flow on row 8
    QCOMPARE(plot->graph(1)->name(), QString("target: flow"));
    // A bad column is said in the panel, naming the file.
    QVERIFY(panel.setDataset("csv-series", {{"path", path.toStdString()}, {"columns", "height"}}));
    QVERIFY(!panel.dataset());
    QVERIFY2(panel.errorText().contains(path) && panel.errorText().contains("no column named 'height'"),
             qPrintable(panel.errorText()));
}

QTEST_MAIN(TestTraining)
#include "tst_training.moc"
