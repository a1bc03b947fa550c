// Layer-level tests: parameter shapes and counts against PyTorch, initialization, train/eval behaviour
// of Dropout and BatchNorm (running statistics against PyTorch), forward values with given parameters,
// F64 gradcheck of every layer, first-order backward under create_graph, and error messages.
#include <QtTest>

#include "common/TestSupport.h"

#include <cmath>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>

#include "neura/neura.h"
#include "neura/nn/Layers.h"

using namespace neura;
using namespace neura::nn;
using nlohmann::json;

namespace {

const json& fixtures() { return neura::test::fixture("layers_reference.json"); }

Conv2dOptions conv_options(std::int64_t in, std::int64_t out, std::int64_t kh, std::int64_t kw) {
    Conv2dOptions o;
    o.in_channels = in;
    o.out_channels = out;
    o.kernel_h = kh;
    o.kernel_w = kw;
    return o;
}

// The layers of layers_reference.json's "shapes" section, built the same way as in PyTorch.
std::shared_ptr<Module> make_layer(const std::string& name, Generator* gen = nullptr) {
    if (name == "linear" || name == "linear_3d_input") return std::make_shared<Linear>(4, 3, true, gen);
    if (name == "linear_nobias") return std::make_shared<Linear>(4, 3, false, gen);
    if (name == "conv2d") {
        auto o = conv_options(4, 6, 3, 2);
        o.stride_h = o.stride_w = 2;
        o.padding_h = o.padding_w = 1;
        o.groups = 2;
        return std::make_shared<Conv2d>(o, gen);
    }
    if (name == "conv2d_nobias_dilation") {
        auto o = conv_options(3, 5, 3, 3);
        o.bias = false;
        o.dilation_h = o.dilation_w = 2;
        return std::make_shared<Conv2d>(o, gen);
    }
    if (name == "maxpool2d") return std::make_shared<MaxPool2d>(Pool2dOptions{3, 3, 2, 2, 1, 1});
    if (name == "avgpool2d") return std::make_shared<AvgPool2d>(Pool2dOptions{2, 3, 0, 0, 0, 0});
    if (name == "adaptiveavgpool2d") return std::make_shared<AdaptiveAvgPool2d>(3, 4);
    if (name == "batchnorm1d" || name == "batchnorm1d_3d") return std::make_shared<BatchNorm>(1, 5);
    if (name == "batchnorm2d") return std::make_shared<BatchNorm>(2, 3);
    if (name == "batchnorm2d_noaffine") return std::make_shared<BatchNorm>(2, 3, 1e-5, 0.1, false);
    if (name == "layernorm") return std::make_shared<LayerNorm>(Shape{4, 5});
    if (name == "layernorm_noaffine") return std::make_shared<LayerNorm>(Shape{6}, 1e-5, false);
    if (name == "dropout") return std::make_shared<Dropout>(0.3, gen);
    if (name == "flatten") return std::make_shared<Flatten>();
    if (name == "embedding") return std::make_shared<Embedding>(10, 3, gen);
    if (name == "relu") return std::make_shared<ReLU>();
    if (name == "leakyrelu") return std::make_shared<LeakyReLU>(0.2);
    if (name == "sigmoid") return std::make_shared<Sigmoid>();
    if (name == "tanh") return std::make_shared<Tanh>();
    if (name == "gelu") return std::make_shared<GELU>();
    if (name == "softmax") return std::make_shared<Softmax>(1);
    qFatal("no such layer: %s", name.c_str());
}

void compare(const std::vector<double>& got, const std::vector<double>& want, double tol, const QString& what) {
    QVERIFY2(got.size() == want.size(),
             qPrintable(QString("%1: %2 values, expected %3").arg(what).arg(got.size()).arg(want.size())));
    for (std::size_t i = 0; i < got.size(); ++i)
        QVERIFY2(std::abs(got[i] - want[i]) <= tol * (1.0 + std::abs(want[i])),
                 qPrintable(QString("%1[%2]: got %3, PyTorch %4").arg(what).arg(i).arg(got[i], 0, 'g', 17)
                                .arg(want[i], 0, 'g', 17)));
}

void set_values(const Tensor& t, const std::vector<double>& v) {
    NoGradGuard ng;
    Tensor(t).copy_(Tensor::from_vector(v, t.shape(), DType::F64));
}

// Runs f, which must throw a neura::Error whose message contains `part`.
void expect_error(const std::function<void()>& f, const std::string& part) {
    try {
        f();
    } catch (const Error& e) {
        QVERIFY2(std::string(e.what()).find(part) != std::string::npos,
                 qPrintable(QString("message \"%1\" lacks \"%2\"").arg(e.what()).arg(part.c_str())));
        return;
    }
    QFAIL(qPrintable(QString("no error; expected one mentioning \"%1\"").arg(part.c_str())));
}

// A layer, how to feed it, and the F64 inputs gradcheck perturbs (its inputs, then its parameters).
struct GradcheckCase {
    std::string name;
    std::function<std::shared_ptr<Module>()> make;
    std::vector<Shape> inputs;  // float inputs, drawn N(0,1) (or distinct values)
    bool training = true;
    bool distinct = false;      // well separated values: no ties for max pooling, no kinks at 0 for ReLU
};

std::vector<GradcheckCase> gradcheck_cases() {
    auto conv = [] {
        auto o = conv_options(4, 4, 3, 2);
        o.stride_h = 2;
        o.padding_h = o.padding_w = 1;
        o.dilation_w = 2;
        o.groups = 2;
        return std::make_shared<Conv2d>(o);
    };
    return {
        {"Linear", [] { return std::make_shared<Linear>(4, 3); }, {{2, 4}}},
        {"Linear_nobias", [] { return std::make_shared<Linear>(4, 3, false); }, {{2, 3, 4}}},
        {"Conv2d", conv, {{2, 4, 5, 5}}},
        {"MaxPool2d", [] { return std::make_shared<MaxPool2d>(Pool2dOptions{3, 2, 2, 1, 1, 1}); }, {{2, 2, 5, 4}},
         true, true},
        {"AvgPool2d", [] { return std::make_shared<AvgPool2d>(Pool2dOptions{3, 3, 2, 2, 1, 1}); }, {{2, 2, 5, 4}}},
        {"AdaptiveAvgPool2d", [] { return std::make_shared<AdaptiveAvgPool2d>(2, 3); }, {{1, 2, 5, 4}}},
        {"BatchNorm1d_train", [] { return std::make_shared<BatchNorm>(1, 3); }, {{4, 3}}},
        {"BatchNorm1d_3d_train", [] { return std::make_shared<BatchNorm>(1, 3); }, {{2, 3, 4}}},
        {"BatchNorm2d_train", [] { return std::make_shared<BatchNorm>(2, 3); }, {{2, 3, 3, 2}}},
        {"BatchNorm2d_eval", [] { return std::make_shared<BatchNorm>(2, 3); }, {{2, 3, 3, 2}}, false},
        {"BatchNorm2d_noaffine_train",
         [] { return std::make_shared<BatchNorm>(2, 3, 1e-5, 0.1, false); }, {{2, 3, 2, 2}}},
        {"LayerNorm", [] { return std::make_shared<LayerNorm>(Shape{3, 4}); }, {{2, 3, 4}}},
        {"Dropout_train", [] { return std::make_shared<Dropout>(0.4); }, {{3, 4}}},
        {"Dropout_eval", [] { return std::make_shared<Dropout>(0.4); }, {{3, 4}}, false},
        {"Flatten", [] { return std::make_shared<Flatten>(1, 2); }, {{2, 3, 2, 2}}},
        {"ReLU", [] { return std::make_shared<ReLU>(); }, {{3, 4}}, true, true},
        {"LeakyReLU", [] { return std::make_shared<LeakyReLU>(0.2); }, {{3, 4}}, true, true},
        {"Sigmoid", [] { return std::make_shared<Sigmoid>(); }, {{3, 4}}},
        {"Tanh", [] { return std::make_shared<Tanh>(); }, {{3, 4}}},
        {"GELU", [] { return std::make_shared<GELU>(); }, {{3, 4}}},
        {"Softmax", [] { return std::make_shared<Softmax>(0); }, {{3, 4}}},
        {"Add", [] { return std::make_shared<Add>(); }, {{3, 4}, {4}}},
        {"Concat", [] { return std::make_shared<Concat>(1); }, {{2, 3}, {2, 2}}},
    };
}

}  // namespace

class TestLayers : public QObject {
    Q_OBJECT
private slots:
    void parameters_match_pytorch_data() {
        QTest::addColumn<QString>("name");
        for (const auto& [name, _] : fixtures()["shapes"].items())
            QTest::newRow(name.c_str()) << QString::fromStdString(name);
    }
    void parameters_match_pytorch() {
        QFETCH(QString, name);
        const json& ref = fixtures()["shapes"][name.toStdString()];
        auto m = make_layer(name.toStdString());
        const auto params = m->named_parameters();
        QCOMPARE(params.size(), ref["parameters"].size());
        std::int64_t count = 0;
        for (std::size_t i = 0; i < params.size(); ++i) {
            QCOMPARE(params[i].first, ref["parameters"][i][0].get<std::string>());
            QCOMPARE(params[i].second.shape(), ref["parameters"][i][1].get<Shape>());
            QVERIFY(params[i].second.requires_grad());
            count += params[i].second.numel();
        }
        QCOMPARE(count, ref["parameter_count"].get<std::int64_t>());
        const auto buffers = m->named_buffers();
        QCOMPARE(buffers.size(), ref["buffers"].size());
        for (std::size_t i = 0; i < buffers.size(); ++i) {
            QCOMPARE(buffers[i].first, ref["buffers"][i][0].get<std::string>());
            QCOMPARE(buffers[i].second.shape(), ref["buffers"][i][1].get<Shape>());
        }
        const Shape in = ref["input_shape"].get<Shape>();
        const Tensor x = name == "embedding" ? Tensor::randint(0, 10, in) : Tensor::randn(in);
        QCOMPARE(m->forward(x).shape(), ref["output_shape"].get<Shape>());
    }

    void parameter_specs_are_what_the_constructors_register() {
        // parameter_specs of a layer's constructor arguments (the generator aside) names and shapes the
        // parameters that constructor registers, in order; the layer descriptors count parameters from
        // it, so a node's stated count is what its module holds (and what PyTorch's layer holds:
        // parameters_match_pytorch).
        auto grouped = conv_options(4, 6, 3, 2);
        grouped.groups = 2;
        auto no_bias = conv_options(3, 5, 1, 4);
        no_bias.bias = false;
        const std::vector<std::pair<std::shared_ptr<Module>, ParameterSpecs>> cases = {
            {std::make_shared<Linear>(4, 3, true), Linear::parameter_specs(4, 3, true)},
            {std::make_shared<Linear>(7, 2, false), Linear::parameter_specs(7, 2, false)},
            {std::make_shared<Conv2d>(grouped), Conv2d::parameter_specs(grouped)},
            {std::make_shared<Conv2d>(no_bias), Conv2d::parameter_specs(no_bias)},
            {std::make_shared<BatchNorm>(1, 5), BatchNorm::parameter_specs(1, 5, 1e-5, 0.1, true)},
            {std::make_shared<BatchNorm>(2, 3, 1e-3, 0.2, false), BatchNorm::parameter_specs(2, 3, 1e-3, 0.2, false)},
            {std::make_shared<LayerNorm>(Shape{4, 5}), LayerNorm::parameter_specs({4, 5}, 1e-5, true)},
            {std::make_shared<LayerNorm>(Shape{6}, 1e-5, false), LayerNorm::parameter_specs({6}, 1e-5, false)},
            {std::make_shared<Embedding>(10, 3), Embedding::parameter_specs(10, 3)},
        };
        for (const auto& [module, specs] : cases) {
            const auto params = module->named_parameters();
            QCOMPARE(params.size(), specs.size());
            std::int64_t held = 0;
            for (std::size_t i = 0; i < params.size(); ++i) {
                QCOMPARE(params[i].first, specs[i].name);
                QCOMPARE(params[i].second.shape(), specs[i].shape);
                held += params[i].second.numel();
            }
            QCOMPARE(parameter_numel(specs), held);
        }
        // By hand: Conv2d(4, 6, (3, 2), groups=2) holds a [6, 2, 3, 2] weight and a [6] bias.
        QCOMPARE(parameter_numel(Conv2d::parameter_specs(grouped)), std::int64_t{6 * 2 * 3 * 2 + 6});
        QCOMPARE(parameter_numel(BatchNorm::parameter_specs(2, 3, 1e-5, 0.1, false)), std::int64_t{0});
        // Counted without allocating, and refused past a 64-bit count.
        const std::int64_t big = std::int64_t{1} << 31;
        QCOMPARE(parameter_numel(Linear::parameter_specs(big, big, false)), big * big);
        expect_error([&] { parameter_numel(Linear::parameter_specs(big * 4, big * 2, true)); }, "the shape");
        // A weight that fits, and a bias that tips the sum over: 2^31 * (2^32 - 1) + (2^32 - 1).
        expect_error([&] { parameter_numel(Linear::parameter_specs(big, 2 * big - 1, true)); }, "64-bit count");
    }

    void initialization_bounds() {
        Generator gen(7);
        Linear lin(100, 50, true, &gen);
        for (const Tensor& t : {lin.weight, lin.bias}) {
            const auto v = t.to_vector<double>();
            const double lo = *std::min_element(v.begin(), v.end()), hi = *std::max_element(v.begin(), v.end());
            QVERIFY(lo >= -0.1 && hi <= 0.1);   // 1 / sqrt(100)
            QVERIFY(lo < -0.08 && hi > 0.08);   // and spread over the range, not a narrower one
        }
        auto o = conv_options(4, 8, 3, 3);
        o.groups = 2;
        Conv2d conv(o, &gen);
        const double bound = 1.0 / std::sqrt(2.0 * 9.0);  // fan_in = in / groups * kh * kw
        for (const Tensor& t : {conv.weight, conv.bias})
            for (double v : t.to_vector<double>()) QVERIFY(std::abs(v) <= bound);
        BatchNorm bn(2, 3);
        QCOMPARE(bn.weight.to_vector<double>(), std::vector<double>(3, 1.0));
        QCOMPARE(bn.bias.to_vector<double>(), std::vector<double>(3, 0.0));
        QCOMPARE(bn.running_mean.to_vector<double>(), std::vector<double>(3, 0.0));
        QCOMPARE(bn.running_var.to_vector<double>(), std::vector<double>(3, 1.0));
        QCOMPARE(bn.num_batches_tracked.item<std::int64_t>(), std::int64_t(0));
        LayerNorm ln(Shape{2, 3});
        QCOMPARE(ln.weight.to_vector<double>(), std::vector<double>(6, 1.0));
        QCOMPARE(ln.bias.to_vector<double>(), std::vector<double>(6, 0.0));
        Embedding emb(100, 50, &gen);  // N(0, 1)
        const auto e = emb.weight.to_vector<double>();
        double mean = 0, sq = 0;
        for (double v : e) mean += v / e.size();
        for (double v : e) sq += (v - mean) * (v - mean) / e.size();
        QVERIFY(std::abs(mean) < 0.05);
        QVERIFY(std::abs(std::sqrt(sq) - 1.0) < 0.05);
        // A seeded generator repeats.
        Generator g1(3), g2(3);
        QCOMPARE(Linear(5, 4, true, &g1).weight.to_vector<double>(), Linear(5, 4, true, &g2).weight.to_vector<double>());
    }

    void dropout_train_and_eval() {
        Generator gen(11);
        Dropout d(0.3, &gen);
        const Tensor x = Tensor::ones({200, 100}).requires_grad_();
        const Tensor y = d(x);
        const auto v = y.to_vector<double>();
        std::int64_t zeros = 0;
        for (double e : v) {
            QVERIFY(e == 0.0 || std::abs(e - 1.0 / 0.7) < 1e-6);
            zeros += e == 0.0;
        }
        QVERIFY(std::abs(zeros / 20000.0 - 0.3) < 0.02);
        sum(y).backward();
        QCOMPARE(x.grad().to_vector<double>(), v);  // the gradient is the scaled mask
        // The same seed gives the same mask.
        Generator a(5), b(5);
        QCOMPARE(dropout(Tensor::ones({50}), 0.5, true, &a).to_vector<double>(),
                 dropout(Tensor::ones({50}), 0.5, true, &b).to_vector<double>());
        d.eval();
        QVERIFY(!d.is_training());
        const Tensor z = Tensor::randn({4, 5});
        QCOMPARE(d(z).to_vector<double>(), z.to_vector<double>());
        QCOMPARE(dropout(Tensor::ones({10}), 1.0, true).to_vector<double>(), std::vector<double>(10, 0.0));
    }

    void batchnorm_running_stats_data() {
        QTest::addColumn<QString>("name");
        QTest::addColumn<int>("dtype");
        for (const auto& [name, _] : fixtures()["running_stats"].items()) {
            QTest::addRow("%s/f64", name.c_str()) << QString::fromStdString(name) << int(DType::F64);
            QTest::addRow("%s/f32", name.c_str()) << QString::fromStdString(name) << int(DType::F32);
        }
    }
    void batchnorm_running_stats() {
        QFETCH(QString, name);
        QFETCH(int, dtype);
        const DType dt = static_cast<DType>(dtype);
        const double tol = dt == DType::F64 ? 1e-9 : 1e-5;
        const json& ref = fixtures()["running_stats"][name.toStdString()];
        const Shape shape = ref["shape"].get<Shape>();
        BatchNorm bn(shape.size() == 4 ? 2 : 1, shape[1], ref["eps"].get<double>(), ref["momentum"].get<double>());
        bn.to(dt);
        set_values(bn.weight, ref["weight"].get<std::vector<double>>());
        set_values(bn.bias, ref["bias"].get<std::vector<double>>());
        std::vector<Tensor> xs;
        for (const auto& v : ref["inputs"]) xs.push_back(Tensor::from_vector(v.get<std::vector<double>>(), shape, dt));
        for (int step = 0; step < 2; ++step)
            compare(bn(xs[step]).to_vector<double>(), ref["train_outputs"][step].get<std::vector<double>>(), tol,
                    QString("train output %1").arg(step));
        compare(bn.running_mean.to_vector<double>(), ref["running_mean"].get<std::vector<double>>(), tol, "running_mean");
        compare(bn.running_var.to_vector<double>(), ref["running_var"].get<std::vector<double>>(), tol, "running_var");
        QCOMPARE(bn.num_batches_tracked.item<std::int64_t>(), ref["num_batches_tracked"].get<std::int64_t>());
        bn.eval();
        const Tensor before = bn.running_mean.clone();
        compare(bn(xs[2]).to_vector<double>(), ref["eval_output"].get<std::vector<double>>(), tol, "eval output");
        QCOMPARE(bn.running_mean.to_vector<double>(), before.to_vector<double>());  // eval leaves them alone
        QCOMPARE(bn.num_batches_tracked.item<std::int64_t>(), ref["num_batches_tracked"].get<std::int64_t>());
    }

    void forward_matches_pytorch_data() {
        QTest::addColumn<QString>("name");
        QTest::addColumn<int>("dtype");
        for (const auto& [name, _] : fixtures()["forward"].items()) {
            QTest::addRow("%s/f64", name.c_str()) << QString::fromStdString(name) << int(DType::F64);
            QTest::addRow("%s/f32", name.c_str()) << QString::fromStdString(name) << int(DType::F32);
        }
    }
    void forward_matches_pytorch() {
        QFETCH(QString, name);
        QFETCH(int, dtype);
        const DType dt = static_cast<DType>(dtype);
        const json& ref = fixtures()["forward"][name.toStdString()];
        auto m = make_layer(name.toStdString());
        m->to(dt);
        for (const auto& [pname, p] : m->named_parameters()) {
            QVERIFY2(ref["parameters"].contains(pname), pname.c_str());
            set_values(p, ref["parameters"][pname].get<std::vector<double>>());
        }
        const Tensor x = Tensor::from_vector(ref["input"].get<std::vector<double>>(), ref["input_shape"].get<Shape>(), dt);
        const Tensor y = m->forward(x);
        QCOMPARE(y.shape(), ref["output_shape"].get<Shape>());
        QCOMPARE(y.dtype(), dt);
        compare(y.to_vector<double>(), ref["output"].get<std::vector<double>>(), dt == DType::F64 ? 1e-9 : 1e-5, "output");
    }

    void to_f64_keeps_handles() {
        // Module::to converts in place: the layer's members, parameters() and optimizers see one tensor.
        Linear lin(3, 2);
        const Tensor w = lin.weight;
        lin.to(DType::F64);
        QCOMPARE(lin.weight.dtype(), DType::F64);
        QVERIFY(w.is_same(lin.weight));
        QVERIFY(lin.parameters()[0].is_same(lin.weight));
        QVERIFY(lin.weight.requires_grad() && lin.weight.is_leaf());
        BatchNorm bn(2, 3);
        bn.to(DType::F64);
        QCOMPARE(bn.running_var.dtype(), DType::F64);
        QCOMPARE(bn.named_buffers()[1].second.dtype(), DType::F64);
        QCOMPARE(bn.num_batches_tracked.dtype(), DType::I64);
    }

    void gradcheck_layers_data() {
        QTest::addColumn<int>("index");
        const auto cases = gradcheck_cases();
        for (std::size_t i = 0; i < cases.size(); ++i) QTest::newRow(cases[i].name.c_str()) << int(i);
    }
    void gradcheck_layers() {
        QFETCH(int, index);
        const GradcheckCase c = gradcheck_cases()[static_cast<std::size_t>(index)];
        auto m = c.make();
        m->to(DType::F64);
        m->train(c.training);
        if (!c.training && c.name.rfind("BatchNorm", 0) == 0) {
            // Eval with non-trivial running statistics.
            auto& bn = static_cast<BatchNorm&>(*m);
            set_values(bn.running_mean, {0.3, -0.5, 0.1});
            set_values(bn.running_var, {0.7, 1.9, 1.2});
        }
        Generator gen(99);
        std::vector<Tensor> inputs;
        for (const Shape& s : c.inputs) {
            Tensor t = Tensor::randn(s, DType::F64, &gen);
            if (c.distinct) {  // a shuffled grid 0.3 apart, shifted off 0
                const auto n = shape_numel(s);
                std::vector<double> v(static_cast<std::size_t>(n));
                for (std::int64_t i = 0; i < n; ++i) v[static_cast<std::size_t>(i)] = (double(i) - n / 2.0) * 0.3 + 0.1;
                for (std::int64_t i = n - 1; i > 0; --i) std::swap(v[i], v[gen.randint(0, i + 1)]);
                t = Tensor::from_vector(v, s, DType::F64);
            }
            inputs.push_back(t.requires_grad_());
        }
        const std::size_t n_inputs = inputs.size();
        std::vector<std::string> names;
        for (std::size_t i = 0; i < n_inputs; ++i) names.push_back("input " + std::to_string(i));
        for (const auto& [pname, p] : m->named_parameters()) {
            inputs.push_back(p);  // gradcheck perturbs the parameters in place
            names.push_back(pname);
        }
        Generator dropout_gen;
        auto fn = [&](const std::vector<Tensor>& xs) {
            std::vector<Tensor> in(xs.begin(), xs.begin() + static_cast<std::ptrdiff_t>(n_inputs));
            if (c.name == "Dropout_train") {
                // The same mask on every evaluation: a fresh module with a reseeded generator.
                dropout_gen.seed(1234);
                return std::vector<Tensor>{Dropout(0.4, &dropout_gen)(in[0])};
            }
            return std::vector<Tensor>{in.size() == 1 ? m->forward(in[0]) : m->forward(in)};
        };
        const auto r = autograd::gradcheck(fn, inputs, {}, names);
        QVERIFY2(r.passed, r.message.c_str());
        QCOMPARE(r.inputs.size(), inputs.size());
        for (const auto& t : r.inputs) QVERIFY(t.checked_elements > 0);
    }

    void embedding_gradcheck() {
        Embedding emb(6, 3);
        emb.to(DType::F64);
        const Tensor idx = Tensor::from_vector<std::int64_t>({0, 5, 2, 2, 1, 0}, {2, 3});
        const auto r = autograd::gradcheck([&](const std::vector<Tensor>&) { return std::vector<Tensor>{emb(idx)}; },
                                           {emb.weight}, {}, {"weight"});
        QVERIFY2(r.passed, r.message.c_str());
        QCOMPARE(emb(idx).shape(), (Shape{2, 3, 3}));
    }

    // Kernel-backed backward formulas are first order: under create_graph they still give the right
    // gradient (recording nothing further).
    void first_order_backward_under_create_graph_data() {
        QTest::addColumn<QString>("op");
        for (const char* op : {"conv2d", "max_pool2d", "avg_pool2d", "adaptive_avg_pool2d", "batch_norm", "layer_norm"})
            QTest::newRow(op) << QString(op);
    }
    void first_order_backward_under_create_graph() {
        QFETCH(QString, op);
        for (DType dt : {DType::F64, DType::F32}) {
            Generator gen(5);
            const Tensor x = Tensor::randn({2, 2, 5, 5}, dt, &gen).requires_grad_();
            const Tensor w = Tensor::randn({3, 2, 3, 3}, dt, &gen).requires_grad_();
            const Tensor g = Tensor::randn({2}, dt, &gen).requires_grad_();
            auto f = [&]() -> std::pair<Tensor, std::vector<Tensor>> {
                if (op == "conv2d") return {conv2d(x, w, {}, {1, 1}, {1, 1}), {x, w}};
                if (op == "max_pool2d") return {max_pool2d(x, {2, 2}), {x}};
                if (op == "avg_pool2d") return {avg_pool2d(x, {3, 3}, {2, 2}, {1, 1}), {x}};
                if (op == "adaptive_avg_pool2d") return {adaptive_avg_pool2d(x, 3, 2), {x}};
                if (op == "batch_norm") return {batch_norm(x, g, {}, {}, {}, true), {x, g}};
                return {layer_norm(x, {5}, {}, {}), {x}};
            };
            auto [y1, in1] = f();
            const auto plain = autograd::grad({sum(y1 * y1)}, in1);
            auto [y2, in2] = f();
            const auto created = autograd::grad({sum(y2 * y2)}, in2, {}, false, /*create_graph=*/true);
            QCOMPARE(created.size(), plain.size());
            for (std::size_t i = 0; i < plain.size(); ++i)
                compare(created[i].to_vector<double>(), plain[i].to_vector<double>(), 1e-12, "gradient");
        }
    }

    void clear_errors() {
        Conv2d conv(conv_options(3, 8, 3, 3));
        expect_error([&] { conv(Tensor::zeros({2, 4, 8, 8})); }, "Conv2d expects 3 input channels, gets 4");
        expect_error([&] { conv(Tensor::zeros({8, 8})); }, "Conv2d expects an input [N, 3, H, W], gets [8, 8]");
        expect_error([&] { conv(Tensor::zeros({1, 3, 2, 8})); }, "larger than the padded input");
        auto bad_groups = conv_options(3, 8, 3, 3);
        bad_groups.groups = 2;
        expect_error([&] { Conv2d c(bad_groups); }, "in_channels (3) must be divisible by groups (2)");
        expect_error([&] { conv2d(Tensor::zeros({1, 6, 5, 5}), Tensor::zeros({3, 2, 3, 3}), {}, {1, 1}, {0, 0}, {1, 1}, 2); },
                     "groups = 2 must divide both the input channels (6) and the output channels (3)");
        expect_error([&] { conv2d(Tensor::zeros({1, 6, 5, 5}), Tensor::zeros({4, 2, 3, 3}), {}, {1, 1}, {0, 0}, {1, 1}, 2); },
                     "expects 4 input channels, gets 6");
        expect_error([&] { conv2d(Tensor::zeros({1, 2, 5, 5}), Tensor::zeros({4, 2, 3, 3}, DType::F64)); },
                     "share one floating dtype");
        Linear lin(4, 3);
        expect_error([&] { lin(Tensor::zeros({2, 5})); }, "Linear expects 4 input features, gets 5 (input shape [2, 5])");
        expect_error([&] { max_pool2d(Tensor::zeros({4, 4}), {2, 2}); }, "expects a 4-D input [N, C, H, W]");
        expect_error([&] { max_pool2d(Tensor::zeros({1, 1, 4, 4}), {2, 2}, {1, 1}, {2, 2}); },
                     "must be between 0 and half the kernel size");
        expect_error([&] { avg_pool2d(Tensor::zeros({1, 1, 2, 2}), {3, 3}); },
                     "kernel size 3x3 is larger than the padded input 2x2");
        BatchNorm bn2(2, 3);
        expect_error([&] { bn2(Tensor::zeros({2, 3})); }, "BatchNorm2d expects a 4-D input [N, 3, H, W], gets shape [2, 3]");
        expect_error([&] { bn2(Tensor::zeros({2, 4, 2, 2})); }, "BatchNorm2d expects 3 channels, gets 4");
        BatchNorm bn1(1, 3);
        expect_error([&] { bn1(Tensor::zeros({1, 3})); }, "expected more than 1 value per channel when training");
        expect_error([&] { batch_norm(Tensor::zeros({2, 3}), {}, {}, {}, {}, false); },
                     "evaluation mode needs running_mean and running_var");
        LayerNorm ln(Shape{4, 5});
        expect_error([&] { ln(Tensor::zeros({3, 5, 4})); }, "LayerNorm expects an input ending in [4, 5], gets [3, 5, 4]");
        expect_error([&] { layer_norm(Tensor::zeros({2, 3}), {4}); }, "does not match the trailing dimensions");
        Embedding emb(5, 2);
        expect_error([&] { emb(Tensor::from_vector<std::int64_t>({1, 5}, {2})); }, "index 5 is out of range for 5");
        expect_error([&] { emb(Tensor::zeros({2})); }, "indices must be int64");
        expect_error([&] { Dropout d(1.5); }, "between 0 and 1");
        Add add;
        expect_error([&] { add.forward(std::vector<Tensor>{Tensor::zeros({2, 3}), Tensor::zeros({4})}); },
                     "Add expects inputs of the same (or broadcastable) shapes, gets [2, 3], [4]");
        Concat concat(1);
        expect_error([&] { concat.forward(std::vector<Tensor>{Tensor::zeros({2, 3}), Tensor::zeros({3, 3})}); }, "cat:");
    }
};

QTEST_APPLESS_MAIN(TestLayers)
#include "tst_layers.moc"
