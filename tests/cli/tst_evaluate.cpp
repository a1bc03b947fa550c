// `neura evaluate` and the MACs of `neura info`: the documented JSON keys, accuracy equal to the training's
// last validation accuracy for the same weights, hand-counted MACs, and errors as sentences.
#include <QJsonArray>
#include <QtTest>
#include <cmath>

#include "cli/CliSupport.h"

using namespace neura::test;
using namespace neura::test::cli;

class TestEvaluate : public QObject {
    Q_OBJECT
private slots:
    void info_gives_macs_per_layer() {
        QTemporaryDir dir;
        const QString path = create(dir, "digits-cnn");
        const Result r = run_neura({"info", path, "--json"});
        QCOMPARE(r.code, 0);
        const QJsonObject j = QJsonDocument::fromJson(r.out.toUtf8()).object();
        // By hand: conv1 16 x 8 x 8 outputs x 1 x 3 x 3; pool1 16 x 4 x 4 x 2 x 2; conv2 32 x 4 x 4 x 16 x 3 x 3;
        // pool2 32 x 2 x 2 x 2 x 2; fc1 10 x 128; ReLU, Flatten, Input and Loss none.
        const QMap<QString, qint64> want = {{"conv1", 9216}, {"pool1", 1024}, {"conv2", 73728}, {"pool2", 512},
                                            {"fc1", 1280},   {"relu1", 0},    {"flatten1", 0},   {"input", 0}};
        for (const auto& v : j["layers"].toArray()) {
            const QJsonObject l = v.toObject();
            if (want.contains(l["name"].toString()))
                QCOMPARE(l["macs"].toInteger(), want[l["name"].toString()]);
        }
        QCOMPARE(j["macs"].toInteger(), qint64{9216 + 1024 + 73728 + 512 + 1280});
        QVERIFY(j["macs_complete"].toBool());
        const Result text = run_neura({"info", path});
        QVERIFY2(text.out.contains("Total MACs per sample: 85760"), qPrintable(text.out));
    }

    void classification_json_matches_training() {
        QTemporaryDir dir;
        const QString path = create(dir, "iris");
        const QJsonObject trained = train_json(path, {"--epochs", "8"});
        const double last_val = trained["final"].toObject()["val_accuracy"].toDouble();
        const Result r = run_neura({"evaluate", path, "--json"});
        QCOMPARE(r.code, 0);
        const QJsonObject j = QJsonDocument::fromJson(r.out.toUtf8()).object();
        QCOMPARE(j["split"].toString(), QString("val"));
        QVERIFY2(std::abs(j["accuracy"].toDouble() - last_val) < 1e-9,
                 qPrintable(QString("%1 vs %2").arg(j["accuracy"].toDouble()).arg(last_val)));
        const QJsonArray cm = j["confusion_matrix"].toArray();
        QCOMPARE(cm.size(), 3);
        qint64 total = 0, diagonal = 0;
        QVector<qint64> column(3, 0);
        for (int t = 0; t < 3; ++t) {
            QCOMPARE(cm[t].toArray().size(), 3);
            for (int c = 0; c < 3; ++c) {
                const qint64 n = cm[t].toArray()[c].toInteger();
                total += n;
                column[c] += n;
                if (t == c) diagonal += n;
            }
        }
        QCOMPARE(total, j["samples"].toInteger());
        QVERIFY(std::abs(j["accuracy"].toDouble() - double(diagonal) / double(total)) < 1e-12);
        // per_class in class order: support is the row sum, precision the diagonal over the column sum.
        const QJsonArray per = j["per_class"].toArray();
        QCOMPARE(per.size(), 3);
        double f1_sum = 0;
        for (int c = 0; c < 3; ++c) {
            const QJsonObject s = per[c].toObject();
            qint64 row = 0;
            for (int k = 0; k < 3; ++k) row += cm[c].toArray()[k].toInteger();
            QCOMPARE(s["support"].toInteger(), row);
            const qint64 tp = cm[c].toArray()[c].toInteger();
            QVERIFY(std::abs(s["precision"].toDouble() - (column[c] ? double(tp) / double(column[c]) : 0.0)) < 1e-12);
            QVERIFY(std::abs(s["recall"].toDouble() - (row ? double(tp) / double(row) : 0.0)) < 1e-12);
            f1_sum += s["f1"].toDouble();
        }
        QVERIFY(std::abs(j["macro_f1"].toDouble() - f1_sum / 3) < 1e-12);
        QCOMPARE(j["roc"].toArray().size(), 3);  // one-vs-rest
        const Result text = run_neura({"evaluate", path, "--split", "train"});
        QCOMPARE(text.code, 0);
        QVERIFY2(text.out.contains("confusion matrix (rows: true class, columns: predicted)") &&
                     text.out.contains("macro avg") && text.out.contains("train split"),
                 qPrintable(text.out));
    }

    void regression_json() {
        QTemporaryDir dir;
        const QString path = create(dir, "sine-regression");
        train_json(path, {"--epochs", "3"});
        const Result r = run_neura({"evaluate", path, "--json"});
        QCOMPARE(r.code, 0);
        const QJsonObject j = QJsonDocument::fromJson(r.out.toUtf8()).object();
        QCOMPARE(j["task"].toString(), QString("regression"));
        QVERIFY(j.contains("mse") && j.contains("mae") && j.contains("r2"));
        QVERIFY(!j.contains("confusion_matrix"));
        QVERIFY(j["mse"].toDouble() >= 0 && j["mae"].toDouble() >= 0 && j["r2"].toDouble() <= 1.0);
        // MAE is at most the root of MSE (Jensen), and both are figures of the same predictions.
        QVERIFY(j["mae"].toDouble() <= std::sqrt(j["mse"].toDouble()) + 1e-9);
    }

    void errors_are_sentences() {
        QTemporaryDir dir;
        const QString path = create(dir, "moons");
        const Result untrained = run_neura({"evaluate", path});
        QCOMPARE(untrained.code, 1);
        QVERIFY2(untrained.err.contains(path) && untrained.err.contains("has not been trained"), qPrintable(untrained.err));
        QCOMPARE(run_neura({"evaluate", path, "--split", "test"}).code, 2);
        QFile junk(dir.filePath("junk.neura"));
        QVERIFY(junk.open(QIODevice::WriteOnly));
        junk.write("not a project");
        junk.close();
        const Result bad = run_neura({"evaluate", junk.fileName()});
        QCOMPARE(bad.code, 1);
        QVERIFY2(bad.err.contains("junk.neura"), qPrintable(bad.err));
    }
};

QTEST_GUILESS_MAIN(TestEvaluate)
#include "tst_evaluate.moc"
