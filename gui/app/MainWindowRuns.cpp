// MainWindow's Runs dock and compare mode: the dock tabbed with the plots, "Use This Run's Settings" as
// one undo step (the layer attributes through the document's commands, the training setup through a
// command of its own), File ▸ Compare With… and the runs' "Compare Models" on the canvas (DiffOverlay), the
// "before" model beside it (CompareSideView, in a splitter with the canvas).
#include "app/MainWindow.h"

#include <QDockWidget>
#include <QFileInfo>
#include <QLabel>
#include <QSplitter>
#include <QStatusBar>
#include <QTimer>
#include <QUndoCommand>
#include <QUndoStack>
#include <QVBoxLayout>
#include <functional>
#include <optional>

#include "document/GraphDocument.h"
#include "editor/CompareSideView.h"
#include "editor/DiffOverlay.h"
#include "editor/GraphScene.h"
#include "editor/GraphView.h"
#include "neura/core/Error.h"
#include "neura/core/JsonText.h"
#include "neura/graph/LayerRegistry.h"
#include "neura/graph/ModelJson.h"
#include "neura/train/TrainConfig.h"
#include "panels/PlotsPanel.h"
#include "panels/RunsPanel.h"
#include "panels/TrainingPanel.h"

namespace neura::gui {

namespace {

// The project's training setup (JSON text) from one value to another; `apply` puts a text in place.
class SetTrainConfigCommand : public QUndoCommand {
public:
    SetTrainConfigCommand(std::string before, std::string after, std::function<void(const std::string&)> apply)
        : QUndoCommand(QObject::tr("Change the training setup")),
          before_(std::move(before)), after_(std::move(after)), apply_(std::move(apply)) {}
    void redo() override { apply_(after_); }
    void undo() override { apply_(before_); }

private:
    std::string before_, after_;
    std::function<void(const std::string&)> apply_;
};

// A setting's JSON value as the attribute's type; nothing when it does not fit.
std::optional<graph::AttributeValue> attributeFrom(const nlohmann::json& v, graph::AttributeType type) {
    using graph::AttributeType;
    switch (type) {
    case AttributeType::Int:
        if (v.is_number_integer()) return graph::AttributeValue{v.get<std::int64_t>()};
        if (v.is_number_float() && v.get<double>() == static_cast<double>(static_cast<std::int64_t>(v.get<double>())))
            return graph::AttributeValue{static_cast<std::int64_t>(v.get<double>())};
        return std::nullopt;
    case AttributeType::Float:
        if (v.is_number()) return graph::AttributeValue{v.get<double>()};
        return std::nullopt;
    case AttributeType::Bool:
        if (v.is_boolean()) return graph::AttributeValue{v.get<bool>()};
        return std::nullopt;
    case AttributeType::Choice:
        if (v.is_string()) return graph::AttributeValue{v.get<std::string>()};
        return std::nullopt;
    case AttributeType::IntList:
        if (v.is_array()) {
            std::vector<std::int64_t> list;
            for (const auto& e : v) {
                if (!e.is_number_integer()) return std::nullopt;
                list.push_back(e.get<std::int64_t>());
            }
            return graph::AttributeValue{list};
        }
        if (v.is_number_integer()) return graph::AttributeValue{std::vector<std::int64_t>{v.get<std::int64_t>()}};
        return std::nullopt;
    }
    return std::nullopt;
}

}  // namespace

void MainWindow::createRunsDock() {
    runs_ = new RunsPanel(this);
    runsDock_ = new QDockWidget(tr("Runs"), this);
    runsDock_->setObjectName("RunsDock");
    runsDock_->setWidget(runs_);
    addPanel(runsDock_, Qt::BottomDockWidgetArea);
    tabifyDockWidget(plotsDock_, runsDock_);
    diff_ = new DiffOverlay(scene_, view_, this);

    // The canvas, under a title that compare mode shows, in a splitter whose left side is the compared
    // model (hidden until then); over both, compare mode's banner (summary and Leave Compare), so that
    // it covers neither model.
    takeCentralWidget();
    auto* central = new QWidget(this);
    auto* centralLayout = new QVBoxLayout(central);
    centralLayout->setContentsMargins(0, 0, 0, 0);
    centralLayout->setSpacing(0);
    centralLayout->addWidget(diff_->banner());
    auto* split = new QSplitter(Qt::Horizontal, central);
    split->setObjectName("CanvasSplitter");
    split->setChildrenCollapsible(false);
    compareSide_ = new CompareSideView(split);
    split->addWidget(compareSide_);
    auto* pane = new QWidget(split);
    auto* paneLayout = new QVBoxLayout(pane);
    paneLayout->setContentsMargins(0, 0, 0, 0);
    paneLayout->setSpacing(0);
    QLabel* nowTitle = CompareSideView::makeTitle(pane);
    paneLayout->addWidget(nowTitle);
    paneLayout->addWidget(view_, 1);
    split->addWidget(pane);
    split->setStretchFactor(0, 2);
    split->setStretchFactor(1, 3);
    centralLayout->addWidget(split, 1);
    setCentralWidget(central);
    diff_->attachSideView(compareSide_, nowTitle);
    connect(runs_, &RunsPanel::useSettingsRequested, this, &MainWindow::useRunSettings);
    connect(runs_, &RunsPanel::compareRequested, this, &MainWindow::compareRuns);
}

void MainWindow::setTrainConfigText(const std::string& json) {
    project_.train_config_json = json;
    loadingPanels_ = true;
    trainingPanel_->loadFromProject(project_);
    loadingPanels_ = false;
    setDataModified(true);
    updateTotals();
}

bool MainWindow::useRunSettings(int index) {
    if (index < 0 || static_cast<std::size_t>(index) >= project_.runs.size()) return false;
    const project::RunRecord& run = project_.runs[static_cast<std::size_t>(index)];
    if (runLocked_ || doc_->isReadOnly()) {
        statusBar()->showMessage(tr("The settings cannot change while a run uses them (Train ▸ Stop ends the run)."),
                                 8000);
        return false;
    }
    // The layer settings the run's sweep varied: "NODE.ATTRIBUTE" keys, checked against the model first.
    struct Change {
        NodeId node;
        std::string attribute;
        graph::AttributeValue value;
    };
    std::vector<Change> changes;
    QStringList problems;
    const auto settings = try_parse_json(run.settings_json);
    if (settings && settings->is_object()) {
        for (const auto& [key, value] : settings->items()) {
            const auto dot = key.find('.');
            if (dot == std::string::npos) continue;  // a training setting: in the run's config already
            const std::string nodeName = key.substr(0, dot), attribute = key.substr(dot + 1);
            const NodeId id = doc_->graph().find_node(nodeName);
            if (!id.valid()) {
                problems << tr("the model has no node '%1'").arg(QString::fromStdString(nodeName));
                continue;
            }
            const graph::Node& node = doc_->graph().node(id);
            const auto* layer = graph::LayerRegistry::instance().find(node.type);
            const auto* spec = layer ? layer->find_attribute(attribute) : nullptr;
            const auto v = spec ? attributeFrom(value, spec->type) : std::nullopt;
            if (!v) {
                problems << tr("%1 cannot take %2")
                                .arg(QString::fromStdString(key), QString::fromStdString(value.dump()));
                continue;
            }
            const graph::AttributeMap current = layer->resolve(node.attributes);
            const auto it = current.find(attribute);
            if (it == current.end() || it->second != *v) changes.push_back({id, attribute, *v});
        }
    }
    if (!problems.isEmpty()) {
        reportError(tr("Cannot use the run's settings"), problems.join('\n'));
        return false;
    }
    // The run's training setup, unless the project has it already (compared as values, not as text).
    std::string config;
    try {
        if (!run.config_json.empty() &&
            train::TrainConfig::from_json(run.config_json).to_json() !=
                train::TrainConfig::from_json(project_.train_config_json).to_json())
            config = train::TrainConfig::from_json(run.config_json).to_json();
    } catch (const Error& e) {
        reportError(tr("Cannot use the run's settings"), QString::fromUtf8(e.what()));
        return false;
    }
    const QString label = tr("Run %1").arg(run.id > 0 ? run.id : index + 1);
    if (changes.empty() && config.empty()) {
        statusBar()->showMessage(tr("The project uses %1's settings already.").arg(label), 6000);
        return false;
    }
    QUndoStack* stack = doc_->undoStack();
    stack->beginMacro(tr("Use %1's Settings").arg(label));
    for (const auto& c : changes) doc_->setAttribute(c.node, c.attribute, c.value);
    if (!config.empty())
        stack->push(new SetTrainConfigCommand(project_.train_config_json, config,
                                              [this](const std::string& text) { setTrainConfigText(text); }));
    stack->endMacro();
    statusBar()->showMessage(tr("Using %1's settings (Edit ▸ Undo restores the previous ones).").arg(label), 6000);
    return true;
}

bool MainWindow::compareWithFile(const QString& path) {
    graph::ModelGraph other;
    std::string layout;
    try {
        const project::Project p = project::load_project(path.toStdString());
        other = graph::from_json(p.model_json);
        layout = p.layout_json;
    } catch (const std::exception& e) {
        reportError(tr("Cannot compare"), QString::fromUtf8(e.what()));
        return false;
    }
    const QString name = QFileInfo(path).fileName();
    diff_->compareWithDocument(other, tr("Compared with %1").arg(name), {name, tr("this project"), layout});
    balanceCompareSplit();
    return true;
}

bool MainWindow::compareRuns(int before, int after) {
    const auto n = static_cast<int>(project_.runs.size());
    if (before < 0 || after < 0 || before >= n || after >= n) return false;
    graph::ModelGraph models[2];
    QString labels[2];
    for (int k = 0; k < 2; ++k) {
        const int index = k == 0 ? before : after;
        const auto& run = project_.runs[static_cast<std::size_t>(index)];
        labels[k] = tr("Run %1").arg(run.id > 0 ? run.id : index + 1);
        const std::string& text = run.model_json;
        if (text.empty()) {
            reportError(tr("Cannot compare"), tr("%1 has no stored model (it was trained before NeuraStudio kept "
                                                 "each run's model).").arg(labels[k]));
            return false;
        }
        try {
            models[k] = graph::from_json(text);
        } catch (const std::exception& e) {
            reportError(tr("Cannot compare"), tr("%1's model: %2").arg(labels[k], QString::fromUtf8(e.what())));
            return false;
        }
    }
    diff_->showDiff(models[0], models[1], tr("%1 → %2").arg(labels[0], labels[1]), {labels[0], labels[1], {}});
    balanceCompareSplit();
    return true;
}

void MainWindow::balanceCompareSplit() {
    // Two fifths for the model before, the rest for the canvas, each fitted to its model.
    if (auto* split = centralWidget()->findChild<QSplitter*>("CanvasSplitter")) {
        const int w = split->width();
        split->setSizes({w * 2 / 5, w - w * 2 / 5});
    }
    // The canvas fitted to its nodes and the removed ones' ghosts, once the splitter has laid out.
    auto fit = [this] {
        const QRectF all = scene_->itemsBoundingRect().adjusted(-20, -20, 20, 20);
        view_->fitInView(all, Qt::KeepAspectRatio);
        if (view_->zoom() > 1.25) view_->setZoom(1.25);
        view_->centerOn(all.center());
    };
    fit();
    QTimer::singleShot(0, this, fit);
}

}  // namespace neura::gui
