#pragma once
// ProjectFileController: the life of the project file behind a MainWindow — New, Open (with the
// recovery of an autosave), Save / Save As, Revert, Import ONNX (a new, untitled project), the
// autosave side file and its timer, File ▸ Open Recent, and the "save the changes?" question before
// any of them drops unsaved work. The window keeps what the project holds (its project data, the
// document, the panels) and the questions themselves (MainWindow::askToSave, askToRecover,
// askToRevert, showError: tests answer them); this class decides when to ask and what to read or write.
#include <QObject>
#include <QString>

class QMenu;
class QTimer;

namespace neura::gui {

class GraphDocument;
class MainWindow;

class ProjectFileController : public QObject {
    Q_OBJECT
public:
    // A child of `window`; autosaves every NEURA_AUTOSAVE_SECONDS (default 120) seconds.
    explicit ProjectFileController(MainWindow* window);

    // The open project's file (absolute); empty while the project is untitled.
    const QString& filePath() const { return path_; }
    // The side file autosave writes for the project at `path` ("<path>.autosave").
    static QString autosavePath(const QString& path);
    void setAutosaveInterval(int seconds);  // 0 turns autosave off
    // Lists the recent files in `menu` (File ▸ Open Recent) and keeps it up to date.
    void setRecentMenu(QMenu* menu);

    // Unsaved changes: asks whether to save them. False when the user cancels or the save fails.
    bool maybeSave();
    // Deletes the open project's autosave (its changes were saved or discarded on purpose).
    void removeAutosave();

public slots:
    void newDocument();                  // Input + Loss, untitled
    bool openFile(const QString& path);  // false (and nothing changed) when it cannot be read
    bool saveTo(const QString& path);    // false when saving failed (reported)
    bool save();
    bool saveAs();
    void open();
    void revert();
    // The model and its weights become a new, untitled project, laid out left to right.
    bool importOnnxFrom(const QString& path);
    void importOnnx();  // File ▸ Import ONNX…: asks for the file
    // Writes the project with its unsaved changes to autosavePath(), leaving the project file and the
    // modified state alone; false when there was nothing to write or it failed. The timer calls it.
    bool autosaveNow();

private:
    bool openProjectFile(const QString& path, bool offerRecovery);
    void addRecent(const QString& path);
    void rebuildRecentMenu();

    MainWindow* window_;
    GraphDocument* doc_;
    QTimer* autosaveTimer_;
    QMenu* recentMenu_ = nullptr;
    QString path_;
};

}  // namespace neura::gui
