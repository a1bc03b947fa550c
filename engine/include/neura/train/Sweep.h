#pragma once
// Sweep: a grid (or a random part of a grid) of training settings and layer attributes, trained one
// run after another. Each run is an Experiment on a copy of the project with its settings applied;
// its RunRecord (config, model, the settings, metrics) is appended to the project's runs, and the
// project's model, config and weights stay as they were. Keys are TrainConfig's JSON keys ("lr",
// "batch_size", "optimizer", "scheduler.type", ...) or NODE.ATTRIBUTE ("fc1.out_features"); every key
// and value is checked against the project before any run starts. docs/sweeps.md describes it.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "neura/project/Project.h"
#include "neura/train/TrainConfig.h"
#include "neura/train/Trainer.h"

namespace neura::train {

// One key and the values to try, as written: "lr=0.1,0.01" → {"lr", {"0.1", "0.01"}}.
struct SweepAxis {
    std::string key;
    std::vector<std::string> values;
};

// Splits "KEY=V1,V2,...". Commas inside brackets belong to the value ("kernel_size=[3,3],[5,5]").
// Throws neura::Error naming the text when there is no '=', no key or an empty value.
SweepAxis parse_sweep_axis(const std::string& text);

struct SweepOptions {
    std::vector<SweepAxis> grid;  // one axis per key; keys distinct
    std::int64_t random = 0;      // 0: every combination; N > 0: N distinct combinations drawn with `seed`
    std::uint64_t seed = 0;       // for the random draw
    std::int64_t epochs = 0;      // > 0: every run trains this many epochs (unless "epochs" is swept)
};

// What one key names, resolved against the project, and one of its values, typed.
struct SweepSetting {
    std::string key;         // as given: "lr", "scheduler.type", "fc1.out_features"
    std::string node;        // the node's name for NODE.ATTRIBUTE; empty for a training setting
    std::string attribute;   // the attribute's name for NODE.ATTRIBUTE
    std::string value_json;  // the value as JSON text: 0.01, 64, "SGD", true, [3,3]
};

class Sweep {
public:
    // Resolves every key (a training setting, or NODE.ATTRIBUTE of a node of the project's model) and
    // parses every value to its type (checked against the attribute's range and choices, or by
    // TrainConfig::validate). Throws neura::Error naming the key or value at fault: an unknown key, an
    // unknown node (listing the model's node names), an unknown attribute (listing the layer's), a bad
    // value, a key given twice, an empty grid, a random count larger than the grid.
    Sweep(const project::Project& project, const TrainConfig& base, const SweepOptions& options);

    std::size_t size() const { return combinations_.size(); }  // the runs, in order
    const std::vector<std::string>& keys() const { return keys_; }
    // Run i's settings, one per key in key order.
    const std::vector<SweepSetting>& settings(std::size_t i) const { return combinations_.at(i); }
    // Run i's settings as a JSON object text: {"lr": 0.01, "fc1.out_features": 64}.
    std::string settings_json(std::size_t i) const;
    // The training config and the model JSON text run i trains.
    TrainConfig config(std::size_t i) const;
    std::string model_json(std::size_t i) const;

private:
    project::Project base_project_;  // model, dataset: the fields an Experiment reads (no weights)
    TrainConfig base_config_;
    std::vector<std::string> keys_;
    std::vector<std::vector<SweepSetting>> combinations_;
};

struct SweepCallbacks {
    // Before run `index` (0-based) of `runs` starts.
    std::function<void(std::size_t index, std::size_t runs, const std::string& settings_json)> on_run_start;
    Callbacks train;  // every run's steps and epochs
    // After run `index` ended and its record was appended to the project (the CLI saves here).
    std::function<void(std::size_t index, const project::RunRecord& record)> on_run_finished;
};

struct SweepResult {
    std::size_t runs = 0;     // runs recorded (failed ones included)
    std::size_t failed = 0;   // runs whose model or training failed
    bool stopped = false;     // a stop request ended the sweep (its run in flight is recorded as stopped)
};

// Trains run i: validates its model (a model the settings broke is a failed run with the diagnostics'
// words), builds the Experiment, trains it. Never throws for the run's own errors: they become a
// failed RunRecord whose final_metrics_json says {"status": "failed", "message": ...}. Throws RunStopped
// when a stop request ended it before it trained anything. The record's final_metrics_json holds
// "seconds" (wall clock of the run) besides the Experiment's summary.
project::RunRecord run_sweep_run(const Sweep& sweep, std::size_t index, const project::Project& project,
                                 const Callbacks& callbacks = {}, StopToken* stop = nullptr);

// Runs every run of `sweep` in order, appending each record to project.runs (the weights, model and
// config of `project` are not touched). A stop request ends the sweep after the run in flight.
SweepResult run_sweep(project::Project& project, const Sweep& sweep, const SweepCallbacks& callbacks = {},
                      StopToken* stop = nullptr);

// The keys a sweep accepts for `project`: the training settings, then NODE.ATTRIBUTE of every node
// whose layer has attributes (in node order). For the studio's key list.
std::vector<std::string> sweep_keys(const project::Project& project);

}  // namespace neura::train
