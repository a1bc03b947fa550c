#pragma once
// MainWindow: the studio's frame — canvas in the middle, palette / properties / issues docks, menus,
// recent files, settings. Other panels (training, dataset, plots) plug in through addPanel().
#include <QMainWindow>
#include <QMessageBox>

#include "neura/project/Project.h"

class QLabel;
class QMenu;

namespace neura::gui {

class GraphDocument;
class GraphScene;
class GraphView;
class PalettePanel;
class PropertiesPanel;
class IssuesPanel;

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(QWidget* parent = nullptr);
    ~MainWindow() override;

    GraphDocument* document() const { return doc_; }
    GraphScene* scene() const { return scene_; }
    GraphView* view() const { return view_; }
    PalettePanel* palette() const { return palette_; }
    PropertiesPanel* properties() const { return properties_; }
    IssuesPanel* issues() const { return issues_; }

    // The project as last loaded or saved, with the document's model and layout written into it.
    project::Project currentProject() const;
    // The project's fields other than model and layout (training setup, weights, runs, ...);
    // panels that own them (training, dataset) update them here.
    project::Project& projectData() { return project_; }
    const QString& filePath() const { return path_; }

    // ---- extension point for the training / dataset / plots panels (gui/panels, gui/session) ----
    // Docks the panel (tabbed with the others in `area`) and lists it under View ▸ Panels.
    void addPanel(QDockWidget* panel, Qt::DockWidgetArea area = Qt::BottomDockWidgetArea);

public slots:
    void newDocument();                      // Input + Loss, untitled
    bool openFile(const QString& path);      // false (and nothing changed) when it cannot be read
    bool saveTo(const QString& path);        // false when saving failed (reported)
    bool save();
    bool saveAs();
    void open();
    void revert();
    void fitView();

signals:
    // Every error the window reports goes through here first (tests listen).
    void errorReported(const QString& title, const QString& text);
    void projectLoaded(const QString& path);
    void projectSaved(const QString& path);

protected:
    // Shows an error: a message box by default. Tests override it to keep the run non-interactive.
    virtual void showError(const QString& title, const QString& text);
    // Asks whether to save unsaved changes: Save, Discard or Cancel.
    virtual QMessageBox::StandardButton askToSave();
    void closeEvent(QCloseEvent* e) override;

private:
    void createActions();
    void createDocks();
    void reportError(const QString& title, const QString& text);
    bool maybeSave();
    void updateTitle();
    void updateTotals();
    void updateActions();
    void addRecent(const QString& path);
    void rebuildRecentMenu();
    void copySelection(bool cut);
    void paste();
    void duplicate();
    void selectAll();
    void onSelectionChanged();
    void readSettings();
    void writeSettings();

    GraphDocument* doc_;
    GraphScene* scene_;
    GraphView* view_;
    PalettePanel* palette_;
    PropertiesPanel* properties_;
    IssuesPanel* issues_;
    QMenu* recentMenu_ = nullptr;
    QMenu* panelsMenu_ = nullptr;
    QLabel* totalsLabel_ = nullptr;
    QLabel* stateLabel_ = nullptr;

    QAction* undoAct_ = nullptr;
    QAction* redoAct_ = nullptr;
    QAction* cutAct_ = nullptr;
    QAction* copyAct_ = nullptr;
    QAction* pasteAct_ = nullptr;
    QAction* duplicateAct_ = nullptr;
    QAction* deleteAct_ = nullptr;
    QAction* revertAct_ = nullptr;

    project::Project project_;
    QString path_;
    int pasteSerial_ = 0;
};

}  // namespace neura::gui
