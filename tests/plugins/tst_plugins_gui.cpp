// Plugins in the studio, offscreen: plugin layers in the palette under their category with their own
// icon, a failed gradient check marked; Help ▸ Plugins… lists loaded and refused plugins and reloads
// them when the open project uses none; a project whose plugin is missing opens with its node (ports
// as stored, "needs plugin" on it), refuses to train, saves the node unchanged, and is complete again
// once the plugin is back.
#include <QPushButton>
#include <QLabel>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTreeWidget>
#include <QtTest>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "app/MainWindow.h"
#include "dialogs/PluginsDialog.h"
#include "document/GraphDocument.h"
#include "editor/GraphScene.h"
#include "editor/NodeItem.h"
#include "editor/PortItem.h"
#include "neura/graph/LayerRegistry.h"
#include "neura/graph/ModelJson.h"
#include "neura/plugin/PluginManager.h"
#include "neura/project/Project.h"
#include "neura/train/Experiment.h"
#include "panels/PalettePanel.h"
#include "session/TrainingSession.h"

using namespace neura;
using namespace neura::gui;
using plugin::PluginManager;
namespace fs = std::filesystem;

namespace {

const std::string kExamples = NEURA_EXAMPLE_PLUGIN_DIR;
std::string testPlugin(const char* name) { return std::string(NEURA_TEST_PLUGIN_DIR "/") + name + ".so"; }

class TestWindow : public MainWindow {
public:
    QStringList errors;

protected:
    void showError(const QString& title, const QString& text) override { errors << title + ": " + text; }
    QMessageBox::StandardButton askToSave() override { return QMessageBox::Discard; }
};

// Input [2] → Linear → Swish → Linear(2) → Loss on xor.
project::Project swishProject() {
    graph::ModelGraph g;
    const auto in = g.add_node("Input", "input", {{"shape", std::vector<std::int64_t>{2}}});
    const auto fc1 = g.add_node("Linear", "fc1", {{"out_features", std::int64_t{8}}});
    const auto sw = g.add_node("Swish", "swish1", {{"beta", 0.5}});
    const auto fc2 = g.add_node("Linear", "fc2", {{"out_features", std::int64_t{2}}});
    const auto loss = g.add_node("Loss", "loss");
    g.add_edge(in, fc1);
    g.add_edge(fc1, sw);
    g.add_edge(sw, fc2);
    g.add_edge(fc2, loss);
    project::Project p;
    p.model_json = graph::to_json(g);
    train::DatasetSpec spec;
    spec.name = "xor";
    spec.params = {{"n", "100"}};
    p.dataset_json = spec.to_json();
    train::TrainConfig c;
    c.epochs = 2;
    p.train_config_json = c.to_json();
    project::stamp_metadata(p);
    return p;
}

PluginsDialog* openPluginsDialog(MainWindow& w) {
    QAction* act = w.findChild<QAction*>("pluginsAction");
    if (!act) return nullptr;
    act->trigger();
    return w.findChild<PluginsDialog*>();
}

}  // namespace

class TestPluginsGui : public QObject {
    Q_OBJECT
    QTemporaryDir tmp_;

private slots:
    void init() {
        auto& pm = PluginManager::instance();  // the studio's, as main.cpp loads it
        pm.unload_all();
        pm.load({kExamples});
        pm.load_file(testPlugin("bad_gradient"));
        pm.load_file(testPlugin("bad_api"));  // refused
        QCOMPARE(pm.loaded().size(), std::size_t{4});
        QCOMPARE(pm.refused().size(), std::size_t{1});
    }
    void cleanup() { PluginManager::instance().unload_all(); }

    void paletteShowsPluginLayers() {
        TestWindow w;
        PalettePanel* palette = w.palette();
        QTreeWidgetItem* swish = palette->itemFor("Swish");
        QVERIFY(swish);
        QCOMPARE(swish->parent()->text(0), QString("Activation"));
        QVERIFY(!swish->icon(0).isNull());  // the plugin's own (XPM) icon
        QCOMPARE(swish->data(0, PalettePanel::kPluginRole).toString(), QString("swish"));
        QVERIFY(swish->toolTip(0).contains("From plugin swish 1.0.0"));
        QVERIFY(!swish->data(0, PalettePanel::kCheckFailedRole).toBool());
        QCOMPARE(palette->itemFor("RMSNorm")->parent()->text(0), QString("Normalization"));
        QVERIFY(palette->itemFor("Linear")->icon(0).isNull());  // built-ins: as before
        // The layer whose gradient check failed is marked, and says why.
        QTreeWidgetItem* bad = palette->itemFor("BadSquare");
        QVERIFY(bad);
        QVERIFY(bad->data(0, PalettePanel::kCheckFailedRole).toBool());
        QVERIFY(bad->text(0).endsWith(QStringLiteral("\u26a0")));
        QVERIFY(bad->toolTip(0).contains("gradient check failed when the plugin loaded"));
        QCOMPARE(bad->parent()->text(0), QString("Test"));
        // A plugin layer goes onto the canvas like any other.
        const auto id = w.document()->addNode("Swish", QPointF(0, 0));
        QVERIFY(id.valid());
        QVERIFY(w.scene()->nodeItem(id));
    }

    void pluginsDialogListsAndReloads() {
        TestWindow w;
        w.newDocument();
        PluginsDialog* dialog = openPluginsDialog(w);
        QVERIFY(dialog);
        QTreeWidget* loaded = dialog->loadedTree();
        QCOMPARE(loaded->topLevelItemCount(), 4);
        QStringList names;
        for (int i = 0; i < loaded->topLevelItemCount(); ++i) names << loaded->topLevelItem(i)->text(0);
        QVERIFY(names.contains("swish") && names.contains("rmsnorm") && names.contains("mish") && names.contains("bad-gradient"));
        const auto* swish = loaded->findItems("swish", Qt::MatchExactly).front();
        QCOMPARE(swish->text(1), QString("1.0.0"));
        QVERIFY(swish->text(3).endsWith("swish.so"));  // the path
        QCOMPARE(swish->child(0)->text(0), QString("Swish"));
        QCOMPARE(swish->child(0)->text(2), QString("passed"));
        QCOMPARE(loaded->findItems("bad-gradient", Qt::MatchExactly).front()->child(0)->text(2), QString("failed"));
        QCOMPARE(dialog->refusedTree()->topLevelItemCount(), 1);
        QVERIFY(dialog->refusedTree()->topLevelItem(0)->text(0).endsWith("bad_api.so"));
        QVERIFY(dialog->refusedTree()->topLevelItem(0)->text(1).contains("built for plugin API 0"));

        // The open project uses a plugin layer: no reload.
        const auto id = w.document()->addNode("Mish", QPointF(0, 0));
        dialog->refresh();
        QVERIFY(!dialog->reloadButton()->isEnabled());
        QVERIFY(dialog->reloadNote()->text().contains("uses plugin layers (Mish)"));
        QVERIFY(!dialog->reload());
        // Without it, reload runs: everything unloaded and loaded again, the palette re-read.
        QVERIFY(w.document()->removeNodes({id}));
        dialog->refresh();
        QVERIFY(dialog->reloadButton()->isEnabled());
        QSignalSpy reloaded(dialog, &PluginsDialog::reloaded);
        dialog->reloadButton()->click();
        QCOMPARE(reloaded.count(), 1);
        QCOMPARE(PluginManager::instance().loaded().size(), std::size_t{4});
        QCOMPARE(dialog->loadedTree()->topLevelItemCount(), 4);
        QVERIFY(w.palette()->itemFor("Mish"));
        QVERIFY(graph::LayerRegistry::instance().contains("Mish"));
        dialog->close();
    }

    void projectWithAMissingPlugin() {
        const QString path = tmp_.filePath("swish.neura");
        const project::Project saved = swishProject();
        project::save_project(path.toStdString(), saved);
        PluginManager::instance().unload_all();  // the plugin is gone
        TestWindow w;
        QVERIFY(w.palette()->itemFor("Swish") == nullptr);
        QVERIFY2(w.openFile(path), qPrintable(w.errors.join("\n")));
        const GraphDocument* doc = w.document();
        const auto sw = doc->graph().find_node("swish1");
        QVERIFY(sw.valid());
        // The node, with its ports as stored, wired as it was; it says which plugin it needs.
        QCOMPARE(doc->inputPortCount(sw), std::size_t{1});
        QCOMPARE(doc->outputPortCount(sw), std::size_t{1});
        NodeItem* item = w.scene()->nodeItem(sw);
        QVERIFY(item && item->inputPort(0) && item->outputPort(0));
        QStringList messages;
        for (const auto& d : doc->diagnostics()) messages << QString::fromStdString(d.message);
        QVERIFY2(messages.contains(QStringLiteral("needs plugin swish \u2265 1.0.0 (layer type Swish); the plugin is not loaded")),
                 qPrintable(messages.join("\n")));
        QCOMPARE(doc->diagnostics().size(), std::size_t{1});  // fc1 and fc2 are fine
        // Training is refused, saying why, and no run starts.
        w.train();
        QVERIFY(!w.session()->isRunning());
        QCOMPARE(w.errors.size(), 1);
        QVERIFY2(w.errors[0].startsWith("Cannot train: node 'swish1' (Swish): needs plugin swish \u2265 1.0.0"),
                 qPrintable(w.errors[0]));
        // Saving keeps the node exactly.
        const QString copy = tmp_.filePath("copy.neura");
        QVERIFY(w.saveTo(copy));
        const auto model = nlohmann::json::parse(project::load_project(copy.toStdString()).model_json);
        const auto original = nlohmann::json::parse(saved.model_json);
        QCOMPARE(model["nodes"], original["nodes"]);
        QCOMPARE(model["edges"], original["edges"]);

        // The plugin comes back (Help ▸ Plugins… ▸ Reload: nothing loaded is in use): complete again.
        PluginsDialog* dialog = openPluginsDialog(w);
        QVERIFY(dialog && dialog->reloadButton()->isEnabled());
        QVERIFY(dialog->reload());
        QVERIFY(w.palette()->itemFor("Swish"));
        QVERIFY2(doc->diagnostics().empty(), doc->diagnostics().empty() ? "" : doc->diagnostics().front().message.c_str());
        QVERIFY(w.scene()->nodeItem(sw));
        dialog->close();
    }
};

QTEST_MAIN(TestPluginsGui)
#include "tst_plugins_gui.moc"
