#pragma once
// Standardizer: per-feature z-scores, as sklearn's StandardScaler. Fit it on the training split only,
// then apply it to every split, so validation statistics never leak into training.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "neura/data/Dataset.h"

namespace neura::data {

class Standardizer {
public:
    Standardizer() = default;
    // Restores saved statistics (from mean() / scale() or to_json()).
    Standardizer(std::vector<double> mean, std::vector<double> scale);

    // Mean and population standard deviation (ddof 0) of every feature element over all samples
    // (for image features that is per pixel). A feature whose std is 0 (or not finite) gets
    // scale 1, so it maps to x - mean, i.e. 0 on the training data, instead of dividing by zero.
    void fit(const Dataset& data);
    static Standardizer fitted_on(const Dataset& data);

    bool fitted() const { return !mean_.empty(); }
    std::int64_t num_features() const { return static_cast<std::int64_t>(mean_.size()); }
    const std::vector<double>& mean() const { return mean_; }
    const std::vector<double>& scale() const { return scale_; }  // the divisor: std, or 1 where std was 0
    const std::vector<double>& stddev() const { return std_; }  // the std as measured (0 kept)

    // (x - mean) / scale over rows of num_features() values.
    void transform_inplace(float* rows, std::int64_t num_rows) const;
    // features [B, ...] with num_features() values per row → a new standardized F32 tensor.
    Tensor transform(const Tensor& features) const;
    Tensor inverse_transform(const Tensor& features) const;
    // A view of `data` whose features come out standardized (targets untouched).
    DatasetPtr apply(DatasetPtr data) const;

    // {"mean": [...], "scale": [...], "std": [...]}
    std::string to_json() const;
    static Standardizer from_json(const std::string& text);

private:
    std::vector<double> mean_;
    std::vector<double> scale_;
    std::vector<double> std_;
};

// The dataset Standardizer::apply returns: forwards everything to its parent, standardizing features.
class StandardizedDataset : public Dataset {
public:
    StandardizedDataset(DatasetPtr parent, Standardizer standardizer);

    std::int64_t size() const override { return parent_->size(); }
    Shape feature_shape() const override { return parent_->feature_shape(); }
    Task task() const override { return parent_->task(); }
    std::int64_t num_classes() const override { return parent_->num_classes(); }
    std::int64_t target_dim() const override { return parent_->target_dim(); }
    std::vector<std::string> class_names() const override { return parent_->class_names(); }
    std::int64_t label_steps() const override { return parent_->label_steps(); }
    bool token_features() const override { return parent_->token_features(); }
    bool variable_length() const override { return parent_->variable_length(); }
    std::int64_t sequence_length(std::int64_t index) const override { return parent_->sequence_length(index); }
    std::optional<StepRange> time_steps(std::int64_t index) const override { return parent_->time_steps(index); }
    void read_features(std::int64_t index, float* out) const override;
    std::int64_t label(std::int64_t index) const override { return parent_->label(index); }
    void read_target(std::int64_t index, float* out) const override { parent_->read_target(index, out); }
    void read_labels(std::int64_t index, std::int64_t* out) const override { parent_->read_labels(index, out); }
    Batch get_batch(const std::vector<std::int64_t>& indices) const override;

    const DatasetPtr& parent() const { return parent_; }
    const Standardizer& standardizer() const { return standardizer_; }

private:
    DatasetPtr parent_;
    Standardizer standardizer_;
};

}  // namespace neura::data
