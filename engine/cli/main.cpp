// neura: the command-line side of NeuraStudio — create, inspect, train and check project files.
// Exit codes: 0 ok, 1 failure, 2 bad usage.
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "neura/backend/Cuda.h"
#include "neura/eval/Evaluation.h"
#include "neura/eval/ModelDiff.h"
#include "neura/export/PyTorchExport.h"
#include "neura/graph/ModelJson.h"
#include "neura/graph/ShapeReport.h"
#include "neura/graph/Validate.h"
#include "neura/neura.h"
#include "neura/onnx/Export.h"
#include "neura/onnx/Import.h"
#include "neura/onnx/TensorFile.h"
#include "neura/plugin/PluginManager.h"
#include "neura/project/Project.h"
#include "neura/train/Experiment.h"
#include "neura/train/Generate.h"
#include "neura/train/LayerGradcheck.h"
#include "neura/train/Sweep.h"
#include "neura/train/TrainedModel.h"
#include "neura/Version.h"

using namespace neura;
using nlohmann::json;

namespace {

struct Usage : std::runtime_error {
    using std::runtime_error::runtime_error;
};

const char* kHelp = R"(neura — train and inspect NeuraStudio projects from the command line

usage:
  neura create P.neura --model M.json [--dataset NAME[,key=value...]] [--config C.json] [--force]
  neura dump P.neura                  print the model's JSON text form
  neura info [--json]                 the compute devices (CUDA GPUs, or why there are none)
  neura info P.neura [--json]         layers, output shapes, parameters, MACs (multiply-accumulates per
                                      sample), activation memory, diagnostics; the devices
  neura train P.neura [--epochs N] [--batch-size B] [--lr X] [--optimizer NAME] [--device cpu|cuda:N]
                      [--seed S] [--resume] [--json]
  neura evaluate P.neura [--split val|train] [--json]
                                      the trained model on the validation (default) or training split:
                                      confusion matrix (rows: true class, columns: predicted), accuracy,
                                      per-class precision, recall, F1 and support, macro and weighted
                                      averages, ROC and precision-recall areas; MSE, MAE and R² for
                                      regression
  neura sweep P.neura --grid KEY=V1,V2[,...] [--grid ...] [--random N] [--epochs N] [--seed S] [--json]
                                      train one run per combination of the values (the first KEY
                                      varies slowest) and add each run to the project's history;
                                      the project's model, settings and weights stay as they are.
                                      KEY: a training setting as in the config (lr, batch_size,
                                      epochs, optimizer, momentum, weight_decay, seed, val_fraction,
                                      scheduler.type, ...) or NODE.ATTRIBUTE (fc1.out_features);
                                      --random N: N distinct combinations drawn with seed S (default 0)
  neura gradcheck P.neura [--json] [--eps E] [--atol A] [--rtol R] [--max-elements K]
  neura export P.neura -o M.onnx      the trained model as ONNX (opset 17; takes raw features)
  neura export-torch P.neura -o DIR   the project as PyTorch code in folder DIR: model.py (an nn.Module,
                                      load() with the trained weights.pt), data.py, train.py (the
                                      project's loss, optimizer, schedule, seed; --nproc N or torchrun
                                      for DistributedDataParallel) and README.md
  neura run P.neura --input IN.pb -o OUT.pb
                                      run the trained model (eval mode) on an ONNX TensorProto file
                                      of raw features [batch, ...]; writes the output TensorProto
  neura generate P.neura --prompt TEXT [--temperature T] [--top-k K] [--top-p P] [--length N] [--seed S]
                                      continue TEXT with a character model trained on the text
                                      dataset: prints TEXT and N more characters (default 200),
                                      sampled at temperature T (default 1; 0 = the most likely
                                      character each time) among the K most likely (default 0: all)
                                      and the fewest whose probabilities reach P (default 1: all),
                                      with seed S (default 0)
  neura import M.onnx -o P.neura [--dataset NAME[,key=value...]] [--loss TYPE] [--force]
                                      an ONNX model (as export writes it) as a project with its weights
  neura diff A.neura B.neura [--json] what changed from A's model to B's: nodes added (+), removed (-)
                                      and changed (~, with each attribute's old → new value), edges
                                      added and removed, and the parameter counts
  neura diff P.neura --run I --run J [--json]
                                      the same between the models runs I and J of P trained
  neura datasets                      the built-in datasets and their parameters
  neura plugins [--json]              plugins loaded (path, version, layers, gradient check) and
                                      refused (with the reason), and the folders searched
  neura --version | --help

Every command loads the plugins first, from NEURA_PLUGIN_PATH (colon-separated folders or files),
the user's plugin folder and the installation's; see `neura plugins`.

exit codes: 0 ok, 1 failure, 2 bad usage
)";

struct Args {
    std::string command;
    std::vector<std::string> positional;
    std::map<std::string, std::string> options;  // "--epochs" → "5"; flags → ""; the last of repeated ones
    std::map<std::string, std::vector<std::string>> repeated;  // every value of each option, in order

    bool flag(const std::string& name) const { return options.count(name) != 0; }
    std::optional<std::string> get(const std::string& name) const {
        auto it = options.find(name);
        if (it == options.end()) return std::nullopt;
        return it->second;
    }
};

Args parse(int argc, char** argv, const std::map<std::string, bool>& known /* name → takes a value */) {
    Args a;
    a.command = argc > 1 ? argv[1] : "";
    for (int i = 2; i < argc; ++i) {
        std::string s = argv[i];
        if (s == "-o") s = "--output";
        if (s.rfind("--", 0) == 0) {
            std::string value;
            const auto eq = s.find('=');
            if (eq != std::string::npos) {
                value = s.substr(eq + 1);
                s = s.substr(0, eq);
            }
            auto it = known.find(s);
            if (it == known.end()) throw Usage("unknown option " + s + " for '" + a.command + "'");
            if (it->second && eq == std::string::npos) {
                if (i + 1 >= argc) throw Usage("option " + s + " needs a value");
                value = argv[++i];
            }
            a.options[s] = value;
            a.repeated[s].push_back(value);
        } else {
            a.positional.push_back(s);
        }
    }
    return a;
}

// The project file the command works on: a failure that does not name it already is reported as
// "neura: P.neura: <what went wrong>".
std::string g_subject;

std::string project_path(const Args& a) {
    if (a.positional.size() != 1) throw Usage("'" + a.command + "' takes one project file");
    g_subject = a.positional[0];
    return a.positional[0];
}

double number(const Args& a, const std::string& name, double fallback) {
    auto v = a.get(name);
    if (!v) return fallback;
    try {
        std::size_t used = 0;
        const double d = std::stod(*v, &used);
        if (used != v->size()) throw std::invalid_argument("");
        return d;
    } catch (const std::exception&) {
        throw Usage("option " + name + " expects a number, got '" + *v + "'");
    }
}

std::string read_file(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    if (!f) throw Error(std::string("cannot read it (") + std::strerror(errno) + ")");
    std::ostringstream s;
    s << f.rdbuf();
    return s.str();
}

// "--dataset NAME[,key=value...]"
train::DatasetSpec dataset_spec(const std::string& text) {
    train::DatasetSpec spec;
    std::stringstream ss(text);
    std::string part;
    std::getline(ss, spec.name, ',');
    while (std::getline(ss, part, ',')) {
        const auto eq = part.find('=');
        if (eq == std::string::npos) throw Usage("--dataset parameters are key=value, got '" + part + "'");
        spec.params[part.substr(0, eq)] = part.substr(eq + 1);
    }
    return spec;
}

// ---------------------------------------------------------------- create
int cmd_create(const Args& a) {
    const std::string path = project_path(a);
    g_subject.clear();  // create's failures name the input file they come from, or the project
    auto model_path = a.get("--model");
    if (!model_path) throw Usage("create needs --model M.json");
    if (std::filesystem::exists(path) && !a.flag("--force"))
        throw Error("'" + path + "' exists already; pass --force to replace it");
    project::Project p;
    // Errors in a file given on the command line name that file first.
    const auto from_file = [](const std::string& file, const auto& read) {
        try {
            return read(read_file(file));
        } catch (const Error& e) {
            throw Error(file + ": " + e.what());
        }
    };
    const graph::ModelGraph g =  // reports format errors by JSON path
        from_file(*model_path, [](const std::string& text) { return graph::from_json(text); });
    p.model_json = graph::to_json(g);
    train::DatasetSpec spec;
    if (auto d = a.get("--dataset")) spec = dataset_spec(*d);
    data::make_dataset(spec.name, spec.params);  // fails now, naming the parameter, rather than at training
    p.dataset_json = spec.to_json();
    p.train_config_json =
        a.get("--config")
            ? from_file(*a.get("--config"), [](const std::string& text) { return train::TrainConfig::from_json(text); })
                  .to_json()
            : train::TrainConfig().to_json();
    project::stamp_metadata(p);
    if (std::filesystem::exists(path)) std::filesystem::remove(path);
    project::save_project(path, p);
    std::cout << "created " << path << " (" << g.node_count() << " nodes, dataset " << spec.name << ")\n";
    return 0;
}

// ---------------------------------------------------------------- info
std::string shape_text(const graph::NodeShapes* s) {
    if (!s || !s->known || s->outputs.empty()) return "?";
    std::string out = "[B";
    for (auto d : s->outputs[0]) out += ", " + std::to_string(d);
    return out + "]";
}

json devices_json() {
    json j = {{"cuda_built", cuda::built_with_cuda()}, {"cuda_devices", json::array()}};
    for (const auto& d : cuda::devices(true))
        j["cuda_devices"].push_back({{"device", "cuda:" + std::to_string(d.index)},
                                     {"name", d.name},
                                     {"compute_capability", std::to_string(d.compute_major) + "." +
                                                                std::to_string(d.compute_minor)},
                                     {"total_memory", d.total_memory},
                                     {"free_memory", d.free_memory}});
    if (cuda::device_count() == 0) j["cuda_unavailable"] = cuda::unavailable_reason();
    return j;
}

int cmd_info(const Args& a) {
    if (a.positional.empty()) {  // no project: the machine
        if (a.flag("--json")) {
            std::cout << json{{"version", NEURA_VERSION}, {"devices", devices_json()}}.dump(2) << "\n";
        } else {
            std::printf("neura %s\nDevices: cpu; %s\n", NEURA_VERSION, cuda::describe_devices().c_str());
        }
        return 0;
    }
    const auto p = project::load_project(project_path(a));
    const graph::ModelGraph g = graph::from_json(p.model_json);
    const auto report = graph::infer_shapes(g);
    const auto diags = graph::validate(g);
    const auto spec = train::DatasetSpec::from_json(p.dataset_json);
    const std::string dataset = p.dataset_json.empty() ? "(none)" : spec.name;
    if (a.flag("--json")) {
        json j = {{"dataset", p.dataset_json.empty() ? json(nullptr) : json(spec.name)}, {"total_parameters", report.total_parameters}, {"layers", json::array()},
                  {"diagnostics", json::array()}};
        for (const auto& [id, node] : g.nodes()) {
            const auto* s = report.find(id);
            json l = {{"id", id.value}, {"name", node.name}, {"type", node.type},
                      {"parameters", s ? s->parameters : 0}};
            if (s && s->known && !s->outputs.empty()) l["output_shape"] = s->outputs[0];
            if (s && s->known) {
                l["macs"] = s->macs >= 0 ? json(s->macs) : json(nullptr);
                std::int64_t elements = 0;
                for (const Shape& o : s->outputs) elements += shape_numel(o);
                l["activation_bytes_per_sample"] = elements * 4;
            }
            j["layers"].push_back(l);
        }
        for (const auto& d : diags)
            j["diagnostics"].push_back({{"severity", graph::severity_name(d.severity)},
                                        {"node", d.node.valid() ? json(d.node.value) : json(nullptr)},
                                        {"message", d.message}});
        j["activation_bytes_per_sample"] = report.activation_bytes(1);
        j["macs"] = report.total_macs;
        j["macs_complete"] = report.macs_complete;
        j["trained"] = !p.weights.empty();
        j["runs"] = p.runs.size();
        j["devices"] = devices_json();
        std::cout << j.dump(2) << "\n";
        return graph::has_errors(diags) ? 1 : 0;
    }
    std::printf("%-20s %-18s %-22s %12s %14s\n", "Layer (name)", "Type", "Output shape", "Param #", "MACs");
    std::printf("%s\n", std::string(90, '=').c_str());
    for (const auto& [id, node] : g.nodes()) {
        const auto* s = report.find(id);
        const std::string macs = !s || !s->known ? "" : s->macs < 0 ? "?" : std::to_string(s->macs);
        std::printf("%-20s %-18s %-22s %12lld %14s\n", node.name.c_str(), node.type.c_str(), shape_text(s).c_str(),
                    static_cast<long long>(s ? s->parameters : 0), macs.c_str());
    }
    std::printf("%s\n", std::string(90, '=').c_str());
    std::printf("Total params: %lld\n", static_cast<long long>(report.total_parameters));
    std::printf("Total MACs per sample: %lld%s\n", static_cast<long long>(report.total_macs),
                report.macs_complete ? "" : " (at least: some layers give no count)");
    std::printf("Parameter size (F32): %.3f MB\n", static_cast<double>(report.total_parameters) * 4.0 / 1e6);
    std::printf("Activations per sample (F32): %.3f KB\n", static_cast<double>(report.activation_bytes(1)) / 1e3);
    std::printf("Dataset: %s   Trained: %s   Runs: %zu\n", dataset.c_str(), p.weights.empty() ? "no" : "yes",
                p.runs.size());
    for (const auto& d : diags) std::printf("%s: %s\n", graph::severity_name(d.severity), graph::describe(g, d).c_str());
    std::printf("Devices: cpu; %s\n", cuda::describe_devices().c_str());
    return graph::has_errors(diags) ? 1 : 0;
}

// ---------------------------------------------------------------- train
void progress_bar(const train::StepProgress& s) {
    const int width = 30;
    const double frac = static_cast<double>(s.step + 1) / static_cast<double>(std::max<std::int64_t>(s.steps_per_epoch, 1));
    const int fill = static_cast<int>(frac * width);
    std::fprintf(stderr, "\repoch %lld/%lld [%s%s] %lld/%lld loss %.4f", static_cast<long long>(s.epoch + 1),
                 static_cast<long long>(s.epochs), std::string(fill, '#').c_str(), std::string(width - fill, '.').c_str(),
                 static_cast<long long>(s.step + 1), static_cast<long long>(s.steps_per_epoch), s.loss);
    std::fflush(stderr);
}

int cmd_train(const Args& a) {
    const std::string path = project_path(a);
    project::Project p = project::load_project(path);
    train::TrainConfig cfg = train::TrainConfig::from_json(p.train_config_json);
    if (a.get("--epochs")) cfg.epochs = static_cast<std::int64_t>(number(a, "--epochs", 0));
    if (a.get("--batch-size")) cfg.batch_size = static_cast<std::int64_t>(number(a, "--batch-size", 0));
    if (a.get("--lr")) cfg.lr = number(a, "--lr", 0);
    if (a.get("--seed")) cfg.seed = static_cast<std::uint64_t>(number(a, "--seed", 0));
    if (auto o = a.get("--optimizer")) cfg.optimizer = *o;
    if (auto d = a.get("--device")) {
        Device::parse(*d);  // "bad device 'x': expected cpu, cuda or cuda:N"
        cfg.device = *d;
    }
    cfg.validate();
    train::Experiment ex(p, cfg);
    if (ex.device() != Device::cpu() && !a.flag("--json")) {
        for (const auto& d : cuda::devices())
            if (d.index == ex.device().index) std::printf("training on %s\n", d.str().c_str());
    }
    if (a.flag("--resume")) {
        const auto n = ex.load_weights(p);
        if (!a.flag("--json")) std::printf("resuming from %zu saved tensors\n", n);
    }
    const bool json_out = a.flag("--json");
    const bool tty = isatty(STDERR_FILENO) && !json_out;
    train::Callbacks cb;
    if (tty) cb.on_step = progress_bar;
    cb.on_epoch = [&](const train::EpochMetrics& m) {
        if (json_out) return;
        if (tty) std::fprintf(stderr, "\r%s\r", std::string(90, ' ').c_str());
        std::printf("epoch %3lld  loss %.4f", static_cast<long long>(m.epoch + 1), m.train_loss);
        if (m.train_accuracy >= 0) std::printf("  acc %.3f", m.train_accuracy);
        if (m.val_loss >= 0) std::printf("  val_loss %.4f", m.val_loss);
        if (m.val_accuracy >= 0) std::printf("  val_acc %.3f", m.val_accuracy);
        std::printf("  (%.2f s)\n", m.seconds);
        std::fflush(stdout);
    };
    const std::string started = project::utc_now_iso8601();
    const train::FitResult r = ex.run(cb);
    ex.store(p, r, started);
    project::stamp_metadata(p);
    project::save_project(path, p);
    if (json_out) {
        json j = {{"status", train::fit_status_name(r.status)}, {"message", r.message}, {"history", json::array()}};
        for (const auto& m : r.history) {
            json e = {{"epoch", m.epoch + 1}, {"train_loss", m.train_loss}, {"lr", m.lr}, {"seconds", m.seconds}};
            if (m.train_accuracy >= 0) e["train_accuracy"] = m.train_accuracy;
            if (m.val_loss >= 0) e["val_loss"] = m.val_loss;
            if (m.val_accuracy >= 0) e["val_accuracy"] = m.val_accuracy;
            j["history"].push_back(e);
        }
        if (!r.history.empty()) j["final"] = j["history"].back();
        std::cout << j.dump(2) << "\n";
    } else {
        if (!r.message.empty()) std::printf("%s\n", r.message.c_str());
        if (r.status == train::FitStatus::Diverged)
            std::printf("the weights were not changed; saved the run's history to %s\n", path.c_str());
        else
            std::printf("saved weights and history to %s\n", path.c_str());
    }
    return r.status == train::FitStatus::Diverged ? 1 : 0;
}

// ---------------------------------------------------------------- evaluate
json curve_json(const eval::Curve& c) {
    const auto finite = [](double v) { return std::isfinite(v) ? json(v) : json(nullptr); };
    json t = json::array();
    for (double v : c.thresholds) t.push_back(finite(v));
    return {{"x", c.x}, {"y", c.y}, {"thresholds", t}, {"area", finite(c.area)}};
}

int cmd_evaluate(const Args& a) {
    const std::string path = project_path(a);
    const std::string split = a.get("--split").value_or("val");
    if (split != "val" && split != "train") throw Usage("--split is val or train, got '" + split + "'");
    const project::Project p = project::load_project(path);
    const eval::ProjectEvaluation r = eval::evaluate_project(p, split);
    const eval::Evaluation& e = r.evaluation;
    const auto finite = [](double v) { return std::isfinite(v) ? json(v) : json(nullptr); };
    if (a.flag("--json")) {
        json j = {{"split", e.split}, {"task", data::task_name(e.task)}, {"samples", e.samples}, {"loss", finite(e.loss)}};
        if (e.is_classification()) {
            const eval::ClassificationMetrics& m = e.classification;
            json cm = json::array();
            for (std::int64_t t = 0; t < m.classes; ++t) {
                json row = json::array();
                for (std::int64_t c = 0; c < m.classes; ++c) row.push_back(m.count(t, c));
                cm.push_back(row);
            }
            const auto scores = [](const eval::ClassScores& s) {
                return json{{"precision", s.precision}, {"recall", s.recall}, {"f1", s.f1}, {"support", s.support}};
            };
            j["classes"] = e.class_names;
            j["confusion_matrix"] = cm;
            j["accuracy"] = m.accuracy;
            j["per_class"] = json::array();
            for (const auto& s : m.per_class) j["per_class"].push_back(scores(s));
            j["macro_f1"] = m.macro.f1;
            j["macro"] = scores(m.macro);
            j["weighted"] = scores(m.weighted);
            j["rows"] = e.rows();  // samples, or labelled steps of sequence data
            j["roc"] = json::array();
            j["pr"] = json::array();
            for (std::size_t i = 0; i < e.roc.size(); ++i) {
                json roc = curve_json(e.roc[i]), pr = curve_json(e.pr[i]);
                roc["class"] = pr["class"] = e.curve_class[i];
                j["roc"].push_back(roc);
                j["pr"].push_back(pr);
            }
            j["warnings"] = m.warnings;
        } else {
            j["mse"] = e.regression.mse;
            j["mae"] = e.regression.mae;
            j["r2"] = e.regression.r2;
            j["outputs"] = e.regression.outputs;
        }
        std::cout << j.dump(2) << "\n";
        return 0;
    }
    std::printf("%s: %s split, %lld samples, loss %.4f\n", path.c_str(), e.split.c_str(),
                static_cast<long long>(e.samples), e.loss);
    if (!e.is_classification()) {
        std::printf("MSE %.6g   MAE %.6g   R² %.4f   (%lld outputs)\n", e.regression.mse, e.regression.mae,
                    e.regression.r2, static_cast<long long>(e.regression.outputs));
        return 0;
    }
    const eval::ClassificationMetrics& m = e.classification;
    std::size_t width = 9;
    for (const auto& n : e.class_names) width = std::max(width, n.size() + 1);
    const int w = static_cast<int>(width);
    if (m.classes <= 12) {
        std::printf("\nconfusion matrix (rows: true class, columns: predicted)\n%*s", w, "");
        for (std::int64_t c = 0; c < m.classes; ++c)
            std::printf(" %*s", w, e.class_names[static_cast<std::size_t>(c)].c_str());
        std::printf("\n");
        for (std::int64_t t = 0; t < m.classes; ++t) {
            std::printf("%*s", w, e.class_names[static_cast<std::size_t>(t)].c_str());
            for (std::int64_t c = 0; c < m.classes; ++c) std::printf(" %*lld", w, static_cast<long long>(m.count(t, c)));
            std::printf("\n");
        }
    } else {
        std::printf("\n%lld classes: the confusion matrix is in --json (key confusion_matrix)\n",
                    static_cast<long long>(m.classes));
    }
    std::printf("\n%*s %9s %9s %9s %9s\n", w, "", "precision", "recall", "f1", "support");
    for (std::int64_t c = 0; c < m.classes; ++c) {
        const auto& s = m.per_class[static_cast<std::size_t>(c)];
        std::printf("%*s %9.3f %9.3f %9.3f %9lld\n", w, e.class_names[static_cast<std::size_t>(c)].c_str(), s.precision,
                    s.recall, s.f1, static_cast<long long>(s.support));
    }
    std::printf("\n%*s %9.3f %9.3f %9.3f %9lld\n", w, "macro avg", m.macro.precision, m.macro.recall, m.macro.f1,
                static_cast<long long>(m.samples));
    std::printf("%*s %9.3f %9.3f %9.3f %9lld\n", w, "weighted", m.weighted.precision, m.weighted.recall,
                m.weighted.f1, static_cast<long long>(m.samples));
    std::printf("%*s %29.3f %9lld\n", w, "accuracy", m.accuracy, static_cast<long long>(m.samples));
    for (std::size_t i = 0; i < e.roc.size(); ++i) {
        const std::string& name = e.class_names[static_cast<std::size_t>(e.curve_class[i])];
        std::printf("%s%s: ROC AUC %.4f, average precision %.4f\n", e.roc.size() == 1 ? "" : "one-vs-rest ",
                    name.c_str(), e.roc[i].area, e.pr[i].area);
    }
    for (std::size_t i = 0; i < std::min<std::size_t>(m.warnings.size(), 5); ++i)
        std::fprintf(stderr, "neura: warning: %s\n", m.warnings[i].c_str());
    if (m.warnings.size() > 5) std::fprintf(stderr, "neura: warning: and %zu more such classes\n", m.warnings.size() - 5);
    return 0;
}

// ---------------------------------------------------------------- sweep
std::int64_t whole_number(const Args& a, const std::string& name, std::int64_t fallback, std::int64_t least) {
    const double v = number(a, name, static_cast<double>(fallback));
    if (v != std::floor(v) || v < static_cast<double>(least) || v > 1e15)
        throw Usage("option " + name + " expects a whole number of at least " + std::to_string(least) + ", got '" +
                    *a.get(name) + "'");
    return static_cast<std::int64_t>(v);
}

// A setting's value for the table: strings without their quotes.
std::string setting_text(const json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

int cmd_sweep(const Args& a) {
    const std::string path = project_path(a);
    const auto grid = a.repeated.find("--grid");
    if (grid == a.repeated.end()) throw Usage("sweep needs at least one --grid KEY=V1,V2,...");
    train::SweepOptions options;
    for (const std::string& text : grid->second) options.grid.push_back(train::parse_sweep_axis(text));
    if (a.get("--random")) options.random = whole_number(a, "--random", 0, 1);
    if (a.get("--epochs")) options.epochs = whole_number(a, "--epochs", 0, 1);
    if (a.get("--seed")) options.seed = static_cast<std::uint64_t>(whole_number(a, "--seed", 0, 0));
    const bool json_out = a.flag("--json");
    project::Project p = project::load_project(path);
    NEURA_CHECK(!p.dataset_json.empty(), "the project names no dataset to train on: a sweep needs one");
    // Every key and value is checked here, before the first run.
    const train::Sweep sweep(p, train::TrainConfig::from_json(p.train_config_json), options);
    const bool tty = isatty(STDERR_FILENO) && !json_out;
    train::SweepCallbacks cb;
    if (tty) cb.train.on_step = progress_bar;
    cb.on_run_start = [&](std::size_t i, std::size_t n, const std::string& settings) {
        if (json_out) return;
        if (tty) std::fprintf(stderr, "\r%s\r", std::string(90, ' ').c_str());
        std::fprintf(stderr, "run %zu/%zu: %s\n", i + 1, n, settings.c_str());
    };
    // Each run is written as it ends, in its own small transaction: a crash loses the run in flight only.
    cb.on_run_finished = [&](std::size_t, const project::RunRecord& record) {
        if (tty) std::fprintf(stderr, "\r%s\r", std::string(90, ' ').c_str());
        project::append_run(path, record);
    };
    const train::SweepResult result = train::run_sweep(p, sweep, cb);
    const std::size_t first = p.runs.size() - result.runs;

    json runs = json::array();
    for (std::size_t i = first; i < p.runs.size(); ++i) {
        const project::RunRecord& r = p.runs[i];
        json final = json::parse(r.final_metrics_json);
        const double seconds = final.value("seconds", 0.0);
        final.erase("seconds");
        runs.push_back({{"id", r.id}, {"settings", json::parse(r.settings_json, nullptr, false, true)},
                        {"status", r.status}, {"final", final}, {"seconds", seconds}});
    }
    if (json_out) {
        std::cout << json{{"runs", runs}, {"stopped", result.stopped}}.dump(2) << "\n";
        return 0;
    }
    std::vector<std::size_t> widths;
    std::printf("%5s", "run");
    for (const std::string& key : sweep.keys()) {
        widths.push_back(std::max<std::size_t>(key.size(), 8));
        std::printf("  %*s", static_cast<int>(widths.back()), key.c_str());
    }
    std::printf("  %-9s %10s %10s %8s %8s\n", "status", "train_loss", "val_loss", "val_acc", "seconds");
    auto cell = [](const json& final, const char* name, int width, int precision) {
        if (!final.contains(name) || !final[name].is_number()) return std::printf(" %*s", width, "-");
        return std::printf(" %*.*f", width, precision, final[name].get<double>());
    };
    for (const json& r : runs) {
        std::printf("%5lld", static_cast<long long>(r["id"].get<std::int64_t>()));
        std::size_t k = 0;
        for (const std::string& key : sweep.keys()) {
            const std::string v = r["settings"].contains(key) ? setting_text(r["settings"][key]) : "?";
            std::printf("  %*s", static_cast<int>(widths[k++]), v.c_str());
        }
        std::printf("  %-9s", r["status"].get<std::string>().c_str());
        cell(r["final"], "train_loss", 10, 4);
        cell(r["final"], "val_loss", 10, 4);
        cell(r["final"], "val_accuracy", 8, 3);
        std::printf(" %8.2f\n", r["seconds"].get<double>());
    }
    for (const json& r : runs)
        if (r["status"] == project::run_status::kFailed)
            std::printf("run %lld failed: %s\n", static_cast<long long>(r["id"].get<std::int64_t>()),
                        r["final"].value("message", std::string("(no message)")).c_str());
    std::printf("%zu runs added to %s%s\n", result.runs, path.c_str(), result.stopped ? " (stopped)" : "");
    return 0;
}

// ---------------------------------------------------------------- gradcheck
int cmd_gradcheck(const Args& a) {
    const std::string path = project_path(a);
    project::Project p = project::load_project(path);
    train::TrainConfig cfg = train::TrainConfig::from_json(p.train_config_json);
    cfg.device = "cpu";  // gradcheck runs the layers in float64 on the CPU
    train::Experiment ex(p, cfg);
    ex.load_weights(p);
    train::LayerGradcheckOptions o;
    o.gradcheck.eps = number(a, "--eps", o.gradcheck.eps);
    o.gradcheck.atol = number(a, "--atol", o.gradcheck.atol);
    o.gradcheck.rtol = number(a, "--rtol", o.gradcheck.rtol);
    o.gradcheck.max_elements = static_cast<std::int64_t>(number(a, "--max-elements", 64));
    std::vector<std::int64_t> idx;
    for (std::int64_t i = 0; i < std::min<std::int64_t>(4, ex.train_set()->size()); ++i) idx.push_back(i);
    const data::Batch b = ex.train_set()->get_batch(idx);
    const auto results = train::check_layers(ex.network(), b.features, o);
    bool ok = true;
    for (const auto& r : results) ok &= r.passed;
    if (a.flag("--json")) {
        json j = {{"passed", ok}, {"eps", o.gradcheck.eps}, {"atol", o.gradcheck.atol}, {"rtol", o.gradcheck.rtol},
                  {"layers", json::array()}};
        for (const auto& r : results) {
            json l = {{"node", r.node.value}, {"name", r.name}, {"type", r.type}, {"passed", r.passed},
                      {"message", r.message}, {"tensors", json::array()}};
            for (const auto& t : r.tensors)
                l["tensors"].push_back({{"name", t.name}, {"shape", t.shape}, {"max_abs_error", t.max_abs_error},
                                        {"max_rel_error", t.max_rel_error}, {"worst_index", t.worst_index},
                                        {"checked_elements", t.checked_elements}, {"passed", t.passed}});
            j["layers"].push_back(l);
        }
        std::cout << j.dump(2) << "\n";
    } else {
        std::printf("F64 central differences, eps %g, atol %g, rtol %g (at most %lld elements per tensor)\n",
                    o.gradcheck.eps, o.gradcheck.atol, o.gradcheck.rtol, static_cast<long long>(o.gradcheck.max_elements));
        std::printf("%-16s %-12s %-10s %-14s %12s %12s %8s  %s\n", "Layer", "Type", "Tensor", "Shape", "max abs err",
                    "max rel err", "checked", "result");
        for (const auto& r : results) {
            if (r.tensors.empty())
                std::printf("%-16s %-12s %s\n", r.name.c_str(), r.type.c_str(), r.message.c_str());
            for (const auto& t : r.tensors)
                std::printf("%-16s %-12s %-10s %-14s %12.3e %12.3e %8lld  %s\n", r.name.c_str(), r.type.c_str(),
                            t.name.c_str(), shape_str(t.shape).c_str(), t.max_abs_error, t.max_rel_error,
                            static_cast<long long>(t.checked_elements), t.passed ? "PASS" : "FAIL");
        }
        std::printf("%s\n", ok ? "all gradients match" : "some gradients do not match");
    }
    return ok ? 0 : 1;
}

// ---------------------------------------------------------------- export, run
std::string output_path(const Args& a, const char* example) {
    auto o = a.get("--output");
    if (!o || o->empty()) throw Usage(std::string("'") + a.command + "' needs -o " + example);
    return *o;
}

int cmd_export(const Args& a) {
    const std::string path = project_path(a);
    const std::string out = output_path(a, "M.onnx");
    const project::Project p = project::load_project(path);
    train::TrainedModel m = train::load_trained_model(p);
    if (!m.trained)
        std::fprintf(stderr, "neura: warning: '%s' has not been trained; exporting its initial weights\n", path.c_str());
    onnx::ExportOptions o;
    o.normalization = m.normalization;
    o.model_name = std::filesystem::path(path).stem().string();
    onnx::export_onnx(m.graph, m.network, out, o);
    std::printf("exported %s to %s (ONNX opset %lld, %s)\n", path.c_str(), out.c_str(),
                static_cast<long long>(onnx::kOpsetVersion),
                m.normalization ? "input: raw features, normalization included" : "no normalization");
    return 0;
}

int cmd_export_torch(const Args& a) {
    const std::string path = project_path(a);
    const std::string out = output_path(a, "DIR");
    const project::Project p = project::load_project(path);
    const pytorch::ExportResult r = pytorch::export_pytorch(p, out, std::filesystem::path(path).stem().string());
    if (!r.trained)
        std::fprintf(stderr, "neura: warning: '%s' has not been trained; weights.pt holds its initial weights\n",
                     path.c_str());
    std::string files;
    for (const std::string& f : r.files) files += (files.empty() ? "" : ", ") + f;
    std::printf("exported %s to %s: %s\n", path.c_str(), out.c_str(), files.c_str());
    if (!r.note.empty()) std::printf("note: %s\n", r.note.c_str());
    return 0;
}

int cmd_run(const Args& a) {
    const std::string path = project_path(a);
    const std::string out = output_path(a, "OUT.pb");
    auto it = a.repeated.find("--input");
    if (it == a.repeated.end() || it->second.empty()) throw Usage("'run' needs --input IN.pb");
    const std::vector<std::string>& inputs = it->second;
    const project::Project p = project::load_project(path);
    train::TrainedModel m = train::load_trained_model(p);
    // A compiled network has one Input node.
    NEURA_CHECK(inputs.size() == 1, "the model has 1 input, ", inputs.size(), " --input files were given");
    const Tensor x = onnx::read_tensor_file(inputs[0]);
    NEURA_CHECK(x.dtype() == DType::F32, "'", inputs[0], "' holds ", dtype_name(x.dtype()),
                " values; the model takes FLOAT (float32) features");
    const Shape& want = m.network.input_shape();
    NEURA_CHECK(x.dim() == static_cast<std::int64_t>(want.size()) + 1 &&
                    std::equal(want.begin(), want.end(), x.shape().begin() + 1) && x.shape()[0] > 0,
                "'", inputs[0], "' has shape ", shape_str(x.shape()), "; the model takes [batch, ",
                shape_str(want).substr(1), " with batch >= 1");
    if (!m.trained)
        std::fprintf(stderr, "neura: warning: '%s' has not been trained; running its initial weights\n", path.c_str());
    const Tensor y = m.predict(x);
    onnx::write_tensor_file(out, y, "output");
    std::printf("wrote %s: output %s\n", out.c_str(), shape_str(y.shape()).c_str());
    return 0;
}

int cmd_generate(const Args& a) {
    const std::string path = project_path(a);
    const auto prompt = a.get("--prompt");
    if (!prompt) throw Usage("'generate' needs --prompt TEXT (it may be empty: --prompt '')");
    train::GenerateOptions o;
    o.prompt = *prompt;
    o.temperature = number(a, "--temperature", o.temperature);
    const auto whole = [&](const std::string& name, double fallback) {
        const double d = number(a, name, fallback);
        if (d != std::floor(d) || d < 0 || d > 1e18)
            throw Error("option " + name + " expects a whole number >= 0, got '" + *a.get(name) + "'");
        return d;
    };
    o.length = static_cast<std::int64_t>(whole("--length", static_cast<double>(o.length)));
    o.seed = static_cast<std::uint64_t>(whole("--seed", static_cast<double>(o.seed)));
    o.top_k = static_cast<std::int64_t>(whole("--top-k", static_cast<double>(o.top_k)));
    o.top_p = number(a, "--top-p", o.top_p);
    if (!(o.top_p > 0 && o.top_p <= 1)) throw Error("option --top-p expects a number in (0, 1], got '" + *a.get("--top-p") + "'");
    const project::Project p = project::load_project(path);
    train::TextModel m = train::load_text_model(p);
    if (!m.model.trained)
        std::fprintf(stderr, "neura: warning: '%s' has not been trained; generating with its initial weights\n",
                     path.c_str());
    // The prompt first, then each character as it comes; a bad prompt or option is reported before
    // anything is printed.
    bool printed = false;
    const auto print = [&](const std::string& text) {
        if (!printed) std::fputs(o.prompt.c_str(), stdout);
        printed = true;
        std::fputs(text.c_str(), stdout);
        std::fflush(stdout);
    };
    train::GenerateCallbacks cb;
    cb.on_char = print;
    train::generate_text(m, o, cb);
    print("");
    std::fputs("\n", stdout);
    return 0;
}

int cmd_import(const Args& a) {
    if (a.positional.size() != 1) throw Usage("'import' takes one ONNX model file");
    const std::string out = output_path(a, "P.neura");
    if (std::filesystem::exists(out) && !a.flag("--force"))
        throw Error("'" + out + "' exists already; pass --force to replace it");
    onnx::ImportOptions o;
    if (auto l = a.get("--loss")) o.loss_type = *l;
    // Checked to compile and take its weights before it is saved.
    onnx::ImportedProject m = onnx::project_from_onnx(a.positional[0], o);
    project::Project& p = m.project;
    if (auto d = a.get("--dataset")) {
        const train::DatasetSpec spec = dataset_spec(*d);
        data::make_dataset(spec.name, spec.params);
        p.dataset_json = spec.to_json();
    }
    project::stamp_metadata(p);
    if (std::filesystem::exists(out)) std::filesystem::remove(out);
    project::save_project(out, p);
    std::printf("imported %s to %s (%zu nodes, %zu weight tensors%s)\n", a.positional[0].c_str(), out.c_str(),
                m.node_count, m.weight_count, m.normalization ? ", input normalization" : "");
    return 0;
}

// ---------------------------------------------------------------- diff
// The model `path` holds: its own, or with `run` > 0 the one that run trained.
graph::ModelGraph model_of(const std::string& path, std::int64_t run) {
    const auto p = project::load_project(path);
    std::string text = p.model_json, what = path;
    if (run > 0) {
        const project::RunRecord* r = nullptr;
        for (const auto& x : p.runs)
            if (x.id == run) r = &x;
        if (!r) throw Error(path + " has no run " + std::to_string(run));
        if (r->model_json.empty())
            throw Error("run " + std::to_string(run) + " of " + path +
                        " has no stored model (it was trained before projects kept each run's model)");
        text = r->model_json;
        what = path + ": run " + std::to_string(run);
    }
    try {
        return graph::from_json(text);
    } catch (const Error& e) {
        throw Error(what + ": " + e.what());
    }
}

int cmd_diff(const Args& a) {
    graph::ModelGraph before, after;
    const auto runs = a.repeated.count("--run") ? a.repeated.at("--run") : std::vector<std::string>{};
    if (runs.empty()) {
        if (a.positional.size() != 2) throw Usage("'diff' takes two project files, or one and --run twice");
        before = model_of(a.positional[0], 0);
        after = model_of(a.positional[1], 0);
    } else {
        if (a.positional.size() != 1 || runs.size() != 2)
            throw Usage("'diff' with --run takes one project file and two --run options");
        std::int64_t ids[2];
        for (int i = 0; i < 2; ++i) {
            std::size_t used = 0;
            long long v = 0;
            try {
                v = std::stoll(runs[i], &used);
            } catch (const std::exception&) {
                used = 0;
            }
            if (used == 0 || used != runs[i].size() || v <= 0)
                throw Usage("--run expects a run id (a positive integer), got '" + runs[i] + "'");
            ids[i] = v;
        }
        before = model_of(a.positional[0], ids[0]);
        after = model_of(a.positional[0], ids[1]);
    }
    const eval::ModelDiff d = eval::diff_models(before, after);
    if (a.flag("--json"))
        std::cout << eval::diff_to_json(d) << "\n";
    else
        std::cout << eval::describe(d);
    return 0;
}

int cmd_datasets() {
    for (const auto& d : data::dataset_names()) {
        std::printf("%-16s %s (%s)\n", d.name.c_str(), d.description.c_str(), data::task_name(d.task));
        for (const auto& p : d.params)
            std::printf("    %-12s %-6s default %-10s %s\n", p.name.c_str(), data::param_kind_name(p.kind),
                        p.default_value.empty() ? "-" : p.default_value.c_str(), p.help.c_str());
    }
    return 0;
}

// ---------------------------------------------------------------- plugins
int cmd_plugins(const Args& a) {
    const auto& pm = plugin::PluginManager::instance();
    const auto loaded = pm.loaded();
    const auto refused = pm.refused();
    if (a.flag("--json")) {
        json j = {{"api_version", plugin::api_version()}, {"build_tag", plugin::build_tag()},
                  {"search_path", json::array()}, {"loaded", json::array()}, {"refused", json::array()}};
        for (const auto& p : pm.searched()) j["search_path"].push_back(p.string());
        for (const auto& p : loaded) {
            json l = {{"name", p.name}, {"version", p.version}, {"description", p.description}, {"path", p.path},
                      {"load_ms", p.load_ms}, {"check_ms", p.check_ms}, {"layers", json::array()}};
            for (const auto& layer : p.layers)
                l["layers"].push_back({{"type", layer.type}, {"category", layer.category},
                                       {"gradcheck", graph::layer_check_name(layer.check)},
                                       {"message", layer.check_message}, {"check_ms", layer.check_ms}});
            j["loaded"].push_back(l);
        }
        for (const auto& r : refused) j["refused"].push_back({{"path", r.path}, {"reason", r.reason}});
        std::cout << j.dump(2) << "\n";
        return 0;
    }
    std::printf("plugin API %d, build tag \"%s\"\nsearched:", plugin::api_version(), plugin::build_tag());
    for (const auto& p : pm.searched()) std::printf(" %s", p.c_str());
    std::printf("\n");
    if (loaded.empty()) std::printf("no plugins loaded\n");
    for (const auto& p : loaded) {
        std::printf("%s %s  %s\n    %s (loaded in %.1f ms, checked in %.1f ms)\n", p.name.c_str(), p.version.c_str(),
                    p.path.c_str(), p.description.c_str(), p.load_ms, p.check_ms);
        for (const auto& layer : p.layers)
            std::printf("    %-16s %-14s gradient check %s: %s\n", layer.type.c_str(), layer.category.c_str(),
                        graph::layer_check_name(layer.check), layer.check_message.c_str());
    }
    for (const auto& r : refused) std::printf("refused %s: %s\n", r.path.c_str(), r.reason.c_str());
    return 0;
}

// Loads the plugins before any command runs, so projects with plugin layers work headless; a refused
// plugin is a warning (`neura plugins` lists them without one).
void load_plugins(const std::string& command) {
    auto& pm = plugin::PluginManager::instance();
    pm.load_default();
    if (command == "plugins") return;
    for (const auto& r : pm.refused())
        std::fprintf(stderr, "neura: warning: plugin %s refused: %s\n", r.path.c_str(), r.reason.c_str());
}

}  // namespace

int main(int argc, char** argv) {
    try {
        const std::string cmd = argc > 1 ? argv[1] : "";
        if (cmd == "--version" || cmd == "version") {
            std::printf("neura %s\n%s\n", NEURA_VERSION, NEURA_LICENSE_NOTICE);
            return 0;
        }
        if (cmd.empty() || cmd == "--help" || cmd == "-h" || cmd == "help") {
            std::fputs(kHelp, cmd.empty() ? stderr : stdout);
            return cmd.empty() ? 2 : 0;
        }
        load_plugins(cmd);
        if (cmd == "plugins") return cmd_plugins(parse(argc, argv, {{"--json", false}}));
        if (cmd == "create")
            return cmd_create(parse(argc, argv, {{"--model", true}, {"--dataset", true}, {"--config", true}, {"--force", false}}));
        if (cmd == "dump") {
            const auto p = project::load_project(project_path(parse(argc, argv, {})));
            std::cout << p.model_json << "\n";
            return 0;
        }
        if (cmd == "info") return cmd_info(parse(argc, argv, {{"--json", false}}));
        if (cmd == "train")
            return cmd_train(parse(argc, argv, {{"--epochs", true}, {"--batch-size", true}, {"--lr", true},
                                                {"--optimizer", true}, {"--device", true}, {"--seed", true},
                                                {"--json", false}, {"--resume", false}}));
        if (cmd == "evaluate") return cmd_evaluate(parse(argc, argv, {{"--split", true}, {"--json", false}}));
        if (cmd == "sweep")
            return cmd_sweep(parse(argc, argv, {{"--grid", true}, {"--random", true}, {"--epochs", true},
                                                {"--seed", true}, {"--json", false}}));
        if (cmd == "gradcheck")
            return cmd_gradcheck(parse(argc, argv, {{"--json", false}, {"--eps", true}, {"--atol", true},
                                                    {"--rtol", true}, {"--max-elements", true}}));
        if (cmd == "export") return cmd_export(parse(argc, argv, {{"--output", true}}));
        if (cmd == "export-torch") return cmd_export_torch(parse(argc, argv, {{"--output", true}}));
        if (cmd == "run") return cmd_run(parse(argc, argv, {{"--output", true}, {"--input", true}}));
        if (cmd == "generate")
            return cmd_generate(parse(argc, argv, {{"--prompt", true}, {"--temperature", true}, {"--length", true},
                                                   {"--seed", true}, {"--top-k", true}, {"--top-p", true}}));
        if (cmd == "import")
            return cmd_import(parse(argc, argv, {{"--output", true}, {"--dataset", true}, {"--loss", true}, {"--force", false}}));
        if (cmd == "datasets") return cmd_datasets();
        if (cmd == "diff") return cmd_diff(parse(argc, argv, {{"--json", false}, {"--run", true}}));
        throw Usage("unknown command '" + cmd + "'");
    } catch (const Usage& e) {
        std::fprintf(stderr, "neura: %s\n\n%s", e.what(), kHelp);
        return 2;
    } catch (const std::exception& e) {
        const std::string what = e.what();
        if (!g_subject.empty() && what.find(g_subject) == std::string::npos)
            std::fprintf(stderr, "neura: %s: %s\n", g_subject.c_str(), what.c_str());
        else
            std::fprintf(stderr, "neura: %s\n", what.c_str());
        return 1;
    }
}
