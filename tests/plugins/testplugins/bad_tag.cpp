// Test plugin: this API version, but the build tag of another compiler and NeuraStudio version.
// Refused before it is opened: its static initializer (NEURA_TEST_BAD_TAG_RAN) must never run.
#include "common.h"

static test_plugin::RanMarker ran("NEURA_TEST_BAD_TAG_RAN");
static void register_layers(neura::graph::LayerRegistry& r) { r.add(test_plugin::double_layer("BadTagLayer")); }
NEURA_PLUGIN_ENTRY_POINTS_(NEURA_PLUGIN_API_VERSION, "neura-0.0.9 api-1 gcc-4 libstdc++-4-cxx11abi0 c++201103L",
                           "bad-tag", "1.0.0", "built by another compiler", register_layers)
