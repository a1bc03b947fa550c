#include "app/MainWindow.h"

#include <QAction>
#include <QApplication>
#include <QClipboard>
#include <QCloseEvent>
#include <QCoreApplication>
#include <QDesktopServices>
#include <QUrl>
#include <QDockWidget>
#include <QLayout>
#include <QScreen>
#include <QScrollArea>
#include <QFileDialog>
#include <QFileInfo>
#include <QIcon>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QProgressDialog>
#include <QRegularExpression>
#include <QSettings>
#include <QStatusBar>
#include <QToolBar>
#include <QUndoStack>

#include "app/ProjectFileController.h"
#include "app/Theme.h"
#include "dialogs/PluginsDialog.h"
#include "dialogs/SweepDialog.h"
#include "document/GraphDocument.h"
#include "editor/GraphScene.h"
#include "editor/GraphView.h"
#include "editor/NodeItem.h"
#include "neura/core/Error.h"
#include "neura/export/PyTorchExport.h"
#include "neura/onnx/Export.h"
#include "neura/plugin/PluginManager.h"
#include "neura/train/TrainedModel.h"
#include "neura/train/TrainConfig.h"
#include "neura/Version.h"
#include "panels/DatasetPanel.h"
#include "panels/DecisionBoundaryView.h"
#include "panels/EvaluationPanel.h"
#include "panels/GradcheckPanel.h"
#include "panels/TextPanel.h"
#include "panels/InspectorPanel.h"
#include "panels/IssuesPanel.h"
#include "panels/PalettePanel.h"
#include "panels/PlotsPanel.h"
#include "panels/PropertiesPanel.h"
#include "panels/RunsPanel.h"
#include "panels/TrainingPanel.h"
#include "session/BackgroundTask.h"
#include "session/SweepSession.h"
#include "session/TrainingSession.h"

// The icons live in neura_gui, a static library: its resources must be registered by hand.
static void initIconResourcesGlobal() { Q_INIT_RESOURCE(neurastudio); }

namespace neura::gui {

static void initIconResources() { initIconResourcesGlobal(); }

namespace {
constexpr const char* kNodesMime = "application/x-neura-nodes";

QString humanBytes(double bytes) {
    const char* units[] = {"B", "KB", "MB", "GB"};
    int u = 0;
    while (bytes >= 1000 && u < 3) {
        bytes /= 1000;
        ++u;
    }
    return QStringLiteral("%1 %2").arg(bytes, 0, 'f', u == 0 ? 0 : 1).arg(units[u]);
}
}  // namespace

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent) {
    initIconResources();
    setObjectName("MainWindow");
    QIcon appIcon;
    for (const char* size : {"48", "128", "256"}) appIcon.addFile(QString(":/icons/neurastudio-%1.png").arg(size));
    setWindowIcon(appIcon);
    doc_ = new GraphDocument(this);
    files_ = new ProjectFileController(this);
    scene_ = new GraphScene(doc_, this);
    view_ = new GraphView(scene_, this);
    setCentralWidget(view_);
    setDockOptions(QMainWindow::AnimatedDocks | QMainWindow::AllowTabbedDocks | QMainWindow::AllowNestedDocks);
    session_ = new TrainingSession(this);
    sweep_ = new SweepSession(this);
    createDocks();
    createActions();
    createTrainingDocks();
    connectTraining();

    totalsLabel_ = new QLabel(this);
    totalsLabel_->setObjectName("totalsLabel");
    stateLabel_ = new QLabel(this);
    statusBar()->addPermanentWidget(stateLabel_);
    statusBar()->addPermanentWidget(totalsLabel_);

    connect(doc_, &GraphDocument::editRefused, this, [this](const QString& why) { statusBar()->showMessage(why, 8000); });
    connect(scene_, &GraphScene::statusMessage, this, [this](const QString& m) { statusBar()->showMessage(m, 6000); });
    connect(properties_, &PropertiesPanel::statusMessage, this,
            [this](const QString& m) { statusBar()->showMessage(m, 6000); });
    connect(doc_, &GraphDocument::analysisChanged, this, &MainWindow::updateTotals);
    connect(doc_->undoStack(), &QUndoStack::cleanChanged, this, &MainWindow::updateTitle);
    connect(doc_->undoStack(), &QUndoStack::indexChanged, this, &MainWindow::updateActions);
    connect(doc_, &GraphDocument::readOnlyChanged, this, &MainWindow::updateActions);
    connect(scene_, &QGraphicsScene::selectionChanged, this, &MainWindow::onSelectionChanged);
    connect(palette_, &PalettePanel::addRequested, this, [this](const QString& type) {
        // Next to the selected node when there is one, else in the middle of the view.
        QPointF at = view_->mapToScene(view_->viewport()->rect().center()) - QPointF(NodeItem::kWidth / 2, 40);
        const auto sel = scene_->selectedNodes();
        if (sel.size() == 1) at = doc_->position(sel.front()) + QPointF(220, 0);
        const auto id = doc_->addNode(type, GraphScene::snap(at));
        if (id.valid()) scene_->selectNodes({id});
    });
    connect(issues_, &IssuesPanel::nodeActivated, this, [this](graph::NodeId id) {
        if (auto* item = scene_->nodeItem(id)) {
            scene_->selectNodes({id});
            view_->centerOn(item);
        }
    });
    // A screen smaller than the window's minimum: the wide docks scroll (offscreen, 800 px, is no screen).
    if (const QScreen* screen = QGuiApplication::primaryScreen(); screen && screen->availableGeometry().width() >= 1024)
        fitDocksTo(screen->availableGeometry().size());
    readSettings();
    updateTitle();
    updateTotals();
    updateActions();
}

MainWindow::~MainWindow() {
    // The children (the document, the docks) are deleted by ~QWidget, after this class is gone; a signal
    // one emits while dying (QUndoStack::clear emits indexChanged) must not reach this half-destroyed
    // window (UBSan found the call into a MainWindow that was only a QWidget any more).
    for (QObject* child : findChildren<QObject*>()) QObject::disconnect(child, nullptr, this, nullptr);
    QObject::disconnect(doc_->undoStack(), nullptr, this, nullptr);  // a member of the document, not a child
}

// ---------------------------------------------------------------- setup

void MainWindow::createDocks() {
    palette_ = new PalettePanel(this);
    properties_ = new PropertiesPanel(doc_, this);
    issues_ = new IssuesPanel(doc_, this);
    addDockWidget(Qt::LeftDockWidgetArea, palette_);
    addDockWidget(Qt::RightDockWidgetArea, properties_);
    addDockWidget(Qt::BottomDockWidgetArea, issues_);
    resizeDocks({palette_, properties_}, {210, 290}, Qt::Horizontal);
    resizeDocks({issues_}, {120}, Qt::Vertical);
}

static QDockWidget* makeDock(const QString& title, const QString& objectName, QWidget* content, QWidget* parent) {
    auto* dock = new QDockWidget(title, parent);
    dock->setObjectName(objectName);
    dock->setWidget(content);
    return dock;
}

// A dock whose panel may need more room than a laptop screen leaves it (the Inspector's rows of plots, the
// Evaluation dock's matrix beside its samples, the Training dock's form): its panel sits in a scroll area
// that asks for the panel's whole minimum size, so on a big screen nothing scrolls; fitDocksTo() lets it
// scroll when the window's minimum (the sum of its docks') would not fit the screen.
static QDockWidget* makeScrollingDock(const QString& title, const QString& objectName, QWidget* content,
                                      QWidget* parent) {
    auto* scroll = new QScrollArea;
    scroll->setObjectName(objectName + "Scroll");
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setWidget(content);
    scroll->setMinimumSize(content->minimumSizeHint());
    return makeDock(title, objectName, scroll, parent);
}

QSize MainWindow::fitDocksTo(const QSize& available) {
    // The window's minimum as its layout sees it now (a widget's new minimum reaches it through posted
    // layout requests).
    const auto minimum = [this] {
        QCoreApplication::sendPostedEvents(nullptr, QEvent::LayoutRequest);
        layout()->invalidate();
        layout()->activate();
        return minimumSizeHint();
    };
    // The widest and tallest first; each gives up its room only while the window still does not fit.
    for (const char* name : {"InspectorDockScroll", "EvaluationDockScroll"})
        if (minimum().width() > available.width())
            if (auto* scroll = findChild<QScrollArea*>(QLatin1String(name)))
                scroll->setMinimumWidth(std::min(scroll->minimumWidth(), 360));
    if (minimum().height() > available.height())
        if (auto* scroll = findChild<QScrollArea*>(QStringLiteral("TrainingDockScroll")))
            scroll->setMinimumHeight(std::min(scroll->minimumHeight(), 240));
    return minimum();
}

void MainWindow::createTrainingDocks() {
    trainingPanel_ = new TrainingPanel(this);
    plots_ = new PlotsPanel(this);
    datasetPanel_ = new DatasetPanel(this);
    boundary_ = new DecisionBoundaryView(this);
    datasetDock_ = makeDock(tr("Dataset"), "DatasetDock", datasetPanel_, this);
    trainingDock_ = makeScrollingDock(tr("Training"), "TrainingDock", trainingPanel_, this);
    plotsDock_ = makeDock(tr("Plots"), "PlotsDock", plots_, this);
    boundaryDock_ = makeDock(tr("Decision Boundary"), "BoundaryDock", boundary_, this);
    // Evaluation of the trained model, tabbed with the decision boundary: in front for data that is
    // not 2-D features, where the boundary has nothing to draw.
    evaluation_ = new EvaluationPanel(this);
    evaluationDock_ = makeScrollingDock(tr("Evaluation"), "EvaluationDock", evaluation_, this);
    evaluation_->setProjectSource([this] { return currentProject(); });
    connect(evaluation_, &EvaluationPanel::started, this, &MainWindow::workersChanged);
    connect(evaluation_, &EvaluationPanel::finished, this, &MainWindow::workersChanged);
    connect(evaluation_, &EvaluationPanel::failed, this, &MainWindow::workersChanged);
    gradcheck_ = new GradcheckPanel(this);
    gradcheckDock_ = makeDock(tr("Gradient Check"), "GradcheckDock", gradcheck_, this);
    // It checks the project as the window holds it now: the document's model, trained weights, data.
    connect(gradcheck_, &GradcheckPanel::started, this, [this] {
        statusBar()->showMessage(tr("Checking gradients…"), 3000);
        emit workersChanged();
    });
    connect(gradcheck_, &GradcheckPanel::finished, this, &MainWindow::workersChanged);
    connect(gradcheck_, &GradcheckPanel::failed, this, &MainWindow::workersChanged);
    connect(gradcheck_, &GradcheckPanel::nodeResults, scene_, &GraphScene::setGradcheckVerdicts);
    inspector_ = new InspectorPanel(this);
    inspectorDock_ = makeScrollingDock(tr("Inspector"), "InspectorDock", inspector_, this);
    // Text generation with the project as the window holds it when Generate is pressed.
    text_ = new TextPanel(this);
    textDock_ = makeDock(tr("Text"), "TextDock", text_, this);
    text_->setProjectSource([this] { return currentProject(); });
    connect(text_, &TextPanel::started, this, &MainWindow::workersChanged);
    connect(text_, &TextPanel::finished, this, &MainWindow::workersChanged);
    connect(text_, &TextPanel::failed, this, &MainWindow::workersChanged);

    // Left and right docks run the full height; the bottom row sits under the canvas only, so the
    // canvas keeps its width and the plots get the row. Left: layers | dataset over properties.
    // Right: the training setup and run, full height. Bottom: plots (tabbed with issues) beside the
    // decision boundary.
    setCorner(Qt::BottomLeftCorner, Qt::LeftDockWidgetArea);
    setCorner(Qt::BottomRightCorner, Qt::RightDockWidgetArea);
    addPanel(datasetDock_, Qt::LeftDockWidgetArea);
    addPanel(trainingDock_, Qt::RightDockWidgetArea);
    addPanel(plotsDock_, Qt::BottomDockWidgetArea);
    addPanel(boundaryDock_, Qt::BottomDockWidgetArea);
    removeDockWidget(properties_);
    splitDockWidget(palette_, properties_, Qt::Vertical);
    properties_->show();
    tabifyDockWidget(palette_, datasetDock_);
    palette_->raise();
    splitDockWidget(plotsDock_, boundaryDock_, Qt::Horizontal);  // before tabbing: a tab cannot be split
    tabifyDockWidget(plotsDock_, issues_);
    addPanel(evaluationDock_, Qt::BottomDockWidgetArea);
    tabifyDockWidget(boundaryDock_, evaluationDock_);
    boundaryDock_->raise();
    addPanel(gradcheckDock_, Qt::BottomDockWidgetArea);
    tabifyDockWidget(plotsDock_, gradcheckDock_);
    addPanel(inspectorDock_, Qt::BottomDockWidgetArea);
    tabifyDockWidget(plotsDock_, inspectorDock_);
    addPanel(textDock_, Qt::BottomDockWidgetArea);
    tabifyDockWidget(plotsDock_, textDock_);
    createRunsDock();  // tabbed with the plots
    plotsDock_->raise();
    resizeDocks({palette_, trainingDock_}, {270, 330}, Qt::Horizontal);
    resizeDocks({palette_, properties_}, {430, 400}, Qt::Vertical);
    resizeDocks({plotsDock_}, {350}, Qt::Vertical);
    resizeDocks({plotsDock_, boundaryDock_}, {520, 320}, Qt::Horizontal);

    // ---- Train menu: F5 is the panel's action (window-wide), Pause/Resume and Stop follow the session.
    QMenu* trainMenu = menuBar()->insertMenu(menuBar()->actions().constLast(), new QMenu(tr("&Train"), this))->menu();
    trainMenu->addAction(trainingPanel_->trainAction());
    addAction(trainingPanel_->trainAction());  // F5 also when the training dock is hidden or tabbed away
    pauseAct_ = trainMenu->addAction(tr("&Pause"), this, [this] {
        if (session_->isPaused())
            session_->resume();
        else
            session_->pause();
    });
    pauseAct_->setShortcut(QKeySequence(Qt::Key_F6));
    stepAct_ = trainMenu->addAction(tr("S&tep One Batch"), this, &MainWindow::stepTraining);
    stepAct_->setShortcut(QKeySequence(Qt::Key_F10));
    stepAct_->setToolTip(tr("Run one batch forward, backward and through the optimizer, then pause: the "
                            "Inspector shows every tensor and gradient of that batch (F10)"));
    stepAct_->setIcon(QIcon(":/icons/step.png"));
    inspector_->setStepAction(stepAct_);
    stopAct_ = trainMenu->addAction(tr("&Stop"), session_, &TrainingSession::stop);
    trainMenu->addAction(tr("S&weep…"), this, [this] { SweepDialog::showFor(this); })->setObjectName("SweepAction");
    trainingPanel_->trainAction()->setIcon(QIcon(":/icons/train.png"));
    pauseAct_->setIcon(QIcon(":/icons/pause.png"));
    stopAct_->setIcon(QIcon(":/icons/stop.png"));
    // A toolbar with the run controls, so training is one click away as well as F5.
    QToolBar* runBar = addToolBar(tr("Run"));
    runBar->setObjectName("RunToolBar");
    runBar->addAction(trainingPanel_->trainAction());
    runBar->addAction(pauseAct_);
    runBar->addAction(stepAct_);
    runBar->addAction(stopAct_);
    stopAct_->setShortcut(QKeySequence(Qt::SHIFT | Qt::Key_F5));
    trainMenu->addSeparator();
    flowAct_ = trainMenu->addAction(tr("Show &Gradient Flow on the Canvas"));
    flowAct_->setCheckable(true);
    flowAct_->setChecked(true);
    flowAct_->setToolTip(tr("While training, colour each edge by the gradient flowing back along it and each "
                            "node by the scale of its output (blue vanishing, green healthy, red exploding)"));
    connect(flowAct_, &QAction::toggled, this, [this](bool on) {
        scene_->setInsight(on ? inspector_->capture() : nullptr);
    });
    addAction(stepAct_);
    for (QAction* a : {pauseAct_, stopAct_}) {
        a->setEnabled(false);
        addAction(a);
    }
}

void MainWindow::connectTraining() {
    trainingPanel_->attachSession(session_);
    connect(trainingPanel_, &TrainingPanel::trainRequested, this, &MainWindow::train);
    connect(trainingPanel_, &TrainingPanel::configChanged, this, [this] {
        if (loadingPanels_) return;
        if (runLocked_) {  // the form is disabled; a change that got through anyway is undone
            undoLockedChange();
            return;
        }
        trainingPanel_->saveToProject(project_);
        setDataModified(true);
        updateTotals();  // the batch size is in the totals
    });
    connect(datasetPanel_, &DatasetPanel::datasetChanged, this, [this] {
        if (loadingPanels_) return;
        if (runLocked_) {  // the panel is disabled; a change that got through anyway is undone
            undoLockedChange();
            return;
        }
        onDatasetChanged();
    });
    connect(datasetPanel_, &DatasetPanel::datasetBuilt, boundary_, &DecisionBoundaryView::setDataset);
    connect(datasetPanel_, &DatasetPanel::datasetBuilt, this, [this](const data::DatasetPtr& data) {
        (DecisionBoundaryView::supports(data.get()) ? boundaryDock_ : evaluationDock_)->raise();
    });

    connect(session_, &TrainingSession::stateChanged, this, [this](TrainingSession::State state) {
        const bool running = state == TrainingSession::State::Running;
        const bool paused = state == TrainingSession::State::Paused;
        pauseAct_->setEnabled(running || paused);
        pauseAct_->setText(paused ? tr("&Resume") : tr("&Pause"));
        stopAct_->setEnabled(running || paused);
        setRunLocked(state != TrainingSession::State::Idle);
        emit workersChanged();
    });
    connect(session_, &TrainingSession::epochFinished, plots_, &PlotsPanel::addEpoch);
    connect(session_, &TrainingSession::captured, this, [this](const train::CapturePtr& capture) {
        inspector_->setCapture(capture);
        if (flowAct_->isChecked()) scene_->setInsight(capture);
    });
    connect(inspector_, &InspectorPanel::captureRequested, this, &MainWindow::captureBatch);
    connect(inspector_, &InspectorPanel::captureReady, this, [this](const train::CapturePtr& capture) {
        if (flowAct_->isChecked()) scene_->setInsight(capture);
        emit workersChanged();
    });
    connect(inspector_, &InspectorPanel::captureFailed, this, [this](const QString& message) {
        statusBar()->showMessage(tr("Could not capture a batch: %1").arg(message), 10000);
        emit workersChanged();
    });
    connect(session_, &TrainingSession::boundaryUpdated, boundary_, &DecisionBoundaryView::setGrid);
    connect(session_, &TrainingSession::diverged, this, &MainWindow::onDiverged);
    connect(session_, &TrainingSession::finished, this, &MainWindow::onTrainingFinished);
    connect(sweep_, &SweepSession::runFinished, this, [this](int, const project::RunRecord& r) { addRun(r); });
    connect(sweep_, &SweepSession::runStarted, this, &MainWindow::workersChanged);
    connect(sweep_, &SweepSession::finished, this, &MainWindow::workersChanged);
    connect(sweep_, &SweepSession::failed, this, &MainWindow::workersChanged);
    connect(session_, &TrainingSession::failed, this, [this](const QString& message) {
        doc_->setReadOnly(false);
        plots_->endRun();
        statusBar()->showMessage(tr("Training failed: %1").arg(message), 10000);
        reportError(tr("Training failed"), message);
    });
}

QAction* MainWindow::trainAction() const { return trainingPanel_->trainAction(); }
GradcheckPanel* MainWindow::gradcheckPanel() const { return gradcheck_.data(); }
TextPanel* MainWindow::textPanel() const { return text_.data(); }

void MainWindow::createActions() {
    // ---- File
    QMenu* file = menuBar()->addMenu(tr("&File"));
    auto* newAct = file->addAction(tr("&New"), files_, &ProjectFileController::newDocument);
    newAct->setShortcut(QKeySequence::New);
    auto* openAct = file->addAction(tr("&Open…"), files_, &ProjectFileController::open);
    openAct->setShortcut(QKeySequence::Open);
    QMenu* recentMenu = file->addMenu(tr("Open &Recent"));
    file->addSeparator();
    auto* saveAct = file->addAction(tr("&Save"), files_, &ProjectFileController::save);
    saveAct->setShortcut(QKeySequence::Save);
    auto* saveAsAct = file->addAction(tr("Save &As…"), files_, &ProjectFileController::saveAs);
    saveAsAct->setShortcut(QKeySequence::SaveAs);
    revertAct_ = file->addAction(tr("Re&vert"), files_, &ProjectFileController::revert);
    file->addSeparator();
    auto* importAct = file->addAction(tr("&Import ONNX…"), files_, &ProjectFileController::importOnnx);
    importAct->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_I));
    auto* exportAct = file->addAction(tr("&Export ONNX… (opset %1)").arg(onnx::kOpsetVersion), this, [this] {
        const QString& project = filePath();
        QString suggested = project.isEmpty() ? tr("model.onnx") : QString(project).replace(QRegularExpression("\\.neura$"), ".onnx");
        QString path = QFileDialog::getSaveFileName(this, tr("Export ONNX Model (opset %1)").arg(onnx::kOpsetVersion),
                                                    suggested, tr("ONNX models (*.onnx)"));
        if (path.isEmpty()) return;
        if (!path.endsWith(".onnx")) path += ".onnx";
        exportOnnxTo(path);
    });
    exportAct->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_E));
    file->addAction(tr("Export &PyTorch Code…"), this, [this] {
        const QString dir = QFileDialog::getExistingDirectory(
            this, tr("Export PyTorch Code: model.py, weights.pt, data.py, train.py into a folder"),
            filePath().isEmpty() ? QString() : QFileInfo(filePath()).absolutePath());
        if (!dir.isEmpty()) exportTorchTo(dir);
    });
    file->addSeparator();
    file->addAction(tr("Compare &With…"), this, [this] {
        const QString path = QFileDialog::getOpenFileName(this, tr("Compare the Model With"), QString(),
                                                          tr("NeuraStudio projects (*.neura)"));
        if (!path.isEmpty()) compareWithFile(path);
    });
    file->addSeparator();
    auto* quitAct = file->addAction(tr("&Quit"), this, &QWidget::close);
    quitAct->setShortcut(QKeySequence::Quit);
    quitAct->setMenuRole(QAction::QuitRole);

    // ---- Edit
    QMenu* edit = menuBar()->addMenu(tr("&Edit"));
    undoAct_ = edit->addAction(tr("&Undo"), doc_, &GraphDocument::undo);
    undoAct_->setShortcut(QKeySequence::Undo);
    redoAct_ = edit->addAction(tr("&Redo"), doc_, &GraphDocument::redo);
    redoAct_->setShortcuts({QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_Z), QKeySequence::Redo});
    edit->addSeparator();
    cutAct_ = edit->addAction(tr("Cu&t"), this, [this] { copySelection(true); });
    cutAct_->setShortcut(QKeySequence::Cut);
    copyAct_ = edit->addAction(tr("&Copy"), this, [this] { copySelection(false); });
    copyAct_->setShortcut(QKeySequence::Copy);
    pasteAct_ = edit->addAction(tr("&Paste"), this, &MainWindow::paste);
    pasteAct_->setShortcut(QKeySequence::Paste);
    duplicateAct_ = edit->addAction(tr("&Duplicate"), this, &MainWindow::duplicate);
    duplicateAct_->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_D));
    deleteAct_ = edit->addAction(tr("&Delete"), scene_, &GraphScene::deleteSelection);
    deleteAct_->setShortcuts({QKeySequence::Delete, QKeySequence(Qt::Key_Backspace)});
    edit->addSeparator();
    auto* selectAllAct = edit->addAction(tr("Select &All"), this, &MainWindow::selectAll);
    selectAllAct->setShortcut(QKeySequence::SelectAll);
    // Editing shortcuts act on the canvas only, so text fields in the docks keep theirs.
    for (QAction* a : {cutAct_, copyAct_, pasteAct_, duplicateAct_, deleteAct_, selectAllAct}) {
        a->setShortcutContext(Qt::WidgetWithChildrenShortcut);
        view_->addAction(a);
    }

    // ---- View
    QMenu* viewMenu = menuBar()->addMenu(tr("&View"));
    auto* fit = viewMenu->addAction(tr("&Fit to View"), this, &MainWindow::fitView);
    fit->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_0));
    auto* zin = viewMenu->addAction(tr("Zoom &In"), view_, &GraphView::zoomIn);
    zin->setShortcuts({QKeySequence::ZoomIn, QKeySequence(Qt::CTRL | Qt::Key_Equal)});
    auto* zout = viewMenu->addAction(tr("Zoom &Out"), view_, &GraphView::zoomOut);
    zout->setShortcut(QKeySequence::ZoomOut);
    viewMenu->addSeparator();
    auto* layoutAct = viewMenu->addAction(tr("&Auto Layout"), this, [this] {
        view_->autoLayout();  // for this viewport, then fitted
    });
    layoutAct->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_L));
    viewMenu->addSeparator();
    auto* darkAct = viewMenu->addAction(tr("&Dark Theme"));
    darkAct->setCheckable(true);
    // Checked when the theme in use is dark (the setting, or --dark on the command line).
    darkAct->setChecked(QApplication::palette().color(QPalette::Window).lightness() < 128);
    connect(darkAct, &QAction::toggled, this, [this](bool dark) {
        QSettings().setValue("view/dark", dark);
        applyTheme(dark);
        scene_->update();
    });
    panelsMenu_ = viewMenu->addMenu(tr("&Panels"));
    for (QDockWidget* d : {static_cast<QDockWidget*>(palette_), static_cast<QDockWidget*>(properties_),
                           static_cast<QDockWidget*>(issues_)})
        panelsMenu_->addAction(d->toggleViewAction());

    // ---- Help
    QMenu* help = menuBar()->addMenu(tr("&Help"));
    auto* guideAct = help->addAction(tr("&User Guide"), this, [this] { openDocument(QStringLiteral("user-guide.md")); });
    guideAct->setShortcut(QKeySequence::HelpContents);
    help->addAction(tr("&Tutorial: Your First Network"), this, [this] { openDocument(QStringLiteral("tutorial.md")); });
    help->addAction(tr("&Seeing Inside the Network"), this, [this] { openDocument(QStringLiteral("insight.md")); });
    help->addAction(tr("Writing &Layer Plugins"), this, [this] { openDocument(QStringLiteral("plugins.md")); });
    help->addSeparator();
    auto* pluginsAct = help->addAction(tr("&Plugins…"), this, [this] {
        // Non-modal: the window stays usable; Reload is refused while the open project uses a
        // plugin layer (its modules and descriptors come from the libraries a reload replaces).
        auto* dialog = new PluginsDialog(plugin::PluginManager::instance(), this);
        dialog->setAttribute(Qt::WA_DeleteOnClose);
        dialog->setReloadBlocker([this] { return pluginReloadBlocker(); });
        // The button and its note follow the workers while the dialog is open.
        connect(this, &MainWindow::workersChanged, dialog, &PluginsDialog::refresh);
        connect(dialog, &PluginsDialog::reloaded, this, [this] {
            palette_->populate();
            doc_->refreshLayers();
        });
        dialog->show();
    });
    pluginsAct->setObjectName("pluginsAction");
    help->addAction(tr("&About NeuraStudio"), this, [this] {
        QMessageBox::about(this, tr("About NeuraStudio"),
                           tr("<h3>NeuraStudio %1</h3><p>Build, train and check neural networks visually.</p>"
                              "<p>Drag layers from the palette, connect output ports to input ports, and "
                              "watch shapes and parameter counts update as you edit.</p>"
                              "<p>%2</p>")
                               .arg(QStringLiteral(NEURA_VERSION),
                                    QString::fromUtf8(NEURA_LICENSE_NOTICE).toHtmlEscaped().replace("\n", "<br>")));
    });
    files_->setRecentMenu(recentMenu);
}

QString MainWindow::pluginReloadBlocker() const {
    // Every worker compiles networks from layer descriptors that LayerRegistry::find hands out as raw
    // pointers; a reload frees those of the plugins.
    QStringList busy;
    if (session_->isRunning()) busy << tr("training (and the decision boundary it draws)");
    if (sweep_->isRunning()) busy << tr("the sweep");
    if (gradcheck_ && gradcheck_->isRunning()) busy << tr("the gradient check");
    if (inspector_ && inspector_->isCapturing()) busy << tr("the inspector's capture");
    if (text_ && text_->isRunning()) busy << tr("text generation");
    if (evaluation_ && evaluation_->isRunning()) busy << tr("the evaluation");
    // A worker abandoned because it did not stop in time may still hold layers.
    if (busy.isEmpty() && BackgroundTask::running() > 0) busy << tr("a background job that was left to end");
    if (!busy.isEmpty())
        return tr("Reload is possible once %1 has ended: it uses the layers a reload replaces.")
            .arg(busy.join(tr(", ")));
    QStringList used;
    for (const auto& [id, n] : doc_->graph().nodes())
        if (const auto* d = graph::LayerRegistry::instance().find(n.type); d && !d->plugin.empty())
            if (!used.contains(QString::fromStdString(n.type))) used << QString::fromStdString(n.type);
    return used.isEmpty() ? QString()
                          : tr("The open project uses plugin layers (%1): close it or remove them to reload.")
                                .arg(used.join(QStringLiteral(", ")));
}

QString MainWindow::documentPath(const QString& name) {
    const QString app = QCoreApplication::applicationDirPath();
    // Installed (<prefix>/bin → <prefix>/share/doc/neurastudio/docs), or the build tree (build/gui).
    for (const QString& dir : {app + "/../share/doc/neurastudio/docs", app + "/../../docs", app + "/../docs"})
        if (QFileInfo::exists(dir + "/" + name)) return QFileInfo(dir + "/" + name).absoluteFilePath();
    return {};
}

void MainWindow::openDocument(const QString& name) {
    const QString path = documentPath(name);
    if (path.isEmpty()) {
        reportError(tr("Documentation not found"),
                    tr("%1 is not installed next to the program (looked in %2/../share/doc/neurastudio/docs).")
                        .arg(name, QCoreApplication::applicationDirPath()));
        return;
    }
    if (!QDesktopServices::openUrl(QUrl::fromLocalFile(path)))
        reportError(tr("Cannot open the documentation"), tr("No application opens %1.").arg(path));
}

void MainWindow::addPanel(QDockWidget* panel, Qt::DockWidgetArea area) {
    QDockWidget* sibling = nullptr;
    for (QDockWidget* d : findChildren<QDockWidget*>())
        if (d != panel && dockWidgetArea(d) == area && !d->isFloating() && d->isVisible()) sibling = d;
    addDockWidget(area, panel);
    if (sibling) tabifyDockWidget(sibling, panel);
    if (panel->objectName().isEmpty()) panel->setObjectName(panel->windowTitle());
    panelsMenu_->addAction(panel->toggleViewAction());
}

// ---------------------------------------------------------------- state shown

bool MainWindow::isModified() const { return doc_->isModified() || dataModified_; }

void MainWindow::setDataModified(bool modified) {
    dataModified_ = modified;
    updateTitle();
}

void MainWindow::updateTitle() {
    const QString& path = filePath();
    const QString name = path.isEmpty() ? tr("Untitled.neura") : QFileInfo(path).fileName();
    setWindowTitle(tr("%1[*] — NeuraStudio").arg(name));
    setWindowModified(isModified());
    revertAct_->setEnabled(!path.isEmpty() && isModified() && !session_->isRunning());
}

void MainWindow::updateActions() {
    auto* stack = doc_->undoStack();
    const bool ro = doc_->isReadOnly();
    undoAct_->setEnabled(stack->canUndo() && !ro);
    redoAct_->setEnabled(stack->canRedo() && !ro);
    undoAct_->setText(stack->canUndo() ? tr("&Undo %1").arg(stack->undoText()) : tr("&Undo"));
    redoAct_->setText(stack->canRedo() ? tr("&Redo %1").arg(stack->redoText()) : tr("&Redo"));
    for (QAction* a : {cutAct_, pasteAct_, duplicateAct_, deleteAct_}) a->setEnabled(!ro);
    stateLabel_->setText(ro ? tr("Read-only while training") : QString());
    updateTitle();
}

void MainWindow::updateTotals() {
    std::int64_t batch = 32;
    try {
        if (!project_.train_config_json.empty())
            batch = train::TrainConfig::from_json(project_.train_config_json).batch_size;
    } catch (const neura::Error&) {
        // a broken config is the training panel's to report; estimate with the default batch
    }
    const auto& s = doc_->shapes();
    int errors = 0;
    for (const auto& d : doc_->diagnostics()) errors += d.severity == graph::Severity::Error;
    // MACs per sample; "≥" when a layer gives no count (the total is a lower bound).
    totalsLabel_->setText(tr("%1 layers · %2 parameters (%3) · %7%8 MACs · activations %4 per batch of %5%6")
                              .arg(doc_->graph().node_count())
                              .arg(GraphDocument::countText(s.total_parameters))
                              .arg(humanBytes(static_cast<double>(s.total_parameters) * 4))
                              .arg(humanBytes(static_cast<double>(s.activation_bytes(batch))))
                              .arg(batch)
                              .arg(errors ? (errors == 1 ? tr(" · 1 error") : tr(" · %1 errors").arg(errors)) : QString())
                              .arg(s.macs_complete ? QString() : QStringLiteral("≥"))
                              .arg(NodeItem::macsText(s.total_macs)));
    totalsLabel_->setToolTip(tr("Multiply-accumulates of one sample's forward pass: %1%2")
                                 .arg(s.macs_complete ? QString() : QStringLiteral("≥ "))
                                 .arg(GraphDocument::countText(s.total_macs)));
}

void MainWindow::onSelectionChanged() {
    const auto sel = scene_->selectedNodes();
    properties_->setNode(sel.size() == 1 ? sel.front() : graph::NodeId::Invalid);
    if (inspector_ && sel.size() == 1) inspector_->setNode(sel.front());
    if (gradcheck_ && !gradcheck_->isRunning()) {
        gradcheck_->setSelectedNodes(std::set<graph::NodeId>(sel.begin(), sel.end()));
        gradcheck_->setProject(currentProject());
    }
}

void MainWindow::fitView() { view_->fitToContents(); }

// ---------------------------------------------------------------- files (ProjectFileController's)

const QString& MainWindow::filePath() const { return files_->filePath(); }
void MainWindow::newDocument() { files_->newDocument(); }
bool MainWindow::openFile(const QString& path) { return files_->openFile(path); }
bool MainWindow::saveTo(const QString& path) { return files_->saveTo(path); }
bool MainWindow::save() { return files_->save(); }
bool MainWindow::saveAs() { return files_->saveAs(); }
void MainWindow::open() { files_->open(); }
void MainWindow::revert() { files_->revert(); }
bool MainWindow::autosaveNow() { return files_->autosaveNow(); }
bool MainWindow::importOnnxFrom(const QString& path) { return files_->importOnnxFrom(path); }
QString MainWindow::autosavePath(const QString& path) { return ProjectFileController::autosavePath(path); }
void MainWindow::setAutosaveInterval(int seconds) { files_->setAutosaveInterval(seconds); }

project::Project MainWindow::currentProject() const {
    project::Project p = project_;
    doc_->storeInto(p);
    return p;
}

void MainWindow::reportError(const QString& title, const QString& text) {
    emit errorReported(title, text);
    showError(title, text);
}

void MainWindow::showError(const QString& title, const QString& text) {
    QMessageBox::critical(this, title, text);
}

QMessageBox::StandardButton MainWindow::askToSave() {
    return QMessageBox::warning(this, tr("Unsaved changes"),
                                tr("The model has unsaved changes. Save them first?"),
                                QMessageBox::Save | QMessageBox::Discard | QMessageBox::Cancel, QMessageBox::Save);
}

bool MainWindow::exportTorchTo(const QString& dir) {
    QProgressDialog progress(tr("Exporting PyTorch code to %1…").arg(dir), QString(), 0, 1, this);
    progress.setWindowModality(Qt::WindowModal);
    progress.setMinimumDuration(500);
    try {
        const project::Project p = currentProject();
        const std::string title =
            filePath().isEmpty() ? std::string("model") : QFileInfo(filePath()).completeBaseName().toStdString();
        const pytorch::ExportResult r = pytorch::export_pytorch(p, dir.toStdString(), title);
        progress.setValue(1);
        QStringList files;
        for (const std::string& f : r.files) files << QString::fromStdString(f);
        statusBar()->showMessage((r.trained ? tr("Exported PyTorch code to %1: %2")
                                            : tr("Exported PyTorch code to %1 with the initial weights (not trained): %2"))
                                     .arg(dir, files.join(", ")),
                                 8000);
        return true;
    } catch (const neura::Error& e) {
        reportError(tr("Cannot export PyTorch code"), QString::fromUtf8(e.what()));
        return false;
    }
}

bool MainWindow::exportOnnxTo(const QString& path) {
    // Shown only when an export takes longer than half a second (small models take milliseconds).
    QProgressDialog progress(tr("Exporting to ONNX (opset %1)…").arg(onnx::kOpsetVersion), QString(), 0, 3, this);
    progress.setWindowModality(Qt::WindowModal);
    progress.setMinimumDuration(500);
    try {
        const project::Project p = currentProject();
        progress.setLabelText(tr("Building the trained model…"));
        progress.setValue(1);
        train::TrainedModel m = train::load_trained_model(p);
        onnx::ExportOptions o;
        o.normalization = m.normalization;
        o.model_name = filePath().isEmpty() ? std::string("model") : QFileInfo(filePath()).completeBaseName().toStdString();
        progress.setLabelText(tr("Writing and checking %1…").arg(path));
        progress.setValue(2);
        onnx::export_onnx(m.graph, m.network, path.toStdString(), o);
        progress.setValue(3);
        statusBar()->showMessage(
            (m.trained ? tr("Exported the trained model to %1 (ONNX opset %2)")
                       : tr("Exported %1 with its initial weights: the model has not been trained (ONNX opset %2)"))
                .arg(path)
                .arg(onnx::kOpsetVersion),
            8000);
        return true;
    } catch (const neura::Error& e) {
        reportError(tr("Cannot export to ONNX"), QString::fromUtf8(e.what()));
        return false;
    }
}

bool MainWindow::askToRecover(const QString& autosave) {
    return QMessageBox::question(this, tr("Recover unsaved changes?"),
                                 tr("%1 holds changes that were not saved (NeuraStudio may have closed "
                                    "unexpectedly). Recover them?").arg(autosave),
                                 QMessageBox::Yes | QMessageBox::No, QMessageBox::Yes) == QMessageBox::Yes;
}

bool MainWindow::askToRevert() {
    return QMessageBox::question(this, tr("Revert"), tr("Discard all changes since the last save?")) ==
           QMessageBox::Yes;
}

// ---------------------------------------------------------------- clipboard

void MainWindow::copySelection(bool cut) {
    const auto ids = scene_->selectedNodes();
    if (ids.empty()) return;
    auto* mime = new QMimeData;
    const QString text = doc_->copyText(ids);
    mime->setData(kNodesMime, text.toUtf8());
    mime->setText(text);
    QApplication::clipboard()->setMimeData(mime);
    pasteSerial_ = 0;
    if (cut) doc_->removeNodes(ids);
}

void MainWindow::paste() {
    const QMimeData* mime = QApplication::clipboard()->mimeData();
    if (!mime) return;
    const QString text = mime->hasFormat(kNodesMime) ? QString::fromUtf8(mime->data(kNodesMime)) : mime->text();
    ++pasteSerial_;
    const auto ids = doc_->paste(text, QPointF(40, 40) * pasteSerial_);
    if (!ids.empty()) scene_->selectNodes(ids);
}

void MainWindow::duplicate() {
    const auto ids = scene_->selectedNodes();
    if (ids.empty()) return;
    const auto copies = doc_->paste(doc_->copyText(ids), QPointF(40, 40));
    if (!copies.empty()) scene_->selectNodes(copies);
}

void MainWindow::selectAll() {
    std::vector<graph::NodeId> all;
    for (const auto& [id, n] : doc_->graph().nodes()) all.push_back(id);
    scene_->selectNodes(all);
}

// ---------------------------------------------------------------- settings

void MainWindow::readSettings() {
    QSettings s;
    if (!restoreGeometry(s.value("window/geometry").toByteArray())) resize(1440, 900);
    restoreState(s.value("window/state").toByteArray());
}

void MainWindow::writeSettings() {
    QSettings s;
    s.setValue("window/geometry", saveGeometry());
    s.setValue("window/state", saveState());
}

bool MainWindow::askToStopTraining() {
    return QMessageBox::question(this, tr("Training in progress"),
                                 tr("A training run is in progress. Stop it and close?"),
                                 QMessageBox::Yes | QMessageBox::Cancel, QMessageBox::Cancel) == QMessageBox::Yes;
}

void MainWindow::closeEvent(QCloseEvent* e) {
    if (session_->isRunning()) {
        if (session_->state() != TrainingSession::State::Stopping && !askToStopTraining()) {
            e->ignore();
            return;
        }
        // Stop between two batches, join the worker, and take the run's result now (its finished()
        // waits in the session's mailbox) so the question about saving covers the trained weights. A run
        // that does not stop in time is abandoned: the window closes without its result.
        session_->stop();
        if (session_->wait(closeWaitMs_)) {
            session_->deliverPending();
        } else {
            session_->abandon();
            doc_->setReadOnly(false);
            plots_->endRun();
            statusBar()->showMessage(tr("The training run did not stop within %1 s and was left to end on its "
                                        "own: its weights are not kept.").arg(closeWaitMs_ / 1000.0), 15000);
        }
    }
    if (!files_->maybeSave()) {
        e->ignore();
        return;
    }
    stopWorkers(QDeadlineTimer(closeWaitMs_));
    files_->removeAutosave();  // saved or discarded on purpose: nothing to recover
    writeSettings();
    e->accept();
}

void MainWindow::stopWorkers(const QDeadlineTimer& deadline) {
    // Both asked first, so they stop side by side; then each gets what is left of the time.
    if (gradcheck_) gradcheck_->cancel();
    if (inspector_) inspector_->cancelCapture();
    if (text_) text_->stop();
    sweep_->stop();
    if (evaluation_) evaluation_->stop();
    if (gradcheck_) gradcheck_->stopAndWait(static_cast<int>(deadline.remainingTime()));
    if (inspector_) inspector_->stopAndWait(static_cast<int>(deadline.remainingTime()));
    if (text_) text_->stopAndWait(static_cast<int>(deadline.remainingTime()));
    sweep_->stopAndWait(static_cast<int>(deadline.remainingTime()));
    if (evaluation_) evaluation_->stopAndWait(static_cast<int>(deadline.remainingTime()));
    emit workersChanged();
}

}  // namespace neura::gui

namespace neura::gui {

// ---------------------------------------------------------------- training

bool MainWindow::refuseWhileTraining() {
    // A sweep adds its runs to the open project: it must stay open until the sweep ends.
    if (sweep_->isRunning()) {
        statusBar()->showMessage(tr("A sweep is in progress: stop it first (Train ▸ Sweep… ▸ Stop)."), 8000);
        return true;
    }
    if (!session_->isRunning()) return false;
    statusBar()->showMessage(tr("A training run is in progress: stop it first (Train ▸ Stop)."), 8000);
    return true;
}

void MainWindow::loadPanels() {
    loadingPanels_ = true;
    if (!trainingPanel_->loadFromProject(project_))
        statusBar()->showMessage(tr("The project's training setup cannot be read: using the defaults."), 8000);
    if (!project_.dataset_json.empty() && !datasetPanel_->loadFromProject(project_))
        statusBar()->showMessage(tr("The project's dataset cannot be read: using the panel's choice."), 8000);
    // A project without a setup or dataset gets the panels' (so saving and training agree).
    if (project_.train_config_json.empty()) trainingPanel_->saveToProject(project_);
    if (project_.dataset_json.empty()) datasetPanel_->saveToProject(project_);
    plots_->clearAll();
    plots_->setRuns(project_.runs);
    runs_->setRuns(project_.runs);
    boundary_->clearGrid();
    gradcheck_->setProject(project_);
    text_->refresh();
    loadingPanels_ = false;
    evaluation_->projectChanged();
    dataModified_ = false;
    updateTitle();
}

void MainWindow::onDatasetChanged() {
    datasetPanel_->saveToProject(project_);
    setDataModified(true);
    text_->refresh();
    // The Input layer takes the dataset's feature shape (one undoable edit) when the model has one.
    const Shape shape = datasetPanel_->featureShape();
    if (shape.empty()) return;
    NodeId input;
    int inputs = 0;
    for (const auto& [id, node] : doc_->graph().nodes())
        if (node.type == "Input") {
            input = id;
            ++inputs;
        }
    if (inputs != 1) return;
    const graph::AttributeValue value{std::vector<std::int64_t>(shape.begin(), shape.end())};
    const auto& attrs = doc_->graph().nodes().at(input).attributes;
    const auto it = attrs.find("shape");
    if (it == attrs.end() || it->second != value) doc_->setAttribute(input, "shape", value);
}

void MainWindow::train() { startTraining(false); }

void MainWindow::stepTraining() {
    if (session_->isPaused()) {
        session_->step();
    } else if (session_->isRunning()) {
        session_->pause();
    } else if (startTraining(true)) {
        session_->step();
        inspectorDock_->show();
        inspectorDock_->raise();
    }
}

void MainWindow::captureBatch() {
    if (session_->isRunning()) {
        session_->requestCapture();
        statusBar()->showMessage(session_->isPaused() ? tr("The next batch will be captured: press Step (F10).")
                                                      : tr("Capturing the next batch…"),
                                 5000);
        return;
    }
    project::Project p = currentProject();
    trainingPanel_->saveToProject(p);
    datasetPanel_->saveToProject(p);
    if (inspector_->captureProject(p)) emit workersChanged();
}

void MainWindow::setRunLocked(bool locked) {
    if (locked == runLocked_) return;
    runLocked_ = locked;
    // What the run was started from: the dataset (the training form freezes itself, TrainingPanel).
    // The document is read-only meanwhile (startTraining), and New / Open / Revert / Import are refused.
    datasetPanel_->setEnabled(!locked);
    datasetPanel_->setToolTip(locked ? tr("The dataset cannot change while a run uses it (Train ▸ Stop ends the run).")
                                     : QString());
}

void MainWindow::undoLockedChange() {
    // The project keeps what the run started from; the panels show it again once the signal that
    // brought the change has returned (not from inside it: a panel may be in the middle of an edit).
    statusBar()->showMessage(tr("The dataset and the training setup cannot change while a run uses them."), 8000);
    if (revertQueued_) return;
    revertQueued_ = true;
    QMetaObject::invokeMethod(this, [this] {
        revertQueued_ = false;
        loadingPanels_ = true;
        trainingPanel_->loadFromProject(project_);
        if (!project_.dataset_json.empty()) datasetPanel_->loadFromProject(project_);
        loadingPanels_ = false;
    }, Qt::QueuedConnection);
}

bool MainWindow::startTraining(bool paused) {
    if (session_->isRunning()) return false;
    // A dataset edit still waiting for its debounce lands in the project before the run copies it.
    datasetPanel_->commitPendingEdit();
    // A model with errors (a node whose plugin is not loaded, a model over the budget, ...) cannot be
    // built: say why before a run starts, with the Issues dock's words.
    QStringList errors;
    for (const auto& d : doc_->diagnostics())
        if (d.severity == graph::Severity::Error) errors << QString::fromStdString(graph::describe(doc_->graph(), d));
    if (!errors.isEmpty()) {
        reportError(tr("Cannot train"), errors.join(QLatin1Char('\n')));
        return false;
    }
    // Everything the run needs goes into one copy: the model as drawn, the setup, the dataset.
    project::Project p = currentProject();
    trainingPanel_->saveToProject(p);
    datasetPanel_->saveToProject(p);
    const train::TrainConfig config = trainingPanel_->config();
    runDatasetJson_ = project_.dataset_json;
    runConfigJson_ = project_.train_config_json;
    plots_->setRuns(project_.runs);
    plots_->beginRun(tr("Run %1 · this session").arg(project_.runs.size() + 1));
    boundary_->clearGrid();
    doc_->setReadOnly(true, tr("The model cannot be edited while it is training (Train ▸ Stop ends the run)."));
    TrainingSession::Options options;
    options.startPaused = paused;
    // Canvas colours and the inspector follow the run about twice a second.
    options.insightIntervalMs = flowAct_->isChecked() || inspectorDock_->isVisible() ? 500 : 0;
    if (!session_->start(p, config, options)) {
        doc_->setReadOnly(false);
        return false;
    }
    statusBar()->showMessage(paused ? tr("Step mode: F10 runs one batch, F6 resumes, Shift+F5 stops.") : tr("Training…"),
                             paused ? 8000 : 4000);
    return true;
}

void MainWindow::onTrainingFinished(const TrainingResult& result) {
    doc_->setReadOnly(false);
    plots_->endRun();
    if (result.project) {
        const project::Project& trained = *result.project;
        // The setup is locked while a run goes; should it have changed anyway, the weights and the
        // normalization belong to the data they were trained on, not to the project's new choice.
        const bool sameSetup =
            project_.dataset_json == runDatasetJson_ && project_.train_config_json == runConfigJson_;
        if (!sameSetup)
            statusBar()->showMessage(tr("The dataset or training setup changed during the run: its weights were "
                                        "not kept."), 15000);
        if (result.status != train::FitStatus::Diverged && sameSetup) {
            // The trained weights are only the model's as it was drawn: the document could not change
            // while the run went (read-only), so they match it.
            project_.weights = trained.weights;
            project_.optimizer_state = trained.optimizer_state;
            project_.optimizer_json = trained.optimizer_json;
            if (const auto it = trained.metadata.find("normalization"); it != trained.metadata.end())
                project_.metadata[it->first] = it->second;
        }
        // The run this session added (the last); runs a sweep added meanwhile are kept.
        // The Plots dock shows it already, as the run that just ended.
        if (!trained.runs.empty()) addRun(trained.runs.back(), false);
        setDataModified(true);
        gradcheck_->setProject(currentProject());
        evaluation_->projectChanged();
    }
    QString text = tr("Training %1").arg(result.statusName);
    if (!result.history.empty()) {
        const auto& last = result.history.back();
        text += tr(" after %1 epochs · loss %2").arg(result.history.size()).arg(last.train_loss, 0, 'g', 4);
        if (last.train_accuracy >= 0) text += tr(" · accuracy %1").arg(last.train_accuracy, 0, 'f', 3);
        if (last.val_accuracy >= 0) text += tr(" · validation %1").arg(last.val_accuracy, 0, 'f', 3);
    }
    if (result.status != train::FitStatus::Diverged) statusBar()->showMessage(text, 10000);
}

void MainWindow::addRun(project::RunRecord run, bool listInPlots) {
    // An id now, not at the next save: runs added later (a sweep's) then never ask for the same one.
    std::int64_t next = 1;
    for (const auto& r : project_.runs) next = std::max(next, r.id + 1);
    run.id = next;
    project_.runs.push_back(std::move(run));
    if (listInPlots) plots_->setRuns(project_.runs);
    runs_->setRuns(project_.runs);
    setDataModified(true);
}

void MainWindow::onDiverged(const QString& message, qint64 nodeId) {
    if (nodeId >= 0) {
        const NodeId id(static_cast<NodeId::Rep>(nodeId));
        if (auto* item = scene_->nodeItem(id)) {
            scene_->selectNodes({id});
            view_->centerOn(item);
        }
    }
    statusBar()->showMessage(tr("Training diverged: %1").arg(message), 15000);
    // After finished() (which follows at once) has made the document editable again: a message box
    // here would hold the run's end behind it.
    QMetaObject::invokeMethod(this, [this, message] { reportError(tr("Training diverged"), message); },
                              Qt::QueuedConnection);
}

}  // namespace neura::gui
