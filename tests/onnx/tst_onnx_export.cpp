// ONNX export judged by ONNX Runtime: for one small network per layer type and for every example
// project, the exported model plus the engine's output on random inputs are written in ONNX's
// backend-test layout (model.onnx, test_data_set_0/input_0.pb, output_0.pb); Python's
// onnx.checker.check_model(full_check=True) and ONNX Runtime (tests/onnx/ort_check.js under Node) must
// both pass, within 1e-4. The tools come from tools/setup-debian.sh; when one is missing every test
// fails saying so. Also: `neura run` on malformed TensorProto files gives clear errors, never a crash.
#include <QtTest>

#include "common/LayerGraphs.h"
#include "common/TestSupport.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>

#include <cmath>
#include <algorithm>
#include <functional>
#include <random>

#include "neura/autograd/GradMode.h"
#include "neura/core/Error.h"
#include "neura/graph/LayerRegistry.h"
#include "neura/graph/ModelGraph.h"
#include "neura/graph/ModelJson.h"
#include "neura/graph/Network.h"
#include "neura/onnx/Export.h"
#include "neura/onnx/Import.h"
#include "neura/onnx/TensorFile.h"
#include "neura/project/Project.h"
#include "neura/train/Experiment.h"
#include "neura/train/TrainedModel.h"

using namespace neura;
using graph::AttributeMap;
using graph::AttributeValue;
using graph::ModelGraph;
using graph::NodeId;
using graph::PortIndex;
using IntList = std::vector<std::int64_t>;
using namespace neura::test;

namespace {

const QString kPython = QStringLiteral("/usr/bin/python3");  // Debian's: it sees python3-onnx
const QString kCheckScript = QStringLiteral(NEURA_SOURCE_DIR "/tests/onnx/check_model.py");
const QString kOrtScript = QStringLiteral(NEURA_SOURCE_DIR "/tests/onnx/ort_check.js");
const QString kTorchScript = QStringLiteral(NEURA_SOURCE_DIR "/tests/onnx/torch_models.py");
constexpr double kAtol = 1e-4;

using Result = neura::test::ProcessResult;

Result run(const QString& program, const QStringList& args, int timeout_ms = neura::test::kHangGuardMs) {
    return neura::test::run_process(program, args, timeout_ms);
}

Result cli(const QStringList& args) { return run(NEURA_CLI_PATH, args); }

QString node_program() {
    const QString found = QStandardPaths::findExecutable("node");
    return found.isEmpty() ? QStringLiteral("/usr/bin/node") : found;
}

// Writes the backend-test layout under `dir`; returns "" or why it could not.
void write_case(const QString& dir, const std::string& model_bytes, const Tensor& input, const Tensor& output) {
    QDir().mkpath(dir + "/test_data_set_0");
    QFile f(dir + "/model.onnx");
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(model_bytes.data(), static_cast<qint64>(model_bytes.size()));
    f.close();
    onnx::write_tensor_file((dir + "/test_data_set_0/input_0.pb").toStdString(), input, "input");
    onnx::write_tensor_file((dir + "/test_data_set_0/output_0.pb").toStdString(), output, "output");
}

// The Python checker and ONNX Runtime on a case folder; returns ORT's worst absolute difference.
// `ours`: also the export's contract (IR 8, opset 17, "input"/"output", symbolic batch, producer).
double judge(const QString& dir, const QString& label, bool ours = true) {
    QStringList args = {kCheckScript, dir + "/model.onnx"};
    if (!ours) args.insert(1, "--checker-only");
    const Result py = run(kPython, args);
    if (py.code != 0) {
        QTest::qFail(qPrintable(QString("%1: onnx.checker failed: %2%3").arg(label, py.err, py.out)), __FILE__, __LINE__);
        return -1;
    }
    const Result ort = run(node_program(), {kOrtScript, dir, "--atol", QString::number(kAtol)});
    const QJsonObject j = QJsonDocument::fromJson(ort.out.toUtf8()).object();
    double worst = 0;
    for (const auto& o : j["outputs"].toArray()) worst = std::max(worst, o.toObject()["max_abs_diff"].toDouble(1e30));
    qInfo("%s: onnx.checker ok; ONNX Runtime max |diff| %.3g", qPrintable(label), worst);
    if (ort.code != 0) {
        QTest::qFail(qPrintable(QString("%1: ONNX Runtime check failed (exit %2): %3%4")
                                    .arg(label)
                                    .arg(ort.code)
                                    .arg(ort.err, ort.out)),
                     __FILE__, __LINE__);
        return -1;
    }
    return worst;
}

// Import: `neura import` the case's model.onnx into a project, `neura run` it on input_0.pb and compare
// with output_0.pb. Returns the worst absolute difference (-1 after a failure).
double import_and_run(const QString& dir, const QString& label) {
    const QString project = dir + "/imported.neura";
    const Result imp = cli({"import", dir + "/model.onnx", "-o", project, "--force"});
    if (imp.code != 0) {
        QTest::qFail(qPrintable(QString("%1: neura import failed: %2").arg(label, imp.err)), __FILE__, __LINE__);
        return -1;
    }
    // Imported without --dataset: there is nothing to train on, and training says so (no silent default).
    const Result train = cli({"train", project, "--epochs", "1"});
    if (train.code != 1 || !train.err.contains("names no dataset")) {
        QTest::qFail(qPrintable(QString("%1: neura train without a dataset: exit %2, %3").arg(label).arg(train.code).arg(train.err)),
                     __FILE__, __LINE__);
        return -1;
    }
    const Result r = cli({"run", project, "--input", dir + "/test_data_set_0/input_0.pb", "-o", dir + "/imported_output.pb"});
    if (r.code != 0) {
        QTest::qFail(qPrintable(QString("%1: neura run of the imported model failed: %2").arg(label, r.err)), __FILE__,
                     __LINE__);
        return -1;
    }
    const Tensor got = onnx::read_tensor_file((dir + "/imported_output.pb").toStdString());
    const Tensor want = onnx::read_tensor_file((dir + "/test_data_set_0/output_0.pb").toStdString());
    if (got.shape() != want.shape()) {
        QTest::qFail(qPrintable(QString("%1: imported model gives %2, expected %3")
                                    .arg(label, QString::fromStdString(shape_str(got.shape())),
                                         QString::fromStdString(shape_str(want.shape())))),
                     __FILE__, __LINE__);
        return -1;
    }
    const auto a = got.to_vector<double>(), b = want.to_vector<double>();
    double worst = 0;
    for (std::size_t k = 0; k < a.size(); ++k) worst = std::max(worst, std::abs(a[k] - b[k]));
    qInfo("%s: imported and run by the engine, max |diff| %.3g", qPrintable(label), worst);
    if (!(worst <= kAtol))
        QTest::qFail(qPrintable(QString("%1: imported model differs by %2").arg(label).arg(worst)), __FILE__, __LINE__);
    return worst;
}

// ---- small networks, one per layer type ----


std::vector<LayerCase> layer_cases() {
    std::vector<LayerCase> c;
    c.push_back({"Linear", [] {
                     GraphBuilder g({5});
                     g.add("Linear", "fc", {{"out_features", i(3)}});
                     return g.done();
                 }});
    c.push_back({"Linear_3d_no_bias", [] {  // [B, 4, 6]: MatMul + no bias
                     GraphBuilder g({4, 6});
                     g.add("Linear", "fc", {{"out_features", i(3)}, {"bias", b(false)}});
                     return g.done();
                 }});
    c.push_back({"Linear_3d_bias", [] {
                     GraphBuilder g({4, 6});
                     g.add("Linear", "fc", {{"out_features", i(2)}});
                     return g.done();
                 }});
    c.push_back({"Conv2d", [] {
                     GraphBuilder g({3, 9, 9});
                     g.add("Conv2d", "conv",
                           {{"out_channels", i(4)}, {"kernel_size", l({3, 3})}, {"stride", l({2, 2})}, {"padding", l({1, 1})}});
                     return g.done();
                 }});
    c.push_back({"Conv2d_groups_dilation", [] {
                     GraphBuilder g({4, 9, 8});
                     g.add("Conv2d", "conv",
                           {{"out_channels", i(6)}, {"kernel_size", l({3, 2})}, {"dilation", l({2, 1})},
                            {"padding", l({2, 0})}, {"stride", l({1, 2})}, {"groups", i(2)}, {"bias", b(false)}});
                     return g.done();
                 }});
    c.push_back({"MaxPool2d", [] {
                     GraphBuilder g({2, 7, 7});
                     g.add("MaxPool2d", "pool", {{"kernel_size", l({3, 3})}, {"stride", l({2, 2})}, {"padding", l({1, 1})}});
                     return g.done();
                 }});
    c.push_back({"AvgPool2d", [] {  // count_include_pad: the padded zeros count
                     GraphBuilder g({2, 7, 7});
                     g.add("AvgPool2d", "pool", {{"kernel_size", l({3, 3})}, {"stride", l({2, 2})}, {"padding", l({1, 1})}});
                     return g.done();
                 }});
    c.push_back({"AdaptiveAvgPool2d_global", [] {
                     GraphBuilder g({3, 5, 5});
                     g.add("AdaptiveAvgPool2d", "gap", {{"output_size", l({1, 1})}});
                     return g.done();
                 }});
    c.push_back({"AdaptiveAvgPool2d_divisible", [] {
                     GraphBuilder g({3, 6, 4});
                     g.add("AdaptiveAvgPool2d", "ap", {{"output_size", l({2, 2})}});
                     return g.done();
                 }});
    c.push_back({"BatchNorm1d", [] {
                     GraphBuilder g({6});
                     g.add("Linear", "fc", {{"out_features", i(4)}});
                     g.add("BatchNorm1d", "bn");
                     return g.done();
                 }});
    c.push_back({"BatchNorm1d_channels_length", [] {
                     GraphBuilder g({3, 5});
                     g.add("BatchNorm1d", "bn", {{"affine", b(false)}});
                     return g.done();
                 }});
    c.push_back({"BatchNorm2d", [] {
                     GraphBuilder g({2, 5, 5});
                     g.add("Conv2d", "conv", {{"out_channels", i(3)}, {"kernel_size", l({3, 3})}});
                     g.add("BatchNorm2d", "bn", {{"eps", f(1e-3)}});
                     return g.done();
                 }});
    c.push_back({"LayerNorm", [] {
                     GraphBuilder g({4, 6});
                     g.add("Linear", "fc", {{"out_features", i(6)}});
                     g.add("LayerNorm", "ln");
                     return g.done();
                 }});
    c.push_back({"LayerNorm_2d_no_affine", [] {
                     GraphBuilder g({4, 6});
                     g.add("LayerNorm", "ln", {{"normalized_shape", l({4, 6})}, {"elementwise_affine", b(false)}});
                     return g.done();
                 }});
    c.push_back({"Dropout", [] {
                     GraphBuilder g({5});
                     g.add("Linear", "fc1", {{"out_features", i(8)}});
                     g.add("Dropout", "drop", {{"p", f(0.5)}});
                     g.add("Linear", "fc2", {{"out_features", i(2)}});
                     return g.done();
                 }});
    c.push_back({"Dropout_last", [] {  // passes through to the output: an Identity
                     GraphBuilder g({5});
                     g.add("Linear", "fc1", {{"out_features", i(3)}});
                     g.add("Dropout", "drop");
                     return g.done();
                 }});
    c.push_back({"Flatten", [] {
                     GraphBuilder g({2, 3, 4});
                     g.add("Flatten", "flat");
                     return g.done();
                 }});
    c.push_back({"Flatten_partial", [] {  // start_dim 2: a Reshape
                     GraphBuilder g({2, 3, 4});
                     g.add("Flatten", "flat", {{"start_dim", i(2)}});
                     return g.done();
                 }});
    c.push_back({"Flatten_middle", [] {
                     GraphBuilder g({2, 3, 4});
                     g.add("Flatten", "flat", {{"start_dim", i(1)}, {"end_dim", i(2)}});
                     return g.done();
                 }});
    c.push_back({"Embedding",
                 [] {
                     GraphBuilder g({6});
                     g.add("Embedding", "emb", {{"num_embeddings", i(10)}, {"embedding_dim", i(4)}});
                     return g.done();
                 },
                 10});
    for (const char* act : {"ReLU", "Sigmoid", "Tanh", "GELU"}) {
        c.push_back({act, [act] {
                         GraphBuilder g({7});
                         g.add("Linear", "fc", {{"out_features", i(5)}});
                         g.add(act, "act");
                         return g.done();
                     }});
    }
    c.push_back({"LeakyReLU", [] {
                     GraphBuilder g({7});
                     g.add("LeakyReLU", "act", {{"negative_slope", f(0.2)}});
                     return g.done();
                 }});
    c.push_back({"Softmax", [] {
                     GraphBuilder g({7});
                     g.add("Linear", "fc", {{"out_features", i(4)}});
                     g.add("Softmax", "sm");
                     return g.done();
                 }});
    c.push_back({"Softmax_dim1", [] {
                     GraphBuilder g({3, 4});
                     g.add("Softmax", "sm", {{"dim", i(1)}});
                     return g.done();
                 }});
    c.push_back({"Add", [] {
                     GraphBuilder g({5});
                     const NodeId a = g.add("Linear", "a", {{"out_features", i(3)}}, {g.input()});
                     const NodeId c2 = g.add("Linear", "b", {{"out_features", i(3)}}, {g.input()});
                     const NodeId d = g.add("Linear", "c", {{"out_features", i(3)}}, {g.input()});
                     g.add("Add", "sum", {}, {a, c2, d});
                     return g.done();
                 }});
    c.push_back({"Concat", [] {
                     GraphBuilder g({2, 4, 4});
                     const NodeId a = g.add("Conv2d", "a", {{"out_channels", i(3)}, {"kernel_size", l({1, 1})}}, {g.input()});
                     const NodeId b2 = g.add("Conv2d", "b", {{"out_channels", i(2)}, {"kernel_size", l({3, 3})},
                                                             {"padding", l({1, 1})}}, {g.input()});
                     g.add("Concat", "cat", {{"dim", i(1)}}, {a, b2});
                     g.add("Flatten", "flat");
                     return g.done();
                 }});
    c.push_back({"Concat_last_dim", [] {
                     GraphBuilder g({3, 2});
                     const NodeId a = g.add("Linear", "a", {{"out_features", i(4)}}, {g.input()});
                     g.add("Concat", "cat", {{"dim", i(-1)}}, {a, g.input()});
                     return g.done();
                 }});
    // Sequence layers: [T, F] per sample; non-default options each somewhere.
    struct Recurrent {
        const char* name;
        const char* type;
        std::int64_t layers;
        bool bidirectional, bias;
        const char* nonlinearity;
    };
    for (const Recurrent& r : std::initializer_list<Recurrent>{
             {"LSTM", "LSTM", 1, false, true, nullptr},
             {"LSTM_2_layers_bidirectional", "LSTM", 2, true, true, nullptr},
             {"LSTM_no_bias", "LSTM", 1, false, false, nullptr},
             {"GRU", "GRU", 1, false, true, nullptr},
             {"GRU_2_layers_bidirectional_no_bias", "GRU", 2, true, false, nullptr},
             {"RNN", "RNN", 1, false, true, "tanh"},
             {"RNN_relu_2_layers", "RNN", 2, false, true, "relu"},
             {"RNN_relu_bidirectional_no_bias", "RNN", 1, true, false, "relu"}}) {
        c.push_back({r.name, [r] {
                         GraphBuilder g({5, 3});
                         AttributeMap a = {{"hidden_size", i(4)}, {"num_layers", i(r.layers)},
                                           {"bidirectional", b(r.bidirectional)}, {"bias", b(r.bias)}};
                         if (r.layers > 1) a["dropout"] = f(0.3);  // training only: the export has none
                         if (r.nonlinearity) a["nonlinearity"] = AttributeValue(std::string(r.nonlinearity));
                         g.add(r.type, "rec", a);
                         return g.done();
                     }});
    }
    c.push_back({"LSTM_LastStep_Linear", [] {  // a whole small sequence model
                     GraphBuilder g({6, 3});
                     g.add("LSTM", "lstm", {{"hidden_size", i(8)}});
                     g.add("LastStep", "last");
                     g.add("Linear", "head", {{"out_features", i(2)}});
                     return g.done();
                 }});
    c.push_back({"MultiheadAttention", [] {
                     GraphBuilder g({5, 8});
                     g.add("MultiheadAttention", "attn", {{"num_heads", i(2)}});
                     return g.done();
                 }});
    c.push_back({"MultiheadAttention_4_heads_no_bias", [] {
                     GraphBuilder g({5, 8});
                     g.add("MultiheadAttention", "attn", {{"num_heads", i(4)}, {"bias", b(false)}});
                     return g.done();
                 }});
    struct Encoder {
        const char* name;
        std::int64_t heads;
        const char* activation;
        bool norm_first, causal;
    };
    for (const Encoder& en : std::initializer_list<Encoder>{{"TransformerEncoderLayer", 2, "relu", false, false},
                                                            {"TransformerEncoderLayer_gelu_norm_first", 2, "gelu", true, false},
                                                            {"TransformerEncoderLayer_causal", 1, "relu", false, true},
                                                            {"TransformerEncoderLayer_causal_gelu_norm_first_4_heads", 4,
                                                             "gelu", true, true}}) {
        c.push_back({en.name,
                     [en] {
                         GraphBuilder g({5, 8});
                         g.add("PositionalEncoding", "pe");
                         g.add("TransformerEncoderLayer", "enc",
                               {{"nhead", i(en.heads)}, {"dim_feedforward", i(16)},
                                {"activation", AttributeValue(std::string(en.activation))},
                                {"norm_first", b(en.norm_first)}, {"causal", b(en.causal)}});
                         return g.done();
                     }});
    }
    return c;
}


// ---- example projects (as projects/make_examples.sh) ----

// Every example of projects/src, by its model file.
QStringList example_names() {
    QStringList names;
    for (const QString& f : QDir(QStringLiteral(NEURA_SOURCE_DIR "/projects/src")).entryList({"*.model.json"}))
        names << f.chopped(QString(".model.json").size());
    return names;
}

QString create_project(const QTemporaryDir& dir, const QString& name) {
    const QString path = dir.filePath(name + ".neura");
    const Result r = cli({"create", path, "--model", neura::test::example_file(name, "model.json"), "--config",
                          neura::test::example_file(name, "config.json"), "--dataset",
                          neura::test::example_text(name, "dataset")});
    if (r.code != 0) qWarning() << r.err;
    return r.code == 0 ? path : QString();
}

// The folder of one of torch_models.py's models; the script runs once for all of them. Empty after a failure.
QString torch_model(const QString& name) {
    static QTemporaryDir dir;
    static bool made = false;
    if (!made) {
        const Result r = run(kPython, {kTorchScript, dir.path()});
        if (r.code != 0) {
            QTest::qFail(qPrintable("python3-torch export failed: " + r.err.right(1500)), __FILE__, __LINE__);
            return {};
        }
        made = true;
    }
    return QFile::exists(dir.filePath(name + "/model.onnx")) ? dir.filePath(name) : QString();
}

}  // namespace

class TestOnnxExport : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() {
        // The judges must be there: tools/setup-debian.sh installs both. Missing ones fail, never skip.
        const Result py = run(kPython, {"-c", "import onnx, onnx.checker; print(onnx.__version__)"});
        QVERIFY2(py.code == 0, qPrintable("python3-onnx is missing (Debian's /usr/bin/python3 cannot import onnx: " +
                                          py.err.trimmed() + "); run tools/setup-debian.sh"));
        const Result node = run(node_program(), {"-e", QString("require('%1/tests/onnx/node_modules/onnxruntime-node')")
                                                           .arg(NEURA_SOURCE_DIR)});
        QString why = node.err.trimmed().left(300);
        for (const QString& line : node.err.split('\n'))
            if (line.startsWith("Error:")) why = line.trimmed();
        QVERIFY2(node.code == 0,
                 qPrintable("Node.js with onnxruntime-node is missing: run tools/setup-debian.sh, or: cd tests/onnx && "
                            "npm install --ignore-scripts (node says: " + why + ")"));
        qInfo("python3-onnx %s; onnxruntime-node found", qPrintable(py.out.trimmed()));
    }

    void every_layer_type_matches_onnx_runtime_data() {
        QTest::addColumn<int>("index");
        const auto cases = layer_cases();
        for (std::size_t k = 0; k < cases.size(); ++k) QTest::newRow(cases[k].name.c_str()) << static_cast<int>(k);
    }
    void every_layer_type_matches_onnx_runtime() {
        QFETCH(int, index);
        const LayerCase c = layer_cases().at(static_cast<std::size_t>(index));
        const ModelGraph g = c.graph();
        graph::Network net = graph::compile(g, 7);
        Generator gen(11);
        train_a_little(net, c.index_high, gen);
        const std::string bytes = onnx::export_onnx_bytes(g, net);
        const Tensor x = random_input(net.input_shape(), 3, c.index_high, gen);
        Tensor y;
        {
            NoGradGuard ng;
            y = net.forward(x);
        }
        QTemporaryDir dir;
        write_case(dir.path(), bytes, x, y);
        const double worst = judge(dir.path(), QString::fromStdString(c.name));
        QVERIFY(worst >= 0 && worst <= kAtol);
        QVERIFY(import_and_run(dir.path(), QString::fromStdString(c.name)) >= 0);
    }

    void examples_match_onnx_runtime_data() {
        QTest::addColumn<QString>("name");
        for (const QString& n : example_names()) QTest::newRow(qPrintable(n)) << n;
    }
    void examples_match_onnx_runtime() {
        QFETCH(QString, name);
        QTemporaryDir dir;
        const QString path = create_project(dir, name);
        QVERIFY(!path.isEmpty());
        // One epoch: trained weights and the normalization fitted by training are what the export needs.
        const Result t = cli({"train", path, "--epochs", "1", "--json"});
        QVERIFY2(t.code == 0, qPrintable(t.err));
        const QString model_dir = dir.filePath("onnx");
        QDir().mkpath(model_dir + "/test_data_set_0");
        const Result e = cli({"export", path, "-o", model_dir + "/model.onnx"});
        QVERIFY2(e.code == 0, qPrintable(e.err));
        // The examples train normalized, but for token indices (an Embedding reads them): those stay as they are.
        const project::Project p = project::load_project(path.toStdString());
        const ModelGraph graph = graph::from_json(p.model_json);
        std::int64_t tokens = 0;  // the smallest vocabulary an Embedding reads; 0: no Embedding
        for (const NodeId id : graph.nodes_of_type("Embedding")) {
            const std::int64_t v = std::get<std::int64_t>(graph.node(id).attributes.at("num_embeddings"));
            tokens = tokens == 0 ? v : std::min(tokens, v);
        }
        QVERIFY2(e.out.contains(tokens > 0 ? "no normalization" : "normalization included"), qPrintable(e.out));
        const train::TrainedModel m = train::load_trained_model(p);
        QVERIFY(m.trained && m.normalization.has_value() == (tokens == 0));
        // Raw-feature inputs (the model and `neura run` normalize them) or token indices, engine output
        // through the CLI.
        Generator gen(5);
        const Shape batch_shape = [&] {
            Shape s = {4};
            s.insert(s.end(), m.network.input_shape().begin(), m.network.input_shape().end());
            return s;
        }();
        const Tensor x = tokens > 0 ? Tensor::randint(0, tokens, batch_shape, &gen).to(DType::F32)
                                    : Tensor::randn({4, shape_numel(m.network.input_shape())}, DType::F32, &gen)
                                          .mul_(3.0)
                                          .reshape(batch_shape);
        const QString in = model_dir + "/test_data_set_0/input_0.pb";
        onnx::write_tensor_file(in.toStdString(), x, "input");
        const Result r = cli({"run", path, "--input", in, "-o", model_dir + "/test_data_set_0/output_0.pb"});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        const double worst = judge(model_dir, name);
        QVERIFY(worst >= 0 && worst <= kAtol);
        QVERIFY(import_and_run(model_dir, name) >= 0);
    }

    // Models PyTorch exported (opset 17; the sequence models 13 to 17): ONNX Runtime agrees with PyTorch, and the imported project run by
    // the engine agrees too.
    void pytorch_models_import_data() {
        QTest::addColumn<QString>("name");
        for (const char* n : {"cnn", "mlp", "global_pool", "lstm", "lstm_2_layers_bidirectional", "gru",
                              "gru_bidirectional_no_bias", "rnn_relu_2_layers", "rnn_tanh_bidirectional",
                              "multihead_attention", "multihead_attention_no_bias", "encoder", "encoder_pre_norm_gelu",
                              "encoder_2_layers_causal", "layer_norm"})
            QTest::newRow(n) << QString(n);
    }
    // What torch.onnx's many ops come back as: one layer per torch.nn module, with its options.
    static void check_torch_layers(const QString& name, const ModelGraph& g) {
        auto attr = [&](NodeId id, const char* key) { return g.node(id).attributes.at(key); };
        const auto encoders = g.nodes_of_type("TransformerEncoderLayer");
        const auto attention = g.nodes_of_type("MultiheadAttention");
        if (name.startsWith("multihead_attention")) {
            QCOMPARE(attention.size(), std::size_t{1});
            QVERIFY(attr(attention[0], "num_heads") == AttributeValue(std::int64_t{name.contains("no_bias") ? 3 : 2}));
            QVERIFY(attr(attention[0], "bias") == AttributeValue(!name.contains("no_bias")));
        } else if (name.startsWith("encoder")) {
            // torch_models.py: encoder (8, 2 heads, 16, post-norm relu), encoder_pre_norm_gelu (8, 4, 12),
            // encoder_2_layers_causal (6, 2, 10, two layers, the square subsequent mask).
            const bool pre = name.contains("pre_norm"), causal = name.contains("causal");
            QCOMPARE(encoders.size(), std::size_t{causal ? 2u : 1u});
            QVERIFY(attention.empty());
            for (const NodeId e : encoders) {
                QVERIFY(attr(e, "nhead") == AttributeValue(std::int64_t{pre ? 4 : 2}));
                QVERIFY(attr(e, "dim_feedforward") == AttributeValue(std::int64_t{pre ? 12 : causal ? 10 : 16}));
                QVERIFY(attr(e, "norm_first") == AttributeValue(pre));
                QVERIFY(attr(e, "activation") == AttributeValue(std::string(pre ? "gelu" : "relu")));
                QVERIFY(attr(e, "causal") == AttributeValue(causal));
            }
        } else if (name == "layer_norm") {  // opset 13: ReduceMean, Sub, Pow, ReduceMean, Add, Sqrt, Div, Mul, Add
            const auto norms = g.nodes_of_type("LayerNorm");
            QCOMPARE(norms.size(), std::size_t{1});
            QVERIFY(attr(norms[0], "normalized_shape") == AttributeValue(std::vector<std::int64_t>{7}));
        }
    }
    void pytorch_models_import() {
        QFETCH(QString, name);
        const QString d = torch_model(name);
        QVERIFY(!d.isEmpty());
        QVERIFY(judge(d, "pytorch " + name, /*ours=*/false) >= 0);
        QVERIFY(import_and_run(d, "pytorch " + name) >= 0);
        check_torch_layers(name, onnx::import_onnx((d + "/model.onnx").toStdString()).graph);
        if (name.contains("2_layers") && !name.startsWith("encoder")) {  // torch.onnx's one op per layer comes back as one layer
            const ModelGraph g = onnx::import_onnx((d + "/model.onnx").toStdString()).graph;
            std::vector<NodeId> recurrent;
            for (const char* type : {"LSTM", "GRU", "RNN"})
                for (const NodeId id : g.nodes_of_type(type)) recurrent.push_back(id);
            QCOMPARE(recurrent.size(), std::size_t{1});
            QVERIFY(g.node(recurrent[0]).attributes.at("num_layers") == AttributeValue(std::int64_t{2}));
        }
    }

    // Layout-1 (batch-first) recurrent ops, which torch.onnx does not write and ONNX Runtime does not run:
    // packed by torch_models.py from torch.nn modules in numpy, PyTorch's output expected.
    void layout1_models_import_data() {
        QTest::addColumn<QString>("name");
        for (const char* n : {"layout1_lstm_bidirectional", "layout1_gru", "layout1_rnn_relu_no_bias"})
            QTest::newRow(n) << QString(n);
    }
    void layout1_models_import() {
        QFETCH(QString, name);
        const QString d = torch_model(name);
        QVERIFY(!d.isEmpty());
        const Result py = run(kPython, {kCheckScript, "--checker-only", d + "/model.onnx"});
        QVERIFY2(py.code == 0, qPrintable(name + ": onnx.checker failed: " + py.err + py.out));
        QVERIFY(import_and_run(d, "pytorch " + name) >= 0);
    }

    void import_errors_name_the_onnx_node() {
        QTemporaryDir dir;
        const QString model = dir.filePath("cos.onnx");
        const Result py = run(kPython, {"-c", QString(R"(
import onnx
from onnx import helper, TensorProto
g = helper.make_graph([helper.make_node("Cos", ["input"], ["output"], name="my_cos")], "g",
    [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", 3])],
    [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["batch", 3])])
m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
onnx.save(m, "%1")
)").arg(model)});
        QVERIFY2(py.code == 0, qPrintable(py.err));
        Result r = cli({"import", model, "-o", dir.filePath("p.neura")});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("'my_cos' (Cos)") && r.err.contains("no NeuraStudio layer"), qPrintable(r.err));
        QVERIFY(!QFile::exists(dir.filePath("p.neura")));
        // Several unsupported ops: all of them are listed, by node name and op.
        const QString two = dir.filePath("two.onnx");
        const Result py2 = run(kPython, {"-c", QString(R"(
import onnx
from onnx import helper, TensorProto
g = helper.make_graph([helper.make_node("Cos", ["input"], ["a"], name="my_cos"),
                       helper.make_node("Relu", ["a"], ["b"], name="ok_relu"),
                       helper.make_node("Sin", ["b"], ["output"], name="my_sin")], "g",
    [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", 3])],
    [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["batch", 3])])
m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
onnx.save(m, "%1")
)").arg(two)});
        QVERIFY2(py2.code == 0, qPrintable(py2.err));
        r = cli({"import", two, "-o", dir.filePath("p.neura")});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("2 nodes") && r.err.contains("'my_cos' (Cos)") && r.err.contains("'my_sin' (Sin)") &&
                     !r.err.contains("ok_relu"),
                 qPrintable(r.err));
        // A truncated model file.
        QFile f(model);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QByteArray bytes = f.readAll();
        f.close();
        QFile t(dir.filePath("cut.onnx"));
        QVERIFY(t.open(QIODevice::WriteOnly));
        t.write(bytes.left(bytes.size() / 2));
        t.close();
        r = cli({"import", dir.filePath("cut.onnx"), "-o", dir.filePath("p.neura")});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("not an ONNX model"), qPrintable(r.err));
    }

    void malformed_models_are_refused_before_shape_inference() {
        // Models that onnx.checker would refuse (libonnx's shape inference trusts them, and Debian's 1.12
        // crashes on some): each is refused by the importer's own structure check, naming what is wrong.
        QTemporaryDir dir;
        const Result py = run(kPython, {"-c", QString(R"(
import onnx
from onnx import helper, TensorProto
def save(name, nodes, inits=(), in_dims=("batch", 3)):
    g = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("input", TensorProto.FLOAT, list(in_dims))],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["batch", 3])], initializer=list(inits))
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]), "%1/" + name + ".onnx")
save("relu_no_input", [helper.make_node("Relu", [], ["output"], name="r")])
save("gemm_one_input", [helper.make_node("Gemm", ["input"], ["output"], name="fc")])
w = TensorProto(); w.name = "w"; w.data_type = TensorProto.FLOAT; w.dims.extend([1000000, 1000000]); w.float_data.extend([1.0])
save("claims_1e12", [helper.make_node("Gemm", ["input", "w"], ["output"], name="fc")], [w])
b = TensorProto(); b.name = "b"; b.data_type = TensorProto.FLOAT; b.dims.extend([3]); b.raw_data = b"\0" * 5
save("raw_short", [helper.make_node("Gemm", ["input", "w2", "b"], ["output"], name="fc")],
     [helper.make_tensor("w2", TensorProto.FLOAT, [3, 3], [0.0] * 9), b])
a = helper.make_attribute("alpha", 0.5); a.type = onnx.AttributeProto.INTS
n = helper.make_node("LeakyRelu", ["input"], ["output"], name="lr"); n.attribute.extend([a])
save("attr_kind", [n])
save("rank_99", [helper.make_node("Relu", ["input"], ["output"], name="r")], in_dims=["batch"] + [1] * 98)
k = helper.make_tensor("k", TensorProto.FLOAT, [3, 3, 3, 3], [0.0] * 81)
save("stride_0", [helper.make_node("Conv", ["input", "k"], ["output"], name="c", kernel_shape=[3, 3], strides=[1, 0])],
     [k], in_dims=("batch", 3, 8, 8))
save("group_0", [helper.make_node("Conv", ["input", "k"], ["output"], name="c", kernel_shape=[3, 3], group=0)],
     [k], in_dims=("batch", 3, 8, 8))
)").arg(dir.path())});
        QVERIFY2(py.code == 0, qPrintable(py.err));
        const std::vector<std::pair<const char*, QString>> cases = {
            {"relu_no_input", "ONNX node 'r' (Relu) has 0 inputs; Relu takes 1"},
            {"gemm_one_input", "ONNX node 'fc' (Gemm) has 1 inputs; Gemm takes 2 to 3"},
            {"claims_1e12", "initializer 'w' holds 1 values, its dims [1000000, 1000000] need 1000000000000"},
            {"raw_short", "initializer 'b': raw_data holds 5 bytes, its dims [3] need 3 elements of 4 bytes"},
            {"attr_kind", "ONNX node 'lr' (LeakyRelu) attribute 'alpha' is declared INTS but holds another kind"},
            {"rank_99", "input 'input' has 99 dimensions; at most 16 are read"},
            // libonnx's shape inference divides by these (a fuzzed model with strides [1, 0] killed the
            // importer with SIGFPE).
            {"stride_0", "ONNX node 'c' (Conv) attribute 'strides' holds 0; its values must be positive"},
            {"group_0", "ONNX node 'c' (Conv) attribute 'group' is 0; it must be positive"},
        };
        for (const auto& [name, want] : cases) {
            const QString path = dir.filePath(QString(name) + ".onnx");
            const QString got = neura::test::error_of([&] { onnx::import_onnx(path.toStdString()); });
            QVERIFY2(got.contains(path) && got.contains(want),
                     qPrintable(QString("%1\n   got: %2\n  want: %3").arg(name, got, want)));
            // The CLI: exit 1, the file and the problem in one line, no project written.
            const Result r = cli({"import", path, "-o", dir.filePath("p.neura")});
            QCOMPARE(r.code, 1);
            QVERIFY2(r.err.contains(path) && r.err.contains(want), qPrintable(r.err));
            QVERIFY(!QFile::exists(dir.filePath("p.neura")));
        }
    }

    void sequence_import_errors_name_the_node() {
        // Recurrent ops the layers cannot express, or whose weights contradict their attributes: each is
        // refused naming the node and the problem, before anything is sized from the file.
        QTemporaryDir dir;
        const Result py = run(kPython, {"-c", QString(R"(
import numpy as np, onnx
from onnx import helper, TensorProto, numpy_helper
def save(name, op, ins, inits, outs=("y",), out="y", extra=(), steps=4, feats=2, **attrs):
    nodes = [helper.make_node("Transpose", ["input"], ["xt"], perm=[1, 0, 2])] if attrs.get("layout", 0) == 0 else []
    nodes.append(helper.make_node(op, ins, list(outs), name="rec", **attrs))
    nodes += list(extra)
    g = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", steps, feats])],
        [helper.make_tensor_value_info(out, TensorProto.FLOAT, None)],
        [numpy_helper.from_array(np.asarray(v, dtype=np.float32), k) for k, v in inits.items()])
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]), "%1/" + name + ".onnx")
z = np.zeros
save("huge_hidden", "LSTM", ["xt", "W", "R"], {"W": z((1, 8, 2)), "R": z((1, 8, 2))}, hidden_size=1 << 40)
save("short_R", "LSTM", ["xt", "W", "R"], {"W": z((1, 8, 2)), "R": z((1, 8, 1))}, hidden_size=2)
save("gru_lbr0", "GRU", ["xt", "W", "R"], {"W": z((1, 6, 2)), "R": z((1, 6, 2))}, hidden_size=2)
save("reverse", "LSTM", ["xt", "W", "R"], {"W": z((1, 8, 2)), "R": z((1, 8, 2))}, hidden_size=2, direction="reverse")
save("state", "LSTM", ["xt", "W", "R", "", "", "h0"], {"W": z((1, 8, 2)), "R": z((1, 8, 2)), "h0": np.ones((1, 1, 2))},
     hidden_size=2)
save("y_h_used", "LSTM", ["xt", "W", "R"], {"W": z((1, 8, 2)), "R": z((1, 8, 2))}, outs=("y", "yh"), out="yh",
     hidden_size=2)
save("no_transpose", "LSTM", ["input", "W", "R"], {"W": z((1, 8, 2)), "R": z((1, 8, 2))}, hidden_size=2)
save("sigmoid_rnn", "RNN", ["input", "W", "R"], {"W": z((1, 2, 2)), "R": z((1, 2, 2))}, hidden_size=2, layout=1,
     activations=["Sigmoid"])
save("seq_lens", "GRU", ["input", "W", "R", "", "lens"], {"W": z((1, 6, 2)), "R": z((1, 6, 2)), "lens": z((1,))},
     hidden_size=2, layout=1, linear_before_reset=1)
)").arg(dir.path())});
        QVERIFY2(py.code == 0, qPrintable(py.err));
        const std::vector<std::pair<const char*, QString>> cases = {
            {"huge_hidden", "'rec' (LSTM): W is [1, 8, 2]; with hidden_size 1099511627776 and 1 direction(s) it must be "
                            "[1, 4398046511104, input features]"},
            {"short_R", "'rec' (LSTM): R is [1, 8, 1], it must be [1, 8, 2]"},
            {"gru_lbr0", "'rec' (GRU): linear_before_reset=0"},
            {"reverse", "'rec' (LSTM): direction 'reverse' has no layer"},
            {"state", "'rec' (LSTM): its initial hidden state 'h0' is not known to be zeros"},
            {"y_h_used", "'rec' (LSTM): its final-state output 'yh' is used"},
            {"no_transpose", "'rec' (LSTM): its input 'input' is not a batch-first sequence transposed to [time, batch"},
            {"sigmoid_rnn", "'rec' (RNN): activation 'Sigmoid' has no layer"},
            {"seq_lens", "'rec' (GRU): sequence_lens"},
        };
        for (const auto& [name, want] : cases) {
            const QString path = dir.filePath(QString(name) + ".onnx");
            const QString got = neura::test::error_of([&] { onnx::import_onnx(path.toStdString()); });
            QVERIFY2(got.contains(path) && got.contains(want),
                     qPrintable(QString("%1\n   got: %2\n  want: %3").arg(name, got, want)));
        }
        // A causal mask added to an exported MultiheadAttention's scores: no layer has it outside a
        // TransformerEncoderLayer.
        const auto cases_all = layer_cases();
        const auto mha = std::find_if(cases_all.begin(), cases_all.end(),
                                      [](const LayerCase& c) { return c.name == std::string("MultiheadAttention"); });
        QVERIFY(mha != cases_all.end());
        const ModelGraph g = mha->graph();
        graph::Network net = graph::compile(g, 2);
        net.eval();
        write_case(dir.filePath("mha"), onnx::export_onnx_bytes(g, net), Tensor::zeros({1, 5, 8}), Tensor::zeros({1, 5, 8}));
        const Result masked = run(kPython, {"-c", QString(R"(
import numpy as np, onnx
from onnx import helper, numpy_helper
m = onnx.load("%1/mha/model.onnx")
g = m.graph
i = next(k for k, n in enumerate(g.node) if n.op_type == "Softmax")
g.initializer.append(numpy_helper.from_array(np.triu(np.full((5, 5), -np.inf, np.float32), 1), "mask"))
g.node.insert(i, helper.make_node("Add", [g.node[i].input[0], "mask"], ["masked"], name="my_mask"))
g.node[i + 1].input[0] = "masked"
onnx.save(m, "%1/masked.onnx")
)").arg(dir.path())});
        QVERIFY2(masked.code == 0, qPrintable(masked.err));
        const QString got = neura::test::error_of([&] { onnx::import_onnx(dir.filePath("masked.onnx").toStdString()); });
        QVERIFY2(got.contains("'my_mask' (Add)") && got.contains("causal mask has no layer outside a TransformerEncoderLayer"),
                 qPrintable(got));
    }

    void unmapped_and_unexportable_layers_name_the_node() {
        // A layer type without an ONNX mapping (as a plugin's might be).
        graph::LayerRegistry reg;
        graph::register_builtin_layers(reg);
        graph::LayerDescriptor custom = reg.at("ReLU");
        custom.type = "MyActivation";
        custom.onnx = nullptr;
        reg.add(custom);
        GraphBuilder gb({4});
        gb.add("MyActivation", "weird_act");
        ModelGraph g = gb.done();
        graph::Network net = graph::compile(g, 1, reg);
        try {
            onnx::export_onnx_bytes(g, net, {}, reg);
            QFAIL("exported a layer without an ONNX mapping");
        } catch (const Error& err) {
            const QString msg = err.what();
            QVERIFY2(msg.contains("'weird_act'") && msg.contains("MyActivation") && msg.contains("no ONNX mapping"),
                     qPrintable(msg));
        }
        // Adaptive pooling that does not divide its input.
        GraphBuilder ga({2, 5, 5});
        ga.add("AdaptiveAvgPool2d", "odd_pool", {{"output_size", l({3, 3})}});
        g = ga.done();
        net = graph::compile(g, 1);
        try {
            onnx::export_onnx_bytes(g, net);
            QFAIL("exported a non-divisible adaptive pooling");
        } catch (const Error& err) {
            QVERIFY2(QString(err.what()).contains("'odd_pool'") && QString(err.what()).contains("3x3"), err.what());
        }
    }

    void unwritable_path_is_a_clear_error() {
        GraphBuilder g0({3});
        g0.add("ReLU", "act");
        const ModelGraph g = g0.done();
        const graph::Network net = graph::compile(g, 1);
        try {
            onnx::export_onnx(g, net, "/nonexistent-dir/sub/model.onnx");
            QFAIL("wrote into a missing folder");
        } catch (const Error& err) {
            QVERIFY2(QString(err.what()).contains("/nonexistent-dir/sub/model.onnx"), err.what());
        }
        QTemporaryDir dir;
        const QString path = create_project(dir, "xor");
        QVERIFY(!path.isEmpty());
        Result r = cli({"export", path, "-o", "/nonexistent-dir/m.onnx"});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("/nonexistent-dir/m.onnx") && r.err.contains("not been trained"), qPrintable(r.err));
        r = cli({"export", path});
        QCOMPARE(r.code, 2);
        QVERIFY2(r.err.contains("-o M.onnx"), qPrintable(r.err));
    }

    void run_rejects_malformed_inputs_clearly() {
        QTemporaryDir dir;
        const QString path = create_project(dir, "xor");  // Input [2]
        QVERIFY(!path.isEmpty());
        QVERIFY(cli({"train", path, "--epochs", "1"}).code == 0);
        auto file = [&](const QString& name, const QByteArray& bytes) {
            QFile f(dir.filePath(name));
            f.open(QIODevice::WriteOnly);
            f.write(bytes);
            return dir.filePath(name);
        };
        const std::string good = onnx::serialize_tensor_proto(Tensor::ones({3, 2}), "input");
        const QByteArray good_bytes(good.data(), static_cast<qsizetype>(good.size()));
        std::mt19937 rng(3);
        QByteArray noise(97, '\0');
        for (auto& ch : noise) ch = static_cast<char>(rng());
        struct Bad {
            QString file;
            QString expect;
        };
        const std::vector<Bad> bad = {
            {file("truncated.pb", good_bytes.left(good_bytes.size() - 5)), "TensorProto"},
            {file("empty.pb", {}), "empty"},
            {file("noise.pb", noise), "noise.pb"},
            {file("int64.pb", QByteArray::fromStdString(onnx::serialize_tensor_proto(Tensor::zeros({3, 2}, DType::I64)))),
             "int64"},
            {file("shape.pb", QByteArray::fromStdString(onnx::serialize_tensor_proto(Tensor::ones({3, 5})))), "[3, 5]"},
            {file("no_batch.pb", QByteArray::fromStdString(onnx::serialize_tensor_proto(Tensor::ones({2})))), "[batch, 2]"},
            {dir.filePath("missing.pb"), "cannot read"},
        };
        for (const Bad& c : bad) {
            const Result r = cli({"run", path, "--input", c.file, "-o", dir.filePath("out.pb")});
            QVERIFY2(r.code == 1, qPrintable(QString("%1: exit %2, %3").arg(c.file).arg(r.code).arg(r.err)));
            QVERIFY2(r.err.startsWith("neura: ") && r.err.contains(c.expect),
                     qPrintable(QString("%1: %2").arg(c.file, r.err)));
        }
        Result r = cli({"run", path, "--input", file("ok.pb", good_bytes), "--input", file("ok2.pb", good_bytes), "-o",
                          dir.filePath("out.pb")});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("1 input"), qPrintable(r.err));
        r = cli({"run", path, "-o", dir.filePath("out.pb")});
        QCOMPARE(r.code, 2);
        // The good one runs and its output reads back.
        r = cli({"run", path, "--input", dir.filePath("ok.pb"), "-o", dir.filePath("out.pb")});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        const Tensor out = onnx::read_tensor_file(dir.filePath("out.pb").toStdString());
        QCOMPARE(out.shape(), (Shape{3, 2}));
    }

    void importer_survives_mutated_models() {
        // Random byte changes to an exported model: each import either works or is a neura::Error.
        const auto cases = layer_cases();
        for (const char* which : {"Conv2d", "GELU", "BatchNorm2d", "Flatten_partial", "LSTM_2_layers_bidirectional",
                                  "GRU_2_layers_bidirectional_no_bias", "LSTM_LastStep_Linear", "MultiheadAttention",
                                  "TransformerEncoderLayer", "TransformerEncoderLayer_causal_gelu_norm_first_4_heads"}) {
            const auto c = std::find_if(cases.begin(), cases.end(), [&](const LayerCase& x) { return x.name == std::string(which); });
            QVERIFY(c != cases.end());
            const ModelGraph g = c->graph();
            graph::Network net = graph::compile(g, 3);
            net.eval();
            const std::string good = onnx::export_onnx_bytes(g, net);
            QCOMPARE(onnx::import_onnx_bytes(good).graph.node_count(), g.node_count());
            std::mt19937 rng(17);
            int errors = 0;
            for (int k = 0; k < 300; ++k) {
                std::string s = good;
                const int flips = 1 + static_cast<int>(rng() % 4);
                for (int j = 0; j < flips; ++j) s[rng() % s.size()] = static_cast<char>(rng());
                if (k % 10 == 0) s.resize(rng() % s.size());
                try {
                    onnx::import_onnx_bytes(s);
                } catch (const Error&) {
                    ++errors;
                }
            }
            qInfo("%s: %d of 300 mutated models refused with an error, the rest imported", which, errors);
        }
    }

    void tensor_parser_survives_every_truncation_and_noise() {
        const std::string good = onnx::serialize_tensor_proto(Tensor::randn({2, 3, 4}), "x");
        QCOMPARE(onnx::parse_tensor_proto(good, "good").shape(), (Shape{2, 3, 4}));
        int rejected = 0;
        for (std::size_t n = 0; n < good.size(); ++n) {
            try {
                onnx::parse_tensor_proto(good.substr(0, n), "prefix");
            } catch (const Error&) {
                ++rejected;
            }
        }
        QCOMPARE(rejected, static_cast<int>(good.size()));  // every proper prefix is refused
        std::mt19937 rng(9);
        for (int k = 0; k < 2000; ++k) {
            std::string s = good;
            const int flips = 1 + static_cast<int>(rng() % 8);
            for (int j = 0; j < flips; ++j) s[rng() % s.size()] = static_cast<char>(rng());
            try {
                const Tensor t = onnx::parse_tensor_proto(s, "mutated");
                QVERIFY(t.numel() >= 0);
            } catch (const Error&) {
            }
        }
    }
};

QTEST_GUILESS_MAIN(TestOnnxExport)
#include "tst_onnx_export.moc"
