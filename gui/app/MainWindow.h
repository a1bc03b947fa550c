#pragma once
// MainWindow: the studio's frame — canvas in the middle, palette / properties / issues docks, menus,
// settings — and the training loop around it: the training, dataset, plots and decision-boundary
// docks plugged in through addPanel(), driving one TrainingSession. The project file's life (new,
// open, save, autosave, recent files, revert, import) is its ProjectFileController's.
#include <QDeadlineTimer>
#include <QMainWindow>
#include <QPointer>
#include <QTimer>
#include <QMessageBox>

#include "neura/project/Project.h"

class QAction;
class QLabel;
class QMenu;

namespace neura::gui {

class GraphDocument;
class GraphScene;
class GraphView;
class PalettePanel;
class PropertiesPanel;
class IssuesPanel;
class TrainingSession;
class SweepSession;
class TrainingPanel;
class PlotsPanel;
class DatasetPanel;
class DecisionBoundaryView;
class EvaluationPanel;
class GradcheckPanel;
class InspectorPanel;
class TextPanel;
class ProjectFileController;
class RunsPanel;
class CompareSideView;
class DiffOverlay;
struct TrainingResult;

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(QWidget* parent = nullptr);
    ~MainWindow() override;

    // Lets the widest docks (Inspector, Evaluation) and the Training dock scroll while the window's minimum
    // size exceeds `available` (a screen's free area); returns the minimum size then. The constructor calls
    // it with the primary screen's.
    QSize fitDocksTo(const QSize& available);

    GraphDocument* document() const { return doc_; }
    GraphScene* scene() const { return scene_; }
    GraphView* view() const { return view_; }
    PalettePanel* palette() const { return palette_; }
    PropertiesPanel* properties() const { return properties_; }
    IssuesPanel* issues() const { return issues_; }
    TrainingSession* session() const { return session_; }
    SweepSession* sweepSession() const { return sweep_; }  // Train ▸ Sweep…'s runs (dialogs/SweepDialog.h)
    TrainingPanel* trainingPanel() const { return trainingPanel_; }
    PlotsPanel* plots() const { return plots_; }
    DatasetPanel* datasetPanel() const { return datasetPanel_; }
    DecisionBoundaryView* boundaryView() const { return boundary_; }
    EvaluationPanel* evaluationPanel() const { return evaluation_; }
    QAction* trainAction() const;  // F5, the training panel's
    QAction* pauseAction() const { return pauseAct_; }
    QAction* stopAction() const { return stopAct_; }
    QAction* stepAction() const { return stepAct_; }
    QAction* gradientFlowAction() const { return flowAct_; }
    GradcheckPanel* gradcheckPanel() const;
    InspectorPanel* inspector() const { return inspector_; }
    TextPanel* textPanel() const;
    ProjectFileController* files() const { return files_; }

    // The model's undo stack is not clean, or training, the dataset or the setup changed the project.
    bool isModified() const;

    // The project as last loaded or saved, with the document's model and layout written into it.
    project::Project currentProject() const;
    // The project's fields other than model and layout (training setup, weights, runs, ...);
    // panels that own them (training, dataset) update them here.
    project::Project& projectData() { return project_; }
    // Adds a finished run (a sweep's, or the training session's) to the project's runs with the next
    // free id; the Plots dock lists it (unless `listInPlots` is false) and the project counts as modified.
    void addRun(project::RunRecord run, bool listInPlots = true);
    const QString& filePath() const;  // empty while the project is untitled

    // Why Help ▸ Plugins… ▸ Reload is refused now ("" when it is allowed): a worker (training, the
    // decision boundary it draws, a gradient check, an inspector capture) is running, or the open
    // project uses a plugin layer. A reload frees the layer descriptors those read.
    QString pluginReloadBlocker() const;
    // Whether the setup a run reads (dataset, training settings) is locked: a run or step mode is on.
    bool isRunLocked() const { return runLocked_; }
    // How long closing the window waits for running workers before it abandons them.
    void setCloseWaitMs(int ms) { closeWaitMs_ = ms; }

    // ---- runs and model comparison (MainWindowRuns.cpp) ----
    RunsPanel* runsPanel() const { return runs_; }
    DiffOverlay* diffOverlay() const { return diff_; }
    // Compare mode's "before" model, beside the canvas (hidden outside compare mode).
    CompareSideView* compareSideView() const { return compareSide_; }
    // The Runs dock's "Use This Run's Settings": run `index`'s training setup and the NODE.ATTRIBUTE
    // settings its sweep varied become the project's, as one undo step. False (status message) when
    // refused (a run going, an unknown node) or when the project uses them already.
    bool useRunSettings(int index);
    // File ▸ Compare With…: the canvas shows how the open model differs from the one in `path`
    // (DiffOverlay), following later edits, with that model read-only beside it. False when the file
    // cannot be read (reported).
    bool compareWithFile(const QString& path);
    // The Runs dock's "Compare Models": how run `after`'s model differs from run `before`'s, marked
    // on the canvas by node name. False (reported) when a run has no stored model.
    bool compareRuns(int before, int after);

    // ---- extension point for the training / dataset / plots panels (gui/panels, gui/session) ----
    // Docks the panel (tabbed with the others in `area`) and lists it under View ▸ Panels.
    void addPanel(QDockWidget* panel, Qt::DockWidgetArea area = Qt::BottomDockWidgetArea);

public slots:
    // ---- the file lifecycle: ProjectFileController's (see there) ----
    void newDocument();                      // Input + Loss, untitled
    bool openFile(const QString& path);      // false (and nothing changed) when it cannot be read
    bool saveTo(const QString& path);        // false when saving failed (reported)
    bool save();
    bool saveAs();
    void open();
    void revert();
    void fitView();
    // Trains the document's model with the training panel's setup and the dataset panel's data on a
    // copy of the project; the document is read-only until the run ends. Ignored while a run goes.
    void train();
    // Step mode (F10): idle, starts a run paused and runs its first batch; paused, runs the next batch;
    // running, pauses. Each step's batch arrives in the inspector with every tensor and gradient.
    void stepTraining();
    // The inspector's "Capture batch": the next batch of a run going on, or one forward + backward
    // of the project's current weights when idle.
    void captureBatch();
    // Writes the project with its unsaved changes to autosavePath(), leaving the project file and the
    // modified state alone; false when there was nothing to write or it failed. A timer calls it.
    bool autosaveNow();
    // File ▸ Import ONNX…: the model and its weights become a new, untitled project, laid out left to right.
    bool importOnnxFrom(const QString& path);
    // File ▸ Export ONNX…: the document's model with the project's trained weights (and normalization).
    bool exportOnnxTo(const QString& path);
    // File ▸ Export PyTorch Code…: model.py, weights.pt, data.py, train.py and README.md into `dir`
    // (neura/export/PyTorchExport.h); errors are reported as the other file actions' are.
    bool exportTorchTo(const QString& dir);

public:
    // The installed (or, in a build tree, the source) copy of docs/<name>; empty when there is none.
    static QString documentPath(const QString& name);
    // Help ▸ User Guide and friends: the document in the desktop's viewer for it.
    void openDocument(const QString& name);
    // The side file autosave writes for the project at `path` ("<path>.autosave").
    static QString autosavePath(const QString& path);
    void setAutosaveInterval(int seconds);  // 0 turns autosave off

signals:
    // Every error the window reports goes through here first (tests listen).
    void errorReported(const QString& title, const QString& text);
    void projectLoaded(const QString& path);
    void projectSaved(const QString& path);
    // A worker (training, gradient check, inspector capture) started or ended.
    void workersChanged();

protected:
    // The questions and the error display (ProjectFileController asks through these too).
    // Shows an error: a message box by default. Tests override it to keep the run non-interactive.
    virtual void showError(const QString& title, const QString& text);
    // Asks whether to save unsaved changes: Save, Discard or Cancel.
    virtual QMessageBox::StandardButton askToSave();
    // Asks whether to stop the run going on so the window can close: true stops it.
    virtual bool askToStopTraining();
    // Offers to recover an autosave newer than the project file: true loads it.
    virtual bool askToRecover(const QString& autosave);
    // File ▸ Revert asks whether to discard the changes since the last save: true reverts.
    virtual bool askToRevert();
    void closeEvent(QCloseEvent* e) override;

private:
    friend class ProjectFileController;  // loads the project it opens into the window (loadPanels, ...)

    void createActions();
    void createDocks();
    void createTrainingDocks();
    void connectTraining();
    void loadPanels();  // the training, dataset and plots panels from project_
    void setRunLocked(bool locked);
    // A panel changed the dataset or the training setup while a run reads them: shows the project's
    // again (queued), leaving the project as it was.
    void undoLockedChange();
    // Stops the workers that read the project and waits for them until `deadline`; the ones still
    // running then are abandoned.
    void stopWorkers(const QDeadlineTimer& deadline);
    bool startTraining(bool paused);
    void onTrainingFinished(const TrainingResult& result);
    void onDiverged(const QString& message, qint64 nodeId);
    void onDatasetChanged();
    void setDataModified(bool modified);
    bool refuseWhileTraining();
    void reportError(const QString& title, const QString& text);
    void updateTitle();
    void updateTotals();
    void updateActions();
    void copySelection(bool cut);
    void paste();
    void duplicate();
    void selectAll();
    void onSelectionChanged();
    void readSettings();
    void writeSettings();

    GraphDocument* doc_;
    ProjectFileController* files_;
    GraphScene* scene_;
    GraphView* view_;
    PalettePanel* palette_;
    PropertiesPanel* properties_;
    IssuesPanel* issues_;
    TrainingSession* session_ = nullptr;
    SweepSession* sweep_ = nullptr;
    TrainingPanel* trainingPanel_ = nullptr;
    PlotsPanel* plots_ = nullptr;
    DatasetPanel* datasetPanel_ = nullptr;
    DecisionBoundaryView* boundary_ = nullptr;
    QPointer<GradcheckPanel> gradcheck_;  // QPointer: selection signals can arrive while the window is torn down
    QDockWidget* gradcheckDock_ = nullptr;
    InspectorPanel* inspector_ = nullptr;
    QDockWidget* inspectorDock_ = nullptr;
    QPointer<TextPanel> text_;
    QDockWidget* textDock_ = nullptr;
    QAction* stepAct_ = nullptr;
    QAction* flowAct_ = nullptr;
    QDockWidget* trainingDock_ = nullptr;
    QDockWidget* plotsDock_ = nullptr;
    QDockWidget* datasetDock_ = nullptr;
    QDockWidget* boundaryDock_ = nullptr;
    EvaluationPanel* evaluation_ = nullptr;
    QDockWidget* evaluationDock_ = nullptr;
    QAction* pauseAct_ = nullptr;
    QAction* stopAct_ = nullptr;
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
    int pasteSerial_ = 0;
    bool dataModified_ = false;  // project fields outside the document changed since the last save/load
    bool loadingPanels_ = false;  // panels are being filled from the project: their change signals are ours
    bool runLocked_ = false;
    bool revertQueued_ = false;
    int closeWaitMs_ = 10000;
    // Runs dock and compare mode (MainWindowRuns.cpp).
    void createRunsDock();
    void setTrainConfigText(const std::string& json);  // the undo command's: project_ and the panel
    RunsPanel* runs_ = nullptr;
    QDockWidget* runsDock_ = nullptr;
    DiffOverlay* diff_ = nullptr;
    CompareSideView* compareSide_ = nullptr;
    void balanceCompareSplit();  // the two views' widths when compare mode starts

    // project_'s dataset and training setup when the run started: what its weights belong with.
    std::string runDatasetJson_, runConfigJson_;
};

}  // namespace neura::gui
