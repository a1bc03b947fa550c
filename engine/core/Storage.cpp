#include "neura/core/Storage.h"

#include <cstdlib>
#include <new>

#include "neura/core/Error.h"

namespace neura {
namespace {

class CpuAllocator final : public Allocator {
public:
    void* allocate(std::size_t nbytes) override {
        if (nbytes == 0) return nullptr;
        const std::size_t rounded = (nbytes + 63) / 64 * 64;
        void* p = std::aligned_alloc(64, rounded);
        if (!p) throw Error("out of memory: could not allocate " + std::to_string(nbytes) + " bytes on cpu");
        return p;
    }
    void deallocate(void* p, std::size_t) override { std::free(p); }
};

Allocator* g_allocators[kNumDeviceTypes] = {&cpu_allocator(), nullptr};

}  // namespace

Allocator& cpu_allocator() {
    static CpuAllocator a;
    return a;
}

Allocator* allocator_for(Device d) { return g_allocators[static_cast<int>(d.type)]; }

void set_allocator(DeviceType t, Allocator* a) { g_allocators[static_cast<int>(t)] = a; }

StorageImpl::StorageImpl(std::size_t nbytes, Device device) : nbytes_(nbytes), device_(device) {
    allocator_ = allocator_for(device);
    NEURA_CHECK(allocator_, "device ", device.str(), " is not available in this build");
    data_ = allocator_->allocate(nbytes);
}

StorageImpl::~StorageImpl() {
    if (data_) allocator_->deallocate(data_, nbytes_);
}

}  // namespace neura
