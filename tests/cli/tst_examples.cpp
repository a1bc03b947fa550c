// The example projects (projects/src), created and trained by the `neura` command line from their text
// form as a user would, reach the targets they are there to show.
#include <QtTest>

#include "cli/CliSupport.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QTemporaryDir>

using namespace neura::test::cli;

namespace {

#ifdef NEURA_TEST_SANITIZER_BUILD
// Under the sanitizers (tools/sanitize.sh, several times slower: all these examples at full length took
// 16 minutes there) each example trains 2 epochs and must only have learned (a lower loss after the
// second): the memory and undefined-behaviour checks need the code paths, and the test command's own
// build checks every target below.
const QStringList kTraining{"--epochs", "2"};
constexpr bool kTargets = false;
#else
const QStringList kTraining;
constexpr bool kTargets = true;
#endif

}  // namespace

class TestExamples : public QObject {
    Q_OBJECT
private slots:
    void examples_reach_their_targets_data() {
        QTest::addColumn<QString>("name");
        QTest::addColumn<QString>("metric");
        QTest::addColumn<double>("target");
        // The targets; the others at what the example is there to show.
        QTest::newRow("xor") << "xor" << "train_accuracy" << 1.0;
        QTest::newRow("spiral") << "spiral" << "train_accuracy" << 0.95;
        QTest::newRow("moons") << "moons" << "val_accuracy" << 0.95;
        QTest::newRow("iris") << "iris" << "val_accuracy" << 0.93;
        QTest::newRow("digits-cnn") << "digits-cnn" << "val_accuracy" << 0.95;
        // Issue 15: a 2-layer Transformer encoder reverses token sequences (length 8, vocab 10); token accuracy.
        QTest::newRow("reverse-transformer") << "reverse-transformer" << "val_accuracy" << 0.95;
    }
    void examples_reach_their_targets() {
        QFETCH(QString, name);
        QFETCH(QString, metric);
        QFETCH(double, target);
        QTemporaryDir dir;
        const QString path = create(dir, name);
        QVERIFY(!path.isEmpty());
        const QJsonObject j = train_json(path, kTraining);
        QCOMPARE(j["status"].toString(), QString("completed"));
        const double value = j["final"].toObject()[metric].toDouble(-1);
        if (kTargets)
            QVERIFY2(value >= target,
                     qPrintable(QString("%1 %2 = %3, target %4").arg(name, metric).arg(value).arg(target)));
        // The first epoch was worse: it learned.
        const QJsonArray h = j["history"].toArray();
        QVERIFY(h.first().toObject()["train_loss"].toDouble() > h.last().toObject()["train_loss"].toDouble());
        // Weights and the run are in the file now.
        const QJsonObject info = QJsonDocument::fromJson(run_neura({"info", path, "--json"}).out.toUtf8()).object();
        QCOMPARE(info["trained"].toBool(), true);
        QCOMPARE(info["runs"].toInt(), 1);
    }

    void regression_example_fits_the_sine() {
        QTemporaryDir dir;
        const QString path = create(dir, "sine-regression");
        const QJsonObject j = train_json(path, kTraining);
        QCOMPARE(j["status"].toString(), QString("completed"));
        const QJsonObject f = j["final"].toObject();
        QVERIFY(!f.contains("train_accuracy"));  // regression: no accuracy
        if (kTargets) QVERIFY2(f["val_loss"].toDouble() < 0.01, qPrintable(QString::number(f["val_loss"].toDouble())));
        const QJsonArray h = j["history"].toArray();
        QVERIFY(h.first().toObject()["train_loss"].toDouble() > h.last().toObject()["train_loss"].toDouble());
    }

    // Issue 15: GRU(32) → LastStep → Linear forecasts the next value of a sum of 3 sines (noise 0.05, so
    // an MSE floor of 0.0025) from the last 32. PyTorch, same architecture, hyper-parameters, samples and
    // split (the series' last 200 windows validate; the 768 training windows end before them;
    // bench/torch_examples.py): val MSE 0.0116; the engine reaches 0.0121 (30 epochs, ~1 s). The bound,
    // 0.02 (under 2× PyTorch's figure), is under 4% of the series' variance (0.56 on the val targets): a
    // model that had not learned the dynamics sits near the variance.
    void sine_forecast_gru_is_near_pytorch() {
        QTemporaryDir dir;
        const QString path = create(dir, "sine-forecast-gru");
        QVERIFY(!path.isEmpty());
        const QJsonObject j = train_json(path, kTraining);
        QCOMPARE(j["status"].toString(), QString("completed"));
        const QJsonObject f = j["final"].toObject();
        QVERIFY(!f.contains("val_accuracy"));  // regression
        const double val = f["val_loss"].toDouble(-1);
        const QJsonArray h = j["history"].toArray();
        if (kTargets) {
            QVERIFY2(val > 0 && val < 0.02, qPrintable(QString::number(val)));
            QVERIFY(h.first().toObject()["val_loss"].toDouble() > 5 * val);
        } else {
            QVERIFY(h.first().toObject()["train_loss"].toDouble() > h.last().toObject()["train_loss"].toDouble());
        }
    }
};

QTEST_GUILESS_MAIN(TestExamples)
#include "tst_examples.moc"
