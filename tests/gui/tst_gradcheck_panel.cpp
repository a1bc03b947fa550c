// GradcheckPanel on the digits CNN (projects/src): a full check passes and equals a direct
// train::check_layers call, cancel ends the run early, the CSV has one row per tensor, and F32 shows
// larger finite-difference errors than F64.
#include <QFile>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTreeWidget>
#include <QtTest>
#include <fstream>
#include <sstream>

#include "neura/train/Experiment.h"
#include "neura/train/LayerGradcheck.h"
#include "neura/train/TrainConfig.h"
#include "panels/GradcheckPanel.h"

using namespace neura;
using neura::gui::GradcheckPanel;
using Results = std::vector<train::LayerGradcheckResult>;

namespace {

std::string readText(const std::string& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

project::Project digitsCnnProject() {
    project::Project p;
    p.model_json = readText(NEURA_SOURCE_DIR "/projects/src/digits-cnn.model.json");
    p.train_config_json = readText(NEURA_SOURCE_DIR "/projects/src/digits-cnn.config.json");
    train::DatasetSpec spec;
    spec.name = "digits";
    spec.params = {{"image", "true"}};
    p.dataset_json = spec.to_json();
    return p;
}

train::LayerGradcheckOptions smallOptions() {
    train::LayerGradcheckOptions o;
    o.gradcheck.max_elements = 16;
    o.gradcheck.seed = 7;
    o.batch_rows = 2;
    return o;
}

// Generous: a loaded machine with many OpenMP threads can be slow (ctest runs it in about 5 s).
constexpr int kWaitMs = 180000;

// Runs checkAll() and waits for finished(); returns its results (none on failure or timeout).
Results runAll(GradcheckPanel& panel) {
    QSignalSpy finished(&panel, &GradcheckPanel::finished);
    QSignalSpy failed(&panel, &GradcheckPanel::failed);
    panel.checkAll();
    [&] { QTRY_VERIFY_WITH_TIMEOUT(!finished.isEmpty() || !failed.isEmpty(), kWaitMs); }();
    if (!failed.isEmpty()) qWarning("check failed: %s", qPrintable(failed.last().at(0).toString()));
    if (finished.isEmpty()) return {};
    return finished.last().at(0).value<Results>();
}

const train::LayerGradcheckResult* byName(const Results& rs, const std::string& name) {
    for (const auto& r : rs)
        if (r.name == name) return &r;
    return nullptr;
}

double maxAbs(const train::LayerGradcheckResult& r) {
    double m = 0.0;
    for (const auto& t : r.tensors) m = std::max(m, t.max_abs_error);
    return m;
}

bool close(double a, double b) { return std::abs(a - b) <= 1e-12 + 1e-9 * std::max(std::abs(a), std::abs(b)); }

}  // namespace

class TestGradcheckPanel : public QObject {
    Q_OBJECT
private slots:
    void checkAllPassesAndMatchesTheEngine();
    void cancelEndsEarly();
    void exportsOneRowPerTensor();
    void f32ShowsLargerErrors();
    void checkSelectedChecksOnlyThose();

private:
    int totalLayers_ = 0;
};

void TestGradcheckPanel::checkAllPassesAndMatchesTheEngine() {
    const project::Project p = digitsCnnProject();
    GradcheckPanel panel;
    panel.setProject(p);
    panel.setOptions(smallOptions());
    QSignalSpy started(&panel, &GradcheckPanel::started);
    QSignalSpy progress(&panel, &GradcheckPanel::progress);
    QSignalSpy verdicts(&panel, &GradcheckPanel::nodeResults);
    const Results got = runAll(panel);
    QCOMPARE(started.count(), 1);
    QVERIFY(!got.empty());
    QVERIFY(!panel.isRunning());
    for (const auto& r : got) QVERIFY2(r.passed, (r.name + ": " + r.message).c_str());
    QVERIFY(progress.count() >= 1);
    QCOMPARE(progress.last().at(0).toInt(), static_cast<int>(got.size()));
    QCOMPARE(progress.last().at(1).toInt(), static_cast<int>(got.size()));
    totalLayers_ = static_cast<int>(got.size());

    QCOMPARE(verdicts.count(), 1);
    const auto map = verdicts.last().at(0).value<QMap<quint32, int>>();
    QCOMPARE(map.size(), static_cast<int>(got.size()));
    for (int v : map) QVERIFY(v == 0 || v == 1);
    QCOMPARE(panel.resultTree()->topLevelItemCount(), static_cast<int>(got.size()));
    QVERIFY(panel.summary().contains(QStringLiteral("passed")));

    // The same check made directly on the engine.
    train::Experiment ex(p, train::TrainConfig::from_json(p.train_config_json));
    ex.load_weights(p);
    const data::Batch b = ex.train_set()->get_batch({0, 1});
    const Results want = train::check_layers(ex.network(), b.features, smallOptions(), DType::F64);
    QCOMPARE(got.size(), want.size());
    for (std::size_t i = 0; i < got.size(); ++i) {
        QCOMPARE(got[i].node, want[i].node);
        QCOMPARE(got[i].name, want[i].name);
        QCOMPARE(got[i].passed, want[i].passed);
        QCOMPARE(got[i].tensors.size(), want[i].tensors.size());
        for (std::size_t k = 0; k < got[i].tensors.size(); ++k) {
            const auto& g = got[i].tensors[k];
            const auto& w = want[i].tensors[k];
            QCOMPARE(g.name, w.name);
            QCOMPARE(g.checked_elements, w.checked_elements);
            QCOMPARE(g.worst_index, w.worst_index);
            QVERIFY2(close(g.max_abs_error, w.max_abs_error), g.name.c_str());
            QVERIFY2(close(g.max_rel_error, w.max_rel_error), g.name.c_str());
        }
    }
}

void TestGradcheckPanel::cancelEndsEarly() {
    GradcheckPanel panel;
    panel.setProject(digitsCnnProject());
    panel.setOptions(smallOptions());
    QSignalSpy finished(&panel, &GradcheckPanel::finished);
    QSignalSpy cancelled(&panel, &GradcheckPanel::cancelled);
    panel.checkAll();
    QVERIFY(panel.isRunning());
    panel.cancel();  // before the first layer: the worker is still building the network
    QVERIFY(finished.wait(kWaitMs));
    QCOMPARE(cancelled.count(), 1);
    const Results got = finished.last().at(0).value<Results>();
    QVERIFY(totalLayers_ > 0);
    QVERIFY(static_cast<int>(got.size()) < totalLayers_);
    QVERIFY(!panel.isRunning());

    // A new run after a cancel works and is not cancelled.
    const Results again = runAll(panel);
    QCOMPARE(static_cast<int>(again.size()), totalLayers_);
    QCOMPARE(cancelled.count(), 1);
}

void TestGradcheckPanel::exportsOneRowPerTensor() {
    GradcheckPanel panel;
    panel.setProject(digitsCnnProject());
    panel.setOptions(smallOptions());
    const Results got = runAll(panel);
    QVERIFY(!got.empty());
    int tensors = 0;
    for (const auto& r : got) tensors += static_cast<int>(r.tensors.size());
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(QStringLiteral("gradcheck.csv"));
    QString error;
    QVERIFY2(panel.exportCsv(path, &error), qPrintable(error));
    QFile f(path);
    QVERIFY(f.open(QIODevice::ReadOnly | QIODevice::Text));
    const QStringList lines = QString::fromUtf8(f.readAll()).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    QCOMPARE(lines.size(), tensors + 1);
    QVERIFY(lines[0].startsWith(QStringLiteral("node,layer,type,tensor,shape,max_abs_error,max_rel_error")));
    QVERIFY(lines[1].startsWith(QString::number(got[0].node.value) + QLatin1Char(',')));
    QVERIFY(lines.last().endsWith(QStringLiteral(",true")));
    QVERIFY(!panel.exportCsv(dir.filePath(QStringLiteral("missing/dir/x.csv")), &error));
}

void TestGradcheckPanel::f32ShowsLargerErrors() {
    GradcheckPanel panel;
    panel.setProject(digitsCnnProject());
    panel.setOptions(smallOptions());
    panel.setDType(DType::F64);
    const Results f64 = runAll(panel);
    panel.setDType(DType::F32);
    QCOMPARE(panel.dtype(), DType::F32);
    const Results f32 = runAll(panel);
    QCOMPARE(f32.size(), f64.size());
    for (const char* name : {"conv1", "relu1", "fc1"}) {
        const auto* a = byName(f64, name);
        const auto* b = byName(f32, name);
        if (!a || !b) continue;  // the model names its layers; skip one it does not have
        QVERIFY2(maxAbs(*b) > maxAbs(*a), name);
    }
    const auto* a = byName(f64, "conv1");
    const auto* b = byName(f32, "conv1");
    QVERIFY(a && b);
    QVERIFY(maxAbs(*b) > 10 * maxAbs(*a));
}

void TestGradcheckPanel::checkSelectedChecksOnlyThose() {
    GradcheckPanel panel;
    panel.setProject(digitsCnnProject());
    panel.setOptions(smallOptions());
    QSignalSpy finished(&panel, &GradcheckPanel::finished);
    panel.checkSelected();  // nothing selected: nothing starts
    QVERIFY(!panel.isRunning());
    panel.setSelectedNodes({graph::NodeId(1)});
    panel.checkSelected();
    QVERIFY(finished.wait(kWaitMs));
    const Results got = finished.last().at(0).value<Results>();
    QCOMPARE(got.size(), std::size_t{1});
    QCOMPARE(got[0].node, graph::NodeId(1));
}

QTEST_MAIN(TestGradcheckPanel)
#include "tst_gradcheck_panel.moc"
