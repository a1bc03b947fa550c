#pragma once
// ONNX export: a compiled network's inference graph — from the Input to the node feeding the Loss,
// with its trained weights in eval mode — as an ONNX model (opset 17, IR version 8) that ONNX Runtime
// runs. Each layer's mapping sits in its LayerDescriptor (BuiltinLayers.cpp); this drives them.
// The model has one input "input" [batch, ...] (FLOAT) and one output "output" [batch, ...] (FLOAT).
// docs/onnx.md lists every mapped op.
#include <cstdint>
#include <optional>
#include <string>

#include "neura/data/Standardizer.h"
#include "neura/graph/LayerRegistry.h"
#include "neura/graph/ModelGraph.h"
#include "neura/graph/Network.h"

namespace neura::onnx {

inline constexpr std::int64_t kOpsetVersion = 17;
inline constexpr std::int64_t kIrVersion = 8;

struct ExportOptions {
    // The standardizer the network was trained behind: the model then starts with
    // Sub(mean) and Div(scale) and takes raw features, as `neura run` does.
    std::optional<data::Standardizer> normalization;
    std::string model_name = "model";  // graph name
    std::string doc;                   // model doc string
};

// The serialized ModelProto, checked in-process with onnx::checker::check_model and strict shape
// inference (the Python checker's full_check). `network` must come from compile(graph); its modules'
// tensors are exported as they are (eval-mode semantics: running statistics, no Dropout).
// Throws neura::Error naming the node for a layer without an ONNX mapping, or whose attributes ONNX
// cannot express.
std::string export_onnx_bytes(const graph::ModelGraph& graph, const graph::Network& network,
                              const ExportOptions& options = {},
                              const graph::LayerRegistry& registry = graph::LayerRegistry::instance());

// Writes export_onnx_bytes() to `path`; throws neura::Error naming the path when it cannot be written.
void export_onnx(const graph::ModelGraph& graph, const graph::Network& network, const std::string& path,
                 const ExportOptions& options = {},
                 const graph::LayerRegistry& registry = graph::LayerRegistry::instance());

// Runs the in-process checks on a serialized model; throws neura::Error with the checker's message.
void check_onnx_bytes(const std::string& model_bytes);

}  // namespace neura::onnx
