#include "neura/data/DataLoader.h"

#include <algorithm>

#include "data/Random.h"

namespace neura::data {

DataLoader::DataLoader(DatasetPtr dataset, DataLoaderOptions options)
    : dataset_(std::move(dataset)), options_(options) {
    NEURA_CHECK(dataset_, "DataLoader: null dataset");
    NEURA_CHECK(options_.batch_size >= 1, "DataLoader: batch_size must be at least 1, got ", options_.batch_size);
    NEURA_CHECK(options_.num_workers >= 0, "DataLoader: num_workers must be >= 0, got ", options_.num_workers);
    NEURA_CHECK(options_.prefetch_factor >= 1, "DataLoader: prefetch_factor must be at least 1, got ",
                options_.prefetch_factor);
}

DataLoader::~DataLoader() { stop_workers(); }

std::int64_t DataLoader::num_batches() const {
    const std::int64_t n = dataset_->size();
    const std::int64_t b = options_.batch_size;
    return options_.drop_last ? n / b : (n + b - 1) / b;
}

std::vector<std::int64_t> DataLoader::epoch_order(std::int64_t epoch) const {
    std::vector<std::int64_t> order = internal::iota_indices(dataset_->size());
    if (options_.shuffle) {
        internal::Rng rng(options_.seed, static_cast<std::uint64_t>(epoch));
        rng.shuffle(order);
    }
    return order;
}

void DataLoader::set_epoch(std::int64_t epoch) {
    NEURA_CHECK(epoch >= 0, "DataLoader::set_epoch: epoch must be >= 0, got ", epoch);
    next_epoch_ = epoch;
}

void DataLoader::reset() {
    stop_workers();
    current_.reset();
    epoch_ = next_epoch_++;
    order_ = epoch_order(epoch_);
    next_batch_ = 0;
    next_claim_ = 0;
    epoch_done_ = false;
    if (options_.num_workers > 0 && num_batches() > 0) start_workers();
}

std::vector<std::int64_t> DataLoader::batch_indices(std::int64_t batch_index) const {
    const std::int64_t n = static_cast<std::int64_t>(order_.size());
    const std::int64_t begin = batch_index * options_.batch_size;
    const std::int64_t end = std::min(begin + options_.batch_size, n);
    return {order_.begin() + begin, order_.begin() + end};
}

Batch DataLoader::make_batch(std::int64_t batch_index) const {
    return dataset_->get_batch(batch_indices(batch_index));
}

std::optional<Batch> DataLoader::next() {
    if (epoch_ < 0) reset();
    if (epoch_done_) return std::nullopt;
    if (next_batch_ >= num_batches()) {
        epoch_done_ = true;
        stop_workers();
        return std::nullopt;
    }

    if (workers_.empty()) {
        const std::int64_t b = next_batch_++;
        try {
            return make_batch(b);
        } catch (...) {
            epoch_done_ = true;
            throw;
        }
    }

    Slot slot;
    {
        std::unique_lock lock(mutex_);
        ready_cv_.wait(lock, [&] { return ready_.contains(next_batch_); });
        auto it = ready_.find(next_batch_);
        slot = std::move(it->second);
        ready_.erase(it);
        ++next_batch_;
    }
    work_cv_.notify_all();  // the window moved: a worker may take another batch
    if (slot.error) {
        epoch_done_ = true;
        stop_workers();
        std::rethrow_exception(slot.error);
    }
    return std::move(slot.batch);
}

void DataLoader::start_workers() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = false;
        ready_.clear();
    }
    for (int w = 0; w < options_.num_workers; ++w) workers_.emplace_back([this] { worker_loop(); });
}

void DataLoader::stop_workers() {
    if (workers_.empty()) return;
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    work_cv_.notify_all();
    workers_.clear();  // jthread joins
    std::lock_guard lock(mutex_);
    ready_.clear();
    stopping_ = false;
}

void DataLoader::worker_loop() {
    // Workers claim batches in order, at most `window` ahead of the one the consumer waits for, and
    // park finished ones in ready_ under their batch number; the consumer takes them in order.
    const std::int64_t total = num_batches();
    const std::int64_t window = static_cast<std::int64_t>(options_.num_workers) * options_.prefetch_factor;
    for (;;) {
        std::int64_t b = 0;
        {
            std::unique_lock lock(mutex_);
            work_cv_.wait(lock, [&] { return stopping_ || next_claim_ >= total || next_claim_ < next_batch_ + window; });
            if (stopping_ || next_claim_ >= total) return;
            b = next_claim_++;
        }
        Slot slot;
        try {
            slot.batch = make_batch(b);
        } catch (...) {
            slot.error = std::current_exception();
        }
        {
            std::lock_guard lock(mutex_);
            ready_[b] = std::move(slot);
        }
        ready_cv_.notify_all();
    }
}

void DataLoader::advance() {
    current_.reset();
    current_ = next();
}

DataLoader::Iterator DataLoader::begin() {
    reset();
    advance();
    return Iterator(this);
}

}  // namespace neura::data
