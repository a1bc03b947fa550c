// libFuzzer target: any bytes read as an ONNX TensorProto (`neura run --input`) give a tensor or a
// neura::Error; nothing is allocated for sizes the bytes merely claim.
#include <cstddef>
#include <cstdint>
#include <string>

#include "neura/core/Error.h"
#include "neura/onnx/TensorFile.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    try {
        (void)neura::onnx::parse_tensor_proto(std::string(reinterpret_cast<const char*>(data), size), "fuzz input");
    } catch (const neura::Error&) {
        // Expected for almost every input.
    }
    return 0;
}
