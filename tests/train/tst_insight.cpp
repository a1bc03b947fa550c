// Insight at the engine level: statistics and histograms of tensors, captures of one forward +
// backward (equal to a plain backward's gradients), the dead-ReLU fraction, attention weights, LSTM gate
// saturation, and step mode in the trainer (one batch per step, each recorded before the optimizer step).
#include <QtTest>

#include <atomic>
#include <cmath>
#include <limits>
#include <mutex>
#include <thread>

#include "neura/neura.h"
#include "neura/autograd/Autograd.h"
#include "neura/graph/ModelGraph.h"
#include "neura/project/Project.h"
#include "neura/train/Experiment.h"
#include "neura/train/Insight.h"
#include "common/TestSupport.h"

using namespace neura;
using neura::test::error_of;

namespace {

// The spiral example with a few epochs of small batches.
project::Project spiral_project(std::int64_t epochs) {
    project::Project p = test::example_project("spiral");
    auto c = train::TrainConfig::from_json(p.train_config_json);
    c.epochs = epochs;
    c.batch_size = 16;
    p.train_config_json = c.to_json();
    return p;
}

// [2] → Linear(4) → ReLU → Linear(2) → CrossEntropyLoss
graph::ModelGraph relu_net() {
    graph::ModelGraph g;
    auto in = g.add_node("Input", "input", {{"shape", std::vector<std::int64_t>{2}}});
    auto fc1 = g.add_node("Linear", "fc1", {{"out_features", std::int64_t{4}}});
    auto relu = g.add_node("ReLU", "relu");
    auto fc2 = g.add_node("Linear", "fc2", {{"out_features", std::int64_t{2}}});
    auto loss = g.add_node("Loss", "loss", {{"type", std::string("CrossEntropyLoss")}});
    g.add_edge(in, fc1);
    g.add_edge(fc1, relu);
    g.add_edge(relu, fc2);
    g.add_edge(fc2, loss);
    return g;
}

data::Batch random_batch(std::int64_t rows, std::uint64_t seed) {
    Generator gen(seed);
    data::Batch b;
    b.features = Tensor::randn({rows, 2}, DType::F32, &gen);
    b.targets = Tensor::randint(0, 2, {rows}, &gen);
    for (std::int64_t i = 0; i < rows; ++i) b.indices.push_back(i);
    return b;
}

bool same(const Tensor& a, const Tensor& b) {
    if (!a.defined() || !b.defined() || a.shape() != b.shape()) return false;
    return a.to_vector<double>() == b.to_vector<double>();
}

}  // namespace

class TestInsight : public QObject {
    Q_OBJECT
private slots:
    void stats_of_a_small_tensor() {
        const auto s = train::tensor_stats(Tensor::from_vector(std::vector<double>{1, 2, 3, 4}, {2, 2}));
        QCOMPARE(s.numel, std::int64_t{4});
        QCOMPARE(s.mean, 2.5);
        QCOMPARE(s.std, std::sqrt(1.25));  // population std: ((1.5² + 0.5²) * 2) / 4
        QCOMPARE(s.min, 1.0);
        QCOMPARE(s.max, 4.0);
        QCOMPARE(s.rms, std::sqrt(7.5));  // (1 + 4 + 9 + 16) / 4
        QCOMPARE(s.non_finite, std::int64_t{0});
        QCOMPARE(train::tensor_stats(Tensor()).numel, std::int64_t{0});
    }

    void stats_leave_out_non_finite_values() {
        const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
        const auto s = train::tensor_stats(Tensor::from_vector(std::vector<double>{nan, 2, inf, 4}, {4}));
        QCOMPARE(s.non_finite, std::int64_t{2});
        QCOMPARE(s.mean, 3.0);
        QCOMPARE(s.max, 4.0);
    }

    void histogram_bins_by_hand() {
        // [0, 4] in 4 bins of width 1; 4 is the upper edge and belongs to the last bin.
        const auto h = train::histogram(Tensor::from_vector(std::vector<double>{0, 1, 2, 3, 4, 3.5, 0.5}, {7}), 4);
        QCOMPARE(h.lo, 0.0);
        QCOMPARE(h.hi, 4.0);
        QCOMPARE(h.counts, (std::vector<std::int64_t>{2, 1, 1, 3}));
        QCOMPARE(h.bin_width(), 1.0);
        QCOMPARE(h.bin_center(0), 0.5);
    }

    void histogram_counts_sum_to_the_size() {
        Generator gen(3);
        for (int bins : {1, 7, 30, 200}) {
            const Tensor t = Tensor::randn({37, 11}, DType::F32, &gen);
            const auto h = train::histogram(t, bins);
            QCOMPARE(static_cast<int>(h.counts.size()), bins);
            QCOMPARE(h.total(), t.numel());
            QCOMPARE(h.non_finite, std::int64_t{0});
        }
        const double nan = std::numeric_limits<double>::quiet_NaN();
        const auto with_nan = train::histogram(Tensor::from_vector(std::vector<double>{nan, 1, nan, -2}, {4}), 5);
        QCOMPARE(with_nan.non_finite, std::int64_t{2});
        QCOMPARE(with_nan.total(), std::int64_t{4});
        const auto constant = train::histogram(Tensor::full({9}, 0.25, DType::F64), 3);
        QCOMPARE(constant.counts, (std::vector<std::int64_t>{0, 9, 0}));  // [-0.25, 0.75]: the middle bin
        const auto all_nan = train::histogram(Tensor::full({3}, nan, DType::F64), 4);
        QCOMPARE(all_nan.total(), std::int64_t{3});
        QVERIFY(error_of([] { train::histogram(Tensor::zeros({2}), 0); }).contains("at least one bin"));
    }

    void capture_equals_a_plain_backward() {
        auto p = spiral_project(1);
        train::Experiment ex(p, train::TrainConfig::from_json(p.train_config_json));
        graph::Network& net = ex.network();
        const data::Batch batch = random_batch(8, 11);

        const train::Capture c = train::capture_batch(net, batch);
        QCOMPARE(c.batch_size, std::int64_t{8});
        QCOMPARE(c.nodes.size(), net.steps().size());

        // The same batch through a plain forward/backward, with the output's gradient asked for.
        net.zero_grad();
        Tensor out = net.forward(batch.features);
        Tensor loss = net.loss(out, batch.targets);
        QCOMPARE(c.loss, loss.item<double>());
        const Tensor dout = autograd::grad({loss}, {out}, {}, true).at(0);
        loss.backward();

        const train::NodeCapture* last = c.find(net.output_node());
        QVERIFY(last);
        QVERIFY(same(last->output, out.detach()));
        QVERIFY(same(last->output_grad, dout));
        QVERIFY(!c.find(net.input_node())->output_grad.defined());  // nothing flows into the data
        int compared = 0;
        for (const auto& step : net.steps()) {
            if (!step.module) continue;
            const train::NodeCapture* n = c.find(step.node);
            QVERIFY(n);
            QCOMPARE(n->name, step.name);
            const auto params = step.module->named_parameters();
            QCOMPARE(n->parameters.size(), params.size());
            double sq = 0.0;
            for (std::size_t i = 0; i < params.size(); ++i) {
                QCOMPARE(n->parameters[i].name, params[i].first);
                QVERIFY(same(n->parameters[i].value, params[i].second.detach()));
                QVERIFY(same(n->parameters[i].grad, params[i].second.grad()));
                for (double g : params[i].second.grad().to_vector<double>()) sq += g * g;
                ++compared;
            }
            QVERIFY(std::abs(n->parameter_grad_norm - std::sqrt(sq)) <= 1e-6 * std::max(1.0, std::sqrt(sq)));
            QVERIFY(n->gradient.numel > 0);
        }
        QCOMPARE(compared, 6);  // three Linear layers, weight and bias each
    }

    void dead_relu_fraction() {
        graph::Network net = graph::compile(relu_net(), 1);
        {
            NoGradGuard ng;
            for (auto& [name, t] : net.module(net.steps()[1].node)->named_parameters()) {
                Tensor param = t;
                if (name == "weight") param.zero_();
                else param.copy_(Tensor::from_vector(std::vector<float>{-1, 1, -2, 3}, {4}));  // units 0, 2 never fire
            }
        }
        const train::Capture c = train::capture_batch(net, random_batch(6, 2));
        const train::NodeCapture* relu = nullptr;
        for (const auto& n : c.nodes)
            if (n.type == "ReLU") relu = &n;
        QVERIFY(relu);
        QCOMPARE(relu->dead_fraction, 0.5);
        QCOMPARE(c.nodes[1].dead_fraction, -1.0);  // a Linear node has none
        QCOMPARE(relu->activation.min, 0.0);
    }

    void attention_weights_per_head() {
        // [5, 8] → MultiheadAttention(2 heads) → causal TransformerEncoderLayer(4 heads) → Linear(3), a class
        // per step. The capture holds each attention node's weights per head: what the module itself
        // gives with need_weights and per-head weights, rows summing to 1, and nothing above the
        // diagonal under the causal mask.
        using L = std::vector<std::int64_t>;
        graph::ModelGraph g;
        auto in = g.add_node("Input", "input", {{"shape", L{5, 8}}});
        auto mha = g.add_node("MultiheadAttention", "mha", {{"num_heads", std::int64_t{2}}});
        auto enc = g.add_node("TransformerEncoderLayer", "enc",
                              {{"nhead", std::int64_t{4}}, {"dim_feedforward", std::int64_t{16}}, {"causal", true}});
        auto fc = g.add_node("Linear", "fc", {{"out_features", std::int64_t{3}}});
        auto loss = g.add_node("Loss", "loss");
        g.add_edge(in, mha);
        g.add_edge(mha, enc);
        g.add_edge(enc, fc);
        g.add_edge(fc, loss);
        graph::Network net = graph::compile(g, 4);
        net.train(false);
        Generator gen(9);
        data::Batch b;
        b.features = Tensor::randn({3, 5, 8}, DType::F32, &gen);
        b.targets = Tensor::randint(0, 3, {3, 5}, &gen);
        b.indices = {0, 1, 2};
        const train::Capture c = train::capture_batch(net, b);
        const train::NodeCapture* a = c.find(mha);
        const train::NodeCapture* e = c.find(enc);
        QVERIFY(a && e);
        QCOMPARE(a->attention.shape(), (Shape{3, 2, 5, 5}));
        QCOMPARE(e->attention.shape(), (Shape{3, 4, 5, 5}));
        QVERIFY(!c.find(fc)->attention.defined());
        // The module's own per-head weights on the same input.
        auto m = std::dynamic_pointer_cast<nn::MultiheadAttention>(net.module(mha));
        QVERIFY(m && !m->keep_weights && !m->kept_weights.defined());  // the recorder let go
        const Tensor want = m->forward(b.features, b.features, b.features, {}, true, {}, false).weights;
        const auto got = a->attention.to_vector<double>(), expect = want.to_vector<double>();
        for (std::size_t i = 0; i < got.size(); ++i) QVERIFY(std::abs(got[i] - expect[i]) < 1e-6);
        for (const train::NodeCapture* n : {a, e}) {
            const auto w = n->attention.to_vector<double>();
            for (std::size_t row = 0; row < w.size() / 5; ++row) {
                double sum = 0;
                for (std::size_t k = 0; k < 5; ++k) sum += w[row * 5 + k];
                QVERIFY(std::abs(sum - 1.0) < 1e-5);
            }
        }
        const auto causal = e->attention.to_vector<double>();
        for (std::size_t row = 0; row < causal.size() / 5; ++row)
            for (std::size_t k = row % 5 + 1; k < 5; ++k) QCOMPARE(causal[row * 5 + k], 0.0);
        // A plain forward afterwards keeps nothing.
        net.forward(b.features);
        QVERIFY(!m->kept_weights.defined());
    }

    void lstm_gate_saturation() {
        // [6, 3] → LSTM(4, two layers, bidirectional) → GRU(5) → Linear(3), a class per step. The LSTM's
        // node carries its gates' saturation per layer and direction, the same the module keeps when asked
        // on that input; the GRU's and the Linear's carry none.
        using L = std::vector<std::int64_t>;
        graph::ModelGraph g;
        auto in = g.add_node("Input", "input", {{"shape", L{6, 3}}});
        auto lstm = g.add_node("LSTM", "lstm", {{"hidden_size", std::int64_t{4}}, {"num_layers", std::int64_t{2}},
                                                {"bidirectional", true}});
        auto gru = g.add_node("GRU", "gru", {{"hidden_size", std::int64_t{5}}});
        auto fc = g.add_node("Linear", "fc", {{"out_features", std::int64_t{3}}});
        auto loss = g.add_node("Loss", "loss");
        g.add_edge(in, lstm);
        g.add_edge(lstm, gru);
        g.add_edge(gru, fc);
        g.add_edge(fc, loss);
        graph::Network net = graph::compile(g, 4);
        net.train(false);
        Generator gen(11);
        data::Batch b;
        b.features = Tensor::randn({3, 6, 3}, DType::F32, &gen) * 3.0;
        b.targets = Tensor::randint(0, 3, {3, 6}, &gen);
        b.indices = {0, 1, 2};
        const train::Capture c = train::capture_batch(net, b);
        const train::NodeCapture* n = c.find(lstm);
        QVERIFY(n);
        QCOMPARE(n->gates.size(), std::size_t{4});
        QVERIFY(c.find(gru)->gates.empty() && c.find(fc)->gates.empty());
        auto m = std::dynamic_pointer_cast<nn::LSTM>(net.module(lstm));
        QVERIFY(m && !m->keep_gates && m->kept_gates.empty());  // the recorder let go
        m->keep_gates = true;
        m->forward(b.features);
        m->keep_gates = false;
        QCOMPARE(m->kept_gates.size(), n->gates.size());
        for (std::size_t k = 0; k < n->gates.size(); ++k) {
            const nn::GateSaturation& s = n->gates[k];
            QCOMPARE(s.layer, static_cast<std::int64_t>(k / 2));
            QCOMPARE(s.direction, static_cast<std::int64_t>(k % 2));
            QCOMPARE(s.values, std::int64_t{3 * 6});
            for (std::size_t gate = 0; gate < 3; ++gate) {
                QCOMPARE(s.left[gate].size(), std::size_t{4});
                QCOMPARE(s.left[gate], m->kept_gates[k].left[gate]);
                QCOMPARE(s.right[gate], m->kept_gates[k].right[gate]);
                for (std::size_t u = 0; u < 4; ++u) {
                    const double left = s.left[gate][u], right = s.right[gate][u];
                    QVERIFY(left >= 0.0 && right >= 0.0 && left + right <= 1.0);
                }
            }
        }
    }

    void step_mode_runs_one_batch_per_step() {
        auto p = spiral_project(3);
        train::Experiment ex(p, train::TrainConfig::from_json(p.train_config_json));
        train::StopToken token;
        token.set_paused(true);
        std::atomic<int> steps{0};
        std::vector<train::Capture> captures;
        std::mutex m;
        train::Callbacks cb;
        cb.on_step = [&](const train::StepProgress&) { ++steps; };
        cb.on_capture = [&](train::Capture&& c) {
            std::lock_guard lock(m);
            captures.push_back(std::move(c));
        };
        train::FitResult r;
        std::thread worker([&] { r = ex.run(cb, &token); });
        QTRY_VERIFY_WITH_TIMEOUT(token.held(), 60000);
        QCOMPARE(steps.load(), 0);  // started paused: nothing runs
        token.step_once();
        QTRY_COMPARE_WITH_TIMEOUT(steps.load(), 1, 60000);
        QTRY_VERIFY_WITH_TIMEOUT(token.held(), 60000);
        QCOMPARE(steps.load(), 1);  // and pauses again
        token.step_once();
        QTRY_COMPARE_WITH_TIMEOUT(steps.load(), 2, 60000);
        token.request_stop();
        worker.join();
        QCOMPARE(r.status, train::FitStatus::Stopped);
        QCOMPARE(steps.load(), 2);
        QCOMPARE(captures.size(), std::size_t{2});
        QCOMPARE(captures[0].global_step, std::int64_t{0});
        QCOMPARE(captures[1].global_step, std::int64_t{1});
        // The capture holds the parameters the batch saw: the optimizer moved them afterwards.
        const auto* fc1 = captures[1].find(ex.network().steps()[1].node);
        QVERIFY(fc1 && !fc1->parameters.empty());
        QVERIFY(!same(fc1->parameters[0].value, ex.network().steps()[1].module->named_parameters()[0].second.detach()));
        const auto* fc1_first = captures[0].find(ex.network().steps()[1].node);
        QVERIFY(!same(fc1_first->parameters[0].value, fc1->parameters[0].value));
    }

    void periodic_captures_when_asked() {
        auto p = spiral_project(2);
        train::Experiment ex(p, train::TrainConfig::from_json(p.train_config_json));
        int asked = 0, captured = 0, steps = 0;
        train::Callbacks cb;
        cb.on_step = [&](const train::StepProgress&) { ++steps; };
        cb.want_capture = [&] { return asked++ % 4 == 0; };
        cb.on_capture = [&](train::Capture&& c) {
            QCOMPARE(c.global_step % 4, std::int64_t{0});
            ++captured;
        };
        const auto r = ex.run(cb);
        QCOMPARE(r.status, train::FitStatus::Completed);
        QCOMPARE(asked, steps);
        QCOMPARE(captured, (steps + 3) / 4);
    }
};

QTEST_APPLESS_MAIN(TestInsight)
#include "tst_insight.moc"
