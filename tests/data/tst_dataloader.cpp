// DataLoader: batching, seeded shuffling per epoch, drop_last, prefetching workers.
#include <QtTest>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>

#include "neura/data/DataLoader.h"
#include "neura/neura.h"

using namespace neura;
using namespace neura::data;

namespace {

// Sample i has features [i, -i] and label i % 3.
std::shared_ptr<TensorDataset> numbered(std::int64_t n) {
    std::vector<float> x;
    std::vector<std::int64_t> y;
    for (std::int64_t i = 0; i < n; ++i) {
        x.insert(x.end(), {float(i), -float(i)});
        y.push_back(i % 3);
    }
    return std::make_shared<TensorDataset>(Tensor::from_vector(x, {n, 2}), Tensor::from_vector(y, {n}));
}

std::vector<std::int64_t> epoch_indices(DataLoader& loader) {
    std::vector<std::int64_t> seen;
    for (Batch& b : loader) seen.insert(seen.end(), b.indices.begin(), b.indices.end());
    return seen;
}

// A dataset whose batches are slow to make, count how many are in progress, and can fail.
class SlowDataset : public Dataset {
public:
    explicit SlowDataset(std::int64_t n, std::int64_t fail_at = -1) : n_(n), fail_at_(fail_at) {}
    std::int64_t size() const override { return n_; }
    Shape feature_shape() const override { return {1}; }
    Task task() const override { return Task::Classification; }
    std::int64_t num_classes() const override { return 2; }
    void read_features(std::int64_t i, float* out) const override {
        if (i == fail_at_) throw std::runtime_error("sample " + std::to_string(i) + " is broken");
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
        made_.fetch_add(1);
        out[0] = float(i);
    }
    std::int64_t label(std::int64_t i) const override { return i % 2; }
    mutable std::atomic<int> made_{0};

private:
    std::int64_t n_;
    std::int64_t fail_at_;
};

}  // namespace

class TestDataLoader : public QObject {
    Q_OBJECT
private slots:
    void sequentialBatches() {
        DataLoader loader(numbered(10), {.batch_size = 4});
        QCOMPARE(loader.num_batches(), 3);
        std::vector<std::int64_t> sizes;
        std::vector<std::int64_t> seen;
        for (Batch& b : loader) {
            sizes.push_back(b.size());
            QCOMPARE(b.features.shape()[0], b.size());
            QCOMPARE(b.features.shape()[1], 2);
            QCOMPARE(b.targets.shape(), (Shape{b.size()}));
            const auto f = b.features.to_vector<float>();
            const auto t = b.targets.to_vector<std::int64_t>();
            for (std::int64_t r = 0; r < b.size(); ++r) {
                QCOMPARE(f[std::size_t(2 * r)], float(b.indices[std::size_t(r)]));
                QCOMPARE(t[std::size_t(r)], b.indices[std::size_t(r)] % 3);
            }
            seen.insert(seen.end(), b.indices.begin(), b.indices.end());
        }
        QCOMPARE(sizes, (std::vector<std::int64_t>{4, 4, 2}));
        QCOMPARE(seen, (std::vector<std::int64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
    }

    void dropLastCounts() {
        QCOMPARE(DataLoader(numbered(10), {.batch_size = 4, .drop_last = true}).num_batches(), 2);
        QCOMPARE(DataLoader(numbered(12), {.batch_size = 4, .drop_last = true}).num_batches(), 3);
        QCOMPARE(DataLoader(numbered(12), {.batch_size = 4, .drop_last = false}).num_batches(), 3);
        QCOMPARE(DataLoader(numbered(3), {.batch_size = 4, .drop_last = true}).num_batches(), 0);
        QCOMPARE(DataLoader(numbered(3), {.batch_size = 4, .drop_last = false}).num_batches(), 1);

        DataLoader loader(numbered(10), {.batch_size = 4, .shuffle = true, .seed = 5, .drop_last = true});
        std::int64_t batches = 0, samples = 0;
        for (Batch& b : loader) {
            QCOMPARE(b.size(), 4);
            ++batches;
            samples += b.size();
        }
        QCOMPARE(batches, 2);
        QCOMPARE(samples, 8);

        DataLoader none(numbered(3), {.batch_size = 4, .drop_last = true});
        QCOMPARE(epoch_indices(none).size(), std::size_t(0));
    }

    void shuffleIsAPermutationPerEpoch() {
        const std::int64_t n = 103;
        DataLoader loader(numbered(n), {.batch_size = 10, .shuffle = true, .seed = 11});
        std::vector<std::vector<std::int64_t>> epochs;
        for (int e = 0; e < 3; ++e) {
            auto seen = epoch_indices(loader);
            QCOMPARE(loader.epoch(), e);
            QCOMPARE(seen, loader.epoch_order(e));
            auto sorted = seen;
            std::sort(sorted.begin(), sorted.end());
            std::vector<std::int64_t> all(static_cast<std::size_t>(n));
            for (std::int64_t i = 0; i < n; ++i) all[std::size_t(i)] = i;
            QCOMPARE(sorted, all);  // every index exactly once
            QVERIFY(seen != all);   // and actually shuffled
            epochs.push_back(seen);
        }
        QVERIFY(epochs[0] != epochs[1]);
        QVERIFY(epochs[1] != epochs[2]);
    }

    void sameSeedSameOrder() {
        DataLoader a(numbered(50), {.batch_size = 8, .shuffle = true, .seed = 3});
        DataLoader b(numbered(50), {.batch_size = 8, .shuffle = true, .seed = 3});
        DataLoader c(numbered(50), {.batch_size = 8, .shuffle = true, .seed = 4});
        for (int e = 0; e < 2; ++e) {
            const auto ea = epoch_indices(a);
            QCOMPARE(epoch_indices(b), ea);
            QVERIFY(epoch_indices(c) != ea);
        }
        // set_epoch resumes a run at a given epoch.
        DataLoader d(numbered(50), {.batch_size = 8, .shuffle = true, .seed = 3});
        d.set_epoch(1);
        QCOMPARE(epoch_indices(d), a.epoch_order(1));
    }

    void nextApi() {
        DataLoader loader(numbered(5), {.batch_size = 2});
        std::vector<std::int64_t> sizes;
        while (auto b = loader.next()) sizes.push_back(b->size());
        QCOMPARE(sizes, (std::vector<std::int64_t>{2, 2, 1}));
        QVERIFY(!loader.next().has_value());  // stays done until reset
        QCOMPARE(loader.epoch(), 0);
        loader.reset();
        QCOMPARE(loader.epoch(), 1);
        QVERIFY(loader.next().has_value());
    }

    void workersMatchSingleThreaded() {
        auto ds = numbered(257);
        for (int workers : {1, 2, 3}) {
            DataLoader ref(ds, {.batch_size = 16, .shuffle = true, .seed = 9});
            DataLoader par(ds, {.batch_size = 16, .shuffle = true, .seed = 9, .num_workers = workers, .prefetch_factor = 2});
            for (int e = 0; e < 2; ++e) {
                std::vector<Batch> expected;
                for (Batch& b : ref) expected.push_back(b);
                std::size_t i = 0;
                for (Batch& b : par) {
                    QVERIFY(i < expected.size());
                    QCOMPARE(b.indices, expected[i].indices);
                    QCOMPARE(b.features.to_vector<float>(), expected[i].features.to_vector<float>());
                    QCOMPARE(b.targets.to_vector<std::int64_t>(), expected[i].targets.to_vector<std::int64_t>());
                    ++i;
                }
                QCOMPARE(i, expected.size());
            }
        }
    }

    void workersPrefetchBoundedAhead() {
        auto ds = std::make_shared<SlowDataset>(64);
        DataLoader loader(ds, {.batch_size = 2, .num_workers = 2, .prefetch_factor = 2});
        auto first = loader.next();
        QVERIFY(first.has_value());
        // While the "training step" runs, the workers fill the window of 2 × 2 batches and stop there.
        std::this_thread::sleep_for(std::chrono::milliseconds(150));
        const int made = ds->made_.load();
        QVERIFY2(made > 2 * 2, qPrintable(QString("only %1 samples prepared").arg(made)));
        QVERIFY2(made <= 2 * (1 + 2 * 2), qPrintable(QString("%1 samples prepared, more than the window").arg(made)));
    }

    void workerExceptionReachesConsumer() {
        auto ds = std::make_shared<SlowDataset>(40, 13);  // sample 13 is in batch 3 (batch size 4)
        DataLoader loader(ds, {.batch_size = 4, .num_workers = 2});
        int good = 0;
        bool thrown = false;
        try {
            while (auto b = loader.next()) ++good;
        } catch (const std::runtime_error& e) {
            thrown = true;
            QCOMPARE(QString(e.what()), QString("sample 13 is broken"));
        }
        QVERIFY(thrown);
        QCOMPARE(good, 3);                   // the batches before the broken one arrive first
        QVERIFY(!loader.next().has_value());  // the failed epoch is over
        // The next epoch starts cleanly and fails at the same batch again.
        loader.reset();
        QVERIFY(loader.next().has_value());

        DataLoader sync(ds, {.batch_size = 4});
        QVERIFY_THROWS_EXCEPTION(std::runtime_error, { for (Batch& b : sync) (void)b; });
    }

    void earlyBreakAndDestructionAreClean() {
        auto ds = std::make_shared<SlowDataset>(200);
        for (int round = 0; round < 5; ++round) {
            DataLoader loader(ds, {.batch_size = 5, .shuffle = true, .seed = 1, .num_workers = 3});
            int taken = 0;
            for (Batch& b : loader) {
                (void)b;
                if (++taken == 2) break;  // workers are still busy; the destructor must stop them
            }
            QCOMPARE(taken, 2);
            // Starting a new epoch in the middle of one restarts cleanly too.
            loader.next();
            loader.reset();
            const auto order = loader.epoch_order(loader.epoch());
            QCOMPARE(loader.next()->indices, std::vector<std::int64_t>(order.begin(), order.begin() + 5));
        }
    }

    void rejectsBadOptions() {
        QVERIFY_THROWS_EXCEPTION(neura::Error, DataLoader(numbered(4), {.batch_size = 0}));
        QVERIFY_THROWS_EXCEPTION(neura::Error, DataLoader(numbered(4), {.num_workers = -1}));
        QVERIFY_THROWS_EXCEPTION(neura::Error, DataLoader(nullptr));
    }
};

QTEST_APPLESS_MAIN(TestDataLoader)
#include "tst_dataloader.moc"
