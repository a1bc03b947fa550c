#pragma once
// Dataset: an indexable set of (features, target) samples, as torch.utils.data.Dataset.
// Features are F32 of feature_shape() per sample; a batch stacks them to [B, ...feature_shape].
// Targets are class indices (I64 [B]) for classification, or F32 [B, target_dim()] for regression.
// A sequence-labelling dataset (label_steps() = T > 0) has a class per time step: I64 [B, T], where
// kIgnoreLabel marks a step that has none (padding), left out of the loss and of accuracy.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "neura/core/Shape.h"
#include "neura/core/Tensor.h"

namespace neura::data {

enum class Task : std::uint8_t { Classification, Regression };
const char* task_name(Task t);  // "classification", "regression"

// A step label that means "no label here" (padding): CrossEntropyLoss's default ignore_index.
inline constexpr std::int64_t kIgnoreLabel = -100;

// The time steps one sample reads, features and target together: rows first .. last of its series.
struct StepRange {
    std::int64_t first = 0;
    std::int64_t last = 0;
};

// One sample: features of feature_shape(), target a 0-d I64 class index (I64 [T] with label
// steps) or an F32 [target_dim()].
struct Example {
    Tensor features;
    Tensor target;
};

// A batch: features [B, ...feature_shape] F32, targets I64 [B] ([B, T]) or F32 [B, k], and the dataset
// indices the rows came from (in row order).
struct Batch {
    Tensor features;
    Tensor targets;
    std::vector<std::int64_t> indices;
    // Variable-length sequences (Dataset::variable_length): I64 [B], the valid time steps of each row;
    // the rest of the row is padding (labels kIgnoreLabel). Undefined for fixed-length data.
    Tensor lengths;
    std::int64_t size() const { return static_cast<std::int64_t>(indices.size()); }
};

// Implementations must allow concurrent calls of the const readers from several threads (the
// DataLoader's workers read in parallel); every built-in dataset is immutable after construction.
class Dataset {
public:
    virtual ~Dataset() = default;

    virtual std::int64_t size() const = 0;
    virtual Shape feature_shape() const = 0;  // per sample, e.g. {2} or {1, 8, 8}
    virtual Task task() const = 0;
    virtual std::int64_t num_classes() const { return 0; }  // classification only, else 0
    virtual std::int64_t target_dim() const { return 1; }   // regression: k of [B, k]
    virtual std::vector<std::string> class_names() const;   // index → name; "0", "1", … by default
    // Classification: 0 when each sample has one class, T when each of its T time steps has one.
    virtual std::int64_t label_steps() const { return 0; }
    // Features that are token indices (for an Embedding), never standardized.
    virtual bool token_features() const { return false; }
    // Sequences of different lengths padded to feature_shape()'s T steps (as PyTorch's
    // pad_sequence): sequence_length(i) is sample i's valid steps, 1..T. Fixed-length data: false, T.
    virtual bool variable_length() const { return false; }
    virtual std::int64_t sequence_length(std::int64_t index) const;
    // Samples that are windows of one time series, in time order (csv-series): the steps sample
    // `index` reads. Such a dataset is split in time order (train_val_split), so no validation
    // value is seen in training. nullopt for independent samples, the default.
    virtual std::optional<StepRange> time_steps(std::int64_t index) const;

    // Writes sample `index`'s feature_numel() features, row-major, to `out`.
    virtual void read_features(std::int64_t index, float* out) const = 0;
    // Classification: the class index of sample `index`, in [0, num_classes()).
    virtual std::int64_t label(std::int64_t index) const;
    // Regression: writes target_dim() values of sample `index` to `out`.
    virtual void read_target(std::int64_t index, float* out) const;
    // Classification with label steps: writes sample `index`'s label_steps() labels to `out`; without,
    // its one label. Labels are in [0, num_classes()) or kIgnoreLabel.
    virtual void read_labels(std::int64_t index, std::int64_t* out) const;

    std::int64_t feature_numel() const { return shape_numel(feature_shape()); }
    bool is_classification() const { return task() == Task::Classification; }

    Example get(std::int64_t index) const;
    // Stacks the given samples in the given order; every index is range-checked.
    virtual Batch get_batch(const std::vector<std::int64_t>& indices) const;
    // Every sample's class index (classification without label steps): what stratified splits use.
    std::vector<std::int64_t> labels() const;
    // Samples per class (classification only), size num_classes(); with label steps, labelled steps
    // per class.
    std::vector<std::int64_t> class_counts() const;

protected:
    void check_index(std::int64_t index) const;  // throws neura::Error naming the index and size
    // Sets batch.lengths from sequence_length() when the data has variable lengths.
    void fill_lengths(Batch& batch) const;
};

using DatasetPtr = std::shared_ptr<const Dataset>;

// Holds a features tensor [N, ...] and a targets tensor: I64 [N] class indices (classification), I64
// [N, T] class indices per step (sequence labelling; kIgnoreLabel allowed), or a floating [N] / [N, k]
// (regression; [N] is kept as [N, 1]). Features are stored as contiguous F32.
class TensorDataset : public Dataset {
public:
    // num_classes < 0 means max(label) + 1. class_names may be empty (→ "0", "1", …).
    TensorDataset(const Tensor& features, const Tensor& targets, std::int64_t num_classes = -1,
                  std::vector<std::string> class_names = {});

    std::int64_t size() const override { return n_; }
    Shape feature_shape() const override { return feature_shape_; }
    Task task() const override { return task_; }
    std::int64_t num_classes() const override { return num_classes_; }
    std::int64_t target_dim() const override { return target_dim_; }
    std::vector<std::string> class_names() const override;
    std::int64_t label_steps() const override { return label_steps_; }
    void read_features(std::int64_t index, float* out) const override;
    std::int64_t label(std::int64_t index) const override;
    void read_target(std::int64_t index, float* out) const override;
    void read_labels(std::int64_t index, std::int64_t* out) const override;
    Batch get_batch(const std::vector<std::int64_t>& indices) const override;

    const Tensor& features() const { return features_; }  // [N, ...] contiguous F32
    const Tensor& targets() const { return targets_; }    // I64 [N] / [N, T] or contiguous F32 [N, k]

private:
    Tensor features_;
    Tensor targets_;
    std::int64_t n_ = 0;
    Shape feature_shape_;
    std::int64_t feature_numel_ = 0;
    Task task_ = Task::Classification;
    std::int64_t num_classes_ = 0;
    std::int64_t target_dim_ = 1;
    std::int64_t label_steps_ = 0;
    std::vector<std::string> class_names_;
};

// A view of some samples of another dataset, in the order of `indices` (repeats allowed).
class Subset : public Dataset {
public:
    Subset(DatasetPtr parent, std::vector<std::int64_t> indices);

    std::int64_t size() const override { return static_cast<std::int64_t>(indices_.size()); }
    Shape feature_shape() const override { return parent_->feature_shape(); }
    Task task() const override { return parent_->task(); }
    std::int64_t num_classes() const override { return parent_->num_classes(); }
    std::int64_t target_dim() const override { return parent_->target_dim(); }
    std::vector<std::string> class_names() const override { return parent_->class_names(); }
    std::int64_t label_steps() const override { return parent_->label_steps(); }
    bool token_features() const override { return parent_->token_features(); }
    bool variable_length() const override { return parent_->variable_length(); }
    std::int64_t sequence_length(std::int64_t index) const override;
    std::optional<StepRange> time_steps(std::int64_t index) const override;
    void read_features(std::int64_t index, float* out) const override;
    std::int64_t label(std::int64_t index) const override;
    void read_target(std::int64_t index, float* out) const override;
    void read_labels(std::int64_t index, std::int64_t* out) const override;
    Batch get_batch(const std::vector<std::int64_t>& indices) const override;

    const DatasetPtr& parent() const { return parent_; }
    const std::vector<std::int64_t>& indices() const { return indices_; }

private:
    DatasetPtr parent_;
    std::vector<std::int64_t> indices_;
};

}  // namespace neura::data
