#include "app/ProjectFileController.h"

#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QMenu>
#include <QSettings>
#include <QStatusBar>
#include <QTimer>

#include "app/MainWindow.h"
#include "document/GraphDocument.h"
#include "neura/core/Error.h"
#include "neura/graph/ModelJson.h"
#include "neura/onnx/Import.h"
#include "neura/project/Project.h"
#include "neura/train/TrainConfig.h"

namespace neura::gui {

namespace {
constexpr int kMaxRecent = 8;
}

ProjectFileController::ProjectFileController(MainWindow* window)
    : QObject(window), window_(window), doc_(window->document()), autosaveTimer_(new QTimer(this)) {
    // Autosave to a side file every two minutes while there are unsaved changes; recovered on open.
    connect(autosaveTimer_, &QTimer::timeout, this, [this] { autosaveNow(); });
    setAutosaveInterval(qEnvironmentVariableIsSet("NEURA_AUTOSAVE_SECONDS")
                            ? qEnvironmentVariableIntValue("NEURA_AUTOSAVE_SECONDS")
                            : 120);
}

QString ProjectFileController::autosavePath(const QString& path) { return path + ".autosave"; }

void ProjectFileController::setAutosaveInterval(int seconds) {
    if (seconds > 0) autosaveTimer_->start(seconds * 1000);
    else autosaveTimer_->stop();
}

// ---------------------------------------------------------------- unsaved changes

bool ProjectFileController::maybeSave() {
    if (!window_->isModified()) return true;
    switch (window_->askToSave()) {
        case QMessageBox::Save: return save();
        case QMessageBox::Discard: return true;
        default: return false;
    }
}

bool ProjectFileController::autosaveNow() {
    if (path_.isEmpty() || !window_->isModified()) return false;
    const QString side = autosavePath(path_);
    try {
        project::Project p = window_->currentProject();
        project::stamp_metadata(p);
        QFile::remove(side);
        project::save_project(side.toStdString(), p);
    } catch (const neura::Error& e) {
        window_->statusBar()->showMessage(tr("Autosave failed: %1").arg(QString::fromUtf8(e.what())), 8000);
        return false;
    }
    window_->statusBar()->showMessage(tr("Autosaved to %1").arg(side), 3000);
    return true;
}

void ProjectFileController::removeAutosave() {
    if (!path_.isEmpty()) QFile::remove(autosavePath(path_));
}

// ---------------------------------------------------------------- new, open, import

void ProjectFileController::newDocument() {
    if (window_->refuseWhileTraining() || !maybeSave()) return;
    project::Project& project = window_->projectData();
    project = project::Project{};
    project.train_config_json = train::TrainConfig().to_json();
    path_.clear();
    doc_->newDocument();
    window_->loadPanels();
    window_->updateTitle();
    window_->updateTotals();
    window_->fitView();
}

void ProjectFileController::open() {
    if (window_->refuseWhileTraining() || !maybeSave()) return;
    const QString path = QFileDialog::getOpenFileName(window_, tr("Open Project"), QFileInfo(path_).absolutePath(),
                                                      tr("NeuraStudio projects (*.neura);;All files (*)"));
    if (!path.isEmpty()) openFile(path);
}

bool ProjectFileController::openFile(const QString& path) { return openProjectFile(path, true); }

bool ProjectFileController::openProjectFile(const QString& path, bool offerRecovery) {
    if (window_->refuseWhileTraining()) return false;
    project::Project p;
    bool recovered = false;
    try {
        p = project::load_project(path.toStdString());
        const QString side = autosavePath(QFileInfo(path).absoluteFilePath());
        if (!offerRecovery) {
            QFile::remove(side);  // what it holds was discarded on purpose
        } else if (QFileInfo::exists(side) && QFileInfo(side).lastModified() >= QFileInfo(path).lastModified()) {
            if (window_->askToRecover(side)) {
                try {
                    p = project::load_project(side.toStdString());
                    recovered = true;
                } catch (const neura::Error& e) {
                    window_->reportError(tr("Cannot recover"), QString::fromUtf8(e.what()));
                }
            } else {
                QFile::remove(side);
            }
        }
        // Parse the model before anything changes: a model that cannot be read changes nothing.
        if (!p.model_json.empty()) (void)graph::from_json(p.model_json);
    } catch (const project::ProjectError& e) {
        window_->reportError(tr("Cannot open project"), QString::fromUtf8(e.what()));
        return false;
    } catch (const neura::Error& e) {
        window_->reportError(tr("Cannot open project"),
                             tr("%1: the model cannot be read: %2").arg(path, QString::fromUtf8(e.what())));
        return false;
    }
    window_->projectData() = std::move(p);
    path_ = QFileInfo(path).absoluteFilePath();
    doc_->loadProject(window_->projectData());
    window_->loadPanels();
    addRecent(path_);
    window_->updateTitle();
    window_->updateTotals();
    window_->fitView();
    window_->statusBar()->showMessage(tr("Opened %1").arg(path_), 4000);
    if (recovered) {
        window_->setDataModified(true);
        window_->statusBar()->showMessage(tr("Recovered unsaved changes of %1: save to keep them").arg(path_), 8000);
    }
    emit window_->projectLoaded(path_);
    return true;
}

void ProjectFileController::importOnnx() {
    if (window_->refuseWhileTraining() || !maybeSave()) return;
    const QString path =
        QFileDialog::getOpenFileName(window_, tr("Import ONNX Model"), QString(), tr("ONNX models (*.onnx)"));
    if (!path.isEmpty()) importOnnxFrom(path);
}

bool ProjectFileController::importOnnxFrom(const QString& path) {
    if (window_->refuseWhileTraining()) return false;
    project::Project p;
    try {
        // Checked to compile and take its weights before anything changes.
        p = onnx::project_from_onnx(path.toStdString()).project;
    } catch (const neura::Error& e) {
        window_->reportError(tr("Cannot import ONNX model"), QString::fromUtf8(e.what()));
        return false;
    }
    window_->projectData() = std::move(p);
    path_.clear();
    doc_->loadProject(window_->projectData());
    doc_->autoLayout();
    window_->loadPanels();
    window_->setDataModified(true);
    window_->updateTotals();
    window_->fitView();
    window_->statusBar()->showMessage(tr("Imported %1: choose a dataset, then save the project").arg(path), 8000);
    return true;
}

// ---------------------------------------------------------------- save, revert

bool ProjectFileController::saveTo(const QString& path) {
    project::Project p = window_->currentProject();
    project::stamp_metadata(p);
    try {
        project::save_project(path.toStdString(), p);
    } catch (const neura::Error& e) {
        window_->reportError(tr("Cannot save project"), QString::fromUtf8(e.what()));
        return false;
    }
    window_->projectData() = std::move(p);
    removeAutosave();  // the old path's side file: its changes are in a real file now
    path_ = QFileInfo(path).absoluteFilePath();
    removeAutosave();
    doc_->markSaved();
    window_->setDataModified(false);
    addRecent(path_);
    window_->statusBar()->showMessage(tr("Saved %1").arg(path_), 4000);
    emit window_->projectSaved(path_);
    return true;
}

bool ProjectFileController::save() { return path_.isEmpty() ? saveAs() : saveTo(path_); }

bool ProjectFileController::saveAs() {
    QString path = QFileDialog::getSaveFileName(window_, tr("Save Project"), path_.isEmpty() ? tr("model.neura") : path_,
                                                tr("NeuraStudio projects (*.neura)"));
    if (path.isEmpty()) return false;
    if (!path.endsWith(".neura")) path += ".neura";
    return saveTo(path);
}

void ProjectFileController::revert() {
    if (path_.isEmpty() || window_->refuseWhileTraining()) return;
    if (window_->isModified() && !window_->askToRevert()) return;
    // The saved file, as saved: the autosave holds the very changes being discarded.
    openProjectFile(path_, false);
}

// ---------------------------------------------------------------- recent files

void ProjectFileController::setRecentMenu(QMenu* menu) {
    recentMenu_ = menu;
    rebuildRecentMenu();
}

void ProjectFileController::addRecent(const QString& path) {
    QSettings s;
    QStringList recent = s.value("recentFiles").toStringList();
    recent.removeAll(path);
    recent.prepend(path);
    while (recent.size() > kMaxRecent) recent.removeLast();
    s.setValue("recentFiles", recent);
    rebuildRecentMenu();
}

void ProjectFileController::rebuildRecentMenu() {
    if (!recentMenu_) return;
    recentMenu_->clear();
    const QStringList recent = QSettings().value("recentFiles").toStringList();
    for (const QString& path : recent) {
        auto* a = recentMenu_->addAction(QFileInfo(path).fileName(), this, [this, path] {
            if (maybeSave()) openFile(path);
        });
        a->setToolTip(path);
        a->setStatusTip(path);
    }
    if (!recent.isEmpty()) {
        recentMenu_->addSeparator();
        recentMenu_->addAction(tr("Clear Menu"), this, [this] {
            QSettings().remove("recentFiles");
            rebuildRecentMenu();
        });
    }
    recentMenu_->setEnabled(!recent.isEmpty());
}

}  // namespace neura::gui
