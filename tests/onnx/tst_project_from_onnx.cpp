// onnx::project_from_onnx, the one "ONNX model → project" path of `neura import` and the studio's
// File ▸ Import ONNX: a network exported here comes back as a project that loads, predicts what the
// original did (normalization included), and says what it holds. Needs no Python or Node.
#include <QtTest>

#include "common/TestSupport.h"

#include <QFile>
#include <QTemporaryDir>

#include <cmath>
#include <random>

#include "neura/core/Error.h"
#include "neura/core/Generator.h"
#include "neura/graph/ModelGraph.h"
#include "neura/graph/ModelJson.h"
#include "neura/graph/Network.h"
#include "neura/onnx/Export.h"
#include "neura/onnx/Import.h"
#include "neura/project/Project.h"
#include "neura/train/TrainConfig.h"
#include "neura/train/TrainedModel.h"

using namespace neura;
using graph::AttributeValue;
using graph::ModelGraph;
using graph::NodeId;
using IntList = std::vector<std::int64_t>;

namespace {

// Input [4] → Linear(8) → ReLU → Linear(3) → Loss(CrossEntropyLoss).
ModelGraph mlp() {
    ModelGraph g;
    const NodeId in = g.add_node("Input", "input", {{"shape", AttributeValue(IntList{4})}});
    const NodeId fc1 = g.add_node("Linear", "fc1", {{"out_features", AttributeValue(std::int64_t{8})}});
    const NodeId act = g.add_node("ReLU", "act");
    const NodeId fc2 = g.add_node("Linear", "fc2", {{"out_features", AttributeValue(std::int64_t{3})}});
    const NodeId loss = g.add_node("Loss", "loss", {{"type", AttributeValue(std::string("CrossEntropyLoss"))}});
    g.add_edge(in, fc1);
    g.add_edge(fc1, act);
    g.add_edge(act, fc2);
    g.add_edge(fc2, loss);
    return g;
}

Tensor features(std::int64_t rows, std::uint64_t seed) {
    Generator gen(seed);
    std::vector<float> v(static_cast<std::size_t>(rows * 4));
    std::normal_distribution<float> d(2.0f, 3.0f);
    for (auto& x : v) x = d(gen.engine());
    return Tensor::from_vector(v, {rows, 4});
}

double max_abs_diff(const Tensor& a, const Tensor& b) {
    const auto x = a.to_vector<double>(), y = b.to_vector<double>();
    double worst = 0;
    for (std::size_t k = 0; k < x.size(); ++k) worst = std::max(worst, std::abs(x[k] - y[k]));
    return worst;
}

}  // namespace

class TestProjectFromOnnx : public QObject {
    Q_OBJECT

private slots:
    void exported_model_comes_back_as_a_project() {
        const ModelGraph g = mlp();
        train::TrainedModel original;
        original.graph = g;
        original.network = graph::compile(g, 5);
        original.network.eval();
        original.normalization = data::Standardizer({1.0, -2.0, 0.5, 3.0}, {2.0, 0.5, 1.0, 4.0});
        onnx::ExportOptions o;
        o.normalization = original.normalization;
        QTemporaryDir dir;
        const std::string path = dir.filePath("mlp.onnx").toStdString();
        onnx::export_onnx(g, original.network, path, o);

        const onnx::ImportedProject imported = onnx::project_from_onnx(path);
        const project::Project& p = imported.project;
        // What the summary says is what the project holds.
        QCOMPARE(imported.node_count, g.node_count());
        QCOMPARE(graph::from_json(p.model_json).node_count(), imported.node_count);
        const std::size_t tensors =
            original.network.named_parameters().size() + original.network.named_buffers().size();
        QCOMPARE(imported.weight_count, tensors);
        QCOMPARE(p.weights.size(), tensors);
        QVERIFY(imported.normalization);
        // The normalization is the project's (metadata) and training keeps using it (normalize on).
        QVERIFY(p.metadata.count("normalization"));
        const data::Standardizer s = data::Standardizer::from_json(p.metadata.at("normalization"));
        QVERIFY(s.mean() == original.normalization->mean());
        QVERIFY(s.scale() == original.normalization->scale());
        QVERIFY(train::TrainConfig::from_json(p.train_config_json).normalize);
        // The output is a score vector per sample: CrossEntropyLoss by default.
        const ModelGraph back = graph::from_json(p.model_json);
        QVERIFY(back.node(back.find_node("loss")).attributes.at("type") ==
                AttributeValue(std::string("CrossEntropyLoss")));
        // No dataset, no layout: the caller chooses those.
        QVERIFY(p.dataset_json.empty());
        QVERIFY(p.layout_json.empty());

        // It loads as a trained model and predicts what the exported one did, on raw features.
        train::TrainedModel m = train::load_trained_model(p);
        QVERIFY(m.trained);
        const Tensor x = features(6, 3);
        const double diff = max_abs_diff(m.predict(x), original.predict(x));
        QVERIFY2(diff <= 1e-5, qPrintable(QString("max |diff| %1").arg(diff)));
    }

    void without_normalization_and_with_a_chosen_loss() {
        const ModelGraph g = mlp();
        graph::Network net = graph::compile(g, 9);
        net.eval();
        QTemporaryDir dir;
        const std::string path = dir.filePath("plain.onnx").toStdString();
        onnx::export_onnx(g, net, path);
        onnx::ImportOptions options;
        options.loss_type = "MSELoss";
        const onnx::ImportedProject imported = onnx::project_from_onnx(path, options);
        QVERIFY(!imported.normalization);
        QVERIFY(!imported.project.metadata.count("normalization"));
        QVERIFY(!train::TrainConfig::from_json(imported.project.train_config_json).normalize);
        const ModelGraph back = graph::from_json(imported.project.model_json);
        QVERIFY(back.node(back.find_node("loss")).attributes.at("type") == AttributeValue(std::string("MSELoss")));
    }

    void sequence_model_comes_back_as_a_project() {
        // Input [T, F] → LSTM (2 layers, bidirectional) → LastStep → Linear: the two ONNX LSTM ops become one
        // layer again (num_layers 2), with every weight, and the project predicts what the original did.
        ModelGraph g;
        const NodeId in = g.add_node("Input", "input", {{"shape", AttributeValue(IntList{6, 4})}});
        const NodeId rec = g.add_node("LSTM", "lstm",
                                      {{"hidden_size", AttributeValue(std::int64_t{5})},
                                       {"num_layers", AttributeValue(std::int64_t{2})},
                                       {"bidirectional", AttributeValue(true)}});
        const NodeId last = g.add_node("LastStep", "last");
        const NodeId fc = g.add_node("Linear", "head", {{"out_features", AttributeValue(std::int64_t{3})}});
        const NodeId loss = g.add_node("Loss", "loss", {{"type", AttributeValue(std::string("CrossEntropyLoss"))}});
        g.add_edge(in, rec);
        g.add_edge(rec, last);
        g.add_edge(last, fc);
        g.add_edge(fc, loss);
        train::TrainedModel original;
        original.graph = g;
        original.network = graph::compile(g, 4);
        original.network.eval();
        QTemporaryDir dir;
        const std::string path = dir.filePath("seq.onnx").toStdString();
        onnx::export_onnx(g, original.network, path);

        const onnx::ImportedProject imported = onnx::project_from_onnx(path);
        QCOMPARE(imported.node_count, g.node_count());
        QCOMPARE(imported.weight_count, original.network.named_parameters().size());
        const ModelGraph back = graph::from_json(imported.project.model_json);
        const graph::Node& lstm = back.node(back.find_node("lstm"));
        QCOMPARE(lstm.type, std::string("LSTM"));
        QVERIFY(lstm.attributes.at("num_layers") == AttributeValue(std::int64_t{2}));
        QVERIFY(lstm.attributes.at("bidirectional") == AttributeValue(true));
        QCOMPARE(back.node(back.find_node("last")).type, std::string("LastStep"));
        train::TrainedModel m = train::load_trained_model(imported.project);
        const Tensor x = Tensor::randn({5, 6, 4}, DType::F32, nullptr);
        const double diff = max_abs_diff(m.predict(x), original.predict(x));
        QVERIFY2(diff <= 1e-5, qPrintable(QString("max |diff| %1").arg(diff)));
    }

    void transformer_comes_back_as_one_layer() {
        // The exporter's decomposed TransformerEncoderLayer (pre-norm, GELU, causal mask) is matched as one
        // layer with its options and its twelve tensors.
        ModelGraph g;
        const NodeId in = g.add_node("Input", "input", {{"shape", AttributeValue(IntList{5, 8})}});
        const NodeId enc = g.add_node("TransformerEncoderLayer", "enc",
                                      {{"nhead", AttributeValue(std::int64_t{4})},
                                       {"dim_feedforward", AttributeValue(std::int64_t{12})},
                                       {"activation", AttributeValue(std::string("gelu"))},
                                       {"norm_first", AttributeValue(true)},
                                       {"causal", AttributeValue(true)}});
        const NodeId loss = g.add_node("Loss", "loss", {{"type", AttributeValue(std::string("MSELoss"))}});
        g.add_edge(in, enc);
        g.add_edge(enc, loss);
        train::TrainedModel original;
        original.graph = g;
        original.network = graph::compile(g, 6);
        original.network.eval();
        QTemporaryDir dir;
        const std::string path = dir.filePath("enc.onnx").toStdString();
        onnx::export_onnx(g, original.network, path);

        const onnx::ImportedProject imported = onnx::project_from_onnx(path);
        QCOMPARE(imported.node_count, g.node_count());
        QCOMPARE(imported.weight_count, std::size_t{12});
        const ModelGraph back = graph::from_json(imported.project.model_json);
        const graph::Node& n = back.node(back.find_node("enc"));
        QCOMPARE(n.type, std::string("TransformerEncoderLayer"));
        QVERIFY(n.attributes.at("nhead") == AttributeValue(std::int64_t{4}));
        QVERIFY(n.attributes.at("dim_feedforward") == AttributeValue(std::int64_t{12}));
        QVERIFY(n.attributes.at("activation") == AttributeValue(std::string("gelu")));
        QVERIFY(n.attributes.at("norm_first") == AttributeValue(true));
        QVERIFY(n.attributes.at("causal") == AttributeValue(true));
        train::TrainedModel m = train::load_trained_model(imported.project);
        const Tensor x = Tensor::randn({3, 5, 8});
        const double diff = max_abs_diff(m.predict(x), original.predict(x));
        QVERIFY2(diff <= 1e-5, qPrintable(QString("max |diff| %1").arg(diff)));
    }

    void unreadable_files_are_errors_naming_the_file() {
        QTemporaryDir dir;
        const QString junk = dir.filePath("junk.onnx");
        QFile f(junk);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("this is not protobuf");
        f.close();
        QString err = neura::test::error_of([&] { onnx::project_from_onnx(junk.toStdString()); });
        QVERIFY2(err.contains(junk) && err.contains("not an ONNX model"), qPrintable(err));
        const QString missing = dir.filePath("missing.onnx");
        err = neura::test::error_of([&] { onnx::project_from_onnx(missing.toStdString()); });
        QVERIFY2(err.contains(missing), qPrintable(err));
    }
};

QTEST_GUILESS_MAIN(TestProjectFromOnnx)
#include "tst_project_from_onnx.moc"
