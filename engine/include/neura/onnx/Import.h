#pragma once
// ONNX import: an ONNX model (as `neura export` writes it, or as PyTorch's exporter writes the same
// layers) back into a ModelGraph with its weights, ready to save as a project. docs/onnx.md lists the
// ops read and the patterns recognized (GELU's Erf form, MatMul + Add, the input normalization).
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "neura/data/Standardizer.h"
#include "neura/graph/ModelGraph.h"
#include "neura/project/Project.h"

namespace neura::onnx {

struct ImportOptions {
    // The Loss node added after the model's output; empty: CrossEntropyLoss when the output is one
    // score vector per sample, MSELoss otherwise.
    std::string loss_type;
};

struct ImportedModel {
    graph::ModelGraph graph;                  // Input → layers → Loss
    std::vector<project::NamedTensor> weights;  // "<node>.weight", ... as Network::named_parameters/buffers
    // A leading Sub(mean)/Div(scale) on the input, taken out of the graph as the project's normalization.
    std::optional<data::Standardizer> normalization;
};

// Throws neura::Error naming the ONNX node (name and op type) for an op or attribute with no
// NeuraStudio layer, and describing any model that is not one input → one output.
ImportedModel import_onnx_bytes(const std::string& model_bytes, const ImportOptions& options = {});
ImportedModel import_onnx(const std::string& path, const ImportOptions& options = {});

// An ONNX model as a new project, as `neura import` and the studio's File > Import ONNX make it.
struct ImportedProject {
    // model_json, weights, the normalization (metadata "normalization") and a train config whose
    // normalize says whether there is one; no dataset, no layout, no metadata stamp.
    project::Project project;
    std::size_t node_count = 0;    // nodes of the imported graph, Input and Loss included
    std::size_t weight_count = 0;  // weight tensors
    bool normalization = false;    // whether the model began with an input normalization
};

// import_onnx, then the project; checks that the model compiles and takes its weights (throws
// neura::Error, as import_onnx does, when it does not).
ImportedProject project_from_onnx(const std::string& path, const ImportOptions& options = {});

}  // namespace neura::onnx
