#include "neura/data/Standardizer.h"
#include "neura/core/JsonText.h"

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

namespace neura::data {

Standardizer::Standardizer(std::vector<double> mean, std::vector<double> scale)
    : mean_(std::move(mean)), scale_(std::move(scale)) {
    NEURA_CHECK(mean_.size() == scale_.size(), "Standardizer: ", mean_.size(), " means but ", scale_.size(),
                " scales");
    for (std::size_t i = 0; i < scale_.size(); ++i)
        NEURA_CHECK(std::isfinite(scale_[i]) && scale_[i] > 0.0, "Standardizer: scale of feature ", i,
                    " must be finite and positive, got ", scale_[i]);
    std_ = scale_;
}

void Standardizer::fit(const Dataset& data) {
    const std::int64_t n = data.size();
    const std::int64_t f = data.feature_numel();
    NEURA_CHECK(n > 0, "Standardizer::fit: the dataset is empty");
    const auto fs = static_cast<std::size_t>(f);
    // Two passes in double: the mean first, then squared deviations (no cancellation as in E[x²]-E[x]²).
    std::vector<double> sum(fs, 0.0);
    std::vector<float> row(fs);
    for (std::int64_t i = 0; i < n; ++i) {
        data.read_features(i, row.data());
        for (std::size_t j = 0; j < fs; ++j) sum[j] += row[j];
    }
    std::vector<double> mean(fs);
    for (std::size_t j = 0; j < fs; ++j) mean[j] = sum[j] / static_cast<double>(n);
    std::vector<double> sq(fs, 0.0);
    for (std::int64_t i = 0; i < n; ++i) {
        data.read_features(i, row.data());
        for (std::size_t j = 0; j < fs; ++j) {
            const double d = row[j] - mean[j];
            sq[j] += d * d;
        }
    }
    std::vector<double> stddev(fs);
    std::vector<double> scale(fs);
    for (std::size_t j = 0; j < fs; ++j) {
        stddev[j] = std::sqrt(sq[j] / static_cast<double>(n));
        // As sklearn: a constant feature (std 0, up to rounding relative to its mean) keeps scale 1.
        const double rounding = 10.0 * std::numeric_limits<double>::epsilon() * std::abs(mean[j]);
        const bool degenerate = !std::isfinite(stddev[j]) || stddev[j] <= rounding;
        scale[j] = degenerate ? 1.0 : stddev[j];
    }
    mean_ = std::move(mean);
    std_ = std::move(stddev);
    scale_ = std::move(scale);
}

Standardizer Standardizer::fitted_on(const Dataset& data) {
    Standardizer s;
    s.fit(data);
    return s;
}

void Standardizer::transform_inplace(float* rows, std::int64_t num_rows) const {
    NEURA_CHECK(fitted(), "Standardizer: transform before fit");
    const std::size_t f = mean_.size();
    for (std::int64_t r = 0; r < num_rows; ++r) {
        float* x = rows + static_cast<std::size_t>(r) * f;
        for (std::size_t j = 0; j < f; ++j) x[j] = static_cast<float>((x[j] - mean_[j]) / scale_[j]);
    }
}

namespace {
// A fresh contiguous F32 copy of `t` (never sharing its storage), checked to hold rows of `f` values.
Tensor owned_f32_rows(const Tensor& t, std::int64_t f, const char* op) {
    NEURA_CHECK(t.defined() && t.dim() >= 1, op, ": features need a leading batch dimension");
    const std::int64_t per_row = t.size(0) > 0 ? t.numel() / t.size(0) : 0;
    NEURA_CHECK(t.size(0) == 0 || per_row == f, op, ": features ", shape_str(t.shape()), " have ", per_row,
                " values per row, the standardizer ", f);
    Tensor out = t.detach().to(Device::cpu()).to(DType::F32).contiguous();
    if (out.storage() == t.storage()) out = out.clone();
    return out;
}
}  // namespace

Tensor Standardizer::transform(const Tensor& features) const {
    NEURA_CHECK(fitted(), "Standardizer::transform: not fitted");
    Tensor out = owned_f32_rows(features, num_features(), "Standardizer::transform");
    transform_inplace(out.data<float>(), out.size(0));
    return out;
}

Tensor Standardizer::inverse_transform(const Tensor& features) const {
    NEURA_CHECK(fitted(), "Standardizer::inverse_transform: not fitted");
    Tensor out = owned_f32_rows(features, num_features(), "Standardizer::inverse_transform");
    float* x = out.data<float>();
    const std::size_t f = mean_.size();
    for (std::int64_t r = 0; r < out.size(0); ++r)
        for (std::size_t j = 0; j < f; ++j) {
            float& v = x[static_cast<std::size_t>(r) * f + j];
            v = static_cast<float>(v * scale_[j] + mean_[j]);
        }
    return out;
}

DatasetPtr Standardizer::apply(DatasetPtr data) const {
    return std::make_shared<const StandardizedDataset>(std::move(data), *this);
}

std::string Standardizer::to_json() const {
    nlohmann::json j;
    j["mean"] = mean_;
    j["scale"] = scale_;
    j["std"] = std_;
    return j.dump();
}

Standardizer Standardizer::from_json(const std::string& text) {
    const nlohmann::json j = parse_json(text, "Standardizer::from_json: the text");
    NEURA_CHECK(j.is_object() && j.contains("mean") && j.contains("scale"),
                "Standardizer::from_json: expected an object with \"mean\" and \"scale\"");
    try {
        Standardizer s(j.at("mean").get<std::vector<double>>(), j.at("scale").get<std::vector<double>>());
        if (j.contains("std")) {
            auto sd = j.at("std").get<std::vector<double>>();
            NEURA_CHECK(sd.size() == s.mean_.size(), "Standardizer::from_json: ", sd.size(), " std values for ",
                        s.mean_.size(), " features");
            s.std_ = std::move(sd);
        }
        return s;
    } catch (const nlohmann::json::exception& e) {
        throw Error(detail::concat("Standardizer::from_json: ", e.what()));
    }
}

// ---------------------------------------------------------------- StandardizedDataset

StandardizedDataset::StandardizedDataset(DatasetPtr parent, Standardizer standardizer)
    : parent_(std::move(parent)), standardizer_(std::move(standardizer)) {
    NEURA_CHECK(parent_, "StandardizedDataset: null dataset");
    NEURA_CHECK(standardizer_.fitted(), "StandardizedDataset: the standardizer is not fitted");
    NEURA_CHECK(standardizer_.num_features() == parent_->feature_numel(), "StandardizedDataset: the standardizer has ",
                standardizer_.num_features(), " features, the dataset ", parent_->feature_numel(), " (shape ",
                shape_str(parent_->feature_shape()), ")");
}

void StandardizedDataset::read_features(std::int64_t index, float* out) const {
    parent_->read_features(index, out);
    standardizer_.transform_inplace(out, 1);
}

Batch StandardizedDataset::get_batch(const std::vector<std::int64_t>& indices) const {
    Batch batch = parent_->get_batch(indices);
    // The parent's batch is freshly made for us, so it can be standardized in place.
    Tensor f = batch.features.contiguous();
    if (!f.is_same(batch.features)) batch.features = f;
    standardizer_.transform_inplace(batch.features.data<float>(), batch.size());
    return batch;
}

}  // namespace neura::data
