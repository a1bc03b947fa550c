#pragma once
// Helpers shared by the project-file tests: deterministic projects and an exact comparison.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>

#include "neura/project/Project.h"

namespace neura::project::testutil {

inline std::uint64_t splitmix64(std::uint64_t& state) {
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

// A CPU tensor filled with deterministic values derived from seed (no engine ops involved).
inline Tensor make_tensor(const Shape& shape, DType dtype, std::uint64_t seed) {
    Tensor t = Tensor::empty(shape, dtype);
    const std::int64_t n = t.numel();
    std::uint64_t s = seed;
    for (std::int64_t i = 0; i < n; ++i) {
        const std::uint64_t r = splitmix64(s);
        switch (dtype) {
            case DType::F32: static_cast<float*>(t.raw_data())[i] = static_cast<float>(r >> 40) / 16777216.0f - 0.5f; break;
            case DType::F64: static_cast<double*>(t.raw_data())[i] = static_cast<double>(r >> 11) / 9007199254740992.0 - 0.5; break;
            case DType::I64: static_cast<std::int64_t*>(t.raw_data())[i] = static_cast<std::int64_t>(r); break;
        }
    }
    return t;
}

// A project whose every field depends on `variant`; `scale` multiplies the weight sizes
// (scale 64 is about 4 MB of weights, which takes a few milliseconds to save).
inline Project make_project(int variant, int scale = 1, int metrics_per_run = 50) {
    const auto v = static_cast<std::uint64_t>(variant);
    const std::string tag = std::to_string(variant);
    Project p;
    p.model_json = R"({"nodes":[{"id":1,"type":"Linear","variant":)" + tag + "}],\"edges\":[]}";
    p.layout_json = R"({"1":{"x":)" + tag + R"(,"y":-2.5}})";
    p.train_config_json = R"({"epochs":)" + tag + R"(,"lr":0.001})";
    p.dataset_json = R"({"name":"mnist","variant":)" + tag + "}";
    p.optimizer_json = R"({"type":"AdamW","step":)" + tag + "}";
    const std::int64_t rows = 32 * scale + variant;  // shapes differ between variants too
    p.weights.push_back({"fc1.weight", make_tensor({rows, 128}, DType::F32, v * 100 + 1)});
    p.weights.push_back({"fc1.bias", make_tensor({rows}, DType::F32, v * 100 + 2)});
    p.weights.push_back({"fc2.weight", make_tensor({10, rows}, DType::F64, v * 100 + 3)});
    p.weights.push_back({"bn.num_batches_tracked", make_tensor({}, DType::I64, v * 100 + 4)});
    p.weights.push_back({"embedding.index_" + tag, make_tensor({3, 7}, DType::I64, v * 100 + 5)});
    p.optimizer_state.push_back({"fc1.weight.exp_avg", make_tensor({rows, 128}, DType::F32, v * 100 + 6)});
    p.optimizer_state.push_back({"fc1.weight.exp_avg_sq", make_tensor({rows, 128}, DType::F32, v * 100 + 7)});
    p.optimizer_state.push_back({"step", make_tensor({1}, DType::I64, v * 100 + 8)});
    for (int r = 1; r <= 2 + variant % 3; ++r) {
        RunRecord run;
        run.id = r + variant * 10;
        run.started_at = "2024-05-0" + std::to_string(r) + "T10:00:00.000Z";
        run.finished_at = r % 2 == 0 ? "" : "2024-05-0" + std::to_string(r) + "T11:00:00.000Z";
        run.status = r % 2 == 0 ? run_status::kRunning : run_status::kCompleted;
        run.config_json = R"({"run":)" + std::to_string(r) + R"(,"variant":)" + tag + "}";
        run.final_metrics_json = r % 2 == 0 ? "" : R"({"loss":0.)" + std::to_string(r) + "}";
        // Schema 2: the first run is a plain one (no model kept), the others a sweep's.
        if (r > 1) {
            run.model_json = R"({"nodes":[{"id":1,"run":)" + std::to_string(r) + "}]}";
            run.settings_json = R"({"lr":0.0)" + std::to_string(r) + R"(,"fc1.out_features":)" + tag + "}";
        }
        for (int i = 0; i < metrics_per_run; ++i) {
            run.metrics.push_back({i / 10, i, "loss", 1.0 / (i + 1 + variant)});
            run.metrics.push_back({i / 10, i, "accuracy", i * 0.01 + variant});
        }
        p.runs.push_back(std::move(run));
    }
    p.metadata[meta::kAppVersion] = "0.1." + tag;
    p.metadata[meta::kCreatedAt] = "2024-05-01T09:00:00.000Z";
    p.metadata["variant"] = tag;
    return p;
}

inline bool same_tensor(const Tensor& a, const Tensor& b) {
    if (a.defined() != b.defined()) return false;
    if (!a.defined()) return true;
    if (a.dtype() != b.dtype() || a.shape() != b.shape()) return false;
    const Tensor ca = a.contiguous();
    const Tensor cb = b.contiguous();
    const auto n = static_cast<std::size_t>(ca.numel()) * element_size(ca.dtype());
    return n == 0 || std::memcmp(ca.raw_data(), cb.raw_data(), n) == 0;
}

inline bool same_value(double a, double b) { return (std::isnan(a) && std::isnan(b)) || a == b; }

// Empty when equal, otherwise the first difference.
inline std::string project_diff(const Project& a, const Project& b) {
    if (a.model_json != b.model_json) return "model_json";
    if (a.layout_json != b.layout_json) return "layout_json";
    if (a.train_config_json != b.train_config_json) return "train_config_json";
    if (a.dataset_json != b.dataset_json) return "dataset_json";
    if (a.optimizer_json != b.optimizer_json) return "optimizer_json";
    if (a.metadata != b.metadata) return "metadata";
    auto tensors = [](const std::vector<NamedTensor>& x, const std::vector<NamedTensor>& y,
                      const std::string& what) -> std::string {
        if (x.size() != y.size()) return what + " count " + std::to_string(x.size()) + " vs " + std::to_string(y.size());
        for (std::size_t i = 0; i < x.size(); ++i) {
            if (x[i].name != y[i].name) return what + "[" + std::to_string(i) + "] name " + x[i].name + " vs " + y[i].name;
            if (!same_tensor(x[i].tensor, y[i].tensor)) return what + " tensor " + x[i].name;
        }
        return {};
    };
    if (auto d = tensors(a.weights, b.weights, "weights"); !d.empty()) return d;
    if (auto d = tensors(a.optimizer_state, b.optimizer_state, "optimizer_state"); !d.empty()) return d;
    if (a.runs.size() != b.runs.size()) return "run count";
    for (std::size_t i = 0; i < a.runs.size(); ++i) {
        const RunRecord& x = a.runs[i];
        const RunRecord& y = b.runs[i];
        const std::string r = "run " + std::to_string(x.id) + " ";
        if (x.id != y.id) return r + "id";
        if (x.started_at != y.started_at || x.finished_at != y.finished_at) return r + "times";
        if (x.status != y.status) return r + "status";
        if (x.config_json != y.config_json || x.final_metrics_json != y.final_metrics_json) return r + "json";
        if (x.model_json != y.model_json) return r + "model_json";
        if (x.settings_json != y.settings_json) return r + "settings_json";
        if (x.metrics.size() != y.metrics.size()) return r + "metric count";
        for (std::size_t k = 0; k < x.metrics.size(); ++k) {
            const MetricPoint& m = x.metrics[k];
            const MetricPoint& n = y.metrics[k];
            if (m.epoch != n.epoch || m.step != n.step || m.name != n.name || !same_value(m.value, n.value))
                return r + "metric " + std::to_string(k);
        }
    }
    return {};
}

}  // namespace neura::project::testutil
