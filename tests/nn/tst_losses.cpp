// Losses against PyTorch fixtures (tests/reference/nn_reference.json, F64 and F32), F64 gradcheck of
// every case, and the error messages.
#include <QtTest>

#include "common/TestSupport.h"

#include <cmath>
#include <fstream>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>

#include "neura/neura.h"
#include "neura/nn/Loss.h"

using namespace neura;
using namespace neura::nn;
using nlohmann::json;

namespace {

const json& fixtures() { return neura::test::fixture("nn_reference.json"); }

Tensor tensor_from(const json& t, DType float_dtype) {
    const Shape shape = t["shape"].get<Shape>();
    if (t["dtype"] == "float") return Tensor::from_vector(t["values"].get<std::vector<double>>(), shape, float_dtype);
    return Tensor::from_vector(t["values"].get<std::vector<std::int64_t>>(), shape, DType::I64);
}

// The module a fixture case describes, built from its options.
std::unique_ptr<Loss> make_loss(const json& c, DType dtype) {
    const json& o = c["options"];
    const std::string type = c["type"];
    const Reduction r = reduction_from_string(o.value("reduction", "mean"));
    auto opt_tensor = [&](const char* key) { return o.contains(key) ? tensor_from(o[key], dtype) : Tensor(); };
    if (type == "MSELoss") return std::make_unique<MSELoss>(r);
    if (type == "L1Loss") return std::make_unique<L1Loss>(r);
    if (type == "HuberLoss") return std::make_unique<HuberLoss>(r, o.value("delta", 1.0));
    if (type == "CrossEntropyLoss")
        return std::make_unique<CrossEntropyLoss>(CrossEntropyOptions{
            opt_tensor("weight"), o.value("ignore_index", std::int64_t{-100}), r, o.value("label_smoothing", 0.0)});
    if (type == "NLLLoss")
        return std::make_unique<NLLLoss>(
            NLLOptions{opt_tensor("weight"), o.value("ignore_index", std::int64_t{-100}), r});
    if (type == "BCEWithLogitsLoss")
        return std::make_unique<BCEWithLogitsLoss>(
            BCEWithLogitsOptions{opt_tensor("weight"), opt_tensor("pos_weight"), r});
    qFatal("unknown loss type %s", type.c_str());
}

void compare(const std::vector<double>& got, const std::vector<double>& want, double tol, const QString& what) {
    QVERIFY2(got.size() == want.size(),
             qPrintable(QString("%1: %2 values, expected %3").arg(what).arg(got.size()).arg(want.size())));
    for (std::size_t i = 0; i < got.size(); ++i) {
        const bool ok = std::abs(got[i] - want[i]) <= tol * (1.0 + std::abs(want[i]));
        QVERIFY2(ok, qPrintable(QString("%1[%2]: got %3, PyTorch %4").arg(what).arg(i).arg(got[i], 0, 'g', 17)
                                    .arg(want[i], 0, 'g', 17)));
    }
}

// Runs f and checks it throws neura::Error with exactly `message`.
void expect_error(const std::function<void()>& f, const std::string& message) {
    try {
        f();
    } catch (const Error& e) {
        QCOMPARE(QString(e.what()), QString::fromStdString(message));
        return;
    }
    QFAIL(qPrintable(QString::fromStdString("no error; expected: " + message)));
}

}  // namespace

class TestLosses : public QObject {
    Q_OBJECT
private slots:
    void matches_pytorch_data() {
        QTest::addColumn<QString>("name");
        QTest::addColumn<int>("dtype");
        for (const auto& [name, _] : fixtures()["losses"].items())
            for (int dt : {int(DType::F64), int(DType::F32)})
                QTest::addRow("%s/%s", name.c_str(), dt == int(DType::F64) ? "f64" : "f32")
                    << QString::fromStdString(name) << dt;
    }
    void matches_pytorch() {
        QFETCH(QString, name);
        QFETCH(int, dtype);
        const DType dt = static_cast<DType>(dtype);
        const json& c = fixtures()["losses"][name.toStdString()];
        const json& want = c[dt == DType::F64 ? "f64" : "f32"];
        const double tol = dt == DType::F64 ? 1e-6 : 1e-5;
        auto loss = make_loss(c, dt);
        Tensor x = tensor_from(c["input"], dt).requires_grad_();
        const Tensor y = tensor_from(c["target"], dt);
        const Tensor out = loss->forward(x, y);
        QCOMPARE(out.dtype(), dt);
        QCOMPARE(out.shape(), want["value"]["shape"].get<Shape>());
        compare(out.to_vector<double>(), want["value"]["values"].get<std::vector<double>>(), tol, "value");
        if (want["grad_output"].is_null())
            out.backward();
        else
            out.backward(Tensor::from_vector(want["grad_output"].get<std::vector<double>>(), out.shape(), dt));
        QVERIFY(x.grad().defined());
        compare(x.grad().to_vector<double>(), want["grad"].get<std::vector<double>>(), tol, "grad");
    }

    void gradcheck_every_case_data() {
        QTest::addColumn<QString>("name");
        for (const auto& [name, _] : fixtures()["losses"].items()) QTest::newRow(name.c_str()) << QString::fromStdString(name);
    }
    void gradcheck_every_case() {
        QFETCH(QString, name);
        const json& c = fixtures()["losses"][name.toStdString()];
        auto loss = make_loss(c, DType::F64);
        Tensor x = tensor_from(c["input"], DType::F64).requires_grad_();
        Tensor y = tensor_from(c["target"], DType::F64);
        std::vector<Tensor> inputs{x};
        // Float targets get gradients too (MSE, L1, Huber, BCE, probability targets).
        if (is_floating(y.dtype())) inputs.push_back(y.requires_grad_());
        autograd::GradcheckOptions opts;
        opts.check_double_backward = true;
        const auto r = autograd::gradcheck(
            [&](const std::vector<Tensor>& in) {
                return std::vector<Tensor>{loss->forward(in[0], in.size() > 1 ? in[1] : y)};
            },
            inputs, opts);
        QVERIFY2(r.passed, r.message.c_str());
    }

    void functional_matches_module() {
        Generator gen(7);
        const Tensor x = Tensor::randn({4, 3}, DType::F64, &gen), y = Tensor::randn({4, 3}, DType::F64, &gen);
        const Tensor t = Tensor::from_vector(std::vector<std::int64_t>{0, 2, 1, 2}, {4});
        QCOMPARE(mse_loss(x, y).item<double>(), MSELoss()(x, y).item<double>());
        QCOMPARE(l1_loss(x, y, Reduction::Sum).item<double>(), L1Loss(Reduction::Sum)(x, y).item<double>());
        QCOMPARE(huber_loss(x, y, Reduction::Mean, 0.3).item<double>(), HuberLoss(Reduction::Mean, 0.3)(x, y).item<double>());
        QCOMPARE(cross_entropy(x, t).item<double>(), CrossEntropyLoss()(x, t).item<double>());
        // cross_entropy == nll_loss(log_softmax)
        QVERIFY(std::abs(cross_entropy(x, t).item<double>() - nll_loss(log_softmax(x, 1), t).item<double>()) < 1e-12);
        QCOMPARE(binary_cross_entropy_with_logits(x, sigmoid(y)).item<double>(),
                 BCEWithLogitsLoss()(x, sigmoid(y)).item<double>());
    }

    void defaults_and_names() {
        QCOMPARE(QString::fromStdString(MSELoss().type_name()), QString("MSELoss"));
        QCOMPARE(QString::fromStdString(L1Loss().type_name()), QString("L1Loss"));
        QCOMPARE(QString::fromStdString(HuberLoss().type_name()), QString("HuberLoss"));
        QCOMPARE(QString::fromStdString(CrossEntropyLoss().type_name()), QString("CrossEntropyLoss"));
        QCOMPARE(QString::fromStdString(NLLLoss().type_name()), QString("NLLLoss"));
        QCOMPARE(QString::fromStdString(BCEWithLogitsLoss().type_name()), QString("BCEWithLogitsLoss"));
        QVERIFY(MSELoss().reduction == Reduction::Mean);
        QCOMPARE(HuberLoss().delta, 1.0);
        CrossEntropyLoss ce;
        QCOMPARE(ce.ignore_index, std::int64_t{-100});
        QCOMPARE(ce.label_smoothing, 0.0);
        QVERIFY(!ce.weight.defined());
        for (auto r : {Reduction::None, Reduction::Mean, Reduction::Sum})
            QVERIFY(reduction_from_string(to_string(r)) == r);
    }

    void stable_for_extreme_logits() {
        // log-sum-exp and the BCE form must not overflow: finite values and gradients at |x| ~ 1e4.
        Tensor x = Tensor::from_vector(std::vector<float>{1e4f, -1e4f, 0.f, 5e3f}, {2, 2}).requires_grad_();
        const Tensor t = Tensor::from_vector(std::vector<std::int64_t>{1, 0}, {2});
        Tensor ce = cross_entropy(x, t);
        QVERIFY(std::isfinite(ce.item<float>()));
        ce.backward();
        for (float g : x.grad().to_vector<float>()) QVERIFY(std::isfinite(g));
        Tensor z = Tensor::from_vector(std::vector<float>{1e4f, -1e4f, 0.f, 100.f}, {4}).requires_grad_();
        Tensor b = binary_cross_entropy_with_logits(z, Tensor::from_vector(std::vector<float>{0.f, 1.f, 1.f, 1.f}, {4}),
                                                    {.reduction = Reduction::None});
        const auto v = b.to_vector<float>();
        QCOMPARE(v[0], 1e4f);
        QCOMPARE(v[1], 1e4f);
        QVERIFY(std::abs(v[2] - std::log(2.f)) < 1e-6f);
        QVERIFY(v[3] >= 0.f && v[3] < 1e-30f);
        sum(b).backward();
        const auto g = z.grad().to_vector<float>();
        QCOMPARE(g[0], 1.f);
        QCOMPARE(g[1], -1.f);
        QCOMPARE(g[2], -0.5f);
    }

    void all_ignored_gives_nan_mean() {
        // PyTorch: 0 / 0 total weight.
        const Tensor x = Tensor::zeros({2, 3}, DType::F64);
        const Tensor t = Tensor::from_vector(std::vector<std::int64_t>{-100, -100}, {2});
        QVERIFY(std::isnan(cross_entropy(x, t).item<double>()));
        QCOMPARE(cross_entropy(x, t, {.reduction = Reduction::Sum}).item<double>(), 0.0);
    }

    void errors() {
        const Tensor logits = Tensor::zeros({3, 5});
        const Tensor idx = Tensor::from_vector(std::vector<std::int64_t>{0, 7, 1}, {3});
        expect_error([&] { CrossEntropyLoss()(logits, idx); }, "CrossEntropyLoss: target 7 is out of range for 5 classes");
        expect_error([&] { CrossEntropyLoss()(logits, Tensor::from_vector(std::vector<std::int64_t>{0, -1, 1}, {3})); },
                     "CrossEntropyLoss: target -1 is out of range for 5 classes");
        expect_error([&] { NLLLoss()(logits, idx); }, "NLLLoss: target 7 is out of range for 5 classes");
        expect_error([&] { CrossEntropyLoss()(logits, Tensor::zeros({3})); },
                     "CrossEntropyLoss: a floating-point target holds class probabilities and must have the input's "
                     "shape [3, 5], got [3]; class-index targets must be int64");
        expect_error([&] { CrossEntropyLoss()(logits, Tensor::from_vector(std::vector<std::int64_t>{0, 1}, {2})); },
                     "CrossEntropyLoss: target shape [2] does not match input shape [3, 5]; expected [3]");
        expect_error([&] { CrossEntropyLoss({.weight = Tensor::ones({4})})(logits, Tensor::zeros({3}, DType::I64)); },
                     "CrossEntropyLoss: the class weight has shape [4] but the input has 5 classes; expected [5]");
        expect_error([&] { CrossEntropyLoss({.label_smoothing = 1.5})(logits, Tensor::zeros({3}, DType::I64)); },
                     "CrossEntropyLoss: label_smoothing must be in [0, 1], got 1.5");
        expect_error([&] { CrossEntropyLoss()(Tensor::zeros({3}, DType::I64), Tensor::zeros({}, DType::I64)); },
                     "CrossEntropyLoss: the input must be floating point (float32 or float64), got int64");
        expect_error([&] { NLLLoss()(logits, Tensor::zeros({3})); },
                     "NLLLoss: class-index targets must be int64, got float32");
        expect_error([&] { MSELoss()(Tensor::zeros({3, 1}), Tensor::zeros({3})); },
                     "MSELoss: target shape [3] does not match input shape [3, 1]");
        expect_error([&] { L1Loss()(Tensor::zeros({3}), Tensor::zeros({3}, DType::I64)); },
                     "L1Loss: the target must be floating point (float32 or float64), got int64");
        expect_error([&] { HuberLoss(Reduction::Mean, 0.0)(Tensor::zeros({3}), Tensor::zeros({3})); },
                     "HuberLoss: delta must be positive, got 0");
        expect_error([&] { BCEWithLogitsLoss()(Tensor::zeros({4}), Tensor::zeros({4, 1})); },
                     "BCEWithLogitsLoss: target shape [4, 1] does not match input shape [4]");
        expect_error([&] { BCEWithLogitsLoss({.pos_weight = Tensor::ones({3})})(Tensor::zeros({2, 4}), Tensor::zeros({2, 4})); },
                     "BCEWithLogitsLoss: pos_weight has shape [3] but must broadcast along the last dimension of "
                     "the input [2, 4]");
        expect_error([] { reduction_from_string("avg"); }, "unknown reduction 'avg': expected 'none', 'mean' or 'sum'");
    }
};

QTEST_APPLESS_MAIN(TestLosses)
#include "tst_losses.moc"
