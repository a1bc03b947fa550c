#include "neura/data/Dataset.h"

#include <algorithm>
#include <cstring>

namespace neura::data {

const char* task_name(Task t) { return t == Task::Classification ? "classification" : "regression"; }

// ---------------------------------------------------------------- Dataset

std::vector<std::string> Dataset::class_names() const {
    std::vector<std::string> names;
    for (std::int64_t c = 0; c < num_classes(); ++c) names.push_back(std::to_string(c));
    return names;
}

std::int64_t Dataset::label(std::int64_t) const {
    throw Error(detail::concat("Dataset::label: a ", task_name(task()), " dataset has no class labels"));
}

void Dataset::read_target(std::int64_t, float*) const {
    throw Error(detail::concat("Dataset::read_target: a ", task_name(task()),
                               " dataset has no regression targets"));
}

void Dataset::read_labels(std::int64_t index, std::int64_t* out) const {
    NEURA_CHECK(label_steps() == 0, "Dataset::read_labels: a dataset with labels per time step must override it");
    *out = label(index);
}

std::optional<StepRange> Dataset::time_steps(std::int64_t) const { return std::nullopt; }

void Dataset::check_index(std::int64_t index) const {
    NEURA_CHECK(index >= 0 && index < size(), "Dataset: index ", index, " out of range for a dataset of ",
                size(), " samples");
}

Example Dataset::get(std::int64_t index) const {
    check_index(index);
    Example ex;
    ex.features = Tensor::empty(feature_shape(), DType::F32);
    read_features(index, ex.features.data<float>());
    if (is_classification()) {
        const std::int64_t steps = label_steps();
        ex.target = steps > 0 ? Tensor::empty({steps}, DType::I64) : Tensor::empty({}, DType::I64);  // 0-d
        read_labels(index, ex.target.data<std::int64_t>());
    } else {
        ex.target = Tensor::empty({target_dim()}, DType::F32);
        read_target(index, ex.target.data<float>());
    }
    return ex;
}

std::int64_t Dataset::sequence_length(std::int64_t index) const {
    check_index(index);
    const Shape s = feature_shape();
    return s.empty() ? 1 : s.front();
}

void Dataset::fill_lengths(Batch& batch) const {
    if (!variable_length()) return;
    batch.lengths = Tensor::empty({batch.size()}, DType::I64);
    auto* l = batch.lengths.data<std::int64_t>();
    for (std::int64_t r = 0; r < batch.size(); ++r) l[r] = sequence_length(batch.indices[static_cast<std::size_t>(r)]);
}

Batch Dataset::get_batch(const std::vector<std::int64_t>& indices) const {
    const auto b = static_cast<std::int64_t>(indices.size());
    for (std::int64_t i : indices) check_index(i);
    Shape fshape = feature_shape();
    const std::int64_t fnumel = shape_numel(fshape);
    fshape.insert(fshape.begin(), b);

    Batch batch;
    batch.indices = indices;
    batch.features = Tensor::empty(fshape, DType::F32);
    float* f = batch.features.data<float>();
    for (std::int64_t r = 0; r < b; ++r) read_features(indices[static_cast<std::size_t>(r)], f + r * fnumel);

    if (is_classification()) {
        const std::int64_t steps = label_steps();
        batch.targets = steps > 0 ? Tensor::empty({b, steps}, DType::I64) : Tensor::empty({b}, DType::I64);
        auto* t = batch.targets.data<std::int64_t>();
        const std::int64_t row = std::max<std::int64_t>(steps, 1);
        for (std::int64_t r = 0; r < b; ++r) read_labels(indices[static_cast<std::size_t>(r)], t + r * row);
    } else {
        const std::int64_t k = target_dim();
        batch.targets = Tensor::empty({b, k}, DType::F32);
        float* t = batch.targets.data<float>();
        for (std::int64_t r = 0; r < b; ++r) read_target(indices[static_cast<std::size_t>(r)], t + r * k);
    }
    fill_lengths(batch);
    return batch;
}

std::vector<std::int64_t> Dataset::labels() const {
    NEURA_CHECK(is_classification(), "Dataset::labels: a ", task_name(task()), " dataset has no class labels");
    NEURA_CHECK(label_steps() == 0, "Dataset::labels: the dataset has a label per time step, not one per sample");
    std::vector<std::int64_t> out(static_cast<std::size_t>(size()));
    for (std::int64_t i = 0; i < size(); ++i) out[static_cast<std::size_t>(i)] = label(i);
    return out;
}

std::vector<std::int64_t> Dataset::class_counts() const {
    std::vector<std::int64_t> counts(static_cast<std::size_t>(num_classes()), 0);
    if (const std::int64_t steps = label_steps(); steps > 0 && is_classification()) {
        std::vector<std::int64_t> row(static_cast<std::size_t>(steps));
        for (std::int64_t i = 0; i < size(); ++i) {
            read_labels(i, row.data());
            for (std::int64_t y : row) {
                if (y == kIgnoreLabel) continue;
                NEURA_CHECK(y >= 0 && y < num_classes(), "Dataset::class_counts: label ", y, " outside [0, ",
                            num_classes(), ")");
                ++counts[static_cast<std::size_t>(y)];
            }
        }
        return counts;
    }
    for (std::int64_t y : labels()) {
        NEURA_CHECK(y >= 0 && y < num_classes(), "Dataset::class_counts: label ", y, " outside [0, ",
                    num_classes(), ")");
        ++counts[static_cast<std::size_t>(y)];
    }
    return counts;
}

// ---------------------------------------------------------------- TensorDataset

TensorDataset::TensorDataset(const Tensor& features, const Tensor& targets, std::int64_t num_classes,
                             std::vector<std::string> class_names)
    : class_names_(std::move(class_names)) {
    NEURA_CHECK(features.defined() && targets.defined(), "TensorDataset: features and targets must be defined");
    NEURA_CHECK(features.dim() >= 1, "TensorDataset: features need a leading sample dimension, got shape ",
                shape_str(features.shape()));
    NEURA_CHECK(targets.dim() == 1 || targets.dim() == 2, "TensorDataset: targets must be [N] or [N, k], got ",
                shape_str(targets.shape()));
    n_ = features.size(0);
    NEURA_CHECK(targets.size(0) == n_, "TensorDataset: ", n_, " feature rows but ", targets.size(0),
                " targets (features ", shape_str(features.shape()), ", targets ", shape_str(targets.shape()), ")");

    Tensor f = features.detach();
    if (f.device() != Device::cpu()) f = f.to(Device::cpu());
    if (f.dtype() != DType::F32) f = f.to(DType::F32);
    features_ = f.contiguous();
    feature_shape_.assign(features_.shape().begin() + 1, features_.shape().end());
    feature_numel_ = shape_numel(feature_shape_);

    Tensor t = targets.detach();
    if (t.device() != Device::cpu()) t = t.to(Device::cpu());
    if (t.dtype() == DType::I64) {
        task_ = Task::Classification;
        targets_ = t.contiguous();
        label_steps_ = t.dim() == 2 ? t.size(1) : 0;  // [N, T]: a class per step, kIgnoreLabel for none
        NEURA_CHECK(t.dim() == 1 || label_steps_ > 0, "TensorDataset: class targets per step need at least one step, got ",
                    shape_str(t.shape()));
        const std::int64_t* y = targets_.data<std::int64_t>();
        std::int64_t max_label = -1;
        for (std::int64_t i = 0; i < targets_.numel(); ++i) {
            if (label_steps_ > 0 && y[i] == kIgnoreLabel) continue;
            const std::int64_t row = label_steps_ > 0 ? i / label_steps_ : i;
            NEURA_CHECK(y[i] >= 0, "TensorDataset: negative class label ", y[i], " at row ", row);
            max_label = std::max(max_label, y[i]);
        }
        if (num_classes < 0) {
            num_classes_ = max_label + 1;
        } else {
            NEURA_CHECK(max_label < num_classes, "TensorDataset: label ", max_label, " but num_classes is ",
                        num_classes);
            num_classes_ = num_classes;
        }
        if (!class_names_.empty()) {
            NEURA_CHECK(static_cast<std::int64_t>(class_names_.size()) == num_classes_, "TensorDataset: ",
                        class_names_.size(), " class names for ", num_classes_, " classes");
        }
        target_dim_ = 1;
    } else {
        task_ = Task::Regression;
        if (t.dim() == 1) t = t.reshape({n_, 1});
        if (t.dtype() != DType::F32) t = t.to(DType::F32);
        targets_ = t.contiguous();
        target_dim_ = targets_.size(1);
        num_classes_ = 0;
        class_names_.clear();
    }
}

std::vector<std::string> TensorDataset::class_names() const {
    if (!class_names_.empty()) return class_names_;
    return Dataset::class_names();
}

void TensorDataset::read_features(std::int64_t index, float* out) const {
    check_index(index);
    std::memcpy(out, features_.data<float>() + index * feature_numel_,
                static_cast<std::size_t>(feature_numel_) * sizeof(float));
}

std::int64_t TensorDataset::label(std::int64_t index) const {
    if (task_ != Task::Classification) return Dataset::label(index);
    NEURA_CHECK(label_steps_ == 0, "TensorDataset::label: the dataset has a label per time step (read_labels)");
    check_index(index);
    return targets_.data<std::int64_t>()[index];
}

void TensorDataset::read_labels(std::int64_t index, std::int64_t* out) const {
    if (label_steps_ == 0) return Dataset::read_labels(index, out);
    check_index(index);
    std::memcpy(out, targets_.data<std::int64_t>() + index * label_steps_,
                static_cast<std::size_t>(label_steps_) * sizeof(std::int64_t));
}

void TensorDataset::read_target(std::int64_t index, float* out) const {
    if (task_ != Task::Regression) return Dataset::read_target(index, out);
    check_index(index);
    std::memcpy(out, targets_.data<float>() + index * target_dim_, static_cast<std::size_t>(target_dim_) * sizeof(float));
}

Batch TensorDataset::get_batch(const std::vector<std::int64_t>& indices) const {
    // Same result as the generic loop, with the row copies done straight from the stored tensors.
    const auto b = static_cast<std::int64_t>(indices.size());
    for (std::int64_t i : indices) check_index(i);
    Shape fshape = feature_shape_;
    fshape.insert(fshape.begin(), b);

    Batch batch;
    batch.indices = indices;
    batch.features = Tensor::empty(fshape, DType::F32);
    float* dst = batch.features.data<float>();
    const float* src = features_.data<float>();
    const auto row_bytes = static_cast<std::size_t>(feature_numel_) * sizeof(float);
    for (std::int64_t r = 0; r < b; ++r)
        std::memcpy(dst + r * feature_numel_, src + indices[static_cast<std::size_t>(r)] * feature_numel_, row_bytes);

    if (task_ == Task::Classification) {
        const std::int64_t row = std::max<std::int64_t>(label_steps_, 1);
        batch.targets = label_steps_ > 0 ? Tensor::empty({b, label_steps_}, DType::I64) : Tensor::empty({b}, DType::I64);
        auto* t = batch.targets.data<std::int64_t>();
        const std::int64_t* y = targets_.data<std::int64_t>();
        for (std::int64_t r = 0; r < b; ++r)
            std::memcpy(t + r * row, y + indices[static_cast<std::size_t>(r)] * row,
                        static_cast<std::size_t>(row) * sizeof(std::int64_t));
    } else {
        batch.targets = Tensor::empty({b, target_dim_}, DType::F32);
        float* t = batch.targets.data<float>();
        const float* y = targets_.data<float>();
        for (std::int64_t r = 0; r < b; ++r)
            std::memcpy(t + r * target_dim_, y + indices[static_cast<std::size_t>(r)] * target_dim_,
                        static_cast<std::size_t>(target_dim_) * sizeof(float));
    }
    fill_lengths(batch);
    return batch;
}

// ---------------------------------------------------------------- Subset

Subset::Subset(DatasetPtr parent, std::vector<std::int64_t> indices)
    : parent_(std::move(parent)), indices_(std::move(indices)) {
    NEURA_CHECK(parent_, "Subset: null parent dataset");
    const std::int64_t n = parent_->size();
    for (std::int64_t i : indices_)
        NEURA_CHECK(i >= 0 && i < n, "Subset: index ", i, " out of range for a dataset of ", n, " samples");
}

std::optional<StepRange> Subset::time_steps(std::int64_t index) const {
    check_index(index);
    return parent_->time_steps(indices_[static_cast<std::size_t>(index)]);
}

void Subset::read_features(std::int64_t index, float* out) const {
    check_index(index);
    parent_->read_features(indices_[static_cast<std::size_t>(index)], out);
}

std::int64_t Subset::label(std::int64_t index) const {
    check_index(index);
    return parent_->label(indices_[static_cast<std::size_t>(index)]);
}

void Subset::read_labels(std::int64_t index, std::int64_t* out) const {
    check_index(index);
    parent_->read_labels(indices_[static_cast<std::size_t>(index)], out);
}

void Subset::read_target(std::int64_t index, float* out) const {
    check_index(index);
    parent_->read_target(indices_[static_cast<std::size_t>(index)], out);
}

std::int64_t Subset::sequence_length(std::int64_t index) const {
    check_index(index);
    return parent_->sequence_length(indices_[static_cast<std::size_t>(index)]);
}

Batch Subset::get_batch(const std::vector<std::int64_t>& indices) const {
    std::vector<std::int64_t> mapped;
    mapped.reserve(indices.size());
    for (std::int64_t i : indices) {
        check_index(i);
        mapped.push_back(indices_[static_cast<std::size_t>(i)]);
    }
    Batch batch = parent_->get_batch(mapped);
    batch.indices = indices;  // rows are numbered in this subset
    return batch;
}

}  // namespace neura::data
