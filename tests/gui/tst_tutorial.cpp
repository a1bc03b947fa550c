// The tutorial works as written: docs/tutorial/first-network.script (the steps of docs/tutorial.md,
// which also makes its pictures) runs in a fresh window from the empty canvas to a trained spiral
// classifier, a saved project and an ONNX file; and a script that goes wrong says where and why.
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QImage>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QtTest>

#include "app/MainWindow.h"
#include "gui/QuietWindow.h"
#include "gui/ScriptSupport.h"
#include "app/ScreenshotScript.h"
#include "neura/ops/Ops.h"
#include "neura/project/Project.h"
#include "panels/InspectorPanel.h"

using namespace neura;
using namespace neura::gui;

namespace {

using TestWindow = neura::test::QuietWindow;

using neura::test::runScript;

// docs/tutorial/<file>'s text; empty when it cannot be read.
QString tutorialScript(const char* file) {
    QFile f(QStringLiteral(NEURA_SOURCE_DIR "/docs/tutorial/") + file);
    return f.open(QIODevice::ReadOnly) ? QString::fromUtf8(f.readAll()) : QString();
}

// The window as the tutorial's pictures show it.
void showAtTutorialSize(TestWindow& w) {
    w.setAutosaveInterval(0);
    w.resize(1440, 900);
    w.show();
}

// The files of a script's `shot FILE` lines, in the folder it ran in.
QStringList shotsOf(const QString& text, const QTemporaryDir& dir) {
    QStringList files;
    for (const QString& line : text.split('\n').filter(QRegularExpression("^shot ")))
        files << dir.filePath(line.mid(5).trimmed());
    return files;
}

}  // namespace

class TestTutorial : public QObject {
    Q_OBJECT
private slots:
    void tutorialRunsAsWritten() {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString text = tutorialScript("first-network.script");
        QVERIFY(!text.isEmpty());

        TestWindow w;
        showAtTutorialSize(w);
        QString error;
        QVERIFY2(runScript(w, dir, text, &error), qPrintable(error));
        QVERIFY2(w.errors.isEmpty(), qPrintable(w.errors.join("\n")));

        // Every picture the tutorial shows was taken, at the window's size.
        const QStringList shots = shotsOf(text, dir);
        QCOMPARE(shots.size(), 9);
        for (const QString& file : shots) {
            const QImage img(file);
            QVERIFY2(!img.isNull(), qPrintable(file));
            QVERIFY(img.width() >= 1000 && img.height() >= 600);
        }
        // The saved project holds the trained model and its run; the ONNX file is there.
        const project::Project saved = project::load_project(dir.filePath("build/tutorial/my-spiral.neura").toStdString());
        QVERIFY(!saved.weights.empty());
        QCOMPARE(saved.runs.size(), std::size_t{1});
        QVERIFY(QFileInfo(dir.filePath("build/tutorial/my-spiral.onnx")).size() > 1000);
    }

    void attentionChapterRunsAsWritten() {
        // Chapter 2: the reverse task, a Transformer encoder, the attention heads before and after.
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        QString text = tutorialScript("attention.script");
        QVERIFY(!text.isEmpty());
#ifdef NEURA_TEST_SANITIZER_BUILD
        // Under the sanitizers (several times slower: this chapter took ~7 minutes there) it runs on 1000
        // sequences for 1 epoch, without its accuracy line and the check of what the heads learned: the
        // sanitizers check the studio's code paths; the test command's build checks what the chapter says.
        const QString full = text;
        text.replace("n=5000", "n=1000").replace("epochs=5", "epochs=1").remove("expect val_accuracy > 0.95\n");
        QVERIFY(text.size() < full.size());
        constexpr bool kLearned = false;
#else
        constexpr bool kLearned = true;
#endif
        TestWindow w;
        showAtTutorialSize(w);
        QString error;
        QVERIFY2(runScript(w, dir, text, &error), qPrintable(error));  // includes val_accuracy > 0.95
        QVERIFY2(w.errors.isEmpty(), qPrintable(w.errors.join("\n")));
        const QStringList shots = shotsOf(text, dir);
        QCOMPARE(shots.size(), 5);
        for (const QString& file : shots) QVERIFY2(!QImage(file).isNull(), qPrintable(file));
        // The last picture is of encoder2's four heads, trained.
        QCOMPARE(w.inspector()->attentionHeadCount(), 4);
        const train::CapturePtr c = w.inspector()->capture();
        QVERIFY(c && c->global_step < 0);
        if (!kLearned) return;
        // Reversal learned: averaged over the batch and the heads, the last layer's query step i puts
        // most of its weight on key step 7 - i (the token it must output).
        const train::NodeCapture* n = nullptr;
        for (const auto& node : c->nodes)
            if (node.name == "encoder2") n = &node;
        QVERIFY(n && n->attention.defined());
        const Tensor avg = mean(n->attention, {0, 1});  // [8, 8]
        const auto v = avg.to_vector<double>();
        for (int i = 0; i < 8; ++i) {
            int best = 0;
            for (int k = 1; k < 8; ++k)
                if (v[static_cast<std::size_t>(i * 8 + k)] > v[static_cast<std::size_t>(i * 8 + best)]) best = k;
            QCOMPARE(best, 7 - i);
        }
    }

    void helpMenuFindsTheDocuments() {
        // From the build tree (as from an installed prefix), Help ▸ User Guide and Tutorial find their files.
        for (const char* doc : {"user-guide.md", "tutorial.md", "insight.md"}) {
            const QString path = MainWindow::documentPath(doc);
            QVERIFY2(QFileInfo(path).isFile(), doc);
        }
        QVERIFY(MainWindow::documentPath("no-such-guide.md").isEmpty());
    }

    void aFailingStepSaysWhereAndWhy() {
        QTemporaryDir dir;
        TestWindow w;
        w.setAutosaveInterval(0);
        QString error;
        QVERIFY(!runScript(w, dir, "new\nadd Linear fc1 0 0 out_features=4\nconnect fc1 fc9\n", &error));
        QCOMPARE(error, QString("steps.script:3: no node called 'fc9'"));
        QVERIFY(!runScript(w, dir, "new\n\n# comment\nadd Linear fc1 0 0 out_features=four\n", &error));
        QVERIFY2(error.startsWith("steps.script:4: 'four' is not a valid int"), qPrintable(error));
        QVERIFY(!runScript(w, dir, "new\nexpect input shape [B, 7]\n", &error));
        QVERIFY2(error.contains("expected input's shape to show '[B, 7]'"), qPrintable(error));
        QVERIFY(!runScript(w, dir, "frobnicate\n", &error));
        QCOMPARE(error, QString("steps.script:1: unknown command 'frobnicate'"));
        QVERIFY(!ScreenshotScript::run(w, dir.filePath("missing.script"), &error));
        QVERIFY(error.startsWith("cannot read"));
    }
};

QTEST_MAIN(TestTutorial)
#include "tst_tutorial.moc"
