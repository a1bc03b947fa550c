// Seeing inside the network in the studio: the gradient check colours the canvas (and flags a layer
// whose backward is deliberately wrong), the inspector's histograms count every element, attention per
// head and LSTM gate saturation are drawn, step mode runs one batch at a time, and training colours
// nodes and edges by activation and gradient scale.
#include <QDockWidget>
#include <QSignalSpy>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QTreeWidget>
#include <QtTest>

#include "app/MainWindow.h"
#include "gui/QuietWindow.h"
#include "autograd/Function.h"
#include "common/TestSupport.h"
#include "document/GraphDocument.h"
#include "editor/EdgeItem.h"
#include "editor/GraphScene.h"
#include "editor/NodeItem.h"
#include "neura/graph/LayerRegistry.h"
#include "neura/graph/ModelJson.h"
#include "neura/ops/Ops.h"
#include "panels/GradcheckPanel.h"
#include "panels/InspectorPanel.h"
#include "session/TrainingSession.h"

using namespace neura;
using namespace neura::gui;

namespace {

// Test-only layer: y = 2x, but its backward claims dy/dx = 1. Registered only in this binary.
class BrokenDouble : public nn::Module {
public:
    std::string type_name() const override { return "BrokenDouble"; }
    Tensor forward(const Tensor& x) override {
        Tensor out;
        {
            NoGradGuard ng;
            out = x * 2.0;
        }
        if (auto n = autograd::record("BrokenDoubleBackward", {x}, {out}))
            n->backward = [](const autograd::FunctionNode&, const autograd::Grads& g) {
                return autograd::Grads{g[0]};  // wrong on purpose: should be 2 * g
            };
        return out;
    }
};

void registerBrokenLayer() {
    test::register_test_layer<BrokenDouble>("BrokenDouble", "Test only: doubles its input with a wrong backward.");
}

// The spiral example with a BrokenDouble between its first layer and first activation.
project::Project brokenSpiral() {
    return test::insert_after(test::example_project("spiral"), "fc1", "BrokenDouble", "broken");
}

using TestWindow = neura::test::QuietWindow;

graph::NodeId nodeNamed(const GraphDocument& doc, const std::string& name) {
    for (const auto& [id, n] : doc.graph().nodes())
        if (n.name == name) return id;
    return {};
}

}  // namespace

class TestInsight : public QObject {
    Q_OBJECT
private slots:
    void init() {
        registerBrokenLayer();
        QVERIFY(dir_.isValid());
        win_ = std::make_unique<TestWindow>();
        win_->setAutosaveInterval(0);
    }
    void cleanup() {
        if (win_->session()->isRunning()) {
            win_->session()->stop();
            win_->session()->wait();
        }
        win_.reset();
    }

    void gradcheckFlagsTheBrokenLayerOnTheCanvas() {
        const QString path = dir_.filePath("broken.neura");
        project::save_project(path.toStdString(), brokenSpiral());
        QVERIFY(win_->openFile(path));
        GradcheckPanel* panel = win_->gradcheckPanel();
        QSignalSpy finished(panel, &GradcheckPanel::finished);
        QSignalSpy verdicts(panel, &GradcheckPanel::nodeResults);
        panel->checkAll();
        QVERIFY(finished.wait(120000));

        const auto results = finished.last().at(0).value<std::vector<train::LayerGradcheckResult>>();
        const graph::NodeId broken = nodeNamed(*win_->document(), "broken");
        const graph::NodeId fc1 = nodeNamed(*win_->document(), "fc1");
        QVERIFY(broken.valid() && fc1.valid());
        int failedLayers = 0;
        for (const auto& r : results) {
            const int v = GradcheckPanel::verdictOf(r, panel->options().gradcheck.rtol);
            if (r.node == broken) QCOMPARE(v, 2);
            failedLayers += v == 2;
        }
        QCOMPARE(failedLayers, 1);  // only the broken layer: the others' backward is right
        QCOMPARE(verdicts.count(), 1);
        const auto map = verdicts.last().at(0).value<QMap<quint32, int>>();
        QCOMPARE(map.value(broken.value, -1), 2);
        QCOMPARE(map.value(fc1.value, -1), 0);

        // The canvas shows it: a red halo on the broken node, green on the others that were checked.
        QCOMPARE(win_->scene()->nodeItem(broken)->gradcheckVerdict(), 2);
        QCOMPARE(win_->scene()->nodeItem(fc1)->gradcheckVerdict(), 0);
        QVERIFY(win_->scene()->nodeItem(broken)->toolTip().contains("FAILED"));
        // An edit makes the verdicts stale: they go.
        win_->document()->setAttribute(fc1, "out_features", graph::AttributeValue{std::int64_t{16}});
        QCOMPARE(win_->scene()->nodeItem(broken)->gradcheckVerdict(), -1);
    }

    void inspectorHistogramsCountEveryElement() {
        const QString path = dir_.filePath("cnn.neura");
        project::save_project(path.toStdString(), test::example_project("digits-cnn"));
        QVERIFY(win_->openFile(path));
        InspectorPanel* inspector = win_->inspector();
        QSignalSpy ready(inspector, &InspectorPanel::captureReady);
        win_->captureBatch();  // idle: one forward + backward of the current weights
        QVERIFY(ready.wait(60000));
        const train::CapturePtr capture = inspector->capture();
        QVERIFY(capture);
        QCOMPARE(capture->global_step, std::int64_t{-1});

        const graph::NodeId conv1 = nodeNamed(*win_->document(), "conv1");
        win_->scene()->selectNodes({conv1});
        QCOMPARE(inspector->node(), conv1);
        const train::NodeCapture* n = capture->find(conv1);
        QVERIFY(n);
        QCOMPARE(inspector->tensorTree()->topLevelItemCount(), 3);  // output, weight, bias
        QCOMPARE(inspector->selectedTensor(), QString("weight"));
        const Tensor& weight = n->parameters.at(0).value;
        QCOMPARE(inspector->valueHistogramTotal(), weight.numel());
        QCOMPARE(inspector->gradientHistogramTotal(), n->parameters.at(0).grad.numel());
        QCOMPARE(inspector->heatmapSize(), QSize(static_cast<int>(weight.numel() / weight.size(0)),
                                                 static_cast<int>(weight.size(0))));
        QVERIFY(inspector->selectTensor("output"));
        QCOMPARE(inspector->valueHistogramTotal(), n->output.numel());
        QCOMPARE(inspector->gradientHistogramTotal(), n->output_grad.numel());
        QCOMPARE(inspector->featureMapCount(), static_cast<int>(n->output.size(1)));  // one map per channel
        QVERIFY(!inspector->selectTensor("no such tensor"));

        // A dense layer has no feature maps; its ReLU neighbour reports dead units.
        win_->scene()->selectNodes({nodeNamed(*win_->document(), "fc1")});
        QCOMPARE(inspector->featureMapCount(), 0);
    }

    void inspectorShowsAttentionPerHeadAndSequencesOverTime() {
        const QString path = dir_.filePath("reverse.neura");
        project::save_project(path.toStdString(), test::example_project("reverse-transformer"));
        QVERIFY(win_->openFile(path));
        InspectorPanel* inspector = win_->inspector();
        QSignalSpy ready(inspector, &InspectorPanel::captureReady);
        win_->captureBatch();
        QVERIFY(ready.wait(60000));
        const train::CapturePtr capture = inspector->capture();
        QVERIFY(capture);

        // A TransformerEncoderLayer: one heatmap per head (4), of the captured [B, heads, 8, 8] weights.
        const graph::NodeId enc = nodeNamed(*win_->document(), "encoder1");
        win_->scene()->selectNodes({enc});
        const train::NodeCapture* n = capture->find(enc);
        QVERIFY(n && n->attention.defined());
        QCOMPARE(n->attention.shape(), (Shape{capture->batch_size, 4, 8, 8}));
        QCOMPARE(inspector->attentionHeadCount(), 4);
        // Its output [B, 8, 64] as one sample's time steps (rows) × features (columns).
        QVERIFY(inspector->selectTensor("output"));
        QCOMPARE(inspector->heatmapSize(), QSize(64, 8));
        // Nodes without attention show none; the Embedding's output is a sequence too.
        win_->scene()->selectNodes({nodeNamed(*win_->document(), "embed")});
        QCOMPARE(inspector->attentionHeadCount(), 0);
        QVERIFY(inspector->selectTensor("output"));
        QCOMPARE(inspector->heatmapSize(), QSize(64, 8));

        // Step mode: the step's capture replaces Capture batch's, and the heads are drawn from it.
        win_->scene()->selectNodes({enc});
        TrainingSession* session = win_->session();
        QSignalSpy captured(session, &TrainingSession::captured);
        win_->stepTraining();
        QTRY_COMPARE_WITH_TIMEOUT(captured.count(), 1, 60000);
        const auto step = captured.last().at(0).value<train::CapturePtr>();
        QTRY_COMPARE_WITH_TIMEOUT(inspector->capture(), step, 10000);
        QVERIFY(step != capture);
        const train::NodeCapture* s = step->find(enc);
        QVERIFY(s && s->attention.defined());
        QCOMPARE(s->attention.shape(), (Shape{step->batch_size, 4, 8, 8}));
        QCOMPARE(inspector->attentionHeadCount(), 4);
        QSignalSpy finished(session, &TrainingSession::finished);
        session->stop();
        QVERIFY(finished.wait(60000));
    }

    void inspectorShowsLstmGateSaturation() {
        // char-lstm with a small LSTM (8 units): Capture batch, then a training step, each draw the Gates
        // tab: one scatter plot per gate (input, forget, output), one dot per unit.
        project::Project p = test::example_project("char-lstm");
        graph::ModelGraph g = graph::from_json(p.model_json);
        const std::int64_t units = 8;
        g.set_attribute(g.find_node("lstm"), "hidden_size", graph::AttributeValue{units});
        p.model_json = graph::to_json(g);
        const QString path = dir_.filePath("char-lstm.neura");
        project::save_project(path.toStdString(), p);
        QVERIFY(win_->openFile(path));
        InspectorPanel* inspector = win_->inspector();
        const graph::NodeId lstm = nodeNamed(*win_->document(), "lstm");
        win_->scene()->selectNodes({lstm});
        QCOMPARE(inspector->gatePlotCount(), 0);  // nothing captured yet

        QSignalSpy ready(inspector, &InspectorPanel::captureReady);
        win_->captureBatch();
        QVERIFY(ready.wait(60000));
        QCOMPARE(inspector->node(), lstm);
        const train::NodeCapture* n = inspector->capture()->find(lstm);
        QVERIFY(n);
        QCOMPARE(n->gates.size(), std::size_t{1});  // one layer, one direction
        QCOMPARE(n->gates[0].values, inspector->capture()->batch_size * 32);  // samples × steps
        QCOMPARE(inspector->gatePlotCount(), 3);
        QCOMPARE(inspector->gatePointCounts(), (std::vector<int>{int(units), int(units), int(units)}));
        // The tab is there, under its name.
        QTabWidget* tabs = nullptr;
        for (auto* t : inspector->findChildren<QTabWidget*>())
            for (int i = 0; i < t->count(); ++i)
                if (t->tabText(i) == "Gates") tabs = t;
        QVERIFY(tabs);

        // Other nodes: a note, no plots.
        win_->scene()->selectNodes({nodeNamed(*win_->document(), "embed")});
        QCOMPARE(inspector->gatePlotCount(), 0);

        // A training step's capture redraws it.
        win_->scene()->selectNodes({lstm});
        TrainingSession* session = win_->session();
        QSignalSpy captured(session, &TrainingSession::captured);
        win_->stepTraining();
        QTRY_COMPARE_WITH_TIMEOUT(captured.count(), 1, 60000);
        const auto step = captured.last().at(0).value<train::CapturePtr>();
        QCOMPARE(step->global_step, std::int64_t{0});
        QTRY_COMPARE_WITH_TIMEOUT(inspector->capture(), step, 10000);
        QCOMPARE(inspector->gatePlotCount(), 3);
        QCOMPARE(inspector->gatePointCounts(), (std::vector<int>{int(units), int(units), int(units)}));
        QSignalSpy finished(session, &TrainingSession::finished);
        session->stop();
        QVERIFY(finished.wait(60000));
    }

    void stepModeRunsOneBatchAtATime() {
        const QString path = dir_.filePath("spiral.neura");
        project::save_project(path.toStdString(), test::example_project("spiral"));
        QVERIFY(win_->openFile(path));
        TrainingSession* session = win_->session();
        QSignalSpy captured(session, &TrainingSession::captured);
        QSignalSpy progress(session, &TrainingSession::stepProgress);
        win_->stepTraining();  // idle: starts paused and runs the first batch
        QVERIFY(session->isPaused());
        QTRY_COMPARE_WITH_TIMEOUT(captured.count(), 1, 60000);
        // Then it waits: blocked in the pause, with the step's signals queued, it runs nothing more.
        QTRY_VERIFY_WITH_TIMEOUT(session->isHeld(), 60000);
        session->deliverPending();
        QCOMPARE(captured.count(), 1);
        QCOMPARE(progress.count(), 1);
        auto first = captured.last().at(0).value<train::CapturePtr>();
        QCOMPARE(first->global_step, std::int64_t{0});
        QCOMPARE(win_->inspector()->capture(), first);
        win_->stepTraining();
        QTRY_COMPARE_WITH_TIMEOUT(captured.count(), 2, 60000);
        QCOMPARE(captured.last().at(0).value<train::CapturePtr>()->global_step, std::int64_t{1});
        QVERIFY(session->isPaused());
        QVERIFY(win_->document()->isReadOnly());  // a run is going on, paused
        QSignalSpy finished(session, &TrainingSession::finished);
        session->stop();
        QVERIFY(finished.wait(60000));
        QCOMPARE(finished.last().at(0).value<TrainingResult>().status, train::FitStatus::Stopped);
    }

    void trainingColoursNodesAndEdges() {
        const QString path = dir_.filePath("spiral.neura");
        project::Project p = test::example_project("spiral");
        auto config = train::TrainConfig::from_json(p.train_config_json);
        config.epochs = 3;
        p.train_config_json = config.to_json();
        project::save_project(path.toStdString(), p);
        QVERIFY(win_->openFile(path));
        QVERIFY(win_->gradientFlowAction()->isChecked());
        QSignalSpy finished(win_->session(), &TrainingSession::finished);
        QSignalSpy captured(win_->session(), &TrainingSession::captured);
        win_->train();
        QVERIFY(finished.wait(60000));
        QVERIFY(captured.count() >= 1);  // the last batch at least
        const train::CapturePtr last = captured.last().at(0).value<train::CapturePtr>();
        QCOMPARE(win_->scene()->insight(), last);

        int colouredEdges = 0;
        for (const auto& [id, e] : win_->document()->graph().edges()) {
            const EdgeItem* item = win_->scene()->edgeItem(id);
            const train::NodeCapture* from = last->find(e.from.node);
            QVERIFY(from);
            if (from->output_grad.defined()) {
                QCOMPARE(item->gradientScale(), from->gradient.rms);
                QVERIFY(item->toolTip().contains("Gradient RMS"));
                ++colouredEdges;
            }
        }
        QVERIFY(colouredEdges >= 4);  // every edge but the one out of the Input
        const graph::NodeId fc1 = nodeNamed(*win_->document(), "fc1");
        QCOMPARE(win_->scene()->nodeItem(fc1)->activationScale(), last->find(fc1)->activation.rms);

        // Turning the view off clears the colours; an edit of the model does too.
        win_->gradientFlowAction()->setChecked(false);
        QCOMPARE(win_->scene()->nodeItem(fc1)->activationScale(), -1.0);
        win_->gradientFlowAction()->setChecked(true);
        QVERIFY(win_->scene()->nodeItem(fc1)->activationScale() > 0);
        win_->document()->setAttribute(fc1, "out_features", graph::AttributeValue{std::int64_t{8}});
        QCOMPARE(win_->scene()->nodeItem(fc1)->activationScale(), -1.0);
    }

private:
    QTemporaryDir dir_;
    std::unique_ptr<TestWindow> win_;
};

QTEST_MAIN(TestInsight)
#include "tst_insight.moc"
