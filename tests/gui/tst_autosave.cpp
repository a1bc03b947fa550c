// Autosave to a side file and recovery after a crash, as a user meets them.
#include <QtTest>

#include <QTemporaryDir>
#include <fstream>
#include <sstream>

#include "app/MainWindow.h"
#include "gui/QuietWindow.h"
#include "document/GraphDocument.h"
#include "neura/graph/ModelJson.h"
#include "neura/project/Project.h"
#include "neura/train/Experiment.h"

using namespace neura;
using namespace neura::gui;

namespace {

std::string readText(const char* path) {
    std::ifstream f(path);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
}

using Window = neura::test::QuietWindow;

QString makeProject(const QTemporaryDir& dir) {
    project::Project p;
    p.model_json = readText(NEURA_SOURCE_DIR "/projects/src/xor.model.json");
    train::DatasetSpec spec;
    spec.name = "xor";
    p.dataset_json = spec.to_json();
    const QString path = dir.filePath("xor.neura");
    project::save_project(path.toStdString(), p);
    return path;
}

std::size_t nodeCount(const QString& path) {
    return graph::from_json(project::load_project(path.toStdString()).model_json).node_count();
}

}  // namespace

class TestAutosave : public QObject {
    Q_OBJECT
private slots:
    void autosave_writes_a_side_file_and_leaves_the_project_alone() {
        QTemporaryDir dir;
        const QString path = makeProject(dir);
        const std::size_t before = nodeCount(path);
        Window w;
        w.setAutosaveInterval(0);
        QVERIFY(w.openFile(path));
        QVERIFY(!w.autosaveNow());  // nothing changed: nothing written
        QVERIFY(!QFileInfo::exists(MainWindow::autosavePath(path)));
        w.document()->addNode("ReLU", QPointF(100, 100));
        QVERIFY(w.autosaveNow());
        QCOMPARE(nodeCount(MainWindow::autosavePath(path)), before + 1);
        QCOMPARE(nodeCount(path), before);  // the user's file is untouched until they save
        QVERIFY(w.isModified());
        QVERIFY(w.save());
        QVERIFY(!QFileInfo::exists(MainWindow::autosavePath(path)));  // saved: nothing left to recover
        QCOMPARE(nodeCount(path), before + 1);
    }

    void the_timer_autosaves() {
        QTemporaryDir dir;
        const QString path = makeProject(dir);
        Window w;
        QVERIFY(w.openFile(path));
        w.document()->addNode("ReLU", QPointF(100, 100));
        w.setAutosaveInterval(1);
        QTRY_VERIFY_WITH_TIMEOUT(QFileInfo::exists(MainWindow::autosavePath(path)), 60000);
    }

    void after_a_crash_the_changes_are_offered_back() {
        QTemporaryDir dir;
        const QString path = makeProject(dir);
        const std::size_t before = nodeCount(path);
        {
            Window crashed;
            crashed.setAutosaveInterval(0);
            QVERIFY(crashed.openFile(path));
            crashed.document()->addNode("ReLU", QPointF(100, 100));
            QVERIFY(crashed.autosaveNow());
            // No close event: the process "died" here, the side file stays.
        }
        QVERIFY(QFileInfo::exists(MainWindow::autosavePath(path)));
        Window w;
        w.setAutosaveInterval(0);
        QVERIFY(w.openFile(path));
        QCOMPARE(w.recoverQuestions, 1);
        QCOMPARE(w.document()->graph().node_count(), before + 1);
        QVERIFY(w.isModified());  // recovered changes still need saving
        QCOMPARE(nodeCount(path), before);
    }

    void declining_recovery_drops_the_side_file() {
        QTemporaryDir dir;
        const QString path = makeProject(dir);
        const std::size_t before = nodeCount(path);
        {
            Window crashed;
            crashed.setAutosaveInterval(0);
            QVERIFY(crashed.openFile(path));
            crashed.document()->addNode("ReLU", QPointF(100, 100));
            QVERIFY(crashed.autosaveNow());
        }
        Window w;
        w.recoverAnswer = false;
        QVERIFY(w.openFile(path));
        QCOMPARE(w.document()->graph().node_count(), before);
        QVERIFY(!QFileInfo::exists(MainWindow::autosavePath(path)));
        QVERIFY(!w.isModified());
    }

    void revert_reloads_the_saved_file_and_drops_the_autosave() {
        // File ▸ Revert discards the changes: it must not offer them back from the autosave.
        QTemporaryDir dir;
        const QString path = makeProject(dir);
        const std::size_t before = nodeCount(path);
        Window w;
        w.setAutosaveInterval(0);
        w.recoverAnswer = true;  // what a user gets by pressing Enter on the recovery question
        QVERIFY(w.openFile(path));
        w.document()->addNode("ReLU", QPointF(100, 100));
        QVERIFY(w.autosaveNow());
        QVERIFY(QFileInfo::exists(MainWindow::autosavePath(path)));
        w.revert();
        QCOMPARE(w.revertQuestions, 1);
        QCOMPARE(w.recoverQuestions, 0);
        QCOMPARE(w.document()->graph().node_count(), before);
        QVERIFY(!w.isModified());
        QVERIFY(!QFileInfo::exists(MainWindow::autosavePath(path)));
        // Declining the revert changes nothing.
        w.document()->addNode("ReLU", QPointF(100, 100));
        w.revertAnswer = false;
        w.revert();
        QCOMPARE(w.revertQuestions, 2);
        QCOMPARE(w.document()->graph().node_count(), before + 1);
        QVERIFY(w.isModified());
    }

    void a_damaged_side_file_is_reported_and_the_project_still_opens() {
        QTemporaryDir dir;
        const QString path = makeProject(dir);
        QFile side(MainWindow::autosavePath(path));
        QVERIFY(side.open(QIODevice::WriteOnly));
        side.write(QByteArray(3000, 'z'));
        side.close();
        Window w;
        QVERIFY(w.openFile(path));
        QCOMPARE(w.errors.size(), 1);
        QVERIFY2(w.errors[0].contains("not a NeuraStudio project"), qPrintable(w.errors[0]));
        QCOMPARE(w.document()->graph().node_count(), nodeCount(path));
    }
};

QTEST_MAIN(TestAutosave)
#include "tst_autosave.moc"
