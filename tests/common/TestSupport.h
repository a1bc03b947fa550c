#pragma once
// Shared by the test suites: the PyTorch fixtures, the example projects' text form, and running a
// program (the `neura` CLI, python3, node) to its end.
#include <QFile>
#include <QProcess>
#include <QProcessEnvironment>
#include <QString>
#include <QtTest>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "neura/core/Error.h"
#include "neura/graph/LayerRegistry.h"
#include "neura/graph/ModelJson.h"
#include "neura/project/Project.h"
#include "neura/train/Experiment.h"

namespace neura::test {

struct ProcessResult {
    int code = -1;  // the exit code; -1 crashed, -2 ran past the time limit (killed), -3 did not start
    QString out, err;
};

// Every wait for a child process is a guard against a hang, not a speed check (timings live in bench/):
// long enough for a machine several times slower than a developer's, where CI may run.
constexpr int kHangGuardMs = 15 * 60 * 1000;

inline ProcessResult run_process(const QString& program, const QStringList& args, int timeout_ms,
                                 const QProcessEnvironment& env = QProcessEnvironment::systemEnvironment(),
                                 const QString& working_dir = {}) {
    QProcess p;
    p.setProcessEnvironment(env);
    if (!working_dir.isEmpty()) p.setWorkingDirectory(working_dir);
    p.start(program, args);
    if (!p.waitForStarted(10000)) return {-3, {}, QString("cannot start %1: %2").arg(program, p.errorString())};
    if (!p.waitForFinished(timeout_ms)) {
        p.kill();
        p.waitForFinished();
        return {-2, {}, "timed out"};
    }
    return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1, QString::fromUtf8(p.readAllStandardOutput()),
            QString::fromUtf8(p.readAllStandardError())};
}

// tests/reference/<file>, parsed once per process.
inline const nlohmann::json& fixture(const char* file) {
    static std::map<std::string, nlohmann::json> cache;
    auto it = cache.find(file);
    if (it == cache.end()) {
        std::ifstream f(std::string(NEURA_TEST_DATA_DIR "/reference/") + file);
        if (!f) qFatal("cannot open tests/reference/%s", file);
        it = cache.emplace(file, nlohmann::json::parse(f)).first;
    }
    return it->second;
}

// projects/src/<name>.<part>: "model.json", "config.json" or "dataset" (whitespace trimmed).
inline QString example_file(const QString& name, const QString& part) {
    return QStringLiteral(NEURA_SOURCE_DIR "/projects/src/") + name + "." + part;
}
inline QString example_text(const QString& name, const QString& part) {
    QFile f(example_file(name, part));
    if (!f.open(QIODevice::ReadOnly)) qFatal("cannot read %s", qPrintable(f.fileName()));
    return QString::fromUtf8(f.readAll()).trimmed();
}

// projects/src/<name> as a project: model, training setup and dataset ("spiral,n=600,...").
inline project::Project example_project(const QString& name) {
    project::Project p;
    p.model_json = example_text(name, "model.json").toStdString();
    p.train_config_json = train::TrainConfig::from_json(example_text(name, "config.json").toStdString()).to_json();
    const QStringList parts = example_text(name, "dataset").split(QLatin1Char(','));
    train::DatasetSpec spec;
    spec.name = parts.front().toStdString();
    for (qsizetype i = 1; i < parts.size(); ++i) {
        const qsizetype eq = parts[i].indexOf(QLatin1Char('='));
        spec.params[parts[i].left(eq).toStdString()] = parts[i].mid(eq + 1).toStdString();
    }
    p.dataset_json = spec.to_json();
    project::stamp_metadata(p);
    return p;
}

// Registers a test-only layer `type` of one input and output of the input's shape, built as Module
// (default-constructed); nothing when the type is registered already.
template <class Module>
void register_test_layer(const std::string& type, const std::string& help) {
    if (graph::LayerRegistry::instance().contains(type)) return;
    graph::LayerDescriptor d;
    d.type = type;
    d.category = "Activation";
    d.help = help;
    d.inputs = {{"input"}};
    d.outputs = {{"output"}};
    d.shape = [](const graph::AttributeMap&, const std::vector<Shape>& in) { return graph::ShapeResult::ok({in.at(0)}); };
    d.build = [](const graph::AttributeMap&, const std::vector<Shape>&, Generator&) { return std::make_shared<Module>(); };
    graph::LayerRegistry::instance().add(std::move(d));
}

// The project with a node of `type` called `name` inserted on the edge that leaves node `after`.
inline project::Project insert_after(project::Project p, const std::string& after, const std::string& type,
                                     const std::string& name) {
    graph::ModelGraph g = graph::from_json(p.model_json);
    graph::NodeId from, next;
    graph::EdgeId edge;
    for (const auto& [id, e] : g.edges())
        if (g.node(e.from.node).name == after) {
            from = e.from.node;
            next = e.to.node;
            edge = id;
        }
    if (!edge.valid()) qFatal("no edge leaves node %s", after.c_str());
    g.remove_edge(edge);
    const graph::NodeId inserted = g.add_node(type, name);
    g.add_edge(from, inserted);
    g.add_edge(inserted, next);
    p.model_json = graph::to_json(g);
    return p;
}

// The message of the neura::Error that fn throws; empty when it throws none.
template <class Fn>
QString error_of(Fn&& fn) {
    try {
        fn();
    } catch (const neura::Error& e) {
        return QString::fromUtf8(e.what());
    }
    return {};
}

}  // namespace neura::test
