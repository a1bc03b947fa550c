#include "neura/data/Split.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "data/Random.h"

namespace neura::data {

Split train_val_split(const DatasetPtr& dataset, double val_fraction, std::uint64_t seed, bool stratified) {
    NEURA_CHECK(dataset, "train_val_split: null dataset");
    NEURA_CHECK(val_fraction >= 0.0 && val_fraction < 1.0, "train_val_split: val_fraction must be in [0, 1), got ",
                val_fraction);
    const std::int64_t n = dataset->size();
    const auto n_val = static_cast<std::int64_t>(std::llround(val_fraction * static_cast<double>(n)));
    internal::Rng rng(seed, 0x5EB17ull);

    std::vector<std::int64_t> train;
    std::vector<std::int64_t> val;
    if (n > 0 && dataset->time_steps(0)) {
        // Time order: the tail validates; training ends before the first step the tail reads.
        const std::int64_t first_val = n - n_val;
        const std::int64_t boundary = first_val < n ? dataset->time_steps(first_val).value().first
                                                    : std::numeric_limits<std::int64_t>::max();
        for (std::int64_t i = 0; i < first_val; ++i)
            if (dataset->time_steps(i).value().last < boundary) train.push_back(i);
        for (std::int64_t i = first_val; i < n; ++i) val.push_back(i);
        NEURA_CHECK(!train.empty(), "train_val_split: the last ", n_val, " of ", n,
                    " samples of the time series validate, and no sample before them ends before step ", boundary,
                    " where they begin; lower the validation fraction, or use a longer series or a shorter window");
    } else if (stratified && dataset->is_classification() && dataset->num_classes() > 0 && dataset->label_steps() == 0) {
        const std::int64_t k = dataset->num_classes();
        std::vector<std::vector<std::int64_t>> by_class(static_cast<std::size_t>(k));
        for (std::int64_t i = 0; i < n; ++i) {
            const std::int64_t y = dataset->label(i);
            NEURA_CHECK(y >= 0 && y < k, "train_val_split: label ", y, " of sample ", i, " outside [0, ", k, ")");
            by_class[static_cast<std::size_t>(y)].push_back(i);
        }
        // Quotas: floor of each class's exact share, then the leftover seats to the largest remainders.
        std::vector<std::int64_t> quota(static_cast<std::size_t>(k));
        std::vector<double> remainder(static_cast<std::size_t>(k));
        std::int64_t assigned = 0;
        for (std::size_t c = 0; c < by_class.size(); ++c) {
            const double exact = n > 0 ? static_cast<double>(by_class[c].size()) * static_cast<double>(n_val) /
                                             static_cast<double>(n)
                                       : 0.0;
            quota[c] = static_cast<std::int64_t>(std::floor(exact));
            remainder[c] = exact - static_cast<double>(quota[c]);
            assigned += quota[c];
        }
        std::vector<std::size_t> order(static_cast<std::size_t>(k));
        std::iota(order.begin(), order.end(), std::size_t{0});
        std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return remainder[a] > remainder[b]; });
        for (std::size_t j = 0; assigned < n_val && j < order.size(); ++j) {
            const std::size_t c = order[j];
            if (quota[c] < static_cast<std::int64_t>(by_class[c].size())) {
                ++quota[c];
                ++assigned;
            }
        }
        for (std::size_t c = 0; c < by_class.size(); ++c) {
            rng.shuffle(by_class[c]);
            const auto q = static_cast<std::size_t>(quota[c]);
            val.insert(val.end(), by_class[c].begin(), by_class[c].begin() + static_cast<std::ptrdiff_t>(q));
            train.insert(train.end(), by_class[c].begin() + static_cast<std::ptrdiff_t>(q), by_class[c].end());
        }
    } else {
        std::vector<std::int64_t> all = internal::iota_indices(n);
        rng.shuffle(all);
        val.assign(all.begin(), all.begin() + n_val);
        train.assign(all.begin() + n_val, all.end());
    }
    std::sort(train.begin(), train.end());
    std::sort(val.begin(), val.end());
    return {std::make_shared<const Subset>(dataset, std::move(train)),
            std::make_shared<const Subset>(dataset, std::move(val))};
}

}  // namespace neura::data
