// make_dataset / dataset_names: datasets by name with string parameters.
#include <QtTest>

#include "common/TestSupport.h"

#include <algorithm>
#include <set>

#include "neura/data/DatasetRegistry.h"
#include "neura/data/Synthetic.h"
#include "neura/neura.h"

using namespace neura;
using namespace neura::data;

namespace {
using neura::test::error_of;
}  // namespace

class TestRegistry : public QObject {
    Q_OBJECT
private slots:
    void namesAndParameterDescriptions() {
        std::set<std::string> names;
        for (const auto& info : dataset_names()) {
            QVERIFY(names.insert(info.name).second);
            QVERIFY(!info.description.empty());
            std::set<std::string> params;
            for (const auto& p : info.params) {
                QVERIFY(params.insert(p.name).second);
                QVERIFY2(!p.help.empty(), p.name.c_str());
                QVERIFY(std::string(param_kind_name(p.kind)) != "?");
            }
        }
        for (const char* n : {"spiral", "moons", "circles", "xor", "blobs", "sine", "sine-forecast", "digits", "iris",
                              "wine", "breast_cancer", "csv", "csv-series", "idx", "text"})
            QVERIFY2(names.contains(n), n);
        const DatasetInfo& spiral_info = dataset_info("spiral");
        QCOMPARE(spiral_info.task, Task::Classification);
        std::vector<std::string> pnames;
        for (const auto& p : spiral_info.params) pnames.push_back(p.name);
        QCOMPARE(pnames, (std::vector<std::string>{"n", "noise", "seed", "classes"}));
        QCOMPARE(dataset_info("sine").task, Task::Regression);
    }

    void defaultsBuildEverySyntheticSetAndDigits() {
        for (const char* n : {"spiral", "moons", "circles", "xor", "blobs", "sine", "sine-forecast", "digits", "iris", "wine",
                              "breast_cancer", "text"}) {
            DatasetPtr d = make_dataset(n);
            QVERIFY2(d && d->size() > 0, n);
        }
        QCOMPARE(make_dataset("digits", {{"image", "true"}})->feature_shape(), (Shape{1, 8, 8}));
    }

    void parametersReachTheGenerator() {
        DatasetPtr d = make_dataset("spiral", {{"n", "300"}, {"noise", "0.1"}, {"seed", "1"}, {"classes", "5"}});
        QCOMPARE(d->size(), 300);
        QCOMPARE(d->num_classes(), 5);
        auto direct = spiral(300, 0.1, 1, 5);
        QCOMPARE(d->get_batch({0, 1, 2}).features.to_vector<float>(), direct->get_batch({0, 1, 2}).features.to_vector<float>());
        QCOMPARE(make_dataset("blobs", {{"centers", "4"}, {"features", "3"}})->feature_shape(), (Shape{3}));
        QCOMPARE(make_dataset("blobs", {{"centers", "4"}})->num_classes(), 4);
    }

    void errorsNameTheCulprit() {
        QString e = error_of([] { make_dataset("spirals"); });
        QVERIFY2(e.contains("'spirals'") && e.contains("spiral"), qPrintable(e));
        e = error_of([] { make_dataset("moons", {{"classes", "3"}}); });
        QVERIFY2(e.contains("'classes'") && e.contains("moons"), qPrintable(e));
        e = error_of([] { make_dataset("spiral", {{"noise", "lots"}}); });
        QVERIFY2(e.contains("'noise'") && e.contains("lots"), qPrintable(e));
        e = error_of([] { make_dataset("spiral", {{"n", "2.5"}}); });
        QVERIFY2(e.contains("'n'"), qPrintable(e));
        e = error_of([] { make_dataset("spiral", {{"classes", "1"}}); });
        QVERIFY2(e.contains("'classes'") && e.contains("minimum"), qPrintable(e));
        e = error_of([] { make_dataset("digits", {{"image", "maybe"}}); });
        QVERIFY2(e.contains("'image'"), qPrintable(e));
        e = error_of([] { make_dataset("csv"); });
        QVERIFY2(e.contains("'path'"), qPrintable(e));
        e = error_of([] { make_dataset("csv", {{"path", "x.csv"}, {"header", "sometimes"}}); });
        QVERIFY2(e.contains("'header'") && e.contains("auto"), qPrintable(e));
        e = error_of([] { make_dataset("csv-series"); });
        QVERIFY2(e.contains("csv-series") && e.contains("'path'"), qPrintable(e));
        e = error_of([] { make_dataset("csv-series", {{"path", "x.csv"}, {"window", "0"}}); });
        QVERIFY2(e.contains("'window'") && e.contains("minimum"), qPrintable(e));
        QVERIFY(!error_of([] { dataset_info("nope"); }).isEmpty());
    }

    void csvThroughTheRegistry() {
        QTemporaryDir dir;
        const QString path = dir.filePath("d.csv");
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("label\ta\tb\nred\t1\t2\nblue\t3\t4\n");
        f.close();
        DatasetPtr d = make_dataset("csv", {{"path", path.toStdString()}, {"label", "label"}, {"delimiter", "tab"}});
        QCOMPARE(d->size(), 2);
        QCOMPARE(d->class_names(), (std::vector<std::string>{"blue", "red"}));
        QCOMPARE(d->labels(), (std::vector<std::int64_t>{1, 0}));
    }

    void csvSeriesThroughTheRegistry() {
        const DatasetInfo& info = dataset_info("csv-series");
        QCOMPARE(info.task, Task::Regression);
        std::vector<std::string> pnames;
        for (const auto& p : info.params) pnames.push_back(p.name);
        QCOMPARE(pnames, (std::vector<std::string>{"path", "columns", "target", "window", "horizon", "stride"}));
        QCOMPARE(info.params[0].kind, DatasetParam::Kind::Path);  // the form's file chooser
        // Listed beside csv, among the file readers.
        std::vector<std::string> order;
        for (const auto& i : dataset_names()) order.push_back(i.name);
        const auto csv = std::find(order.begin(), order.end(), "csv");
        QVERIFY(csv != order.end() && csv + 1 != order.end() && *(csv + 1) == "csv-series");

        QTemporaryDir dir;
        const QString path = dir.filePath("s.csv");
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("when;level\nmon;1.5\ntue;2.5\nwed;4\nthu;8\n");
        f.close();
        // The ';' separator is found as csv finds it; the text column is left out.
        DatasetPtr d = make_dataset("csv-series", {{"path", path.toStdString()}, {"window", "2"}});
        QCOMPARE(d->size(), 2);
        QCOMPARE(d->feature_shape(), (Shape{2, 1}));
        QCOMPARE(d->get(1).features.to_vector<float>(), (std::vector<float>{2.5f, 4}));
        QCOMPARE(d->get(1).target.to_vector<float>(), (std::vector<float>{8}));
    }
};

QTEST_APPLESS_MAIN(TestRegistry)
#include "tst_registry.moc"
