// `neura generate`, driven as a user would: a tiny character model (Embedding → LSTM → LastStep →
// Linear) on a small corpus, created and trained with `neura create` / `neura train`, then asked to
// continue a prompt; and the exit codes and sentences for bad input.
#include <QtTest>

#include "common/TestSupport.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QSet>
#include <QTemporaryDir>

#include "neura/graph/ModelGraph.h"
#include "neura/graph/ModelJson.h"

namespace {

using Result = neura::test::ProcessResult;

Result run_neura(const QStringList& args, int timeout_ms = neura::test::kHangGuardMs) {
    return neura::test::run_process(NEURA_CLI_PATH, args, timeout_ms);
}

// 11 characters: the vocabulary of the corpus, sorted ('\n' and ' ' first).
const QString kLine = QStringLiteral("hello world, hold the door\n");
const QString kVocabulary = QStringLiteral("\n ,dehlortw");

bool write(const QString& path, const QByteArray& bytes) {
    QFile f(path);
    return f.open(QIODevice::WriteOnly) && f.write(bytes) == bytes.size();
}

// Input [8] → Embedding(V, 8) → LSTM(24) → LastStep → Linear(V) → CrossEntropyLoss.
std::string char_model(std::int64_t vocab, std::int64_t out) {
    using namespace neura::graph;
    ModelGraph g;
    const NodeId in = g.add_node("Input", "input", {{"shape", std::vector<std::int64_t>{8}}});
    const NodeId e = g.add_node("Embedding", "emb", {{"num_embeddings", vocab}, {"embedding_dim", std::int64_t{8}}});
    const NodeId lstm = g.add_node("LSTM", "lstm", {{"hidden_size", std::int64_t{24}}});
    const NodeId last = g.add_node("LastStep", "last");
    const NodeId fc = g.add_node("Linear", "fc", {{"out_features", out}});
    const NodeId loss = g.add_node("Loss", "loss", {{"type", std::string("CrossEntropyLoss")}});
    g.add_edge(in, e);
    g.add_edge(e, lstm);
    g.add_edge(lstm, last);
    g.add_edge(last, fc);
    g.add_edge(fc, loss);
    return to_json(g);
}

// A project in `dir` named `name` over the corpus; empty on failure.
QString create(const QTemporaryDir& dir, const QString& name, std::int64_t out, const QString& dataset = {}) {
    const QString corpus = dir.filePath("corpus.txt");
    if (!QFile::exists(corpus) && !write(corpus, kLine.repeated(40).toUtf8())) return {};
    const QString model = dir.filePath(name + ".model.json");
    const QString config = dir.filePath("config.json");
    // normalize off: the features are indices (training leaves them unstandardized anyway).
    if (!write(model, QByteArray::fromStdString(char_model(kVocabulary.size(), out))) ||
        !write(config, R"({"epochs": 12, "batch_size": 32, "optimizer": "Adam", "lr": 0.02, "seed": 1,
                         "val_fraction": 0, "normalize": false})"))
        return {};
    const QString path = dir.filePath(name + ".neura");
    const Result r = run_neura({"create", path, "--model", model, "--config", config, "--dataset",
                                dataset.isEmpty() ? "text,path=" + corpus + ",length=8,stride=1" : dataset});
    if (r.code != 0) qWarning() << r.err;
    return r.code == 0 ? path : QString();
}

}  // namespace

class TestCliGenerate : public QObject {
    Q_OBJECT
private:
    QTemporaryDir dir_;
    QString trained_;

private slots:
    void initTestCase() {
        QVERIFY(dir_.isValid());
        trained_ = create(dir_, "chars", kVocabulary.size());
        QVERIFY(!trained_.isEmpty());
        const Result r = run_neura({"train", trained_, "--json"});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        const QJsonObject j = QJsonDocument::fromJson(r.out.toUtf8()).object();
        QCOMPARE(j["status"].toString(), QString("completed"));
    }

    void continuesThePromptWithTheVocabulary() {
        const Result r = run_neura({"generate", trained_, "--prompt", "hello", "--length", "60", "--seed", "3"});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QVERIFY2(r.err.isEmpty(), qPrintable(r.err));  // trained: no warning
        QVERIFY(r.out.endsWith('\n'));
        const QString text = r.out.chopped(1);
        QVERIFY2(text.startsWith("hello"), qPrintable(text));
        QCOMPARE(text.size(), 5 + 60);
        for (QChar c : text) QVERIFY2(kVocabulary.contains(c), qPrintable(QString("'%1' in %2").arg(c).arg(text)));
        // The same seed, the same text.
        QCOMPARE(run_neura({"generate", trained_, "--prompt", "hello", "--length", "60", "--seed", "3"}).out, r.out);
    }

    void greedyContinuesTheCorpusItLearned() {
        // The corpus is one line repeated: after 12 epochs the most likely next character is the
        // corpus's, so greedy decoding reproduces it (the untrained model does not: see below).
        const Result r = run_neura({"generate", trained_, "--prompt", "hello world, h", "--length", "40",
                                    "--temperature", "0", "--seed", "5"});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        const QString want = (kLine.repeated(3)).mid(0, 14 + 40);
        QCOMPARE(r.out, want + "\n");
        // Top-k 1 at temperature 1 keeps only the most likely character: the greedy text again.
        QCOMPARE(run_neura({"generate", trained_, "--prompt", "hello world, h", "--length", "40", "--top-k", "1",
                            "--seed", "9"})
                     .out,
                 r.out);
        // The seed does not matter to greedy decoding.
        QCOMPARE(run_neura({"generate", trained_, "--prompt", "hello world, h", "--length", "40", "--temperature", "0",
                            "--seed", "6"})
                     .out,
                 r.out);
    }

    void untrainedProjectsWarn() {
        QTemporaryDir dir;
        const QString path = create(dir, "fresh", kVocabulary.size());
        const Result r = run_neura({"generate", path, "--prompt", "hello world, h", "--length", "40", "--temperature", "0"});
        QCOMPARE(r.code, 0);
        QVERIFY2(r.err.contains("has not been trained"), qPrintable(r.err));
        QVERIFY(r.out != (kLine.repeated(3)).mid(0, 14 + 40) + "\n");
        // An empty prompt is allowed: the model starts from a blank line.
        const Result e = run_neura({"generate", path, "--prompt", "", "--length", "7"});
        QCOMPARE(e.code, 0);
        QCOMPARE(e.out.size(), 7 + 1);
    }

    void badInputGetsASentence() {
        // Exit 1: the input is wrong.
        Result r = run_neura({"generate", trained_, "--prompt", QString::fromUtf8("hello €")});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains(QString::fromUtf8("the prompt has a character that the text's vocabulary (11 characters) "
                                                  "does not have: '€' (U+20AC)")),
                 qPrintable(r.err));
        QVERIFY(r.out.isEmpty());  // nothing printed before the error
        r = run_neura({"generate", trained_, "--prompt", "hello", "--temperature", "-1"});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("the temperature must be a number >= 0"), qPrintable(r.err));
        QVERIFY(r.out.isEmpty());
        r = run_neura({"generate", trained_, "--prompt", "hello", "--length", "2.5"});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("--length expects a whole number >= 0, got '2.5'"), qPrintable(r.err));
        r = run_neura({"generate", trained_, "--prompt", "hello", "--length", "2000000"});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("the length must be in [0, 1000000]"), qPrintable(r.err));

        QTemporaryDir dir;
        const QString wide = create(dir, "wide", 20);
        r = run_neura({"generate", wide, "--prompt", "hello"});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("the model's output has 20 values per sample but the text's vocabulary has 11 "
                                "characters"),
                 qPrintable(r.err));
        const QString spiral = create(dir, "spiral", kVocabulary.size(), "spiral");
        r = run_neura({"generate", spiral, "--prompt", "hello"});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("the project's dataset is 'spiral', not 'text'") && r.err.contains(spiral),
                 qPrintable(r.err));

        // Exit 2: the command line itself is wrong (as every command).
        r = run_neura({"generate", trained_});
        QCOMPARE(r.code, 2);
        QVERIFY2(r.err.contains("'generate' needs --prompt TEXT"), qPrintable(r.err));
        r = run_neura({"generate", trained_, "--prompt", "hello", "--temperature", "hot"});
        QCOMPARE(r.code, 2);
        QVERIFY2(r.err.contains("--temperature expects a number, got 'hot'"), qPrintable(r.err));
        r = run_neura({"generate", trained_, "--prompt", "hello", "--top-n", "3"});
        QCOMPARE(r.code, 2);
        QVERIFY2(r.err.contains("unknown option --top-n for 'generate'"), qPrintable(r.err));
        r = run_neura({"generate", trained_, "--prompt", "hello", "--top-p", "0"});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("--top-p expects a number in (0, 1]"), qPrintable(r.err));
        r = run_neura({"generate", trained_, "--prompt", "hello", "--top-k", "2.5"});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("--top-k expects a whole number"), qPrintable(r.err));
    }
};

QTEST_GUILESS_MAIN(TestCliGenerate)
#include "tst_generate.moc"
