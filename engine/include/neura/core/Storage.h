#pragma once
#include <atomic>
#include <functional>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "neura/core/Device.h"

namespace neura {

// Allocates and frees raw memory for one device type; `device` says which device of that type.
// CPU memory is 64-byte aligned.
class Allocator {
public:
    virtual ~Allocator() = default;
    virtual void* allocate(std::size_t nbytes, Device device) = 0;
    virtual void deallocate(void* p, std::size_t nbytes, Device device) = 0;
};

Allocator& cpu_allocator();
// Registered by a device backend when it is loaded (load_device_backends); nullptr when that backend is
// not built.
Allocator* allocator_for(Device d);
void set_allocator(DeviceType t, Allocator* a);

// A ref-counted buffer. Its version counter is shared by every tensor that views it, so an in-place
// write through any view is seen by autograd's saved-tensor checks.
class StorageImpl {
public:
    StorageImpl(std::size_t nbytes, Device device);
    // Memory owned by someone else (a NumPy array, a DLPack producer's tensor; PyTorch's from_blob):
    // `release` runs once when the last tensor viewing it is gone, and tells the owner.
    StorageImpl(void* data, std::size_t nbytes, Device device, std::function<void()> release);
    ~StorageImpl();
    StorageImpl(const StorageImpl&) = delete;
    StorageImpl& operator=(const StorageImpl&) = delete;

    void* data() const { return data_; }
    std::size_t nbytes() const { return nbytes_; }
    Device device() const { return device_; }
    std::uint32_t version() const { return version_.load(std::memory_order_relaxed); }
    void bump_version() { version_.fetch_add(1, std::memory_order_relaxed); }

private:
    void* data_ = nullptr;
    std::size_t nbytes_ = 0;
    Device device_;
    Allocator* allocator_ = nullptr;
    std::function<void()> release_;  // set for memory owned elsewhere
    std::atomic<std::uint32_t> version_{0};
};

using Storage = std::shared_ptr<StorageImpl>;

}  // namespace neura
