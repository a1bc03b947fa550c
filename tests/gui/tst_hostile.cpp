// Hostile files in the studio (issue 13): each one ends as a message naming the file and the problem,
// the window goes on, and nothing the user had is lost.
#include <QtTest>

#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <zlib.h>

#include "app/MainWindow.h"
#include "common/TestSupport.h"
#include "document/GraphDocument.h"
#include "gui/QuietWindow.h"
#include "neura/graph/ModelJson.h"
#include "neura/project/Project.h"
#include "neura/train/Experiment.h"
#include "panels/DatasetPanel.h"
#include "session/TrainingSession.h"

using namespace neura;
using namespace neura::gui;

namespace {

std::string xorModel() { return test::example_text("xor", "model.json").toStdString(); }

std::string nested(int depth) {
    std::string s;
    for (int i = 0; i < depth; ++i) s += "{\"a\":";
    return s + "1" + std::string(static_cast<std::size_t>(depth), '}');
}

// The xor project, its model text replaced by `model_json` when given.
QString makeProject(const QTemporaryDir& dir, const QString& name, const std::string& model_json = {}) {
    project::Project p;
    p.model_json = model_json.empty() ? xorModel() : model_json;
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

// A gzip file of an IDX header declaring 4 bytes, then `zeros` zero bytes: a small file that inflates
// far past its declared size.
QString writeGzipBomb(const QTemporaryDir& dir, const QString& name, std::size_t zeros) {
    const QString path = dir.filePath(name);
    gzFile f = gzopen(path.toUtf8().constData(), "wb9");
    if (!f) qFatal("cannot write %s", qPrintable(path));
    gzwrite(f, "\x00\x00\x08\x01\x00\x00\x00\x04", 8);
    const std::vector<char> block(1 << 20, 0);
    for (std::size_t left = zeros; left > 0; left -= std::min(left, block.size()))
        gzwrite(f, block.data(), static_cast<unsigned>(std::min(left, block.size())));
    gzclose(f);
    return path;
}

using Window = neura::test::QuietWindow;

}  // namespace

class TestHostile : public QObject {
    Q_OBJECT
private slots:
    void a_project_whose_model_nests_100000_deep_is_refused() {
        QTemporaryDir dir;
        const QString good = makeProject(dir, "good.neura");
        std::string model = xorModel();
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
        // A gzip bomb (8 MiB of zeros behind a header that declares 4 bytes) is refused at the declared size.
        const QString bomb = writeGzipBomb(dir, "bomb-idx1-ubyte.gz", 8u << 20);
        QVERIFY(panel.setDataset("idx", {{"images", bomb.toStdString()}, {"labels", labels.toStdString()}}));
        QVERIFY(!panel.dataset());
        QVERIFY2(panel.errorText().contains(bomb) && panel.errorText().contains("decompresses to more"),
                 qPrintable(panel.errorText()));
        // The panel goes on: a good dataset builds afterwards.
        QVERIFY(panel.setDataset("xor"));
        QVERIFY(panel.dataset());
        QCOMPARE(panel.dataset()->size(), std::int64_t{200});
    }

    void a_model_over_the_budget_is_an_error_on_its_node_and_never_trains() {
        // fc2 of the xor model with 2e9 features: billions of parameters, refused before anything is allocated.
        QTemporaryDir dir;
        const QString path = makeProject(dir, "big.neura");
        {
            project::Project p = project::load_project(path.toStdString());
            graph::ModelGraph g = graph::from_json(p.model_json);
            const graph::NodeId fc2 = g.find_node("fc2");
            QVERIFY(fc2.valid());
            g.set_attribute(fc2, "out_features", std::int64_t{2'000'000'000});
            p.model_json = graph::to_json(g);
            project::save_project(path.toStdString(), p);
        }
        Window w;
        w.setAutosaveInterval(0);
        QVERIFY(w.openFile(path));  // a model with errors opens: the user can fix it
        QStringList budget;
        for (const auto& d : w.document()->diagnostics())
            if (d.message.find("more than the budget of 250,000,000") != std::string::npos)
                budget << QString::fromStdString(graph::describe(w.document()->graph(), d));
        QCOMPARE(budget.size(), 1);
        QVERIFY2(budget[0].startsWith("node 'fc2' (Linear): the model has "), qPrintable(budget[0]));
        w.train();
        QVERIFY(!w.session()->isRunning());
        QCOMPARE(w.errors.size(), 1);
        QVERIFY2(w.errors[0].startsWith("Cannot train: ") && w.errors[0].contains(budget[0]), qPrintable(w.errors[0]));
    }

    void a_malformed_onnx_model_is_refused_naming_the_file() {
        QTemporaryDir dir;
        const QString model = dir.filePath("relu-without-input.onnx");
        QProcess py;
        py.start("/usr/bin/python3", {"-c", QString(R"(
import onnx
from onnx import helper, TensorProto
g = helper.make_graph([helper.make_node("Relu", [], ["output"], name="r")], "g",
    [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", 3])],
    [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["batch", 3])])
onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]), "%1")
)").arg(model)});
        QVERIFY(py.waitForFinished(neura::test::kHangGuardMs));
        QVERIFY2(py.exitCode() == 0, py.readAllStandardError().constData());
        Window w;
        w.setAutosaveInterval(0);
        QVERIFY(w.openFile(makeProject(dir, "xor.neura")));
        const std::string before = graph::to_json(w.document()->graph());
        QVERIFY(!w.importOnnxFrom(model));
        QCOMPARE(w.errors.size(), 1);
        QVERIFY2(w.errors[0].contains("relu-without-input.onnx") && w.errors[0].contains("has 0 inputs; Relu takes 1"),
                 qPrintable(w.errors[0]));
        QCOMPARE(graph::to_json(w.document()->graph()), before);
    }
};

QTEST_MAIN(TestHostile)
#include "tst_hostile.moc"
