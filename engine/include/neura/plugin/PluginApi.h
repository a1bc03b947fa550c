#pragma once
// The binary interface between NeuraStudio and a plugin library, and how both sides prove they agree
// before any plugin code runs ("version at the door"):
//
//  1. the stamp: a string in the library's ELF section ".neura_plugin",
//         "NEURA-PLUGIN-STAMP api=<NEURA_PLUGIN_API_VERSION> tag=<NEURA_PLUGIN_BUILD_TAG>"
//     which the loader reads from the file itself, before dlopen() runs the library's initializers;
//  2. the C entry points (extern "C", looked up with dlsym), called in this order:
//         int neura_plugin_api_version(void)       must equal NEURA_PLUGIN_API_VERSION
//         const char* neura_plugin_build_tag(void) must equal NEURA_PLUGIN_BUILD_TAG
//         const NeuraPluginInfo* neura_plugin_info(void)
//         void neura_plugin_register(neura::graph::LayerRegistry* registry)
//
// The build tag names everything that must match for C++ objects (std::string, std::function,
// neura::Tensor, LayerDescriptor) to cross between the app and the plugin: the engine version, this
// API version, the compiler and its major version, the C++ standard library (release, string ABI,
// debug mode) and the C++ standard. Plugin authors include <neura_plugin.h>, which defines all of
// the above with the NEURA_PLUGIN macro; the loader is neura/plugin/PluginManager.h.
#include <version>  // the standard library's own macros (_GLIBCXX_RELEASE, _LIBCPP_VERSION)

#include "neura/Version.h"

// Bumped when an entry point, NeuraPluginInfo, the stamp's format or the layout of what a plugin fills
// in (LayerDescriptor) changes. 2: LayerDescriptor gained `pytorch` (the PyTorch mapping, optional).
// 3: LayerDescriptor gained `macs` (multiply-accumulates per sample, optional).
#define NEURA_PLUGIN_API_VERSION 3

#define NEURA_PLUGIN_STR2_(x) #x
#define NEURA_PLUGIN_STR_(x) NEURA_PLUGIN_STR2_(x)

#if defined(__clang__)
#define NEURA_PLUGIN_COMPILER_ "clang-" NEURA_PLUGIN_STR_(__clang_major__)
#elif defined(__GNUC__)
#define NEURA_PLUGIN_COMPILER_ "gcc-" NEURA_PLUGIN_STR_(__GNUC__)
#else
#define NEURA_PLUGIN_COMPILER_ "unknown-compiler"
#endif

#if defined(_GLIBCXX_RELEASE)
#if defined(_GLIBCXX_DEBUG)
#define NEURA_PLUGIN_STDLIB_DEBUG_ "-debug"
#else
#define NEURA_PLUGIN_STDLIB_DEBUG_ ""
#endif
#define NEURA_PLUGIN_STDLIB_                                                                       \
    "libstdc++-" NEURA_PLUGIN_STR_(_GLIBCXX_RELEASE) "-cxx11abi" NEURA_PLUGIN_STR_(_GLIBCXX_USE_CXX11_ABI) \
        NEURA_PLUGIN_STDLIB_DEBUG_
#elif defined(_LIBCPP_VERSION)
#define NEURA_PLUGIN_STDLIB_ "libc++-" NEURA_PLUGIN_STR_(_LIBCPP_VERSION)
#else
#define NEURA_PLUGIN_STDLIB_ "unknown-stdlib"
#endif

// "neura-0.1.0 api-3 gcc-12 libstdc++-12-cxx11abi1 c++202002L"
#define NEURA_PLUGIN_BUILD_TAG                                                                          \
    "neura-" NEURA_ENGINE_VERSION " api-" NEURA_PLUGIN_STR_(NEURA_PLUGIN_API_VERSION) " " NEURA_PLUGIN_COMPILER_ \
    " " NEURA_PLUGIN_STDLIB_ " c++" NEURA_PLUGIN_STR_(__cplusplus)

#define NEURA_PLUGIN_STAMP_SECTION ".neura_plugin"
#define NEURA_PLUGIN_STAMP_PREFIX "NEURA-PLUGIN-STAMP "

namespace neura::graph {
class LayerRegistry;
}

extern "C" {

// What neura_plugin_info() describes; the strings live as long as the library.
struct NeuraPluginInfo {
    const char* name;         // unique among plugins: "swish" (letters, digits, '.', '_', '-')
    const char* version;      // dotted numbers: "1.0.0"; projects record it as the least they need
    const char* description;  // one line for the Plugins dialog
};

typedef int (*NeuraPluginApiVersionFn)(void);
typedef const char* (*NeuraPluginBuildTagFn)(void);
typedef const NeuraPluginInfo* (*NeuraPluginInfoFn)(void);
// Adds the plugin's layer types to `registry` (a fresh one: the loader moves them into the real
// registry all at once, after checking them). Throwing refuses the plugin; nothing stays registered.
typedef void (*NeuraPluginRegisterFn)(neura::graph::LayerRegistry* registry);

}  // extern "C"
