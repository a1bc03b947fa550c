#pragma once
// The op table: each op owns one DispatchSlot, with one column per device type ("backends are
// columns"). A slot holds no kernel of its own: every backend, the CPU's included, puts its kernels into
// the slots by name (register_kernel) from its folder under backend/, once per process (load_backends).
// A missing kernel is an error naming the op and the device, never a silent fallback.
#include <array>
#include <atomic>
#include <cstdint>
#include <string>
#include <typeinfo>
#include <vector>

#include "neura/core/Device.h"
#include "neura/core/Error.h"

namespace neura {

// Opens the device backends' modules (libneura_cuda.so when built with CUDA: backend/CudaModule.h) once
// per process; opening one fills its column of every slot and its allocator. Called when a device
// tensor is first allocated or devices are first listed, never for CPU work. Safe to call often.
void load_device_backends();
// Fills the CPU column once per process (backend/cpu/Register.cpp). Every kernel lookup calls it; after
// the first call it costs a load.
void load_backends();

// The untyped part of a dispatch slot: its name, its kernel type and its columns.
class KernelSlot {
public:
    KernelSlot(const char* name, const std::type_info& signature);
    ~KernelSlot();  // leaves the registry (slots are static, but tests make short-lived ones)
    KernelSlot(const KernelSlot&) = delete;
    KernelSlot& operator=(const KernelSlot&) = delete;
    const char* name() const { return name_; }
    const std::type_info& signature() const { return *signature_; }
    bool has(DeviceType t) const {
        load_backends();
        return table_[static_cast<int>(t)] != nullptr;
    }
    // How many times a kernel of this slot was looked up for a call, on any device (relaxed counter):
    // the op table's coverage test runs every case and requires every slot to have been reached.
    std::uint64_t dispatches() const { return dispatches_.load(std::memory_order_relaxed); }
    // Untyped; prefer register_kernel(), which checks the function type.
    void set(DeviceType t, void* fn) { table_[static_cast<int>(t)] = fn; }

protected:
    void* raw(Device d) const {
        load_backends();
        void* fn = table_[static_cast<int>(d.type)];
        dispatches_.fetch_add(1, std::memory_order_relaxed);
        NEURA_CHECK(fn, "op '", name_, "' has no kernel for device ", d.str());
        return fn;
    }

private:
    const char* name_;
    const std::type_info* signature_;
    std::array<void*, kNumDeviceTypes> table_{};
    mutable std::atomic<std::uint64_t> dispatches_{0};
};

// A dispatch slot for kernels of type Fn (ops/KernelSignatures.h): slot(device) is the kernel to call.
template <class Fn>
class DispatchSlot : public KernelSlot {
public:
    // Backends fill the columns by name (register_kernel) when first needed; `cpu` is for slots made
    // outside the engine (tests, plugins) that bring their CPU kernel along.
    explicit DispatchSlot(const char* name, Fn* cpu = nullptr) : KernelSlot(name, typeid(Fn)) {
        if (cpu) set(DeviceType::CPU, reinterpret_cast<void*>(cpu));
    }
    Fn* operator()(Device d) const { return reinterpret_cast<Fn*>(raw(d)); }
};

// Every kernel slot, in registration order (for backends filling their column, and for tests).
std::vector<KernelSlot*>& kernel_registry();
KernelSlot* find_kernel(const std::string& name);

// Puts `fn` into the `device` column of the slot called `name`; throws when no slot has that name or
// its function type is not Fn (a backend out of step with the op table).
template <class Fn>
void register_kernel(const char* name, DeviceType device, Fn* fn) {
    KernelSlot* slot = find_kernel(name);
    NEURA_CHECK(slot, "register_kernel: no op '", name, "' in the op table");
    NEURA_CHECK(slot->signature() == typeid(Fn), "register_kernel: the kernel given for op '", name,
                "' does not have the op's kernel signature");
    slot->set(device, reinterpret_cast<void*>(fn));
}

}  // namespace neura
