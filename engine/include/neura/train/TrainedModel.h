#pragma once
// TrainedModel: a project's model ready for inference — compiled, with the project's trained weights
// and running statistics, in eval mode — and the standardizer it was trained behind. `neura run` and
// `neura export` use it, so the engine's output and the exported ONNX model come from the same state.
#include <optional>
#include <string>

#include "neura/data/Standardizer.h"
#include "neura/graph/ModelGraph.h"
#include "neura/graph/Network.h"
#include "neura/project/Project.h"

namespace neura::train {

struct TrainedModel {
    graph::ModelGraph graph;
    graph::Network network;  // eval mode
    // project.metadata["normalization"], stored by training: inputs are raw features.
    std::optional<data::Standardizer> normalization;
    bool trained = false;  // the project held weights (otherwise the network has its initial ones)

    // Raw features [B, ...input shape] → the output of the node feeding the Loss, in eval mode,
    // without autograd; normalization applied first. Throws neura::Error naming the shapes.
    Tensor predict(const Tensor& raw_features);
};

// Compiles the project's model (seeded from its training config) and loads every parameter and
// buffer from the project's weights. Throws neura::Error when the project has weights but one of
// the network's tensors is missing or has another shape (the weights belong to another model).
TrainedModel load_trained_model(const project::Project& project);

}  // namespace neura::train
