// The studio wired together: MainWindow with its TrainingSession and the training, plots, dataset and
// decision-boundary docks, driven as a user would (F5, Stop, closing mid-run), offscreen.
#include <QComboBox>
#include <QGroupBox>
#include <QLabel>
#include <QPushButton>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTemporaryDir>
#include <QtTest>
#include <condition_variable>
#include <fstream>
#include <memory>
#include <mutex>
#include <sstream>
#include <thread>

#include "app/MainWindow.h"
#include "common/TestSupport.h"
#include "dialogs/PluginsDialog.h"
#include "gui/QuietWindow.h"
#include "document/GraphDocument.h"
#include "editor/GraphScene.h"
#include "editor/GraphView.h"
#include "neura/graph/AttributeValue.h"
#include "neura/graph/LayerRegistry.h"
#include "neura/graph/ModelJson.h"
#include "neura/ops/Ops.h"
#include "neura/train/Experiment.h"
#include "panels/DatasetPanel.h"
#include "panels/DecisionBoundaryView.h"
#include "panels/GradcheckPanel.h"
#include "panels/InspectorPanel.h"
#include "panels/PlotsPanel.h"
#include "panels/TrainingPanel.h"
#include "session/BackgroundTask.h"
#include "session/TrainingSession.h"

using namespace neura;
using namespace neura::gui;

namespace {

std::string readText(const std::string& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

// projects/spiral.neura as projects/make_examples.sh builds it, through the engine's API.
project::Project spiralProject() {
    project::Project p;
    p.model_json = readText(NEURA_SOURCE_DIR "/projects/src/spiral.model.json");
    p.train_config_json =
        train::TrainConfig::from_json(readText(NEURA_SOURCE_DIR "/projects/src/spiral.config.json")).to_json();
    train::DatasetSpec spec;
    spec.name = "spiral";
    spec.params = {{"n", "600"}, {"classes", "3"}, {"noise", "0.1"}, {"seed", "1"}};
    p.dataset_json = spec.to_json();
    project::stamp_metadata(p);
    return p;
}

QString saveProject(const QTemporaryDir& dir, const project::Project& p, const QString& name = "spiral") {
    const QString path = dir.filePath(name + ".neura");
    project::save_project(path.toStdString(), p);
    return path;
}

// Answers the window's questions without dialogs and records what it was asked and told.
using TestWindow = neura::test::QuietWindow;

TrainingResult resultOf(const QSignalSpy& spy) { return spy.last().at(0).value<TrainingResult>(); }

// A gate the test opens: the Latch layer's forward waits on it, so a worker can be held inside a step
// it does not check for a stop (as a huge batch or a slow file read would hold it).
struct Gate {
    std::mutex mutex;
    std::condition_variable cv;
    bool open = true;
    int waiting = 0;  // callers held at the gate now
    void close() {
        std::lock_guard lock(mutex);
        open = false;
    }
    void release() {
        {
            std::lock_guard lock(mutex);
            open = true;
        }
        cv.notify_all();
    }
    void pass() {
        std::unique_lock lock(mutex);
        ++waiting;
        cv.wait(lock, [&] { return open; });
        --waiting;
    }
    int held() {
        std::lock_guard lock(mutex);
        return waiting;
    }
};
Gate& gate() {
    static Gate g;
    return g;
}

// Test-only layer: the identity, after waiting at the gate.
class Latch : public nn::Module {
public:
    std::string type_name() const override { return "Latch"; }
    Tensor forward(const Tensor& x) override {
        gate().pass();
        return x * 1.0;
    }
};

void registerLatchLayer() {
    test::register_test_layer<Latch>("Latch", "Test only: the identity, after waiting at the test's gate.");
}

// The spiral project with a Latch after fc1.
project::Project latchedSpiral() {
    registerLatchLayer();
    return test::insert_after(spiralProject(), "fc1", "Latch", "latch");
}

PluginsDialog* openPluginsDialog(MainWindow& win) {
    for (QAction* a : win.findChildren<QAction*>())
        if (a->objectName() == "pluginsAction") a->trigger();
    const auto dialogs = win.findChildren<PluginsDialog*>();
    return dialogs.isEmpty() ? nullptr : dialogs.last();
}

}  // namespace

class TestStudio : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void init();
    void cleanup();
    void f5TrainsTheSpiral();
    void stopMidTraining();
    void closingWhileTrainingAsksAndStops();
    void divergedSelectsTheNode();
    void datasetSetsTheInputShape();
    void replacingTheModelWithANodeSelected();
    void aRunLocksTheSetupItReads();
    void pluginReloadWaitsForEveryWorker();
    void closingNeverWaitsForAStuckWorker();

private:
    // Opens `p` (saved in the temp dir) in a fresh, shown window.
    void openProject(const project::Project& p);
    void setEpochs(int epochs);

    std::unique_ptr<QTemporaryDir> dir_;
    std::unique_ptr<TestWindow> win_;
    QString path_;
};

void TestStudio::initTestCase() {
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName("NeuraStudioTest");
    QCoreApplication::setApplicationName("tst_studio");
}

void TestStudio::init() {
    dir_ = std::make_unique<QTemporaryDir>();
    QVERIFY(dir_->isValid());
}

void TestStudio::cleanup() {
    if (win_) {
        win_->session()->stop();
        win_->session()->wait();
    }
    win_.reset();
    dir_.reset();
}

void TestStudio::openProject(const project::Project& p) {
    path_ = saveProject(*dir_, p);
    win_ = std::make_unique<TestWindow>();
    win_->resize(1440, 900);
    QVERIFY(win_->openFile(path_));
    win_->show();
    QVERIFY(QTest::qWaitForWindowExposed(win_.get(), 60000));
    win_->activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(win_.get(), 60000));
    QVERIFY(!win_->isModified());
}

void TestStudio::setEpochs(int epochs) {
    auto c = win_->trainingPanel()->config();
    c.epochs = epochs;
    win_->trainingPanel()->setConfig(c);
}

void TestStudio::f5TrainsTheSpiral() {
    openProject(spiralProject());
    QCOMPARE(win_->trainingPanel()->config().epochs, 80);  // loaded from the project
    QCOMPARE(win_->datasetPanel()->datasetName(), QString("spiral"));
    auto* doc = win_->document();
    QSignalSpy finished(win_->session(), &TrainingSession::finished);
    QSignalSpy readOnly(doc, &GraphDocument::readOnlyChanged);

    QTest::keyClick(win_->view(), Qt::Key_F5);
    QVERIFY(win_->session()->isRunning());
    QVERIFY(doc->isReadOnly());
    QVERIFY(win_->stopAction()->isEnabled());
    // An edit while training is refused, with the reason in the status bar.
    const auto nodes = doc->graph().node_count();
    QVERIFY(!doc->addNode("Linear", QPointF(0, 0)).valid());
    QCOMPARE(doc->graph().node_count(), nodes);
    QVERIFY2(win_->statusBar()->currentMessage().contains("training"), qPrintable(win_->statusBar()->currentMessage()));
    // F5 again does not start a second run.
    QTest::keyClick(win_->view(), Qt::Key_F5);

    QVERIFY(finished.wait(60000));
    QCOMPARE(finished.count(), 1);
    QCOMPARE(resultOf(finished).status, train::FitStatus::Completed);
    QVERIFY(win_->errors.isEmpty());
    QCOMPARE(readOnly.count(), 2);  // on, then off
    QVERIFY(!doc->isReadOnly());
    QVERIFY(!win_->stopAction()->isEnabled());

    // The plots hold every epoch of the run, and the train accuracy rose.
    auto* plots = win_->plots();
    QCOMPARE(plots->currentPointCount("train_loss"), 80);
    QCOMPARE(plots->currentPointCount("val_accuracy"), 80);
    const QVector<double> acc = plots->currentValues("train_accuracy");
    QCOMPARE(acc.size(), 80);
    qInfo("train accuracy %.3f -> %.3f", acc.first(), acc.last());
    QVERIFY(acc.last() > acc.first() + 0.2);
    QVERIFY(acc.last() >= 0.9);
    QVERIFY(win_->boundaryView()->gridStep() >= 0);
    QVERIFY(!win_->boundaryView()->image().isNull());

    // The window took the weights and the run record, and says the project changed.
    QVERIFY(win_->isModified());
    QVERIFY(win_->isWindowModified());
    QCOMPARE(win_->projectData().runs.size(), std::size_t{1});
    QCOMPARE(win_->projectData().runs.back().status, std::string(project::run_status::kCompleted));
    QVERIFY(!win_->projectData().weights.empty());
    QVERIFY(!win_->projectData().optimizer_state.empty());

    // Editable again; and what was trained is saved.
    const auto id = doc->addNode("Linear", QPointF(0, 0));
    QVERIFY(id.valid());
    QVERIFY(doc->undo());
    QVERIFY(win_->saveTo(path_));
    QVERIFY(!win_->isModified());
    const project::Project saved = project::load_project(path_.toStdString());
    QCOMPARE(saved.runs.size(), std::size_t{1});
    QCOMPARE(saved.weights.size(), win_->projectData().weights.size());
    // Reopened, the run is listed in the plots as a previous run.
    QVERIFY(win_->openFile(path_));
    QCOMPARE(win_->plots()->previousRunCount(), 1);
    QCOMPARE(win_->plots()->currentPointCount("train_loss"), 0);
}

void TestStudio::stopMidTraining() {
    openProject(spiralProject());
    setEpochs(5000);
    QSignalSpy epochs(win_->session(), &TrainingSession::epochFinished);
    QSignalSpy finished(win_->session(), &TrainingSession::finished);
    win_->trainAction()->trigger();
    QVERIFY(win_->document()->isReadOnly());
    QVERIFY(epochs.wait(60000));
    win_->stopAction()->trigger();
    QVERIFY(finished.wait(60000));
    const TrainingResult r = resultOf(finished);
    QCOMPARE(r.status, train::FitStatus::Stopped);
    QVERIFY(r.history.size() < 5000);
    QVERIFY(!win_->session()->isRunning());
    QVERIFY(!win_->document()->isReadOnly());
    QCOMPARE(win_->projectData().runs.size(), std::size_t{1});
    QCOMPARE(win_->projectData().runs.back().status, std::string(project::run_status::kStopped));
    QCOMPARE(win_->plots()->currentPointCount("train_loss"), static_cast<int>(r.history.size()));
    QVERIFY(win_->errors.isEmpty());
}

void TestStudio::closingWhileTrainingAsksAndStops() {
    openProject(spiralProject());
    setEpochs(5000);
    QSignalSpy epochs(win_->session(), &TrainingSession::epochFinished);
    QSignalSpy finished(win_->session(), &TrainingSession::finished);
    win_->train();
    QVERIFY(epochs.wait(60000));

    // "No": the window stays and the run goes on.
    win_->stopAnswer = false;
    QVERIFY(!win_->close());
    QCOMPARE(win_->stopQuestions, 1);
    QVERIFY(win_->isVisible());
    QCOMPARE(win_->session()->state(), TrainingSession::State::Running);
    const auto before = epochs.count();
    QTRY_VERIFY_WITH_TIMEOUT(epochs.count() > before, 60000);

    // "Yes": the run stops, its record joins the project (so saving is asked about), the window closes.
    win_->stopAnswer = true;
    QVERIFY(win_->close());
    QCOMPARE(win_->stopQuestions, 2);
    QVERIFY(!win_->isVisible());
    QCOMPARE(win_->session()->state(), TrainingSession::State::Idle);
    QCOMPARE(finished.count(), 1);
    QCOMPARE(resultOf(finished).status, train::FitStatus::Stopped);
    QCOMPARE(win_->projectData().runs.size(), std::size_t{1});
    QCOMPARE(win_->saveQuestions, 1);
    QVERIFY(!win_->document()->isReadOnly());
}

void TestStudio::divergedSelectsTheNode() {
    // ReLU instead of Tanh and SGD at lr 1e6: the weights overflow within a few steps.
    project::Project p = spiralProject();
    for (std::size_t at; (at = p.model_json.find("\"Tanh\"")) != std::string::npos;) p.model_json.replace(at, 6, "\"ReLU\"");
    auto c = train::TrainConfig::from_json(p.train_config_json);
    c.optimizer = "SGD";
    c.lr = 1e6;
    c.epochs = 50;
    p.train_config_json = c.to_json();
    openProject(p);
    QSignalSpy finished(win_->session(), &TrainingSession::finished);
    QSignalSpy diverged(win_->session(), &TrainingSession::diverged);
    win_->trainAction()->trigger();
    QVERIFY(finished.wait(60000));
    QCOMPARE(diverged.count(), 1);
    const qint64 node = diverged.first().at(1).toLongLong();
    QVERIFY(node >= 0);
    QTRY_COMPARE_WITH_TIMEOUT(win_->errors.size(), 1, 60000);
    QVERIFY2(win_->errors.first().startsWith("Training diverged"), qPrintable(win_->errors.first()));
    QVERIFY(win_->statusBar()->currentMessage().contains("diverged"));
    const auto selected = win_->scene()->selectedNodes();
    QCOMPARE(selected.size(), std::size_t{1});
    QCOMPARE(static_cast<qint64>(selected.front().value), node);
    // No NaN weights adopted; the failed run is recorded.
    QVERIFY(win_->projectData().weights.empty());
    QCOMPARE(win_->projectData().runs.back().status, std::string(project::run_status::kFailed));
    QVERIFY(!win_->document()->isReadOnly());
}

void TestStudio::datasetSetsTheInputShape() {
    openProject(spiralProject());
    auto* doc = win_->document();
    graph::NodeId input;
    for (const auto& [id, n] : doc->graph().nodes())
        if (n.type == "Input") input = id;
    QVERIFY(input.valid());
    const auto shapeOf = [&] { return doc->graph().nodes().at(input).attributes.at("shape"); };
    QCOMPARE(shapeOf(), graph::AttributeValue(std::vector<std::int64_t>{2}));

    QSignalSpy changed(win_->datasetPanel(), &DatasetPanel::datasetChanged);
    auto* combo = win_->datasetPanel()->datasetCombo();
    combo->setCurrentIndex(combo->findData("iris"));
    QVERIFY(changed.count() > 0 || changed.wait(60000));
    QCOMPARE(shapeOf(), graph::AttributeValue(std::vector<std::int64_t>{4}));
    QVERIFY(win_->projectData().dataset_json.find("iris") != std::string::npos);
    QVERIFY(win_->isModified());
    // One undoable edit.
    QVERIFY(doc->undo());
    QCOMPARE(shapeOf(), graph::AttributeValue(std::vector<std::int64_t>{2}));
}

// Regression: with a node selected, New / Open / Revert replaced the canvas while the selection
// signal walked node items already deleted (a crash about four times in five).
void TestStudio::replacingTheModelWithANodeSelected() {
    openProject(spiralProject());
    const QString other = saveProject(*dir_, spiralProject(), "other");
    for (int round = 0; round < 5; ++round) {
        for (const auto& [id, node] : win_->document()->graph().nodes())
            if (node.name == "fc3") win_->scene()->selectNodes({id});
        QCOMPARE(win_->scene()->selectedNodes().size(), std::size_t{1});
        if (round % 2 == 0) win_->newDocument();
        else QVERIFY(win_->openFile(other));
        QVERIFY(win_->scene()->selectedNodes().empty());
        QVERIFY(win_->openFile(path_));
    }
    QVERIFY(win_->errors.isEmpty());
}

// Regression: only the canvas was read-only during a run, so the dataset (or the training setup)
// could change under it and the run's weights and normalization land in a project naming other data.
void TestStudio::aRunLocksTheSetupItReads() {
    openProject(spiralProject());
    setEpochs(5000);
    auto* dataset = win_->datasetPanel();
    auto* training = win_->trainingPanel();
    const auto formEnabled = [&] {
        const auto boxes = training->findChildren<QGroupBox*>();
        return !boxes.isEmpty() && std::all_of(boxes.begin(), boxes.end(), [](QGroupBox* b) { return b->isEnabled(); });
    };
    QVERIFY(dataset->isEnabled());
    QVERIFY(formEnabled());
    const std::string datasetBefore = win_->projectData().dataset_json;
    const std::string configBefore = win_->projectData().train_config_json;

    QSignalSpy epochs(win_->session(), &TrainingSession::epochFinished);
    QSignalSpy finished(win_->session(), &TrainingSession::finished);
    win_->train();
    QVERIFY(win_->isRunLocked());
    QVERIFY(!dataset->isEnabled());
    QVERIFY(!formEnabled());
    QVERIFY(epochs.wait(60000));
    // A change that reaches the panels anyway (as a script or a stale signal might) leaves the project
    // alone, and the panels show the project's choice again.
    QVERIFY(dataset->setDataset("moons", {}, true));
    QCOMPARE(win_->projectData().dataset_json, datasetBefore);
    QTRY_COMPARE_WITH_TIMEOUT(dataset->datasetName(), QString("spiral"), 60000);
    auto changed = training->config();
    const double lr = changed.lr;
    changed.lr = lr * 10;
    training->setConfig(changed);
    QCOMPARE(win_->projectData().train_config_json, configBefore);
    QTRY_COMPARE_WITH_TIMEOUT(training->config().lr, lr, 60000);
    QCOMPARE(win_->projectData().dataset_json, datasetBefore);

    win_->stopAction()->trigger();
    QVERIFY(finished.wait(60000));
    QVERIFY(!win_->isRunLocked());
    QVERIFY(dataset->isEnabled());
    QVERIFY(formEnabled());
    // The run's weights were kept: the project still names the data they were trained on.
    QVERIFY(!win_->projectData().weights.empty());
    QCOMPARE(win_->projectData().dataset_json, datasetBefore);

    // Step mode (a paused run) locks too, until it ends.
    win_->stepTraining();
    QVERIFY(win_->session()->isPaused());
    QVERIFY(!dataset->isEnabled());
    QVERIFY(!formEnabled());
    win_->session()->stop();
    QVERIFY(finished.wait(60000));
    QVERIFY(dataset->isEnabled());
    QVERIFY(formEnabled());
}

// Regression: Reload was refused only while training, so it could free a plugin's layer descriptor
// while the gradient check or the inspector compiled a network from it.
void TestStudio::pluginReloadWaitsForEveryWorker() {
    openProject(spiralProject());
    QVERIFY2(win_->pluginReloadBlocker().isEmpty(), qPrintable(win_->pluginReloadBlocker()));
    PluginsDialog* dialog = openPluginsDialog(*win_);
    QVERIFY(dialog);
    QVERIFY(dialog->reloadButton()->isEnabled());

    // The gradient check.
    GradcheckPanel* gradcheck = win_->gradcheckPanel();
    QSignalSpy checked(gradcheck, &GradcheckPanel::finished);
    gradcheck->checkAll();
    QVERIFY(gradcheck->isRunning());
    QVERIFY2(win_->pluginReloadBlocker().contains("gradient check"), qPrintable(win_->pluginReloadBlocker()));
    QVERIFY(!dialog->reloadButton()->isEnabled());
    QCOMPARE(dialog->reloadNote()->text(), win_->pluginReloadBlocker());
    QVERIFY(!dialog->reload());
    QVERIFY(checked.wait(60000));
    QVERIFY(win_->pluginReloadBlocker().isEmpty());
    QVERIFY(dialog->reloadButton()->isEnabled());

    // An inspector capture.
    QSignalSpy ready(win_->inspector(), &InspectorPanel::captureReady);
    win_->captureBatch();
    QVERIFY(win_->inspector()->isCapturing());
    QVERIFY2(win_->pluginReloadBlocker().contains("inspector"), qPrintable(win_->pluginReloadBlocker()));
    QVERIFY(!dialog->reloadButton()->isEnabled());
    QVERIFY(!dialog->reload());
    QVERIFY(ready.wait(60000));
    QVERIFY(dialog->reloadButton()->isEnabled());

    // Training, which also draws the decision boundary.
    setEpochs(5000);
    QSignalSpy finished(win_->session(), &TrainingSession::finished);
    win_->train();
    QVERIFY2(win_->pluginReloadBlocker().contains("training"), qPrintable(win_->pluginReloadBlocker()));
    QVERIFY(!dialog->reloadButton()->isEnabled());
    QVERIFY(!dialog->reload());
    win_->stopAction()->trigger();
    QVERIFY(finished.wait(60000));
    QVERIFY(win_->pluginReloadBlocker().isEmpty());
    QVERIFY(dialog->reloadButton()->isEnabled());
}

// Closing the window stops every worker and waits for them only so long: one held inside a step that
// does not look at its stop token (here: a layer waiting at a gate) is abandoned, and ends on its own
// later without touching the window it outlived.
void TestStudio::closingNeverWaitsForAStuckWorker() {
    QVERIFY(BackgroundTask::waitForAll(60000));  // nothing left over from earlier tests
    openProject(latchedSpiral());
    setEpochs(5000);
    gate().close();
    // The fallback that ends a hang: it opens the gate after 60 s, and says so.
    std::atomic<bool> openedByFallback{false};
    std::mutex m;
    std::condition_variable cv;
    bool testDone = false;
    std::thread fallback([&] {
        std::unique_lock lock(m);
        if (!cv.wait_for(lock, std::chrono::seconds(60), [&] { return testDone; })) {
            openedByFallback = true;
            gate().release();
        }
    });
    const auto finishTest = [&] {
        {
            std::lock_guard lock(m);
            testDone = true;
        }
        cv.notify_all();
        fallback.join();
        gate().release();
    };

    win_->captureBatch();  // first: while a run goes, a capture is the run's next batch instead
    win_->gradcheckPanel()->checkAll();
    win_->train();
    QVERIFY(win_->session()->isRunning());
    QVERIFY(win_->gradcheckPanel()->isRunning());
    QVERIFY(win_->inspector()->isCapturing());
    QCOMPARE(BackgroundTask::running(), 3);
    QTRY_COMPARE_WITH_TIMEOUT(gate().held(), 3, 60000);  // each one stuck in a forward

    win_->setCloseWaitMs(500);
    win_->stopAnswer = true;
    win_->saveAnswer = QMessageBox::Discard;
    const bool closed = win_->close();
    const bool heldUp = openedByFallback.load();
    if (heldUp || !closed) finishTest();
    QVERIFY2(!heldUp, "closing waited for the stuck workers until the gate opened");
    QVERIFY(closed);
    QCOMPARE(win_->session()->state(), TrainingSession::State::Idle);
    QVERIFY(!win_->gradcheckPanel()->isRunning());
    QVERIFY(!win_->inspector()->isCapturing());
    QCOMPARE(BackgroundTask::running(), 3);  // still held at the gate, abandoned
    win_.reset();  // the window goes while they still run
    const bool heldUpByDestruction = openedByFallback.load();
    finishTest();  // open the gate: the abandoned workers end
    QVERIFY2(!heldUpByDestruction, "destroying the window waited for the stuck workers");
    QVERIFY(BackgroundTask::waitForAll(60000));
}

QTEST_MAIN(TestStudio)
#include "tst_studio.moc"
