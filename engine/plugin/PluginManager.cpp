#include "neura/plugin/PluginManager.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <cstring>

#include "neura/core/Error.h"
#include "neura/nn/Module.h"
#include "neura/onnx/NodeExporter.h"
#include "neura/plugin/PluginApi.h"
#include "neura/train/LayerGradcheck.h"
#include "plugin/ElfStamp.h"
#include "plugin/Library.h"

namespace neura::plugin {

namespace fs = std::filesystem;
using detail::Library;
using neura::detail::concat;

int api_version() { return NEURA_PLUGIN_API_VERSION; }
const char* build_tag() { return NEURA_PLUGIN_BUILD_TAG; }

// ---------------------------------------------------------------- where plugins are

fs::path user_plugin_dir() {
    const char* xdg = std::getenv("XDG_DATA_HOME");
    if (xdg && *xdg == '/') return fs::path(xdg) / "NeuraStudio" / "plugins";
    const char* home = std::getenv("HOME");
    if (home && *home) return fs::path(home) / ".local" / "share" / "NeuraStudio" / "plugins";
    return {};
}

fs::path install_plugin_dir() {
    std::error_code ec;
    const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    if (ec || exe.empty()) return {};
    return (exe.parent_path() / ".." / "lib" / "neurastudio" / "plugins").lexically_normal();
}

std::vector<fs::path> default_search_path() {
    std::vector<fs::path> out;
    auto add = [&](const fs::path& p) {
        if (!p.empty() && std::find(out.begin(), out.end(), p) == out.end()) out.push_back(p);
    };
    if (const char* env = std::getenv("NEURA_PLUGIN_PATH")) {
        const std::string s = env;
        std::size_t start = 0;
        while (start <= s.size()) {
            const std::size_t colon = std::min(s.find(':', start), s.size());
            add(fs::path(s.substr(start, colon - start)));
            start = colon + 1;
        }
    }
    add(user_plugin_dir());
    add(install_plugin_dir());
    return out;
}

// ---------------------------------------------------------------- wrapping a plugin's layers

namespace {

using Clock = std::chrono::steady_clock;
double ms_since(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

// One of a plugin's callbacks with the library its code lives in. Members are destroyed in reverse
// order: the callback (plugin code) before the library reference.
template <class Fn>
struct Pinned {
    std::shared_ptr<Library> library;
    Fn fn;
    std::string plugin, type;
};

template <class Fn>
std::shared_ptr<const Pinned<Fn>> pin(const std::shared_ptr<Library>& lib, Fn fn, const graph::LayerDescriptor& d) {
    return std::make_shared<const Pinned<Fn>>(Pinned<Fn>{lib, std::move(fn), d.plugin, d.type});
}

// Calls into the plugin; an exception other than neura::Error becomes one naming the plugin.
template <class Call>
auto guarded(const std::string& plugin, const std::string& type, const char* what, Call&& call) -> decltype(call()) {
    try {
        return call();
    } catch (const Error&) {
        throw;
    } catch (const std::exception& e) {
        throw Error(concat("plugin ", plugin, ": the ", what, " of ", type, " failed: ", e.what()));
    } catch (...) {
        throw Error(concat("plugin ", plugin, ": the ", what, " of ", type, " threw an exception that is not a std::exception"));
    }
}

// A module a plugin built, holding its library: the module is destroyed first.
struct PinnedModule {
    std::shared_ptr<Library> library;
    std::shared_ptr<nn::Module> module;
    PinnedModule(std::shared_ptr<Library> lib, std::shared_ptr<nn::Module> m) : library(std::move(lib)), module(std::move(m)) {
        ++library->live_modules;
    }
    ~PinnedModule() {
        module.reset();
        --library->live_modules;
    }
    PinnedModule(const PinnedModule&) = delete;
    PinnedModule& operator=(const PinnedModule&) = delete;
};

graph::LayerDescriptor wrap(graph::LayerDescriptor d, const std::shared_ptr<Library>& lib, const std::string& plugin,
                            const std::string& version) {
    d.plugin = plugin;
    d.plugin_version = version;
    d.check = graph::LayerCheck::NotChecked;
    d.check_message.clear();
    if (d.shape) {
        auto p = pin(lib, std::move(d.shape), d);
        d.shape = [p](const graph::AttributeMap& a, const std::vector<Shape>& in) {
            return guarded(p->plugin, p->type, "shape rule", [&] { return p->fn(a, in); });
        };
    }
    if (d.parameter_count) {
        auto p = pin(lib, std::move(d.parameter_count), d);
        d.parameter_count = [p](const graph::AttributeMap& a, const std::vector<Shape>& in) {
            return guarded(p->plugin, p->type, "parameter count", [&] { return p->fn(a, in); });
        };
    }
    if (d.build) {
        auto p = pin(lib, std::move(d.build), d);
        d.build = [p](const graph::AttributeMap& a, const std::vector<Shape>& in,
                      Generator& gen) -> std::shared_ptr<nn::Module> {
            std::shared_ptr<nn::Module> m = guarded(p->plugin, p->type, "builder", [&] { return p->fn(a, in, gen); });
            if (!m) return m;
            nn::Module* raw = m.get();
            auto holder = std::make_shared<PinnedModule>(p->library, std::move(m));
            return std::shared_ptr<nn::Module>(holder, raw);  // shares the holder's lifetime
        };
    }
    if (d.onnx) {
        auto p = pin(lib, std::move(d.onnx), d);
        d.onnx = [p](onnx::NodeExporter& e) { guarded(p->plugin, p->type, "ONNX mapping", [&] { p->fn(e); }); };
    }
    return d;
}

bool valid_name(const char* s) {
    if (!s || !*s || std::strlen(s) > 64) return false;
    for (const char* c = s; *c; ++c)
        if (!(std::isalnum(static_cast<unsigned char>(*c)) || *c == '.' || *c == '_' || *c == '-')) return false;
    return true;
}

bool valid_version(const char* s) {
    if (!s || !*s || std::strlen(s) > 32) return false;
    for (const char* c = s; *c; ++c)
        if (!(std::isalnum(static_cast<unsigned char>(*c)) || *c == '.' || *c == '-' || *c == '+')) return false;
    return true;
}

std::string quoted(const char* s) { return s ? concat("\"", std::string(s).substr(0, 80), "\"") : "null"; }

}  // namespace

// ---------------------------------------------------------------- PluginManager

struct PluginManager::Plugin {
    PluginInfo info;
    std::shared_ptr<Library> library;
};

PluginManager& PluginManager::instance() {
    static PluginManager* manager = new PluginManager(graph::LayerRegistry::instance());
    return *manager;
}

PluginManager::PluginManager(graph::LayerRegistry& registry) : registry_(registry) {}

PluginManager::~PluginManager() { unload_all(); }

void PluginManager::refuse(const fs::path& file, std::string reason) {
    refused_.push_back({file.string(), std::move(reason)});
}

std::size_t PluginManager::load(const std::vector<fs::path>& paths) {
    std::lock_guard lock(mutex_);
    const std::size_t before = plugins_.size();
    for (const fs::path& path : paths) {
        if (path.empty()) continue;
        if (std::find(searched_.begin(), searched_.end(), path) == searched_.end()) searched_.push_back(path);
        std::error_code ec;
        if (fs::is_directory(path, ec)) {
            std::vector<fs::path> files;
            for (fs::directory_iterator it(path, ec), end; !ec && it != end; it.increment(ec))
                if (it->path().extension() == ".so") files.push_back(it->path());
            std::sort(files.begin(), files.end());
            for (const auto& f : files) load_one(f);
        } else if (fs::exists(path, ec)) {
            load_one(path);
        }
    }
    return plugins_.size() - before;
}

bool PluginManager::load_file(const fs::path& file) {
    std::lock_guard lock(mutex_);
    if (std::find(searched_.begin(), searched_.end(), file) == searched_.end()) searched_.push_back(file);
    return load_one(file);
}

bool PluginManager::load_one(const fs::path& given) {
    std::error_code ec;
    fs::path file = fs::weakly_canonical(given, ec);
    if (ec) file = given;
    for (const auto& p : plugins_)
        if (p->info.path == file.string()) return true;
    for (const auto& r : refused_)
        if (r.path == file.string()) return false;  // said once already

    const auto t0 = Clock::now();
    if (!fs::is_regular_file(file, ec)) {
        refuse(file, fs::exists(file, ec) ? "is not a regular file" : "does not exist");
        return false;
    }
    // 1. The stamp, before any of the plugin's code can run.
    detail::Stamp stamp;
    try {
        stamp = detail::read_stamp(file.string());
    } catch (const std::exception& e) {
        refuse(file, e.what());
        return false;
    }
    if (stamp.api != NEURA_PLUGIN_API_VERSION) {
        refuse(file, concat("was built for plugin API ", stamp.api, "; this NeuraStudio loads plugin API ",
                            NEURA_PLUGIN_API_VERSION, " (rebuild the plugin with this NeuraStudio's SDK)"));
        return false;
    }
    if (stamp.tag != build_tag()) {
        refuse(file, concat("was built as \"", stamp.tag, "\" but this NeuraStudio is \"", build_tag(),
                            "\": the NeuraStudio version, compiler or C++ standard library differ (rebuild the plugin "
                            "with this NeuraStudio's SDK and compiler)"));
        return false;
    }

    // 2. Open it; the entry points.
    std::string error;
    const std::shared_ptr<Library> lib = Library::open(file.string(), error);
    if (!lib) {
        refuse(file, "cannot be loaded: " + error);
        return false;
    }
    auto api_fn = reinterpret_cast<NeuraPluginApiVersionFn>(lib->symbol("neura_plugin_api_version"));
    auto tag_fn = reinterpret_cast<NeuraPluginBuildTagFn>(lib->symbol("neura_plugin_build_tag"));
    auto info_fn = reinterpret_cast<NeuraPluginInfoFn>(lib->symbol("neura_plugin_info"));
    auto register_fn = reinterpret_cast<NeuraPluginRegisterFn>(lib->symbol("neura_plugin_register"));
    std::string missing;
    int n_missing = 0;
    for (auto [fn, name] : {std::pair<bool, const char*>{api_fn != nullptr, "neura_plugin_api_version"},
                            {tag_fn != nullptr, "neura_plugin_build_tag"},
                            {info_fn != nullptr, "neura_plugin_info"},
                            {register_fn != nullptr, "neura_plugin_register"}}) {
        if (fn) continue;
        missing += (missing.empty() ? "" : ", ") + std::string(name);
        ++n_missing;
    }
    if (n_missing) {
        refuse(file, concat("does not export ", missing, " (missing symbol", n_missing > 1 ? "s" : "",
                            "); declare the plugin with NEURA_PLUGIN from <neura_plugin.h>"));
        return false;
    }
    if (const int api = api_fn(); api != NEURA_PLUGIN_API_VERSION) {
        refuse(file, concat("says it is built for plugin API ", api, " (its stamp says ", stamp.api,
                            "); this NeuraStudio loads plugin API ", NEURA_PLUGIN_API_VERSION));
        return false;
    }
    if (const char* tag = tag_fn(); !tag || std::strcmp(tag, build_tag()) != 0) {
        refuse(file, concat("says it is built as ", quoted(tag), " (its stamp says \"", stamp.tag,
                            "\"); this NeuraStudio is \"", build_tag(), "\""));
        return false;
    }

    // 3. Who it is.
    const NeuraPluginInfo* info = info_fn();
    if (!info) {
        refuse(file, "neura_plugin_info() returned null");
        return false;
    }
    if (!valid_name(info->name)) {
        refuse(file, concat("has an invalid name ", quoted(info->name),
                            " (1 to 64 letters, digits, '.', '_' or '-')"));
        return false;
    }
    if (!valid_version(info->version)) {
        refuse(file, concat("plugin ", info->name, " has an invalid version ", quoted(info->version),
                            " (dotted numbers such as \"1.0.0\")"));
        return false;
    }
    const std::string name = info->name, version = info->version;
    const std::string description = info->description ? std::string(info->description).substr(0, 500) : "";
    for (const auto& p : plugins_)
        if (p->info.name == name) {
            refuse(file, concat("plugin ", name, " ", version, " is already loaded (version ", p->info.version, " from ",
                                p->info.path, "); the first one found is used"));
            return false;
        }

    // 4. Its layers, into a registry of its own: a throw leaves nothing behind.
    std::vector<graph::LayerDescriptor> layers;
    {
        graph::LayerRegistry staging;
        std::string threw;
        try {
            register_fn(&staging);
        } catch (const std::exception& e) {
            threw = e.what();
        } catch (...) {
            threw = "an exception that is not a std::exception";
        }
        if (!threw.empty()) {
            refuse(file, concat("plugin ", name, " ", version, ": registering its layers threw: ", threw,
                                " (none of its layers were added)"));
            return false;
        }
        for (auto& d : staging.descriptors()) layers.push_back(wrap(std::move(d), lib, name, version));
    }
    if (layers.empty()) {
        refuse(file, concat("plugin ", name, " ", version, " registered no layer types"));
        return false;
    }
    // 5. New types only.
    for (const auto& d : layers)
        if (const graph::LayerDescriptor* other = registry_.find(d.type)) {
            refuse(file, concat("plugin ", name, " ", version, ": layer type ", d.type, " is already registered ",
                                other->plugin.empty() ? std::string("(built-in)")
                                                      : "(by plugin " + other->plugin + " " + other->plugin_version + ")",
                                "; none of its layers were added"));
            return false;
        }

    auto plugin = std::make_unique<Plugin>();
    plugin->info.name = name;
    plugin->info.version = version;
    plugin->info.description = description;
    plugin->info.path = file.string();
    plugin->info.load_ms = ms_since(t0);
    plugin->library = lib;

    // 6. Gradient checks; a failing layer is marked, not refused.
    const auto c0 = Clock::now();
    for (auto& d : layers) {
        const auto l0 = Clock::now();
        const train::LayerTypeCheck c = train::check_layer_type(d);
        d.check = c.result;
        d.check_message = c.message;
        plugin->info.layers.push_back({d.type, d.category, d.check, d.check_message, ms_since(l0)});
    }
    plugin->info.check_ms = ms_since(c0);

    // 7. All at once.
    try {
        registry_.add_all(std::move(layers));
    } catch (const std::exception& e) {
        refuse(file, concat("plugin ", name, " ", version, ": ", e.what()));
        return false;
    }
    plugins_.push_back(std::move(plugin));
    return true;
}

std::size_t PluginManager::unload_all() {
    std::lock_guard lock(mutex_);
    const std::size_t n = plugins_.size();
    for (const auto& p : plugins_) registry_.remove_plugin(p->info.name);
    plugins_.clear();  // each library closes once no descriptor copy or module holds it
    return n;
}

std::size_t PluginManager::reload() {
    std::lock_guard lock(mutex_);
    unload_all();
    refused_.clear();
    const std::vector<fs::path> paths = std::move(searched_);
    searched_.clear();
    return load(paths);
}

std::vector<PluginInfo> PluginManager::loaded() const {
    std::lock_guard lock(mutex_);
    std::vector<PluginInfo> out;
    for (const auto& p : plugins_) out.push_back(p->info);
    return out;
}

std::vector<RefusedPlugin> PluginManager::refused() const {
    std::lock_guard lock(mutex_);
    return refused_;
}

std::vector<fs::path> PluginManager::searched() const {
    std::lock_guard lock(mutex_);
    return searched_;
}

long PluginManager::live_modules() const {
    std::lock_guard lock(mutex_);
    long n = 0;
    for (const auto& p : plugins_) n += p->library->live_modules.load();
    return n;
}

}  // namespace neura::plugin
