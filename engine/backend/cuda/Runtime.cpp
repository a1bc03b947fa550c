// Device discovery, error checks, the current device and stream, cuBLAS handles, and the hook that fills
// the CUDA column of the op table (load_device_backends).
#include "backend/cuda/Runtime.h"

#include <array>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <sstream>
#include <string>

#include "neura/core/Error.h"
#include "ops/Kernel.h"

namespace neura {

void load_device_backends() {
    // Once per process (a magic static): the allocator and every CUDA kernel, by op name. Needs no GPU.
    static const bool loaded = [] {
        set_allocator(DeviceType::CUDA, &cuda::caching_allocator());
        cuda::register_kernels();
        return true;
    }();
    (void)loaded;
}

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

// ---------------------------------------------------------------- public API (neura/backend/Cuda.h)
bool built_with_cuda() { return true; }
int device_count() { return discovery().count; }
std::string unavailable_reason() { return discovery().reason; }

std::string DeviceInfo::str() const {
    std::ostringstream os;
    os << "cuda:" << index << " " << name << " (sm_" << compute_major << compute_minor << ", ";
    os.precision(1);
    os << std::fixed << static_cast<double>(total_memory) / (1024.0 * 1024.0 * 1024.0) << " GiB)";
    return os.str();
}

std::vector<DeviceInfo> devices(bool with_free_memory) {
    std::vector<DeviceInfo> out;
    for (int i = 0; i < device_count(); ++i) {
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

std::string describe_devices() {
    if (device_count() == 0) return "CUDA: none (" + unavailable_reason() + ")";
    std::string s = "CUDA:";
    for (const auto& d : devices()) s += " " + d.str() + ";";
    s.pop_back();
    return s;
}

void synchronize(Device d) {
    check_device(d);
    if (d.type == DeviceType::CPU) return;
    DeviceGuard g(d.index);
    check(cudaDeviceSynchronize(), "synchronize", d.index);
}

StreamScope::StreamScope(Device device) : device_(device) {
    check_device(device);
    if (device.type == DeviceType::CPU) return;
    DeviceGuard g(device.index);
    cudaStream_t s = nullptr;
    // A blocking stream (not cudaStreamNonBlocking): it orders itself with the legacy default stream,
    // which tensors made outside the run and the caching allocator's shared blocks rely on.
    check(cudaStreamCreateWithFlags(&s, cudaStreamDefault), "cudaStreamCreate", device.index);
    cudaStream_t& slot = t_streams.at(static_cast<std::size_t>(device.index));
    previous_ = slot;
    slot = s;
    stream_ = s;
}

StreamScope::~StreamScope() {
    if (!stream_) return;
    auto s = static_cast<cudaStream_t>(stream_);
    DeviceGuard g(device_.index);
    const cudaError_t e = cudaStreamSynchronize(s);
    if (e != cudaSuccess) {
        (void)cudaGetLastError();
        std::fprintf(stderr, "neura: a kernel on cuda:%d failed: %s\n", device_.index, cudaGetErrorString(e));
    }
    t_streams.at(static_cast<std::size_t>(device_.index)) = static_cast<cudaStream_t>(previous_);
    release_stream_blocks(device_.index, s);
    (void)cudaStreamDestroy(s);
}

}  // namespace cuda

void check_device(Device d) {
    if (d.type == DeviceType::CPU) return;
    const int n = cuda::device_count();
    if (n == 0) throw Error("device " + d.str() + " is not available: " + cuda::unavailable_reason());
    if (d.index < 0 || d.index >= n)
        throw Error(detail::concat("device ", d.str(), " is not available: there ", n == 1 ? "is" : "are", " ", n,
                                   " CUDA device", n == 1 ? "" : "s", " (cuda:0", n > 1 ? " to cuda:" : "",
                                   n > 1 ? std::to_string(n - 1) : std::string(), ")"));
}

}  // namespace neura
