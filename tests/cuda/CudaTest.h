#pragma once
// Shared by the tests/cuda suites. Their test functions that need a GPU QSKIP without one; the checks that
// need none (device discovery, clear errors, a CUDA kernel for every op) always run. Without a GPU a
// suite whose checks all passed exits with kSkipCode, which CTest reports as skipped
// (SKIP_RETURN_CODE in tests/cuda/extra.cmake), so GPU tests never count as passed where they did not run.
#include <QtTest>

#include <cstdio>

#include "neura/backend/Cuda.h"

namespace neura::test {

constexpr int kSkipCode = 77;

inline bool have_gpu() { return cuda::device_count() > 0; }

inline QByteArray no_gpu_reason() {
    return QByteArray("no CUDA device: ") + cuda::unavailable_reason().c_str();
}

}  // namespace neura::test

// Skips the calling test function without a GPU, naming why.
#define NEURA_REQUIRE_GPU()                                                          \
    do {                                                                             \
        if (!neura::test::have_gpu()) QSKIP(neura::test::no_gpu_reason().constData()); \
    } while (0)

#define NEURA_CUDA_TEST_MAIN(TestClass)                                                                       \
    int main(int argc, char** argv) {                                                                         \
        TestClass t;                                                                                          \
        const int rc = QTest::qExec(&t, argc, argv);                                                          \
        if (rc != 0 || neura::test::have_gpu()) return rc;                                                    \
        std::printf("SKIPPED: the GPU checks of this suite did not run (%s); the checks that need no GPU "    \
                    "passed\n", neura::test::no_gpu_reason().constData());                                    \
        return neura::test::kSkipCode;                                                                        \
    }
