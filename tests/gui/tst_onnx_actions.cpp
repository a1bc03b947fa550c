// File ▸ Export ONNX… and File ▸ Import ONNX… in the studio, and the export → import → export round trip.
#include <QtTest>

#include <QTemporaryDir>
#include <fstream>
#include <sstream>

#include "app/MainWindow.h"
#include "gui/QuietWindow.h"
#include "document/GraphDocument.h"
#include "neura/graph/ModelJson.h"
#include "neura/onnx/Export.h"
#include "neura/onnx/Import.h"
#include "neura/project/Project.h"
#include "neura/train/Experiment.h"

using namespace neura;
using namespace neura::gui;

namespace {

std::string readText(const QString& path) {
    std::ifstream f(path.toStdString(), std::ios::binary);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
}

using Window = neura::test::QuietWindow;

// The moons example, trained for a few epochs and saved.
QString trainedProject(const QTemporaryDir& dir) {
    project::Project p;
    p.model_json = readText(NEURA_SOURCE_DIR "/projects/src/moons.model.json");
    train::DatasetSpec spec;
    spec.name = "moons";
    p.dataset_json = spec.to_json();
    train::TrainConfig cfg;
    cfg.epochs = 3;
    p.train_config_json = cfg.to_json();
    train::Experiment ex(p, cfg);
    ex.store(p, ex.run({}), project::utc_now_iso8601());
    const QString path = dir.filePath("moons.neura");
    project::save_project(path.toStdString(), p);
    return path;
}

}  // namespace

class TestOnnxActions : public QObject {
    Q_OBJECT
private slots:
    void export_import_export_round_trips() {
        QTemporaryDir dir;
        Window w;
        QVERIFY(w.openFile(trainedProject(dir)));
        const QString a = dir.filePath("a.onnx"), b = dir.filePath("b.onnx");
        QVERIFY(w.exportOnnxTo(a));
        onnx::check_onnx_bytes(readText(a));  // throws on an invalid model
        const std::size_t nodes = w.document()->graph().node_count();

        QVERIFY(w.importOnnxFrom(a));
        QVERIFY(w.errors.isEmpty());
        QCOMPARE(w.document()->graph().node_count(), nodes);  // Input, layers and a Loss again
        QVERIFY(w.isModified());
        QVERIFY(w.exportOnnxTo(b));

        const auto ma = onnx::import_onnx(a.toStdString()), mb = onnx::import_onnx(b.toStdString());
        QCOMPARE(graph::to_json(ma.graph), graph::to_json(mb.graph));
        QCOMPARE(ma.weights.size(), mb.weights.size());
        for (std::size_t i = 0; i < ma.weights.size(); ++i) {
            QCOMPARE(ma.weights[i].name, mb.weights[i].name);
            QCOMPARE(ma.weights[i].tensor.to_vector<float>(), mb.weights[i].tensor.to_vector<float>());
        }
        QVERIFY(ma.normalization.has_value() && mb.normalization.has_value());
        QCOMPARE(ma.normalization->mean(), mb.normalization->mean());
    }

    void a_bad_file_is_reported_and_changes_nothing() {
        QTemporaryDir dir;
        Window w;
        QVERIFY(w.openFile(trainedProject(dir)));
        const std::string before = graph::to_json(w.document()->graph());
        QFile junk(dir.filePath("junk.onnx"));
        QVERIFY(junk.open(QIODevice::WriteOnly));
        junk.write(QByteArray(1000, '\x07'));
        junk.close();
        QVERIFY(!w.importOnnxFrom(junk.fileName()));
        QCOMPARE(w.errors.size(), 1);
        QCOMPARE(graph::to_json(w.document()->graph()), before);
        QVERIFY(!w.exportOnnxTo(dir.filePath("no/such/folder/m.onnx")));
        QCOMPARE(w.errors.size(), 2);
        QVERIFY2(w.errors[1].contains("no/such/folder"), qPrintable(w.errors[1]));
    }
};

QTEST_MAIN(TestOnnxActions)
#include "tst_onnx_actions.moc"
