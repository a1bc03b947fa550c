// libFuzzer target: any bytes imported as an ONNX model must give a model or a neura::Error, never a
// crash (libonnx's shape inference runs only on models that passed the importer's structure check).
#include <cstddef>
#include <cstdint>
#include <string>

#include "neura/core/Error.h"
#include "neura/onnx/Import.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    try {
        (void)neura::onnx::import_onnx_bytes(std::string(reinterpret_cast<const char*>(data), size));
    } catch (const neura::Error&) {
        // Expected for almost every input.
    }
    return 0;
}
