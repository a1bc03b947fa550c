#include "neura/graph/LayerRegistry.h"

#include <algorithm>
#include <mutex>

#include "neura/core/Error.h"

namespace neura::graph {

// ---- LayerDescriptor ----

const char* layer_check_name(LayerCheck c) {
    switch (c) {
        case LayerCheck::NotChecked: return "not checked";
        case LayerCheck::Passed: return "passed";
        case LayerCheck::Failed: return "failed";
    }
    return "?";
}

const AttributeSpec* LayerDescriptor::find_attribute(const std::string& name) const {
    for (const auto& a : attributes)
        if (a.name == name) return &a;
    return nullptr;
}

AttributeMap LayerDescriptor::default_attributes() const {
    AttributeMap m;
    for (const auto& a : attributes) m.emplace(a.name, a.default_value);
    return m;
}

AttributeMap LayerDescriptor::resolve(const AttributeMap& given) const {
    AttributeMap m = default_attributes();
    for (const auto& [k, v] : given) m[k] = v;
    return m;
}

std::size_t LayerDescriptor::input_count(std::size_t connected_ports) const {
    if (!variadic_inputs) return inputs.size();
    return std::max({min_inputs, connected_ports, inputs.size()});
}

const PortSpec& LayerDescriptor::input_port(std::size_t index) const {
    NEURA_CHECK(!inputs.empty(), type, " has no inputs");
    if (index < inputs.size()) return inputs[index];
    NEURA_CHECK(variadic_inputs, type, " has ", inputs.size(), " inputs, not ", index + 1);
    return inputs.back();
}

// ---- LayerRegistry ----

LayerRegistry& LayerRegistry::instance() {
    static LayerRegistry* registry = [] {
        auto* r = new LayerRegistry;  // never destroyed: plugins may still hold descriptors at exit
        register_builtin_layers(*r);
        return r;
    }();
    return *registry;
}

namespace {
void check_descriptor(const LayerDescriptor& descriptor) {
    NEURA_CHECK(!descriptor.type.empty(), "LayerRegistry: a layer type id must not be empty");
    NEURA_CHECK(static_cast<bool>(descriptor.shape), "LayerRegistry: layer ", descriptor.type, " has no shape rule");
    NEURA_CHECK(!descriptor.variadic_inputs || !descriptor.inputs.empty(), "LayerRegistry: layer ",
                descriptor.type, " is variadic but declares no input port");
    for (const auto& a : descriptor.attributes)
        NEURA_CHECK(type_of(a.default_value) == a.type, "LayerRegistry: layer ", descriptor.type, " attribute ",
                    a.name, " has a default of type ", attribute_type_name(type_of(a.default_value)),
                    ", declared ", attribute_type_name(a.type));
}
}  // namespace

void LayerRegistry::add(LayerDescriptor descriptor) {
    check_descriptor(descriptor);
    std::unique_lock lock(mutex_);
    NEURA_CHECK(!layers_.count(descriptor.type), "LayerRegistry: layer type ", descriptor.type,
                " is already registered");
    std::string key = descriptor.type;
    layers_.emplace(std::move(key), std::make_unique<const LayerDescriptor>(std::move(descriptor)));
}

void LayerRegistry::add_all(std::vector<LayerDescriptor> descriptors) {
    for (std::size_t i = 0; i < descriptors.size(); ++i) {
        check_descriptor(descriptors[i]);
        for (std::size_t j = 0; j < i; ++j)
            NEURA_CHECK(descriptors[j].type != descriptors[i].type, "LayerRegistry: layer type ", descriptors[i].type,
                        " is given twice");
    }
    std::unique_lock lock(mutex_);
    for (const auto& d : descriptors) {
        auto it = layers_.find(d.type);
        if (it == layers_.end()) continue;
        const LayerDescriptor& other = *it->second;
        throw Error(detail::concat("LayerRegistry: layer type ", d.type, " is already registered ",
                                   other.plugin.empty() ? std::string("(built-in)")
                                                        : "(by plugin " + other.plugin + " " + other.plugin_version + ")"));
    }
    for (auto& d : descriptors) {
        std::string key = d.type;
        layers_.emplace(std::move(key), std::make_unique<const LayerDescriptor>(std::move(d)));
    }
}

std::size_t LayerRegistry::remove_plugin(const std::string& plugin) {
    if (plugin.empty()) return 0;
    std::unique_lock lock(mutex_);
    return std::erase_if(layers_, [&](const auto& kv) { return kv.second->plugin == plugin; });
}

std::vector<LayerDescriptor> LayerRegistry::descriptors() const {
    std::shared_lock lock(mutex_);
    std::vector<LayerDescriptor> out;
    for (const auto& [_, d] : layers_) out.push_back(*d);
    return out;
}

const LayerDescriptor* LayerRegistry::find(const std::string& type) const {
    std::shared_lock lock(mutex_);
    auto it = layers_.find(type);
    return it == layers_.end() ? nullptr : it->second.get();
}

const LayerDescriptor& LayerRegistry::at(const std::string& type) const {
    const LayerDescriptor* d = find(type);
    NEURA_CHECK(d, "unknown layer type \"", type, "\"");
    return *d;
}

std::vector<std::string> LayerRegistry::types() const {
    std::shared_lock lock(mutex_);
    std::vector<std::string> out;
    for (const auto& [k, _] : layers_) out.push_back(k);
    return out;
}

std::vector<std::string> LayerRegistry::types_in(const std::string& category) const {
    std::shared_lock lock(mutex_);
    std::vector<std::string> out;
    for (const auto& [k, d] : layers_)
        if (d->category == category) out.push_back(k);
    return out;
}

std::vector<std::string> LayerRegistry::categories() const {
    static const std::vector<std::string> kPalette = {"IO",         "Core",  "Convolution", "Pooling", "Normalization",
                                                      "Activation", "Merge", "Sequence",    "Loss"};
    std::shared_lock lock(mutex_);
    std::vector<std::string> out, extra;
    for (const auto& c : kPalette)
        if (std::any_of(layers_.begin(), layers_.end(), [&](const auto& kv) { return kv.second->category == c; }))
            out.push_back(c);
    for (const auto& [_, d] : layers_)
        if (std::find(kPalette.begin(), kPalette.end(), d->category) == kPalette.end() &&
            std::find(extra.begin(), extra.end(), d->category) == extra.end())
            extra.push_back(d->category);
    std::sort(extra.begin(), extra.end());
    out.insert(out.end(), extra.begin(), extra.end());
    return out;
}

}  // namespace neura::graph
