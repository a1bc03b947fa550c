#include "neura/train/Experiment.h"

#include <omp.h>

#include <nlohmann/json.hpp>

#include "neura/autograd/GradMode.h"
#include "neura/backend/Cuda.h"
#include "neura/graph/ModelJson.h"
#include "neura/optim/Adam.h"
#include "neura/optim/AdamW.h"
#include "neura/optim/RMSprop.h"
#include "neura/optim/SGD.h"
#include "neura/core/JsonText.h"
#include "backend/cpu/ThreadScope.h"

namespace neura::train {

using nlohmann::json;

std::string DatasetSpec::to_json() const {
    json j = {{"name", name}, {"params", json::object()}};
    for (const auto& [k, v] : params) j["params"][k] = v;
    return j.dump(2);
}

DatasetSpec DatasetSpec::from_json(const std::string& text) {
    DatasetSpec s;
    if (text.empty()) return s;
    json j = parse_json<json>(text, "dataset choice");
    NEURA_CHECK(j.is_object() && j.contains("name") && j["name"].is_string(),
                "dataset choice: expected an object with a string \"name\"");
    s.name = j["name"].get<std::string>();
    if (j.contains("params")) {
        NEURA_CHECK(j["params"].is_object(), "dataset choice: \"params\" must be an object");
        for (const auto& [k, v] : j["params"].items())
            s.params[k] = v.is_string() ? v.get<std::string>() : v.dump();
    }
    return s;
}

std::unique_ptr<optim::Optimizer> make_optimizer(const TrainConfig& c, std::vector<Tensor> params) {
    if (c.optimizer == "SGD") {
        optim::SGDOptions o;
        o.lr = c.lr;
        o.momentum = c.momentum;
        o.nesterov = c.nesterov;
        o.weight_decay = std::max(c.weight_decay, 0.0);
        return std::make_unique<optim::SGD>(std::move(params), o);
    }
    if (c.optimizer == "Adam") {
        optim::AdamOptions o;
        o.lr = c.lr;
        o.beta1 = c.beta1;
        o.beta2 = c.beta2;
        o.weight_decay = std::max(c.weight_decay, 0.0);
        return std::make_unique<optim::Adam>(std::move(params), o);
    }
    if (c.optimizer == "AdamW") {
        optim::AdamWOptions o;
        o.lr = c.lr;
        o.beta1 = c.beta1;
        o.beta2 = c.beta2;
        if (c.weight_decay >= 0.0) o.weight_decay = c.weight_decay;
        return std::make_unique<optim::AdamW>(std::move(params), o);
    }
    if (c.optimizer == "RMSprop") {
        optim::RMSpropOptions o;
        o.lr = c.lr;
        o.momentum = c.momentum;
        o.weight_decay = std::max(c.weight_decay, 0.0);
        return std::make_unique<optim::RMSprop>(std::move(params), o);
    }
    throw Error("unknown optimizer '" + c.optimizer + "' (expected SGD, Adam, AdamW or RMSprop)");
}

std::unique_ptr<optim::LRScheduler> make_scheduler(const TrainConfig& c, optim::Optimizer& opt) {
    const auto& s = c.scheduler;
    if (s.type == "none") return nullptr;
    if (s.type == "StepLR") return std::make_unique<optim::StepLR>(opt, s.step_size, s.gamma);
    if (s.type == "ExponentialLR") return std::make_unique<optim::ExponentialLR>(opt, s.gamma);
    if (s.type == "CosineAnnealingLR")
        return std::make_unique<optim::CosineAnnealingLR>(opt, s.t_max > 0 ? s.t_max : c.epochs, s.eta_min);
    throw Error("unknown scheduler '" + s.type + "'");
}

Experiment::Experiment(const project::Project& project, const TrainConfig& config, const StopToken* stop)
    : config_(config) {
    auto check_stop = [stop](const char* during) {
        if (stop && stop->stop_requested()) throw RunStopped(std::string("stopped by the user while ") + during);
    };
    config_.validate();
    device_ = Device::parse(config_.device);
    check_device(device_);  // "device cuda:0 is not available: <why>", before any work
    NEURA_CHECK(!project.model_json.empty(), "the project has no model");
    graph_ = graph::from_json(project.model_json);
    NEURA_CHECK(!project.dataset_json.empty(),
                "the project names no dataset to train on (an imported model has none): choose one in the "
                "studio's Dataset dock, or import again with --dataset NAME[,key=value...]");
    const DatasetSpec spec = DatasetSpec::from_json(project.dataset_json);
    check_stop("preparing the run");
    full_ = data::make_dataset(spec.name, spec.params);
    check_stop("loading the dataset");
    if (config_.val_fraction > 0.0) {
        const data::Split split = data::train_val_split(full_, config_.val_fraction, config_.seed);
        train_ = split.train;
        val_ = split.val;
    } else {
        train_ = full_;
    }
    net_ = graph::compile(graph_, config_.seed);
    // Features that are token indices (the text and token-task datasets), or that a layer reads as
    // indices (an Embedding's), are not measurements: z-scores would turn them into other, or negative,
    // indices. They stay as they are.
    bool indices = full_->token_features();
    for (const auto& step : net_.steps())
        for (std::size_t p = 0; p < step.input_steps.size(); ++p)
            indices |= step.input_steps[p] == 0 && step.input_kinds[p] == graph::PortKind::Indices;
    if (config_.normalize && !indices) {
        standardizer_.fit(*train_);
        train_ = standardizer_.apply(train_);
        if (val_) val_ = standardizer_.apply(val_);
    }
    check_stop("preparing the dataset");
    NEURA_CHECK(net_.input_shape() == full_->feature_shape(), "the model's Input has shape ",
                shape_str(net_.input_shape()), " but dataset '", spec.name, "' gives samples of shape ",
                shape_str(full_->feature_shape()));
    // Token data straight into an Embedding: every token (a padding token included) needs a row. Said
    // here, with the numbers, rather than as an index error in the middle of the first batch.
    if (full_->token_features() && full_->feature_shape().size() == 1) {
        double largest = 0;
        std::vector<float> f(static_cast<std::size_t>(full_->feature_numel()));
        for (std::int64_t i = 0; i < full_->size(); ++i) {
            full_->read_features(i, f.data());
            for (const float v : f) largest = std::max(largest, static_cast<double>(v));
        }
        for (const graph::NodeId id : graph_.nodes_of_type("Embedding")) {
            const auto into = graph_.edges_into(id);
            if (into.empty() || graph_.node(graph_.edge(into.front()).from.node).type != "Input") continue;
            const graph::Node& n = graph_.node(id);
            const auto it = n.attributes.find("num_embeddings");
            if (it == n.attributes.end()) continue;
            const std::int64_t rows = graph::int_attribute(n.attributes, "num_embeddings");
            NEURA_CHECK(largest < static_cast<double>(rows), "Embedding '", n.name, "' has ", rows,
                        " rows (num_embeddings) but dataset '", spec.name, "' has token ",
                        static_cast<std::int64_t>(largest),
                        full_->variable_length() ? " (its padding token, after the real ones)" : "",
                        ": set num_embeddings to at least ", static_cast<std::int64_t>(largest) + 1);
        }
    }
    // Initialized on the CPU (the same weights for a seed on every device), then moved; the optimizer
    // gets the moved parameters, and the trainer moves each batch.
    if (device_ != Device::cpu()) net_.to(device_);
    optimizer_ = make_optimizer(config_, net_.parameters());
    scheduler_ = make_scheduler(config_, *optimizer_);
}

std::size_t Experiment::load_weights(const project::Project& project) {
    NoGradGuard ng;
    std::size_t loaded = 0;
    auto copy_matching = [&](const std::vector<std::pair<std::string, Tensor>>& targets) {
        for (const auto& [name, t] : targets)
            for (const auto& w : project.weights)
                if (w.name == name && w.tensor.shape() == t.shape()) {
                    Tensor(t).copy_(w.tensor);
                    ++loaded;
                }
    };
    copy_matching(net_.named_parameters());
    copy_matching(net_.named_buffers());
    return loaded;
}


int compute_threads(const TrainConfig& config, std::int64_t parameters) {
    if (config.threads > 0) return config.threads;
    return parameters * config.batch_size < 4'000'000 ? 1 : omp_get_num_procs();
}

FitResult Experiment::run(const Callbacks& callbacks, StopToken* stop) {
    cpu::ThreadScope threads(compute_threads(config_, net_.parameter_count()));
    cuda::StreamScope stream(device_);  // one stream for the whole run on a GPU; nothing on the CPU
    data::DataLoaderOptions o;
    o.batch_size = config_.batch_size;
    o.shuffle = true;
    o.seed = config_.seed;
    o.num_workers = config_.num_workers;
    data::DataLoader loader(train_, o);
    Trainer trainer(net_, *optimizer_, scheduler_.get());
    return trainer.fit(loader, val_.get(), config_.epochs, callbacks, stop);
}

void Experiment::store(project::Project& project, const FitResult& result, const std::string& started_at) const {
    NoGradGuard ng;
    // A diverged run's weights hold NaN or inf: the project keeps the weights it had, and gets the run's
    // history (marked failed) so the user sees what happened.
    if (result.status != FitStatus::Diverged) {
        // Host copies: the project holds CPU tensors whatever device trained.
        auto host_copy = [](const Tensor& t) {
            return t.device() == Device::cpu() ? t.detach().clone() : t.detach().to(Device::cpu());
        };
        project.weights.clear();
        for (const auto& [name, t] : net_.named_parameters()) project.weights.push_back({name, host_copy(t)});
        for (const auto& [name, t] : net_.named_buffers()) project.weights.push_back({name, host_copy(t)});
        const optim::OptimizerState s = optimizer_->state();
        project.optimizer_state.clear();
        for (const auto& [name, t] : s.tensors) project.optimizer_state.push_back({name, t.to(Device::cpu())});
        json oj = {{"type", s.type}, {"scalars", s.scalars}};
        project.optimizer_json = oj.dump(2);
        if (standardizer_.fitted()) project.metadata["normalization"] = standardizer_.to_json();
    }

    project::RunRecord run;
    run.started_at = started_at;
    run.finished_at = project::utc_now_iso8601();
    run.status = result.status == FitStatus::Completed ? project::run_status::kCompleted
                 : result.status == FitStatus::Stopped ? project::run_status::kStopped
                                                        : project::run_status::kFailed;
    run.config_json = config_.to_json();
    run.model_json = graph::to_json(graph_);  // the model as trained: a later edit or a sweep's change shows
    json final = {{"status", fit_status_name(result.status)}, {"message", result.message}};
    for (const auto& m : result.history) {
        auto add = [&](const char* name, double v) {
            if (v >= 0.0 || std::string(name).find("loss") != std::string::npos)
                run.metrics.push_back({m.epoch, -1, name, v});
        };
        add("train_loss", m.train_loss);
        if (m.train_accuracy >= 0) add("train_accuracy", m.train_accuracy);
        if (m.val_loss >= 0) add("val_loss", m.val_loss);
        if (m.val_accuracy >= 0) add("val_accuracy", m.val_accuracy);
        add("lr", m.lr);
        add("seconds", m.seconds);
    }
    if (!result.history.empty()) {
        const auto& last = result.history.back();
        final["epochs"] = result.history.size();
        final["train_loss"] = last.train_loss;
        if (last.train_accuracy >= 0) final["train_accuracy"] = last.train_accuracy;
        if (last.val_loss >= 0) final["val_loss"] = last.val_loss;
        if (last.val_accuracy >= 0) final["val_accuracy"] = last.val_accuracy;
    }
    run.final_metrics_json = final.dump();
    project.runs.push_back(run);
    if (project.train_config_json.empty()) project.train_config_json = config_.to_json();
}

}  // namespace neura::train
