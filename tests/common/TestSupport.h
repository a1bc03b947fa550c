#pragma once
// Shared by the test suites: the PyTorch fixtures and the example projects' text form.
#include <QFile>
#include <QString>
#include <QtTest>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "neura/core/Error.h"
#include "neura/project/Project.h"
#include "neura/train/Experiment.h"

namespace neura::test {

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
