// Optimizers and LR schedulers against PyTorch fixtures (tests/reference/nn_reference.json): parameters
// after each of 3 steps from fixed gradients, on the fused CPU loops and on the tensor-op path; state
// export/import; errors.
#include <QtTest>

#include "common/TestSupport.h"

#include <cmath>
#include <fstream>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>

#include "neura/neura.h"
#include "neura/optim/Optim.h"

using namespace neura;
using namespace neura::optim;
using nlohmann::json;

namespace {

const json& fixtures() { return neura::test::fixture("nn_reference.json"); }

std::unique_ptr<Optimizer> make_optimizer(const std::string& type, const json& o, std::vector<Tensor> params) {
    if (type == "SGD") {
        SGDOptions s;
        s.lr = o.value("lr", s.lr);
        s.momentum = o.value("momentum", s.momentum);
        s.dampening = o.value("dampening", s.dampening);
        s.weight_decay = o.value("weight_decay", s.weight_decay);
        s.nesterov = o.value("nesterov", s.nesterov);
        s.maximize = o.value("maximize", s.maximize);
        return std::make_unique<SGD>(std::move(params), s);
    }
    if (type == "Adam" || type == "AdamW") {
        AdamOptions a;
        AdamWOptions w;
        auto fill = [&](auto& x) {
            x.lr = o.value("lr", x.lr);
            x.beta1 = o.value("beta1", x.beta1);
            x.beta2 = o.value("beta2", x.beta2);
            x.eps = o.value("eps", x.eps);
            x.weight_decay = o.value("weight_decay", x.weight_decay);
            x.amsgrad = o.value("amsgrad", x.amsgrad);
            x.maximize = o.value("maximize", x.maximize);
        };
        if (type == "Adam") {
            fill(a);
            return std::make_unique<Adam>(std::move(params), a);
        }
        fill(w);
        return std::make_unique<AdamW>(std::move(params), w);
    }
    if (type == "RMSprop") {
        RMSpropOptions r;
        r.lr = o.value("lr", r.lr);
        r.alpha = o.value("alpha", r.alpha);
        r.eps = o.value("eps", r.eps);
        r.weight_decay = o.value("weight_decay", r.weight_decay);
        r.momentum = o.value("momentum", r.momentum);
        r.centered = o.value("centered", r.centered);
        r.maximize = o.value("maximize", r.maximize);
        return std::make_unique<RMSprop>(std::move(params), r);
    }
    qFatal("unknown optimizer %s", type.c_str());
}

enum class Layout { Contiguous, Strided };

// The fixture's initial parameters; Strided ones are non-contiguous views (transposed or every second
// element of a buffer), which sends the update down the tensor-op path.
std::vector<Tensor> initial_params(DType dt, Layout layout) {
    const json& f = fixtures()["optimizers"];
    std::vector<Tensor> out;
    for (std::size_t i = 0; i < f["initial"].size(); ++i) {
        const Shape shape = f["shapes"][i].get<Shape>();
        const Tensor v = Tensor::from_vector(f["initial"][i].get<std::vector<double>>(), shape, dt);
        Tensor p;
        if (layout == Layout::Contiguous) {
            p = v;
        } else if (shape.size() == 2) {
            p = Tensor::empty({shape[1], shape[0]}, dt).t();
            p.copy_(v);
        } else {
            p = Tensor::full({shape[0] * 2}, 99.0, dt).slice(0, 0, shape[0] * 2, 2);
            p.copy_(v);
        }
        if (layout == Layout::Strided && p.is_contiguous()) qFatal("strided parameter came out contiguous");
        out.push_back(p.requires_grad_());
    }
    return out;
}

void set_grads(const std::vector<Tensor>& params, std::size_t step, DType dt) {
    const json& g = fixtures()["optimizers"]["grads"][step];
    for (std::size_t i = 0; i < params.size(); ++i) {
        Tensor p = params[i];
        if (g[i].is_null())
            p.zero_grad();
        else
            p.set_grad(Tensor::from_vector(g[i].get<std::vector<double>>(), p.shape(), dt));
    }
}

void compare(const std::vector<double>& got, const std::vector<double>& want, double tol, const QString& what) {
    QVERIFY2(got.size() == want.size(), qPrintable(what + ": size"));
    for (std::size_t i = 0; i < got.size(); ++i)
        QVERIFY2(std::abs(got[i] - want[i]) <= tol * (1.0 + std::abs(want[i])),
                 qPrintable(QString("%1[%2]: got %3, PyTorch %4").arg(what).arg(i).arg(got[i], 0, 'g', 17)
                                .arg(want[i], 0, 'g', 17)));
}

void expect_error(const std::function<void()>& f, const std::string& message) {
    try {
        f();
    } catch (const Error& e) {
        QCOMPARE(QString(e.what()), QString::fromStdString(message));
        return;
    }
    QFAIL(qPrintable(QString::fromStdString("no error; expected: " + message)));
}

std::vector<Tensor> fresh_params() { return initial_params(DType::F64, Layout::Contiguous); }

}  // namespace

class TestOptimizers : public QObject {
    Q_OBJECT
private slots:
    void matches_pytorch_data() {
        QTest::addColumn<QString>("name");
        QTest::addColumn<int>("dtype");
        QTest::addColumn<int>("layout");
        for (const auto& [name, _] : fixtures()["optimizers"]["cases"].items()) {
            QTest::addRow("%s/f64", name.c_str()) << QString::fromStdString(name) << int(DType::F64)
                                                  << int(Layout::Contiguous);
            QTest::addRow("%s/f64/strided", name.c_str()) << QString::fromStdString(name) << int(DType::F64)
                                                          << int(Layout::Strided);
            QTest::addRow("%s/f32", name.c_str()) << QString::fromStdString(name) << int(DType::F32)
                                                  << int(Layout::Contiguous);
        }
    }
    void matches_pytorch() {
        QFETCH(QString, name);
        QFETCH(int, dtype);
        QFETCH(int, layout);
        const DType dt = static_cast<DType>(dtype);
        const json& c = fixtures()["optimizers"]["cases"][name.toStdString()];
        // F32 runs the float loops against the F64 reference: three steps keep them within 1e-5 relative.
        const double tol = dt == DType::F64 ? 1e-6 : 2e-5;
        const auto params = initial_params(dt, static_cast<Layout>(layout));
        auto opt = make_optimizer(c["type"], c["options"], params);
        QCOMPARE(QString::fromStdString(opt->type_name()), QString::fromStdString(c["type"]));
        for (std::size_t step = 0; step < 3; ++step) {
            set_grads(params, step, dt);
            opt->step();
            for (std::size_t i = 0; i < params.size(); ++i) {
                compare(params[i].to_vector<double>(), c["after_step"][step][i].get<std::vector<double>>(), tol,
                        QString("step %1, param %2").arg(step + 1).arg(i));
                QVERIFY(params[i].is_leaf() && params[i].requires_grad());
                QCOMPARE(params[i].dtype(), dt);
                if (QTest::currentTestFailed()) return;
            }
        }
        // The third parameter had no gradient at step 2, so it took 2 steps.
        QCOMPARE(opt->step_count(0), std::int64_t{3});
        QCOMPARE(opt->step_count(2), std::int64_t{2});
    }

    void state_round_trip_data() {
        QTest::addColumn<QString>("name");
        for (const auto& [name, _] : fixtures()["optimizers"]["cases"].items())
            QTest::newRow(name.c_str()) << QString::fromStdString(name);
    }
    void state_round_trip() {
        // Two steps, export, import into a new optimizer over copies of the parameters: the third step
        // must land exactly where an uninterrupted run does (PyTorch's own numbers).
        QFETCH(QString, name);
        const json& c = fixtures()["optimizers"]["cases"][name.toStdString()];
        const auto params = fresh_params();
        auto opt = make_optimizer(c["type"], c["options"], params);
        for (std::size_t step = 0; step < 2; ++step) {
            set_grads(params, step, DType::F64);
            opt->step();
        }
        const OptimizerState st = opt->state();
        QCOMPARE(QString::fromStdString(st.type), QString::fromStdString(c["type"]));
        QCOMPARE(st.scalars.at("param.0.step"), 2.0);
        QCOMPARE(st.scalars.at("param.2.step"), 1.0);
        QCOMPARE(st.scalars.at("num_params"), 3.0);
        QCOMPARE(st.scalars.at("lr"), c["options"].value("lr", opt->lr()));

        std::vector<Tensor> copies;
        for (const auto& p : params) copies.push_back(p.detach().clone().requires_grad_());
        // Built with other hyper-parameters: load_state restores them too.
        auto other = make_optimizer(c["type"], json::object({{"lr", 0.5}}), copies);
        other->load_state(st);
        QCOMPARE(other->lr(), opt->lr());
        // The snapshot is a copy: stepping the original must not change what was exported.
        set_grads(params, 2, DType::F64);
        opt->step();
        set_grads(copies, 2, DType::F64);
        other->step();
        for (std::size_t i = 0; i < copies.size(); ++i)
            compare(copies[i].to_vector<double>(), c["after_step"][2][i].get<std::vector<double>>(), 1e-12,
                    QString("param %1 after restore").arg(i));
    }

    void state_names() {
        auto params = fresh_params();
        Adam adam(params, {.lr = 0.1, .amsgrad = true});
        set_grads(params, 0, DType::F64);
        adam.step();
        const auto st = adam.state();
        QStringList names;
        for (const auto& [n, t] : st.tensors) names << QString::fromStdString(n);
        QCOMPARE(names, QStringList({"param.0.exp_avg", "param.0.exp_avg_sq", "param.0.max_exp_avg_sq",
                                     "param.1.exp_avg", "param.1.exp_avg_sq", "param.1.max_exp_avg_sq",
                                     "param.2.exp_avg", "param.2.exp_avg_sq", "param.2.max_exp_avg_sq"}));
        for (const char* k : {"lr", "beta1", "beta2", "eps", "weight_decay", "amsgrad", "maximize"})
            QVERIFY2(st.scalars.count(k), k);
        QCOMPARE(st.scalars.at("amsgrad"), 1.0);
        // SGD without momentum keeps no buffer.
        SGD sgd(params, {.lr = 0.1});
        sgd.step();
        QVERIFY(sgd.state().tensors.empty());
    }

    void load_state_errors() {
        auto params = fresh_params();
        SGD sgd(params, {.lr = 0.1, .momentum = 0.9});
        set_grads(params, 0, DType::F64);
        sgd.step();
        OptimizerState st = sgd.state();

        Adam adam(params);
        expect_error([&] { adam.load_state(st); }, "Adam: cannot load the state of a SGD optimizer");
        SGD two({params[0], params[1]}, {.lr = 0.1});
        expect_error([&] { two.load_state(st); }, "SGD: the saved state is for 3 parameters, this optimizer has 2");

        OptimizerState bad = st;
        bad.tensors[0].second = Tensor::zeros({4, 3}, DType::F64);
        SGD fresh(params, {.lr = 0.2});
        expect_error([&] { fresh.load_state(bad); },
                     "SGD: state tensor 'param.0.momentum_buffer' has shape [4, 3] but parameter 0 has shape [3, 4]");
        QCOMPARE(fresh.lr(), 0.2);  // untouched by the failed load
        bad = st;
        bad.tensors.emplace_back("param.1.exp_avg", Tensor::zeros({5}, DType::F64));
        expect_error([&] { fresh.load_state(bad); }, "SGD: unknown state tensor 'param.1.exp_avg'");
        bad = st;
        bad.scalars["betas"] = 0.5;
        expect_error([&] { fresh.load_state(bad); }, "SGD: unknown state entry 'betas'");
        QCOMPARE(fresh.lr(), 0.2);
        bad = st;
        bad.scalars["lr"] = -1.0;
        expect_error([&] { fresh.load_state(bad); }, "Invalid learning rate: -1");
        QCOMPARE(fresh.lr(), 0.2);
        // F32 parameters take an F64 state: converted.
        auto f32 = initial_params(DType::F32, Layout::Contiguous);
        SGD sgd32(f32, {.lr = 0.1});
        sgd32.load_state(st);
        QCOMPARE(sgd32.state().tensors[0].second.dtype(), DType::F32);
        QCOMPARE(sgd32.options().momentum, 0.9);
    }

    void zero_grad_drops_gradients() {
        auto params = fresh_params();
        SGD sgd(params, {.lr = 0.1});
        set_grads(params, 0, DType::F64);
        sgd.zero_grad();
        for (const auto& p : params) QVERIFY(!p.grad().defined());
        const auto before = params[0].to_vector<double>();
        sgd.step();  // nothing to do
        QCOMPARE(params[0].to_vector<double>(), before);
        QCOMPARE(sgd.step_count(0), std::int64_t{0});
    }

    void step_bumps_version_and_records_nothing() {
        auto params = fresh_params();
        Adam adam(params);
        const auto v = params[0].version();
        set_grads(params, 0, DType::F64);
        adam.step();
        QVERIFY(params[0].version() > v);
        QVERIFY(params[0].is_leaf());
        QVERIFY(GradMode::is_enabled());
        // A training step end to end: loss -> backward -> step lowers the loss.
        Tensor w = Tensor::from_vector(std::vector<double>{1.0, -2.0, 0.5}, {3}).requires_grad_();
        SGD sgd({w}, {.lr = 0.1, .momentum = 0.5});
        double last = 1e300;
        for (int i = 0; i < 5; ++i) {
            sgd.zero_grad();
            Tensor loss = sum(w * w);
            QVERIFY(loss.item<double>() < last);
            last = loss.item<double>();
            loss.backward();
            sgd.step();
        }
    }

    void lr_get_set() {
        auto params = fresh_params();
        RMSprop r(params);
        QCOMPARE(r.lr(), 1e-2);
        r.set_lr(0.5);
        QCOMPARE(r.lr(), 0.5);
        QCOMPARE(r.options().lr, 0.5);
        expect_error([&] { r.set_lr(-0.1); }, "Invalid learning rate: -0.1");
    }

    void defaults() {
        QCOMPARE(AdamOptions{}.lr, 1e-3);
        QCOMPARE(AdamOptions{}.beta2, 0.999);
        QCOMPARE(AdamOptions{}.eps, 1e-8);
        QCOMPARE(AdamOptions{}.weight_decay, 0.0);
        QCOMPARE(AdamWOptions{}.weight_decay, 1e-2);
        QCOMPARE(RMSpropOptions{}.alpha, 0.99);
        QCOMPARE(RMSpropOptions{}.lr, 1e-2);
        auto params = fresh_params();
        QCOMPARE(QString::fromStdString(AdamW(params).type_name()), QString("AdamW"));
        QCOMPARE(AdamW(params).options().weight_decay, 1e-2);
    }

    void constructor_errors() {
        auto params = fresh_params();
        expect_error([&] { SGD(params, {.lr = -1.0}); }, "Invalid learning rate: -1");
        expect_error([&] { SGD(params, {.lr = 0.1, .momentum = -0.5}); }, "Invalid momentum value: -0.5");
        expect_error([&] { SGD(params, {.lr = 0.1, .nesterov = true}); },
                     "Nesterov momentum requires a momentum and zero dampening");
        expect_error([&] { SGD(params, {.lr = 0.1, .momentum = 0.9, .dampening = 0.1, .nesterov = true}); },
                     "Nesterov momentum requires a momentum and zero dampening");
        expect_error([&] { Adam(params, {.beta1 = 1.0}); }, "Invalid beta parameter at index 0: 1");
        expect_error([&] { Adam(params, {.beta2 = -0.1}); }, "Invalid beta parameter at index 1: -0.1");
        expect_error([&] { AdamW(params, {.eps = -1e-8}); }, "Invalid epsilon value: -1e-08");
        expect_error([&] { Adam(params, {.weight_decay = -1}); }, "Invalid weight_decay value: -1");
        expect_error([&] { RMSprop(params, {.alpha = -0.5}); }, "Invalid alpha value: -0.5");
        expect_error([] { SGD({}, {}); }, "optimizer got an empty parameter list");
        expect_error([] { SGD({Tensor::zeros({2}, DType::I64)}, {}); },
                     "optimizer: parameter 0 is int64; only floating-point tensors can be optimized");
        Tensor leaf = Tensor::ones({2}).requires_grad_();
        Tensor nonleaf = leaf * 2.0;
        expect_error([&] { SGD({nonleaf}, {}); }, "optimizer: can't optimize a non-leaf tensor (parameter 0, shape [2])");
        // A gradient of the wrong shape.
        SGD sgd({leaf}, {});
        leaf.set_grad(Tensor::ones({3}));
        expect_error([&] { sgd.step(); }, "SGD: the gradient of parameter 0 has shape [3] but the parameter has shape [2]");
    }

    void schedulers_match_pytorch_data() {
        QTest::addColumn<QString>("name");
        for (const auto& [name, _] : fixtures()["schedulers"].items())
            QTest::newRow(name.c_str()) << QString::fromStdString(name);
    }
    void schedulers_match_pytorch() {
        QFETCH(QString, name);
        const json& c = fixtures()["schedulers"][name.toStdString()];
        const json& o = c["options"];
        const std::string type = c["type"];
        Tensor p = Tensor::zeros({1}, DType::F64).requires_grad_();
        SGD sgd({p}, {.lr = c["base_lr"].get<double>()});
        std::unique_ptr<LRScheduler> s;
        if (type == "StepLR") s = std::make_unique<StepLR>(sgd, o["step_size"].get<std::int64_t>(), o.value("gamma", 0.1));
        else if (type == "ExponentialLR") s = std::make_unique<ExponentialLR>(sgd, o["gamma"].get<double>());
        else s = std::make_unique<CosineAnnealingLR>(sgd, o["T_max"].get<std::int64_t>(), o.value("eta_min", 0.0));
        QCOMPARE(QString::fromStdString(s->type_name()), QString::fromStdString(type));
        std::vector<double> lrs{s->get_last_lr()};
        for (int e = 0; e < 12; ++e) {
            s->step();
            QCOMPARE(sgd.lr(), s->get_last_lr());
            lrs.push_back(s->get_last_lr());
        }
        compare(lrs, c["lrs"].get<std::vector<double>>(), 1e-9, "lr");
        QCOMPARE(s->last_epoch(), std::int64_t{12});
        // Restoring a run: jump to an epoch.
        s->set_last_epoch(4);
        QVERIFY(std::abs(sgd.lr() - c["lrs"][4].get<double>()) < 1e-12);
    }

    void scheduler_errors() {
        Tensor p = Tensor::zeros({1}).requires_grad_();
        SGD sgd({p}, {.lr = 0.1});
        expect_error([&] { StepLR(sgd, 0); }, "StepLR: step_size must be positive, got 0");
        expect_error([&] { CosineAnnealingLR(sgd, -3); }, "CosineAnnealingLR: T_max must be positive, got -3");
        ExponentialLR e(sgd, 0.5);
        expect_error([&] { e.set_last_epoch(-1); }, "ExponentialLR: the epoch must be non-negative, got -1");
    }

    void large_step_is_fast() {
        // One Adam step over 4M floats: a single fused pass, no temporaries (well under a second on an
        // idle machine). The time is reported; the bound is generous (a loaded 2-core machine must not
        // fail it) and catches only a pathological regression such as a per-element allocation.
        Tensor w = Tensor::zeros({2048, 2048}).requires_grad_();
        w.set_grad(Tensor::ones({2048, 2048}));
        Adam adam({w}, {.lr = 0.01});
        QElapsedTimer t;
        t.start();
        for (int i = 0; i < 3; ++i) adam.step();
        qInfo("3 Adam steps over 4M floats: %lld ms", static_cast<long long>(t.elapsed()));
        QVERIFY2(t.elapsed() < 60000, qPrintable(QString("3 steps took %1 ms").arg(t.elapsed())));
        QVERIFY(std::abs(w.at<float>({5, 7}) + 0.03f) < 1e-5f);
    }
};

QTEST_APPLESS_MAIN(TestOptimizers)
#include "tst_optimizers.moc"
