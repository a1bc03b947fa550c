// Test plugin: calls an engine function that does not exist (as one built against a newer engine
// would). dlopen(RTLD_NOW) fails naming the symbol.
#include "common.h"

namespace neura::graph {
void layer_from_the_future(LayerRegistry& registry);  // declared, defined nowhere
}

static void register_layers(neura::graph::LayerRegistry& r) { neura::graph::layer_from_the_future(r); }
NEURA_PLUGIN("unresolved", "1.0.0", "needs a symbol the engine lacks", register_layers)
