// The `neura` command line, driven as a user would: seeds, info and dump, gradcheck, exit codes and
// error messages, hostile files, NaN. The examples' training targets are in tst_examples.cpp and
// tst_char_lstm.cpp (their own CTest entries, so they run beside the rest under ctest -j).
#include <QtTest>

#include "cli/CliSupport.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTemporaryFile>

#include "neura/backend/Cuda.h"

using namespace neura::test::cli;

class TestCli : public QObject {
    Q_OBJECT
private slots:
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

    // Issue 17: CUDA is a module opened on first use (backend/CudaModule.h). The dynamic loader's own
    // account (LD_DEBUG=files: every object it maps) shows `neura --version` and a CPU training map no
    // CUDA library, while `neura info`, which lists the devices, opens the module in a CUDA build.
    void cuda_loads_only_when_devices_are_asked_for() {
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert("LD_DEBUG", "files");
        auto mapped = [&](const QStringList& args) {
            const Result r = neura::test::run_process(NEURA_CLI_PATH, args, neura::test::kHangGuardMs, env);
            if (r.code != 0) qWarning() << args << r.code << r.err.right(2000);
            QStringList objects;  // "file=libfoo.so.1 [0];  needed by ..." / "calling init: /path/libfoo.so"
            for (const QString& line : r.err.split('\n'))
                if (line.contains("file=") || line.contains("calling init:")) objects << line.trimmed();
            return objects.join('\n');
        };
        // The CUDA libraries by name (a folder's name in a path may say "cuda" without loading anything).
        auto maps_cuda = [](const QString& objects) {
            return objects.contains("libcudart") || objects.contains("libcublas") || objects.contains("libcuda.so") ||
                   objects.contains("libneura_cuda");
        };
        const QString version = mapped({"--version"});
        QVERIFY2(version.contains("libc.so"), qPrintable(version));  // the account is there
        QVERIFY2(!maps_cuda(version), qPrintable(version));
        QTemporaryDir dir;
        const QString path = create(dir, "xor");
        const QString train = mapped({"train", path, "--epochs", "1"});
        QVERIFY2(train.contains("libdnnl"), qPrintable(train));
        QVERIFY2(!maps_cuda(train), qPrintable(train));
        const QString info = mapped({"info"});
        QCOMPARE(info.contains("libneura_cuda.so"), neura::cuda::built_with_cuda());
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
