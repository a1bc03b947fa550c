// ModelGraph editing, the layer registry, validate() diagnostics, infer_shapes() and compile().
// Expected shapes and parameter counts come from PyTorch 1.13 (Debian's /usr/bin/python3 + torch):
// the same layers built with torch.nn, shapes from a forward of zeros, counts from
// sum(p.numel() for p in m.parameters()). The numbers are quoted next to each check.
#include <QtTest>

#include "common/TestSupport.h"

#include <cmath>
#include <random>
#include <set>

#include "neura/graph/Graph.h"
#include "neura/neura.h"
#include "neura/nn/Layers.h"
#include "neura/nn/Loss.h"

using namespace neura;
using namespace neura::graph;

namespace {

using neura::test::error_of;

// Appends a node fed by `from` (port 0 → port 0).
NodeId chain(ModelGraph& g, NodeId from, const std::string& type, const std::string& name, AttributeMap attrs = {}) {
    const NodeId id = g.add_node(type, name, std::move(attrs));
    g.add_edge(from, id);
    return id;
}

// The spiral MLP: [2] → Linear(64) → ReLU → Linear(64) → ReLU → Linear(3) → CrossEntropyLoss.
ModelGraph spiral_mlp() {
    ModelGraph g;
    NodeId n = g.add_node("Input", "input", {{"shape", std::vector<std::int64_t>{2}}});
    n = chain(g, n, "Linear", "fc1", {{"out_features", std::int64_t{64}}});
    n = chain(g, n, "ReLU", "relu1");
    n = chain(g, n, "Linear", "fc2", {{"in_features", std::int64_t{64}}, {"out_features", std::int64_t{64}}});
    n = chain(g, n, "ReLU", "relu2");
    n = chain(g, n, "Linear", "fc3", {{"out_features", std::int64_t{3}}});
    chain(g, n, "Loss", "loss", {{"type", std::string("CrossEntropyLoss")}});
    return g;
}

// conv → pool → conv → pool → flatten → linear for 1×8×8 images (the digits set as images).
ModelGraph digits_cnn() {
    using L = std::vector<std::int64_t>;
    ModelGraph g;
    NodeId n = g.add_node("Input", "input", {{"shape", L{1, 8, 8}}});
    n = chain(g, n, "Conv2d", "conv1", {{"out_channels", std::int64_t{8}}, {"kernel_size", L{3}}, {"padding", L{1}}});
    n = chain(g, n, "MaxPool2d", "pool1", {{"kernel_size", L{2}}});
    n = chain(g, n, "Conv2d", "conv2", {{"in_channels", std::int64_t{8}}, {"out_channels", std::int64_t{16}}, {"kernel_size", L{3, 3}}});
    n = chain(g, n, "MaxPool2d", "pool2", {{"kernel_size", L{2, 2}}});
    n = chain(g, n, "Flatten", "flatten");
    n = chain(g, n, "Linear", "fc", {{"out_features", std::int64_t{10}}});
    chain(g, n, "Loss", "loss");
    return g;
}

// input → fc_a ─┬────────────── Add ── Concat ── head → Loss
//               └ fc_b → tanh ─┘       ↑
//   input ─────────────────────────────┘
ModelGraph dag() {
    ModelGraph g;
    const NodeId in = g.add_node("Input", "input", {{"shape", std::vector<std::int64_t>{4}}});
    const NodeId a = chain(g, in, "Linear", "fc_a", {{"out_features", std::int64_t{6}}});
    const NodeId b = chain(g, a, "Linear", "fc_b", {{"out_features", std::int64_t{6}}});
    const NodeId t = chain(g, b, "Tanh", "tanh");
    const NodeId add = g.add_node("Add", "add");
    g.add_edge({a, PortIndex{0}}, {add, PortIndex{0}});
    g.add_edge({t, PortIndex{0}}, {add, PortIndex{1}});
    const NodeId cat = g.add_node("Concat", "cat");
    g.add_edge({add, PortIndex{0}}, {cat, PortIndex{0}});
    g.add_edge({in, PortIndex{0}}, {cat, PortIndex{1}});
    const NodeId head = chain(g, cat, "Linear", "head", {{"out_features", std::int64_t{2}}});
    chain(g, head, "Loss", "loss", {{"type", std::string("MSELoss")}});
    return g;
}

// Messages of `d` attached to node `name` ("" for whole-model ones) with severity s.
QStringList messages(const ModelGraph& g, const std::vector<Diagnostic>& d, const std::string& name,
                     Severity s = Severity::Error) {
    const NodeId id = name.empty() ? NodeId::Invalid : g.find_node(name);
    QStringList out;
    for (const auto& x : d)
        if (x.node == id && x.severity == s) out << QString::fromStdString(x.message);
    return out;
}

QString dump(const ModelGraph& g, const std::vector<Diagnostic>& d) {
    QStringList out;
    for (const auto& x : d) out << QString::fromStdString(std::string(severity_name(x.severity)) + " " + describe(g, x));
    return out.join("\n");
}

bool all_finite(const Tensor& t) {
    for (double v : t.to_vector<double>())
        if (!std::isfinite(v)) return false;
    return true;
}

}  // namespace

class TestGraph : public QObject {
    Q_OBJECT
private slots:
    // ---- ModelGraph ----
    void idsAreValueTypes() {
        QVERIFY(!NodeId{}.valid());
        QCOMPARE(NodeId{}, NodeId::Invalid);
        QVERIFY(NodeId{0}.valid());
        QVERIFY(NodeId{1} < NodeId{2});
        QVERIFY(!EdgeId::Invalid.valid());
        QVERIFY(!PortIndex::Invalid.valid());
        QCOMPARE(to_string(NodeId{7}), std::string("7"));
        QCOMPARE(std::hash<NodeId>{}(NodeId{3}), std::hash<NodeId>{}(NodeId{3}));
    }

    void editingKeepsIdsStable() {
        ModelGraph g;
        const NodeId a = g.add_node("Linear");
        const NodeId b = g.add_node("Linear");
        const NodeId c = g.add_node("ReLU");
        QCOMPARE(g.node(a).name, std::string("linear_1"));
        QCOMPARE(g.node(b).name, std::string("linear_2"));
        QCOMPARE(g.node(c).name, std::string("relu_1"));
        const EdgeId ab = g.add_edge(a, b);
        const EdgeId bc = g.add_edge(b, c);
        QCOMPARE(g.edge_count(), std::size_t{2});
        QCOMPARE(g.edge_into({c, PortIndex{0}}), std::optional<EdgeId>(bc));
        QCOMPARE(g.edges_out_of(a), std::vector<EdgeId>{ab});

        // An input port takes one edge.
        QVERIFY(error_of([&] { g.add_edge(a, c); }).contains("input 0 of node 'relu_1' already has an edge (from 'linear_2')"));
        QVERIFY(!error_of([&] { g.add_edge(a, NodeId{99}); }).isEmpty());

        // Removing a node removes its edges; ids are not reused.
        QVERIFY(g.remove_node(b));
        QVERIFY(!g.remove_node(b));
        QCOMPARE(g.edge_count(), std::size_t{0});
        QCOMPARE(g.next_node_id().value, c.value + 1);  // what the next add_node gives, without adding
        QCOMPARE(g.next_node_id().value, c.value + 1);
        const NodeId d = g.add_node("Linear");
        QCOMPARE(d.value, c.value + 1);
        QCOMPARE(g.next_node_id().value, d.value + 1);
        QCOMPARE(g.node(d).name, std::string("linear_2"));  // the name is free again
        QVERIFY(g.add_edge(a, c).value > bc.value);

        // A node or edge given with its id keeps it (undo, loading); a taken id is refused.
        QCOMPARE(g.add_node(graph::Node{NodeId{b}, "Tanh", "t", {}}), b);
        QVERIFY(error_of([&] { g.add_node(graph::Node{NodeId{b}, "Tanh", "t2", {}}); }).contains("already taken"));
        QCOMPARE(g.add_node(graph::Node{NodeId{d.value + 5}, "Tanh", "t5", {}}).value, d.value + 5);
        QCOMPARE(g.next_node_id().value, d.value + 6);  // past the highest id given
        QCOMPARE(g.add_node("Sigmoid").value, d.value + 6);

        g.set_attribute(a, "out_features", std::int64_t{5});
        QCOMPARE(std::get<std::int64_t>(g.node(a).attributes.at("out_features")), std::int64_t{5});
        QVERIFY(g.remove_attribute(a, "out_features"));
        g.set_name(a, "fc");
        QCOMPARE(g.find_node("fc"), a);
        QCOMPARE(g.find_node("nope"), NodeId::Invalid);

        QVERIFY(!error_of([&] { g.set_layout("[1, 2]"); }).isEmpty());
        g.set_layout(R"({"positions": {}})");
        QCOMPARE(g.layout(), std::string(R"({"positions": {}})"));
    }

    // ---- registry ----
    void registryHoldsEveryBuiltinLayer() {
        const LayerRegistry& r = LayerRegistry::instance();
        const std::map<std::string, std::vector<std::string>> expected = {
            {"Input", {"shape"}},
            {"Loss", {"type", "reduction", "delta", "label_smoothing", "ignore_index"}},
            {"Linear", {"in_features", "out_features", "bias"}},
            {"Conv2d", {"in_channels", "out_channels", "kernel_size", "stride", "padding", "dilation", "groups", "bias"}},
            {"MaxPool2d", {"kernel_size", "stride", "padding"}},
            {"AvgPool2d", {"kernel_size", "stride", "padding"}},
            {"AdaptiveAvgPool2d", {"output_size"}},
            {"BatchNorm1d", {"num_features", "eps", "momentum", "affine"}},
            {"BatchNorm2d", {"num_features", "eps", "momentum", "affine"}},
            {"LayerNorm", {"normalized_shape", "eps", "elementwise_affine"}},
            {"Dropout", {"p"}},
            {"Flatten", {"start_dim", "end_dim"}},
            {"Embedding", {"num_embeddings", "embedding_dim"}},
            {"ReLU", {}},
            {"LeakyReLU", {"negative_slope"}},
            {"Sigmoid", {}},
            {"Tanh", {}},
            {"GELU", {}},
            {"Softmax", {"dim"}},
            {"Add", {}},
            {"Concat", {"dim"}},
            {"RNN", {"hidden_size", "num_layers", "bidirectional", "dropout", "bias", "nonlinearity"}},
            {"LSTM", {"hidden_size", "num_layers", "bidirectional", "dropout", "bias"}},
            {"GRU", {"hidden_size", "num_layers", "bidirectional", "dropout", "bias"}},
            {"MultiheadAttention", {"num_heads", "dropout", "bias"}},
            {"TransformerEncoderLayer", {"nhead", "dim_feedforward", "dropout", "activation", "norm_first", "causal"}},
            {"PositionalEncoding", {"max_len", "dropout"}},
            {"LastStep", {}},
            {"MeanOverTime", {}},
        };
        QCOMPARE(r.types().size(), expected.size());
        const std::set<std::string> palette = {"Core",       "Convolution", "Pooling", "Normalization", "Activation",
                                               "Merge",      "Sequence",    "IO",      "Loss"};
        for (const auto& [type, attrs] : expected) {
            const LayerDescriptor* d = r.find(type);
            QVERIFY2(d, type.c_str());
            QVERIFY2(palette.count(d->category), type.c_str());
            QVERIFY2(!d->help.empty(), type.c_str());
            std::vector<std::string> names;
            for (const auto& a : d->attributes) {
                names.push_back(a.name);
                QVERIFY2(!a.help.empty(), (type + "." + a.name).c_str());
                QCOMPARE(type_of(a.default_value), a.type);
            }
            QCOMPARE(names, attrs);
            QVERIFY(static_cast<bool>(d->shape));
            QCOMPARE(static_cast<bool>(d->build), type != "Input" && type != "Loss");
            // Every layer maps to ONNX in its own descriptor; Input and Loss are handled by the exporter.
            QCOMPARE(static_cast<bool>(d->onnx), type != "Input" && type != "Loss");
        }
        QCOMPARE(r.categories(), (std::vector<std::string>{"IO", "Core", "Convolution", "Pooling", "Normalization",
                                                           "Activation", "Merge", "Sequence", "Loss"}));
        QCOMPARE(r.types_in("Sequence"), (std::vector<std::string>{"GRU", "LSTM", "LastStep", "MeanOverTime",
                                                                   "MultiheadAttention", "PositionalEncoding", "RNN",
                                                                   "TransformerEncoderLayer"}));
        QCOMPARE(r.types_in("Merge"), (std::vector<std::string>{"Add", "Concat"}));
        QVERIFY(r.at("Add").variadic_inputs);
        QCOMPARE(r.at("Add").input_count(5), std::size_t{5});
        QCOMPARE(r.at("Add").input_count(0), std::size_t{2});
        QCOMPARE(r.at("Loss").inputs.at(1).kind, PortKind::DataTarget);
        QCOMPARE(r.at("Embedding").inputs.at(0).kind, PortKind::Indices);
        QCOMPARE(std::get<std::string>(r.at("Loss").find_attribute("type")->default_value), std::string("CrossEntropyLoss"));
        QCOMPARE(r.at("Loss").find_attribute("type")->choices, loss_types());
        QVERIFY(error_of([&] { r.at("Transformer"); }).contains("unknown layer type \"Transformer\""));
    }

    void pluginsRegisterMoreTypes() {
        LayerRegistry r;
        register_builtin_layers(r);
        LayerDescriptor scale;
        scale.type = "Scale";
        scale.category = "Custom";
        scale.help = "Multiplies by a constant.";
        scale.inputs = {{"input", PortKind::Tensor}};
        scale.outputs = {{"output", PortKind::Tensor}};
        scale.shape = [](const AttributeMap&, const std::vector<Shape>& in) { return ShapeResult::ok({in.at(0)}); };
        r.add(scale);
        QVERIFY(error_of([&] { r.add(scale); }).contains("already registered"));
        LayerDescriptor noshape;
        noshape.type = "NoShape";
        QVERIFY(error_of([&] { r.add(noshape); }).contains("has no shape rule"));
        QCOMPARE(r.categories().back(), std::string("Custom"));

        ModelGraph g = spiral_mlp();
        const NodeId s = g.add_node("Scale", "scale");
        g.remove_edge(*g.edge_into({g.find_node("loss"), PortIndex{0}}));
        g.add_edge(g.find_node("fc3"), s);
        g.add_edge(s, g.find_node("loss"));
        QVERIFY2(validate(g, r).empty(), qPrintable(dump(g, validate(g, r))));
        // The shared registry does not know it.
        QVERIFY(messages(g, validate(g), "scale").contains("unknown layer type \"Scale\" (is the plugin that provides it loaded?)"));
        // Without a builder, compile says so.
        QVERIFY(error_of([&] { compile(g, 1, r); }).contains("Scale cannot be built"));
    }

    // ---- shapes ----
    void mlpShapesAndParameterCounts() {
        const ModelGraph g = spiral_mlp();
        QVERIFY2(validate(g).empty(), qPrintable(dump(g, validate(g))));
        const ShapeReport r = infer_shapes(g);
        auto out = [&](const char* n) { return r.find(g.find_node(n))->outputs.at(0); };
        auto params = [&](const char* n) { return r.find(g.find_node(n))->parameters; };
        QCOMPARE(out("input"), (Shape{2}));
        QCOMPARE(out("fc1"), (Shape{64}));
        QCOMPARE(out("relu2"), (Shape{64}));
        QCOMPARE(out("fc3"), (Shape{3}));
        QVERIFY(r.find(g.find_node("loss"))->known);
        QVERIFY(r.find(g.find_node("loss"))->outputs.empty());
        // PyTorch: Linear(2, 64) 192, Linear(64, 64) 4160, Linear(64, 3) 195; the Sequential 4547.
        QCOMPARE(params("fc1"), std::int64_t{192});
        QCOMPARE(params("fc2"), std::int64_t{4160});
        QCOMPARE(params("fc3"), std::int64_t{195});
        QCOMPARE(params("relu1"), std::int64_t{0});
        QCOMPARE(r.total_parameters, std::int64_t{4547});
        // Every edge carries its source's shape.
        QCOMPARE(r.edges.size(), g.edge_count());
        QCOMPARE(r.edges.at(*g.edge_into({g.find_node("loss"), PortIndex{0}})), (Shape{3}));
        QCOMPARE(r.edges.at(*g.edge_into({g.find_node("relu1"), PortIndex{0}})), (Shape{64}));
        // Activations per sample: 2 + 64 * 4 + 3.
        QCOMPARE(r.activation_elements_per_sample, std::int64_t{261});
        QCOMPARE(r.activation_bytes(32), std::int64_t{261 * 32 * 4});
        QCOMPARE(r.activation_bytes(32, DType::F64), std::int64_t{261 * 32 * 8});
    }

    void cnnShapesAndParameterCounts() {
        const ModelGraph g = digits_cnn();
        QVERIFY2(validate(g).empty(), qPrintable(dump(g, validate(g))));
        const ShapeReport r = infer_shapes(g);
        // PyTorch, input [N, 1, 8, 8]:
        //   Conv2d(1, 8, 3, padding=1) (8, 8, 8) 80 | MaxPool2d(2) (8, 4, 4) 0 | Conv2d(8, 16, 3) (16, 2, 2) 1168
        //   MaxPool2d(2) (16, 1, 1) 0 | Flatten() (16,) 0 | Linear(16, 10) (10,) 170 | total 1418
        const std::vector<std::tuple<const char*, Shape, std::int64_t>> expected = {
            {"input", {1, 8, 8}, 0}, {"conv1", {8, 8, 8}, 80},  {"pool1", {8, 4, 4}, 0}, {"conv2", {16, 2, 2}, 1168},
            {"pool2", {16, 1, 1}, 0}, {"flatten", {16}, 0},    {"fc", {10}, 170},
        };
        for (const auto& [name, shape, params] : expected) {
            const NodeShapes* ns = r.find(g.find_node(name));
            QVERIFY2(ns && ns->known, name);
            QCOMPARE(ns->outputs.at(0), shape);
            QCOMPARE(ns->parameters, params);
        }
        QCOMPARE(r.find(g.find_node("conv2"))->inputs, (std::vector<Shape>{{8, 4, 4}}));
        QCOMPARE(r.total_parameters, std::int64_t{1418});
    }

    void moreLayerShapesMatchPyTorch() {
        using L = std::vector<std::int64_t>;
        struct Case {
            const char* type;
            AttributeMap attrs;
            Shape input;
            Shape output;
            std::int64_t params;
        };
        // Each line: PyTorch's module, input per sample, output per sample, parameter count.
        const std::vector<Case> cases = {
            // Conv2d(4, 6, (3, 5), stride=(2, 1), padding=(1, 2), dilation=(1, 2), groups=2) on (4, 9, 10): (6, 5, 6), 186
            {"Conv2d", {{"out_channels", std::int64_t{6}}, {"kernel_size", L{3, 5}}, {"stride", L{2, 1}},
                        {"padding", L{1, 2}}, {"dilation", L{1, 2}}, {"groups", std::int64_t{2}}}, {4, 9, 10}, {6, 5, 6}, 186},
            // AvgPool2d(3, stride=2, padding=1) on (3, 8, 9): (3, 4, 5)
            {"AvgPool2d", {{"kernel_size", L{3}}, {"stride", L{2}}, {"padding", L{1}}}, {3, 8, 9}, {3, 4, 5}, 0},
            // AdaptiveAvgPool2d((2, 3)) on (5, 7, 7): (5, 2, 3)
            {"AdaptiveAvgPool2d", {{"output_size", L{2, 3}}}, {5, 7, 7}, {5, 2, 3}, 0},
            // Flatten(2, 3) on (2, 3, 4, 5): (2, 12, 5)
            {"Flatten", {{"start_dim", std::int64_t{2}}, {"end_dim", std::int64_t{3}}}, {2, 3, 4, 5}, {2, 12, 5}, 0},
            // Linear(128, 10) on (3, 128): (3, 10), 1290
            {"Linear", {{"out_features", std::int64_t{10}}}, {3, 128}, {3, 10}, 1290},
            // BatchNorm2d(8): 16; BatchNorm1d(64): 128
            {"BatchNorm2d", {}, {8, 4, 4}, {8, 4, 4}, 16},
            {"BatchNorm1d", {{"num_features", std::int64_t{64}}}, {64}, {64}, 128},
            // LayerNorm(64): 128; LayerNorm([4, 4]): 32
            {"LayerNorm", {}, {64}, {64}, 128},
            {"LayerNorm", {{"normalized_shape", L{4, 4}}}, {2, 4, 4}, {2, 4, 4}, 32},
            // Embedding(1000, 16) on (5,) indices: (5, 16), 16000
            {"Embedding", {}, {5}, {5, 16}, 16000},
            {"Softmax", {{"dim", std::int64_t{1}}}, {7}, {7}, 0},
            {"Dropout", {}, {7}, {7}, 0},
            // LSTM(12, 20, num_layers=2, bidirectional=True) on (5, 12): (5, 40), 15360
            {"LSTM", {{"hidden_size", std::int64_t{20}}, {"num_layers", std::int64_t{2}}, {"bidirectional", true}},
             {5, 12}, {5, 40}, 15360},
            // GRU(12, 16): 1440; RNN(12, 8, nonlinearity='relu', bias=False): 160
            {"GRU", {{"hidden_size", std::int64_t{16}}}, {5, 12}, {5, 16}, 1440},
            {"RNN", {{"hidden_size", std::int64_t{8}}, {"nonlinearity", std::string("relu")}, {"bias", false}},
             {5, 12}, {5, 8}, 160},
            // MultiheadAttention(12, 3): 624; TransformerEncoderLayer(12, 2, 32): 1484
            {"MultiheadAttention", {{"num_heads", std::int64_t{3}}}, {5, 12}, {5, 12}, 624},
            {"TransformerEncoderLayer", {{"dim_feedforward", std::int64_t{32}}}, {5, 12}, {5, 12}, 1484},
            {"LastStep", {}, {5, 12}, {12}, 0},
            {"MeanOverTime", {}, {5, 12}, {12}, 0},
        };
        for (const auto& c : cases) {
            ModelGraph g;
            const NodeId in = g.add_node("Input", "input", {{"shape", L(c.input.begin(), c.input.end())}});
            const NodeId n = chain(g, in, c.type, "layer", c.attrs);
            chain(g, n, "Loss", "loss", {{"type", std::string("MSELoss")}});
            const auto diags = validate(g);
            QVERIFY2(diags.empty(), qPrintable(dump(g, diags)));
            const ShapeReport report = infer_shapes(g);
            const NodeShapes* ns = report.find(n);
            QCOMPARE(ns->outputs.at(0), c.output);
            QCOMPARE(ns->parameters, c.params);
        }
    }

    // ---- diagnostics, one of each kind ----
    void emptyModelHasNoInputAndNoLoss() {
        ModelGraph g;
        const auto d = validate(g);
        QCOMPARE(messages(g, d, ""), (QStringList{"the model has no Input node", "the model has no Loss node"}));
        QVERIFY(has_errors(d));
        QCOMPARE(describe(g, d[0]), std::string("model: the model has no Input node"));
    }

    void moreThanOneInputOrLoss() {
        ModelGraph g = spiral_mlp();
        g.add_node("Input", "input2");
        g.add_node("Loss", "loss2");
        const auto d = validate(g);
        QVERIFY(messages(g, d, "input2").contains("the model has 2 Input nodes (input, input2); it needs exactly one"));
        QVERIFY(messages(g, d, "loss2").contains("the model has 2 Loss nodes (loss, loss2); it needs exactly one"));
        QVERIFY(messages(g, d, "input").isEmpty());
    }

    void missingInputAndUnusedOutput() {
        ModelGraph g = spiral_mlp();
        g.remove_edge(*g.edge_into({g.find_node("fc2"), PortIndex{0}}));
        const auto d = validate(g);
        QCOMPARE(messages(g, d, "fc2"), QStringList{"its input is not connected"});
        QCOMPARE(messages(g, d, "relu1", Severity::Warning), QStringList{"output is not used"});
        // Errors come before warnings.
        QCOMPARE(d.back().severity, Severity::Warning);
        // Downstream nodes have no shape, and no diagnostics of their own.
        const ShapeReport r = infer_shapes(g);
        QVERIFY(!r.find(g.find_node("fc3"))->known);
        QVERIFY(r.find(g.find_node("fc1"))->known);
        QVERIFY(messages(g, d, "fc3").isEmpty());

        ModelGraph loss_alone;
        loss_alone.add_node("Input", "input", {{"shape", std::vector<std::int64_t>{2}}});
        loss_alone.add_node("Loss", "loss");
        const auto d2 = validate(loss_alone);
        QCOMPARE(messages(loss_alone, d2, "loss"), QStringList{"input 0 (input) is not connected"});
        QCOMPARE(messages(loss_alone, d2, "input", Severity::Warning), QStringList{"output is not used"});
    }

    void cycleNamesItsNodes() {
        ModelGraph g = spiral_mlp();
        const NodeId add = g.add_node("Add", "add");
        // relu1 → add → fc2 → relu2 → add: a cycle of three.
        g.remove_edge(*g.edge_into({g.find_node("fc2"), PortIndex{0}}));
        g.add_edge({g.find_node("relu1"), PortIndex{0}}, {add, PortIndex{0}});
        g.add_edge({add, PortIndex{0}}, {g.find_node("fc2"), PortIndex{0}});
        g.add_edge({g.find_node("relu2"), PortIndex{0}}, {add, PortIndex{1}});
        const auto d = validate(g);
        const QString msg = "is part of a cycle: fc2 -> relu2 -> add -> fc2";
        QCOMPARE(messages(g, d, "fc2"), QStringList{msg});
        QCOMPARE(messages(g, d, "relu2"), QStringList{msg});
        QCOMPARE(messages(g, d, "add"), QStringList{msg});
        QVERIFY(messages(g, d, "fc3").isEmpty());  // behind the cycle, not in it
        QVERIFY(!infer_shapes(g).find(g.find_node("fc3"))->known);

        ModelGraph self;
        const NodeId r = self.add_node("ReLU", "r");
        self.add_edge(r, r);
        QVERIFY(messages(self, validate(self), "r").contains("is part of a cycle: r -> r"));
    }

    void shapeMismatches() {
        ModelGraph g = spiral_mlp();
        g.set_attribute(g.find_node("fc2"), "in_features", std::int64_t{128});
        QCOMPARE(messages(g, validate(g), "fc2"), QStringList{"Linear expects 128 input features, gets 64"});

        using L = std::vector<std::int64_t>;
        ModelGraph c = digits_cnn();
        c.set_attribute(c.find_node("conv2"), "in_channels", std::int64_t{3});
        QCOMPARE(messages(c, validate(c), "conv2"), QStringList{"Conv2d expects 3 input channels, gets 8"});
        c.set_attribute(c.find_node("conv2"), "in_channels", std::int64_t{0});
        c.set_attribute(c.find_node("conv2"), "kernel_size", L{5});
        QCOMPARE(messages(c, validate(c), "conv2"), QStringList{"Conv2d kernel 5x5 is larger than its input 4x4"});
        c.set_attribute(c.find_node("input"), "shape", L{64});
        QCOMPARE(messages(c, validate(c), "conv1"),
                 QStringList{"Conv2d expects [channels, height, width] per sample, gets [64]"});

        ModelGraph m = dag();
        m.set_attribute(m.find_node("fc_b"), "out_features", std::int64_t{5});
        QCOMPARE(messages(m, validate(m), "add"), QStringList{"Add inputs must have the same shape: input 0 is [6], input 1 is [5]"});
        m.set_attribute(m.find_node("cat"), "dim", std::int64_t{0});
        m.set_attribute(m.find_node("fc_b"), "out_features", std::int64_t{6});
        QCOMPARE(messages(m, validate(m), "cat"), QStringList{"Concat along dim 0 would join batches, not features; use 1"});

        ModelGraph s = spiral_mlp();
        s.set_attribute(s.find_node("fc3"), "out_features", std::int64_t{1});
        s.remove_edge(*s.edge_into({s.find_node("loss"), PortIndex{0}}));
        const NodeId f = s.add_node("Flatten", "flat", {{"start_dim", std::int64_t{0}}});
        s.add_edge(s.find_node("fc3"), f);
        s.add_edge(f, s.find_node("loss"));
        QCOMPARE(messages(s, validate(s), "flat"), QStringList{"Flatten start_dim 0 would merge the samples of a batch; use 1"});

        // Sequence layers say what they expect in the shape the user sees on the edge.
        ModelGraph q;
        const NodeId qin = q.add_node("Input", "input", {{"shape", L{8}}});
        const NodeId lstm = chain(q, qin, "LSTM", "lstm");
        const NodeId att = chain(q, chain(q, lstm, "LastStep", "last"), "MultiheadAttention", "att");
        chain(q, att, "Loss", "loss", {{"type", std::string("MSELoss")}});
        QCOMPARE(messages(q, validate(q), "lstm"), QStringList{"LSTM expects [B, T, F] (T time steps of F features), gets [B, 8]"});
        q.set_attribute(qin, "shape", L{6, 8});
        QCOMPARE(messages(q, validate(q), "att"),
                 QStringList{"MultiheadAttention expects [B, T, F] (T time steps of F features), gets [B, 64]"});
        q.set_attribute(q.find_node("lstm"), "hidden_size", std::int64_t{10});
        q.remove_edge(*q.edge_into({att, PortIndex{0}}));
        q.add_edge(lstm, att);
        q.set_attribute(att, "num_heads", std::int64_t{4});
        QCOMPARE(messages(q, validate(q), "att"),
                 QStringList{"MultiheadAttention: embed_dim 10 (the input's features) must be divisible by num_heads 4"});
    }

    void badAttributes() {
        using L = std::vector<std::int64_t>;
        ModelGraph g = digits_cnn();
        g.set_attribute(g.find_node("fc"), "out_features", std::int64_t{0});
        g.set_attribute(g.find_node("conv1"), "out_channels", 2.5);
        g.set_attribute(g.find_node("conv2"), "kernel_size", L{3, 3, 3});
        g.set_attribute(g.find_node("pool1"), "stride", L{0});
        g.set_attribute(g.find_node("flatten"), "strat_dim", std::int64_t{1});
        g.set_attribute(g.find_node("loss"), "type", std::string("HingeLoss"));
        const auto d = validate(g);
        QCOMPARE(messages(g, d, "fc"), QStringList{"out_features must be at least 1, is 0"});
        QCOMPARE(messages(g, d, "conv1"), QStringList{"out_channels should be an integer, is a number (2.5)"});
        QCOMPARE(messages(g, d, "conv2"), QStringList{"kernel_size must have 1 to 2 values, has 3 ([3, 3, 3])"});
        QCOMPARE(messages(g, d, "pool1"), QStringList{"stride values must each be at least 1, one is 0"});
        QCOMPARE(messages(g, d, "flatten"), QStringList{"Flatten has no attribute 'strat_dim'"});
        QCOMPARE(messages(g, d, "loss"),
                 QStringList{"type must be one of CrossEntropyLoss, MSELoss, L1Loss, HuberLoss, NLLLoss, BCEWithLogitsLoss; is \"HingeLoss\""});

        ModelGraph p = spiral_mlp();
        const NodeId drop = p.add_node("Dropout", "drop", {{"p", 1.5}});
        p.add_edge(p.find_node("fc3"), drop);
        const auto d2 = validate(p);
        QCOMPARE(messages(p, d2, "drop"), QStringList{"p must be between 0 and 1, is 1.5"});
        QCOMPARE(messages(p, d2, "drop", Severity::Warning), QStringList{"output is not used"});
        // A float attribute takes an integer.
        p.set_attribute(drop, "p", std::int64_t{0});
        QVERIFY(messages(p, validate(p), "drop").isEmpty());
        p.set_attribute(drop, "p", std::nan(""));
        QCOMPARE(messages(p, validate(p), "drop"), QStringList{"p must be a finite number, is nan"});
    }

    void unknownTypesNamesAndPorts() {
        ModelGraph g = spiral_mlp();
        const NodeId t = g.add_node("Transformer", "tf");
        g.add_edge(g.find_node("fc3"), t);
        g.add_node("ReLU", "fc1");  // name taken
        g.add_node("ReLU", "a.b");
        g.set_name(g.add_node("ReLU"), "");
        // An edge from a port the layer does not have, and one into the Loss's target.
        const NodeId r = g.add_node("ReLU", "r");
        g.add_edge({g.find_node("relu1"), PortIndex{3}}, {r, PortIndex{0}});
        g.add_edge({g.find_node("relu2"), PortIndex{0}}, {g.find_node("loss"), PortIndex{1}});
        g.add_edge({g.find_node("fc2"), PortIndex{0}}, {g.find_node("relu2"), PortIndex{2}});
        const auto d = validate(g);
        QVERIFY(messages(g, d, "tf").contains("unknown layer type \"Transformer\" (is the plugin that provides it loaded?)"));
        QVERIFY(messages(g, d, "a.b").contains("name 'a.b' must not contain '.', which separates parameter names"));
        QVERIFY(messages(g, d, "").isEmpty());
        QCOMPARE(std::count_if(d.begin(), d.end(), [](const Diagnostic& x) {
                     return x.message == "name 'fc1' is already used by node 1; parameter names need unique node names";
                 }), 1);
        QCOMPARE(std::count_if(d.begin(), d.end(), [](const Diagnostic& x) {
                     return x.message == "has no name; parameters are named after their node";
                 }), 1);
        QVERIFY(messages(g, d, "relu1").contains("ReLU has 1 output, an edge leaves from output 3"));
        QVERIFY(messages(g, d, "loss").contains("input 1 (target) is fed by the dataset's targets; remove the edge from 'relu2'"));
        QVERIFY(messages(g, d, "relu2").contains("ReLU has 1 input, an edge arrives at input 2"));
        QVERIFY(messages(g, d, "r").contains("its input is not connected"));  // the bad edge does not count
        QVERIFY(has_errors(d));
    }

    void mergeLayersNeedTwoInputs() {
        ModelGraph g = dag();
        g.remove_edge(*g.edge_into({g.find_node("add"), PortIndex{1}}));
        const auto d = validate(g);
        QCOMPARE(messages(g, d, "add"), QStringList{"Add needs at least 2 inputs, has 1"});
        QCOMPARE(messages(g, d, "tanh", Severity::Warning), QStringList{"output is not used"});
        // A gap between variadic inputs.
        g.add_edge({g.find_node("tanh"), PortIndex{0}}, {g.find_node("add"), PortIndex{2}});
        QCOMPARE(messages(g, validate(g), "add"), QStringList{"input 1 is not connected"});
        // Three inputs are fine.
        g.add_edge({g.find_node("fc_b"), PortIndex{0}}, {g.find_node("add"), PortIndex{1}});
        QVERIFY2(validate(g).empty(), qPrintable(dump(g, validate(g))));
        QCOMPARE(infer_shapes(g).find(g.find_node("add"))->inputs.size(), std::size_t{3});
    }

    void validateNeverThrows() {
        // Random graphs of random types, ports and attributes.
        const auto types = LayerRegistry::instance().types();
        std::mt19937 rng(42);
        for (int round = 0; round < 300; ++round) {
            ModelGraph g;
            const int n = 1 + static_cast<int>(rng() % 8);
            for (int i = 0; i < n; ++i) {
                AttributeMap a;
                const std::string type = rng() % 10 == 0 ? "Bogus" : types[rng() % types.size()];
                if (rng() % 2) a["shape"] = std::vector<std::int64_t>{static_cast<std::int64_t>(rng() % 5) - 1, 3, 3};
                if (rng() % 3 == 0) a["out_features"] = static_cast<std::int64_t>(rng() % 4) - 1;
                if (rng() % 5 == 0) a["kernel_size"] = std::vector<std::int64_t>{};
                if (rng() % 5 == 0) a["dim"] = static_cast<std::int64_t>(rng() % 9) - 4;
                if (rng() % 7 == 0) a["normalized_shape"] = std::vector<std::int64_t>{0};
                g.add_node(type, {}, a);
            }
            for (int e = 0; e < 2 * n; ++e) {
                try {
                    g.add_edge({NodeId{static_cast<NodeId::Rep>(rng() % n)}, PortIndex{static_cast<PortIndex::Rep>(rng() % 2)}},
                               {NodeId{static_cast<NodeId::Rep>(rng() % n)}, PortIndex{static_cast<PortIndex::Rep>(rng() % 3)}});
                } catch (const neura::Error&) {
                }
            }
            try {
                (void)validate(g);
                (void)infer_shapes(g);
            } catch (const std::exception& ex) {
                QFAIL(ex.what());
            }
        }
    }

    void hostileSizesAreDiagnosedNotAllocated() {
        // Attributes without a declared bound are bounded at 2^31 - 1.
        ModelGraph g = spiral_mlp();
        g.set_attribute(g.find_node("fc2"), "in_features", std::int64_t{0});
        g.set_attribute(g.find_node("fc2"), "out_features", std::int64_t{1} << 40);
        auto d = validate(g);
        QCOMPARE(messages(g, d, "fc2"), QStringList{"out_features must be between 1 and 2147483647, is 1099511627776"});
        // Sizes within bounds whose products overflow: the shape rule's error, not a wrapped count.
        ModelGraph f;
        NodeId n = f.add_node("Input", "input", {{"shape", std::vector<std::int64_t>{2147483647, 2147483647, 2147483647}}});
        n = chain(f, n, "Flatten", "flatten");
        n = chain(f, n, "Linear", "fc", {{"out_features", std::int64_t{2}}});
        chain(f, n, "Loss", "loss");
        d = validate(f);
        QVERIFY2(has_errors(d), qPrintable(dump(f, d)));
        QVERIFY2(dump(f, d).contains("more elements than a 64-bit count holds"), qPrintable(dump(f, d)));
        QVERIFY(error_of([&] { compile(f, 0); }).startsWith("cannot compile the model: "));
    }

    void theModelBudgetIsCheckedBeforeCompile() {
        const ModelBudget saved = model_budget();
        struct Restore {
            ModelBudget b;
            ~Restore() { set_model_budget(b); }
        } restore{saved};
        QCOMPARE(saved.max_parameters, std::int64_t{250'000'000});
        QCOMPARE(saved.max_activation_bytes_per_sample, std::int64_t{256} << 20);
        // fc2 with 2e9 features: 64 * 2e9 + 2e9 = 130e9 parameters in fc2, 2e9 * 3 + 3 in fc3, 192 in fc1
        // (PyTorch's count for Linear(in, out): in * out + out); nothing is allocated.
        ModelGraph g = spiral_mlp();
        g.set_attribute(g.find_node("fc2"), "in_features", std::int64_t{0});
        g.set_attribute(g.find_node("fc2"), "out_features", std::int64_t{2'000'000'000});
        auto d = validate(g);
        const QStringList fc2 = messages(g, d, "fc2");
        QVERIFY2(fc2.size() == 2, qPrintable(dump(g, d)));
        QCOMPARE(fc2[0], QString("the model has 136,000,000,195 parameters, more than the budget of 250,000,000; this node "
                                 "holds 130,000,000,000 of them (NEURA_MAX_PARAMETERS raises the budget)"));
        QVERIFY(error_of([&] { compile(g, 0); }).contains("more than the budget of 250,000,000"));
        // The budget is settable: the spiral MLP (4,547 parameters, fc2 holds the most; 2 + 64 * 4 + 3 = 261
        // output values per sample, 1,044 bytes in F32) against budgets just below and at its size.
        const ModelGraph s = spiral_mlp();
        set_model_budget({4546, 1 << 20});
        QCOMPARE(messages(s, validate(s), "fc2"),
                 QStringList{"the model has 4,547 parameters, more than the budget of 4,546; this node holds 4,160 of "
                             "them (NEURA_MAX_PARAMETERS raises the budget)"});
        set_model_budget({4547, 1043});
        QCOMPARE(messages(s, validate(s), "fc1"),
                 QStringList{"the model's outputs take 1,044 bytes per sample in F32, more than the budget of 1,043 "
                             "bytes; this node's output holds 64 values per sample (NEURA_MAX_ACTIVATION_MIB raises "
                             "the budget)"});
        set_model_budget({4547, 1044});
        QVERIFY(!has_errors(validate(s)));
        set_model_budget(saved);
        QVERIFY(!has_errors(validate(s)));
    }

    // ---- compile ----
    void compileRefusesAnInvalidGraph() {
        ModelGraph g = spiral_mlp();
        g.set_attribute(g.find_node("fc2"), "in_features", std::int64_t{128});
        QCOMPARE(error_of([&] { compile(g, 0); }),
                 QString("cannot compile the model: node 'fc2' (Linear): Linear expects 128 input features, gets 64"));
        QCOMPARE(error_of([&] { compile(ModelGraph{}, 0); }), QString("cannot compile the model: model: the model has no Input node"));
    }

    void compileAndRunTheMlp() {
        ModelGraph g = spiral_mlp();
        const NodeId extra = g.add_node("Linear", "unused_head");  // a warning, and left out of the network
        g.add_edge(g.find_node("relu2"), extra);
        Network net = compile(g, 7);
        QCOMPARE(net.steps().size(), std::size_t{6});
        QCOMPARE(net.input_shape(), (Shape{2}));
        QCOMPARE(net.output_shape(), (Shape{3}));
        QCOMPARE(net.output_node(), g.find_node("fc3"));
        QCOMPARE(net.loss_node(), g.find_node("loss"));
        QCOMPARE(net.loss_type(), std::string("CrossEntropyLoss"));
        QVERIFY(!net.module(extra));
        QCOMPARE(net.node_name(g.find_node("fc2")), std::string("fc2"));

        std::vector<std::string> names;
        for (const auto& [name, t] : net.named_parameters()) names.push_back(name);
        QCOMPARE(names, (std::vector<std::string>{"fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias", "fc3.weight", "fc3.bias"}));
        QCOMPARE(net.parameter_count(), std::int64_t{4547});
        QCOMPARE(net.parameters().size(), std::size_t{6});

        // Hooks see every node in order, with its output.
        std::vector<std::pair<NodeId, Shape>> seen;
        const auto h = net.add_forward_hook([&](NodeId n, const Tensor& t) { seen.emplace_back(n, t.shape()); });
        const Tensor x = Tensor::randn({5, 2});
        const Tensor y = net.forward(x);
        QCOMPARE(y.shape(), (Shape{5, 3}));
        QCOMPARE(seen.size(), std::size_t{6});
        QCOMPARE(seen.front(), std::make_pair(g.find_node("input"), Shape{5, 2}));
        QCOMPARE(seen[1], std::make_pair(g.find_node("fc1"), Shape{5, 64}));
        QCOMPARE(seen.back(), std::make_pair(g.find_node("fc3"), Shape{5, 3}));
        QVERIFY(net.remove_forward_hook(h));
        QVERIFY(!net.remove_forward_hook(h));
        net.forward(x);
        QCOMPARE(seen.size(), std::size_t{6});

        const Tensor target = Tensor::from_vector<std::int64_t>({0, 1, 2, 0, 1}, {5});
        const Tensor loss = net.loss(y, target);
        QCOMPARE(loss.dim(), std::int64_t{0});
        QVERIFY(all_finite(loss));
        loss.backward();
        for (const auto& [name, p] : net.named_parameters()) {
            QVERIFY2(p.grad().defined(), name.c_str());
            QCOMPARE(p.grad().shape(), p.shape());
        }
        net.zero_grad();
        QVERIFY(!net.parameters()[0].grad().defined());

        // The same seed gives the same weights; another seed others.
        Network same = compile(g, 7), other = compile(g, 8);
        QCOMPARE(same.parameters()[0].to_vector<float>(), net.parameters()[0].to_vector<float>());
        QVERIFY(other.parameters()[0].to_vector<float>() != net.parameters()[0].to_vector<float>());

        QVERIFY(error_of([&] { net.forward(Tensor::randn({5, 3})); })
                    .contains("the model takes batches of shape [B, 2] (per sample [2]), got [5, 3]"));

        net.eval();
        QVERIFY(!net.is_training());
        QVERIFY(!net.module(g.find_node("fc1"))->is_training());
        net.train();
        QVERIFY(net.module(g.find_node("fc1"))->is_training());

        // Moving the network keeps it working (modules hold the generator by pointer).
        Network moved = std::move(same);
        QCOMPARE(moved.forward(x).shape(), (Shape{5, 3}));
    }

    void compileAndRunADag() {
        const ModelGraph g = dag();
        QVERIFY2(validate(g).empty(), qPrintable(dump(g, validate(g))));
        QCOMPARE(infer_shapes(g).find(g.find_node("cat"))->outputs.at(0), (Shape{10}));
        Network net = compile(g, 3);
        QCOMPARE(net.output_node(), g.find_node("head"));
        const Tensor x = Tensor::randn({4, 4});
        std::map<NodeId, Tensor> outputs;
        net.add_forward_hook([&](NodeId n, const Tensor& t) { outputs[n] = t; });
        const Tensor y = net.forward(x);
        QCOMPARE(y.shape(), (Shape{4, 2}));

        // Recompute by hand from the modules' weights.
        auto linear = [&](const char* name, const Tensor& in) {
            auto m = std::dynamic_pointer_cast<nn::Linear>(net.module(g.find_node(name)));
            return matmul(in, m->weight.t()) + m->bias;
        };
        const Tensor a = linear("fc_a", x);
        const Tensor sum = a + tanh(linear("fc_b", a));
        const Tensor joined = cat({sum, x}, 1);
        const Tensor expect = linear("head", joined);
        QCOMPARE(outputs.at(g.find_node("cat")).shape(), (Shape{4, 10}));
        const auto got = y.to_vector<float>(), want = expect.to_vector<float>();
        for (std::size_t i = 0; i < got.size(); ++i) QVERIFY(std::abs(got[i] - want[i]) < 1e-5f);

        const Tensor loss = net.loss(y, Tensor::zeros({4, 2}));
        QVERIFY(all_finite(loss));
        loss.backward();
        QVERIFY(net.module(g.find_node("fc_b"))->parameters()[0].grad().defined());
    }

    void everyLayerBuildsWithTheCountedParameters() {
        // The parameter_count formulas agree with the modules the builders make.
        using L = std::vector<std::int64_t>;
        const std::vector<std::pair<const char*, Shape>> layers = {
            {"Linear", {3, 12}}, {"Conv2d", {3, 6, 6}}, {"MaxPool2d", {3, 6, 6}}, {"AvgPool2d", {3, 6, 6}},
            {"AdaptiveAvgPool2d", {3, 6, 6}}, {"BatchNorm1d", {12}}, {"BatchNorm2d", {3, 6, 6}}, {"LayerNorm", {3, 12}},
            {"Dropout", {12}}, {"Flatten", {3, 6, 6}}, {"Embedding", {5}}, {"ReLU", {12}}, {"LeakyReLU", {12}},
            {"Sigmoid", {12}}, {"Tanh", {12}}, {"GELU", {12}}, {"Softmax", {12}}, {"RNN", {5, 12}}, {"LSTM", {5, 12}},
            {"GRU", {5, 12}}, {"MultiheadAttention", {5, 12}}, {"TransformerEncoderLayer", {5, 12}},
            {"PositionalEncoding", {5, 12}}, {"LastStep", {5, 12}}, {"MeanOverTime", {5, 12}},
        };
        for (const auto& [type, shape] : layers) {
            ModelGraph g;
            const NodeId in = g.add_node("Input", "input", {{"shape", L(shape.begin(), shape.end())}});
            const NodeId n = chain(g, in, type, "layer");
            chain(g, n, "Loss", "loss", {{"type", std::string("MSELoss")}});
            const ShapeReport r = infer_shapes(g);
            Network net = compile(g, 1);
            QCOMPARE(net.parameter_count(), r.total_parameters);
            Shape batch = shape;
            batch.insert(batch.begin(), 2);
            const Tensor x = std::string(type) == "Embedding" ? Tensor::randint(0, 10, batch).to(DType::F32)
                                                              : Tensor::randn(batch);
            const Tensor y = net.forward(x);
            Shape want = r.find(n)->outputs.at(0);
            want.insert(want.begin(), 2);
            QVERIFY2(y.shape() == want, type);
        }
    }

    void descriptorCountsAreTheBuiltModulesParameters() {
        // The parameter count a descriptor states (shape reports, the model budget) is the number of
        // elements in the parameters its builder makes, for every built-in layer and several settings
        // of the attributes that change the parameters.
        using L = std::vector<std::int64_t>;
        using I = std::int64_t;
        struct Case {
            std::string type;
            AttributeMap attrs;
            std::vector<Shape> inputs;
        };
        std::vector<Case> cases = {
            {"Linear", {{"out_features", I{7}}, {"bias", false}}, {{3, 5}}},
            {"Linear", {{"in_features", I{5}}, {"out_features", I{1}}}, {{5}}},
            {"Conv2d", {{"out_channels", I{4}}, {"kernel_size", L{3, 1}}, {"groups", I{2}}, {"bias", false}}, {{4, 8, 8}}},
            {"Conv2d", {{"out_channels", I{6}}, {"kernel_size", L{5}}, {"dilation", L{2}}, {"padding", L{4}}}, {{1, 9, 9}}},
            {"Embedding", {{"num_embeddings", I{7}}, {"embedding_dim", I{3}}}, {{2, 4}}},
            {"BatchNorm1d", {{"affine", false}}, {{6, 4}}},
            {"BatchNorm1d", {{"num_features", I{6}}}, {{6, 4}}},
            {"BatchNorm2d", {{"affine", false}}, {{3, 4, 4}}},
            {"LayerNorm", {{"normalized_shape", L{3, 12}}}, {{3, 12}}},
            {"LayerNorm", {{"elementwise_affine", false}}, {{3, 12}}},
            {"LeakyReLU", {{"negative_slope", 0.2}}, {{12}}},
            {"Softmax", {{"dim", I{1}}}, {{3, 4}}},
            {"Concat", {{"dim", I{-1}}}, {{2, 3}, {2, 5}}},
            {"Add", {}, {{4}, {4}, {4}}},
            {"MaxPool2d", {{"kernel_size", L{3}}, {"stride", L{1}}}, {{2, 6, 6}}},
        };
        // Every built-in layer with a module, with its default attributes.
        const LayerRegistry& r = LayerRegistry::instance();
        std::set<std::string> covered;
        for (const std::string& type : r.types()) {
            const LayerDescriptor& d = r.at(type);
            if (!d.build || !d.plugin.empty()) continue;
            covered.insert(type);
            const bool image = type.find("2d") != std::string::npos;
            std::vector<Shape> in(d.input_count(0), image ? Shape{3, 6, 6} : Shape{4, 12});
            if (type == "BatchNorm1d") in = {{12}};
            if (d.category == "Sequence") in = {{5, 12}};  // 5 steps of 12 features
            cases.push_back({type, {}, in});
        }
        QVERIFY(covered.size() >= 17);  // Linear ... Concat: every layer but Input and Loss
        Generator gen(3);
        for (const Case& c : cases) {
            const LayerDescriptor& d = r.at(c.type);
            const AttributeMap a = d.resolve(c.attrs);
            const ShapeResult shapes = d.shape(a, c.inputs);
            QVERIFY2(shapes.is_ok(), (c.type + ": " + shapes.error).c_str());
            const std::int64_t stated = d.parameter_count ? d.parameter_count(a, c.inputs) : 0;
            std::int64_t made = 0;
            for (const Tensor& t : d.build(a, c.inputs, gen)->parameters()) made += t.numel();
            QVERIFY2(stated == made, (c.type + ": the descriptor counts " + std::to_string(stated) +
                                      ", the module holds " + std::to_string(made)).c_str());
        }
        // A few by hand (torch.nn's parameter shapes): Linear(5, 7, bias=False) has a [7, 5] weight;
        // Conv2d(4, 4, (3, 1), groups=2, bias=False) a [4, 2, 3, 1] weight; LayerNorm([3, 12]) a
        // weight and a bias of [3, 12].
        auto count = [&](const Case& c) { return r.at(c.type).parameter_count(r.at(c.type).resolve(c.attrs), c.inputs); };
        QCOMPARE(count(cases[0]), std::int64_t{7 * 5});
        QCOMPARE(count(cases[2]), std::int64_t{4 * 2 * 3 * 1});
        QCOMPARE(count(cases[3]), std::int64_t{6 * 1 * 5 * 5 + 6});
        QCOMPARE(count(cases[8]), std::int64_t{2 * 3 * 12});
        QCOMPARE(count(cases[9]), std::int64_t{0});
    }

    void everyLossTypeBuildsItsLoss() {
        // The Loss node's type choices are the loss table's names, and each builds that loss, which
        // compile() applies: one table drives the palette and the network.
        const AttributeSpec* type = LayerRegistry::instance().at("Loss").find_attribute("type");
        QVERIFY(type);
        std::vector<std::string> names;
        for (const nn::LossKind& k : nn::loss_kinds()) names.push_back(k.name);
        QCOMPARE(type->choices, names);
        QCOMPARE(loss_types(), names);
        QVERIFY(names.size() >= 6);
        for (const std::string& name : type->choices) {
            const auto loss = make_loss({{"type", name}, {"reduction", std::string("sum")}});
            QVERIFY2(loss, name.c_str());
            QCOMPARE(loss->type_name(), name);
            QCOMPARE(loss->reduction, nn::Reduction::Sum);

            ModelGraph g;
            NodeId n = g.add_node("Input", "input", {{"shape", std::vector<std::int64_t>{2}}});
            n = chain(g, n, "Linear", "fc", {{"out_features", std::int64_t{3}}});
            chain(g, n, "Loss", "loss", {{"type", name}});
            Network net = compile(g, 5);
            QCOMPARE(net.loss_type(), name);
            const Tensor y = net.forward(Tensor::randn({4, 2}));
            const bool classes = nn::find_loss_kind(name)->class_scores;
            const Tensor target = classes ? Tensor::randint(0, 3, {4}) : Tensor::rand({4, 3});
            const Tensor got = net.loss(y, target);
            QVERIFY(all_finite(got));
            QCOMPARE(got.to_vector<float>(), make_loss({{"type", name}})->forward(y, target).to_vector<float>());
        }
        // The settings reach the loss.
        const auto huber = std::dynamic_pointer_cast<nn::HuberLoss>(make_loss({{"type", std::string("HuberLoss")}, {"delta", 0.25}}));
        QVERIFY(huber);
        QCOMPARE(huber->delta, 0.25);
        QCOMPARE(huber->reduction, nn::Reduction::Mean);  // the Loss node's default
        const auto ce = std::dynamic_pointer_cast<nn::CrossEntropyLoss>(
            make_loss({{"type", std::string("CrossEntropyLoss")}, {"label_smoothing", 0.1}}));
        QVERIFY(ce);
        QCOMPARE(ce->label_smoothing, 0.1);
        QVERIFY(error_of([] { make_loss({{"type", std::string("HingeLoss")}}); }).contains("unknown loss type \"HingeLoss\""));
    }

    void batchNormBuffersAndDropoutInEval() {
        ModelGraph g = spiral_mlp();
        g.remove_edge(*g.edge_into({g.find_node("relu1"), PortIndex{0}}));
        const NodeId bn = chain(g, g.find_node("fc1"), "BatchNorm1d", "bn1");
        const NodeId drop = chain(g, bn, "Dropout", "drop", {{"p", 0.5}});
        g.add_edge(drop, g.find_node("relu1"));
        Network net = compile(g, 0);
        std::vector<std::string> buffers;
        for (const auto& [name, t] : net.named_buffers()) buffers.push_back(name);
        QVERIFY(std::find(buffers.begin(), buffers.end(), "bn1.running_mean") != buffers.end());
        const Tensor x = Tensor::randn({8, 2});
        net.eval();
        QCOMPARE(net.forward(x).to_vector<float>(), net.forward(x).to_vector<float>());
    }
};

QTEST_APPLESS_MAIN(TestGraph)
#include "tst_graph.moc"
