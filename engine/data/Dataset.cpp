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
        ex.target = Tensor::empty({}, DType::I64);  // 0-d
        *ex.target.data<std::int64_t>() = label(index);
    } else {
        ex.target = Tensor::empty({target_dim()}, DType::F32);
        read_target(index, ex.target.data<float>());
    }
    return ex;
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
        batch.targets = Tensor::empty({b}, DType::I64);
        auto* t = batch.targets.data<std::int64_t>();
        for (std::int64_t r = 0; r < b; ++r) t[r] = label(indices[static_cast<std::size_t>(r)]);
    } else {
        const std::int64_t k = target_dim();
        batch.targets = Tensor::empty({b, k}, DType::F32);
        float* t = batch.targets.data<float>();
        for (std::int64_t r = 0; r < b; ++r) read_target(indices[static_cast<std::size_t>(r)], t + r * k);
    }
    return batch;
}

std::vector<std::int64_t> Dataset::labels() const {
    NEURA_CHECK(is_classification(), "Dataset::labels: a ", task_name(task()), " dataset has no class labels");
    std::vector<std::int64_t> out(static_cast<std::size_t>(size()));
    for (std::int64_t i = 0; i < size(); ++i) out[static_cast<std::size_t>(i)] = label(i);
    return out;
}

std::vector<std::int64_t> Dataset::class_counts() const {
    std::vector<std::int64_t> counts(static_cast<std::size_t>(num_classes()), 0);
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
        NEURA_CHECK(t.dim() == 1, "TensorDataset: class targets must be I64 [N], got ", shape_str(t.shape()));
        task_ = Task::Classification;
        targets_ = t.contiguous();
        const std::int64_t* y = targets_.data<std::int64_t>();
        std::int64_t max_label = -1;
        for (std::int64_t i = 0; i < n_; ++i) {
            NEURA_CHECK(y[i] >= 0, "TensorDataset: negative class label ", y[i], " at row ", i);
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
    check_index(index);
    return targets_.data<std::int64_t>()[index];
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
        batch.targets = Tensor::empty({b}, DType::I64);
        auto* t = batch.targets.data<std::int64_t>();
        const std::int64_t* y = targets_.data<std::int64_t>();
        for (std::int64_t r = 0; r < b; ++r) t[r] = y[indices[static_cast<std::size_t>(r)]];
    } else {
        batch.targets = Tensor::empty({b, target_dim_}, DType::F32);
        float* t = batch.targets.data<float>();
        const float* y = targets_.data<float>();
        for (std::int64_t r = 0; r < b; ++r)
            std::memcpy(t + r * target_dim_, y + indices[static_cast<std::size_t>(r)] * target_dim_,
                        static_cast<std::size_t>(target_dim_) * sizeof(float));
    }
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

void Subset::read_features(std::int64_t index, float* out) const {
    check_index(index);
    parent_->read_features(indices_[static_cast<std::size_t>(index)], out);
}

std::int64_t Subset::label(std::int64_t index) const {
    check_index(index);
    return parent_->label(indices_[static_cast<std::size_t>(index)]);
}

void Subset::read_target(std::int64_t index, float* out) const {
    check_index(index);
    parent_->read_target(indices_[static_cast<std::size_t>(index)], out);
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
