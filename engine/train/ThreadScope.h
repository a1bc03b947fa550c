#pragma once
#include <omp.h>

namespace neura::train {

// Sets this thread's OpenMP team size for a scope. Small models run on one thread: their ops are too
// short to pay for a parallel region, and on a busy machine every region's barrier waits for a
// descheduled thread (measured: digits-cnn 13 s/epoch with 2 threads on a loaded 2-core machine,
// 0.34 s with 1).
class ThreadScope {
public:
    explicit ThreadScope(int n) : previous_(omp_get_max_threads()) { omp_set_num_threads(n); }
    ~ThreadScope() { omp_set_num_threads(previous_); }
    ThreadScope(const ThreadScope&) = delete;
    ThreadScope& operator=(const ThreadScope&) = delete;

private:
    int previous_;
};

}  // namespace neura::train
