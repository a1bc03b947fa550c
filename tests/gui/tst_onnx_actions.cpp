// File ▸ Export ONNX… and File ▸ Import ONNX… in the studio, and the export → import → export round trip.
#include <QtTest>

#include <QTemporaryDir>

#include "app/MainWindow.h"
#include "gui/QuietWindow.h"
#include "gui/TrainedExample.h"
#include "document/GraphDocument.h"
#include "neura/graph/ModelJson.h"
#include "neura/onnx/Export.h"
#include "neura/onnx/Import.h"
#include "neura/project/Project.h"
#include "neura/train/Experiment.h"

using namespace neura;
using neura::test::readText;
using neura::test::trainedExample;
using namespace neura::gui;

using Window = neura::test::QuietWindow;

class TestOnnxActions : public QObject {
    Q_OBJECT
private slots:
    void export_import_export_round_trips() {
        QTemporaryDir dir;
        Window w;
        QVERIFY(w.openFile(trainedExample(dir, "moons")));
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
        QVERIFY(w.openFile(trainedExample(dir, "moons")));
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
