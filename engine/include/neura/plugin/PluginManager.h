#pragma once
// PluginManager: finds plugin libraries, checks them, and loads their layer types into a
// LayerRegistry (no Qt: the `neura` tool, the studio and the tests share it).
//
// For each library file, in this order, stopping at the first problem with a reason in plain words:
//   1. the ABI stamp read from the file (API version and build tag, neura/plugin/PluginApi.h) —
//      before dlopen(), so a mismatched plugin runs no code at all;
//   2. dlopen (RTLD_NOW: an undefined symbol is named now), then the four entry points (each missing
//      one named), whose API version and build tag must match too;
//   3. neura_plugin_info(): a name (unique among loaded plugins) and a version;
//   4. neura_plugin_register() into a fresh registry; an exception of any kind refuses the plugin;
//   5. its layer types must be new to the registry;
//   6. each layer is gradient-checked (train::check_layer_type: F64, small random inputs); a failure
//      marks the layer (LayerDescriptor::check), it does not refuse the plugin;
//   7. all its layers are added to the registry at once (LayerRegistry::add_all): all or none.
// Nothing here throws for a bad plugin: it is listed in refused() and the program goes on.
//
// Loaded layers carry their plugin's name and version (LayerDescriptor::plugin, plugin_version).
// Their callbacks are wrapped: an exception that is not a neura::Error becomes one naming the plugin,
// and every descriptor copy and every module built from the layer keeps the library mapped, so
// unloading (reload without restart) never pulls code from under a live network: the library
// closes when the last of them is gone.
#include <cstddef>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "neura/graph/LayerDescriptor.h"
#include "neura/graph/LayerRegistry.h"

namespace neura::plugin {

// This build's plugin API version and build tag (NEURA_PLUGIN_API_VERSION, NEURA_PLUGIN_BUILD_TAG).
int api_version();
const char* build_tag();

// The folders searched by default, in this order: each entry of the NEURA_PLUGIN_PATH environment
// variable (colon-separated; an entry may also name one library file), the user's plugin folder and
// the installation's. Folders that do not exist are skipped when loading.
std::vector<std::filesystem::path> default_search_path();
// $XDG_DATA_HOME/NeuraStudio/plugins, or ~/.local/share/NeuraStudio/plugins; empty without a home.
std::filesystem::path user_plugin_dir();
// <folder of the running program>/../lib/neurastudio/plugins: <prefix>/lib/neurastudio/plugins
// for an installed bin/neura, <build>/lib/neurastudio/plugins in a build tree (the examples).
std::filesystem::path install_plugin_dir();

struct LayerInfo {
    std::string type, category;
    graph::LayerCheck check = graph::LayerCheck::NotChecked;
    std::string check_message;
    double check_ms = 0;  // time of its gradient check
};

struct PluginInfo {
    std::string name, version, description;
    std::string path;  // the library file
    std::vector<LayerInfo> layers;
    double load_ms = 0;   // stamp, dlopen, entry points, registration (without the checks)
    double check_ms = 0;  // the gradient checks of all its layers
};

struct RefusedPlugin {
    std::string path;
    std::string reason;  // "built for plugin API 0; this NeuraStudio loads API 1 (...)"
};

class PluginManager {
public:
    // The program's plugins, over LayerRegistry::instance(); never destroyed (descriptors and
    // modules may outlive static destruction order).
    static PluginManager& instance();

    explicit PluginManager(graph::LayerRegistry& registry);
    ~PluginManager();  // unloads every plugin
    PluginManager(const PluginManager&) = delete;
    PluginManager& operator=(const PluginManager&) = delete;

    // Loads every library (*.so) in the given folders (not their subfolders; in name order) and the
    // given files, skipping files already loaded. Returns how many plugins loaded now.
    std::size_t load(const std::vector<std::filesystem::path>& paths);
    std::size_t load_default() { return load(default_search_path()); }
    // One library file: true when it loaded (or was loaded already); otherwise refused() says why.
    bool load_file(const std::filesystem::path& file);

    // Removes every plugin's layers from the registry and lets go of the libraries (each closes
    // when no descriptor copy or module of it is left). Returns how many plugins were unloaded.
    std::size_t unload_all();
    // unload_all(), forget the refusals, and load the paths loaded before again (in their order).
    std::size_t reload();

    std::vector<PluginInfo> loaded() const;
    std::vector<RefusedPlugin> refused() const;
    std::vector<std::filesystem::path> searched() const;  // the paths given to load(), in order, once each
    // Modules built from the loaded plugins' layers that are alive now (networks, training runs).
    long live_modules() const;

private:
    struct Plugin;
    bool load_one(const std::filesystem::path& file);  // with mutex_ held
    void refuse(const std::filesystem::path& file, std::string reason);

    graph::LayerRegistry& registry_;
    mutable std::recursive_mutex mutex_;
    std::vector<std::unique_ptr<Plugin>> plugins_;
    std::vector<RefusedPlugin> refused_;
    std::vector<std::filesystem::path> searched_;
};

}  // namespace neura::plugin
