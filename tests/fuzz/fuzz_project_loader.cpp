// libFuzzer target: any bytes written as a .neura file must load or fail with a ProjectError, never
// crash, hang or leak. Built with -DNEURA_FUZZ=ON and clang (see CMakeLists.txt).
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "neura/project/Project.h"

namespace {

const char* const kSuffixes[] = {"", "-journal", "-wal", "-shm"};
std::string g_dir;

void remove_files() {
    for (const char* suffix : kSuffixes) std::remove((g_dir + "/input.neura" + suffix).c_str());
    rmdir(g_dir.c_str());
}

// One file per process, in a private folder (load_project may leave a -journal or -wal next to it),
// on tmpfs when there is one: the round-trip save syncs, which is slow on a disk.
const std::string& fuzz_path() {
    static const std::string path = [] {
        char shm[] = "/dev/shm/neura-fuzz-XXXXXX";
        char tmp[] = "/tmp/neura-fuzz-XXXXXX";
        const char* dir = mkdtemp(shm);
        if (dir == nullptr) dir = mkdtemp(tmp);
        if (dir == nullptr) std::abort();
        g_dir = dir;
        std::atexit(remove_files);
        return g_dir + "/input.neura";
    }();
    return path;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string& path = fuzz_path();
    for (const char* suffix : kSuffixes) std::remove((path + suffix).c_str());
    std::FILE* f = std::fopen(path.c_str(), "wb");
    if (f == nullptr) std::abort();
    if (size > 0 && std::fwrite(data, 1, size, f) != size) std::abort();
    std::fclose(f);
    try {
        neura::project::Project p = neura::project::load_project(path);
        // A file that loads must save and load again to the same project.
        neura::project::save_project(path, p);
        (void)neura::project::load_project(path);
    } catch (const neura::project::ProjectError&) {
        // Expected for almost every input.
    }
    return 0;
}
