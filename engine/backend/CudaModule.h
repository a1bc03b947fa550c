#pragma once
// The CUDA backend is a module of its own, libneura_cuda.so (backend/cuda/), opened with dlopen the
// first time a CUDA device is listed or used (backend/CudaModule.cpp): a program that never asks for a
// GPU maps nothing of CUDA (cuBLAS alone costs a start-up of ~0.5 s and ~200 MiB). The module is not
// linked against the engine: like a plugin, it resolves the engine's symbols against the program that
// opens it (neura_enable_plugins in engine/CMakeLists.txt), and hands back this table.
#include <string>
#include <vector>

#include "neura/backend/Cuda.h"

namespace neura::cuda {

// Bumped whenever the table, or an engine type or kernel signature the module relies on, changes; a
// module of another ABI is refused with that reason.
inline constexpr int kModuleAbi = 1;
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
};

}  // namespace neura::cuda

// The module's one exported entry point.
extern "C" const neura::cuda::ModuleApi* neura_cuda_module();
