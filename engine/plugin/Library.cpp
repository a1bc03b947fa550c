#include "plugin/Library.h"

#include <cxxabi.h>
#include <dlfcn.h>

#include <cctype>
#include <cstdlib>

namespace neura::plugin::detail {

std::shared_ptr<Library> Library::open(const std::string& path, std::string& error) {
    dlerror();  // clear
    void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        const char* e = dlerror();
        error = demangle_symbols(e ? e : "dlopen failed");
        return nullptr;
    }
    return std::shared_ptr<Library>(new Library(handle, path));
}

Library::~Library() {
    if (handle_) dlclose(handle_);
}

void* Library::symbol(const char* name) const {
    dlerror();
    return dlsym(handle_, name);
}

std::string demangle_symbols(const std::string& text) {
    std::string out;
    std::size_t i = 0;
    while (i < text.size()) {
        const std::size_t start = text.find("_Z", i);
        if (start == std::string::npos || (start > 0 && (std::isalnum(static_cast<unsigned char>(text[start - 1])) ||
                                                         text[start - 1] == '_'))) {
            if (start == std::string::npos) {
                out += text.substr(i);
                break;
            }
            out += text.substr(i, start + 2 - i);
            i = start + 2;
            continue;
        }
        std::size_t end = start;
        while (end < text.size() && (std::isalnum(static_cast<unsigned char>(text[end])) || text[end] == '_' ||
                                     text[end] == '.' || text[end] == '$'))
            ++end;
        const std::string mangled = text.substr(start, end - start);
        int status = 0;
        char* plain = abi::__cxa_demangle(mangled.c_str(), nullptr, nullptr, &status);
        out += text.substr(i, start - i);
        out += status == 0 && plain ? plain : mangled;
        std::free(plain);
        i = end;
    }
    return out;
}

}  // namespace neura::plugin::detail
