// The `neura` command line, driven as a user would: example projects built from their text form
// (projects/src) and trained to their accuracy targets, plus exit codes and error messages.
#include <QtTest>

#include "common/TestSupport.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTemporaryFile>

#include "neura/backend/Cuda.h"

namespace {

using Result = neura::test::ProcessResult;

Result run_neura(const QStringList& args, int timeout_ms = 120000) {
    return neura::test::run_process(NEURA_CLI_PATH, args, timeout_ms);
}

const QString kSrc = QStringLiteral(NEURA_SOURCE_DIR "/projects/src/");

// The datasets of projects/make_examples.sh.

QString create(const QTemporaryDir& dir, const QString& name) {
    const QString path = dir.filePath(name + ".neura");
    const Result r = run_neura({"create", path, "--model", neura::test::example_file(name, "model.json"), "--config",
                            neura::test::example_file(name, "config.json"), "--dataset",
                            neura::test::example_text(name, "dataset")});
    if (r.code != 0) qWarning() << r.err;
    return r.code == 0 ? path : QString();
}

QJsonObject train_json(const QString& path, const QStringList& extra = {}, int timeout_ms = 120000) {
    const Result r = run_neura(QStringList{"train", path, "--json"} + extra, timeout_ms);
    if (r.code != 0) qWarning() << "train failed:" << r.code << r.err;
    return QJsonDocument::fromJson(r.out.toUtf8()).object();
}

}  // namespace

class TestCli : public QObject {
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
        const QJsonObject j = train_json(path);
        QCOMPARE(j["status"].toString(), QString("completed"));
        const double value = j["final"].toObject()[metric].toDouble(-1);
        QVERIFY2(value >= target, qPrintable(QString("%1 %2 = %3, target %4").arg(name, metric).arg(value).arg(target)));
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
        const QJsonObject j = train_json(path);
        const QJsonObject f = j["final"].toObject();
        QVERIFY(!f.contains("train_accuracy"));  // regression: no accuracy
        QVERIFY2(f["val_loss"].toDouble() < 0.01, qPrintable(QString::number(f["val_loss"].toDouble())));
    }

    // Issue 15: GRU(32) → LastStep → Linear forecasts the next value of a sum of 3 sines (noise 0.05, so
    // an MSE floor of 0.0025) from the last 32. PyTorch, same architecture, hyper-parameters, samples and
    // split (bench/torch_examples.py): val MSE 0.0098; the engine reaches 0.0101 (30 epochs, ~3.5 s on one
    // core). The bound, 2× PyTorch's figure, is under 4% of the series' variance (0.56 on the val targets):
    // a model that had not learned the dynamics sits near the variance.
    void sine_forecast_gru_is_near_pytorch() {
        QTemporaryDir dir;
        const QString path = create(dir, "sine-forecast-gru");
        QVERIFY(!path.isEmpty());
        const QJsonObject j = train_json(path);
        QCOMPARE(j["status"].toString(), QString("completed"));
        const QJsonObject f = j["final"].toObject();
        QVERIFY(!f.contains("val_accuracy"));  // regression
        const double val = f["val_loss"].toDouble(-1);
        QVERIFY2(val > 0 && val < 0.02, qPrintable(QString::number(val)));
        const QJsonArray h = j["history"].toArray();
        QVERIFY(h.first().toObject()["val_loss"].toDouble() > 5 * val);
    }

    // Issue 15: Embedding(65, 32) → LSTM(64) → LastStep → Linear(65) predicts Tiny Shakespeare's next
    // character from the previous 32 (20000 windows, stride 3; stratified 80/20 split). PyTorch, same
    // architecture, hyper-parameters, windows and split (bench/torch_examples.py): val loss 1.833 (a
    // uniform guess is ln 65 = 4.17); the issue asks for within 5% of it, so the bound is 1.833 × 1.05 =
    // 1.925. The engine reaches 1.857 (10 epochs, ~67 s on one core). Then `neura generate` on the
    // trained project continues a prompt with characters of the text's vocabulary (tst_generate tests
    // generation itself on a tiny corpus; here only that the shipped example works end to end).
    void char_lstm_is_within_5_percent_of_pytorch_and_generates() {
        QTemporaryDir dir;
        const QString path = create(dir, "char-lstm");
        QVERIFY(!path.isEmpty());
        const QJsonObject j = train_json(path, {}, 400000);
        QCOMPARE(j["status"].toString(), QString("completed"));
        const double val = j["final"].toObject()["val_loss"].toDouble(-1);
        QVERIFY2(val > 0 && val < 1.833 * 1.05, qPrintable(QString::number(val)));

        // Tiny Shakespeare's 65 distinct characters.
        const QString vocabulary = "\n !$&',-.3:;?ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
        const QString prompt = "ROMEO:\nWhat ";
        const Result r = run_neura({"generate", path, "--prompt", prompt, "--length", "80", "--seed", "2"});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QVERIFY(r.out.endsWith('\n'));
        const QString text = r.out.chopped(1);
        QVERIFY2(text.startsWith(prompt), qPrintable(text));
        QCOMPARE(text.size(), prompt.size() + 80);
        for (QChar c : text) QVERIFY2(vocabulary.contains(c), qPrintable(QString("'%1' in %2").arg(c).arg(text)));
    }

    void same_seed_same_history() {
        QTemporaryDir dir;
        const QString path = create(dir, "moons");
        const QJsonArray a = train_json(path, {"--epochs", "5"})["history"].toArray();
        const QJsonArray b = train_json(path, {"--epochs", "5"})["history"].toArray();
        QCOMPARE(a.size(), 5);
        for (int i = 0; i < a.size(); ++i)
            QCOMPARE(a[i].toObject()["train_loss"].toDouble(), b[i].toObject()["train_loss"].toDouble());
        const QJsonArray c = train_json(path, {"--epochs", "5", "--seed", "7"})["history"].toArray();
        QVERIFY(c[0].toObject()["train_loss"].toDouble() != a[0].toObject()["train_loss"].toDouble());
    }

    void info_and_dump() {
        QTemporaryDir dir;
        const QString path = create(dir, "digits-cnn");
        const Result text = run_neura({"info", path});
        QCOMPARE(text.code, 0);
        QVERIFY(text.out.contains("conv1") && text.out.contains("[B, 16, 8, 8]") && text.out.contains("Total params: 6090"));
        const QJsonObject j = QJsonDocument::fromJson(run_neura({"info", path, "--json"}).out.toUtf8()).object();
        // PyTorch: Conv2d(1,16,3)=160, Conv2d(16,32,3)=4640, Linear(128,10)=1290.
        QCOMPARE(j["total_parameters"].toInt(), 6090);
        const Result dump = run_neura({"dump", path});
        QCOMPARE(dump.code, 0);
        QVERIFY(QJsonDocument::fromJson(dump.out.toUtf8()).object()["format_version"].toInt() == 1);
    }

    void info_lists_the_devices_or_why_there_are_none() {
        const Result text = run_neura({"info"});
        QCOMPARE(text.code, 0);
        QVERIFY2(text.out.contains("Devices: cpu"), qPrintable(text.out));
        const QJsonObject j = QJsonDocument::fromJson(run_neura({"info", "--json"}).out.toUtf8()).object();
        const QJsonObject d = j["devices"].toObject();
        QCOMPARE(d["cuda_built"].toBool(), neura::cuda::built_with_cuda());
        QCOMPARE(d["cuda_devices"].toArray().size(), neura::cuda::device_count());
        if (neura::cuda::device_count() == 0) {
            const QString reason = QString::fromStdString(neura::cuda::unavailable_reason());
            QVERIFY2(text.out.contains(reason), qPrintable(text.out));
            QCOMPARE(d["cuda_unavailable"].toString(), reason);
        } else {
            QVERIFY2(text.out.contains("cuda:0"), qPrintable(text.out));
        }
    }

    void gradcheck_passes_on_every_layer() {
        QTemporaryDir dir;
        const QString path = create(dir, "digits-cnn");
        const Result r = run_neura({"gradcheck", path, "--json"});
        QCOMPARE(r.code, 0);
        const QJsonObject j = QJsonDocument::fromJson(r.out.toUtf8()).object();
        QVERIFY(j["passed"].toBool());
        QCOMPARE(j["layers"].toArray().size(), 8);  // conv, relu, pool, conv, relu, pool, flatten, linear
        for (const auto& l : j["layers"].toArray()) QVERIFY(l.toObject()["passed"].toBool());
    }

    void exit_codes_and_messages() {
        QCOMPARE(run_neura({}).code, 2);
        QCOMPARE(run_neura({"frobnicate"}).code, 2);
        QCOMPARE(run_neura({"train"}).code, 2);
        QTemporaryDir dir;
        const QString path = create(dir, "xor");
        Result r = run_neura({"train", path, "--epochs", "many"});
        QCOMPARE(r.code, 2);
        QVERIFY(r.err.contains("--epochs expects a number"));
        r = run_neura({"train", path, "--optimizer", "Adagrad"});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("unknown optimizer 'Adagrad'"), qPrintable(r.err));
        // A GPU that is not there (any GPU on a machine without one): a clear error, exit code 1.
        const QString missing = neura::cuda::device_count() > 0 ? "cuda:99" : "cuda:0";
        r = run_neura({"train", path, "--device", missing});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains(missing) && r.err.contains("not available"), qPrintable(r.err));
        if (neura::cuda::device_count() == 0)
            QVERIFY2(r.err.contains(QString::fromStdString(neura::cuda::unavailable_reason())), qPrintable(r.err));
        // A file that is not a project: a clear message, nothing written.
        const QString junk = dir.filePath("junk.neura");
        QFile f(junk);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(QByteArray(5000, 'x'));
        f.close();
        r = run_neura({"train", junk});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("not a NeuraStudio project"), qPrintable(r.err));
        QCOMPARE(QFileInfo(junk).size(), 5000);
        r = run_neura({"create", path, "--model", kSrc + "xor.model.json"});
        QCOMPARE(r.code, 1);
        QVERIFY(r.err.contains("exists already"));
        r = run_neura({"create", dir.filePath("x.neura"), "--model", kSrc + "xor.model.json", "--dataset", "spiral,n=-3"});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("n"), qPrintable(r.err));
        // Variable-length tokens are padded with the token vocab: an Embedding of vocab rows is told so.
        const QString padded = dir.filePath("padded.neura");
        r = run_neura({"create", padded, "--model", kSrc + "reverse-transformer.model.json", "--dataset",
                       "reverse,n=100,length=8,vocab=10,min_length=3"});
        QCOMPARE(r.code, 0);
        r = run_neura({"train", padded, "--epochs", "1"});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("Embedding 'embed' has 10 rows") && r.err.contains("padding token") &&
                     r.err.contains("at least 11"),
                 qPrintable(r.err));
    }

    void hostile_files_get_exit_1_and_a_sentence() {
        // Each file of issue 13: exit 1 (never a signal), a message naming the file and the problem, and
        // no project written or changed.
        QTemporaryDir dir;
        auto write = [&](const QString& name, const QByteArray& bytes) {
            QFile f(dir.filePath(name));
            if (!f.open(QIODevice::WriteOnly)) qFatal("cannot write %s", qPrintable(name));
            f.write(bytes);
            return dir.filePath(name);
        };
        QFile src(kSrc + "moons.model.json");
        QVERIFY(src.open(QIODevice::ReadOnly));
        QJsonObject model = QJsonDocument::fromJson(src.readAll()).object();
        QVERIFY(!model.isEmpty());
        const QString out = dir.filePath("p.neura");

        // A layout nested 100,000 objects deep (crashed `neura create` with a segfault).
        QByteArray text = QJsonDocument(model).toJson(QJsonDocument::Compact);
        text.chop(1);
        text += ",\"layout\":" + QByteArray("{\"a\":").repeated(100000) + "1" + QByteArray("}").repeated(100000) + "}";
        const QString deep = write("deep.model.json", text);
        Result r = run_neura({"create", out, "--model", deep});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains(deep) && r.err.contains("nests deeper than 64 levels"), qPrintable(r.err));
        QVERIFY(!QFile::exists(out));
        // The same in a training config.
        const QString deepConfig = write("deep.config.json", "{\"epochs\": " + QByteArray("[").repeated(100000) +
                                                                 QByteArray("]").repeated(100000) + "}");
        r = run_neura({"create", out, "--model", kSrc + "moons.model.json", "--config", deepConfig});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains(deepConfig) && r.err.contains("nests deeper"), qPrintable(r.err));

        // IDX sizes [512, 2^31, 2^24] in 16 bytes (accepted, then std::bad_alloc in training).
        const QString bomb = write("bomb-idx3-ubyte",
                                   QByteArray("\x00\x00\x08\x03\x00\x00\x02\x00\x80\x00\x00\x00\x01\x00\x00\x00", 16));
        const QString labels = write("labels-idx1-ubyte", QByteArray("\x00\x00\x08\x01\x00\x00\x00\x01\x00", 9));
        r = run_neura({"create", out, "--model", kSrc + "moons.model.json", "--dataset",
                       "idx,images=" + bomb + ",labels=" + labels});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains(bomb) && r.err.contains("multiply past 2^64"), qPrintable(r.err));
        QVERIFY(!QFile::exists(out));

        // A gzip bomb: a header declaring 4 labels, then 8 MiB of zeros, in a file of a few KiB.
        {
            QTemporaryFile raw;
            QVERIFY(raw.open());
            raw.write(QByteArray("\x00\x00\x08\x01\x00\x00\x00\x04", 8) + QByteArray(8 << 20, '\0'));
            raw.close();
            const QString gz = dir.filePath("bomb-idx1-ubyte.gz");
            QProcess gzip;
            gzip.setStandardOutputFile(gz);
            gzip.start("gzip", {"-9", "-c", raw.fileName()});
            QVERIFY(gzip.waitForFinished(60000) && gzip.exitCode() == 0);
            QVERIFY(QFileInfo(gz).size() < 64 * 1024);
            r = run_neura({"create", out, "--model", kSrc + "moons.model.json", "--dataset",
                           "idx,images=" + gz + ",labels=" + labels});
            QCOMPARE(r.code, 1);
            QVERIFY2(r.err.contains(gz) && r.err.contains("decompresses to more"), qPrintable(r.err));
            QVERIFY(!QFile::exists(out));
        }

        // A model that asks for 38e9 parameters: refused by the budget before anything is allocated.
        QJsonArray nodes = model["nodes"].toArray();
        for (int i = 0; i < nodes.size(); ++i) {
            QJsonObject n = nodes[i].toObject();
            if (n["name"].toString() != "fc2") continue;
            QJsonObject a = n["attributes"].toObject();
            a["out_features"] = 2000000000;
            n["attributes"] = a;
            nodes[i] = n;
        }
        model["nodes"] = nodes;
        const QString big = write("big.model.json", QJsonDocument(model).toJson());
        const QString bigProject = dir.filePath("big.neura");
        QCOMPARE(run_neura({"create", bigProject, "--model", big}).code, 0);  // a model with errors can be kept
        const QByteArray before = [&] {
            QFile f(bigProject);
            return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
        }();
        for (const char* cmd : {"train", "gradcheck"}) {
            r = run_neura({cmd, bigProject});
            QCOMPARE(r.code, 1);
            QVERIFY2(r.err.contains(bigProject) && r.err.contains("more than the budget of 250,000,000"), qPrintable(r.err));
        }
        QFile after(bigProject);
        QVERIFY(after.open(QIODevice::ReadOnly));
        QCOMPARE(after.readAll(), before);
    }

    void nan_stops_training_and_names_a_node() {
        QTemporaryDir dir;
        const QString path = create(dir, "digits-cnn");
        QCOMPARE(run_neura({"train", path, "--epochs", "1"}).code, 0);
        const QByteArray trained = run_neura({"gradcheck", path, "--json"}).out.toUtf8();
        const Result r = run_neura({"train", path, "--json", "--lr", "1e30", "--optimizer", "SGD", "--epochs", "3"});
        QCOMPARE(r.code, 1);
        const QJsonObject j = QJsonDocument::fromJson(r.out.toUtf8()).object();
        QCOMPARE(j["status"].toString(), QString("diverged"));
        QVERIFY2(j["message"].toString().contains("not finite") && j["message"].toString().contains("node '"),
                 qPrintable(j["message"].toString()));
        // The good weights survive the failed run, and the run is in the history as failed.
        QCOMPARE(run_neura({"gradcheck", path, "--json"}).out.toUtf8(), trained);
        const QJsonObject info = QJsonDocument::fromJson(run_neura({"info", path, "--json"}).out.toUtf8()).object();
        QCOMPARE(info["runs"].toInt(), 2);
    }
};

QTEST_GUILESS_MAIN(TestCli)
#include "tst_cli.moc"
