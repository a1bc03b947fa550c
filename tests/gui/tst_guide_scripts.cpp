// The user guide's script of sweeps, the Runs dock and model comparison (docs/guide/runs.script) works
// as written, on the spiral project tools/make-screenshots.sh makes (with `neura create`), with fewer
// epochs per run: the sweep adds one run per combination, each picture is taken, Use This Run's Settings
// puts the run's width and learning rate on the project, and Compare With… marks the edits. The
// script's new commands say where and why when they cannot do what they are asked.
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QImage>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QtTest>
#include <set>

#include "app/MainWindow.h"
#include "app/ScreenshotScript.h"
#include "document/GraphDocument.h"
#include "editor/DiffOverlay.h"
#include "gui/QuietWindow.h"
#include "gui/ScriptSupport.h"
#include "neura/core/JsonText.h"
#include "neura/graph/LayerRegistry.h"
#include "neura/train/TrainConfig.h"
#include "panels/RunsPanel.h"
#include "panels/TrainingPanel.h"

using namespace neura;
using namespace neura::gui;

namespace {

using TestWindow = neura::test::QuietWindow;

using neura::test::runScript;

// spiral.neura in `dir`, as tools/make-screenshots.sh makes it.
bool makeSpiral(const QTemporaryDir& dir) {
    const QString src = QStringLiteral(NEURA_SOURCE_DIR "/projects/src/");
    QProcess p;
    p.start(QStringLiteral(NEURA_CLI_PATH),
            {"create", dir.filePath("spiral.neura"), "--model", src + "spiral.model.json", "--config",
             src + "spiral.config.json", "--dataset", "spiral,n=600,classes=3,noise=0.1,seed=1"});
    return p.waitForFinished(60000) && p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0;
}

QString guideScript(const char* file) {
    QFile f(QStringLiteral(NEURA_SOURCE_DIR "/docs/guide/") + file);
    return f.open(QIODevice::ReadOnly) ? QString::fromUtf8(f.readAll()) : QString();
}

std::int64_t intAttribute(MainWindow& w, const char* node, const char* attribute) {
    const auto& g = w.document()->graph();
    const auto& n = g.node(g.find_node(node));
    const auto resolved = graph::LayerRegistry::instance().find(n.type)->resolve(n.attributes);
    return std::get<std::int64_t>(resolved.at(attribute));
}

}  // namespace

class TestGuideScripts : public QObject {
    Q_OBJECT
private slots:
    void runsScriptRunsAsWritten() {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        QVERIFY(makeSpiral(dir));
        QString text = guideScript("runs.script");
        QVERIFY(!text.isEmpty());
        // A test: two epochs a run instead of the pictures' 25.
        const QRegularExpression sweepEpochs(QStringLiteral("^sweep .*epochs=(\\d+)"),
                                             QRegularExpression::MultilineOption);
        const QRegularExpressionMatch m = sweepEpochs.match(text);
        QVERIFY(m.hasMatch());
        text.replace(m.capturedStart(1), m.capturedLength(1), QStringLiteral("2"));

        TestWindow w;
        w.setAutosaveInterval(0);
        w.resize(1440, 900);
        w.show();
        QString error;
        QVERIFY2(runScript(w, dir, text, &error), qPrintable(error));
        QVERIFY2(w.errors.isEmpty(), qPrintable(w.errors.join("\n")));

        // The sweep's grid: every (lr, width) pair of the script's line once, each run completed, of 2 epochs.
        const auto& runs = w.runsPanel()->runs();
        QCOMPARE(runs.size(), std::size_t{6});
        std::set<std::pair<double, std::int64_t>> pairs;
        for (const auto& r : runs) {
            QCOMPARE(QString::fromStdString(r.status), QStringLiteral("completed"));
            QCOMPARE(train::TrainConfig::from_json(r.config_json).epochs, std::int64_t{2});
            const auto s = *try_parse_json(r.settings_json);
            pairs.insert({s.at("lr").get<double>(), s.at("fc1.out_features").get<std::int64_t>()});
        }
        const std::set<std::pair<double, std::int64_t>> grid = {{0.003, 8}, {0.003, 32}, {0.003, 128},
                                                                 {0.03, 8}, {0.03, 32}, {0.03, 128}};
        QCOMPARE(pairs, grid);
        QVERIFY(w.runsPanel()->columnOf("lr") >= 0);
        QVERIFY(w.runsPanel()->columnOf("fc1.out_features") >= 0);

        // Every picture, of the floated Runs dock or the window.
        int shots = 0;
        for (const QString& line : text.split('\n').filter(QRegularExpression("^shot "))) {
            const QString file = dir.filePath(line.mid(5).trimmed().section(' ', 0, 0));
            const QImage image(file);
            QVERIFY2(!image.isNull(), qPrintable(file));
            if (line.endsWith(" Runs")) QCOMPARE(image.width(), 1560);
            ++shots;
        }
        QCOMPARE(shots, 7);

        // use-run 6: run 6's width and learning rate are the project's; then the Dropout went in before fc3.
        const project::RunRecord* six = nullptr;
        for (const auto& r : runs)
            if (r.id == 6) six = &r;
        QVERIFY(six);
        const auto s = *try_parse_json(six->settings_json);
        QCOMPARE(intAttribute(w, "fc1", "out_features"), s.at("fc1.out_features").get<std::int64_t>());
        QCOMPARE(w.trainingPanel()->config().lr, s.at("lr").get<double>());
        QVERIFY(w.document()->graph().find_node("drop1").valid());
        QVERIFY(!w.diffOverlay()->isActive());  // the script left compare mode

        // Compare With… spiral.neura again: fc1 changed (8/32/128 wide, never the saved 32 unless run 6's),
        // drop1 added, the rest unmarked.
        QVERIFY2(runScript(w, dir, "compare spiral.neura\n", &error), qPrintable(error));
        const auto& g = w.document()->graph();
        QCOMPARE(w.diffOverlay()->markOf(g.find_node("drop1")), DiffOverlay::Mark::Added);
        QCOMPARE(w.diffOverlay()->markOf(g.find_node("fc1")),
                 s.at("fc1.out_features").get<std::int64_t>() == 32 ? DiffOverlay::Mark::None
                                                                     : DiffOverlay::Mark::Changed);
        QCOMPARE(w.diffOverlay()->markOf(g.find_node("fc2")), DiffOverlay::Mark::None);
        QVERIFY2(runScript(w, dir, "leave-compare\n", &error), qPrintable(error));
        QVERIFY(!w.diffOverlay()->isActive());

        // Compare Models of runs 1 and 6 as the script's commands: the width differs, so fc1 is marked.
        const project::RunRecord* one = nullptr;
        for (const auto& r : runs)
            if (r.id == 1) one = &r;
        QVERIFY(one);
        QVERIFY2(runScript(w, dir, "compare-runs 1 6\n", &error), qPrintable(error));
        const bool widthDiffers =
            try_parse_json(one->settings_json)->at("fc1.out_features") != s.at("fc1.out_features");
        QCOMPARE(w.diffOverlay()->markOf(g.find_node("fc1")),
                 widthDiffers ? DiffOverlay::Mark::Changed : DiffOverlay::Mark::None);
    }

    void runsCommandsSayWhatIsWrong() {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        QVERIFY(makeSpiral(dir));
        TestWindow w;
        w.setAutosaveInterval(0);
        w.show();
        QString error;
        QVERIFY(!runScript(w, dir, "open spiral.neura\nruns select 3\n", &error));
        QVERIFY2(error.contains("steps.script:2") && error.contains("no run 3"), qPrintable(error));
        QVERIFY(!runScript(w, dir, "open spiral.neura\nsweep epochs=1\n", &error));
        QVERIFY2(error.contains("steps.script:2") && error.contains("no KEY=V1,V2"), qPrintable(error));
        QVERIFY(!runScript(w, dir, "open spiral.neura\nsweep epochs=1 fc9.out_features=4,8\n", &error));
        QVERIFY2(error.contains("steps.script:2") && error.contains("fc9"), qPrintable(error));
        QVERIFY(w.runsPanel()->runs().empty());  // nothing ran
        QVERIFY(!runScript(w, dir, "runs tab Histogram\n", &error));
        QVERIFY2(error.contains("no tab titled 'Histogram'"), qPrintable(error));
        QVERIFY(!runScript(w, dir, "disconnect input fc2\n", &error));
        QVERIFY2(error.contains("no edge from input to fc2"), qPrintable(error));
    }
};

QTEST_MAIN(TestGuideScripts)
#include "tst_guide_scripts.moc"
