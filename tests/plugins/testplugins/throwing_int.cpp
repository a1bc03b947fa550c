// Test plugin: throws something that is not a std::exception while registering.
#include "common.h"

static void register_layers(neura::graph::LayerRegistry& r) {
    r.add(test_plugin::double_layer("ThrowIntLayer"));
    throw 42;
}
NEURA_PLUGIN("throwing-int", "1.0.0", "throws an int while registering", register_layers)
