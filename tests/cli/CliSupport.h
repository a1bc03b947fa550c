// What the `neura` command-line suites share: running the CLI, creating an example project from its
// text form (projects/src) and training it with --json.
#pragma once

#include "common/TestSupport.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QStringList>
#include <QTemporaryDir>

namespace neura::test::cli {

using Result = ProcessResult;

inline Result run_neura(const QStringList& args, int timeout_ms = kHangGuardMs) {
    return run_process(NEURA_CLI_PATH, args, timeout_ms);
}

inline const QString kSrc = QStringLiteral(NEURA_SOURCE_DIR "/projects/src/");

// The example `name` as a project in `dir`, with its own dataset text unless `dataset` replaces it.
inline QString create(const QTemporaryDir& dir, const QString& name, const QString& dataset = {}) {
    const QString path = dir.filePath(name + ".neura");
    const Result r = run_neura({"create", path, "--model", example_file(name, "model.json"), "--config",
                                example_file(name, "config.json"), "--dataset",
                                dataset.isEmpty() ? example_text(name, "dataset") : dataset});
    if (r.code != 0) qWarning() << r.err;
    return r.code == 0 ? path : QString();
}

inline QJsonObject train_json(const QString& path, const QStringList& extra = {}) {
    const Result r = run_neura(QStringList{"train", path, "--json"} + extra);
    if (r.code != 0) qWarning() << "train failed:" << r.code << r.err;
    return QJsonDocument::fromJson(r.out.toUtf8()).object();
}

}  // namespace neura::test::cli
