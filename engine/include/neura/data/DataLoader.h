#pragma once
// DataLoader: batches of a Dataset, optionally shuffled, optionally prepared ahead by worker threads,
// as torch.utils.data.DataLoader.
//
//   DataLoader loader(train, {.batch_size = 64, .shuffle = true, .seed = 1, .num_workers = 2});
//   for (int e = 0; e < epochs; ++e)
//       for (Batch& batch : loader) step(batch.features, batch.targets);   // one pass = one epoch
//
// Each pass (begin() or reset()) is the next epoch: epoch e visits the samples in epoch_order(e), a
// permutation that depends only on (seed, e), so a run repeats exactly. Workers only change when a
// batch is made, never what it holds: any num_workers gives the same batches in the same order.
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "neura/data/Dataset.h"

namespace neura::data {

struct DataLoaderOptions {
    std::int64_t batch_size = 32;
    bool shuffle = false;
    std::uint64_t seed = 0;
    bool drop_last = false;      // drop a last batch smaller than batch_size
    int num_workers = 0;         // 0: batches are made in next(), on the caller's thread
    int prefetch_factor = 2;     // batches each worker may have ready ahead of the consumer
};

class DataLoader {
public:
    DataLoader(DatasetPtr dataset, DataLoaderOptions options = {});
    ~DataLoader();  // stops and joins the workers; batches not taken are dropped
    DataLoader(const DataLoader&) = delete;
    DataLoader& operator=(const DataLoader&) = delete;

    const Dataset& dataset() const { return *dataset_; }
    const DatasetPtr& dataset_ptr() const { return dataset_; }
    const DataLoaderOptions& options() const { return options_; }
    std::int64_t num_batches() const;  // per epoch, drop_last honoured

    // The sample order of epoch `epoch`: 0..n-1, or a permutation drawn from (seed, epoch) when shuffling.
    std::vector<std::int64_t> epoch_order(std::int64_t epoch) const;

    // Starts the next epoch (the first call starts epoch 0, or the one set_epoch chose) and abandons
    // what was left of the current one.
    void reset();
    // Makes the next reset() start `epoch` (e.g. to resume a run).
    void set_epoch(std::int64_t epoch);
    // The epoch in progress; -1 before the first reset().
    std::int64_t epoch() const { return epoch_; }

    // The next batch of the current epoch, or nullopt when the epoch is done. Starts epoch 0 when no
    // epoch has begun. An exception thrown while a worker made a batch is rethrown here, for that
    // batch; the epoch then ends.
    std::optional<Batch> next();

    class Iterator {
    public:
        using iterator_category = std::input_iterator_tag;
        using value_type = Batch;
        using difference_type = std::ptrdiff_t;
        using pointer = Batch*;
        using reference = Batch&;

        Iterator() = default;
        Batch& operator*() const { return *loader_->current_; }
        Batch* operator->() const { return &*loader_->current_; }
        Iterator& operator++() {
            loader_->advance();
            return *this;
        }
        void operator++(int) { ++*this; }
        bool operator==(std::default_sentinel_t) const { return !loader_ || !loader_->current_; }

    private:
        friend class DataLoader;
        explicit Iterator(DataLoader* loader) : loader_(loader) {}
        DataLoader* loader_ = nullptr;
    };

    Iterator begin();  // reset(), then the first batch
    std::default_sentinel_t end() const { return {}; }

private:
    struct Slot {
        std::optional<Batch> batch;
        std::exception_ptr error;
    };

    Batch make_batch(std::int64_t batch_index) const;
    std::vector<std::int64_t> batch_indices(std::int64_t batch_index) const;
    void start_workers();
    void stop_workers();
    void worker_loop();
    void advance();

    DatasetPtr dataset_;
    DataLoaderOptions options_;
    std::int64_t epoch_ = -1;
    std::int64_t next_epoch_ = 0;
    std::vector<std::int64_t> order_;  // the current epoch's sample order
    std::int64_t next_batch_ = 0;      // the next batch next() returns
    bool epoch_done_ = true;
    std::optional<Batch> current_;     // the iterator's batch

    // Worker state; the mutex guards everything below it.
    std::vector<std::jthread> workers_;
    std::mutex mutex_;
    std::condition_variable work_cv_;   // workers wait for room in the window or for stop
    std::condition_variable ready_cv_;  // the consumer waits for its batch
    std::int64_t next_claim_ = 0;       // the next batch a worker takes
    std::map<std::int64_t, Slot> ready_;
    bool stopping_ = false;
};

}  // namespace neura::data
