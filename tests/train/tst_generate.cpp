// Text generation (neura/train/Generate.h) with hand-built models whose logits are known: a
// "successor" model (the next character is the one after the window's last in the vocabulary) and a
// constant model (logits = a Linear's bias). Greedy output exactly, seeded sampling reproducible and
// distributed as softmax(logits / T), stop requests, and the errors in words.
#include <QTemporaryDir>
#include <QtTest>
#include <cmath>
#include <map>

#include "neura/autograd/GradMode.h"
#include "neura/core/Error.h"
#include "neura/graph/ModelJson.h"
#include "neura/graph/Network.h"
#include "neura/train/Experiment.h"
#include "neura/train/Generate.h"

using namespace neura;
using namespace neura::graph;
using neura::train::GenerateOptions;

namespace {

const std::vector<char32_t> kAbcd = {U'a', U'b', U'c', U'd'};

QString error_of(const std::function<void()>& fn) {
    try {
        fn();
    } catch (const Error& e) {
        return QString::fromUtf8(e.what());
    }
    return {};
}

void set_param(Network& net, const std::string& name, const std::vector<float>& values) {
    NoGradGuard ng;
    for (auto& [n, t] : net.named_parameters())
        if (n == name) {
            Tensor(t).copy_(Tensor::from_vector(values, t.shape()));
            return;
        }
    qFatal("no parameter %s", name.c_str());
}

// Input [window] → Embedding(V, V) → LastStep → Linear(V → out) → CrossEntropyLoss.
ModelGraph char_graph(std::int64_t window, std::int64_t vocab, std::int64_t out) {
    ModelGraph g;
    const NodeId in = g.add_node("Input", "input", {{"shape", std::vector<std::int64_t>{window}}});
    const NodeId e = g.add_node("Embedding", "emb", {{"num_embeddings", vocab}, {"embedding_dim", vocab}});
    const NodeId last = g.add_node("LastStep", "last");
    const NodeId fc = g.add_node("Linear", "fc", {{"out_features", out}});
    const NodeId loss = g.add_node("Loss", "loss", {{"type", std::string("CrossEntropyLoss")}});
    g.add_edge(in, e);
    g.add_edge(e, last);
    g.add_edge(last, fc);
    g.add_edge(fc, loss);
    return g;
}

// The embedding is the identity (one-hot of the last character); fc maps one-hot i to 10·one-hot of
// i + 1 (mod V): greedy generation walks the vocabulary.
train::TrainedModel successor_model(std::int64_t window, std::int64_t vocab) {
    train::TrainedModel m;
    m.graph = char_graph(window, vocab, vocab);
    m.network = compile(m.graph, 1);
    std::vector<float> eye(static_cast<std::size_t>(vocab * vocab), 0.f), next(eye.size(), 0.f);
    for (std::int64_t i = 0; i < vocab; ++i) {
        eye[static_cast<std::size_t>(i * vocab + i)] = 1.f;
        next[static_cast<std::size_t>(((i + 1) % vocab) * vocab + i)] = 10.f;  // weight[out, in]
    }
    set_param(m.network, "emb.weight", eye);
    set_param(m.network, "fc.weight", next);
    set_param(m.network, "fc.bias", std::vector<float>(static_cast<std::size_t>(vocab), 0.f));
    m.trained = true;
    m.network.eval();
    return m;
}

// Logits = `bias` whatever the input (fc's weight is zero).
train::TrainedModel constant_model(std::int64_t window, const std::vector<float>& bias) {
    const auto vocab = static_cast<std::int64_t>(bias.size());
    train::TrainedModel m;
    m.graph = char_graph(window, vocab, vocab);
    m.network = compile(m.graph, 1);
    set_param(m.network, "fc.weight", std::vector<float>(static_cast<std::size_t>(vocab * vocab), 0.f));
    set_param(m.network, "fc.bias", bias);
    m.trained = true;
    m.network.eval();
    return m;
}

GenerateOptions opts(std::string prompt, double temperature, std::int64_t length, std::uint64_t seed = 0) {
    GenerateOptions o;
    o.prompt = std::move(prompt);
    o.temperature = temperature;
    o.length = length;
    o.seed = seed;
    return o;
}

std::string generate(train::TrainedModel& m, const std::vector<char32_t>& vocab, const GenerateOptions& o) {
    return train::generate_text(m, vocab, o).generated;
}

}  // namespace

class TestGenerate : public QObject {
    Q_OBJECT
private slots:
    void greedyFollowsTheModelExactly() {
        auto m = successor_model(3, 4);
        QCOMPARE(generate(m, kAbcd, opts("ab", 0, 6)), std::string("cdabcd"));
        // A prompt longer than the window: only its last characters are the context.
        QCOMPARE(generate(m, kAbcd, opts("ddddc", 0, 3)), std::string("dab"));
        // No prompt: the window is padding, vocabulary[0] here (no '\n' or ' '), so 'b' comes first.
        QCOMPARE(generate(m, kAbcd, opts("", 0, 4)), std::string("bcda"));
        // '\n' in the vocabulary pads: its successor comes first.
        const std::vector<char32_t> withNewline = {U'\n', U' ', U'x'};
        auto n = successor_model(2, 3);
        QCOMPARE(generate(n, withNewline, opts("", 0, 3)), std::string(" x\n"));
        // The result: prompt, new characters, their indices; the callback sees each as it comes.
        std::string seen;
        train::GenerateCallbacks cb;
        cb.on_char = [&](const std::string& c) { seen += "[" + c + "]"; };
        const auto r = train::generate_text(m, kAbcd, opts("a", 0, 3), cb);
        QCOMPARE(r.prompt, std::string("a"));
        QCOMPARE(r.generated, std::string("bcd"));
        QCOMPARE(r.text(), std::string("abcd"));
        QCOMPARE(r.tokens, (std::vector<std::int64_t>{1, 2, 3}));
        QCOMPARE(seen, std::string("[b][c][d]"));
        QVERIFY(!r.stopped);
        QCOMPARE(generate(m, kAbcd, opts("abc", 0, 0)), std::string());
    }

    void greedyTakesTheFirstOfEqualMaxima() {
        auto m = constant_model(2, {0.f, 2.f, 2.f, 1.f});
        QCOMPARE(generate(m, kAbcd, opts("a", 0, 5)), std::string("bbbbb"));
    }

    void nonAsciiCharactersComeOutAsUtf8() {
        const std::vector<char32_t> vocab = {U'a', U'\u00e9', U'\u20ac'};  // a é €
        auto m = successor_model(2, 3);
        QCOMPARE(generate(m, vocab, opts("\xc3\xa9", 0, 3)), std::string("\xe2\x82\xac" "a" "\xc3\xa9"));
    }

    void veryLowTemperatureGivesTheArgmax() {
        auto m = constant_model(4, {0.5f, 1.0f, 3.0f, 2.9f});
        for (std::uint64_t seed : {0u, 1u, 2u})
            QCOMPARE(generate(m, kAbcd, opts("ab", 1e-4, 40, seed)), std::string(40, 'c'));
        // Far below any float's spacing: no overflow, still the argmax.
        QCOMPARE(generate(m, kAbcd, opts("ab", 1e-300, 10, 3)), std::string(10, 'c'));
        auto s = successor_model(3, 4);
        QCOMPARE(generate(s, kAbcd, opts("ab", 1e-3, 6, 9)), std::string("cdabcd"));
        // At T = 1 the near tie (3.0 vs 2.9) gives 'd' often.
        QVERIFY(generate(m, kAbcd, opts("ab", 1.0, 200, 0)).find('d') != std::string::npos);
    }

    void samplingIsReproducibleForASeed() {
        auto m = constant_model(3, {0.f, 0.f, 0.f, 0.f});
        const std::string a = generate(m, kAbcd, opts("a", 1.0, 64, 7));
        QCOMPARE(a.size(), std::size_t{64});
        QCOMPARE(generate(m, kAbcd, opts("a", 1.0, 64, 7)), a);
        QVERIFY(generate(m, kAbcd, opts("a", 1.0, 64, 8)) != a);
        // The successor model at a high temperature: sampled, yet the same text for the same seed.
        auto s = successor_model(3, 4);
        const std::string b = generate(s, kAbcd, opts("ab", 5.0, 64, 1));
        QCOMPARE(generate(s, kAbcd, opts("ab", 5.0, 64, 1)), b);
        QVERIFY(b != "cdabcdabcdabcdabcdabcdabcdabcdabcdabcdabcdabcdabcdabcdabcdabcdab");
    }

    void samplesFollowSoftmaxOfLogitsOverTemperature() {
        const std::vector<float> logits = {std::log(0.1f), std::log(0.2f), std::log(0.3f), std::log(0.4f)};
        auto m = constant_model(2, logits);
        for (double t : {1.0, 0.5, 2.0}) {
            const std::string s = generate(m, kAbcd, opts("a", t, 8000, 11));
            std::vector<double> p(4);
            double total = 0;
            for (int i = 0; i < 4; ++i) total += p[i] = std::exp(logits[i] / t);
            for (int i = 0; i < 4; ++i) {
                const double want = p[i] / total;
                const double got = static_cast<double>(std::count(s.begin(), s.end(), static_cast<char>('a' + i))) / 8000;
                QVERIFY2(std::abs(got - want) < 0.02,
                         qPrintable(QString("T %1, '%2': %3, softmax %4").arg(t).arg(QChar('a' + i)).arg(got).arg(want)));
            }
        }
    }

    // Probabilities 0.4, 0.3, 0.2, 0.1 (in index order d, c, b, a below): top-k keeps the k largest,
    // top-p the fewest whose sum reaches p, both renormalized; worked out by hand.
    void topKAndTopPKeepTheMostLikely() {
        const std::vector<double> logits = {std::log(0.1), std::log(0.2), std::log(0.3), std::log(0.4)};
        auto near = [](const std::vector<double>& got, const std::vector<double>& want) {
            if (got.size() != want.size()) return false;
            for (std::size_t k = 0; k < got.size(); ++k)
                if (std::abs(got[k] - want[k]) > 1e-12) return false;
            return true;
        };
        QVERIFY(near(train::sampling_distribution(logits, 1.0), {0.1, 0.2, 0.3, 0.4}));
        QVERIFY(near(train::sampling_distribution(logits, 1.0, 2), {0, 0, 0.3 / 0.7, 0.4 / 0.7}));
        QVERIFY(near(train::sampling_distribution(logits, 1.0, 1), {0, 0, 0, 1}));
        QVERIFY(near(train::sampling_distribution(logits, 1.0, 0, 0.4), {0, 0, 0, 1}));          // 0.4 reaches 0.4
        QVERIFY(near(train::sampling_distribution(logits, 1.0, 0, 0.5), {0, 0, 0.3 / 0.7, 0.4 / 0.7}));
        QVERIFY(near(train::sampling_distribution(logits, 1.0, 0, 0.75), {0, 2.0 / 9, 3.0 / 9, 4.0 / 9}));
        QVERIFY(near(train::sampling_distribution(logits, 1.0, 2, 0.95), {0, 0, 0.3 / 0.7, 0.4 / 0.7}));  // k first
        QVERIFY(near(train::sampling_distribution(logits, 0.0, 3, 0.5), {0, 0, 0, 1}));          // greedy
        QVERIFY_THROWS_EXCEPTION(Error, train::sampling_distribution(logits, 1.0, -1));
        QVERIFY_THROWS_EXCEPTION(Error, train::sampling_distribution(logits, 1.0, 0, 0.0));
        QVERIFY_THROWS_EXCEPTION(Error, train::sampling_distribution(logits, 1.0, 0, 1.5));
        // Generating with top-k 2 draws only c and d, about 3 : 4.
        auto m = constant_model(2, {std::log(0.1f), std::log(0.2f), std::log(0.3f), std::log(0.4f)});
        GenerateOptions o = opts("a", 1.0, 4000, 3);
        o.top_k = 2;
        const std::string s = generate(m, kAbcd, o);
        QCOMPARE(std::count(s.begin(), s.end(), 'a') + std::count(s.begin(), s.end(), 'b'), std::ptrdiff_t{0});
        const double c = static_cast<double>(std::count(s.begin(), s.end(), 'c')) / 4000;
        QVERIFY2(std::abs(c - 3.0 / 7) < 0.03, qPrintable(QString::number(c)));
    }

    void stopEndsItEarly() {
        auto m = successor_model(3, 4);
        train::StopToken stop;
        stop.request_stop();
        auto r = train::generate_text(m, kAbcd, opts("a", 0, 10), {}, &stop);
        QVERIFY(r.stopped);
        QCOMPARE(r.generated, std::string());

        train::StopToken later;
        train::GenerateCallbacks cb;
        int n = 0;
        cb.on_char = [&](const std::string&) {
            if (++n == 3) later.request_stop();
        };
        r = train::generate_text(m, kAbcd, opts("a", 1.0, 100), cb, &later);
        QVERIFY(r.stopped);
        QCOMPARE(r.tokens.size(), std::size_t{3});
    }

    void errorsInWords() {
        auto m = successor_model(3, 4);
        QString e = error_of([&] { generate(m, kAbcd, opts("abz\xe2\x82\xac z", 0, 3)); });
        QVERIFY2(e.contains("the prompt has characters that the text's vocabulary (4 characters) does not have") &&
                     e.contains("'z' (U+007A)") && e.contains(QString::fromUtf8("'€' (U+20AC)")) &&
                     e.contains(QString::fromUtf8("'␣' (U+0020)")) && e.count("U+007A") == 1,
                 qPrintable(e));
        e = error_of([&] { generate(m, kAbcd, opts("a\xff", 0, 3)); });
        QVERIFY2(e.contains("not UTF-8") && e.contains("byte 1"), qPrintable(e));
        e = error_of([&] { generate(m, kAbcd, opts("a", -1, 3)); });
        QVERIFY2(e.contains("temperature must be a number >= 0"), qPrintable(e));
        e = error_of([&] { generate(m, kAbcd, opts("a", std::nan(""), 3)); });
        QVERIFY2(e.contains("temperature"), qPrintable(e));
        e = error_of([&] { generate(m, kAbcd, opts("a", 1, -1)); });
        QVERIFY2(e.contains("length must be in [0, 1000000]"), qPrintable(e));

        // Output size ≠ vocabulary size.
        train::TrainedModel wide;
        wide.graph = char_graph(3, 4, 5);
        wide.network = compile(wide.graph, 1);
        e = error_of([&] { generate(wide, kAbcd, opts("a", 0, 3)); });
        QVERIFY2(e.contains("the model's output has 5 values per sample but the text's vocabulary has 4 characters"),
                 qPrintable(e));
        e = error_of([&] { generate(m, {U'a', U'b', U'c'}, opts("a", 0, 3)); });
        QVERIFY2(e.contains("has 4 values per sample but the text's vocabulary has 3"), qPrintable(e));

        // An Input that is not a window of indices.
        train::TrainedModel features;
        {
            ModelGraph g;
            const NodeId in = g.add_node("Input", "input", {{"shape", std::vector<std::int64_t>{3, 2}}});
            const NodeId f = g.add_node("Flatten", "flat");
            const NodeId fc = g.add_node("Linear", "fc", {{"out_features", std::int64_t{4}}});
            const NodeId loss = g.add_node("Loss", "loss", {{"type", std::string("CrossEntropyLoss")}});
            g.add_edge(in, f);
            g.add_edge(f, fc);
            g.add_edge(fc, loss);
            features.graph = g;
            features.network = compile(g, 1);
        }
        e = error_of([&] { generate(features, kAbcd, opts("a", 0, 3)); });
        QVERIFY2(e.contains("the model's Input takes samples of shape [3, 2]"), qPrintable(e));

        // Logits that cannot be sampled.
        auto nan = constant_model(2, {0.f, std::nanf(""), 0.f, 0.f});
        e = error_of([&] { generate(nan, kAbcd, opts("a", 1, 3)); });
        QVERIFY2(e.contains("output for character 1 holds nan (at vocabulary index 1)"), qPrintable(e));
    }

    void projectsNeedTheTextDataset() {
        QTemporaryDir dir;
        const QString file = dir.filePath("corpus.txt");
        {
            QFile f(file);
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write("abcd abcd abcd dcba\n");  // vocabulary: '\n', ' ', a, b, c, d
        }
        project::Project p;
        p.model_json = to_json(char_graph(4, 6, 6));
        train::DatasetSpec spec;
        spec.name = "text";
        spec.params = {{"path", file.toStdString()}, {"length", "4"}, {"stride", "1"}};
        p.dataset_json = spec.to_json();
        train::TextModel m = train::load_text_model(p);
        QCOMPARE(m.vocabulary, (std::vector<char32_t>{U'\n', U' ', U'a', U'b', U'c', U'd'}));
        QVERIFY(!m.model.trained);
        // Untrained, yet deterministic, and made of the vocabulary.
        const std::string a = train::generate_text(m, opts("abc", 1.0, 30, 4)).generated;
        QCOMPARE(train::generate_text(m, opts("abc", 1.0, 30, 4)).generated, a);
        QCOMPARE(a.size(), std::size_t{30});
        QVERIFY(a.find_first_not_of("\n abcd") == std::string::npos);

        train::DatasetSpec spiral;
        spiral.name = "spiral";
        project::Project q = p;
        q.dataset_json = spiral.to_json();
        QString e = error_of([&] { train::load_text_model(q); });
        QVERIFY2(e.contains("the project's dataset is 'spiral', not 'text'"), qPrintable(e));
        q.dataset_json.clear();
        e = error_of([&] { train::load_text_model(q); });
        QVERIFY2(e.contains("names no dataset"), qPrintable(e));
        q = p;
        q.model_json = to_json(char_graph(4, 6, 65));
        e = error_of([&] { train::load_text_model(q); });
        QVERIFY2(e.contains("65 values per sample but the text's vocabulary has 6 characters"), qPrintable(e));
    }
};

QTEST_APPLESS_MAIN(TestGenerate)
#include "tst_generate.moc"
