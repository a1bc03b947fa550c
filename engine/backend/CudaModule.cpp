// neura/backend/Cuda.h in every build: without the CUDA backend there are no devices ("built without
// CUDA"); with it, the first question about devices (or the first CUDA tensor) opens libneura_cuda.so
// (backend/CudaModule.h) and everything is forwarded to it. Nothing here links CUDA.
#include "backend/CudaModule.h"

#include <filesystem>
#include <memory>
#include <sstream>

#include "neura/core/Error.h"
#include "neura/plugin/PluginManager.h"
#include "ops/Kernel.h"
#include "plugin/Library.h"

namespace neura {
namespace cuda {
namespace {

namespace fs = std::filesystem;

struct Module {
    const ModuleApi* api = nullptr;
    std::string reason;  // why api is null
    std::shared_ptr<plugin::detail::Library> library;
};

#ifdef NEURA_CUDA_MODULE
// $NEURA_CUDA_MODULE (a file), else beside the plugin folder the programs look in (plugin::install_plugin_dir:
// <prefix>/lib/neurastudio for an installed bin/neura, <build>/lib/neurastudio in a build tree).
fs::path module_path() {
    if (const char* env = std::getenv("NEURA_CUDA_MODULE"); env && *env) return env;
    const fs::path plugins = plugin::install_plugin_dir();
    return plugins.empty() ? fs::path() : plugins.parent_path() / kModuleFile;
}

Module open_module() {
    Module m;
    const fs::path path = module_path();
    std::error_code ec;
    if (path.empty() || !fs::is_regular_file(path, ec)) {
        m.reason = "the CUDA module " + (path.empty() ? std::string(kModuleFile) : path.string()) +
                   " is not installed";
        return m;
    }
    // As a plugin is opened (RTLD_NOW: a module that does not fit this program fails here, naming the
    // symbol it misses).
    std::string error;
    std::shared_ptr<plugin::detail::Library> library = plugin::detail::Library::open(path.string(), error);
    if (!library) {
        m.reason = "the CUDA module " + path.string() + " cannot be loaded: " + error;
        return m;
    }
    using Entry = const ModuleApi* (*)();
    auto entry = reinterpret_cast<Entry>(library->symbol(kModuleEntry));
    const ModuleApi* api = entry ? entry() : nullptr;
    if (!api || api->abi != kModuleAbi) {
        std::ostringstream os;
        os << "the CUDA module " << path.string() << " does not fit this program (";
        if (api) os << "its ABI is " << api->abi << ", this program's " << kModuleAbi << ")";
        else os << "no " << kModuleEntry << "())";
        m.reason = os.str();
        return m;  // closed with `library`
    }
    api->register_backend();
    m.api = api;
    m.library = std::move(library);  // open for the life of the process (module() is never destroyed)
    return m;
}
#endif

// Never destroyed, so the module stays mapped: its allocator may still free blocks of tensors in static
// storage after the end of main().
const Module& module() {
    static const Module* m = [] {  // a magic static: opened once per process, thread-safe
#ifdef NEURA_CUDA_MODULE
        return new Module(open_module());
#else
        auto* none = new Module;
        none->reason = "built without CUDA";
        return none;
#endif
    }();
    return *m;
}

}  // namespace

const ModuleApi* loaded_module() { return module().api; }

bool built_with_cuda() {
#ifdef NEURA_CUDA_MODULE
    return true;
#else
    return false;
#endif
}

int device_count() {
    const Module& m = module();
    return m.api ? m.api->device_count() : 0;
}

std::string unavailable_reason() {
    const Module& m = module();
    return m.api ? m.api->unavailable_reason() : m.reason;
}

std::string DeviceInfo::str() const {
    std::ostringstream os;
    os << "cuda:" << index << " " << name << " (sm_" << compute_major << compute_minor << ", ";
    os.precision(1);
    os << std::fixed << static_cast<double>(total_memory) / (1024.0 * 1024.0 * 1024.0) << " GiB)";
    return os.str();
}

std::vector<DeviceInfo> devices(bool with_free_memory) {
    const Module& m = module();
    return m.api ? m.api->devices(with_free_memory) : std::vector<DeviceInfo>{};
}

std::string describe_devices() {
    if (device_count() == 0) return "CUDA: none (" + unavailable_reason() + ")";
    std::string s = "CUDA:";
    for (const auto& d : devices()) s += " " + d.str() + ";";
    s.pop_back();
    return s;
}

AllocatorStats allocator_stats(int device) {
    const Module& m = module();
    return m.api ? m.api->allocator_stats(device) : AllocatorStats{};
}

void empty_cache() {
    if (const Module& m = module(); m.api) m.api->empty_cache();
}

void synchronize(Device d) {
    check_device(d);
    if (d.type == DeviceType::CPU) return;
    module().api->synchronize(d.index);
}

StreamScope::StreamScope(Device device) : device_(device) {
    check_device(device);
    if (device.type == DeviceType::CPU) return;
    stream_ = module().api->stream_begin(device.index, &previous_);
}

StreamScope::~StreamScope() {
    if (stream_) module().api->stream_end(device_.index, stream_, previous_);
}

}  // namespace cuda

void load_device_backends() { (void)cuda::module(); }

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
