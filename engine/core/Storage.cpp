#include "neura/core/Storage.h"

#include <cstdlib>
#include <mutex>
#include <new>
#include <unordered_map>
#include <vector>

#include "neura/core/Error.h"
#include "ops/Kernel.h"  // load_device_backends

// clang says so with __has_feature, GCC with __SANITIZE_ADDRESS__.
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define NEURA_HAS_ASAN 1
#endif
#endif
#ifndef NEURA_HAS_ASAN
#define NEURA_HAS_ASAN 0
#endif

namespace neura {
namespace {

// Aligned blocks from the C heap, kept when freed and handed out again for the same size (rounded to
// 64 bytes, 4 KiB from 64 KiB on): a training step allocates the same activations and gradients every
// time. Giving big blocks back to the system costs a page fault per 4 KiB on the next step (a fifth of a
// small CNN's step time before this cache); small ones cost malloc's own bookkeeping (aligned_alloc,
// free and consolidation were 30% of a tiny MLP's step, W3). At most kMaxCached bytes are kept. Under
// AddressSanitizer nothing is kept, so every use after free is still caught.
class CpuAllocator final : public Allocator {
public:
    ~CpuAllocator() override {
        for (auto& [size, blocks] : cache_)
            for (void* p : blocks) std::free(p);
    }

    void* allocate(std::size_t nbytes, Device) override {
        if (nbytes == 0) return nullptr;
        const std::size_t rounded = round(nbytes);
        if (cacheable(rounded)) {
            std::lock_guard lock(mutex_);
            auto it = cache_.find(rounded);
            if (it != cache_.end() && !it->second.empty()) {
                void* p = it->second.back();
                it->second.pop_back();
                cached_ -= rounded;
                return p;
            }
        }
        void* p = std::aligned_alloc(64, rounded);
        if (!p) {
            release_cache();  // what is kept may be what is missing
            p = std::aligned_alloc(64, rounded);
        }
        if (!p) throw Error("out of memory: could not allocate " + std::to_string(nbytes) + " bytes on cpu");
        return p;
    }

    void deallocate(void* p, std::size_t nbytes, Device) override {
        const std::size_t rounded = round(nbytes);
        if (p && cacheable(rounded)) {
            std::lock_guard lock(mutex_);
            if (cached_ + rounded <= kMaxCached) {
                cache_[rounded].push_back(p);
                cached_ += rounded;
                return;
            }
        }
        std::free(p);
    }

private:
    static constexpr std::size_t kPageRounded = 64 * 1024;
    static constexpr std::size_t kMaxCached = 256u * 1024 * 1024;

    static std::size_t round(std::size_t n) {
        return n >= kPageRounded ? (n + 4095) / 4096 * 4096 : (n + 63) / 64 * 64;
    }
    static bool cacheable(std::size_t rounded) {
#if defined(__SANITIZE_ADDRESS__) || NEURA_HAS_ASAN
        (void)rounded;
        return false;
#else
        return rounded > 0;
#endif
    }
    void release_cache() {
        std::lock_guard lock(mutex_);
        for (auto& [size, blocks] : cache_)
            for (void* p : blocks) std::free(p);
        cache_.clear();
        cached_ = 0;
    }

    std::mutex mutex_;
    std::unordered_map<std::size_t, std::vector<void*>> cache_;
    std::size_t cached_ = 0;
};

Allocator* g_allocators[kNumDeviceTypes] = {&cpu_allocator(), nullptr};

}  // namespace

Allocator& cpu_allocator() {
    static CpuAllocator a;
    return a;
}

Allocator* allocator_for(Device d) {
    if (d.type != DeviceType::CPU) load_device_backends();
    return g_allocators[static_cast<int>(d.type)];
}

void set_allocator(DeviceType t, Allocator* a) { g_allocators[static_cast<int>(t)] = a; }

StorageImpl::StorageImpl(std::size_t nbytes, Device device) : nbytes_(nbytes), device_(device) {
    allocator_ = allocator_for(device);
    if (!allocator_) check_device(device);  // names the reason: "device cuda:0 is not available: ..."
    NEURA_CHECK(allocator_, "device ", device.str(), " is not available in this build");
    data_ = allocator_->allocate(nbytes, device);
}

StorageImpl::StorageImpl(void* data, std::size_t nbytes, Device device, std::function<void()> release)
    : data_(data), nbytes_(nbytes), device_(device), release_(std::move(release)) {}

StorageImpl::~StorageImpl() {
    if (release_) {
        release_();
    } else if (data_) {
        allocator_->deallocate(data_, nbytes_, device_);
    }
}

}  // namespace neura
