#pragma once
// An example project (projects/src/<name>.model.json on its built-in dataset), trained for three epochs
// and saved into `dir`: what the studio's export actions are tested on.
#include <QString>
#include <QTemporaryDir>
#include <fstream>
#include <sstream>
#include <string>

#include "neura/project/Project.h"
#include "neura/train/Experiment.h"

namespace neura::test {

inline std::string readText(const QString& path) {
    std::ifstream f(path.toStdString(), std::ios::binary);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
}

inline QString trainedExample(const QTemporaryDir& dir, const QString& name) {
    project::Project p;
    p.model_json = readText(QStringLiteral(NEURA_SOURCE_DIR "/projects/src/") + name + ".model.json");
    train::DatasetSpec spec;
    spec.name = name.toStdString();
    p.dataset_json = spec.to_json();
    train::TrainConfig cfg;
    cfg.epochs = 3;
    p.train_config_json = cfg.to_json();
    train::Experiment ex(p, cfg);
    ex.store(p, ex.run({}), project::utc_now_iso8601());
    const QString path = dir.filePath(name + ".neura");
    project::save_project(path.toStdString(), p);
    return path;
}

}  // namespace neura::test
