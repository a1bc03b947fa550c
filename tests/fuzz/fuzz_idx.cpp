// libFuzzer target: any file read as IDX (plain or gzip) gives an array or a neura::Error; nothing is
// allocated or inflated past what the file holds and its header declares.
#include <cstddef>
#include <cstdint>

#include "FuzzSupport.h"
#include "neura/core/Error.h"
#include "neura/data/IdxReader.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string& path = neura::fuzz::write_scratch(data, size, "-idx");
    try {
        (void)neura::data::read_idx(path);
    } catch (const neura::Error&) {
        // Expected for almost every input.
    }
    return 0;
}
