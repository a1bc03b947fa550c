// A build without the CUDA backend (NEURA_WITH_CUDA off or no toolkit found): no devices, and the
// reason says so. The op table's CUDA column stays empty; to(cuda:N) fails in check_device().
#include "neura/backend/Cuda.h"
#include "neura/core/Error.h"
#include "ops/Kernel.h"

namespace neura {

void load_device_backends() {}

void check_device(Device d) {
    if (d.type == DeviceType::CPU) return;
    throw Error("device " + d.str() + " is not available: built without CUDA");
}

namespace cuda {

namespace {
constexpr const char* kReason = "built without CUDA";
}

bool built_with_cuda() { return false; }
int device_count() { return 0; }
std::string unavailable_reason() { return kReason; }
std::string DeviceInfo::str() const { return "cuda:" + std::to_string(index) + " " + name; }
std::vector<DeviceInfo> devices(bool) { return {}; }
std::string describe_devices() { return std::string("CUDA: none (") + kReason + ")"; }
AllocatorStats allocator_stats(int) { return {}; }
void empty_cache() {}
void synchronize(Device d) { check_device(d); }

StreamScope::StreamScope(Device device) : device_(device) { check_device(device); }
StreamScope::~StreamScope() = default;

}  // namespace cuda
}  // namespace neura
