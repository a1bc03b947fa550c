// Device discovery, error checks, the current device and stream, cuBLAS handles, and the module's entry
// point (backend/CudaModule.h): the table through which the engine reaches all of it.
#include "backend/cuda/Runtime.h"

#include "backend/CudaModule.h"

#include <array>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <sstream>
#include <string>

#include "neura/core/Error.h"
#include "ops/Kernel.h"

namespace neura {

namespace cuda {
namespace {

constexpr int kMaxDevices = 64;

struct Discovery {
    int count = 0;
    std::string reason;
};

const Discovery& discovery() {
    static const Discovery d = [] {
        Discovery r;
        int n = 0;
        const cudaError_t e = cudaGetDeviceCount(&n);
        if (e != cudaSuccess) {
            (void)cudaGetLastError();  // clear the sticky-free error so later calls start clean
            r.reason = std::string("cudaGetDeviceCount: ") + cudaGetErrorString(e);
            return r;
        }
        r.count = n < kMaxDevices ? n : kMaxDevices;
        if (r.count == 0) r.reason = "no CUDA device found";
        return r;
    }();
    return d;
}

bool sync_after_launch() {
    static const bool on = [] {
        const char* v = std::getenv("NEURA_CUDA_SYNC");
        return v && *v && std::string(v) != "0";
    }();
    return on;
}

const char* cublas_status_name(cublasStatus_t s) {
    switch (s) {
        case CUBLAS_STATUS_SUCCESS: return "CUBLAS_STATUS_SUCCESS";
        case CUBLAS_STATUS_NOT_INITIALIZED: return "CUBLAS_STATUS_NOT_INITIALIZED";
        case CUBLAS_STATUS_ALLOC_FAILED: return "CUBLAS_STATUS_ALLOC_FAILED";
        case CUBLAS_STATUS_INVALID_VALUE: return "CUBLAS_STATUS_INVALID_VALUE";
        case CUBLAS_STATUS_ARCH_MISMATCH: return "CUBLAS_STATUS_ARCH_MISMATCH";
        case CUBLAS_STATUS_MAPPING_ERROR: return "CUBLAS_STATUS_MAPPING_ERROR";
        case CUBLAS_STATUS_EXECUTION_FAILED: return "CUBLAS_STATUS_EXECUTION_FAILED";
        case CUBLAS_STATUS_INTERNAL_ERROR: return "CUBLAS_STATUS_INTERNAL_ERROR";
        case CUBLAS_STATUS_NOT_SUPPORTED: return "CUBLAS_STATUS_NOT_SUPPORTED";
        default: break;
    }
    return "unknown cuBLAS status";
}

// Per thread: the current stream of each device (null: the legacy default stream).
thread_local std::array<cudaStream_t, kMaxDevices> t_streams{};

// Per thread: one cuBLAS handle per device, destroyed when the thread ends.
struct CublasHandles {
    std::array<cublasHandle_t, kMaxDevices> handles{};
    ~CublasHandles() {
        for (int i = 0; i < kMaxDevices; ++i)
            if (handles[i]) {
                DeviceGuard g(i);
                cublasDestroy(handles[i]);
            }
    }
};
thread_local CublasHandles t_cublas;

}  // namespace

void check(cudaError_t e, const char* op, int device) {
    if (e == cudaSuccess) return;
    (void)cudaGetLastError();
    throw Error(detail::concat(op, " on cuda:", device, " failed: ", cudaGetErrorString(e), " (", cudaGetErrorName(e),
                               ")"));
}

void check_cublas(cublasStatus_t status, const char* op, int device) {
    if (status == CUBLAS_STATUS_SUCCESS) return;
    throw Error(detail::concat(op, " on cuda:", device, " failed: cuBLAS returned ", cublas_status_name(status)));
}

void check_launch(cudaError_t e, const char* op, int device) {
    check(e, op, device);
    if (sync_after_launch()) check(cudaStreamSynchronize(current_stream(device)), op, device);
}

DeviceGuard::DeviceGuard(int index) {
    int current = -1;
    if (cudaGetDevice(&current) != cudaSuccess) (void)cudaGetLastError();
    if (current != index) {
        check(cudaSetDevice(index), "cudaSetDevice", index);
        previous_ = current;
    }
}

DeviceGuard::~DeviceGuard() {
    if (previous_ >= 0) (void)cudaSetDevice(previous_);
}

cudaStream_t current_stream(int device) { return t_streams.at(static_cast<std::size_t>(device)); }

cublasHandle_t cublas_handle(int device) {
    cublasHandle_t& h = t_cublas.handles.at(static_cast<std::size_t>(device));
    if (!h) check_cublas(cublasCreate(&h), "cublasCreate", device);
    check_cublas(cublasSetStream(h, current_stream(device)), "cublasSetStream", device);
    return h;
}

// ---------------------------------------------------------------- the module's table
namespace {

int module_device_count() { return discovery().count; }
std::string module_unavailable_reason() { return discovery().reason; }

std::vector<DeviceInfo> module_devices(bool with_free_memory) {
    std::vector<DeviceInfo> out;
    for (int i = 0; i < module_device_count(); ++i) {
        cudaDeviceProp p{};
        if (cudaGetDeviceProperties(&p, i) != cudaSuccess) {
            (void)cudaGetLastError();
            continue;
        }
        DeviceInfo d;
        d.index = i;
        d.name = p.name;
        d.total_memory = p.totalGlobalMem;
        d.compute_major = p.major;
        d.compute_minor = p.minor;
        d.multiprocessors = p.multiProcessorCount;
        if (with_free_memory) {
            DeviceGuard g(i);
            std::size_t free = 0, total = 0;
            if (cudaMemGetInfo(&free, &total) == cudaSuccess) d.free_memory = free;
            else (void)cudaGetLastError();
        }
        out.push_back(d);
    }
    return out;
}

void module_synchronize(int device) {
    DeviceGuard g(device);
    check(cudaDeviceSynchronize(), "synchronize", device);
}

void* module_stream_begin(int device, void** previous) {
    DeviceGuard g(device);
    cudaStream_t s = nullptr;
    // A blocking stream (not cudaStreamNonBlocking): it orders itself with the legacy default stream,
    // which tensors made outside the run and the caching allocator's shared blocks rely on.
    check(cudaStreamCreateWithFlags(&s, cudaStreamDefault), "cudaStreamCreate", device);
    cudaStream_t& slot = t_streams.at(static_cast<std::size_t>(device));
    *previous = slot;
    slot = s;
    return s;
}

void module_stream_end(int device, void* stream, void* previous) {
    auto s = static_cast<cudaStream_t>(stream);
    DeviceGuard g(device);
    const cudaError_t e = cudaStreamSynchronize(s);
    if (e != cudaSuccess) {
        (void)cudaGetLastError();
        std::fprintf(stderr, "neura: a kernel on cuda:%d failed: %s\n", device, cudaGetErrorString(e));
    }
    t_streams.at(static_cast<std::size_t>(device)) = static_cast<cudaStream_t>(previous);
    release_stream_blocks(device, s);
    (void)cudaStreamDestroy(s);
}

bool module_graph_begin(int device) {
    const cudaStream_t s = current_stream(device);
    if (s == nullptr) return false;  // the legacy default stream cannot be captured
    DeviceGuard g(device);
    check(cudaStreamBeginCapture(s, cudaStreamCaptureModeThreadLocal), "cudaStreamBeginCapture", device);
    return true;
}

void* module_graph_end(int device, std::string* error) {
    DeviceGuard g(device);
    cudaGraph_t graph = nullptr;
    cudaError_t e = cudaStreamEndCapture(current_stream(device), &graph);
    cudaGraphExec_t exec = nullptr;
    if (e == cudaSuccess) e = cudaGraphInstantiate(&exec, graph, 0);
    if (graph) (void)cudaGraphDestroy(graph);
    if (e != cudaSuccess) {
        (void)cudaGetLastError();
        if (error) *error = std::string(cudaGetErrorName(e)) + ": " + cudaGetErrorString(e);
        return nullptr;
    }
    return exec;
}

void module_graph_launch(int device, void* exec) {
    DeviceGuard g(device);
    check(cudaGraphLaunch(static_cast<cudaGraphExec_t>(exec), current_stream(device)), "cudaGraphLaunch", device);
}

void module_graph_destroy(void* exec) {
    if (exec) (void)cudaGraphExecDestroy(static_cast<cudaGraphExec_t>(exec));
}

void module_register_backend() {
    set_allocator(DeviceType::CUDA, &caching_allocator());
    register_kernels();
}

}  // namespace

}  // namespace cuda
}  // namespace neura

extern "C" __attribute__((visibility("default"))) const neura::cuda::ModuleApi* neura_cuda_module() {
    using namespace neura::cuda;
    static const ModuleApi api = [] {
        ModuleApi a;
        a.abi = kModuleAbi;
        a.register_backend = &module_register_backend;
        a.device_count = &module_device_count;
        a.unavailable_reason = &module_unavailable_reason;
        a.devices = &module_devices;
        a.allocator_stats = &module_allocator_stats;
        a.empty_cache = &module_empty_cache;
        a.synchronize = &module_synchronize;
        a.stream_begin = &module_stream_begin;
        a.stream_end = &module_stream_end;
        a.graph_begin = &module_graph_begin;
        a.graph_end = &module_graph_end;
        a.graph_launch = &module_graph_launch;
        a.graph_destroy = &module_graph_destroy;
        a.cross_entropy = &module_cross_entropy;
        return a;
    }();
    return &api;
}
