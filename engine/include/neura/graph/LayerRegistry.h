#pragma once
// LayerRegistry: the layer types the studio knows. The built-in layers of neura/nn/Layers.h plus
// Input and Loss are registered on first use; plugins add theirs through the plugin loader
// (neura/plugin/PluginManager.h), all of a plugin's layers at once, and remove them when it unloads.
#include <map>
#include <memory>
#include <shared_mutex>
#include <string>
#include <vector>

#include "neura/graph/LayerDescriptor.h"

namespace neura::graph {

class LayerRegistry {
public:
    static LayerRegistry& instance();

    LayerRegistry() = default;  // an empty registry (tests, tools); instance() holds the built-ins
    LayerRegistry(const LayerRegistry&) = delete;
    LayerRegistry& operator=(const LayerRegistry&) = delete;

    // Throws neura::Error when the type id is empty, already registered, or the descriptor lacks a
    // shape rule. Descriptors stay at the same address until they are removed (remove_plugin).
    void add(LayerDescriptor descriptor);
    // All or nothing: checks every descriptor (as add() does, and no two with the same type id)
    // before adding any; throws neura::Error naming the first problem and adds none then.
    void add_all(std::vector<LayerDescriptor> descriptors);
    // Removes the layers whose descriptor names `plugin` (not empty); returns how many. Pointers to
    // their descriptors dangle afterwards: the plugin loader removes only layers no one builds from.
    std::size_t remove_plugin(const std::string& plugin);
    std::vector<LayerDescriptor> descriptors() const;  // copies, sorted by type id
    const LayerDescriptor* find(const std::string& type) const;  // nullptr when unknown
    const LayerDescriptor& at(const std::string& type) const;    // throws neura::Error when unknown
    bool contains(const std::string& type) const { return find(type) != nullptr; }
    std::vector<std::string> types() const;                      // sorted
    std::vector<std::string> types_in(const std::string& category) const;
    std::vector<std::string> categories() const;                 // palette order, then others sorted

private:
    mutable std::shared_mutex mutex_;
    std::map<std::string, std::unique_ptr<const LayerDescriptor>> layers_;
};

// Adds Input, Loss and every layer of neura/nn/Layers.h; instance() calls it once.
void register_builtin_layers(LayerRegistry& registry);

// The Loss node's `type` choices, PyTorch's class names.
const std::vector<std::string>& loss_types();

}  // namespace neura::graph
