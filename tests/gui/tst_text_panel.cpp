// TextPanel (the Text dock), offscreen: on a project whose model's weights make the next character
// the successor of the window's last one in the vocabulary, greedy output is exact; sampled output is
// what train::generate_text gives for the same seed; Stop ends a long run; a prompt with unknown
// characters fails in words; the panel is disabled, with a sentence, for a dataset that is not text;
// and the main window has it as a dock in View ▸ Panels, following the Dataset dock's choice.
#include <QAction>
#include <QDockWidget>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QTextCursor>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

#include "QuietWindow.h"
#include "app/ScreenshotScript.h"
#include "neura/autograd/GradMode.h"
#include "neura/graph/ModelJson.h"
#include "neura/graph/Network.h"
#include "neura/train/Experiment.h"
#include "neura/train/Generate.h"
#include "panels/DatasetPanel.h"
#include "panels/TextPanel.h"

using namespace neura;
using neura::gui::TextPanel;

namespace {

constexpr int kWaitMs = 120000;
const QByteArray kCorpus = "abcd abcd\nabcd dcba\n";  // vocabulary '\n', ' ', a, b, c, d

// Input [4] → Embedding(6, 6) → LastStep → Linear(6) whose weights map one-hot i to 10·one-hot of i + 1.
project::Project successorProject(const QString& corpus) {
    using namespace neura::graph;
    ModelGraph g;
    const NodeId in = g.add_node("Input", "input", {{"shape", std::vector<std::int64_t>{4}}});
    const NodeId e = g.add_node("Embedding", "emb", {{"num_embeddings", std::int64_t{6}}, {"embedding_dim", std::int64_t{6}}});
    const NodeId last = g.add_node("LastStep", "last");
    const NodeId fc = g.add_node("Linear", "fc", {{"out_features", std::int64_t{6}}});
    const NodeId loss = g.add_node("Loss", "loss", {{"type", std::string("CrossEntropyLoss")}});
    g.add_edge(in, e);
    g.add_edge(e, last);
    g.add_edge(last, fc);
    g.add_edge(fc, loss);
    project::Project p;
    p.model_json = to_json(g);
    train::DatasetSpec spec;
    spec.name = "text";
    spec.params = {{"path", corpus.toStdString()}, {"length", "4"}, {"stride", "1"}};
    p.dataset_json = spec.to_json();
    std::vector<float> eye(36, 0.f), next(36, 0.f);
    for (int i = 0; i < 6; ++i) {
        eye[static_cast<std::size_t>(i * 6 + i)] = 1.f;
        next[static_cast<std::size_t>(((i + 1) % 6) * 6 + i)] = 10.f;
    }
    Network net = compile(g, 1);
    for (const auto& [name, t] : net.named_parameters()) {
        std::vector<float> values(static_cast<std::size_t>(t.numel()), 0.f);
        if (name == "emb.weight") values = eye;
        if (name == "fc.weight") values = next;
        p.weights.push_back({name, Tensor::from_vector(values, t.shape())});
    }
    return p;
}

train::GenerateOptions options(const std::string& prompt, double temperature, std::int64_t length, std::uint64_t seed) {
    train::GenerateOptions o;
    o.prompt = prompt;
    o.temperature = temperature;
    o.length = length;
    o.seed = seed;
    return o;
}

// Generate, then wait for finished or failed; true for finished.
bool runPanel(TextPanel& panel) {
    QSignalSpy finished(&panel, &TextPanel::finished);
    QSignalSpy failed(&panel, &TextPanel::failed);
    panel.generate();
    [&] { QTRY_VERIFY_WITH_TIMEOUT(!finished.isEmpty() || !failed.isEmpty(), kWaitMs); }();
    return !finished.isEmpty();
}

QPushButton* button(QWidget& w, const QString& text) {
    for (auto* b : w.findChildren<QPushButton*>())
        if (b->text() == text) return b;
    return nullptr;
}

}  // namespace

class TestTextPanel : public QObject {
    Q_OBJECT
private:
    QTemporaryDir dir_;
    QString corpus_;

private slots:
    void initTestCase() {
        QVERIFY(dir_.isValid());
        corpus_ = dir_.filePath("corpus.txt");
        QFile f(corpus_);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(kCorpus);
    }

    void greedyOutputIsExact() {
        TextPanel panel;
        const project::Project p = successorProject(corpus_);
        panel.setProjectSource([p] { return p; });
        QVERIFY(panel.isAvailable());
        QVERIFY(button(panel, "Generate")->isEnabled());
        QVERIFY(!button(panel, "Stop")->isEnabled());
        panel.setOptions(options("ab", 0.0, 9, 0));
        QVERIFY(runPanel(panel));
        // After 'b': c, d, then '\n' (index 0), ' ', a, b, ...
        QCOMPARE(panel.outputText(), QString("abcd\n abcd\n"));
        QVERIFY2(panel.statusText().contains("9 characters"), qPrintable(panel.statusText()));
        // The prompt in bold, the generated characters not.
        QPlainTextEdit* out = nullptr;
        for (auto* e : panel.findChildren<QPlainTextEdit*>())
            if (e->isReadOnly()) out = e;
        QVERIFY(out);
        QTextCursor c(out->document());
        c.setPosition(2);  // the format of the character before the position
        QCOMPARE(c.charFormat().fontWeight(), int(QFont::Bold));
        c.setPosition(3);
        QVERIFY(c.charFormat().fontWeight() != int(QFont::Bold));
        c.movePosition(QTextCursor::End);
        QVERIFY(c.charFormat().fontWeight() != int(QFont::Bold));
        QVERIFY(!panel.isRunning());
        QVERIFY(button(panel, "Generate")->isEnabled());
    }

    void sampledOutputIsTheEnginesForTheSeed() {
        TextPanel panel;
        project::Project p = successorProject(corpus_);
        // Softer weights: at temperature 1.5 the successor is likely but not certain.
        for (auto& w : p.weights)
            if (w.name == "fc.weight") {
                std::vector<float> v = w.tensor.to_vector<float>();
                for (float& x : v) x *= 0.2f;
                w.tensor = Tensor::from_vector(v, w.tensor.shape());
            }
        panel.setProjectSource([p] { return p; });
        panel.setOptions(options("dcba", 1.5, 300, 42));
        QVERIFY(runPanel(panel));
        train::TextModel m = train::load_text_model(p);
        const train::GenerateResult direct = train::generate_text(m, options("dcba", 1.5, 300, 42));
        QCOMPARE(panel.outputText(), QString::fromStdString(direct.text()));
        QVERIFY(panel.outputText() != QString("dcba") + QString("\n abcd").repeated(50));
        // Again with the same seed: the same text.
        QVERIFY(runPanel(panel));
        QCOMPARE(panel.outputText(), QString::fromStdString(direct.text()));
    }

    void stopEndsALongRun() {
        TextPanel panel;
        const project::Project p = successorProject(corpus_);
        panel.setProjectSource([p] { return p; });
        panel.setOptions(options("a", 1.0, 100000, 0));
        QSignalSpy finished(&panel, &TextPanel::finished);
        panel.generate();
        QVERIFY(panel.isRunning());
        QVERIFY(button(panel, "Stop")->isEnabled());
        QVERIFY(!button(panel, "Generate")->isEnabled());
        QTRY_VERIFY_WITH_TIMEOUT(panel.outputText().size() > 20, kWaitMs);  // it streams
        button(panel, "Stop")->click();
        QTRY_VERIFY_WITH_TIMEOUT(!finished.isEmpty(), kWaitMs);
        QVERIFY(!panel.isRunning());
        QVERIFY2(panel.statusText().startsWith("Stopped after"), qPrintable(panel.statusText()));
        QVERIFY(panel.outputText().size() < 100001);
        QVERIFY(panel.stopAndWait(0));
    }

    void unknownCharactersFailInWords() {
        TextPanel panel;
        const project::Project p = successorProject(corpus_);
        panel.setProjectSource([p] { return p; });
        panel.setOptions(options("abz", 0.0, 5, 0));
        QSignalSpy failed(&panel, &TextPanel::failed);
        QVERIFY(!runPanel(panel));
        QVERIFY2(failed.last().at(0).toString().contains("'z' (U+007A)"), qPrintable(failed.last().at(0).toString()));
        QVERIFY(panel.statusText().startsWith("Could not generate: the prompt has a character"));
    }

    void disabledWithASentenceWhenTheDatasetIsNotText() {
        TextPanel panel;
        project::Project p = successorProject(corpus_);
        train::DatasetSpec spiral;
        p.dataset_json = spiral.to_json();
        panel.setProjectSource([p] { return p; });
        QVERIFY(!panel.isAvailable());
        QVERIFY(!button(panel, "Generate")->isEnabled());
        QVERIFY2(panel.availability().contains("this project's dataset is 'spiral'"), qPrintable(panel.availability()));
        QCOMPARE(panel.statusText(), panel.availability());
        QSignalSpy started(&panel, &TextPanel::started);
        panel.generate();  // refused
        QCOMPARE(started.count(), 0);
    }

    void theMainWindowHasATextDock() {
        test::QuietWindow win;
        QDockWidget* dock = nullptr;
        for (auto* d : win.findChildren<QDockWidget*>())
            if (d->windowTitle() == "Text") dock = d;
        QVERIFY(dock);
        QCOMPARE(dock->widget(), static_cast<QWidget*>(win.textPanel()));
        bool inMenu = false;
        for (QAction* a : win.findChildren<QAction*>())
            if (a == dock->toggleViewAction() && !a->associatedObjects().isEmpty()) inMenu = true;
        QVERIFY(inMenu);
        // A new project's dataset is not text; choosing text in the Dataset dock enables the panel.
        QVERIFY(!win.textPanel()->isAvailable());
        QVERIFY(win.datasetPanel()->setDataset("text", {{"path", corpus_.toStdString()}, {"length", "4"}, {"stride", "1"}},
                                               true));
        QTRY_VERIFY(win.textPanel()->isAvailable());
        QVERIFY(win.datasetPanel()->setDataset("spiral", {}, true));
        QTRY_VERIFY(!win.textPanel()->isAvailable());
    }

    void aUserBuildsTrainsAndGenerates() {
        // The studio path end to end, as the screenshot script drives it: the text dataset, a small
        // LSTM model drawn on the canvas, standardization off, training, then the Text dock. The corpus
        // is one line repeated, so the trained model continues it exactly when greedy.
        const QString line = QStringLiteral("hello world, hold the door\n");
        const QString corpus = dir_.filePath("lines.txt");
        {
            QFile f(corpus);
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write(line.repeated(40).toUtf8());
        }
        const QString script = dir_.filePath("generate.script");
        {
            QFile f(script);
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write(QStringLiteral("new\n"
                                   "dataset text path=%1 length=8 stride=1\n"
                                   "add Embedding emb 200 0 num_embeddings=11 embedding_dim=8\n"
                                   "add LSTM lstm 400 0 hidden_size=24\n"
                                   "add LastStep last 600 0\n"
                                   "add Linear fc 800 0 out_features=11\n"
                                   "connect input emb\nconnect emb lstm\nconnect lstm last\nconnect last fc\n"
                                   "connect fc loss\n"
                                   "config epochs=12 batch_size=32 lr=0.02 optimizer=Adam seed=1 normalize=false\n"
                                   "train\n"
                                   "dock Text\n"
                                   "generate temperature=0 length=40 seed=3 hello world, h\n")
                        .arg(corpus)
                        .toUtf8());
        }
        test::QuietWindow win;
        win.setAutosaveInterval(0);
        QString error;
        QVERIFY2(gui::ScreenshotScript::run(win, script, &error), qPrintable(error));
        QVERIFY2(win.errors.isEmpty(), qPrintable(win.errors.join("\n")));
        QCOMPARE(win.textPanel()->outputText(), line.repeated(3).left(14 + 40));
        QVERIFY2(!win.textPanel()->statusText().contains("not been trained"), qPrintable(win.textPanel()->statusText()));
    }
};

QTEST_MAIN(TestTextPanel)
#include "tst_text_panel.moc"
