// libFuzzer target: any text read as a model (file, clipboard, --model) must load or fail with a
// neura::Error, never crash, hang or recurse without bound. A model that loads must be validated,
// shape-inferred and written back.
#include <cstddef>
#include <cstdint>
#include <string>

#include "neura/core/Error.h"
#include "neura/graph/Graph.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    try {
        const neura::graph::ModelGraph g = neura::graph::from_json(text);
        (void)neura::graph::validate(g);
        (void)neura::graph::infer_shapes(g);
        (void)neura::graph::from_json(neura::graph::to_json(g));
    } catch (const neura::Error&) {
        // Expected for almost every input.
    }
    return 0;
}
