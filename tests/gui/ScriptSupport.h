#pragma once
// Running a screenshot script (gui/app/ScreenshotScript) from a test: the tutorial's and the user guide's
// scripts, or a few lines of one.
#include <QDir>
#include <QFile>
#include <QString>
#include <QTemporaryDir>

#include "app/MainWindow.h"
#include "app/ScreenshotScript.h"

namespace neura::test {

// Runs `text` as a script in `dir` (the current folder while it runs).
inline bool runScript(gui::MainWindow& w, const QTemporaryDir& dir, const QString& text, QString* error) {
    const QString path = dir.filePath("steps.script");
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly)) return false;
    f.write(text.toUtf8());
    f.close();
    const QString previous = QDir::currentPath();
    QDir::setCurrent(dir.path());
    const bool ok = gui::ScreenshotScript::run(w, path, error);
    QDir::setCurrent(previous);
    return ok;
}

}  // namespace neura::test
