// Hostile files in the studio (issue 13): each one ends as a message naming the file and the problem,
// the window goes on, and nothing the user had is lost.
#include <QtTest>

#include <QRegularExpression>
#include <QTemporaryDir>
#include <fstream>
#include <sstream>

#include "app/MainWindow.h"
#include "document/GraphDocument.h"
#include "gui/QuietWindow.h"
#include "neura/graph/ModelJson.h"
#include "neura/project/Project.h"
#include "neura/train/Experiment.h"
#include "panels/DatasetPanel.h"

using namespace neura;
using namespace neura::gui;

namespace {

std::string readText(const char* path) {
    std::ifstream f(path);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
}

std::string nested(int depth) {
    std::string s;
    for (int i = 0; i < depth; ++i) s += "{\"a\":";
    return s + "1" + std::string(static_cast<std::size_t>(depth), '}');
}

// The xor project, its model text replaced by `model_json` when given.
QString makeProject(const QTemporaryDir& dir, const QString& name, const std::string& model_json = {}) {
    project::Project p;
    p.model_json = model_json.empty() ? readText(NEURA_SOURCE_DIR "/projects/src/xor.model.json") : model_json;
    train::DatasetSpec spec;
    spec.name = "xor";
    p.dataset_json = spec.to_json();
    const QString path = dir.filePath(name);
    project::save_project(path.toStdString(), p);
    return path;
}

QString writeBytes(const QTemporaryDir& dir, const QString& name, const QByteArray& bytes) {
    QFile f(dir.filePath(name));
    if (!f.open(QIODevice::WriteOnly)) qFatal("cannot write %s", qPrintable(name));
    f.write(bytes);
    return dir.filePath(name);
}

using Window = neura::test::QuietWindow;

}  // namespace

class TestHostile : public QObject {
    Q_OBJECT
private slots:
    void a_project_whose_model_nests_100000_deep_is_refused() {
        QTemporaryDir dir;
        const QString good = makeProject(dir, "good.neura");
        std::string model = readText(NEURA_SOURCE_DIR "/projects/src/xor.model.json");
        model.insert(model.rfind('}'), ", \"layout\": " + nested(100000));
        const QString bad = makeProject(dir, "deep.neura", model);
        Window w;
        w.setAutosaveInterval(0);
        QVERIFY(w.openFile(good));
        const std::size_t nodes = w.document()->graph().node_count();
        QVERIFY(!w.openFile(bad));
        QCOMPARE(w.errors.size(), 1);
        QVERIFY2(w.errors[0].contains("deep.neura") && w.errors[0].contains("nests deeper than 64 levels"),
                 qPrintable(w.errors[0]));
        // The open project is untouched.
        QCOMPARE(w.document()->graph().node_count(), nodes);
        QCOMPARE(w.filePath(), good);
    }

    void a_deep_clipboard_pastes_nothing() {
        QTemporaryDir dir;
        Window w;
        w.setAutosaveInterval(0);
        QVERIFY(w.openFile(makeProject(dir, "xor.neura")));
        GraphDocument* doc = w.document();
        const std::size_t nodes = doc->graph().node_count();
        const int undo = doc->undoStack()->count();
        const QString deep = QString::fromStdString("{\"kind\": \"neurastudio-nodes\", \"model\": " + nested(100000) + "}");
        QVERIFY(doc->paste(deep, QPointF(10, 10)).empty());
        // Wrongly typed positions in an otherwise good clipboard are ignored, not thrown.
        const QString copied = doc->copyText({doc->graph().find_node("fc1")});
        QVERIFY(!copied.isEmpty());
        QString odd = copied;
        odd.replace(QRegularExpression("\"positions\":\\{[^}]*\\}"), "\"positions\":{\"1\":[\"x\",{}]}");
        QVERIFY(odd != copied);
        QCOMPARE(doc->paste(odd, QPointF(10, 10)).size(), std::size_t{1});
        QCOMPARE(doc->graph().node_count(), nodes + 1);
        QCOMPARE(doc->undoStack()->count(), undo + 1);
    }

    void an_idx_file_claiming_2_to_the_64_values_is_an_error_in_the_dataset_panel() {
        QTemporaryDir dir;
        const QString images = writeBytes(
            dir, "bomb-idx3-ubyte", QByteArray("\x00\x00\x08\x03\x00\x00\x02\x00\x80\x00\x00\x00\x01\x00\x00\x00", 16));
        const QString labels = writeBytes(dir, "labels-idx1-ubyte", QByteArray("\x00\x00\x08\x01\x00\x00\x00\x01\x00", 9));
        DatasetPanel panel;
        QVERIFY(panel.setDataset("idx", {{"images", images.toStdString()}, {"labels", labels.toStdString()}}));
        QVERIFY(!panel.dataset());
        QVERIFY2(panel.errorText().contains(images) && panel.errorText().contains("multiply past 2^64"),
                 qPrintable(panel.errorText()));
        // The panel goes on: a good dataset builds afterwards.
        QVERIFY(panel.setDataset("xor"));
        QVERIFY(panel.dataset());
        QCOMPARE(panel.dataset()->size(), std::int64_t{200});
    }
};

QTEST_MAIN(TestHostile)
#include "tst_hostile.moc"
