#pragma once
// The op table: each op owns one Kernel slot per device type ("backends are columns"). The CPU column
// is filled where the op is defined; other backends fill theirs by name at start-up. A missing kernel
// is an error naming the op and the device, never a silent fallback.
#include <array>
#include <string>
#include <vector>

#include "neura/core/Device.h"
#include "neura/core/Error.h"

namespace neura {

class KernelSlot {
public:
    explicit KernelSlot(const char* name);
    const char* name() const { return name_; }
    bool has(DeviceType t) const { return table_[static_cast<int>(t)] != nullptr; }
    void set(DeviceType t, void* fn) { table_[static_cast<int>(t)] = fn; }

protected:
    void* raw(Device d) const {
        void* fn = table_[static_cast<int>(d.type)];
        NEURA_CHECK(fn, "op '", name_, "' has no kernel for device ", d.str());
        return fn;
    }

private:
    const char* name_;
    std::array<void*, kNumDeviceTypes> table_{};
};

template <class Fn>
class Kernel : public KernelSlot {
public:
    Kernel(const char* name, Fn* cpu) : KernelSlot(name) { set(DeviceType::CPU, reinterpret_cast<void*>(cpu)); }
    Fn* operator()(Device d) const { return reinterpret_cast<Fn*>(raw(d)); }
};

// Every kernel slot, in registration order (for backends filling their column, and for tests).
std::vector<KernelSlot*>& kernel_registry();
KernelSlot* find_kernel(const std::string& name);

}  // namespace neura
