#pragma once
// Experiment: everything a training run of a project needs, built from the project itself — the
// dataset (split, normalized), the compiled network, the optimizer and scheduler — and the way back:
// the trained weights, optimizer state and the run's history written into the project. The CLI and
// the studio both train through it.
#include <memory>
#include <string>

#include "neura/data/DatasetRegistry.h"
#include "neura/data/Split.h"
#include "neura/data/Standardizer.h"
#include "neura/graph/ModelGraph.h"
#include "neura/graph/Network.h"
#include "neura/optim/Optimizer.h"
#include "neura/optim/Schedulers.h"
#include "neura/project/Project.h"
#include "neura/train/TrainConfig.h"
#include "neura/train/Trainer.h"

namespace neura::train {

// The dataset choice stored in a project: {"name": "spiral", "params": {"n": "400", ...}}.
struct DatasetSpec {
    std::string name = "spiral";
    data::DatasetParams params;
    std::string to_json() const;
    static DatasetSpec from_json(const std::string& text);  // throws naming the field
};

class Experiment {
public:
    // Throws neura::Error (bad model, dataset, config) with a message naming the cause. `stop` is
    // asked between the long steps (loading the dataset, splitting and standardizing it): a stop
    // request throws RunStopped there.
    Experiment(const project::Project& project, const TrainConfig& config, const StopToken* stop = nullptr);
    Experiment(const Experiment&) = delete;
    Experiment& operator=(const Experiment&) = delete;

    // Copies the project's trained weights (and buffers) into the network where names and shapes match;
    // returns how many tensors were loaded.
    std::size_t load_weights(const project::Project& project);
    FitResult run(const Callbacks& callbacks, StopToken* stop = nullptr);
    // Writes weights, buffers, optimizer state, the normalization statistics and a run record with every
    // epoch's metrics into `project` (in memory; save_project() writes the file).
    void store(project::Project& project, const FitResult& result, const std::string& started_at) const;

    const TrainConfig& config() const { return config_; }
    Device device() const { return device_; }  // where the network trains (config().device)
    const graph::ModelGraph& model() const { return graph_; }
    graph::Network& network() { return net_; }
    const data::DatasetPtr& dataset() const { return full_; }
    const data::DatasetPtr& train_set() const { return train_; }
    const data::DatasetPtr& val_set() const { return val_; }
    const data::Standardizer& standardizer() const { return standardizer_; }
    optim::Optimizer& optimizer() { return *optimizer_; }

private:
    TrainConfig config_;
    Device device_;
    graph::ModelGraph graph_;
    graph::Network net_;
    data::DatasetPtr full_, train_, val_;
    data::Standardizer standardizer_;
    std::unique_ptr<optim::Optimizer> optimizer_;
    std::unique_ptr<optim::LRScheduler> scheduler_;
};

// The optimizer a config names, over `params`.
std::unique_ptr<optim::Optimizer> make_optimizer(const TrainConfig& config, std::vector<Tensor> params);
// The OpenMP threads a run uses: config.threads, or automatically 1 for small models.
int compute_threads(const TrainConfig& config, std::int64_t parameters);
// Null for "none".
std::unique_ptr<optim::LRScheduler> make_scheduler(const TrainConfig& config, optim::Optimizer& optimizer);

}  // namespace neura::train
