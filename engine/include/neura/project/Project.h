#pragma once
// The .neura project file: one SQLite database holding a model graph, its layout, the training setup,
// trained weights, optimizer state and the metric history of every training run.
// The schema and its versioning rules are described in docs/project-file.md.
//
// Every save is one SQLite transaction (rollback journal, synchronous=FULL): after a crash or power
// loss the file holds either the old or the new project, never a mix.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "neura/core/Tensor.h"
#include "neura/project/ProjectError.h"

namespace neura::project {

// Stored as PRAGMA application_id: the ASCII bytes "NEUR" in the SQLite header.
inline constexpr std::int32_t kApplicationId = 0x4E455552;
// Stored as PRAGMA user_version. This build reads versions 1..kSchemaVersion and writes kSchemaVersion.
inline constexpr int kSchemaVersion = 2;

// A tensor with its name (a parameter path such as "fc1.weight", or an optimizer slot such as
// "fc1.weight.exp_avg"). Loaded tensors are contiguous CPU tensors; save accepts any tensor
// (non-contiguous or on another device) of dtype F32, F64 or I64.
struct NamedTensor {
    std::string name;
    Tensor tensor;
};

// One metric value recorded during a run. NaN is stored as SQL NULL and loads back as NaN.
struct MetricPoint {
    std::int64_t epoch = 0;
    std::int64_t step = 0;
    std::string name;  // "loss", "val_accuracy", ...
    double value = 0.0;
};

namespace run_status {
inline constexpr const char* kRunning = "running";
inline constexpr const char* kCompleted = "completed";
inline constexpr const char* kStopped = "stopped";  // stopped by the user
inline constexpr const char* kFailed = "failed";    // an error or a NaN stop
}  // namespace run_status

struct RunRecord {
    std::int64_t id = 0;               // > 0; 0 lets the file assign the next free id
    std::string started_at;            // ISO 8601 UTC, see utc_now_iso8601()
    std::string finished_at;           // empty while the run has not finished (SQL NULL)
    std::string status = run_status::kRunning;
    std::string config_json;           // the training config the run used (opaque JSON text)
    std::string final_metrics_json;    // summary when it finished (opaque JSON text)
    std::string model_json;            // the model graph the run trained (schema 2; empty for older runs)
    std::string settings_json;         // the settings a sweep set, {"lr": 0.01, "fc1.out_features": 64};
                                       // empty for a plain run (schema 2)
    std::vector<MetricPoint> metrics;  // in the order they were recorded
};

// Well-known metadata keys; any other key is kept as well.
namespace meta {
inline constexpr const char* kAppVersion = "app_version";  // NeuraStudio version that last saved
inline constexpr const char* kCreatedAt = "created_at";    // ISO 8601 UTC
inline constexpr const char* kModifiedAt = "modified_at";  // ISO 8601 UTC
inline constexpr const char* kPlugins = "plugins";         // [{"name", "version"}]: the plugins the model uses
}  // namespace meta

// Everything a .neura file holds. The *_json fields are opaque text owned by other modules
// (graph, GUI, train, data, optim); this module stores them byte for byte.
struct Project {
    std::string model_json;         // the ModelGraph in its JSON form
    std::string layout_json;        // node positions and other GUI layout
    std::string train_config_json;  // training config
    std::string dataset_json;       // dataset choice
    std::string optimizer_json;     // optimizer hyper-parameters and scalar state (step counts, ...)
    std::vector<NamedTensor> weights;          // names unique
    std::vector<NamedTensor> optimizer_state;  // names unique
    std::vector<RunRecord> runs;               // ids unique (0 = assign)
    std::map<std::string, std::string> metadata;
};

// Reads the whole project. Checks, in this order: the file exists and is readable; it is an SQLite
// database; its application_id is NeuraStudio's; its schema version is one this build reads; the
// tables exist; PRAGMA quick_check passes; every tensor's dtype, shape and byte count agree.
// An interrupted save is rolled back first (so the file must be writable then).
// Throws ProjectError naming the path and the cause.
Project load_project(const std::string& path);

// Writes the whole project in one transaction, replacing what the file held; creates the file when
// missing (or empty). Refuses to overwrite a file that is not a NeuraStudio project or that a newer
// NeuraStudio wrote. On failure the file keeps its previous content. Throws ProjectError.
// save_project writes exactly `project`: runs added with append_run() are dropped unless they are in
// project.runs too.
void save_project(const std::string& path, const Project& project);

// Cheaper writes for a training session: add one run (with its metrics so far) to an existing project
// file without rewriting the weights. Returns the run's id (assigned when run.id is 0).
std::int64_t append_run(const std::string& path, const RunRecord& run);
// Adds metric points to an existing run, in one transaction.
void append_metrics(const std::string& path, std::int64_t run_id, const std::vector<MetricPoint>& points);
// Sets a run's finish time, status and final metrics.
void finish_run(const std::string& path, std::int64_t run_id, const std::string& finished_at,
                const std::string& status, const std::string& final_metrics_json);

// Sets meta::kAppVersion to this build's version and meta::kModifiedAt to now, meta::kCreatedAt
// to now when absent, and meta::kPlugins to the plugins the model's nodes name (with the highest
// version each needs; "[]" for none). Call before save_project when saving for the user.
void stamp_metadata(Project& project);

// Current UTC time as "YYYY-MM-DDTHH:MM:SS.mmmZ".
std::string utc_now_iso8601();

}  // namespace neura::project
