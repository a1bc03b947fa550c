// Sweeps: resolving KEY=V1,V2 against a project, the grid's combinations, and running them one by one.
#include "neura/train/Sweep.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <variant>

#include "neura/core/Error.h"
#include "neura/core/JsonText.h"
#include "neura/graph/LayerRegistry.h"
#include "neura/graph/ModelJson.h"
#include "neura/graph/Validate.h"
#include "neura/train/Experiment.h"

namespace neura::train {

using nlohmann::json;

namespace {

// A full grid larger than this is refused (a typo such as 1,2,...,1000 on five keys); --random N draws
// at most this many runs from a larger grid.
constexpr std::uint64_t kMaxRuns = 100000;

std::string trim(const std::string& s) {
    const auto b = s.find_first_not_of(" \t");
    if (b == std::string::npos) return {};
    const auto e = s.find_last_not_of(" \t");
    return s.substr(b, e - b + 1);
}

std::string join(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& s : items) out += (out.empty() ? "" : ", ") + s;
    return out;
}

// The training settings a sweep can set, with their current values: TrainConfig's JSON keys, the
// scheduler's as "scheduler.<key>". "betas" (a pair) is not one of them.
json flat_config(const TrainConfig& config) {
    const json j = json::parse(config.to_json());
    json flat = json::object();
    for (const auto& [k, v] : j.items()) {
        if (v.is_object()) {
            for (const auto& [sk, sv] : v.items()) flat[k + "." + sk] = sv;
        } else if (!v.is_array()) {
            flat[k] = v;
        }
    }
    return flat;
}

// Sets "a" or "a.b" in the nested config JSON.
void set_config_key(json& config, const std::string& key, const json& value) {
    const auto dot = key.find('.');
    if (dot == std::string::npos)
        config[key] = value;
    else
        config[key.substr(0, dot)][key.substr(dot + 1)] = value;
}

[[noreturn]] void bad_value(const std::string& key, const std::string& text, const std::string& why) {
    throw Error("sweep: value '" + text + "' of " + key + " " + why);
}

std::int64_t parse_int(const std::string& key, const std::string& text) {
    std::int64_t v = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || end != text.data() + text.size()) bad_value(key, text, "is not an integer");
    return v;
}

std::uint64_t parse_unsigned(const std::string& key, const std::string& text) {
    std::uint64_t v = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || end != text.data() + text.size()) bad_value(key, text, "is not a non-negative integer");
    return v;
}

double parse_double(const std::string& key, const std::string& text) {
    char* end = nullptr;
    const double v = text.empty() ? 0.0 : std::strtod(text.c_str(), &end);
    if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(v)) bad_value(key, text, "is not a number");
    return v;
}

bool parse_bool(const std::string& key, const std::string& text) {
    if (text == "true" || text == "1") return true;
    if (text == "false" || text == "0") return false;
    bad_value(key, text, "is not true or false");
}

// A training setting's value, typed like the setting's current value.
json config_value(const json& current, const std::string& key, const std::string& text) {
    if (current.is_boolean()) return parse_bool(key, text);
    if (current.is_number_unsigned()) return parse_unsigned(key, text);
    if (current.is_number_integer()) return parse_int(key, text);
    if (current.is_number_float()) return parse_double(key, text);
    return text;
}

// An attribute's value: "3", "0.5", "true", "mean", "[3,3]" or "3x3" for an int list, checked against the
// layer's schema as validate() checks the model's values (range, choices, list length).
json attribute_value(const graph::AttributeSpec& spec, const std::string& key, const std::string& text) {
    graph::AttributeValue value;
    switch (spec.type) {
        case graph::AttributeType::Int: value = parse_int(key, text); break;
        case graph::AttributeType::Float: value = parse_double(key, text); break;
        case graph::AttributeType::Bool: value = parse_bool(key, text); break;
        case graph::AttributeType::Choice: value = text; break;
        case graph::AttributeType::IntList: {
            std::string body = text;
            if (body.size() >= 2 && body.front() == '[' && body.back() == ']') body = body.substr(1, body.size() - 2);
            std::replace(body.begin(), body.end(), 'x', ',');
            std::vector<std::int64_t> list;
            std::size_t start = 0;
            while (start <= body.size()) {
                const auto comma = std::min(body.find(',', start), body.size());
                const std::string item = trim(body.substr(start, comma - start));
                if (item.empty()) bad_value(key, text, "is not a list of integers such as [3,3] or 3x3");
                list.push_back(parse_int(key, item));
                start = comma + 1;
            }
            value = std::move(list);
            break;
        }
    }
    if (const std::string why = graph::attribute_problem(spec, value); !why.empty())
        throw Error("sweep: value '" + text + "' of " + key + ": " + why);
    return std::visit([](const auto& v) { return json(v); }, value);
}

graph::AttributeValue to_attribute(graph::AttributeType type, const json& v) {
    switch (type) {
        case graph::AttributeType::Int: return v.get<std::int64_t>();
        case graph::AttributeType::Float: return v.get<double>();
        case graph::AttributeType::Bool: return v.get<bool>();
        case graph::AttributeType::Choice: return v.get<std::string>();
        case graph::AttributeType::IntList: return v.get<std::vector<std::int64_t>>();
    }
    throw Error("sweep: unknown attribute type");
}

std::string node_names(const graph::ModelGraph& g) {
    std::vector<std::string> names;
    for (const auto& [id, n] : g.nodes()) names.push_back(n.name);
    return join(names);
}

json final_json(const std::string& text) {
    auto parsed = try_parse_json<json>(text);
    return parsed && parsed->is_object() ? *parsed : json::object();
}

}  // namespace

SweepAxis parse_sweep_axis(const std::string& text) {
    const auto eq = text.find('=');
    SweepAxis axis;
    axis.key = trim(text.substr(0, eq == std::string::npos ? 0 : eq));
    if (eq == std::string::npos || axis.key.empty())
        throw Error("sweep: '" + text + "' is not KEY=V1,V2,... (such as lr=0.1,0.01 or fc1.out_features=32,64)");
    const std::string values = text.substr(eq + 1);
    int depth = 0;
    std::string current;
    auto flush = [&] {
        const std::string v = trim(current);
        if (v.empty()) throw Error("sweep: '" + text + "' has an empty value for " + axis.key);
        axis.values.push_back(v);
        current.clear();
    };
    for (const char c : values) {
        if (c == '[') ++depth;
        if (c == ']') --depth;
        if (c == ',' && depth <= 0) {
            flush();
            continue;
        }
        current += c;
    }
    flush();
    return axis;
}

Sweep::Sweep(const project::Project& project, const TrainConfig& base, const SweepOptions& options)
    : base_config_(base) {
    NEURA_CHECK(!options.grid.empty(), "sweep: no settings to vary (give at least one KEY=V1,V2,...)");
    NEURA_CHECK(!project.model_json.empty(), "sweep: the project has no model");
    NEURA_CHECK(options.random >= 0, "sweep: the number of random runs must be positive, got ", options.random);
    NEURA_CHECK(options.epochs >= 0, "sweep: epochs must be at least 1, got ", options.epochs);
    if (options.epochs > 0) base_config_.epochs = options.epochs;
    base_config_.validate();
    base_project_.model_json = project.model_json;
    base_project_.dataset_json = project.dataset_json;
    const graph::ModelGraph graph = graph::from_json(project.model_json);
    const json flat = flat_config(base_config_);
    const json base_json = json::parse(base_config_.to_json());

    // Every axis resolved and every value typed and checked, before any run.
    std::vector<std::vector<SweepSetting>> axes;
    for (const SweepAxis& axis : options.grid) {
        const std::string& key = axis.key;
        NEURA_CHECK(std::find(keys_.begin(), keys_.end(), key) == keys_.end(), "sweep: ", key, " is given twice");
        NEURA_CHECK(!axis.values.empty(), "sweep: ", key, " has no values");
        keys_.push_back(key);
        std::vector<SweepSetting> settings;
        std::set<std::string> seen;
        if (flat.contains(key)) {
            for (const std::string& text : axis.values) {
                const json v = config_value(flat.at(key), key, text);
                json j = base_json;
                set_config_key(j, key, v);
                try {
                    TrainConfig::from_json(j.dump());
                } catch (const Error& e) {
                    throw Error("sweep: " + key + "=" + text + ": " + e.what());
                }
                settings.push_back({key, "", "", v.dump()});
            }
        } else {
            const auto dot = key.find('.');
            std::vector<std::string> config_keys;
            for (const auto& [k, v] : flat.items()) config_keys.push_back(k);
            if (dot == std::string::npos)
                throw Error("sweep: unknown setting '" + key + "': it is neither a training setting (" +
                            join(config_keys) + ") nor NODE.ATTRIBUTE of a node (" + node_names(graph) + ")");
            const std::string node = key.substr(0, dot), attribute = key.substr(dot + 1);
            const graph::NodeId id = graph.find_node(node);
            if (!id.valid())
                throw Error("sweep: unknown setting '" + key + "': the model has no node '" + node +
                            "' (its nodes: " + node_names(graph) + ")");
            const graph::Node& n = graph.node(id);
            const graph::LayerDescriptor* layer = graph::LayerRegistry::instance().find(n.type);
            NEURA_CHECK(layer != nullptr, "sweep: node '", node, "' has layer type '", n.type,
                        "', which this build does not know");
            const graph::AttributeSpec* spec = layer->find_attribute(attribute);
            if (spec == nullptr) {
                std::vector<std::string> names;
                for (const auto& a : layer->attributes) names.push_back(a.name);
                throw Error("sweep: unknown setting '" + key + "': " + n.type + " node '" + node +
                            "' has no attribute '" + attribute + "'" +
                            (names.empty() ? std::string(" (it has none)") : " (its attributes: " + join(names) + ")"));
            }
            for (const std::string& text : axis.values)
                settings.push_back({key, node, attribute, attribute_value(*spec, key, text).dump()});
        }
        for (const auto& s : settings)
            NEURA_CHECK(seen.insert(s.value_json).second, "sweep: ", key, " lists the value ", s.value_json, " twice");
        axes.push_back(std::move(settings));
    }

    // Combinations in a fixed order: the first key varies slowest, the last fastest.
    std::uint64_t total = 1;
    for (const auto& a : axes) {
        if (total > kMaxRuns * 1000) break;  // large enough to refuse; no overflow
        total *= a.size();
    }
    auto combination = [&](std::uint64_t index) {
        std::vector<SweepSetting> c(axes.size());
        for (std::size_t k = axes.size(); k-- > 0;) {
            c[k] = axes[k][index % axes[k].size()];
            index /= axes[k].size();
        }
        return c;
    };
    std::vector<std::uint64_t> indices;
    if (options.random == 0) {
        NEURA_CHECK(total <= kMaxRuns, "sweep: the grid has ", total > kMaxRuns * 1000 ? "over " : "",
                    total, " combinations; a sweep runs at most ", kMaxRuns, " (draw some with --random N)");
        for (std::uint64_t i = 0; i < total; ++i) indices.push_back(i);
    } else {
        const auto n = static_cast<std::uint64_t>(options.random);
        NEURA_CHECK(n <= total, "sweep: --random ", n, " asks for more runs than the grid has combinations (", total,
                    ")");
        NEURA_CHECK(n <= kMaxRuns, "sweep: --random ", n, " is more than the ", kMaxRuns, " runs a sweep allows");
        // Distinct indices drawn with the seed (mt19937_64 is the same everywhere), then in grid order.
        std::mt19937_64 rng(options.seed);
        std::set<std::uint64_t> chosen;
        while (chosen.size() < n) chosen.insert(rng() % total);
        indices.assign(chosen.begin(), chosen.end());
    }
    for (const std::uint64_t i : indices) combinations_.push_back(combination(i));
}

std::string Sweep::settings_json(std::size_t i) const {
    // Written by hand: json::object() sorts its keys, and the record keeps them in the sweep's order.
    std::string out = "{";
    bool first = true;
    for (const SweepSetting& s : combinations_.at(i)) {
        out += (first ? "" : ", ") + json(s.key).dump() + ": " + s.value_json;
        first = false;
    }
    return out + "}";
}

TrainConfig Sweep::config(std::size_t i) const {
    json j = json::parse(base_config_.to_json());
    for (const SweepSetting& s : combinations_.at(i))
        if (s.node.empty()) set_config_key(j, s.key, json::parse(s.value_json));
    return TrainConfig::from_json(j.dump());
}

std::string Sweep::model_json(std::size_t i) const {
    graph::ModelGraph g = graph::from_json(base_project_.model_json);
    for (const SweepSetting& s : combinations_.at(i)) {
        if (s.node.empty()) continue;
        const graph::NodeId id = g.find_node(s.node);
        const graph::LayerDescriptor& layer = graph::LayerRegistry::instance().at(g.node(id).type);
        const graph::AttributeSpec* spec = layer.find_attribute(s.attribute);
        NEURA_CHECK(spec != nullptr, "sweep: node '", s.node, "' has no attribute '", s.attribute, "'");
        g.set_attribute(id, s.attribute, to_attribute(spec->type, json::parse(s.value_json)));
    }
    return graph::to_json(g);
}

project::RunRecord run_sweep_run(const Sweep& sweep, std::size_t index, const project::Project& project,
                                 const Callbacks& callbacks, StopToken* stop) {
    const auto t0 = std::chrono::steady_clock::now();
    auto seconds = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };
    project::RunRecord record;
    record.started_at = project::utc_now_iso8601();
    record.settings_json = sweep.settings_json(index);
    try {
        const TrainConfig config = sweep.config(index);
        record.config_json = config.to_json();
        record.model_json = sweep.model_json(index);
        // A value that breaks the model (shapes that no longer fit) fails this run, in the Issues dock's words.
        const graph::ModelGraph graph = graph::from_json(record.model_json);
        std::string problems;
        for (const auto& d : graph::validate(graph))
            if (d.severity == graph::Severity::Error)
                problems += (problems.empty() ? "" : "; ") + graph::describe(graph, d);
        if (!problems.empty()) throw Error("the model is not valid with these settings: " + problems);
        // The run's own copy: the model with the settings, the project's dataset; no weights (a fresh start).
        project::Project copy;
        copy.model_json = record.model_json;
        copy.dataset_json = project.dataset_json;
        copy.train_config_json = record.config_json;
        Experiment experiment(copy, config, stop);
        const FitResult result = experiment.run(callbacks, stop);
        experiment.store(copy, result, record.started_at);
        project::RunRecord stored = std::move(copy.runs.back());
        stored.settings_json = record.settings_json;
        record = std::move(stored);
    } catch (const RunStopped&) {
        throw;
    } catch (const std::exception& e) {
        record.finished_at = project::utc_now_iso8601();
        record.status = project::run_status::kFailed;
        record.final_metrics_json = json{{"status", "failed"}, {"message", e.what()}}.dump();
    }
    json final = final_json(record.final_metrics_json);
    final["seconds"] = seconds();
    record.final_metrics_json = final.dump();
    return record;
}

SweepResult run_sweep(project::Project& project, const Sweep& sweep, const SweepCallbacks& callbacks,
                      StopToken* stop) {
    SweepResult out;
    for (std::size_t i = 0; i < sweep.size(); ++i) {
        if (stop && stop->stop_requested()) {
            out.stopped = true;
            break;
        }
        if (callbacks.on_run_start) callbacks.on_run_start(i, sweep.size(), sweep.settings_json(i));
        project::RunRecord record;
        try {
            record = run_sweep_run(sweep, i, project, callbacks.train, stop);
        } catch (const RunStopped&) {
            out.stopped = true;
            break;
        }
        std::int64_t next = 1;
        for (const auto& r : project.runs) next = std::max(next, r.id + 1);
        record.id = next;
        ++out.runs;
        if (record.status == project::run_status::kFailed) ++out.failed;
        project.runs.push_back(record);
        if (callbacks.on_run_finished) callbacks.on_run_finished(i, project.runs.back());
        if (record.status == project::run_status::kStopped) {
            out.stopped = true;
            break;
        }
    }
    return out;
}

std::vector<std::string> sweep_keys(const project::Project& project) {
    std::vector<std::string> keys;
    TrainConfig config;
    try {
        config = TrainConfig::from_json(project.train_config_json);
    } catch (const Error&) {
        // the defaults' keys are the same
    }
    const json flat = flat_config(config);
    for (const auto& [k, v] : flat.items()) keys.push_back(k);
    try {
        const graph::ModelGraph g = graph::from_json(project.model_json);
        for (const auto& [id, n] : g.nodes())
            if (const auto* layer = graph::LayerRegistry::instance().find(n.type))
                for (const auto& a : layer->attributes) keys.push_back(n.name + "." + a.name);
    } catch (const Error&) {
        // no model, or one that does not load: only the training settings
    }
    return keys;
}

}  // namespace neura::train
