#pragma once
// Train/validation splits.
#include <cstdint>
#include <memory>

#include "neura/data/Dataset.h"

namespace neura::data {

struct Split {
    std::shared_ptr<const Subset> train;
    std::shared_ptr<const Subset> val;
};

// Splits `dataset` into train and validation subsets, deterministic for a seed.
// The validation set gets round(val_fraction * size) samples. Classification datasets are split
// stratified (by default): each class gives its share of validation samples (shares rounded by the
// largest-remainder method so they add up to the total), so both sides keep the class proportions.
// Regression datasets, or stratified = false, use a plain shuffled split. val_fraction is in [0, 1).
// Windows of one time series (Dataset::time_steps, csv-series) are split in time order instead, and
// the seed is not used: validation is the last round(val_fraction * size) samples, and training the
// samples before them whose steps all come before the first validation step — the windows that
// overlap the boundary are dropped, so no value a validation sample reads is seen in training.
// Throws neura::Error when that leaves no training sample.
// Each subset lists its indices in increasing order; shuffle with the DataLoader.
Split train_val_split(const DatasetPtr& dataset, double val_fraction, std::uint64_t seed, bool stratified = true);

}  // namespace neura::data
