#pragma once
// Reads a plugin's ABI stamp (neura/plugin/PluginApi.h) from the library file's ELF section
// ".neura_plugin" without loading it: nothing of a plugin runs before its API version and build
// tag are known to match. Every offset and size read from the file is checked against its size.
#include <string>

namespace neura::plugin::detail {

struct Stamp {
    int api = -1;
    std::string tag;
};

// Throws neura::Error with the reason in plain words: not an ELF file, built for another machine,
// no stamp (not a NeuraStudio plugin), a malformed stamp.
Stamp read_stamp(const std::string& path);

}  // namespace neura::plugin::detail
