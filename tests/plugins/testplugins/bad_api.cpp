// Test plugin: looks as if an SDK with plugin API 0 built it. Refused before it is opened: its
// static initializer (which sets NEURA_TEST_BAD_API_RAN) must never run.
#include "common.h"

static test_plugin::RanMarker ran("NEURA_TEST_BAD_API_RAN");
static void register_layers(neura::graph::LayerRegistry& r) { r.add(test_plugin::double_layer("BadApiLayer")); }
NEURA_PLUGIN_ENTRY_POINTS_(0, "neura-0.0.1 api-0 gcc-12 libstdc++-12-cxx11abi1 c++202002L", "bad-api", "1.0.0",
                           "built for an old API", register_layers)
