// GPU benchmarks for tools/gpu-check.sh, printed as `name value unit` lines:
//   sgemm 4096^3 through neura::matmul on cuda:0 next to a direct cublasSgemm on the same buffers, and
//   one W4 training step (bench/WORKLOADS.md: CNN on 1x28x28, batch 64, Adam) on cuda:0 and on the CPU.
//   neura_bench_gpu [--cpu-threads N] [--dry-run]
// --dry-run (no GPU needed) runs the CPU part only and prints the GPU lines as "n/a", so the script's
// parsing and table can be checked on a machine without a GPU.
#include <cublas_v2.h>
#include <cuda_runtime_api.h>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "neura/backend/Cuda.h"
#include "neura/neura.h"

using namespace neura;
using Clock = std::chrono::steady_clock;

namespace {

// Median seconds of fn(); `sync` runs after each call (inside the timing) so GPU work is counted.
double median_seconds(const std::function<void()>& fn, int reps, int warm, const std::function<void()>& sync) {
    for (int i = 0; i < warm; ++i) fn();
    sync();
    std::vector<double> ts;
    for (int i = 0; i < reps; ++i) {
        const auto t0 = Clock::now();
        fn();
        sync();
        ts.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
    }
    std::sort(ts.begin(), ts.end());
    return ts[ts.size() / 2];
}

// W4: Conv2d(1,16,3,p=1)-ReLU-MaxPool2d(2)-Conv2d(16,32,3,p=1)-ReLU-MaxPool2d(2)-Flatten-Linear(1568,10),
// batch 64, CrossEntropyLoss, Adam: one step, on `device`.
double w4_step_seconds(Device device, int reps) {
    nn::Conv2d c1({.in_channels = 1, .out_channels = 16, .padding_h = 1, .padding_w = 1});
    nn::Conv2d c2({.in_channels = 16, .out_channels = 32, .padding_h = 1, .padding_w = 1});
    nn::MaxPool2d pool({});
    nn::Linear fc(32 * 7 * 7, 10);
    std::vector<Tensor> params;
    for (nn::Module* m : std::initializer_list<nn::Module*>{&c1, &c2, &fc}) {
        m->to(device);
        for (auto& p : m->parameters()) params.push_back(p);
    }
    optim::Adam opt(params, {.lr = 1e-3});
    nn::CrossEntropyLoss lossf;
    const Tensor x = Tensor::randn({64, 1, 28, 28}).to(device);
    const Tensor y = Tensor::randint(0, 10, {64}).to(device);
    cuda::StreamScope stream(device);
    return median_seconds(
        [&] {
            opt.zero_grad();
            Tensor h = pool(relu(c2(pool(relu(c1(x))))));
            lossf(fc(h.flatten(1)), y).backward();
            opt.step();
        },
        reps, 5, [&] { cuda::synchronize(device); });
}

void na(const char* name, const char* unit) { std::printf("%s n/a %s\n", name, unit); }

}  // namespace

int main(int argc, char** argv) {
    int cpu_threads = omp_get_num_procs();
    bool dry = false;
    for (int i = 1; i < argc; ++i) {
        if (!std::strcmp(argv[i], "--dry-run")) dry = true;
        else if (!std::strcmp(argv[i], "--cpu-threads") && i + 1 < argc) cpu_threads = std::atoi(argv[++i]);
        else {
            std::fprintf(stderr, "usage: neura_bench_gpu [--cpu-threads N] [--dry-run]\n");
            return 2;
        }
    }
    if (cpu_threads < 1) cpu_threads = 1;
    manual_seed(0);
    std::printf("# neura %s; %s\n", NEURA_VERSION, cuda::describe_devices().c_str());
    if (!dry && cuda::device_count() == 0) {
        std::fprintf(stderr, "neura_bench_gpu: no CUDA device (%s); --dry-run runs the CPU part only\n",
                     cuda::unavailable_reason().c_str());
        return 1;
    }
    try {
        if (dry) {
            na("sgemm4096_engine_cuda", "GFLOP/s");
            na("sgemm4096_cublas", "GFLOP/s");
            na("sgemm4096_engine_over_cublas", "x");
            na("W4_step_cuda", "us");
        } else {
            const Device gpu = Device::cuda(0);
            const std::int64_t n = 4096;
            const double flop = 2.0 * static_cast<double>(n) * n * n;
            const Tensor a = Tensor::randn({n, n}).to(gpu), b = Tensor::randn({n, n}).to(gpu);
            const auto sync = [&] { cuda::synchronize(gpu); };
            const double t_engine = median_seconds([&] { (void)matmul(a, b); }, 20, 3, sync);
            // Direct cuBLAS on the same buffers, row-major C = A.B as column-major C^T = B^T.A^T.
            Tensor c = Tensor::empty({n, n}, DType::F32, gpu);
            cublasHandle_t h = nullptr;
            if (cublasCreate(&h) != CUBLAS_STATUS_SUCCESS) throw Error("cublasCreate failed");
            const float one = 1.0f, zero = 0.0f;
            const int in = static_cast<int>(n);
            cublasStatus_t st = CUBLAS_STATUS_SUCCESS;
            const double t_cublas = median_seconds(
                [&] {
                    st = cublasSgemm(h, CUBLAS_OP_N, CUBLAS_OP_N, in, in, in, &one, b.data<float>(), in,
                                     a.data<float>(), in, &zero, c.data<float>(), in);
                },
                20, 3, sync);
            cublasDestroy(h);
            if (st != CUBLAS_STATUS_SUCCESS) throw Error("cublasSgemm failed");
            // The two must compute the same product.
            const double diff = max(abs(matmul(a, b) - c)).item<double>();
            std::printf("sgemm4096_max_abs_diff %.3g abs\n", diff);
            std::printf("sgemm4096_engine_cuda %.0f GFLOP/s\n", flop / t_engine / 1e9);
            std::printf("sgemm4096_cublas %.0f GFLOP/s\n", flop / t_cublas / 1e9);
            std::printf("sgemm4096_engine_over_cublas %.3f x\n", t_cublas / t_engine);
            std::printf("W4_step_cuda %.0f us\n", w4_step_seconds(gpu, 50) * 1e6);
            const auto s = cuda::allocator_stats(0);
            std::printf("cuda_allocator_mallocs %lld calls\n", static_cast<long long>(s.device_mallocs));
        }
        omp_set_num_threads(cpu_threads);
        std::printf("W4_step_cpu %.0f us\n", w4_step_seconds(Device::cpu(), dry ? 10 : 30) * 1e6);
        std::printf("W4_cpu_threads %d threads\n", cpu_threads);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "neura_bench_gpu: %s\n", e.what());
        return 1;
    }
    return 0;
}
