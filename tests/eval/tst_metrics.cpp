// engine/eval: metrics on crafted predictions against hand-computed values (scikit-learn's definitions),
// MACs of layers against hand counts, integrated gradients' completeness, and evaluate() on example
// projects against a count the test makes from predictions it computes itself.
#include <QtTest>
#include <cmath>

#include "common/LayerGraphs.h"
#include "common/TestSupport.h"
#include "neura/eval/Evaluation.h"
#include "neura/eval/Metrics.h"
#include "neura/eval/Saliency.h"
#include "neura/graph/ShapeReport.h"
#include "neura/ops/Ops.h"
#include "neura/train/Experiment.h"

using namespace neura;
using namespace neura::test;

namespace {

// The MACs infer_shapes gives the node called `name` of a graph.
std::int64_t node_macs(const graph::ModelGraph& g, const std::string& name) {
    const auto report = graph::infer_shapes(g);
    const auto* s = report.find(g.find_node(name));
    if (!s || !s->known) qFatal("node %s has no known shape", name.c_str());
    return s->macs;
}

}  // namespace

class TestMetrics : public QObject {
    Q_OBJECT
private slots:
    void confusionMatrixAndScores() {
        // Class 2 is never predicted: precision 0 and a warning (zero_division=0).
        const std::vector<std::int64_t> truth = {0, 0, 1, 1, 2, 2}, predicted = {0, 1, 1, 1, 0, 0};
        const auto m = eval::classification_metrics(truth, predicted, 3, {"a", "b", "c"});
        const std::vector<std::int64_t> want = {1, 1, 0, 0, 2, 0, 2, 0, 0};
        QCOMPARE(m.confusion, want);
        QCOMPARE(m.accuracy, 0.5);
        // class 0: tp 1 of 3 predicted, 2 true; class 1: tp 2 of 3 predicted, 2 true.
        QVERIFY(std::abs(m.per_class[0].precision - 1.0 / 3) < 1e-12);
        QCOMPARE(m.per_class[0].recall, 0.5);
        QVERIFY(std::abs(m.per_class[0].f1 - 0.4) < 1e-12);
        QVERIFY(std::abs(m.per_class[1].precision - 2.0 / 3) < 1e-12);
        QCOMPARE(m.per_class[1].recall, 1.0);
        QVERIFY(std::abs(m.per_class[1].f1 - 0.8) < 1e-12);
        QCOMPARE(m.per_class[2].precision, 0.0);
        QCOMPARE(m.per_class[2].f1, 0.0);
        QCOMPARE(m.per_class[2].support, std::int64_t{2});
        QVERIFY(std::abs(m.macro.precision - 1.0 / 3) < 1e-12);
        QVERIFY(std::abs(m.macro.recall - 0.5) < 1e-12);
        QVERIFY(std::abs(m.macro.f1 - 0.4) < 1e-12);
        QVERIFY(std::abs(m.weighted.f1 - 0.4) < 1e-12);  // (0.4 * 2 + 0.8 * 2 + 0 * 2) / 6
        QCOMPARE(m.warnings.size(), std::size_t{1});
        QVERIFY2(m.warnings[0].find("class 2 ('c') was never predicted") != std::string::npos, m.warnings[0].c_str());
        // A class without samples: recall 0 and a warning.
        const auto n = eval::classification_metrics(std::vector<std::int64_t>{0, 0}, std::vector<std::int64_t>{0, 1}, 2);
        QCOMPARE(n.per_class[1].recall, 0.0);
        QCOMPARE(n.per_class[1].precision, 0.0);
        QCOMPARE(n.warnings.size(), std::size_t{1});
        QVERIFY(n.warnings[0].find("class 1 has no samples") != std::string::npos);
        // Out-of-range classes are refused with a sentence.
        bool threw = false;
        try {
            eval::classification_metrics(std::vector<std::int64_t>{0, 3}, std::vector<std::int64_t>{0, 0}, 3);
        } catch (const Error& e) {
            threw = std::string(e.what()).find("sample 1 has class 3, outside 0..2") != std::string::npos;
        }
        QVERIFY(threw);
    }

    void rocAndPrecisionRecall() {
        // Positives at ranks 1, 2 and 4 of 6: 8 of the 9 (positive, negative) pairs are ordered right.
        const std::vector<double> scores = {0.9, 0.8, 0.7, 0.6, 0.55, 0.4};
        const std::vector<std::uint8_t> positive = {1, 1, 0, 1, 0, 0};
        const auto roc = eval::roc_curve(scores, positive);
        QVERIFY(std::abs(roc.area - 8.0 / 9) < 1e-12);
        QCOMPARE(roc.x.front(), 0.0);
        QCOMPARE(roc.y.back(), 1.0);
        QCOMPARE(roc.x.back(), 1.0);
        QCOMPARE(roc.x.size(), std::size_t{7});
        // Average precision: recall steps of 1/3 at precisions 1, 1 and 3/4.
        const auto pr = eval::precision_recall_curve(scores, positive);
        QVERIFY(std::abs(pr.area - (1.0 / 3 + 1.0 / 3 + 0.25)) < 1e-12);
        QCOMPARE(pr.y[3], 2.0 / 3);  // threshold 0.7: 2 of 3 predicted positives are
        // Tied scores move together: one positive and one negative tied count half a pair.
        const auto tie = eval::roc_curve(std::vector<double>{0.5, 0.5}, std::vector<std::uint8_t>{1, 0});
        QCOMPARE(tie.area, 0.5);
        QCOMPARE(tie.x.size(), std::size_t{2});
        // No negatives: the area is not defined.
        QVERIFY(std::isnan(eval::roc_curve(std::vector<double>{0.1, 0.2}, std::vector<std::uint8_t>{1, 1}).area));
    }

    void regression() {
        const std::vector<float> predicted = {1, 2, 3}, actual = {1, 2, 4};
        const auto m = eval::regression_metrics(predicted, actual, 1);
        QVERIFY(std::abs(m.mse - 1.0 / 3) < 1e-12);
        QVERIFY(std::abs(m.mae - 1.0 / 3) < 1e-12);
        // mean 7/3; SS_tot = (16 + 1 + 25) / 9; SS_res = 1
        QVERIFY(std::abs(m.r2 - (1.0 - 9.0 / 42)) < 1e-12);
        // Two outputs: R² is the mean of each output's; a constant target predicted exactly has R² 1.
        const auto two = eval::regression_metrics(std::vector<float>{1, 5, 2, 5, 3, 5}, std::vector<float>{1, 5, 2, 5, 4, 5}, 2);
        QVERIFY(std::abs(two.r2 - ((1.0 - 9.0 / 42) + 1.0) / 2) < 1e-12);
        QVERIFY(std::abs(two.mse - 1.0 / 6) < 1e-12);
    }

    void macsOfLayers() {
        {
            GraphBuilder b({10});
            b.add("Linear", "fc", {{"out_features", i(5)}});
            QCOMPARE(node_macs(b.done(), "fc"), std::int64_t{50});  // 10 x 5
        }
        {
            GraphBuilder b({3, 10});  // a Linear over the last dimension of 3 steps
            b.add("Linear", "fc", {{"out_features", i(5)}, {"bias", b_(false)}});
            QCOMPARE(node_macs(b.done(), "fc"), std::int64_t{150});
        }
        {
            // kernel 3 dilated by 2 spans 5; padded input 10 → (10 - 5) / 2 + 1 = 3 outputs a side;
            // each of 6 x 3 x 3 outputs sums 4 / 2 channels x 9 taps.
            GraphBuilder b({4, 8, 8});
            b.add("Conv2d", "conv", {{"out_channels", i(6)}, {"kernel_size", l({3})}, {"stride", l({2})},
                                     {"padding", l({1})}, {"dilation", l({2})}, {"groups", i(2)}});
            QCOMPARE(node_macs(b.done(), "conv"), std::int64_t{6 * 3 * 3 * 2 * 9});
        }
        {
            GraphBuilder b({3, 8, 8});
            b.add("MaxPool2d", "pool", {{"kernel_size", l({2})}});
            QCOMPARE(node_macs(b.done(), "pool"), std::int64_t{3 * 4 * 4 * 4});
        }
        {
            GraphBuilder b({2, 7, 7});  // (7 - 3) / 2 + 1 = 3 windows of 9 a side
            b.add("AvgPool2d", "pool", {{"kernel_size", l({3})}, {"stride", l({2})}});
            QCOMPARE(node_macs(b.done(), "pool"), std::int64_t{2 * 3 * 3 * 9});
        }
        {
            // 5 rows to 2: windows 0..2 and 2..4 (3 rows each, overlapping), the same for columns.
            GraphBuilder b({2, 5, 5});
            b.add("AdaptiveAvgPool2d", "pool", {{"output_size", l({2})}});
            QCOMPARE(node_macs(b.done(), "pool"), std::int64_t{2 * 6 * 6});
        }
        {
            // Two bidirectional LSTM layers over 5 steps: 4 gates x (input + hidden) x hidden each step.
            GraphBuilder b({5, 3});
            b.add("LSTM", "lstm", {{"hidden_size", i(4)}, {"num_layers", i(2)}, {"bidirectional", b_(true)}});
            QCOMPARE(node_macs(b.done(), "lstm"), std::int64_t{2 * 5 * 4 * (3 * 4 + 16) + 2 * 5 * 4 * (8 * 4 + 16)});
        }
        {
            GraphBuilder b({6, 8});  // 4 projections of 6 x 8 x 8, scores and sums of 6 x 6 x 8
            b.add("MultiheadAttention", "attn", {{"num_heads", i(2)}});
            b.add("ReLU", "act");
            const auto g = b.done();
            QCOMPARE(node_macs(g, "attn"), std::int64_t{4 * 6 * 8 * 8 + 2 * 6 * 6 * 8});
            QCOMPARE(node_macs(g, "act"), std::int64_t{0});
            const auto report = graph::infer_shapes(g);
            QCOMPARE(report.total_macs, std::int64_t{4 * 6 * 8 * 8 + 2 * 6 * 6 * 8});
            QVERIFY(report.macs_complete);
        }
    }

    void integratedGradientsCompleteness() {
        // A small tanh network in float64: the attributions sum to f(x) - f(baseline).
        GraphBuilder b({5});
        b.add("Linear", "fc1", {{"out_features", i(8)}});
        b.add("Tanh", "act");
        b.add("Linear", "fc2", {{"out_features", i(3)}});
        Generator gen(7);
        graph::Network net = graph::compile(b.done(), 7);
        net.to(DType::F64);
        const Tensor x = Tensor::randn({5}, DType::F64, &gen);
        eval::SaliencyOptions o;
        o.target = 2;
        const auto s = eval::saliency(net, x, o);
        const double sum = s.attributions.sum().item<double>();
        QVERIFY2(std::abs(sum - (s.output - s.baseline_output)) < 1e-3,
                 qPrintable(QString("sum %1 vs f(x) - f(0) %2").arg(sum).arg(s.output - s.baseline_output)));
        // f(x) and f(baseline) are the network's own outputs; saliency computes gradients even when the
        // caller has turned them off.
        NoGradGuard ng;
        net.eval();
        const double fx = net.forward(x.unsqueeze(0)).select(1, 2).item<double>();
        const double f0 = net.forward(Tensor::zeros({1, 5}, DType::F64)).select(1, 2).item<double>();
        QVERIFY(std::abs(eval::saliency(net, x, o).attributions.sum().item<double>() - sum) < 1e-12);
        QVERIFY(std::abs(s.output - fx) < 1e-12);
        QVERIFY(std::abs(s.baseline_output - f0) < 1e-12);
        QVERIFY(std::abs(fx - f0) > 1e-3);  // not trivially zero
        // A ReLU network's gradient jumps along the path: the rule refines its steps until the sum is within
        // the tolerance, and the refined sum equals the plain rule with that many steps.
        GraphBuilder rb({6});
        rb.add("Linear", "fc1", {{"out_features", i(32)}});
        rb.add("ReLU", "act1");
        rb.add("Linear", "fc2", {{"out_features", i(32)}});
        rb.add("ReLU", "act2");
        rb.add("Linear", "fc3", {{"out_features", i(4)}});
        graph::Network relu = graph::compile(rb.done(), 11);
        relu.to(DType::F64);
        const Tensor xr = Tensor::randn({6}, DType::F64, &gen) * 3.0;
        eval::SaliencyOptions ro;  // tolerance 1e-4
        const auto refined = eval::saliency(relu, xr, ro);
        const double refined_sum = refined.attributions.sum().item<double>();
        QVERIFY2(std::abs(refined_sum - (refined.output - refined.baseline_output)) <= 1e-4,
                 qPrintable(QString("%1 steps: delta %2").arg(refined.steps).arg(refined.convergence_delta)));
        QVERIFY(std::abs(refined.convergence_delta - (refined_sum - (refined.output - refined.baseline_output))) < 1e-12);
        eval::SaliencyOptions plain;
        plain.steps = plain.max_steps = refined.steps;
        const auto direct = eval::saliency(relu, xr, plain);
        const auto rv = refined.attributions.to_vector<double>(), dv = direct.attributions.to_vector<double>();
        for (std::size_t k = 0; k < rv.size(); ++k) QVERIFY(std::abs(rv[k] - dv[k]) < 1e-9);
        QCOMPARE(refined.target, direct.target);

        // Gradient x input of a linear model is w_i x_i exactly.
        GraphBuilder lb({4});
        lb.add("Linear", "fc", {{"out_features", i(1)}, {"bias", b_(false)}});
        graph::Network lin = graph::compile(lb.done(), 8);
        lin.to(DType::F64);
        const Tensor w = lin.named_parameters().front().second;
        const Tensor xl = Tensor::from_vector(std::vector<double>{1, -2, 3, 0.5}, {4});
        eval::SaliencyOptions go;
        go.method = eval::SaliencyMethod::GradientTimesInput;
        const auto gs = eval::saliency(lin, xl, go);
        const auto wv = w.to_vector<double>(), av = gs.attributions.to_vector<double>(), xv = xl.to_vector<double>();
        for (int k = 0; k < 4; ++k) QVERIFY(std::abs(av[k] - wv[k] * xv[k]) < 1e-12);
    }

    void evaluateCountsPredictions() {
        // iris, trained briefly: the confusion matrix equals a count of argmax predictions the test makes.
        project::Project p = example_project("iris");
        train::TrainConfig cfg = train::TrainConfig::from_json(p.train_config_json);
        cfg.epochs = 5;
        p.train_config_json = cfg.to_json();
        double last_val_accuracy = -1;
        {
            train::Experiment ex(p, cfg);
            const auto r = ex.run({});
            last_val_accuracy = r.history.back().val_accuracy;
            ex.store(p, r, project::utc_now_iso8601());
        }
        const auto pe = eval::evaluate_project(p, "val");
        const eval::Evaluation& e = pe.evaluation;
        // Same weights and split as training: its last validation accuracy.
        QVERIFY2(std::abs(e.classification.accuracy - last_val_accuracy) < 1e-9,
                 qPrintable(QString("%1 vs %2").arg(e.classification.accuracy).arg(last_val_accuracy)));
        const data::Dataset& val = pe.split_data();
        QCOMPARE(e.samples, val.size());
        graph::Network& net = pe.experiment->network();
        net.eval();
        NoGradGuard ng;
        std::vector<std::int64_t> counts(9, 0);
        for (std::int64_t k = 0; k < val.size(); ++k) {
            const data::Batch b = val.get_batch({k});
            const auto logits = net.forward(b.features).to_vector<double>();
            const std::int64_t pred = std::max_element(logits.begin(), logits.end()) - logits.begin();
            ++counts[static_cast<std::size_t>(val.label(k) * 3 + pred)];
        }
        QCOMPARE(e.classification.confusion, counts);
        // A cell's rows are its samples.
        for (std::int64_t t = 0; t < 3; ++t)
            for (std::int64_t c = 0; c < 3; ++c) {
                const auto rows = e.cell_rows(t, c);
                QCOMPARE(static_cast<std::int64_t>(rows.size()), e.classification.count(t, c));
                for (auto r : rows) QCOMPARE(val.label(e.row_sample[static_cast<std::size_t>(r)]), t);
            }
        // Probabilities are a distribution per row.
        for (std::int64_t r = 0; r < e.rows(); ++r) {
            double sum = 0;
            for (std::int64_t c = 0; c < 3; ++c) sum += e.probability(r, c);
            QVERIFY(std::abs(sum - 1.0) < 1e-5);
        }
        QCOMPARE(e.roc.size(), std::size_t{3});  // one-vs-rest
    }

    void evaluateRegressionAndErrors() {
        project::Project p = example_project("sine-regression");
        train::TrainConfig cfg = train::TrainConfig::from_json(p.train_config_json);
        cfg.epochs = 2;
        {
            train::Experiment ex(p, cfg);
            ex.store(p, ex.run({}), project::utc_now_iso8601());
        }
        const auto pe = eval::evaluate_project(p, "train");
        const eval::Evaluation& e = pe.evaluation;
        QVERIFY(!e.is_classification());
        QCOMPARE(static_cast<std::int64_t>(e.predictions.size()), e.samples * e.outputs);
        // MSE of the predictions equals the MSE loss training reports (the example's loss is MSELoss).
        QVERIFY2(std::abs(e.regression.mse - e.loss) < 1e-4 * std::max(1.0, e.loss),
                 qPrintable(QString("%1 vs %2").arg(e.regression.mse).arg(e.loss)));
        QCOMPARE(error_of([&] { eval::evaluate_project(example_project("iris"), "val"); }),
                 QString("the project has not been trained: there is nothing to evaluate yet"));
        QVERIFY(error_of([&] { eval::evaluate_project(p, "test"); }).contains("unknown split 'test'"));
    }

private:
    static graph::AttributeValue b_(bool v) { return graph::AttributeValue(v); }
};

QTEST_GUILESS_MAIN(TestMetrics)
#include "tst_metrics.moc"
