// Writes a few small valid .neura files into the folder given as argv[1]: the fuzzer's seed corpus.
#include <cstdint>
#include <cstdio>
#include <string>

#include "neura/project/Project.h"

using namespace neura;
using namespace neura::project;

namespace {

Tensor filled(const Shape& shape, DType dtype, double start) {
    Tensor t = Tensor::empty(shape, dtype);
    for (std::int64_t i = 0; i < t.numel(); ++i) {
        switch (dtype) {
            case DType::F32: static_cast<float*>(t.raw_data())[i] = static_cast<float>(start + i); break;
            case DType::F64: static_cast<double*>(t.raw_data())[i] = start + i; break;
            case DType::I64: static_cast<std::int64_t*>(t.raw_data())[i] = static_cast<std::int64_t>(start) + i; break;
        }
    }
    return t;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s <corpus folder>\n", argv[0]);
        return 2;
    }
    const std::string dir = argv[1];

    save_project(dir + "/empty.neura", Project{});

    Project small;
    small.model_json = R"({"nodes":[{"id":1,"type":"Linear","attrs":{"in":2,"out":1}}],"edges":[]})";
    small.layout_json = R"({"1":{"x":0,"y":0}})";
    small.train_config_json = R"({"epochs":1})";
    small.dataset_json = R"({"name":"xor"})";
    small.optimizer_json = R"({"type":"SGD","lr":0.1})";
    small.weights.push_back({"fc.weight", filled({1, 2}, DType::F32, 0.5)});
    small.weights.push_back({"fc.bias", filled({1}, DType::F32, -1)});
    small.metadata[meta::kAppVersion] = "0.1.0";
    save_project(dir + "/small.neura", small);

    Project full = small;
    full.weights.push_back({"table", filled({3, 2}, DType::F64, 2)});
    full.weights.push_back({"count", filled({}, DType::I64, 7)});
    full.optimizer_state.push_back({"fc.weight.momentum", filled({1, 2}, DType::F32, 0)});
    RunRecord run;
    run.id = 1;
    run.started_at = "2024-05-01T10:00:00.000Z";
    run.finished_at = "2024-05-01T10:01:00.000Z";
    run.status = run_status::kCompleted;
    run.config_json = R"({"epochs":2})";
    run.final_metrics_json = R"({"loss":0.25})";
    run.metrics = {{0, 0, "loss", 1.0}, {0, 0, "accuracy", 0.5}, {1, 1, "loss", 0.25}};
    run.model_json = R"({"nodes":[]})";      // schema 2
    run.settings_json = R"({"lr":0.01})";
    full.runs.push_back(run);
    full.metadata[meta::kPlugins] = "[]";
    save_project(dir + "/full.neura", full);
    return 0;
}
