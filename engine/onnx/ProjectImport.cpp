// project_from_onnx: one ONNX import → project path for the CLI and the studio.
#include "neura/graph/ModelJson.h"
#include "neura/onnx/Import.h"
#include "neura/train/TrainConfig.h"
#include "neura/train/TrainedModel.h"

namespace neura::onnx {

ImportedProject project_from_onnx(const std::string& path, const ImportOptions& options) {
    ImportedModel m = import_onnx(path, options);
    ImportedProject out;
    out.node_count = m.graph.node_count();
    out.weight_count = m.weights.size();
    out.normalization = m.normalization.has_value();
    project::Project& p = out.project;
    p.model_json = graph::to_json(m.graph);
    p.weights = std::move(m.weights);
    if (m.normalization) p.metadata["normalization"] = m.normalization->to_json();
    train::TrainConfig cfg;
    cfg.normalize = out.normalization;
    p.train_config_json = cfg.to_json();
    train::load_trained_model(p);  // it must compile and take its weights before anyone uses it
    return out;
}

}  // namespace neura::onnx
