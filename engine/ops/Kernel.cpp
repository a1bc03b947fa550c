#include "ops/Kernel.h"

namespace neura {

std::vector<KernelSlot*>& kernel_registry() {
    static std::vector<KernelSlot*> r;
    return r;
}

KernelSlot::KernelSlot(const char* name) : name_(name) { kernel_registry().push_back(this); }

KernelSlot* find_kernel(const std::string& name) {
    for (auto* k : kernel_registry())
        if (name == k->name()) return k;
    return nullptr;
}

}  // namespace neura
