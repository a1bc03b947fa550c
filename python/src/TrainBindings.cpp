// neura._C: optimizers and schedulers (neura/optim), datasets and the DataLoader (neura/data), and a
// project file trained, evaluated, run and exported through the same engine calls as the CLI.
#include <pybind11/functional.h>

#include <filesystem>

#include "Bindings.h"
#include "neura/data/DataLoader.h"
#include "neura/data/DatasetRegistry.h"
#include "neura/eval/Evaluation.h"
#include "neura/graph/ModelJson.h"
#include "neura/graph/ShapeReport.h"
#include "neura/graph/Validate.h"
#include "neura/onnx/Export.h"
#include "neura/plugin/PluginManager.h"
#include "neura/project/Project.h"
#include "neura/train/Experiment.h"
#include "neura/train/Sweep.h"
#include "neura/train/TrainedModel.h"
#include "neura/train/Trainer.h"

namespace neura::python {
namespace {

// A Python error raised inside a callback the engine called with the GIL released (Ctrl+C seen by
// PyErr_CheckSignals, an exception in the user's callback): kept until the engine call has returned and
// the GIL is held again, then raised.
class PendingError {
public:
    ~PendingError() {
        if (type_) {
            py::gil_scoped_acquire gil;
            Py_XDECREF(type_);
            Py_XDECREF(value_);
            Py_XDECREF(tb_);
        }
    }
    bool set() const { return type_ != nullptr; }
    void fetch() {  // GIL held, a Python error set
        if (!type_) PyErr_Fetch(&type_, &value_, &tb_);
        else PyErr_Clear();
    }
    [[noreturn]] void raise() {  // GIL held
        PyErr_Restore(type_, value_, tb_);
        type_ = value_ = tb_ = nullptr;
        throw py::error_already_set();
    }

private:
    PyObject *type_ = nullptr, *value_ = nullptr, *tb_ = nullptr;
};

struct DatasetHandle {
    data::DatasetPtr ptr;
    std::string name;
};

py::tuple example_of(const data::Batch& b) { return py::make_tuple(b.features, b.targets); }

py::dict epoch_dict(const train::EpochMetrics& m) {
    py::dict d;
    d["epoch"] = m.epoch + 1;
    d["train_loss"] = m.train_loss;
    if (m.train_accuracy >= 0) d["train_accuracy"] = m.train_accuracy;
    if (m.val_loss >= 0) d["val_loss"] = m.val_loss;
    if (m.val_accuracy >= 0) d["val_accuracy"] = m.val_accuracy;
    d["lr"] = m.lr;
    d["seconds"] = m.seconds;
    return d;
}

// A project file in memory: train, evaluate and predict work on it; save() writes it back.
class PyProject {
public:
    explicit PyProject(std::string path) : path_(std::move(path)), project_(project::load_project(path_)) {}

    const std::string& path() const { return path_; }
    const project::Project& project() const { return project_; }

    void save(const std::optional<std::string>& path) {
        if (path) path_ = *path;
        project::stamp_metadata(project_);
        project::save_project(path_, project_);
    }

    train::TrainConfig config(const py::dict& overrides) const {
        train::TrainConfig cfg = train::TrainConfig::from_json(project_.train_config_json);
        for (const auto& [k, v] : overrides) {
            const auto key = k.cast<std::string>();
            if (v.is_none()) continue;
            if (key == "epochs") cfg.epochs = v.cast<std::int64_t>();
            else if (key == "batch_size") cfg.batch_size = v.cast<std::int64_t>();
            else if (key == "lr") cfg.lr = v.cast<double>();
            else if (key == "seed") cfg.seed = v.cast<std::uint64_t>();
            else if (key == "optimizer") cfg.optimizer = v.cast<std::string>();
            else if (key == "device") cfg.device = device_from(v).str();
            else if (key == "threads") cfg.threads = v.cast<int>();
            else throw py::type_error("train() got an unexpected keyword argument '" + key + "'");
        }
        cfg.validate();
        return cfg;
    }

    py::dict train(const py::dict& overrides, const py::object& callback) {
        const train::TrainConfig cfg = config(overrides);
        PendingError pending;
        train::StopToken stop;
        train::FitResult result;
        {
            py::gil_scoped_release nogil;
            train::Experiment ex(project_, cfg, &stop);
            train::Callbacks cb;
            cb.on_step = [&](const train::StepProgress&) {
                py::gil_scoped_acquire gil;
                if (PyErr_CheckSignals() != 0) {  // Ctrl+C: stop after this batch, raise when done
                    pending.fetch();
                    stop.request_stop();
                }
            };
            cb.on_epoch = [&](const train::EpochMetrics& m) {
                py::gil_scoped_acquire gil;
                if (callback.is_none() || pending.set()) return;
                try {
                    const py::object answer = callback(epoch_dict(m));
                    if (py::isinstance<py::bool_>(answer) && !answer.cast<bool>()) stop.request_stop();  // False: stop
                } catch (py::error_already_set& e) {
                    e.restore();
                    pending.fetch();
                    stop.request_stop();
                }
            };
            const std::string started = project::utc_now_iso8601();
            result = ex.run(cb, &stop);
            ex.store(project_, result, started);
            model_.reset();
        }
        if (pending.set()) pending.raise();
        py::dict out;
        out["status"] = train::fit_status_name(result.status);
        out["message"] = result.message;
        py::list history;
        for (const auto& m : result.history) history.append(epoch_dict(m));
        out["history"] = history;
        return out;
    }

    // The figures of `neura evaluate --json` (neura/eval/Evaluation.h): the validation split, or the training
    // split when there is none or `split` says so.
    // `neura sweep`: one run per combination of `grid` (["lr=0.1,0.01", "fc1.out_features=16,32"]), added to
    // the project's runs; its model, settings and weights stay. Returns the new runs' ids in order.
    py::list sweep(const std::vector<std::string>& grid, std::int64_t random, std::int64_t epochs, std::uint64_t seed) {
        train::SweepOptions o;
        for (const std::string& axis : grid) o.grid.push_back(train::parse_sweep_axis(axis));
        o.random = random;
        o.epochs = epochs;
        o.seed = seed;
        const train::TrainConfig cfg = config(py::dict());
        PendingError pending;
        train::StopToken stop;
        std::vector<std::int64_t> ids;
        {
            py::gil_scoped_release nogil;
            const train::Sweep sw(project_, cfg, o);
            train::SweepCallbacks cb;
            cb.train.on_step = [&](const train::StepProgress&) {
                py::gil_scoped_acquire gil;
                if (PyErr_CheckSignals() != 0) {  // Ctrl+C: stop after the run in flight, raise when done
                    pending.fetch();
                    stop.request_stop();
                }
            };
            cb.on_run_finished = [&](std::size_t, const project::RunRecord& r) { ids.push_back(r.id); };
            train::run_sweep(project_, sw, cb, &stop);
        }
        if (pending.set()) pending.raise();
        py::list out;
        for (auto id : ids) out.append(id);
        return out;
    }

    py::dict evaluate(const py::dict& overrides, const std::string& split) {
        const train::TrainConfig cfg = config(overrides);
        eval::Evaluation e;
        {
            py::gil_scoped_release nogil;
            train::Experiment ex(project_, cfg);
            ex.load_weights(project_);
            const bool has_val = ex.val_set() && ex.val_set()->size() > 0;
            NEURA_CHECK(split.empty() || split == "validation" || split == "training", "unknown split '", split,
                        "': expected 'validation' or 'training'");
            NEURA_CHECK(split != "validation" || has_val, "the project has no validation split (val_fraction is ",
                        cfg.val_fraction, ")");
            const bool on_validation = split.empty() ? has_val : split == "validation";
            e = eval::evaluate(ex.network(), on_validation ? *ex.val_set() : *ex.train_set(),
                               on_validation ? "validation" : "training");
        }
        py::dict d;
        d["split"] = e.split;
        d["loss"] = e.loss;
        d["samples"] = e.samples;
        if (e.is_classification()) {
            const eval::ClassificationMetrics& m = e.classification;
            const auto scores = [](const eval::ClassScores& c) {
                py::dict s;
                s["precision"] = c.precision;
                s["recall"] = c.recall;
                s["f1"] = c.f1;
                s["support"] = c.support;
                return s;
            };
            py::list cm, per_class, roc_auc, average_precision;
            for (std::int64_t t = 0; t < m.classes; ++t) {
                py::list row;
                for (std::int64_t c = 0; c < m.classes; ++c) row.append(m.count(t, c));
                cm.append(row);
                per_class.append(scores(m.per_class[static_cast<std::size_t>(t)]));
            }
            for (std::size_t i = 0; i < e.roc.size(); ++i) {
                roc_auc.append(e.roc[i].area);
                average_precision.append(e.pr[i].area);
            }
            d["accuracy"] = m.accuracy;
            d["classes"] = e.class_names;
            d["confusion_matrix"] = cm;
            d["per_class"] = per_class;
            d["macro_f1"] = m.macro.f1;
            d["macro"] = scores(m.macro);
            d["weighted"] = scores(m.weighted);
            d["roc_auc"] = roc_auc;  // per curve: class 1 of two, else one per class against the rest
            d["average_precision"] = average_precision;
            d["warnings"] = m.warnings;
        } else {
            d["mse"] = e.regression.mse;
            d["mae"] = e.regression.mae;
            d["r2"] = e.regression.r2;
        }
        return d;
    }

    Tensor predict(const Tensor& x) {
        py::gil_scoped_release nogil;
        return model().predict(x);
    }

    void export_onnx(const std::string& out) {
        py::gil_scoped_release nogil;
        train::TrainedModel& m = model();
        onnx::ExportOptions o;
        o.normalization = m.normalization;
        o.model_name = std::filesystem::path(path_).stem().string();
        onnx::export_onnx(m.graph, m.network, out, o);
    }

    py::list layers() const {
        const graph::ModelGraph g = graph::from_json(project_.model_json);
        const auto report = graph::infer_shapes(g);
        py::list out;
        for (const auto& [id, node] : g.nodes()) {
            const auto* s = report.find(id);
            py::dict l;
            l["name"] = node.name;
            l["type"] = node.type;
            l["output_shape"] = (s && s->known && !s->outputs.empty())
                                    ? py::object(py::cast(std::vector<std::int64_t>(s->outputs[0].begin(), s->outputs[0].end())))
                                    : py::object(py::none());
            l["parameters"] = s ? s->parameters : 0;
            l["macs"] = s && s->known && s->macs >= 0 ? py::object(py::int_(s->macs)) : py::object(py::none());
            out.append(l);
        }
        return out;
    }

    py::list diagnostics() const {
        const graph::ModelGraph g = graph::from_json(project_.model_json);
        py::list out;
        for (const auto& d : graph::validate(g)) out.append(py::make_tuple(graph::severity_name(d.severity), graph::describe(g, d)));
        return out;
    }

    py::list runs() const {
        py::list out;
        for (const auto& r : project_.runs) {
            py::dict d;
            d["id"] = r.id;
            d["status"] = r.status;
            d["started_at"] = r.started_at;
            d["finished_at"] = r.finished_at;
            d["config_json"] = r.config_json;
            d["final_json"] = r.final_metrics_json;
            d["model_json"] = r.model_json;
            d["settings_json"] = r.settings_json;
            py::list metrics;
            for (const auto& p : r.metrics) metrics.append(py::make_tuple(p.epoch, p.step, p.name, p.value));
            d["metrics"] = metrics;
            out.append(d);
        }
        return out;
    }

private:
    train::TrainedModel& model() {
        if (!model_) model_ = std::make_unique<train::TrainedModel>(train::load_trained_model(project_));
        return *model_;
    }

    std::string path_;
    project::Project project_;
    std::unique_ptr<train::TrainedModel> model_;  // built on first use, dropped when training changes the weights
};

}  // namespace

void bind_train(py::module_& m) {
    // ---- optimizers
    py::class_<optim::Optimizer>(m, "Optimizer")
        .def_property_readonly("type_name", &optim::Optimizer::type_name)
        .def("step", &optim::Optimizer::step, ReleaseGil())
        .def("zero_grad", &optim::Optimizer::zero_grad)
        .def_property("lr", &optim::Optimizer::lr, &optim::Optimizer::set_lr)
        .def_property_readonly("params", &optim::Optimizer::params)
        .def("step_count", &optim::Optimizer::step_count);
    m.def("SGD", [](std::vector<Tensor> p, double lr, double momentum, double dampening, double wd, bool nesterov,
                    bool maximize) {
        return std::unique_ptr<optim::Optimizer>(std::make_unique<optim::SGD>(
            std::move(p), optim::SGDOptions{lr, momentum, dampening, wd, nesterov, maximize}));
    });
    m.def("Adam", [](std::vector<Tensor> p, double lr, double b1, double b2, double eps, double wd, bool amsgrad,
                     bool maximize, bool decoupled) -> std::unique_ptr<optim::Optimizer> {
        if (decoupled)
            return std::make_unique<optim::AdamW>(std::move(p), optim::AdamWOptions{lr, b1, b2, eps, wd, amsgrad, maximize});
        return std::make_unique<optim::Adam>(std::move(p), optim::AdamOptions{lr, b1, b2, eps, wd, amsgrad, maximize});
    });
    m.def("RMSprop", [](std::vector<Tensor> p, double lr, double alpha, double eps, double wd, double momentum,
                        bool centered, bool maximize) {
        return std::unique_ptr<optim::Optimizer>(std::make_unique<optim::RMSprop>(
            std::move(p), optim::RMSpropOptions{lr, alpha, eps, wd, momentum, centered, maximize}));
    });

    py::class_<optim::LRScheduler>(m, "LRScheduler")
        .def_property_readonly("type_name", &optim::LRScheduler::type_name)
        .def("step", &optim::LRScheduler::step)
        .def("get_last_lr", [](const optim::LRScheduler& s) { return std::vector<double>{s.get_last_lr()}; })
        .def_property_readonly("last_epoch", &optim::LRScheduler::last_epoch);
    m.def("StepLR", [](optim::Optimizer& o, std::int64_t step, double gamma) {
        return std::unique_ptr<optim::LRScheduler>(std::make_unique<optim::StepLR>(o, step, gamma));
    }, py::keep_alive<0, 1>());
    m.def("ExponentialLR", [](optim::Optimizer& o, double gamma) {
        return std::unique_ptr<optim::LRScheduler>(std::make_unique<optim::ExponentialLR>(o, gamma));
    }, py::keep_alive<0, 1>());
    m.def("CosineAnnealingLR", [](optim::Optimizer& o, std::int64_t t_max, double eta_min) {
        return std::unique_ptr<optim::LRScheduler>(std::make_unique<optim::CosineAnnealingLR>(o, t_max, eta_min));
    }, py::keep_alive<0, 1>());

    // ---- data
    py::class_<DatasetHandle>(m, "Dataset")
        .def("__len__", [](const DatasetHandle& d) { return d.ptr->size(); })
        .def("__getitem__", [](const DatasetHandle& d, std::int64_t i) {
            const std::int64_t n = d.ptr->size();
            if (i < 0) i += n;
            if (i < 0 || i >= n) throw py::index_error("index " + std::to_string(i) + " is out of range for a dataset of " + std::to_string(n) + " samples");
            const auto e = d.ptr->get(i);
            return py::make_tuple(e.features, e.target);
        })
        .def("get_batch", [](const DatasetHandle& d, const std::vector<std::int64_t>& idx) {
            data::Batch b;
            {
                py::gil_scoped_release nogil;
                b = d.ptr->get_batch(idx);
            }
            return example_of(b);
        })
        .def_property_readonly("name", [](const DatasetHandle& d) { return d.name; })
        .def_property_readonly("feature_shape", [](const DatasetHandle& d) {
            const Shape s = d.ptr->feature_shape();
            return py::tuple(py::cast(std::vector<std::int64_t>(s.begin(), s.end())));
        })
        .def_property_readonly("task", [](const DatasetHandle& d) { return data::task_name(d.ptr->task()); })
        .def_property_readonly("num_classes", [](const DatasetHandle& d) { return d.ptr->num_classes(); })
        .def_property_readonly("class_names", [](const DatasetHandle& d) { return d.ptr->class_names(); })
        .def("__repr__", [](const DatasetHandle& d) {
            return "<neura dataset '" + d.name + "': " + std::to_string(d.ptr->size()) + " samples, " +
                   data::task_name(d.ptr->task()) + ">";
        });
    m.def("load_dataset", [](const std::string& name, const data::DatasetParams& params) {
        py::gil_scoped_release nogil;
        return DatasetHandle{data::make_dataset(name, params), name};
    });
    m.def("dataset_names", [] {
        py::list out;
        for (const auto& info : data::dataset_names()) {
            py::dict params;
            for (const auto& p : info.params) params[py::str(p.name)] = py::make_tuple(p.default_value, p.help);
            out.append(py::make_tuple(info.name, info.description, data::task_name(info.task), params));
        }
        return out;
    });

    py::class_<data::DataLoader>(m, "DataLoader")
        .def(py::init([](const DatasetHandle& d, std::int64_t batch_size, bool shuffle, std::uint64_t seed,
                         bool drop_last, int num_workers) {
                 data::DataLoaderOptions o;
                 o.batch_size = batch_size;
                 o.shuffle = shuffle;
                 o.seed = seed;
                 o.drop_last = drop_last;
                 o.num_workers = num_workers;
                 return std::make_unique<data::DataLoader>(d.ptr, o);
             }))
        .def("__len__", &data::DataLoader::num_batches)
        .def("reset", &data::DataLoader::reset, ReleaseGil())
        .def("set_epoch", &data::DataLoader::set_epoch)
        .def("next", [](data::DataLoader& l) -> py::object {
            std::optional<data::Batch> b;
            {
                py::gil_scoped_release nogil;
                b = l.next();
            }
            if (!b) return py::none();
            return example_of(*b);
        });

    // ---- plugins: loaded as the CLI loads them (NEURA_PLUGIN_PATH, the user's folder, the installation's)
    m.def("_load_plugins", [](const std::vector<std::string>& extra) {
        auto& pm = plugin::PluginManager::instance();
        {
            py::gil_scoped_release nogil;
            pm.load_default();
            std::vector<std::filesystem::path> paths(extra.begin(), extra.end());
            pm.load(paths);
        }
        py::list loaded, refused;
        for (const auto& p : pm.loaded()) loaded.append(p.name);
        for (const auto& r : pm.refused()) refused.append(py::make_tuple(r.path, r.reason));
        return py::make_tuple(loaded, refused);
    });

    // ---- projects
    py::class_<PyProject>(m, "Project")
        .def(py::init<std::string>(), ReleaseGil())
        .def_property_readonly("path", &PyProject::path)
        .def_property_readonly("model_json", [](const PyProject& p) { return p.project().model_json; })
        .def_property_readonly("train_config_json", [](const PyProject& p) { return p.project().train_config_json; })
        .def_property_readonly("dataset_json", [](const PyProject& p) { return p.project().dataset_json; })
        .def_property_readonly("trained", [](const PyProject& p) { return !p.project().weights.empty(); })
        .def("weights", [](const PyProject& p) {
            py::dict d;
            for (const auto& w : p.project().weights) d[py::str(w.name)] = w.tensor;
            return d;
        })
        .def("save", &PyProject::save, py::arg("path") = py::none(), ReleaseGil())
        .def("train", &PyProject::train)
        .def("evaluate", &PyProject::evaluate, py::arg("overrides"), py::arg("split") = "")
        .def("sweep", &PyProject::sweep, py::arg("grid"), py::arg("random") = 0, py::arg("epochs") = 0,
             py::arg("seed") = 0)
        .def("predict", &PyProject::predict)
        .def("export_onnx", &PyProject::export_onnx)
        .def("layers", &PyProject::layers)
        .def("diagnostics", &PyProject::diagnostics)
        .def("runs", &PyProject::runs);
}

}  // namespace neura::python
