#pragma once
// The CUDA backend is a module of its own, libneura_cuda.so (backend/cuda/), opened with dlopen the
// first time a CUDA device is listed or used (backend/CudaModule.cpp): a program that never asks for a
// GPU maps nothing of CUDA (cuBLAS alone costs a start-up of ~0.5 s and ~200 MiB). The module is not
// linked against the engine: like a plugin, it resolves the engine's symbols against the program that
// opens it (neura_enable_plugins in engine/CMakeLists.txt), and hands back this table.
#include <cstdint>
#include <string>
#include <vector>

#include "neura/core/Tensor.h"

#include "neura/backend/Cuda.h"

namespace neura::cuda {

// Bumped whenever the table, or an engine type or kernel signature the module relies on, changes; a
// module of another ABI is refused with that reason.
inline constexpr int kModuleAbi = 2;
inline constexpr const char* kModuleEntry = "neura_cuda_module";
inline constexpr const char* kModuleFile = "libneura_cuda.so";

struct ModuleApi {
    int abi = 0;
    // Puts the caching allocator and every CUDA kernel into the engine's tables (needs no GPU).
    void (*register_backend)() = nullptr;
    int (*device_count)() = nullptr;
    std::string (*unavailable_reason)() = nullptr;
    std::vector<DeviceInfo> (*devices)(bool with_free_memory) = nullptr;
    AllocatorStats (*allocator_stats)(int device) = nullptr;
    void (*empty_cache)() = nullptr;
    void (*synchronize)(int device) = nullptr;
    // StreamScope: a new stream made this thread's current one on `device` (the one before in *previous),
    // and its end (waits for it, restores the previous one).
    void* (*stream_begin)(int device, void** previous) = nullptr;
    void (*stream_end)(int device, void* stream, void* previous) = nullptr;
    // CUDA graphs (the training plan's steady-state step): capture of this thread's current stream on
    // `device` (false when it cannot be captured: the legacy default stream), its end (an executable graph,
    // or null with the reason in *error), a launch on the current stream, and the graph's destruction.
    bool (*graph_begin)(int device) = nullptr;
    void* (*graph_end)(int device, std::string* error) = nullptr;
    void (*graph_launch)(int device, void* exec) = nullptr;
    void (*graph_destroy)(void* exec) = nullptr;
    // The training plan's fused CrossEntropyLoss (ops/Fused.h): logits [N, C], target I64 [N], the 0-d loss,
    // grad [N, C], scratch `rows` of 3 N + 1 elements, `flag` I64 [1] set to 1 by a target out of range.
    void (*cross_entropy)(const Tensor& logits, const Tensor& target, const Tensor& loss, const Tensor& grad,
                          const Tensor& rows, const Tensor& flag, std::int64_t ignore_index) = nullptr;
};

// The loaded module's table, or null (no CUDA build, no module, or it does not fit): for the engine's own
// users of the additions above (ops/Fused.cpp, plan/).
const ModuleApi* loaded_module();

}  // namespace neura::cuda

// The module's one exported entry point.
extern "C" const neura::cuda::ModuleApi* neura_cuda_module();
