// Test plugin: stamped and with three entry points, but no neura_plugin_register.
#include "common.h"

__attribute__((used, section(NEURA_PLUGIN_STAMP_SECTION))) static const char stamp[] =
    NEURA_PLUGIN_STAMP_PREFIX "api=" NEURA_PLUGIN_STR_(NEURA_PLUGIN_API_VERSION) " tag=" NEURA_PLUGIN_BUILD_TAG;
NEURA_PLUGIN_EXPORT int neura_plugin_api_version(void) { return NEURA_PLUGIN_API_VERSION; }
NEURA_PLUGIN_EXPORT const char* neura_plugin_build_tag(void) { return NEURA_PLUGIN_BUILD_TAG; }
NEURA_PLUGIN_EXPORT const NeuraPluginInfo* neura_plugin_info(void) {
    static const NeuraPluginInfo info = {"missing-symbol", "1.0.0", "forgot its register function"};
    return &info;
}
