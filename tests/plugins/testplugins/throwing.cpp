// Test plugin: registers one layer, then throws. Refused; the layer must not stay registered.
#include <stdexcept>

#include "common.h"

static void register_layers(neura::graph::LayerRegistry& r) {
    r.add(test_plugin::double_layer("ThrowAfterAdd"));
    throw std::runtime_error("out of licences");
}
NEURA_PLUGIN("throwing", "1.0.0", "throws while registering", register_layers)
