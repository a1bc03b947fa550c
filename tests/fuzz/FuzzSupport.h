#pragma once
// Shared by the libFuzzer targets: a private scratch file for the readers that take a path.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace neura::fuzz {

struct Scratch {
    std::string dir, path;
    ~Scratch() {
        if (!path.empty()) std::remove(path.c_str());
        if (!dir.empty()) rmdir(dir.c_str());
    }
};

// Writes the input to one file per process, in a private folder on tmpfs when there is one; `suffix`
// ends its name (".gz" makes no difference: zlib reads plain and gzip files alike).
inline const std::string& write_scratch(const std::uint8_t* data, std::size_t size, const char* suffix) {
    static Scratch s = [&] {
        Scratch made;
        char shm[] = "/dev/shm/neura-fuzz-XXXXXX";
        char tmp[] = "/tmp/neura-fuzz-XXXXXX";
        const char* d = mkdtemp(shm);
        if (d == nullptr) d = mkdtemp(tmp);
        if (d == nullptr) std::abort();
        made.dir = d;
        made.path = made.dir + "/input" + suffix;
        return made;
    }();
    std::FILE* f = std::fopen(s.path.c_str(), "wb");
    if (f == nullptr) std::abort();
    if (size > 0 && std::fwrite(data, 1, size, f) != size) std::abort();
    std::fclose(f);
    return s.path;
}

}  // namespace neura::fuzz
