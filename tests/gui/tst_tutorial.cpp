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
#include "app/ScreenshotScript.h"
#include "neura/project/Project.h"

using namespace neura;
using namespace neura::gui;

namespace {

using TestWindow = neura::test::QuietWindow;

// Runs `text` as a script in `dir` (the current folder while it runs).
bool runScript(MainWindow& w, const QTemporaryDir& dir, const QString& text, QString* error) {
    const QString path = dir.filePath("steps.script");
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly)) return false;
    f.write(text.toUtf8());
    f.close();
    const QString previous = QDir::currentPath();
    QDir::setCurrent(dir.path());
    const bool ok = ScreenshotScript::run(w, path, error);
    QDir::setCurrent(previous);
    return ok;
}

}  // namespace

class TestTutorial : public QObject {
    Q_OBJECT
private slots:
    void tutorialRunsAsWritten() {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString script = QStringLiteral(NEURA_SOURCE_DIR "/docs/tutorial/first-network.script");
        QFile f(script);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QString text = QString::fromUtf8(f.readAll());

        TestWindow w;
        w.setAutosaveInterval(0);
        w.resize(1440, 900);
        w.show();
        QString error;
        QVERIFY2(runScript(w, dir, text, &error), qPrintable(error));
        QVERIFY2(w.errors.isEmpty(), qPrintable(w.errors.join("\n")));

        // Every picture the tutorial shows was taken, at the window's size.
        const QStringList shots = text.split('\n').filter(QRegularExpression("^shot "));
        QCOMPARE(shots.size(), 9);
        for (const QString& line : shots) {
            const QImage img(dir.filePath(line.mid(5).trimmed()));
            QVERIFY2(!img.isNull(), qPrintable(line));
            QVERIFY(img.width() >= 1000 && img.height() >= 600);
        }
        // The saved project holds the trained model and its run; the ONNX file is there.
        const project::Project saved = project::load_project(dir.filePath("build/tutorial/my-spiral.neura").toStdString());
        QVERIFY(!saved.weights.empty());
        QCOMPARE(saved.runs.size(), std::size_t{1});
        QVERIFY(QFileInfo(dir.filePath("build/tutorial/my-spiral.onnx")).size() > 1000);
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
