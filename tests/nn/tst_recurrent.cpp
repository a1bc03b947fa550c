// RNN, LSTM and GRU against PyTorch fixtures (tests/reference/recurrent_reference.json, from
// make_recurrent_fixtures.py): outputs, final states and gradients in F64 and F32, parameter names and
// shapes (and parameter_specs), F64 gradcheck with double backward, initialization bounds, dropout between
// layers, the error messages, and the LSTM's gate saturation (insight), which changes no output or gradient.
#include <QtTest>

#include "common/TestSupport.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>

#include "neura/neura.h"
#include "neura/autograd/GradNode.h"
#include "neura/nn/Recurrent.h"

using namespace neura;
using namespace neura::nn;
using nlohmann::json;

namespace {

const json& fixtures() { return neura::test::fixture("recurrent_reference.json"); }

RecurrentOptions options_from(const json& o) {
    RecurrentOptions r;
    r.input_size = o.at("input_size").get<std::int64_t>();
    r.hidden_size = o.at("hidden_size").get<std::int64_t>();
    r.num_layers = o.value("num_layers", std::int64_t{1});
    r.bias = o.value("bias", true);
    r.batch_first = o.value("batch_first", false);
    r.bidirectional = o.value("bidirectional", false);
    r.dropout = o.value("dropout", 0.0);
    r.nonlinearity = o.value("nonlinearity", std::string("tanh"));
    return r;
}

std::shared_ptr<RecurrentBase> make(const std::string& type, const RecurrentOptions& o, Generator* gen = nullptr) {
    if (type == "RNN") return std::make_shared<RNN>(o, gen);
    if (type == "LSTM") return std::make_shared<LSTM>(o, gen);
    if (type == "GRU") return std::make_shared<GRU>(o, gen);
    qFatal("unknown recurrent type %s", type.c_str());
}

ParameterSpecs specs_of(const std::string& type, const RecurrentOptions& o) {
    if (type == "RNN") return RNN::parameter_specs(o);
    if (type == "LSTM") return LSTM::parameter_specs(o);
    return GRU::parameter_specs(o);
}

Tensor tensor_from(const json& t, DType dt) {
    return Tensor::from_vector(t.at("values").get<std::vector<double>>(), t.at("shape").get<Shape>(), dt);
}

void set_values(const Tensor& t, const std::vector<double>& v) {
    NoGradGuard ng;
    Tensor(t).copy_(Tensor::from_vector(v, t.shape(), DType::F64));
}

// The largest error seen per dtype, reported at the end.
std::map<DType, double>& max_error() {
    static std::map<DType, double> m;
    return m;
}

// |got - want| <= tol * (1 + |want|) elementwise.
void compare(const Tensor& got_t, const json& want_t, double tol, DType dt, const QString& what) {
    QVERIFY2(got_t.defined(), qPrintable(what + ": undefined"));
    QCOMPARE(got_t.shape(), want_t.at("shape").get<Shape>());
    const std::vector<double> got = got_t.to_vector<double>(), want = want_t.at("values").get<std::vector<double>>();
    QCOMPARE(got.size(), want.size());
    for (std::size_t i = 0; i < got.size(); ++i) {
        const double err = std::abs(got[i] - want[i]) / (1.0 + std::abs(want[i]));
        max_error()[dt] = std::max(max_error()[dt], err);
        QVERIFY2(err <= tol, qPrintable(QString("%1[%2]: got %3, PyTorch %4").arg(what).arg(i).arg(got[i], 0, 'g', 17)
                                            .arg(want[i], 0, 'g', 17)));
    }
}

// Runs f, which must throw a neura::Error with exactly `message`.
void expect_error(const std::function<void()>& f, const std::string& message) {
    const QString got = neura::test::error_of(f);
    QVERIFY2(!got.isEmpty(), qPrintable(QString::fromStdString("no error; expected: " + message)));
    QCOMPARE(got, QString::fromStdString(message));
}

std::vector<double> values(const Tensor& t) { return t.to_vector<double>(); }

}  // namespace

class TestRecurrent : public QObject {
    Q_OBJECT
private slots:
    void matches_pytorch_data() {
        QTest::addColumn<QString>("name");
        QTest::addColumn<int>("dtype");
        for (const auto& [name, _] : fixtures()["cases"].items())
            for (int dt : {int(DType::F64), int(DType::F32)})
                QTest::addRow("%s/%s", name.c_str(), dt == int(DType::F64) ? "f64" : "f32")
                    << QString::fromStdString(name) << dt;
    }
    void matches_pytorch() {
        QFETCH(QString, name);
        QFETCH(int, dtype);
        const DType dt = static_cast<DType>(dtype);
        const double tol = dt == DType::F64 ? 1e-6 : 1e-5;
        const json& c = fixtures()["cases"][name.toStdString()];
        const std::string type = c["type"];
        auto m = make(type, options_from(c["options"]));
        QCOMPARE(m->type_name(), type);
        m->eval();
        m->to(DType::F64);
        const auto params = m->named_parameters();
        QCOMPARE(params.size(), c["parameters"].size());
        for (std::size_t i = 0; i < params.size(); ++i) {
            const json& p = c["parameters"][i];
            QCOMPARE(params[i].first, p[0].get<std::string>());
            QCOMPARE(params[i].second.shape(), p[1].get<Shape>());
            set_values(params[i].second, p[2].get<std::vector<double>>());
        }
        m->to(dt);

        Tensor x = tensor_from(c["input"], dt).requires_grad_();
        Tensor h0 = c.contains("h0") ? tensor_from(c["h0"], dt).requires_grad_() : Tensor();
        Tensor c0 = c.contains("c0") ? tensor_from(c["c0"], dt).requires_grad_() : Tensor();
        const RecurrentOutput r = m->forward_with_state(x, h0, c0);
        compare(r.output, c["output"], tol, dt, "output");
        compare(r.h_n, c["h_n"], tol, dt, "h_n");
        QCOMPARE(r.c_n.defined(), type == "LSTM");
        if (type == "LSTM") compare(r.c_n, c["c_n"], tol, dt, "c_n");
        QCOMPARE(r.output.dtype(), dt);

        Tensor loss = sum(r.output * tensor_from(c["w"], dt)) + sum(r.h_n * tensor_from(c["w2"], dt));
        if (type == "LSTM") loss = loss + sum(r.c_n * tensor_from(c["w3"], dt));
        loss.backward();
        const json& g = c["grads"];
        compare(x.grad(), g["input"], tol, dt, "grad input");
        if (h0.defined()) compare(h0.grad(), g["h0"], tol, dt, "grad h0");
        if (c0.defined()) compare(c0.grad(), g["c0"], tol, dt, "grad c0");
        for (const auto& [pname, p] : params) compare(p.grad(), g[pname], tol, dt, "grad " + QString::fromStdString(pname));

        // forward(x) is the output of forward_with_state(x) without a state.
        if (!h0.defined()) compare(m->forward(x.detach()), c["output"], tol, dt, "forward");

        // Keeping the LSTM's gate saturation (what a capture asks for) changes no bit of the outputs, the
        // final states or any gradient.
        if (type != "LSTM") return;
        auto all_values = [&](const RecurrentOutput& out, const Tensor& xi, const Tensor& hi, const Tensor& ci) {
            std::vector<std::vector<double>> v = {values(out.output), values(out.h_n), values(out.c_n),
                                                  values(xi.grad())};
            if (hi.defined()) v.push_back(values(hi.grad()));
            if (ci.defined()) v.push_back(values(ci.grad()));
            for (const auto& [pname, p] : params) v.push_back(values(p.grad()));
            return v;
        };
        const auto plain = all_values(r, x, h0, c0);
        QVERIFY(m->kept_gates.empty());  // nothing kept unless asked
        m->zero_grad();
        m->keep_gates = true;
        Tensor x2 = x.detach().clone().requires_grad_();
        Tensor h2 = h0.defined() ? h0.detach().clone().requires_grad_() : Tensor();
        Tensor c2 = c0.defined() ? c0.detach().clone().requires_grad_() : Tensor();
        const RecurrentOutput r2 = m->forward_with_state(x2, h2, c2);
        Tensor loss2 = sum(r2.output * tensor_from(c["w"], dt)) + sum(r2.h_n * tensor_from(c["w2"], dt)) +
                       sum(r2.c_n * tensor_from(c["w3"], dt));
        loss2.backward();
        m->keep_gates = false;
        const RecurrentOptions o = m->options;
        QCOMPARE(m->kept_gates.size(), static_cast<std::size_t>(o.num_layers * (o.bidirectional ? 2 : 1)));
        const auto kept = all_values(r2, x2, h2, c2);
        QCOMPARE(kept.size(), plain.size());
        for (std::size_t i = 0; i < kept.size(); ++i)
            QVERIFY2(kept[i] == plain[i], qPrintable(QString("tensor %1 differs with keep_gates").arg(i)));
    }

    void gate_saturation_data() {
        QTest::addColumn<bool>("batched");
        QTest::newRow("batched") << true;
        QTest::newRow("unbatched") << false;
    }
    void gate_saturation() {
        // A 2-layer bidirectional LSTM whose gates are set by hand. Every weight is 0 and every bias too,
        // except: the input gate's bias -30 (sigmoid(-30) ≈ 1e-13: always closed), the forget gate's +30
        // (always open); the output gate stays at sigmoid(0) = 0.5, neither. In layer 0, unit 0's output
        // gate reads feature 0 with weight 30: open where that feature is +1, closed where it is -1.
        QFETCH(bool, batched);
        RecurrentOptions o;
        o.input_size = 2;
        o.hidden_size = 3;
        o.num_layers = 2;
        o.bidirectional = true;
        LSTM m(o);
        const std::int64_t hs = o.hidden_size;
        for (const auto& [name, p] : m.named_parameters()) {
            std::vector<double> v(static_cast<std::size_t>(p.numel()), 0.0);
            const bool layer0 = name.find("_l0") != std::string::npos;
            if (name.rfind("bias_ih", 0) == 0)
                for (std::int64_t u = 0; u < hs; ++u) {
                    v[static_cast<std::size_t>(0 * hs + u)] = -30.0;  // i
                    v[static_cast<std::size_t>(1 * hs + u)] = 30.0;   // f
                }
            if (name.rfind("weight_ih", 0) == 0 && layer0)
                v[static_cast<std::size_t>((3 * hs + 0) * o.input_size)] = 30.0;  // o, unit 0, feature 0
            set_values(p, v);
        }
        const std::int64_t steps = 7, batch = batched ? 5 : 1;
        std::vector<double> xs;
        std::int64_t positive = 0;
        for (std::int64_t t = 0; t < steps; ++t)
            for (std::int64_t b = 0; b < batch; ++b) {
                const bool up = (t * batch + b) % 3 == 0;  // every third (step, sample) pair
                positive += up;
                xs.push_back(up ? 1.0 : -1.0);
                xs.push_back(0.25);
            }
        const Tensor x = Tensor::from_vector(xs, batched ? Shape{steps, batch, 2} : Shape{steps, 2}, DType::F32);
        m.forward(x);
        QVERIFY(m.kept_gates.empty());
        m.keep_gates = true;
        m.forward(x);
        QCOMPARE(m.kept_gates.size(), std::size_t{4});
        const double open_share = static_cast<double>(positive) / static_cast<double>(steps * batch);
        QVERIFY(open_share > 0.3 && open_share < 0.5);  // 12 of 35 (batched), 3 of 7 (unbatched)
        for (std::size_t k = 0; k < 4; ++k) {
            const GateSaturation& s = m.kept_gates[k];
            QCOMPARE(s.layer, static_cast<std::int64_t>(k / 2));
            QCOMPARE(s.direction, static_cast<std::int64_t>(k % 2));
            QCOMPARE(s.values, steps * batch);
            for (std::size_t g = 0; g < 3; ++g) {
                QCOMPARE(s.left[g].size(), static_cast<std::size_t>(hs));
                QCOMPARE(s.right[g].size(), static_cast<std::size_t>(hs));
            }
            for (std::size_t u = 0; u < static_cast<std::size_t>(hs); ++u) {
                QCOMPARE(s.left[0][u], 1.0);  // input gate: always closed
                QCOMPARE(s.right[0][u], 0.0);
                QCOMPARE(s.left[1][u], 0.0);  // forget gate: always open
                QCOMPARE(s.right[1][u], 1.0);
                const bool driven = s.layer == 0 && u == 0;
                QCOMPARE(s.right[2][u], driven ? open_share : 0.0);
                QVERIFY(std::abs(s.left[2][u] - (driven ? 1.0 - open_share : 0.0)) < 1e-12);
            }
        }
        // Off again: the next forward keeps nothing new; a GRU keeps nothing at all.
        m.keep_gates = false;
        m.kept_gates.clear();
        m.forward(x);
        QVERIFY(m.kept_gates.empty());
        GRU gru(o);
        gru.keep_gates = true;
        gru.forward(x);
        QVERIFY(gru.kept_gates.empty());
    }

    void parameter_names_and_specs_data() {
        QTest::addColumn<QString>("section");
        QTest::addColumn<QString>("name");
        for (const char* section : {"cases", "specs"})
            for (const auto& [name, _] : fixtures()[section].items())
                QTest::addRow("%s/%s", section, name.c_str()) << QString(section) << QString::fromStdString(name);
    }
    void parameter_names_and_specs() {
        QFETCH(QString, section);
        QFETCH(QString, name);
        const json& c = fixtures()[section.toStdString()][name.toStdString()];
        const std::string type = c["type"];
        const RecurrentOptions o = options_from(c["options"]);
        ParameterSpecs want;
        for (const json& p : c["parameters"]) want.push_back({p[0].get<std::string>(), p[1].get<Shape>()});
        auto m = make(type, o);
        ParameterSpecs got;
        for (const auto& [n, t] : m->named_parameters()) got.push_back({n, t.shape()});
        QCOMPARE(got.size(), want.size());
        for (std::size_t i = 0; i < got.size(); ++i) {
            QCOMPARE(got[i].name, want[i].name);
            QCOMPARE(got[i].shape, want[i].shape);
        }
        QVERIFY(specs_of(type, o) == want);
        QCOMPARE(m->weights().size(), static_cast<std::size_t>(o.num_layers * (o.bidirectional ? 2 : 1)));
    }

    void gradcheck_data() {
        QTest::addColumn<QString>("type");
        QTest::addColumn<bool>("bidirectional");
        QTest::addColumn<bool>("double_backward");
        for (const char* t : {"LSTM", "GRU", "RNN"}) {
            QTest::addRow("%s", t) << QString(t) << false << true;
            QTest::addRow("%s_2layers_bidirectional", t) << QString(t) << true << false;
        }
    }
    void gradcheck() {
        QFETCH(QString, type);
        QFETCH(bool, bidirectional);
        QFETCH(bool, double_backward);
        RecurrentOptions o;
        o.input_size = 2;
        o.hidden_size = 2;
        o.bidirectional = bidirectional;
        o.num_layers = bidirectional ? 2 : 1;
        Generator gen(11);
        auto m = make(type.toStdString(), o, &gen);
        m->to(DType::F64);
        const bool lstm = type == "LSTM";
        const std::int64_t states = o.num_layers * (bidirectional ? 2 : 1);
        std::vector<Tensor> inputs{Tensor::randn({3, 2, 2}, DType::F64, &gen).requires_grad_(),
                                   Tensor::randn({states, 2, 2}, DType::F64, &gen).requires_grad_()};
        std::vector<std::string> names{"x", "h0"};
        if (lstm) {
            inputs.push_back(Tensor::randn({states, 2, 2}, DType::F64, &gen).requires_grad_());
            names.push_back("c0");
        }
        const std::size_t n_inputs = inputs.size();
        for (const auto& [pname, p] : m->named_parameters()) {
            inputs.push_back(p);  // perturbed in place
            names.push_back(pname);
        }
        auto fn = [&](const std::vector<Tensor>& in) {
            const RecurrentOutput r = m->forward_with_state(in[0], in[1], lstm ? in[2] : Tensor());
            std::vector<Tensor> out{r.output, r.h_n};
            if (lstm) out.push_back(r.c_n);
            return out;
        };
        autograd::GradcheckOptions opts;
        opts.check_double_backward = double_backward;
        const auto res = autograd::gradcheck(fn, inputs, opts, names);
        QVERIFY2(res.passed, res.message.c_str());
        QCOMPARE(res.inputs.size(), inputs.size());
        for (const auto& t : res.inputs) QVERIFY(t.checked_elements > 0);
        QVERIFY(n_inputs < inputs.size());
    }

    void init_bounds_data() {
        QTest::addColumn<QString>("type");
        QTest::addColumn<int>("input_size");
        QTest::addColumn<int>("hidden_size");
        for (const char* t : {"RNN", "LSTM", "GRU"}) {
            QTest::addRow("%s_wide_input", t) << QString(t) << 100 << 4;
            QTest::addRow("%s_wide_hidden", t) << QString(t) << 3 << 25;
        }
    }
    void init_bounds() {
        QFETCH(QString, type);
        QFETCH(int, input_size);
        QFETCH(int, hidden_size);
        RecurrentOptions o;
        o.input_size = input_size;
        o.hidden_size = hidden_size;
        o.num_layers = 2;
        o.bidirectional = true;
        Generator gen(3);
        auto m = make(type.toStdString(), o, &gen);
        const double bound = 1.0 / std::sqrt(double(hidden_size));
        std::vector<double> all;
        for (const auto& [n, p] : m->named_parameters()) {
            QCOMPARE(p.dtype(), DType::F32);
            QVERIFY(p.requires_grad());
            const std::vector<double> v = values(p);
            const auto [lo, hi] = std::minmax_element(v.begin(), v.end());
            QVERIFY2(*lo >= -bound && *hi <= bound,
                     qPrintable(QString("%1 in [%2, %3], bound %4").arg(n.c_str()).arg(*lo).arg(*hi).arg(bound)));
            // Spread over the range (not zeros, not a narrower fan-in bound) where there are values enough.
            if (v.size() >= 40)
                QVERIFY2(*lo < -0.8 * bound && *hi > 0.8 * bound,
                         qPrintable(QString("%1 in [%2, %3], bound %4").arg(n.c_str()).arg(*lo).arg(*hi).arg(bound)));
            all.insert(all.end(), v.begin(), v.end());
        }
        const auto [lo, hi] = std::minmax_element(all.begin(), all.end());
        QVERIFY(*lo < -0.95 * bound && *hi > 0.95 * bound);
        // The same generator seed gives the same parameters.
        Generator gen2(3);
        auto m2 = make(type.toStdString(), o, &gen2);
        QCOMPARE(values(m2->parameters().back()), values(m->parameters().back()));
    }

    void dropout_between_layers_data() {
        QTest::addColumn<QString>("type");
        for (const char* t : {"RNN", "LSTM", "GRU"}) QTest::newRow(t) << QString(t);
    }
    void dropout_between_layers() {
        QFETCH(QString, type);
        const bool lstm = type == "LSTM";
        RecurrentOptions o;
        o.input_size = 3;
        o.hidden_size = 4;
        o.num_layers = 2;
        o.dropout = 1.0;
        Generator gen(5);
        auto m = make(type.toStdString(), o, &gen);
        m->to(DType::F64);
        const Tensor x1 = Tensor::randn({5, 2, 3}, DType::F64, &gen), x2 = Tensor::randn({5, 2, 3}, DType::F64, &gen);
        const Tensor h0 = Tensor::randn({2, 2, 4}, DType::F64, &gen), c0 = Tensor::randn({2, 2, 4}, DType::F64, &gen);
        const Tensor c0_or_none = lstm ? c0 : Tensor();

        // Training: layer 2 sees zeros, so it runs as a one-layer module of the same parameters on a zero input.
        m->train();
        const RecurrentOutput r1 = m->forward_with_state(x1, h0, c0_or_none);
        RecurrentOptions o2 = o;
        o2.input_size = 4;
        o2.num_layers = 1;
        o2.dropout = 0.0;
        auto second = make(type.toStdString(), o2);
        second->to(DType::F64);
        const auto all = m->named_parameters();
        for (const auto& [n, p] : second->named_parameters()) {
            const std::string l1 = n.substr(0, n.size() - 1) + "1";  // weight_ih_l0 -> weight_ih_l1
            const auto it = std::find_if(all.begin(), all.end(), [&](const auto& q) { return q.first == l1; });
            QVERIFY(it != all.end());
            set_values(p, values(it->second));
        }
        const RecurrentOutput r2 = second->forward_with_state(Tensor::zeros({5, 2, 4}, DType::F64), h0.narrow(0, 1, 1),
                                                              lstm ? c0.narrow(0, 1, 1) : Tensor());
        const std::vector<double> out1 = values(r1.output), out2 = values(r2.output);
        QCOMPARE(out1.size(), out2.size());
        for (std::size_t i = 0; i < out1.size(); ++i) QVERIFY(std::abs(out1[i] - out2[i]) < 1e-12);
        // ... and the output does not depend on the input, while layer 1's final state does.
        const RecurrentOutput r1b = m->forward_with_state(x2, h0, c0_or_none);
        QCOMPARE(values(r1b.output), out1);
        QVERIFY(values(r1b.h_n.select(0, 0)) != values(r1.h_n.select(0, 0)));
        QCOMPARE(values(r1b.h_n.select(0, 1)), values(r1.h_n.select(0, 1)));

        // Eval: no dropout; the same as a module without dropout, and the output depends on the input.
        m->eval();
        const RecurrentOutput e1 = m->forward_with_state(x1, h0, c0_or_none);
        QVERIFY(values(e1.output) != out1);
        QVERIFY(values(m->forward_with_state(x2, h0, c0_or_none).output) != values(e1.output));
        RecurrentOptions o3 = o;
        o3.dropout = 0.0;
        auto nodrop = make(type.toStdString(), o3);
        nodrop->to(DType::F64);
        const auto p3 = nodrop->named_parameters();
        for (std::size_t i = 0; i < p3.size(); ++i) set_values(p3[i].second, values(all[i].second));
        nodrop->train();  // training without dropout: the same as eval
        QCOMPARE(values(nodrop->forward_with_state(x1, h0, c0_or_none).output), values(e1.output));

        // Dropout 0.5 in training changes the output (seeded), eval does not.
        RecurrentOptions o4 = o;
        o4.dropout = 0.5;
        Generator dgen(8);
        auto half = make(type.toStdString(), o4, &dgen);
        half->to(DType::F64);
        const auto p4 = half->named_parameters();
        for (std::size_t i = 0; i < p4.size(); ++i) set_values(p4[i].second, values(all[i].second));
        half->train();
        QVERIFY(values(half->forward_with_state(x1, h0, c0_or_none).output) != values(e1.output));
        half->eval();
        QCOMPARE(values(half->forward_with_state(x1, h0, c0_or_none).output), values(e1.output));
    }

    void float32_runs_fused_data() {
        QTest::addColumn<QString>("type");
        QTest::addColumn<QString>("nonlinearity");
        QTest::addColumn<QString>("node");
        QTest::newRow("lstm") << "LSTM" << "tanh" << "LSTMBackward";
        QTest::newRow("gru") << "GRU" << "tanh" << "GRUBackward";
        QTest::newRow("rnn_tanh") << "RNN" << "tanh" << "RNNBackward";
        QTest::newRow("rnn_relu") << "RNN" << "relu" << "RNNBackward";
    }
    void float32_runs_fused() {
        // In float32 on the CPU a recurrent layer runs as one oneDNN RNN primitive (ops/Fused.h); float64 composes
        // its steps of ops. The two agree to float32's precision on a 2-layer bidirectional layer over 9 steps,
        // outputs, final states and every gradient; matches_pytorch compares the float32 path with PyTorch too.
        QFETCH(QString, type);
        QFETCH(QString, nonlinearity);
        QFETCH(QString, node);
        const bool lstm = type == "LSTM";
        RecurrentOptions o;
        o.input_size = 5;
        o.hidden_size = 7;
        o.num_layers = 2;
        o.bidirectional = true;
        o.nonlinearity = nonlinearity.toStdString();
        Generator gen(5);
        auto f32 = make(type.toStdString(), o, &gen), f64 = make(type.toStdString(), o, &gen);
        f64->to(DType::F64);
        const auto p32 = f32->named_parameters(), p64 = f64->named_parameters();
        for (std::size_t i = 0; i < p32.size(); ++i) set_values(p64[i].second, values(p32[i].second));
        const Tensor x = Tensor::randn({9, 3, 5}, DType::F64, &gen), h0 = Tensor::randn({4, 3, 7}, DType::F64, &gen),
                     c0 = Tensor::randn({4, 3, 7}, DType::F64, &gen), w = Tensor::randn({9, 3, 14}, DType::F64, &gen);
        std::vector<std::vector<double>> got[2];
        for (int k = 0; k < 2; ++k) {
            RecurrentBase& m = k == 0 ? *f32 : *f64;
            const DType dt = k == 0 ? DType::F32 : DType::F64;
            Tensor xi = x.to(dt).requires_grad_(), hi = h0.to(dt).requires_grad_(),
                   ci = lstm ? c0.to(dt).requires_grad_() : Tensor();
            const RecurrentOutput r = m.forward_with_state(xi, hi, ci);
            Tensor loss = sum(r.output * w.to(dt)) + sum(r.h_n * r.h_n);
            if (lstm) loss = loss + sum(r.c_n);
            loss.backward();
            got[k] = {values(r.output), values(r.h_n), values(xi.grad()), values(hi.grad())};
            if (lstm) got[k].push_back(values(ci.grad()));
            for (const auto& [name, p] : m.named_parameters()) got[k].push_back(values(p.grad()));
        }
        for (std::size_t t = 0; t < got[0].size(); ++t) {
            QCOMPARE(got[0][t].size(), got[1][t].size());
            for (std::size_t i = 0; i < got[0][t].size(); ++i)
                QVERIFY2(std::fabs(got[0][t][i] - got[1][t][i]) <= 2e-5 * (1 + std::fabs(got[1][t][i])),
                         qPrintable(QString("tensor %1 element %2: float32 %3, float64 %4")
                                        .arg(t).arg(i).arg(got[0][t][i]).arg(got[1][t][i])));
        }

        // One direction, one layer: the output is the fused node's own, whose backward is first-order only.
        RecurrentOptions one;
        one.input_size = 3;
        one.hidden_size = 4;
        one.nonlinearity = o.nonlinearity;
        auto single = make(type.toStdString(), one, &gen);
        const Tensor xs = Tensor::randn({5, 2, 3}, DType::F32, &gen).requires_grad_();
        const RecurrentOutput r = single->forward_with_state(xs);
        QCOMPARE(QString::fromStdString(r.output.grad_fn()->name()), node);
        const Tensor gx = autograd::grad({sum(r.output * r.output)}, {xs}, {}, true, true).front();
        const QString error = neura::test::error_of([&] { sum(gx * gx).backward(); });
        QVERIFY2(error.startsWith(node + " is differentiable once only"), qPrintable(error));
        single->to(DType::F64);
        QVERIFY(single->forward_with_state(xs.detach().to(DType::F64)).output.grad_fn()->name() != node.toStdString());
    }

    void errors() {
        RecurrentOptions o;
        o.input_size = 4;
        o.hidden_size = 3;
        LSTM lstm(o);
        expect_error([&] { lstm.forward(Tensor::zeros({8})); },
                     "LSTM expects [T, B, F] (or [B, T, F] with batch_first) or an unbatched [T, F], gets [8]");
        expect_error([&] { lstm.forward(Tensor::zeros({2, 3, 4, 5})); },
                     "LSTM expects [T, B, F] (or [B, T, F] with batch_first) or an unbatched [T, F], gets [2, 3, 4, 5]");
        expect_error([&] { lstm.forward(Tensor()); },
                     "LSTM expects [T, B, F] (or [B, T, F] with batch_first) or an unbatched [T, F], gets an "
                     "undefined tensor");
        expect_error([&] { lstm.forward(Tensor::zeros({8, 2, 5})); },
                     "LSTM: input has 5 features, input_size is 4 (input shape [8, 2, 5])");
        expect_error([&] { lstm.forward(Tensor::zeros({8, 3})); },
                     "LSTM: input has 3 features, input_size is 4 (input shape [8, 3])");
        expect_error([&] { lstm.forward(Tensor::zeros({8, 2, 4}, DType::F64)); },
                     "LSTM: input is float64, parameters are float32");
        expect_error([&] { lstm.forward(Tensor::zeros({0, 2, 4})); },
                     "LSTM: the input sequence is empty (input shape [0, 2, 4])");
        expect_error([&] { lstm.forward_with_state(Tensor::zeros({8, 2, 4}), Tensor::zeros({1, 3, 3})); },
                     "LSTM: h0 has shape [1, 3, 3], expected [1, 2, 3] for input [8, 2, 4]");
        expect_error([&] { lstm.forward_with_state(Tensor::zeros({8, 4}), Tensor::zeros({1, 3}), Tensor::zeros({1, 1, 3})); },
                     "LSTM: c0 has shape [1, 1, 3], expected [1, 3] for input [8, 4]");
        expect_error([&] { GRU(o).forward_with_state(Tensor::zeros({8, 2, 4}), {}, Tensor::zeros({1, 2, 3})); },
                     "GRU takes no c0 (only LSTM has a cell state)");
        o.batch_first = true;
        expect_error([&] { RNN(o).forward_with_state(Tensor::zeros({2, 8, 4}), Tensor::zeros({1, 8, 3})); },
                     "RNN: h0 has shape [1, 8, 3], expected [1, 2, 3] for input [2, 8, 4]");

        auto bad = [](auto change) {
            RecurrentOptions b;
            change(b);
            return b;
        };
        expect_error([&] { GRU(bad([](RecurrentOptions& b) { b.hidden_size = 0; })); },
                     "GRU: hidden_size must be positive, got 0");
        expect_error([&] { LSTM(bad([](RecurrentOptions& b) { b.input_size = -1; })); },
                     "LSTM: input_size must be positive, got -1");
        expect_error([&] { RNN(bad([](RecurrentOptions& b) { b.num_layers = 0; })); },
                     "RNN: num_layers must be positive, got 0");
        expect_error([&] { LSTM(bad([](RecurrentOptions& b) { b.dropout = 1.5; })); },
                     "LSTM: dropout has to be between 0 and 1, but got 1.5");
        expect_error([&] { GRU(bad([](RecurrentOptions& b) { b.dropout = -0.1; })); },
                     "GRU: dropout has to be between 0 and 1, but got -0.1");
        expect_error([&] { RNN(bad([](RecurrentOptions& b) { b.nonlinearity = "sigmoid"; })); },
                     "RNN: nonlinearity must be \"tanh\" or \"relu\", got \"sigmoid\"");
        expect_error([&] { RNN::parameter_specs(bad([](RecurrentOptions& b) { b.nonlinearity = "gelu"; })); },
                     "RNN: nonlinearity must be \"tanh\" or \"relu\", got \"gelu\"");
        expect_error([&] { LSTM::parameter_specs(bad([](RecurrentOptions& b) { b.hidden_size = -2; })); },
                     "LSTM: hidden_size must be positive, got -2");
        // LSTM and GRU have no nonlinearity option: it is not checked there.
        QVERIFY(neura::test::error_of([&] { GRU(bad([](RecurrentOptions& b) { b.nonlinearity = "x"; })); }).isEmpty());
    }

    void cleanupTestCase() {
        for (const auto& [dt, e] : max_error())
            qInfo("max relative-ish error vs PyTorch, %s: %.3g", dtype_name(dt), e);
    }
};

QTEST_APPLESS_MAIN(TestRecurrent)
#include "tst_recurrent.moc"
