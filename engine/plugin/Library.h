#pragma once
// Library: one dlopen() handle, closed by its destructor (RAII, as every handle in the engine).
// Shared: the plugin loader, the descriptors it wraps and the modules built from them each hold one
// reference, so the code stays mapped while anything made from it is alive.
#include <atomic>
#include <memory>
#include <string>

namespace neura::plugin::detail {

class Library {
public:
    // RTLD_NOW | RTLD_LOCAL: every undefined symbol is resolved now (a missing one fails here, named,
    // instead of at a later call), and the plugin's own symbols stay out of the global scope.
    // Returns null and sets `error` (dlerror's text, C++ names demangled) on failure.
    static std::shared_ptr<Library> open(const std::string& path, std::string& error);
    ~Library();
    Library(const Library&) = delete;
    Library& operator=(const Library&) = delete;

    void* symbol(const char* name) const;  // null when the library does not export it
    const std::string& path() const { return path_; }

    std::atomic<long> live_modules{0};  // modules built from the plugin's layers, alive now

private:
    Library(void* handle, std::string path) : handle_(handle), path_(std::move(path)) {}
    void* handle_;
    std::string path_;
};

// "undefined symbol: _ZN5neura3fooEv" → "undefined symbol: neura::foo()"
std::string demangle_symbols(const std::string& text);

}  // namespace neura::plugin::detail
