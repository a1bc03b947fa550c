// Classification and regression metrics with scikit-learn's definitions (neura/eval/Metrics.h).
#include "neura/eval/Metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "neura/core/Error.h"

namespace neura::eval {

namespace {

std::string class_label(std::int64_t c, const std::vector<std::string>& names) {
    const std::string index = std::to_string(c);
    if (c < 0 || c >= static_cast<std::int64_t>(names.size()) || names[static_cast<std::size_t>(c)] == index)
        return "class " + index;
    return "class " + index + " ('" + names[static_cast<std::size_t>(c)] + "')";
}

double ratio(std::int64_t num, std::int64_t den) {
    return den == 0 ? 0.0 : static_cast<double>(num) / static_cast<double>(den);
}

// Counts of true and false positives at each distinct score, from the highest down.
struct Ranking {
    std::vector<double> thresholds;
    std::vector<std::int64_t> tp, fp;
    std::int64_t positives = 0, negatives = 0;
};

Ranking rank(std::span<const double> scores, std::span<const std::uint8_t> positive) {
    NEURA_CHECK(scores.size() == positive.size(), "curve: ", scores.size(), " scores but ", positive.size(), " labels");
    std::vector<std::size_t> order(scores.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return scores[a] > scores[b]; });
    Ranking r;
    std::int64_t tp = 0, fp = 0;
    for (std::size_t i = 0; i < order.size(); ++i) {
        NEURA_CHECK(!std::isnan(scores[order[i]]), "curve: score ", order[i], " is NaN");
        (positive[order[i]] ? tp : fp) += 1;
        // A point after the last of each group of equal scores: ties move together.
        if (i + 1 == order.size() || scores[order[i + 1]] != scores[order[i]]) {
            r.thresholds.push_back(scores[order[i]]);
            r.tp.push_back(tp);
            r.fp.push_back(fp);
        }
    }
    r.positives = tp;
    r.negatives = fp;
    return r;
}

}  // namespace

ClassificationMetrics classification_metrics(std::span<const std::int64_t> truth, std::span<const std::int64_t> predicted,
                                             std::int64_t classes, const std::vector<std::string>& class_names) {
    NEURA_CHECK(classes > 0, "classification metrics need at least one class, got ", classes);
    NEURA_CHECK(truth.size() == predicted.size(), "classification metrics: ", truth.size(), " true classes but ",
                predicted.size(), " predictions");
    ClassificationMetrics m;
    m.classes = classes;
    m.samples = static_cast<std::int64_t>(truth.size());
    m.confusion.assign(static_cast<std::size_t>(classes * classes), 0);
    for (std::size_t i = 0; i < truth.size(); ++i) {
        NEURA_CHECK(truth[i] >= 0 && truth[i] < classes, "sample ", i, " has class ", truth[i], ", outside 0..",
                    classes - 1);
        NEURA_CHECK(predicted[i] >= 0 && predicted[i] < classes, "sample ", i, " is predicted as class ", predicted[i],
                    ", outside 0..", classes - 1);
        ++m.confusion[static_cast<std::size_t>(truth[i] * classes + predicted[i])];
    }
    std::int64_t correct = 0;
    for (std::int64_t c = 0; c < classes; ++c) {
        std::int64_t predicted_as = 0, support = 0;
        for (std::int64_t k = 0; k < classes; ++k) {
            predicted_as += m.count(k, c);
            support += m.count(c, k);
        }
        const std::int64_t tp = m.count(c, c);
        correct += tp;
        ClassScores s;
        s.support = support;
        s.precision = ratio(tp, predicted_as);
        s.recall = ratio(tp, support);
        s.f1 = s.precision + s.recall > 0 ? 2 * s.precision * s.recall / (s.precision + s.recall) : 0.0;
        if (predicted_as == 0)
            m.warnings.push_back(class_label(c, class_names) + " was never predicted: its precision is 0");
        if (support == 0)
            m.warnings.push_back(class_label(c, class_names) + " has no samples: its recall is 0");
        m.per_class.push_back(s);
    }
    m.accuracy = ratio(correct, m.samples);
    const double n = static_cast<double>(classes);
    for (const ClassScores& s : m.per_class) {
        m.macro.precision += s.precision / n;
        m.macro.recall += s.recall / n;
        m.macro.f1 += s.f1 / n;
        const double w = ratio(s.support, m.samples);
        m.weighted.precision += s.precision * w;
        m.weighted.recall += s.recall * w;
        m.weighted.f1 += s.f1 * w;
    }
    m.macro.support = m.weighted.support = m.samples;
    return m;
}

Curve roc_curve(std::span<const double> scores, std::span<const std::uint8_t> positive) {
    const Ranking r = rank(scores, positive);
    Curve c;
    c.x.push_back(0.0);
    c.y.push_back(0.0);
    c.thresholds.push_back(std::numeric_limits<double>::infinity());
    for (std::size_t i = 0; i < r.thresholds.size(); ++i) {
        c.x.push_back(ratio(r.fp[i], r.negatives));
        c.y.push_back(ratio(r.tp[i], r.positives));
        c.thresholds.push_back(r.thresholds[i]);
    }
    if (r.positives == 0 || r.negatives == 0) {
        c.area = std::numeric_limits<double>::quiet_NaN();
        return c;
    }
    for (std::size_t i = 1; i < c.x.size(); ++i) c.area += (c.x[i] - c.x[i - 1]) * (c.y[i] + c.y[i - 1]) / 2;
    return c;
}

Curve precision_recall_curve(std::span<const double> scores, std::span<const std::uint8_t> positive) {
    const Ranking r = rank(scores, positive);
    Curve c;
    c.x.push_back(0.0);
    c.y.push_back(1.0);
    c.thresholds.push_back(std::numeric_limits<double>::infinity());
    for (std::size_t i = 0; i < r.thresholds.size(); ++i) {
        const double recall = ratio(r.tp[i], r.positives), precision = ratio(r.tp[i], r.tp[i] + r.fp[i]);
        c.area += (recall - c.x.back()) * precision;
        c.x.push_back(recall);
        c.y.push_back(precision);
        c.thresholds.push_back(r.thresholds[i]);
    }
    if (r.positives == 0) c.area = std::numeric_limits<double>::quiet_NaN();
    return c;
}

RegressionMetrics regression_metrics(std::span<const float> predicted, std::span<const float> actual,
                                     std::int64_t outputs) {
    NEURA_CHECK(outputs > 0, "regression metrics need at least one output, got ", outputs);
    NEURA_CHECK(predicted.size() == actual.size(), "regression metrics: ", predicted.size(), " predictions but ",
                actual.size(), " targets");
    NEURA_CHECK(actual.size() % static_cast<std::size_t>(outputs) == 0, "regression metrics: ", actual.size(),
                " values are not whole rows of ", outputs, " outputs");
    RegressionMetrics m;
    m.outputs = outputs;
    m.samples = static_cast<std::int64_t>(actual.size()) / outputs;
    if (m.samples == 0) return m;
    const auto k = static_cast<std::size_t>(outputs);
    const double n = static_cast<double>(m.samples);
    for (std::size_t o = 0; o < k; ++o) {
        double mean = 0.0;
        for (std::size_t i = o; i < actual.size(); i += k) mean += actual[i];
        mean /= n;
        double ss_res = 0.0, ss_tot = 0.0;
        for (std::size_t i = o; i < actual.size(); i += k) {
            const double e = static_cast<double>(predicted[i]) - actual[i];
            ss_res += e * e;
            ss_tot += (actual[i] - mean) * (actual[i] - mean);
            m.mae += std::abs(e);
        }
        m.mse += ss_res;
        m.r2 += (ss_tot > 0 ? 1.0 - ss_res / ss_tot : ss_res == 0 ? 1.0 : 0.0) / static_cast<double>(k);
    }
    m.mse /= static_cast<double>(actual.size());
    m.mae /= static_cast<double>(actual.size());
    return m;
}

}  // namespace neura::eval
