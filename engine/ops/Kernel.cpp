#include "ops/Kernel.h"

#include <algorithm>

namespace neura {

namespace cpu {
void register_kernels();  // backend/cpu/Register.cpp
}

void load_backends() {
    static const bool loaded = [] {  // a magic static: once per process, thread-safe
        cpu::register_kernels();  // the device columns fill when their module opens (load_device_backends)
        return true;
    }();
    (void)loaded;
}

std::vector<KernelSlot*>& kernel_registry() {
    static std::vector<KernelSlot*> r;
    return r;
}

KernelSlot::KernelSlot(const char* name, const std::type_info& signature) : name_(name), signature_(&signature) {
    kernel_registry().push_back(this);
}

KernelSlot::~KernelSlot() {
    auto& r = kernel_registry();
    r.erase(std::remove(r.begin(), r.end(), this), r.end());
}

KernelSlot* find_kernel(const std::string& name) {
    for (auto* k : kernel_registry())
        if (name == k->name()) return k;
    return nullptr;
}

}  // namespace neura
