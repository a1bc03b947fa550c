// MultiheadAttention, TransformerEncoderLayer and PositionalEncoding against PyTorch
// (tests/reference/attention_reference.json: outputs, attention weights and every gradient, F64 and F32,
// for given parameters, inputs and masks), parameters and initialization as PyTorch's, F64 gradcheck,
// dropout, and the error messages.
#include <QtTest>

#include "common/TestSupport.h"

#include <cmath>
#include <memory>
#include <nlohmann/json.hpp>

#include "neura/neura.h"
#include "neura/nn/Attention.h"

using namespace neura;
using namespace neura::nn;
using nlohmann::json;

namespace {

const json& cases() { return neura::test::fixture("attention_reference.json")["cases"]; }

Tensor tensor_from(const json& t, DType float_dtype) {
    const Shape shape = t["shape"].get<Shape>();
    if (t["int"].get<bool>())
        return Tensor::from_vector(t["values"].get<std::vector<std::int64_t>>(), shape, DType::I64);
    return Tensor::from_vector(t["values"].get<std::vector<double>>(), shape, float_dtype);
}

// |got - want| <= tol * (1 + |want|) everywhere, shapes equal; a message names the first miss.
QString mismatch(const Tensor& got, const json& want, double tol) {
    if (got.shape() != want["shape"].get<Shape>())
        return QString("shape %1, PyTorch %2").arg(shape_str(got.shape()).c_str(),
                                                    shape_str(want["shape"].get<Shape>()).c_str());
    const auto g = got.to(DType::F64).contiguous().to_vector<double>();
    const auto w = want["values"].get<std::vector<double>>();
    for (std::size_t i = 0; i < g.size(); ++i)
        if (!(std::abs(g[i] - w[i]) <= tol * (1.0 + std::abs(w[i]))))
            return QString("[%1]: got %2, PyTorch %3").arg(i).arg(g[i], 0, 'g', 12).arg(w[i], 0, 'g', 12);
    return {};
}

std::shared_ptr<Module> make(const json& c) {
    const json& o = c["options"];
    const std::string kind = c["module"];
    if (kind == "MultiheadAttention")
        return std::make_shared<MultiheadAttention>(MultiheadAttentionOptions{
            .embed_dim = o["embed_dim"], .num_heads = o["num_heads"], .dropout = 0.0, .bias = o["bias"],
            .batch_first = o["batch_first"]});
    if (kind == "TransformerEncoderLayer")
        return std::make_shared<TransformerEncoderLayer>(TransformerEncoderLayerOptions{
            .d_model = o["d_model"], .nhead = o["nhead"], .dim_feedforward = o["dim_feedforward"], .dropout = 0.0,
            .activation = o["activation"], .layer_norm_eps = 1e-5, .batch_first = o["batch_first"],
            .norm_first = o["norm_first"], .causal = o["causal"]});
    return std::make_shared<PositionalEncoding>(o["d_model"].get<std::int64_t>(), 5000, 0.0,
                                                o["batch_first"].get<bool>());
}

// The module's outputs for the case's inputs: {output} or {output, weights}.
std::vector<Tensor> run(Module& m, const json& c, const std::vector<Tensor>& in, DType dtype) {
    const std::string kind = c["module"];
    auto mask = [&](const char* name) { return c["masks"].contains(name) ? tensor_from(c["masks"][name], dtype) : Tensor(); };
    if (kind == "MultiheadAttention") {
        const json& o = c["options"];
        auto& mha = static_cast<MultiheadAttention&>(m);
        const bool self = o["self_attention"];
        const AttentionResult r = mha.forward(in[0], self ? in[0] : in[1], self ? in[0] : in[2], mask("key_padding_mask"),
                                              o["need_weights"], mask("attn_mask"), o["average_attn_weights"]);
        if (r.weights.defined()) return {r.output, r.weights};
        return {r.output};
    }
    if (kind == "TransformerEncoderLayer")
        return {static_cast<TransformerEncoderLayer&>(m).forward(in[0], mask("src_mask"), mask("src_key_padding_mask"))};
    return {m.forward(in[0])};
}

void set_values(const Tensor& t, const Tensor& v) {
    NoGradGuard ng;
    Tensor(t).copy_(v.to(t.dtype()));
}

void expect_error(const std::function<void()>& f, const std::string& part) {
    const QString e = neura::test::error_of(f);
    QVERIFY2(e.contains(QString::fromStdString(part)),
             qPrintable(QString("message \"%1\" lacks \"%2\"").arg(e, part.c_str())));
}

}  // namespace

class TestAttention : public QObject {
    Q_OBJECT

private slots:
    void matches_pytorch_data() {
        QTest::addColumn<QString>("name");
        QTest::addColumn<int>("dtype_i");
        for (const auto& [name, _] : cases().items()) {
            QTest::newRow((name + "/f64").c_str()) << QString::fromStdString(name) << int(DType::F64);
            QTest::newRow((name + "/f32").c_str()) << QString::fromStdString(name) << int(DType::F32);
        }
    }
    // Outputs, attention weights and the gradients of sum(output * w) (+ sum(weights * w2)) with respect
    // to the inputs and every parameter, with PyTorch's parameters copied in by name.
    void matches_pytorch() {
        QFETCH(QString, name);
        QFETCH(int, dtype_i);
        const auto dtype = static_cast<DType>(dtype_i);
        const double tol = dtype == DType::F64 ? 1e-6 : 1e-5;
        const json& c = cases()[name.toStdString()];
        auto m = make(c);
        m->to(dtype);
        std::size_t copied = 0;
        for (const auto& [pname, p] : m->named_parameters()) {
            QVERIFY2(c["parameters"].contains(pname), qPrintable(QString("PyTorch has no parameter %1").arg(pname.c_str())));
            const json& ref = c["parameters"][pname];
            QCOMPARE(p.shape(), ref["shape"].get<Shape>());
            set_values(p, tensor_from(ref, DType::F64));
            ++copied;
        }
        if (c.contains("parameters")) QCOMPARE(copied, c["parameters"].size());
        std::vector<Tensor> in;
        for (const json& t : c["inputs"]) in.push_back(tensor_from(t, dtype).requires_grad_());
        const std::vector<Tensor> outs = run(*m, c, in, dtype);
        QString bad = mismatch(outs[0], c["output"], tol);
        QVERIFY2(bad.isEmpty(), qPrintable("output " + bad));
        QCOMPARE(outs.size(), std::size_t(c.contains("weights") ? 2 : 1));
        if (!c.contains("input_grads")) return;  // PositionalEncoding: values only
        Tensor loss = sum(outs[0] * tensor_from(c["grad_output"], dtype));
        if (outs.size() == 2) {
            bad = mismatch(outs[1], c["weights"], tol);
            QVERIFY2(bad.isEmpty(), qPrintable("weights " + bad));
            loss = loss + sum(outs[1] * tensor_from(c["grad_weights"], dtype));
        }
        loss.backward();
        for (std::size_t i = 0; i < in.size(); ++i) {
            QVERIFY2(in[i].grad().defined(), qPrintable(QString("input %1 has no gradient").arg(i)));
            bad = mismatch(in[i].grad(), c["input_grads"][i], tol);
            QVERIFY2(bad.isEmpty(), qPrintable(QString("input %1 gradient ").arg(i) + bad));
        }
        for (const auto& [pname, p] : m->named_parameters()) {
            bad = mismatch(p.grad(), c["parameter_grads"][pname], tol);
            QVERIFY2(bad.isEmpty(), qPrintable(QString("%1 gradient ").arg(pname.c_str()) + bad));
        }
    }

    void parameters_and_initialization() {
        Generator gen(7);
        MultiheadAttention mha({.embed_dim = 8, .num_heads = 2}, &gen);
        const ParameterSpecs want = {{"in_proj_weight", {24, 8}}, {"in_proj_bias", {24}},
                                     {"out_proj.weight", {8, 8}}, {"out_proj.bias", {8}}};
        ParameterSpecs got;
        for (const auto& [n, p] : mha.named_parameters()) got.push_back({n, p.shape()});
        QVERIFY(got == want);
        QVERIFY(MultiheadAttention::parameter_specs({.embed_dim = 8, .num_heads = 2}) == want);
        // PyTorch: xavier_uniform_ in_proj_weight (bound sqrt(6 / (E + 3E))), zero biases, out_proj as a Linear.
        const double xavier = std::sqrt(6.0 / 32.0);
        const auto w = mha.in_proj_weight.to_vector<float>();
        QVERIFY(*std::max_element(w.begin(), w.end()) <= xavier && *std::min_element(w.begin(), w.end()) >= -xavier);
        QVERIFY(*std::max_element(w.begin(), w.end()) > 0.8 * xavier);  // drawn over the whole range
        for (float b : mha.in_proj_bias.to_vector<float>()) QCOMPARE(b, 0.0f);
        for (float b : mha.out_proj->bias.to_vector<float>()) QCOMPARE(b, 0.0f);
        for (float v : mha.out_proj->weight.to_vector<float>()) QVERIFY(std::abs(v) <= 1.0 / std::sqrt(8.0));

        const TransformerEncoderLayerOptions o{.d_model = 8, .nhead = 2, .dim_feedforward = 16};
        TransformerEncoderLayer layer(o, &gen);
        got.clear();
        for (const auto& [n, p] : layer.named_parameters()) got.push_back({n, p.shape()});
        QVERIFY(got == TransformerEncoderLayer::parameter_specs(o));
        // PyTorch's names and order (nn.TransformerEncoderLayer(8, 2, 16).named_parameters()).
        QCOMPARE(got.size(), std::size_t(12));
        QCOMPARE(got[0].name, std::string("self_attn.in_proj_weight"));
        QCOMPARE(got[4].name, std::string("linear1.weight"));
        QCOMPARE(got[11].name, std::string("norm2.bias"));
        QCOMPARE(parameter_numel(got), std::int64_t(24 * 8 + 24 + 64 + 8 + 16 * 8 + 16 + 8 * 16 + 8 + 4 * 8));
    }

    // F64 gradcheck through the whole layer (first order: layer_norm's backward is a kernel).
    void gradcheck_layers() {
        Generator gen(3);
        MultiheadAttention mha({.embed_dim = 4, .num_heads = 2, .batch_first = true}, &gen);
        mha.to(DType::F64);
        const Tensor kpm = Tensor::from_vector(std::vector<std::int64_t>{0, 0, 1, 0, 0, 0}, {2, 3});
        std::vector<Tensor> inputs = {Tensor::randn({2, 2, 4}, DType::F64, &gen).requires_grad_(),
                                      Tensor::randn({2, 3, 4}, DType::F64, &gen).requires_grad_()};
        for (const auto& [n, p] : mha.named_parameters()) inputs.push_back(p);
        auto r = autograd::gradcheck(
            [&](const std::vector<Tensor>& x) {
                const AttentionResult a = mha.forward(x[0], x[1], x[1], kpm);
                return std::vector<Tensor>{a.output, a.weights};
            },
            inputs);
        QVERIFY2(r.passed, r.message.c_str());

        TransformerEncoderLayer layer({.d_model = 4, .nhead = 2, .dim_feedforward = 6, .dropout = 0.0,
                                       .activation = "gelu", .batch_first = true, .causal = true},
                                      &gen);
        layer.to(DType::F64);
        inputs = {Tensor::randn({2, 3, 4}, DType::F64, &gen).requires_grad_()};
        for (const auto& [n, p] : layer.named_parameters()) inputs.push_back(p);
        autograd::GradcheckOptions first_order;
        first_order.check_double_backward = false;
        r = autograd::gradcheck([&](const std::vector<Tensor>& x) { return std::vector<Tensor>{layer(x[0])}; }, inputs,
                                first_order);
        QVERIFY2(r.passed, r.message.c_str());
    }

    // Causal: changing a later position leaves every earlier output as it was.
    void causal_encoder_does_not_look_ahead() {
        Generator gen(5);
        TransformerEncoderLayer layer({.d_model = 8, .nhead = 2, .dim_feedforward = 16, .dropout = 0.0,
                                       .batch_first = true, .causal = true},
                                      &gen);
        NoGradGuard ng;
        Tensor x = Tensor::randn({1, 5, 8}, DType::F32, &gen);
        const auto before = layer(x).to_vector<float>();
        Tensor changed = x.clone();
        changed.narrow(1, 3, 1).fill_(9.0);
        const auto after = layer(changed).to_vector<float>();
        for (std::size_t i = 0; i < 3 * 8; ++i) QCOMPARE(after[i], before[i]);
        bool later_changed = false;
        for (std::size_t i = 3 * 8; i < after.size(); ++i) later_changed |= after[i] != before[i];
        QVERIFY(later_changed);
    }

    void dropout_only_while_training() {
        Generator gen(11);
        MultiheadAttention mha({.embed_dim = 4, .num_heads = 1, .dropout = 1.0}, &gen);
        NoGradGuard ng;
        const Tensor x = Tensor::randn({3, 2, 4}, DType::F32, &gen);
        // p = 1 drops every weight: the output is out_proj's bias (0 at initialization) for every query.
        AttentionResult train = mha.forward(x, x, x);
        for (float v : train.output.to_vector<float>()) QCOMPARE(v, 0.0f);
        for (float v : train.weights.to_vector<float>()) QCOMPARE(v, 0.0f);
        mha.eval();
        AttentionResult eval = mha.forward(x, x, x);
        for (float v : sum(eval.weights, {-1}).to_vector<float>()) QVERIFY(std::abs(v - 1.0f) < 1e-6f);
    }

    void errors_name_the_layer_and_shapes() {
        MultiheadAttention mha({.embed_dim = 8, .num_heads = 2});
        expect_error([&] { mha.forward(Tensor::zeros({3, 2, 6})); }, "MultiheadAttention expects [L, N, E] (or unbatched [L, E]) with E = 8, gets [3, 2, 6]");
        expect_error([&] { mha.forward(Tensor::zeros({3, 2, 8}), Tensor::zeros({4, 2, 8}), Tensor::zeros({4, 2, 8}),
                                       Tensor::zeros({2, 3}, DType::I64)); },
                     "key_padding_mask must be [2, 4]");
        expect_error([&] { mha.forward(Tensor::zeros({3, 2, 8}), Tensor::zeros({3, 2, 8}), Tensor::zeros({3, 2, 8}), {},
                                       true, Tensor::zeros({3, 4}, DType::I64)); },
                     "attn_mask must be [L, S] = [3, 3]");
        expect_error([] { MultiheadAttention({.embed_dim = 8, .num_heads = 3}); }, "divisible by num_heads");
        expect_error([] { TransformerEncoderLayer({.d_model = 8, .nhead = 2, .activation = "swish"}); },
                     "activation must be relu or gelu");
        TransformerEncoderLayer enc({.d_model = 8, .nhead = 2, .dim_feedforward = 4, .batch_first = true});
        expect_error([&] { enc(Tensor::zeros({2, 5, 6})); },
                     "TransformerEncoderLayer expects [N, L, E] (or unbatched [L, E]) with E = d_model = 8, gets [2, 5, 6]");
        expect_error([] { TransformerEncoderLayer({.d_model = 8, .nhead = 2, .causal = true}).forward(
                              Tensor::zeros({3, 1, 8}), Tensor::zeros({3, 3}), {}); },
                     "causal builds its own mask");
        PositionalEncoding pe(4, 10);
        expect_error([&] { pe(Tensor::zeros({1, 11, 4})); }, "sequence of 11 steps is longer than max_len 10");
    }
};

QTEST_APPLESS_MAIN(TestAttention)
#include "tst_attention.moc"
