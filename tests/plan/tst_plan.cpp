// The compiled training plan (neura/plan/TrainingPlan.h) against its reference, the dynamic autograd: the
// loss and every parameter's gradient of one step agree on every example project and on a network per
// layer type (float64); finite differences of the plan's own loss agree with its gradients; several
// optimizer steps over the flat parameters (one fused pass) leave the parameters autograd's per-parameter
// steps leave; the memory plan shares gradient buffers; hooks and eval mode fall back to autograd.
#include <omp.h>

#include <QDir>
#include <QtTest>
#include <cmath>

#include "common/LayerCases.h"
#include "neura/autograd/GradMode.h"
#include "neura/graph/Network.h"
#include "neura/plan/TrainingPlan.h"
#include "neura/project/Project.h"
#include "neura/train/Experiment.h"

using namespace neura;
using namespace neura::test;
using graph::Network;

namespace {

// Largest |a - b| over two tensors of one shape, relative to max(1, max |b|).
double relative_difference(const Tensor& a, const Tensor& b) {
    if (a.shape() != b.shape()) return INFINITY;
    const auto x = a.to_vector<double>(), y = b.to_vector<double>();
    double worst = 0, scale = 1;
    for (std::size_t k = 0; k < x.size(); ++k) {
        worst = std::max(worst, std::abs(x[k] - y[k]));
        scale = std::max(scale, std::abs(y[k]));
        if (std::isnan(x[k]) != std::isnan(y[k])) return INFINITY;
    }
    return worst / scale;
}

// The F64 tolerance the issue allows where the order of operations differs (the fused loss, sgemm's
// blocking); most gradients agree to the last bit.
constexpr double kTol = 1e-9;

struct Comparison {
    double worst = 0;  // over the loss and every gradient
    int bitwise = 0, tensors = 0;
    QString where;
};

// One step of `planned` through its plan and of `reference` through autograd, on the same batch.
Comparison compare_step(Network& planned, Network& reference, const Tensor& x, const Tensor& y) {
    reference.set_plan_enabled(false);
    planned.set_plan_enabled(true);
    const auto a = planned.train_step(x, y);
    const auto b = reference.train_step(x, y);
    Comparison c;
    auto note = [&](const QString& what, const Tensor& u, const Tensor& v) {
        const double d = relative_difference(u, v);
        if (qEnvironmentVariableIsSet("NEURA_PLAN_DEBUG")) qInfo("%s %g", qPrintable(what), d);
        ++c.tensors;
        if (u.shape() == v.shape() && u.to_vector<double>() == v.to_vector<double>()) ++c.bitwise;
        if (d > c.worst || std::isinf(d)) {
            c.worst = d;
            c.where = what;
        }
    };
    note("loss", a.loss, b.loss);
    note("output", a.output, b.output);
    const auto pa = planned.named_parameters(), pb = reference.named_parameters();
    for (std::size_t k = 0; k < pa.size(); ++k) {
        const Tensor ga = pa[k].second.grad(), gb = pb[k].second.grad();
        if (!gb.defined()) continue;  // autograd left it without a gradient (unused)
        if (!ga.defined()) {
            c.worst = INFINITY;
            c.where = QString::fromStdString(pa[k].first) + " has no gradient in the plan";
            continue;
        }
        note(QString::fromStdString(pa[k].first) + ".grad", ga, gb);
    }
    return c;
}

// The batch's features in the network's dtype (integer token ids stay integers).
Tensor as_f64(const Tensor& t) { return is_floating(t.dtype()) ? t.to(DType::F64) : t; }

graph::ModelGraph mlp(const char* act, const char* loss, bool residual = false) {
    GraphBuilder g({3});
    const graph::NodeId a = g.add("Linear", "fc1", {{"out_features", i(6)}});
    const graph::NodeId r = g.add(act, "act1");
    g.add("Linear", "fc2", {{"out_features", i(6)}});
    const graph::NodeId s = g.add(act, "act2");
    if (residual) g.add("Add", "skip", {}, {r, s});  // act1 feeds two steps: its gradient accumulates
    g.add("Linear", "fc3", {{"out_features", i(4)}});
    (void)a;
    graph::ModelGraph m = g.done();
    m.set_attribute(m.find_node("loss"), "type", graph::AttributeValue(std::string(loss)));
    return m;
}

graph::ModelGraph cnn() {
    GraphBuilder g({2, 8, 8});
    g.add("Conv2d", "conv1", {{"out_channels", i(4)}, {"kernel_size", l({3, 3})}, {"padding", l({1, 1})}});
    g.add("ReLU", "relu1");
    g.add("MaxPool2d", "pool1", {{"kernel_size", l({2, 2})}});
    g.add("Conv2d", "conv2", {{"out_channels", i(6)}, {"kernel_size", l({3, 3})}, {"padding", l({1, 1})}});
    g.add("Tanh", "tanh2");
    g.add("MaxPool2d", "pool2", {{"kernel_size", l({2, 2})}});
    g.add("Flatten", "flat");
    g.add("Linear", "fc", {{"out_features", i(3)}});
    graph::ModelGraph m = g.done();
    m.set_attribute(m.find_node("loss"), "type", graph::AttributeValue(std::string("CrossEntropyLoss")));
    return m;
}

}  // namespace

class TestPlan : public QObject {
    Q_OBJECT

private slots:
    void every_example_project_agrees_with_autograd() {
        const QDir dir(NEURA_SOURCE_DIR "/projects");
        const QStringList files = dir.entryList({"*.neura"}, QDir::Files, QDir::Name);
        QVERIFY(files.size() >= 9);
        for (const QString& f : files) {
            const project::Project p = project::load_project(dir.filePath(f).toStdString());
            const train::TrainConfig cfg = train::TrainConfig::from_json(p.train_config_json);
            train::Experiment planned(p, cfg), reference(p, cfg);  // one seed: the same initial weights
            planned.network().to(DType::F64);
            reference.network().to(DType::F64);
            std::vector<std::int64_t> rows;
            for (std::int64_t r = 0; r < std::min<std::int64_t>(8, planned.train_set()->size()); ++r) rows.push_back(r);
            const data::Batch batch = planned.train_set()->get_batch(rows);
            const Comparison c =
                compare_step(planned.network(), reference.network(), as_f64(batch.features), as_f64(batch.targets));
            QVERIFY2(planned.network().last_plan() && !reference.network().last_plan(), qPrintable(f));
            const plan::PlanSummary& sum = planned.network().last_plan()->summary();
            qInfo("%s: %d of %d tensors bitwise equal, worst relative difference %.3g; %lld native steps, %lld fused "
                  "activations, %lld islands, fused loss %d",
                  qPrintable(f), c.bitwise, c.tensors, c.worst, static_cast<long long>(sum.native_steps),
                  static_cast<long long>(sum.fused_activations), static_cast<long long>(sum.islands), sum.fused_loss);
            QVERIFY2(c.worst <= kTol, qPrintable(f + ": " + c.where + " differs by " + QString::number(c.worst)));
        }
    }

    void training_runs_through_the_plan() {
        // What the studio, `neura train` and the Python module's Project.train run: Experiment -> Trainer.
        // Two epochs of an example with the plan and without it give the same history.
        const project::Project p = project::load_project(NEURA_SOURCE_DIR "/projects/digits-cnn.neura");
        train::TrainConfig cfg = train::TrainConfig::from_json(p.train_config_json);
        cfg.epochs = 2;
        train::Experiment planned(p, cfg), reference(p, cfg);
        reference.network().set_plan_enabled(false);
        const train::FitResult a = planned.run({}), b = reference.run({});
        QVERIFY(planned.network().last_plan());
        QVERIFY(!reference.network().last_plan());
        QVERIFY(planned.optimizer().last_step_was_flat());
        QCOMPARE(a.history.size(), b.history.size());
        for (std::size_t e = 0; e < a.history.size(); ++e) {
            qInfo("epoch %zu: train loss %.9f (plan) %.9f (autograd), val accuracy %.4f %.4f", e + 1,
                  a.history[e].train_loss, b.history[e].train_loss, a.history[e].val_accuracy, b.history[e].val_accuracy);
            QVERIFY(std::abs(a.history[e].train_loss - b.history[e].train_loss) < 1e-5);
            QVERIFY(std::abs(a.history[e].val_loss - b.history[e].val_loss) < 1e-5);
        }
    }

    void every_layer_type_agrees_with_autograd() {
        int native = 0;
        for (const LayerCase& lc : layer_cases()) {
            const graph::ModelGraph g = lc.graph();
            Network planned = graph::compile(g, 7), reference = graph::compile(g, 7);
            planned.to(DType::F64);
            reference.to(DType::F64);
            Generator gen(3);
            const Tensor x = random_input(planned.input_shape(), 4, lc.index_high, gen);
            Shape ys{4};
            ys.insert(ys.end(), planned.output_shape().begin(), planned.output_shape().end());
            const Tensor y = Tensor::randn(ys, DType::F64, &gen);
            const Comparison c = compare_step(planned, reference, lc.index_high > 0 ? x : x.to(DType::F64), y);
            // A network without parameters has nothing to train: autograd runs it.
            QVERIFY2(planned.last_plan() || planned.parameters().empty(), lc.name.c_str());
            native += planned.last_plan() && planned.last_plan()->summary().native_steps > 0;
            QVERIFY2(c.worst <= kTol, qPrintable(QString::fromStdString(lc.name) + ": " + c.where + " differs by " +
                                                 QString::number(c.worst)));
        }
        QVERIFY(native >= 10);  // Linear, Conv2d, MaxPool2d, Flatten and the activations run natively
    }

    void native_steps_fusion_and_the_fused_loss() {
        Network net = graph::compile(mlp("ReLU", "CrossEntropyLoss"), 1);
        Generator gen(5);
        const Tensor x = Tensor::randn({16, 3}, DType::F32, &gen), y = Tensor::randint(0, 4, {16}, &gen);
        net.train_step(x, y);
        QVERIFY(net.last_plan());
        const plan::PlanSummary& s = net.last_plan()->summary();
        QCOMPARE(s.native_steps, 3);       // three Linear steps
        QCOMPARE(s.fused_activations, 2);  // both ReLUs folded into the Linear before them
        QCOMPARE(s.islands, 0);
        QVERIFY(s.fused_loss);
        QCOMPARE(s.parameter_count >= net.parameter_count(), true);

        // A layer with no native step is an island, and the steps around it stay native (the one after it
        // reads the island's output).
        GraphBuilder g({6});
        g.add("Linear", "fc1", {{"out_features", i(8)}});
        g.add("LayerNorm", "ln");
        g.add("Linear", "fc2", {{"out_features", i(2)}});
        Network mixed = graph::compile(g.done(), 1);
        mixed.train_step(Tensor::randn({4, 6}), Tensor::randn({4, 2}));
        QVERIFY(mixed.last_plan());
        QCOMPARE(mixed.last_plan()->summary().islands, 1);
        QCOMPARE(mixed.last_plan()->summary().native_steps, 2);
        QCOMPARE(mixed.last_plan()->summary().island_layers.front(), std::string("ln (LayerNorm)"));
    }

    void residual_accumulation_and_a_cnn_agree() {
        for (const auto& g : {mlp("ReLU", "MSELoss", true), mlp("Tanh", "MSELoss", true),
                              mlp("Sigmoid", "CrossEntropyLoss", true), cnn()}) {
            Network planned = graph::compile(g, 3), reference = graph::compile(g, 3);
            planned.to(DType::F64);
            reference.to(DType::F64);
            Generator gen(9);
            Shape xs{5};
            xs.insert(xs.end(), planned.input_shape().begin(), planned.input_shape().end());
            const Tensor x = Tensor::randn(xs, DType::F64, &gen);
            const Tensor y = planned.loss_type() == "MSELoss" ? Tensor::randn({5, 4}, DType::F64, &gen)
                                                               : Tensor::randint(0, planned.output_shape()[0], {5}, &gen);
            const Comparison c = compare_step(planned, reference, x, y);
            QVERIFY2(c.worst <= kTol, qPrintable(c.where + " differs by " + QString::number(c.worst)));
        }
    }

    void gradcheck_through_the_plan() {
        // Central differences of the plan's own loss against the plan's gradients, every parameter element.
        for (const auto& g : {mlp("Tanh", "CrossEntropyLoss", true), cnn()}) {
            Network net = graph::compile(g, 4);
            net.to(DType::F64);
            Generator gen(2);
            Shape xs{3};
            xs.insert(xs.end(), net.input_shape().begin(), net.input_shape().end());
            const Tensor x = Tensor::randn(xs, DType::F64, &gen);
            const Tensor y = Tensor::randint(0, net.output_shape()[0], {3}, &gen);
            net.train_step(x, y);
            QVERIFY(net.last_plan());
            std::vector<std::vector<double>> grads;
            for (const Tensor& p : net.parameters()) grads.push_back(p.grad().to_vector<double>());
            const double eps = 1e-6;
            double worst = 0;
            int checked = 0;
            const auto params = net.parameters();
            for (std::size_t k = 0; k < params.size(); ++k) {
                Tensor p = params[k];
                for (std::int64_t e = 0; e < p.numel(); e += std::max<std::int64_t>(1, p.numel() / 7)) {
                    auto at = [&](double delta) {
                        double* v = p.data<double>() + e;
                        const double old = *v;
                        *v = old + delta;
                        const double l = net.train_step(x, y).loss.item<double>();
                        *v = old;
                        return l;
                    };
                    const double numeric = (at(eps) - at(-eps)) / (2 * eps);
                    worst = std::max(worst, std::abs(numeric - grads[k][static_cast<std::size_t>(e)]));
                    ++checked;
                }
            }
            QVERIFY(net.last_plan());  // the perturbed steps ran through the plan too
            QVERIFY(checked > 20);
            QVERIFY2(worst < 1e-6, qPrintable(QString("finite differences differ by %1").arg(worst)));
        }
    }

    void flat_optimizer_steps_equal_per_parameter_steps() {
        for (const char* opt : {"SGD", "Adam", "AdamW", "RMSprop"}) {
            const graph::ModelGraph g = mlp("ReLU", "CrossEntropyLoss", true);
            Network planned = graph::compile(g, 8), reference = graph::compile(g, 8);
            planned.to(DType::F64);
            reference.to(DType::F64);
            train::TrainConfig cfg;
            cfg.optimizer = opt;
            cfg.lr = 0.05;
            cfg.momentum = 0.9;
            cfg.weight_decay = 0.01;
            auto oa = train::make_optimizer(cfg, planned.parameters());
            auto ob = train::make_optimizer(cfg, reference.parameters());
            reference.set_plan_enabled(false);
            Generator gen(6);
            for (int step = 0; step < 5; ++step) {
                const Tensor x = Tensor::randn({7, 3}, DType::F64, &gen), y = Tensor::randint(0, 4, {7}, &gen);
                oa->zero_grad();
                ob->zero_grad();
                planned.train_step(x, y);
                reference.train_step(x, y);
                oa->step();
                ob->step();
                QVERIFY2(oa->last_step_was_flat() && !ob->last_step_was_flat(), opt);
            }
            const auto pa = planned.named_parameters(), pb = reference.named_parameters();
            for (std::size_t k = 0; k < pa.size(); ++k)
                QVERIFY2(relative_difference(pa[k].second, pb[k].second) <= kTol,
                         qPrintable(QString("%1: %2").arg(opt, QString::fromStdString(pa[k].first))));
            // The state reads per parameter as before (what a project stores).
            const optim::OptimizerState sa = oa->state(), sb = ob->state();
            QCOMPARE(sa.tensors.size(), sb.tensors.size());
            for (std::size_t k = 0; k < sa.tensors.size(); ++k) {
                QCOMPARE(sa.tensors[k].first, sb.tensors[k].first);
                QVERIFY(relative_difference(sa.tensors[k].second, sb.tensors[k].second) <= kTol);
            }
            QCOMPARE(sa.scalars, sb.scalars);
        }
    }

    void measured_thread_choice_keeps_the_gradients() {
        // With a team of 2, the plan times its big steps on the team and on the calling thread alone for a
        // few steps and keeps the faster; whichever it runs, the gradients stay autograd's.
        const int before = omp_get_max_threads();
        omp_set_num_threads(2);
        GraphBuilder g({128});
        g.add("Linear", "fc1", {{"out_features", i(512)}});
        g.add("ReLU", "r1");
        g.add("Linear", "fc2", {{"out_features", i(256)}});
        g.add("Tanh", "t2");
        g.add("Linear", "fc3", {{"out_features", i(8)}});
        graph::ModelGraph model = g.done();
        model.set_attribute(model.find_node("loss"), "type", graph::AttributeValue(std::string("CrossEntropyLoss")));
        Network planned = graph::compile(model, 2), reference = graph::compile(model, 2);
        planned.to(DType::F64);
        reference.to(DType::F64);
        Generator gen(1);
        for (int step = 0; step < 16; ++step) {  // warm-up, 8 timed steps, then the chosen threads
            const Tensor x = Tensor::randn({64, 128}, DType::F64, &gen), y = Tensor::randint(0, 8, {64}, &gen);
            const Comparison c = compare_step(planned, reference, x, y);
            QVERIFY2(c.worst <= kTol, qPrintable(QString("step %1: %2 differs by %3").arg(step).arg(c.where).arg(c.worst)));
        }
        QCOMPARE(planned.last_plan()->summary().serial_steps, 1);  // fc3 only: 64 x 256 x 8 multiply-adds
        omp_set_num_threads(before);
    }

    void gradient_buffers_are_shared() {
        // A chain of 8 Linear + Tanh pairs: gradients of steps far apart never live together.
        GraphBuilder g({16});
        for (int k = 0; k < 8; ++k) {
            g.add("Linear", "fc" + std::to_string(k), {{"out_features", i(16)}});
            g.add("Tanh", "t" + std::to_string(k));
        }
        Network net = graph::compile(g.done(), 1);
        net.train_step(Tensor::randn({32, 16}), Tensor::randn({32, 16}));
        QVERIFY(net.last_plan());
        const plan::PlanSummary& s = net.last_plan()->summary();
        qInfo("arena %lld bytes, %lld without sharing", static_cast<long long>(s.arena_bytes),
              static_cast<long long>(s.unshared_bytes));
        QVERIFY(s.arena_bytes < s.unshared_bytes);
        // 8 activations of 32 x 16 floats, and the gradients in 2 buffers (plus 2 scratch), not 8.
        QVERIFY(s.arena_bytes <= (8 + 2 + 2) * 32 * 16 * 4);
    }

    void parameters_keep_their_identity_and_plans_follow_changes() {
        Network net = graph::compile(mlp("ReLU", "CrossEntropyLoss"), 1);
        const auto before = net.parameters();
        const Tensor x = Tensor::randn({4, 3}), y = Tensor::randint(0, 4, {4});
        net.train_step(x, y);
        const auto after = net.parameters();
        for (std::size_t k = 0; k < before.size(); ++k) QVERIFY(before[k].is_same(after[k]));
        // A shorter last batch gets a plan of its own.
        const plan::TrainingPlan* full = net.last_plan();
        net.train_step(x.narrow(0, 0, 3), y.narrow(0, 0, 3));
        QVERIFY(net.last_plan() && net.last_plan() != full);
        // to(F64) moves the parameters off the flat buffer: the next step plans again, in F64.
        net.to(DType::F64);
        const auto r = net.train_step(x.to(DType::F64), y);
        QVERIFY(net.last_plan());
        QCOMPARE(r.loss.dtype(), DType::F64);
        QCOMPARE(net.parameters().front().grad().dtype(), DType::F64);
    }

    void hooks_eval_mode_and_foreign_batches_use_autograd() {
        Network net = graph::compile(mlp("ReLU", "CrossEntropyLoss"), 1);
        const Tensor x = Tensor::randn({4, 3}), y = Tensor::randint(0, 4, {4});
        const auto h = net.add_forward_hook([](graph::NodeId, const Tensor&) {});
        net.train_step(x, y);
        QVERIFY(!net.last_plan());
        net.remove_forward_hook(h);
        net.train_step(x, y);
        QVERIFY(net.last_plan());
        // A target out of range: the plan's fused loss says so as autograd does.
        QString why;
        try {
            net.train_step(x, Tensor::from_vector<std::int64_t>({0, 1, 9, 2}, {4}));
        } catch (const Error& e) {
            why = e.what();
        }
        QVERIFY2(why.contains("target 9 is out of range for 4 classes"), qPrintable(why));
        // A batch of the wrong shape is refused with autograd's message.
        why.clear();
        try {
            net.train_step(Tensor::randn({4, 5}), y);
        } catch (const Error& e) {
            why = e.what();
        }
        QVERIFY2(why.contains("[B, 3]"), qPrintable(why));
    }
};

QTEST_APPLESS_MAIN(TestPlan)
#include "tst_plan.moc"
