#pragma once
// The CUDA backend as the rest of the program sees it: which GPUs there are (for the studio's device
// selector and `neura info`), the caching allocator's statistics, and the stream a training run uses.
// Everything here also exists in a build without CUDA, where there are simply no devices
// (unavailable_reason() says "built without CUDA").
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "neura/core/Device.h"

namespace neura::cuda {

// True when this build has the CUDA backend (CMake found the toolkit and NEURA_WITH_CUDA is on).
bool built_with_cuda();

// The number of usable CUDA devices; 0 without a GPU, driver or CUDA backend. Never throws.
int device_count();
// Why device_count() is 0, in words ("built without CUDA", "cudaGetDeviceCount: CUDA driver version is
// insufficient for CUDA runtime version", ...); empty when there are devices.
std::string unavailable_reason();

struct DeviceInfo {
    int index = 0;
    std::string name;                // "NVIDIA H100 80GB HBM3"
    std::size_t total_memory = 0;    // bytes
    std::size_t free_memory = 0;     // bytes; 0 unless asked for (devices(true))
    int compute_major = 0, compute_minor = 0;
    int multiprocessors = 0;
    std::string str() const;         // "cuda:0 NVIDIA H100 80GB HBM3 (sm_90, 79.1 GiB)"
};
// Empty when device_count() == 0. with_free_memory creates a CUDA context on each device to ask (slow,
// and it holds GPU memory): `neura info` asks, the studio's device list does not.
std::vector<DeviceInfo> devices(bool with_free_memory = false);

// One line for `neura info` and logs: the devices, or the reason there are none.
std::string describe_devices();

// The caching allocator of one device (as PyTorch's): freed blocks go to size-bucketed free lists and
// are reused, so after a warm-up a training step does not call cudaMalloc.
struct AllocatorStats {
    std::size_t allocated_bytes = 0;       // held by live tensors
    std::size_t reserved_bytes = 0;        // obtained with cudaMalloc (live + cached)
    std::size_t peak_allocated_bytes = 0;
    std::int64_t device_mallocs = 0;       // cudaMalloc calls
    std::int64_t device_frees = 0;         // cudaFree calls (empty_cache, out-of-memory retries)
    std::int64_t cache_hits = 0;           // allocations served from a free list
};
AllocatorStats allocator_stats(int device = 0);
// Returns every cached (free) block to the driver.
void empty_cache();

// Waits until everything queued on `device` (every stream) has finished; errors of earlier kernels
// surface here, naming the device.
void synchronize(Device device);

// Makes a new CUDA stream the current one of this thread for `device` while the scope lives (one per
// training run); kernels, copies and cuBLAS calls of this thread go to it. The destructor waits for the
// stream and restores the previous one. A CPU device makes it a no-op.
class StreamScope {
public:
    explicit StreamScope(Device device);
    ~StreamScope();
    StreamScope(const StreamScope&) = delete;
    StreamScope& operator=(const StreamScope&) = delete;

private:
    Device device_;
    void* stream_ = nullptr;    // cudaStream_t
    void* previous_ = nullptr;  // the stream current before
};

}  // namespace neura::cuda
