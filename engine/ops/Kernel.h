#pragma once
// The op table: each op owns one Kernel slot per device type ("backends are columns"). The CPU column
// is filled where the op is defined; other backends fill theirs by name (register_kernel) when they are
// first needed. A missing kernel is an error naming the op and the device, never a silent fallback.
#include <array>
#include <atomic>
#include <cstdint>
#include <string>
#include <typeinfo>
#include <vector>

#include "neura/core/Device.h"
#include "neura/core/Error.h"

namespace neura {

// Fills the columns of the device backends built in (the CUDA one when NEURA_WITH_CUDA) once per process;
// the kernel slots and allocators of other device types stay empty without it. Safe to call often.
void load_device_backends();
// Fills every built-in column once per process: the CPU's (backend/cpu/Register.cpp) and the device
// backends' (load_device_backends). Every kernel lookup calls it; after the first call it costs a load.
void load_backends();

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

template <class Fn>
class Kernel : public KernelSlot {
public:
    // Backends fill the columns by name (register_kernel) when first needed; `cpu` is for slots made
    // outside the engine (tests, plugins) that bring their CPU kernel along.
    explicit Kernel(const char* name, Fn* cpu = nullptr) : KernelSlot(name, typeid(Fn)) {
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
