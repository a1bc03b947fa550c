// Test plugin: registers a new layer and one named like a built-in (Linear). Refused as a whole.
#include "common.h"

static void register_layers(neura::graph::LayerRegistry& r) {
    r.add(test_plugin::double_layer("ConflictFree"));
    r.add(test_plugin::double_layer("Linear"));
}
NEURA_PLUGIN("conflict", "1.0.0", "reuses a built-in type name", register_layers)
