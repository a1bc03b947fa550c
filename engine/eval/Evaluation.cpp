// evaluate(): every prediction of a network over a dataset, and their metrics (neura/eval/Evaluation.h).
#include "neura/eval/Evaluation.h"

#include <algorithm>
#include <cmath>

#include "neura/autograd/GradMode.h"
#include "neura/core/Error.h"
#include "neura/nn/Padding.h"
#include "neura/train/Experiment.h"

namespace neura::eval {

namespace {

Tensor on(const Tensor& t, Device d) { return t.defined() && t.device() != d ? t.to(d) : t; }

Device device_of(graph::Network& net) {
    for (const auto& [name, p] : net.named_parameters()) return p.device();
    return Device::cpu();
}

// Appends one row per labelled sample (or step) of a classification batch: truth, prediction, probabilities.
void add_classification_rows(Evaluation& e, const Tensor& logits, const Tensor& targets,
                             const std::vector<std::int64_t>& samples) {
    NEURA_CHECK_SHAPE(targets.dtype() == DType::I64 && logits.dim() == targets.dim() + 1 && logits.dim() >= 2,
                      "the model's output ", shape_str(logits.shape()), " does not give class scores for targets ",
                      shape_str(targets.shape()));
    const std::int64_t width = logits.size(-1);
    const std::int64_t classes = e.class_names.empty() ? std::max<std::int64_t>(width, 2)
                                                       : static_cast<std::int64_t>(e.class_names.size());
    NEURA_CHECK_SHAPE(width == classes || (width == 1 && classes == 2), "the model gives ", width,
                      " scores per sample for ", classes, " classes");
    const Tensor flat = logits.reshape({-1, width}).to(DType::F32);
    const std::vector<float> p = width == 1 ? flat.to_vector<float>() : flat.softmax(1).to_vector<float>();
    const std::vector<std::int64_t> t = targets.to_vector<std::int64_t>();
    const std::int64_t per_sample = static_cast<std::int64_t>(t.size()) / static_cast<std::int64_t>(samples.size());
    for (std::size_t r = 0; r < t.size(); ++r) {
        if (t[r] == data::kIgnoreLabel) continue;  // a padding step
        e.row_sample.push_back(samples[r / static_cast<std::size_t>(per_sample)]);
        e.truth.push_back(t[r]);
        if (width == 1) {  // one logit: the probability of class 1 is its sigmoid
            const float logit = p[r];
            const float p1 = 1.0f / (1.0f + std::exp(-logit));
            e.probabilities.insert(e.probabilities.end(), {1.0f - p1, p1});
            e.predicted.push_back(logit > 0.0f ? 1 : 0);  // as train::accuracy
            continue;
        }
        const float* row = p.data() + r * static_cast<std::size_t>(width);
        e.probabilities.insert(e.probabilities.end(), row, row + width);
        e.predicted.push_back(std::max_element(row, row + width) - row);  // the first maximum, as argmax
    }
}

void summarize_classification(Evaluation& e) {
    const std::int64_t classes = e.class_names.empty() ? 2 : static_cast<std::int64_t>(e.class_names.size());
    e.classification = classification_metrics(e.truth, e.predicted, classes, e.class_names);
    const std::int64_t first = classes == 2 ? 1 : 0;  // two classes: one curve, class 1 against class 0
    for (std::int64_t c = first; c < classes; ++c) {
        std::vector<double> scores;
        std::vector<std::uint8_t> positive;
        for (std::int64_t r = 0; r < e.rows(); ++r) {
            scores.push_back(e.probability(r, c));
            positive.push_back(e.truth[static_cast<std::size_t>(r)] == c);
        }
        e.curve_class.push_back(c);
        e.roc.push_back(roc_curve(scores, positive));
        e.pr.push_back(precision_recall_curve(scores, positive));
    }
}

}  // namespace

std::vector<std::int64_t> Evaluation::cell_rows(std::int64_t t, std::int64_t p) const {
    std::vector<std::int64_t> rows;
    for (std::int64_t r = 0; r < this->rows(); ++r)
        if (truth[static_cast<std::size_t>(r)] == t && predicted[static_cast<std::size_t>(r)] == p) rows.push_back(r);
    return rows;
}

Evaluation evaluate(graph::Network& net, const data::Dataset& data, const std::string& split, std::int64_t batch_size,
                    const train::StopToken* stop) {
    NEURA_CHECK(batch_size > 0, "evaluate: batch size must be positive, got ", batch_size);
    Evaluation e;
    e.split = split;
    e.task = data.task();
    e.samples = data.size();
    if (e.is_classification()) e.class_names = data.class_names();
    const bool was_training = net.is_training();
    net.eval();
    NoGradGuard ng;
    const Device device = device_of(net);
    double loss_sum = 0.0;
    try {
        for (std::int64_t start = 0; start < data.size(); start += batch_size) {
            if (stop && stop->stop_requested()) throw train::RunStopped("evaluation stopped");
            std::vector<std::int64_t> idx;
            for (std::int64_t i = start; i < std::min(data.size(), start + batch_size); ++i) idx.push_back(i);
            const data::Batch b = data.get_batch(idx);
            const nn::SequenceLengthsScope padding(b.lengths);
            const Tensor out = net.forward(on(b.features, device));
            loss_sum += net.loss(out, on(b.targets, device)).item<double>() * static_cast<double>(b.size());
            const Tensor host = on(out, Device::cpu());
            if (e.is_classification()) {
                add_classification_rows(e, host, b.targets, idx);
                continue;
            }
            NEURA_CHECK_SHAPE(host.shape() == b.targets.shape(), "the model's output ", shape_str(host.shape()),
                              " does not match the targets ", shape_str(b.targets.shape()));
            e.outputs = host.dim() > 1 ? host.numel() / host.size(0) : 1;
            const auto pv = host.to_vector<float>(), tv = b.targets.to_vector<float>();
            e.predictions.insert(e.predictions.end(), pv.begin(), pv.end());
            e.targets.insert(e.targets.end(), tv.begin(), tv.end());
        }
    } catch (...) {
        net.train(was_training);
        throw;
    }
    net.train(was_training);
    if (e.samples > 0) e.loss = loss_sum / static_cast<double>(e.samples);
    if (e.is_classification())
        summarize_classification(e);
    else if (e.outputs > 0)
        e.regression = regression_metrics(e.predictions, e.targets, e.outputs);
    return e;
}

const data::Dataset& ProjectEvaluation::split_data() const {
    return evaluation.split == "train" ? *experiment->train_set() : *experiment->val_set();
}

ProjectEvaluation evaluate_project(const project::Project& project, const std::string& split,
                                   const train::StopToken* stop) {
    NEURA_CHECK(split == "val" || split == "train", "unknown split '", split, "': expected val or train");
    NEURA_CHECK(!project.weights.empty(), "the project has not been trained: there is nothing to evaluate yet");
    const train::TrainConfig config = train::TrainConfig::from_json(project.train_config_json);
    ProjectEvaluation r;
    r.experiment = std::make_shared<train::Experiment>(project, config, stop);
    r.experiment->load_weights(project);
    const data::DatasetPtr& data = split == "train" ? r.experiment->train_set() : r.experiment->val_set();
    NEURA_CHECK(data && data->size() > 0, "the project has no validation split (val_fraction is ",
                config.val_fraction, "); evaluate the training split instead");
    r.evaluation = evaluate(r.experiment->network(), *data, split, 256, stop);
    return r;
}

}  // namespace neura::eval
