#pragma once
// PyTorch export (`neura export-torch`, File > Export > PyTorch Code...): a folder a PyTorch user reads
// and runs without NeuraStudio —
//
//   model.py    class Model(nn.Module): the layers as attributes named after the nodes, forward() in the
//               graph's topological order; load() returns the trained network (weights.pt)
//   weights.pt  Model's state_dict (torch.load; neura/export/TorchFile.h)
//   data.py     the dataset: data.pt holds its samples as NeuraStudio built them and the indices of the
//               training/validation split; standardization as the engine's
//   train.py    the project's loss, optimizer, schedule, batch size, seed and epochs; one JSON line per
//               epoch; --nproc N or torchrun for DistributedDataParallel
//   README.md   how to run it
//
// Each layer's Python comes from its descriptor (LayerDescriptor::pytorch, neura/export/PyTorchLayer.h);
// a layer type without one is an error naming the node.
#include <optional>
#include <string>
#include <vector>

#include "neura/data/Standardizer.h"
#include "neura/export/TorchFile.h"
#include "neura/graph/LayerRegistry.h"
#include "neura/graph/ModelGraph.h"
#include "neura/graph/Network.h"
#include "neura/project/Project.h"

namespace neura::pytorch {

// model.py's text and the state_dict weights.pt holds (its keys are exactly Model's).
struct ModelCode {
    std::string source;
    NamedTensors state_dict;
};

// model.py for a compiled network (eval-mode weights as they are). `normalization`: Model then takes raw
// features and standardizes them itself (buffers input_mean and input_scale), as `neura run` does.
// Throws neura::Error "cannot export node '<name>' (<type>) to PyTorch: <why>" for a layer without a
// mapping.
ModelCode model_code(const graph::ModelGraph& graph, const graph::Network& network,
                     const std::optional<data::Standardizer>& normalization, const std::string& title = "model",
                     const graph::LayerRegistry& registry = graph::LayerRegistry::instance());

struct ExportResult {
    std::vector<std::string> files;  // written, relative to the folder
    std::string note;                // what was left out and why ("" when nothing was)
    bool trained = false;            // the project held trained weights (else weights.pt has the initial ones)
};

// Writes the folder for a project (its model, trained weights, dataset and training settings);
// `title` names the project in the files (its file name without .neura). Creates `dir` when missing.
// Throws neura::Error naming the folder or file when it cannot be written, or the node a layer of
// which has no PyTorch mapping; nothing is half-written then but the files before the failing one.
ExportResult export_pytorch(const project::Project& project, const std::string& dir, const std::string& title,
                            const graph::LayerRegistry& registry = graph::LayerRegistry::instance());

}  // namespace neura::pytorch
