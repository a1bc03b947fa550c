#pragma once
// neura_plugin.h — the one header a NeuraStudio plugin includes (docs/plugins.md walks through one).
//
// A plugin is a shared library (CMake: a MODULE library) that adds layer types to the studio: each
// one a neura::graph::LayerDescriptor with everything a built-in layer has — palette entry, ports,
// attribute schema, shape rule, parameter count, a builder of its nn::Module (forward; backward from
// differentiable engine ops, or hand-written with neura/autograd/Function.h), the ONNX mapping —
// plus an icon and the inputs its gradient check on load uses. At the end of the source file:
//
//     static void register_layers(neura::graph::LayerRegistry& registry) {
//         registry.add(my_layer_descriptor());
//     }
//     NEURA_PLUGIN("my-layers", "1.0.0", "What my layers do", register_layers)
//
// NEURA_PLUGIN writes the entry points and the ABI stamp of neura/plugin/PluginApi.h. The plugin is
// not linked against the engine: the engine's symbols come from the program that loads it (the
// `neura` tool, the studio), so a plugin must be built with this NeuraStudio's SDK, the same compiler
// and standard library — the build tag checks exactly that before the plugin is loaded.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "neura/autograd/Autograd.h"
#include "neura/autograd/Function.h"
#include "neura/autograd/GradMode.h"
#include "neura/core/Error.h"
#include "neura/core/Generator.h"
#include "neura/core/Shape.h"
#include "neura/core/Tensor.h"
#include "neura/export/PyTorchLayer.h"
#include "neura/graph/AttributeValue.h"
#include "neura/graph/LayerDescriptor.h"
#include "neura/graph/LayerRegistry.h"
#include "neura/nn/Module.h"
#include "neura/onnx/NodeExporter.h"
#include "neura/ops/NnOps.h"
#include "neura/ops/Ops.h"
#include "neura/plugin/PluginApi.h"

#define NEURA_PLUGIN_EXPORT extern "C" __attribute__((visibility("default")))

// The entry points with a given API version and build tag. Plugins use NEURA_PLUGIN; the tests
// use this directly to build plugins that look as if an older or other SDK built them.
#define NEURA_PLUGIN_ENTRY_POINTS_(API, TAG, NAME, VERSION, DESCRIPTION, REGISTER)                           \
    __attribute__((used, section(NEURA_PLUGIN_STAMP_SECTION))) static const char neura_plugin_stamp_[] =     \
        NEURA_PLUGIN_STAMP_PREFIX "api=" NEURA_PLUGIN_STR_(API) " tag=" TAG;                                 \
    NEURA_PLUGIN_EXPORT int neura_plugin_api_version(void) { return (API); }                                \
    NEURA_PLUGIN_EXPORT const char* neura_plugin_build_tag(void) { return TAG; }                            \
    NEURA_PLUGIN_EXPORT const NeuraPluginInfo* neura_plugin_info(void) {                                    \
        static const NeuraPluginInfo info = {NAME, VERSION, DESCRIPTION};                                    \
        return &info;                                                                                         \
    }                                                                                                         \
    NEURA_PLUGIN_EXPORT void neura_plugin_register(::neura::graph::LayerRegistry* registry) { REGISTER(*registry); }

// Declares the plugin: its name (letters, digits, '.', '_', '-'), version ("1.0.0"), a one-line
// description and the function that registers its layers, void(neura::graph::LayerRegistry&).
// Use it once, at namespace scope, in one source file of the plugin.
#define NEURA_PLUGIN(NAME, VERSION, DESCRIPTION, REGISTER) \
    NEURA_PLUGIN_ENTRY_POINTS_(NEURA_PLUGIN_API_VERSION, NEURA_PLUGIN_BUILD_TAG, NAME, VERSION, DESCRIPTION, REGISTER)

// Small helpers for descriptors, as the built-in layers write them (engine/graph/BuiltinLayers.cpp).
namespace neura::sdk {

inline graph::AttributeSpec int_attribute_spec(std::string name, std::int64_t def, std::optional<double> min,
                                               std::optional<double> max, std::string help) {
    graph::AttributeSpec a;
    a.name = std::move(name);
    a.type = graph::AttributeType::Int;
    a.default_value = def;
    a.min = min;
    a.max = max;
    a.help = std::move(help);
    return a;
}

inline graph::AttributeSpec float_attribute_spec(std::string name, double def, std::optional<double> min,
                                                 std::optional<double> max, std::string help) {
    graph::AttributeSpec a;
    a.name = std::move(name);
    a.type = graph::AttributeType::Float;
    a.default_value = def;
    a.min = min;
    a.max = max;
    a.help = std::move(help);
    return a;
}

inline graph::AttributeSpec bool_attribute_spec(std::string name, bool def, std::string help) {
    graph::AttributeSpec a;
    a.name = std::move(name);
    a.type = graph::AttributeType::Bool;
    a.default_value = def;
    a.help = std::move(help);
    return a;
}

inline graph::AttributeSpec choice_attribute_spec(std::string name, std::string def, std::vector<std::string> choices,
                                                  std::string help) {
    graph::AttributeSpec a;
    a.name = std::move(name);
    a.type = graph::AttributeType::Choice;
    a.default_value = std::move(def);
    a.choices = std::move(choices);
    a.help = std::move(help);
    return a;
}

// One "input" port and one "output" port: the common case.
inline std::vector<graph::PortSpec> one_input() { return {{"input", graph::PortKind::Tensor}}; }
inline std::vector<graph::PortSpec> one_output() { return {{"output", graph::PortKind::Tensor}}; }

// A shape rule for layers whose output has the input's shape (activations, normalizations).
inline graph::ShapeResult same_shape(const graph::AttributeMap&, const std::vector<Shape>& inputs) {
    return graph::ShapeResult::ok({inputs.at(0)});
}

}  // namespace neura::sdk
