// `neura sweep`: a grid on a copy of an example project, as JSON and as a table; every run in the
// file with its settings; the project's own weights and setup untouched; bad keys, values and usage.
#include <QtTest>

#include "cli/CliSupport.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <nlohmann/json.hpp>

using namespace neura;
using namespace neura::test::cli;

class TestCliSweep : public QObject {
    Q_OBJECT
private slots:
    void sweepJson() {
        QTemporaryDir dir;
        const QString path = create(dir, "spiral", "spiral,n=200,classes=3,noise=0.1,seed=1");
        QVERIFY(!path.isEmpty());
        QCOMPARE(run_neura({"train", path, "--epochs", "1", "--json"}).code, 0);  // weights to leave alone
        const project::Project before = project::load_project(path.toStdString());
        QCOMPARE(before.runs.size(), std::size_t(1));

        const Result r = run_neura({"sweep", path, "--grid", "lr=0.1,0.01", "--grid=fc1.out_features=4,8",
                                    "--epochs", "1", "--json"});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        const QJsonArray runs = QJsonDocument::fromJson(r.out.toUtf8()).object()["runs"].toArray();
        QCOMPARE(runs.size(), 4);
        const double lrs[] = {0.1, 0.1, 0.01, 0.01};
        const int widths[] = {4, 8, 4, 8};
        for (int i = 0; i < 4; ++i) {
            const QJsonObject run = runs[i].toObject();
            QCOMPARE(run["id"].toInt(), i + 2);  // after the training run
            QCOMPARE(run["status"].toString(), QString("completed"));
            QCOMPARE(run["settings"].toObject()["lr"].toDouble(), lrs[i]);
            QCOMPARE(run["settings"].toObject()["fc1.out_features"].toInt(), widths[i]);
            QVERIFY(run["final"].toObject().contains("val_accuracy"));
            QCOMPARE(run["final"].toObject()["epochs"].toInt(), 1);
            QVERIFY(run["seconds"].toDouble() >= 0.0);
        }

        const project::Project after = project::load_project(path.toStdString());
        QCOMPARE(after.runs.size(), std::size_t(5));
        for (int i = 0; i < 4; ++i) {
            const project::RunRecord& rec = after.runs[static_cast<std::size_t>(i + 1)];
            const nlohmann::json settings = nlohmann::json::parse(rec.settings_json);
            QCOMPARE(settings["fc1.out_features"].get<int>(), widths[i]);
            const graph::ModelGraph g = graph::from_json(rec.model_json);
            QCOMPARE(graph::int_attribute(g.node(g.find_node("fc1")).attributes, "out_features"),
                     std::int64_t(widths[i]));
        }
        QCOMPARE(after.model_json, before.model_json);
        QCOMPARE(after.train_config_json, before.train_config_json);
        QCOMPARE(after.weights.size(), before.weights.size());
        for (std::size_t i = 0; i < before.weights.size(); ++i) {
            const Tensor a = before.weights[i].tensor, b = after.weights[i].tensor;
            QCOMPARE(a.shape(), b.shape());
            QVERIFY(std::memcmp(a.raw_data(), b.raw_data(), static_cast<std::size_t>(a.numel()) * element_size(a.dtype())) == 0);
        }
    }

    void sweepTable() {
        QTemporaryDir dir;
        const QString path = create(dir, "spiral", "spiral,n=200,classes=3,noise=0.1,seed=1");
        const Result r = run_neura({"sweep", path, "--grid", "optimizer=SGD,Adam", "--epochs", "1"});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QVERIFY2(r.out.contains("optimizer") && r.out.contains("val_loss") && r.out.contains("SGD") &&
                     r.out.contains("Adam") && r.out.contains("2 runs added"),
                 qPrintable(r.out));
        QCOMPARE(project::load_project(path.toStdString()).runs.size(), std::size_t(2));
    }

    void randomDraw() {
        QTemporaryDir dir;
        const QString path = create(dir, "spiral", "spiral,n=200,classes=3,noise=0.1,seed=1");
        const Result r = run_neura({"sweep", path, "--grid", "lr=0.1,0.03,0.01", "--grid", "batch_size=16,32,64",
                                    "--random", "3", "--seed", "5", "--epochs", "1", "--json"});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        const QJsonArray runs = QJsonDocument::fromJson(r.out.toUtf8()).object()["runs"].toArray();
        QCOMPARE(runs.size(), 3);
        QSet<QString> seen;
        for (const auto& run : runs)
            seen.insert(QString::fromUtf8(QJsonDocument(run.toObject()["settings"].toObject()).toJson()));
        QCOMPARE(seen.size(), 3);
    }

    void errors() {
        QTemporaryDir dir;
        const QString path = create(dir, "spiral", "spiral,n=200,classes=3,noise=0.1,seed=1");
        Result r = run_neura({"sweep", path, "--grid", "fc7.out_features=3"});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("no node 'fc7'") && r.err.contains("fc1"), qPrintable(r.err));
        r = run_neura({"sweep", path, "--grid", "lr=quick"});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("'quick'") && r.err.contains("lr"), qPrintable(r.err));
        r = run_neura({"sweep", path});
        QCOMPARE(r.code, 2);
        QVERIFY2(r.err.contains("--grid"), qPrintable(r.err));
        r = run_neura({"sweep", path, "--grid", "lr=0.1", "--random", "0"});
        QCOMPARE(r.code, 2);
        r = run_neura({"sweep", dir.filePath("missing.neura"), "--grid", "lr=0.1"});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("does not exist"), qPrintable(r.err));
        QVERIFY(project::load_project(path.toStdString()).runs.empty());  // nothing ran
    }
};

QTEST_APPLESS_MAIN(TestCliSweep)
#include "tst_sweep.moc"
