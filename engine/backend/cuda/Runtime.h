#pragma once
// The CUDA backend's host side (not public API): error checks that name the op, RAII for the current
// device, the current stream of this thread, cuBLAS handles and the caching allocator.
#include <cublas_v2.h>
#include <cuda_runtime_api.h>

#include <cstddef>

#include "neura/backend/Cuda.h"
#include "neura/core/Storage.h"
#include "neura/core/Tensor.h"

namespace neura::cuda {

// Throws neura::Error "<op> on cuda:N failed: <CUDA's message> (<error name>)" unless e is cudaSuccess.
void check(cudaError_t e, const char* op, int device);
void check_cublas(cublasStatus_t status, const char* op, int device);
// After a kernel launch. With NEURA_CUDA_SYNC=1 in the environment it also waits for the kernel, so that
// an error while it runs is reported against this op rather than a later one.
void check_launch(cudaError_t e, const char* op, int device);

// Makes `index` the current device of this thread for the scope (only when it is not already).
class DeviceGuard {
public:
    explicit DeviceGuard(int index);
    ~DeviceGuard();
    DeviceGuard(const DeviceGuard&) = delete;
    DeviceGuard& operator=(const DeviceGuard&) = delete;

private:
    int previous_ = -1;
};

// This thread's current stream on `device`: a StreamScope's, or the legacy default stream (0), which
// orders itself with every other (blocking) stream.
cudaStream_t current_stream(int device);
// A cuBLAS handle for this thread and device, bound to current_stream(device).
cublasHandle_t cublas_handle(int device);

// The caching allocator (CachingAllocator.cpp).
Allocator& caching_allocator();
// Called when a StreamScope's stream is gone: its cached blocks become usable from any stream.
void release_stream_blocks(int device, cudaStream_t stream);
// The allocator's part of the module's table (neura/backend/Cuda.h's allocator_stats and empty_cache).
AllocatorStats module_allocator_stats(int device);
void module_empty_cache();

// Fills the CUDA column of the op table (Kernels.cpp).
void register_kernels();
// The training plan's fused loss (Kernels.cpp; ModuleApi::cross_entropy).
void module_cross_entropy(const Tensor& logits, const Tensor& target, const Tensor& loss, const Tensor& grad,
                          const Tensor& rows, const Tensor& flag, std::int64_t ignore_index);

}  // namespace neura::cuda
