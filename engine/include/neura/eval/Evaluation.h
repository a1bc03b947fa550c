#pragma once
// evaluate(): a trained network run over one split of its dataset, in eval mode and without gradients —
// every prediction kept (per-sample results, for the studio's Evaluation dock) and summarized with
// neura/eval/Metrics.h: the confusion matrix, per-class scores, ROC and precision-recall curves, or MSE,
// MAE and R². evaluate_project() builds the split exactly as training does (train::Experiment: same
// seed, split and normalization), so its accuracy is the training's last validation accuracy for the
// same weights.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "neura/data/Dataset.h"
#include "neura/eval/Metrics.h"
#include "neura/graph/Network.h"
#include "neura/project/Project.h"
#include "neura/train/Trainer.h"

namespace neura::train {
class Experiment;
}

namespace neura::eval {

struct Evaluation {
    std::string split;  // "val" or "train"
    data::Task task = data::Task::Classification;
    std::int64_t samples = 0;  // of the split
    double loss = 0.0;         // mean per sample, as training reports it
    std::vector<std::string> class_names;

    // Classification: one row per sample, or per labelled time step for data with a class per step
    // (padding steps left out). row_sample[r] is the row's sample, an index into the split's dataset.
    std::vector<std::int64_t> row_sample, truth, predicted;
    std::vector<float> probabilities;  // rows x classes, the softmax of the logits (a single logit: 1 - p, p)
    ClassificationMetrics classification;
    // One curve per class against the rest; a two-class task has one, for class 1.
    std::vector<std::int64_t> curve_class;
    std::vector<Curve> roc, pr;

    // Regression: samples x outputs values, row-major, targets in the dataset's units.
    std::int64_t outputs = 0;
    std::vector<float> predictions, targets;
    RegressionMetrics regression;

    bool is_classification() const { return task == data::Task::Classification; }
    std::int64_t rows() const { return static_cast<std::int64_t>(truth.size()); }
    std::int64_t classes() const { return classification.classes; }
    float probability(std::int64_t row, std::int64_t cls) const {
        return probabilities[static_cast<std::size_t>(row * classes() + cls)];
    }
    // Rows whose true class is `truth` and predicted class `predicted` (a confusion-matrix cell), in order.
    std::vector<std::int64_t> cell_rows(std::int64_t truth, std::int64_t predicted) const;
};

// Runs `net` (its training mode restored afterwards) over every sample of `data` in batches of
// `batch_size`. A stop request throws train::RunStopped. Throws neura::Error when the network's output
// does not fit the dataset's targets.
Evaluation evaluate(graph::Network& net, const data::Dataset& data, const std::string& split,
                    std::int64_t batch_size = 256, const train::StopToken* stop = nullptr);

// A project's trained model over its validation ("val") or training ("train") split. Throws neura::Error
// naming the cause: no weights, a split that is empty (val_fraction 0), an unknown split name.
struct ProjectEvaluation {
    std::shared_ptr<train::Experiment> experiment;  // its datasets hold the samples row_sample points to
    Evaluation evaluation;
    const data::Dataset& split_data() const;
};
ProjectEvaluation evaluate_project(const project::Project& project, const std::string& split = "val",
                                   const train::StopToken* stop = nullptr);

}  // namespace neura::eval
