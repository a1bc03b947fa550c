#pragma once
#include <omp.h>

namespace neura::cpu {

// Sets this thread's OpenMP team size for a scope and restores it after; n <= 0 leaves it as it is (a
// scope that chooses at run time whether to narrow the team). Small work runs on one thread: its ops are
// too short to pay for a parallel region, and on a busy machine every region's barrier waits for a
// descheduled thread (measured: digits-cnn 13 s/epoch with 2 threads on a loaded 2-core machine, 0.34 s
// with 1). Used by training runs (Experiment), the training plan's small steps and small matmuls.
class ThreadScope {
public:
    explicit ThreadScope(int n) {
        if (n <= 0) return;
        const int current = omp_get_max_threads();
        if (current == n) return;
        previous_ = current;
        omp_set_num_threads(n);
    }
    ~ThreadScope() {
        if (previous_ > 0) omp_set_num_threads(previous_);
    }
    ThreadScope(const ThreadScope&) = delete;
    ThreadScope& operator=(const ThreadScope&) = delete;

private:
    int previous_ = 0;  // the team size to restore; 0: nothing was changed
};

}  // namespace neura::cpu
