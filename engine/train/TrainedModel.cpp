#include "neura/train/TrainedModel.h"

#include "neura/autograd/GradMode.h"
#include "neura/core/Error.h"
#include "neura/graph/ModelJson.h"
#include "neura/train/TrainConfig.h"

namespace neura::train {

using neura::detail::concat;

TrainedModel load_trained_model(const project::Project& project) {
    NEURA_CHECK(!project.model_json.empty(), "the project has no model");
    TrainedModel m;
    m.graph = graph::from_json(project.model_json);
    const TrainConfig config =
        project.train_config_json.empty() ? TrainConfig() : TrainConfig::from_json(project.train_config_json);
    m.network = graph::compile(m.graph, config.seed);
    m.trained = !project.weights.empty();
    if (m.trained) {
        NoGradGuard ng;
        auto load = [&](const std::vector<std::pair<std::string, Tensor>>& targets) {
            for (const auto& [name, t] : targets) {
                const project::NamedTensor* saved = nullptr;
                for (const auto& w : project.weights)
                    if (w.name == name) saved = &w;
                NEURA_CHECK(saved, "the project's weights do not match its model: '", name, "' is missing");
                NEURA_CHECK(saved->tensor.shape() == t.shape(), "the project's weights do not match its model: '", name,
                            "' is ", shape_str(saved->tensor.shape()), ", the model needs ", shape_str(t.shape()));
                Tensor(t).copy_(saved->tensor);
            }
        };
        load(m.network.named_parameters());
        load(m.network.named_buffers());
    }
    m.network.eval();
    if (auto it = project.metadata.find("normalization"); it != project.metadata.end() && !it->second.empty())
        m.normalization = data::Standardizer::from_json(it->second);
    return m;
}

Tensor TrainedModel::predict(const Tensor& raw_features) {
    NoGradGuard ng;
    network.eval();
    Tensor x = raw_features.dtype() == DType::F32 ? raw_features : raw_features.to(DType::F32);
    if (normalization) {
        NEURA_CHECK(normalization->num_features() == shape_numel(network.input_shape()),
                    "the project's normalization statistics have ", normalization->num_features(),
                    " features but the model's Input takes ", shape_numel(network.input_shape()), " per sample");
        const Shape& s = x.shape();
        NEURA_CHECK_SHAPE(s.size() == network.input_shape().size() + 1 &&
                        std::equal(s.begin() + 1, s.end(), network.input_shape().begin()),
                    "the model takes inputs of shape [batch, ", shape_str(network.input_shape()).substr(1), ", got ",
                    shape_str(s));
        x = normalization->transform(x.contiguous());
    }
    return network.forward(x);
}

}  // namespace neura::train
