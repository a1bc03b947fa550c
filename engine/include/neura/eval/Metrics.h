#pragma once
// Metrics of a model's predictions, as scikit-learn defines them: the confusion matrix, per-class precision,
// recall and F1 with macro and weighted averages (zero_division=0: a class never predicted has precision 0,
// and a warning says so), ROC and precision-recall curves with their areas, and MSE, MAE and R² for
// regression. Plain numbers in, plain numbers out: no tensors, no Qt.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace neura::eval {

struct ClassScores {
    double precision = 0.0;
    double recall = 0.0;
    double f1 = 0.0;
    std::int64_t support = 0;  // true samples of the class (averages: all samples)
};

struct ClassificationMetrics {
    std::int64_t classes = 0;
    std::vector<std::int64_t> confusion;  // classes x classes, row-major: row = true class, column = predicted
    std::vector<ClassScores> per_class;   // in class order
    double accuracy = 0.0;
    ClassScores macro;     // unweighted mean over the classes
    ClassScores weighted;  // mean weighted by support
    std::int64_t samples = 0;
    std::vector<std::string> warnings;  // "class 2 ('virginica') was never predicted: its precision is 0"

    std::int64_t count(std::int64_t truth, std::int64_t predicted) const {
        return confusion[static_cast<std::size_t>(truth * classes + predicted)];
    }
};

// `truth` and `predicted` hold class indices in [0, classes), one per sample; throws neura::Error otherwise.
// `class_names` (optional) name the classes in the warnings.
ClassificationMetrics classification_metrics(std::span<const std::int64_t> truth, std::span<const std::int64_t> predicted,
                                             std::int64_t classes, const std::vector<std::string>& class_names = {});

// A curve through (x[i], y[i]); `thresholds[i]` is the score at or above which a sample counts as positive
// (the first point's is +inf). `area` is NaN when it is not defined (no positive or no negative sample).
struct Curve {
    std::vector<double> x, y, thresholds;
    double area = 0.0;
};

// ROC: x = false-positive rate, y = true-positive rate, from (0, 0) to (1, 1), one point per distinct score
// (ties move together), area by the trapezoidal rule: sklearn's roc_curve(drop_intermediate=False) and
// roc_auc_score.
Curve roc_curve(std::span<const double> scores, std::span<const std::uint8_t> positive);
// Precision-recall: x = recall, y = precision, from (0, 1), one point per distinct score; area = average
// precision, sum over thresholds of (R_n - R_(n-1)) P_n: sklearn's average_precision_score.
Curve precision_recall_curve(std::span<const double> scores, std::span<const std::uint8_t> positive);

struct RegressionMetrics {
    double mse = 0.0;
    double mae = 0.0;
    double r2 = 0.0;  // mean over the outputs of 1 - SS_res / SS_tot (a constant target: 1 if predicted exactly, else 0)
    std::int64_t samples = 0;
    std::int64_t outputs = 0;
};

// `predicted` and `actual` hold samples x outputs values, row-major (sklearn's multioutput='uniform_average').
RegressionMetrics regression_metrics(std::span<const float> predicted, std::span<const float> actual,
                                     std::int64_t outputs);

}  // namespace neura::eval
