// The studio's editor driven the way a user drives it: palette double-clicks, port-to-port drags on
// the canvas, the properties form, keyboard shortcuts, undo/redo, save and reopen, read-only mode and
// a corrupt file. Runs offscreen.
#include <QApplication>
#include <QClipboard>
#include <QFile>
#include <QLineEdit>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTemporaryDir>
#include <QTreeWidget>
#include <QUndoStack>
#include <QMimeData>
#include <QtTest>
#include <cmath>

#include "app/MainWindow.h"
#include "gui/QuietWindow.h"
#include "document/GraphDocument.h"
#include "editor/EdgeItem.h"
#include "editor/GraphScene.h"
#include "editor/GraphView.h"
#include "editor/NodeItem.h"
#include "editor/PortItem.h"
#include "neura/graph/ModelJson.h"
#include "panels/IssuesPanel.h"
#include "panels/PalettePanel.h"
#include "panels/PropertiesPanel.h"

using namespace neura;
using namespace neura::gui;
using graph::NodeId;

namespace {

// Errors and "save changes?" questions are caught instead of shown.
using TestWindow = neura::test::QuietWindow;

QStringList undoTexts(QUndoStack* s) {
    QStringList out;
    for (int i = 0; i < s->count(); ++i) out << s->text(i);
    return out;
}

}  // namespace

class TestEditor : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void cleanup();
    void buildNetworkLikeAUser();
    void refusedConnections();
    void dragMovesMergeIntoOneStep();
    void reconnectByDraggingAnEdgeEnd();
    void copyPasteDuplicateDelete();
    void attributeEditsMerge();
    void saveAndReopen();
    void readOnlyRefusesEdits();
    void deletingEdgesPushesOneStepOrNone();
    void corruptFileChangesNothing();
    void autoLayoutIsLayered();
    void issuesPanelSelectsNode();
    void screenshotRenders();
    void dropFromPalette();
    void viewNavigation();

private:
    NodeId addFromPalette(const QString& type);
    bool dragPort(PortItem* from, PortItem* to);
    NodeId byName(const char* name) const { return win_->document()->graph().find_node(name); }
    NodeItem* item(const char* name) const { return win_->scene()->nodeItem(byName(name)); }
    void buildChain();  // input → linear_1 → relu_1 → linear_2 → loss, through the GUI

    std::unique_ptr<TestWindow> win_;
    QTemporaryDir dir_;
};

void TestEditor::initTestCase() {
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName("NeuraStudioTest");
    QCoreApplication::setApplicationName("tst_editor");
    QVERIFY(dir_.isValid());
}

void TestEditor::init() {
    win_ = std::make_unique<TestWindow>();
    win_->resize(1400, 900);
    win_->newDocument();
    win_->show();
    QVERIFY(QTest::qWaitForWindowExposed(win_.get(), 60000));
}

void TestEditor::cleanup() { win_.reset(); }

NodeId TestEditor::addFromPalette(const QString& type) {
    QTreeWidget* tree = win_->palette()->tree();
    QTreeWidgetItem* it = win_->palette()->itemFor(type);
    if (!it) return NodeId::Invalid;
    tree->scrollToItem(it);
    const QPoint at = tree->visualItemRect(it).center();
    const auto before = win_->document()->graph().node_count();
    // What a double-click delivers: press, release, double-click, release.
    QTest::mouseClick(tree->viewport(), Qt::LeftButton, {}, at);
    QTest::mouseDClick(tree->viewport(), Qt::LeftButton, {}, at);
    if (win_->document()->graph().node_count() != before + 1) return NodeId::Invalid;
    return win_->scene()->selectedNodes().size() == 1 ? win_->scene()->selectedNodes().front() : NodeId::Invalid;
}

bool TestEditor::dragPort(PortItem* from, PortItem* to) {
    GraphView* view = win_->view();
    const QPoint a = view->mapFromScene(from->scenePos());
    const QPoint b = view->mapFromScene(to->scenePos());
    const auto before = win_->document()->graph().edge_count();
    QTest::mousePress(view->viewport(), Qt::LeftButton, {}, a);
    QTest::mouseMove(view->viewport(), (a + b) / 2);
    QTest::mouseMove(view->viewport(), b);
    QTest::mouseRelease(view->viewport(), Qt::LeftButton, {}, b);
    return win_->document()->graph().edge_count() == before + 1;
}

void TestEditor::buildChain() {
    GraphDocument* doc = win_->document();
    const NodeId fc1 = addFromPalette("Linear");
    QVERIFY(fc1.valid());
    QCOMPARE(doc->undoStack()->undoText(), QString("Add Linear"));
    const NodeId relu = addFromPalette("ReLU");
    QVERIFY(relu.valid());
    const NodeId fc2 = addFromPalette("Linear");
    QVERIFY(fc2.valid());
    QCOMPARE(doc->nodeName(fc1), QString("linear_1"));
    QCOMPARE(doc->nodeName(relu), QString("relu_1"));
    QCOMPARE(doc->nodeName(fc2), QString("linear_2"));
    // A row, left to right, then fit so every port is on screen.
    QVERIFY(doc->moveNodes({{byName("input"), {0, 0}}, {fc1, {260, 0}}, {relu, {520, 0}}, {fc2, {780, 0}},
                            {byName("loss"), {1040, 0}}}));
    win_->fitView();
    QApplication::processEvents();

    QVERIFY(dragPort(item("input")->outputPort(0), item("linear_1")->inputPort(0)));
    QCOMPARE(doc->undoStack()->undoText(), QString("Connect input → linear_1"));
    QVERIFY(dragPort(item("linear_1")->outputPort(0), item("relu_1")->inputPort(0)));
    QVERIFY(dragPort(item("relu_1")->outputPort(0), item("linear_2")->inputPort(0)));
    // Dragging backwards, from an input to an output, connects too.
    QVERIFY(dragPort(item("loss")->inputPort(0), item("linear_2")->outputPort(0)));
    QCOMPARE(doc->undoStack()->undoText(), QString("Connect linear_2 → loss"));
}

void TestEditor::buildNetworkLikeAUser() {
    GraphDocument* doc = win_->document();
    const QString initial = QString::fromStdString(graph::to_json(doc->graph()));
    buildChain();
    if (QTest::currentTestFailed()) return;

    // Shapes on the nodes and the edges.
    QCOMPARE(item("input")->shapeLabel(), QString("[B, 2]"));
    QCOMPARE(item("linear_1")->shapeLabel(), QString("[B, 64]"));
    QCOMPARE(item("linear_1")->parameterLabel(), QString("192"));
    QCOMPARE(item("relu_1")->shapeLabel(), QString("[B, 64]"));
    QCOMPARE(item("linear_2")->parameterLabel(), QString("4,160"));
    const auto firstEdge = doc->graph().edges().begin()->first;
    QCOMPARE(win_->scene()->edgeItem(firstEdge)->label(), QString("[B, 2]"));
    QVERIFY(!graph::has_errors(doc->diagnostics()));
    QVERIFY(!item("linear_2")->showsError());

    // linear_1.out_features = 32 through the properties form.
    win_->scene()->selectNodes({byName("linear_1")});
    QCOMPARE(win_->properties()->node(), byName("linear_1"));
    auto* out = qobject_cast<QSpinBox*>(win_->properties()->editorFor("out_features"));
    QVERIFY(out);
    QCOMPARE(out->value(), 64);
    out->setFocus();
    out->selectAll();
    QTest::keyClicks(out, "32");  // "3" then "32": one merged undo step
    QCOMPARE(out->value(), 32);
    QCOMPARE(doc->undoStack()->undoText(), QString("Set linear_1.out_features = 32"));
    QCOMPARE(item("linear_1")->shapeLabel(), QString("[B, 32]"));
    QCOMPARE(win_->scene()->edgeItem(doc->graph().edges_into(byName("relu_1")).front())->label(), QString("[B, 32]"));

    // linear_2.in_features = 64 explicitly: now it mismatches and the node turns red.
    win_->scene()->selectNodes({byName("linear_2")});
    auto* in = qobject_cast<QSpinBox*>(win_->properties()->editorFor("in_features"));
    QVERIFY(in);
    QCOMPARE(in->specialValueText(), QString("auto"));
    in->setValue(64);
    QVERIFY(item("linear_2")->showsError());
    QVERIFY(item("linear_2")->toolTip().contains("Linear expects 64 input features, gets 32"));
    QVERIFY(!item("linear_1")->showsError());
    QVERIFY(win_->issues()->list()->topLevelItemCount() >= 1);
    QVERIFY(win_->issues()->list()->topLevelItem(0)->text(1).contains("expects 64 input features"));

    // Rename through the name field.
    win_->scene()->selectNodes({byName("relu_1")});
    win_->properties()->nameEdit()->setText("act1");
    emit win_->properties()->nameEdit()->editingFinished();
    QCOMPARE(doc->undoStack()->undoText(), QString("Rename relu_1 → act1"));
    QVERIFY(byName("act1").valid());

    const QStringList expected = {"Add Linear",
                                  "Add ReLU",
                                  "Add Linear",
                                  "Move 4 nodes",  // input is already at (0, 0)
                                  "Connect input → linear_1",
                                  "Connect linear_1 → relu_1",
                                  "Connect relu_1 → linear_2",
                                  "Connect linear_2 → loss",
                                  "Set linear_1.out_features = 32",
                                  "Set linear_2.in_features = 64",
                                  "Rename relu_1 → act1"};
    QCOMPARE(undoTexts(doc->undoStack()), expected);
    QVERIFY(win_->windowTitle().startsWith("Untitled.neura"));
    QVERIFY(win_->isWindowModified());

    // Undo every step (Ctrl+Z on the canvas), then redo every step (Ctrl+Shift+Z).
    const QString built = QString::fromStdString(graph::to_json(doc->graph()));
    win_->view()->setFocus();
    QTest::keyClick(win_->view(), Qt::Key_Z, Qt::ControlModifier);
    QVERIFY(byName("relu_1").valid());
    QTest::keyClick(win_->view(), Qt::Key_Z, Qt::ControlModifier);
    QVERIFY(!item("linear_2")->showsError());
    QTest::keyClick(win_->view(), Qt::Key_Z, Qt::ControlModifier);
    QCOMPARE(item("linear_1")->shapeLabel(), QString("[B, 64]"));
    while (doc->undoStack()->canUndo()) QVERIFY(doc->undo());
    QCOMPARE(QString::fromStdString(graph::to_json(doc->graph())), initial);
    QCOMPARE(doc->graph().edge_count(), std::size_t{0});
    QVERIFY(!win_->isWindowModified());
    for (int i = 0; i < 8; ++i) QTest::keyClick(win_->view(), Qt::Key_Z, Qt::ControlModifier | Qt::ShiftModifier);
    QCOMPARE(doc->undoStack()->index(), 8);
    QCOMPARE(doc->graph().edge_count(), std::size_t{4});
    while (doc->undoStack()->canRedo()) QVERIFY(doc->redo());
    QCOMPARE(QString::fromStdString(graph::to_json(doc->graph())), built);
    QVERIFY(item("linear_2")->showsError());
}

void TestEditor::refusedConnections() {
    buildChain();
    if (QTest::currentTestFailed()) return;
    GraphDocument* doc = win_->document();
    QSignalSpy refused(doc, &GraphDocument::editRefused);
    // Occupied input.
    QVERIFY(!dragPort(item("relu_1")->outputPort(0), item("linear_1")->inputPort(0)));
    QCOMPARE(refused.count(), 1);
    QVERIFY(refused.last().at(0).toString().contains("already connected"));
    QVERIFY(win_->statusBar()->currentMessage().contains("already connected"));
    // The Loss target is the dataset's.
    QVERIFY(!dragPort(item("relu_1")->outputPort(0), item("loss")->inputPort(1)));
    // Output to output does nothing.
    QVERIFY(!dragPort(item("relu_1")->outputPort(0), item("linear_2")->outputPort(0)));
    // A cycle.
    const auto e = doc->graph().edges_into(byName("linear_1")).front();
    QVERIFY(doc->disconnect(e));
    QVERIFY(!dragPort(item("linear_2")->outputPort(0), item("linear_1")->inputPort(0)));
    QVERIFY(refused.last().at(0).toString().contains("cycle"));
    QCOMPARE(doc->graph().edge_count(), std::size_t{3});
    QVERIFY(doc->connectionProblem({byName("relu_1"), graph::PortIndex{0}}, {byName("linear_1"), graph::PortIndex{0}})
                .contains("cycle"));
}

void TestEditor::reconnectByDraggingAnEdgeEnd() {
    buildChain();
    if (QTest::currentTestFailed()) return;
    GraphDocument* doc = win_->document();
    GraphView* view = win_->view();
    QWidget* vp = view->viewport();
    auto drag = [&](PortItem* from, QPoint to) {
        const QPoint a = view->mapFromScene(from->scenePos());
        QTest::mousePress(vp, Qt::LeftButton, {}, a);
        QTest::mouseMove(vp, (a + to) / 2);
        QTest::mouseMove(vp, to);
        QTest::mouseRelease(vp, Qt::LeftButton, {}, to);
    };
    // Lift relu_1 → linear_2 off linear_2's input and drop it on the empty Loss... occupied: refused.
    drag(item("linear_2")->inputPort(0), view->mapFromScene(item("loss")->inputPort(0)->scenePos()));
    QCOMPARE(doc->graph().edge_count(), std::size_t{4});
    QVERIFY(win_->statusBar()->currentMessage().contains("already connected"));
    // Dropped on empty canvas: the edge is removed, one undo step.
    drag(item("linear_2")->inputPort(0), view->mapFromScene(item("linear_2")->scenePos() + QPointF(80, 300)));
    QCOMPARE(doc->graph().edge_count(), std::size_t{3});
    QCOMPARE(doc->undoStack()->undoText(), QString("Disconnect relu_1 → linear_2"));
    QVERIFY(doc->undo());
    // Moved to another free input: one "Reconnect" step.
    QVERIFY(doc->disconnect(doc->graph().edges_into(byName("loss")).front()));
    drag(item("linear_2")->inputPort(0), view->mapFromScene(item("loss")->inputPort(0)->scenePos()));
    QCOMPARE(doc->undoStack()->undoText(), QString("Reconnect relu_1 → loss"));
    QVERIFY(doc->graph().edges_into(byName("linear_2")).empty());
    QCOMPARE(doc->graph().edge(doc->graph().edges_into(byName("loss")).front()).from.node, byName("relu_1"));
    QVERIFY(doc->undo());
    QCOMPARE(doc->graph().edge(doc->graph().edges_into(byName("linear_2")).front()).from.node, byName("relu_1"));
}

void TestEditor::dragMovesMergeIntoOneStep() {
    GraphDocument* doc = win_->document();
    win_->fitView();
    QApplication::processEvents();
    NodeItem* input = item("input");
    const QPointF start = doc->position(byName("input"));
    const QPoint a = win_->view()->mapFromScene(input->scenePos() + QPointF(60, 12));  // the header
    const int before = doc->undoStack()->count();
    QTest::mousePress(win_->view()->viewport(), Qt::LeftButton, {}, a);
    for (int i = 1; i <= 5; ++i) QTest::mouseMove(win_->view()->viewport(), a + QPoint(12 * i, 7 * i));
    QTest::mouseRelease(win_->view()->viewport(), Qt::LeftButton, {}, a + QPoint(60, 35));
    QCOMPARE(doc->undoStack()->count(), before + 1);
    QCOMPARE(doc->undoStack()->undoText(), QString("Move input"));
    const QPointF moved = doc->position(byName("input"));
    QVERIFY(moved != start);
    QCOMPARE(std::fmod(moved.x(), GraphScene::kGrid), 0.0);  // snapped
    QCOMPARE(std::fmod(moved.y(), GraphScene::kGrid), 0.0);
    QCOMPARE(input->pos(), moved);  // the view follows the document
    QVERIFY(doc->undo());
    QCOMPARE(doc->position(byName("input")), start);
    QCOMPARE(input->pos(), start);
}

void TestEditor::copyPasteDuplicateDelete() {
    buildChain();
    if (QTest::currentTestFailed()) return;
    GraphDocument* doc = win_->document();
    const std::string before = graph::to_json(doc->graph());
    win_->view()->setFocus();

    // Duplicate two connected nodes: the copies keep their internal edge.
    win_->scene()->selectNodes({byName("linear_1"), byName("relu_1")});
    QTest::keyClick(win_->view(), Qt::Key_D, Qt::ControlModifier);
    QCOMPARE(doc->graph().node_count(), std::size_t{7});
    QCOMPARE(doc->graph().edge_count(), std::size_t{5});
    QCOMPARE(doc->undoStack()->undoText(), QString("Paste 2 nodes"));
    QCOMPARE(win_->scene()->selectedNodes().size(), std::size_t{2});
    QVERIFY(doc->undo());
    QCOMPARE(graph::to_json(doc->graph()), before);

    // Copy / paste one node.
    win_->scene()->selectNodes({byName("linear_2")});
    QTest::keyClick(win_->view(), Qt::Key_C, Qt::ControlModifier);
    QTest::keyClick(win_->view(), Qt::Key_V, Qt::ControlModifier);
    QCOMPARE(doc->graph().node_count(), std::size_t{6});
    QCOMPARE(doc->undoStack()->undoText(), QString("Paste Linear"));
    QVERIFY(doc->undo());

    // Delete keeps a snapshot: undo restores ids, edges and positions exactly.
    const auto positions = doc->position(byName("relu_1"));
    win_->scene()->selectNodes({byName("relu_1"), byName("linear_2")});
    QTest::keyClick(win_->view(), Qt::Key_Delete);
    QCOMPARE(doc->graph().node_count(), std::size_t{3});
    QCOMPARE(doc->graph().edge_count(), std::size_t{1});
    QCOMPARE(doc->undoStack()->undoText(), QString("Delete 2 nodes"));
    QVERIFY(doc->undo());
    QCOMPARE(graph::to_json(doc->graph()), before);
    QCOMPARE(doc->position(byName("relu_1")), positions);
    QVERIFY(win_->scene()->nodeItem(byName("relu_1")));
    QCOMPARE(win_->scene()->selectedEdges().size(), std::size_t{0});

    // Cut: removes, and the clipboard pastes it back.
    win_->scene()->selectNodes({byName("relu_1")});
    QTest::keyClick(win_->view(), Qt::Key_X, Qt::ControlModifier);
    QVERIFY(!byName("relu_1").valid());
    QTest::keyClick(win_->view(), Qt::Key_V, Qt::ControlModifier);
    QVERIFY(byName("relu_1").valid());
}

void TestEditor::attributeEditsMerge() {
    GraphDocument* doc = win_->document();
    const NodeId fc = doc->addNode("Linear", {200, 0});
    const int base = doc->undoStack()->count();
    QVERIFY(doc->setAttribute(fc, "out_features", graph::AttributeValue(std::int64_t{10})));
    QVERIFY(doc->setAttribute(fc, "out_features", graph::AttributeValue(std::int64_t{20})));
    QCOMPARE(doc->undoStack()->count(), base + 1);
    QCOMPARE(doc->undoStack()->undoText(), QString("Set linear_1.out_features = 20"));
    QVERIFY(doc->setAttribute(fc, "bias", graph::AttributeValue(false)));
    QCOMPARE(doc->undoStack()->count(), base + 2);
    QVERIFY(doc->undo());
    QVERIFY(doc->undo());
    QVERIFY(!doc->graph().node(fc).attributes.count("out_features"));  // back to the default
    // Setting the default value is no edit at all.
    QVERIFY(!doc->setAttribute(fc, "out_features", graph::AttributeValue(std::int64_t{64})));
}

void TestEditor::saveAndReopen() {
    buildChain();
    if (QTest::currentTestFailed()) return;
    GraphDocument* doc = win_->document();
    QVERIFY(doc->setAttribute(byName("linear_2"), "out_features", graph::AttributeValue(std::int64_t{3})));
    QVERIFY(doc->moveNodes({{byName("relu_1"), {520, 140}}}));
    const QString path = dir_.filePath("chain.neura");
    QVERIFY(win_->saveTo(path));
    QVERIFY(!win_->isWindowModified());
    QVERIFY(win_->windowTitle().startsWith("chain.neura"));
    QVERIFY(win_->windowTitle().endsWith("— NeuraStudio"));
    const std::string json = graph::to_json(doc->graph());
    std::map<NodeId, QPointF> positions;
    for (const auto& [id, n] : doc->graph().nodes()) positions[id] = doc->position(id);

    TestWindow other;
    QVERIFY(other.openFile(path));
    QVERIFY(other.errors.isEmpty());
    QCOMPARE(graph::to_json(other.document()->graph()), json);
    for (const auto& [id, p] : positions) QCOMPARE(other.document()->position(id), p);
    QCOMPARE(other.scene()->nodeItem(byName("relu_1"))->pos(), QPointF(520, 140));
    QVERIFY(!other.isWindowModified());
    QCOMPARE(other.filePath(), QFileInfo(path).absoluteFilePath());
    // Other project fields survive a save untouched.
    const auto p = project::load_project(path.toStdString());
    QVERIFY(!p.train_config_json.empty());
    QVERIFY(p.metadata.count(project::meta::kCreatedAt));
}

void TestEditor::readOnlyRefusesEdits() {
    buildChain();
    if (QTest::currentTestFailed()) return;
    GraphDocument* doc = win_->document();
    const std::string before = graph::to_json(doc->graph());
    const int index = doc->undoStack()->index();
    QSignalSpy refused(doc, &GraphDocument::editRefused);
    doc->setReadOnly(true, "Training is running; stop it to edit the model.");
    QVERIFY(!doc->addNode("ReLU", {}).valid());
    QVERIFY(!doc->removeNodes({byName("relu_1")}));
    QVERIFY(!doc->setAttribute(byName("linear_1"), "out_features", graph::AttributeValue(std::int64_t{5})));
    QVERIFY(!doc->rename(byName("linear_1"), "x"));
    QVERIFY(!doc->undo());
    QVERIFY(!doc->disconnect(doc->graph().edges().begin()->first));
    QVERIFY(!doc->moveNodes({{byName("loss"), {0, 500}}}));
    QVERIFY(refused.count() >= 7);
    QCOMPARE(refused.last().at(0).toString(), QString("Training is running; stop it to edit the model."));
    // Through the GUI too: Delete key, port drag, palette double-click.
    win_->scene()->selectNodes({byName("relu_1")});
    win_->view()->setFocus();
    QTest::keyClick(win_->view(), Qt::Key_Delete);
    QVERIFY(byName("relu_1").valid());
    QVERIFY(!dragPort(item("linear_2")->outputPort(0), item("relu_1")->inputPort(0)));
    QVERIFY(!addFromPalette("Tanh").valid());
    win_->scene()->selectNodes({byName("linear_1")});
    QVERIFY(win_->properties()->editorFor("out_features"));
    QVERIFY(!win_->properties()->editorFor("out_features")->isEnabled());
    QCOMPARE(graph::to_json(doc->graph()), before);
    QCOMPARE(doc->undoStack()->index(), index);
    QVERIFY(win_->statusBar()->currentMessage().contains("Training is running"));
    doc->setReadOnly(false);
    QVERIFY(doc->addNode("ReLU", {}).valid());
}

// Regression: deleting several selected edges opened an undo macro around the disconnects even
// when every one was refused (read-only), pushing an empty step that marked the document modified.
void TestEditor::deletingEdgesPushesOneStepOrNone() {
    buildChain();
    if (QTest::currentTestFailed()) return;
    GraphDocument* doc = win_->document();
    QUndoStack* stack = doc->undoStack();
    doc->markSaved();
    const std::string before = graph::to_json(doc->graph());
    const int count = stack->count();
    const auto selectEdges = [&](const std::vector<graph::EdgeId>& ids) {
        win_->scene()->clearSelection();
        for (auto id : ids) win_->scene()->edgeItem(id)->setSelected(true);
    };
    const graph::EdgeId e1 = *doc->graph().edge_into({byName("relu_1"), graph::PortIndex{0}});
    const graph::EdgeId e2 = *doc->graph().edge_into({byName("loss"), graph::PortIndex{0}});
    selectEdges({e1, e2});
    QCOMPARE(win_->scene()->selectedEdges().size(), std::size_t{2});

    // Read-only: refused, and nothing on the undo stack.
    doc->setReadOnly(true, "read-only for the test");
    win_->scene()->deleteSelection();
    QCOMPARE(stack->count(), count);
    QVERIFY(!doc->isModified());
    QCOMPARE(graph::to_json(doc->graph()), before);
    doc->setReadOnly(false);

    // Nothing that exists: nothing pushed.
    QVERIFY(!doc->disconnectEdges({}));
    QVERIFY(!doc->removeItems({}, {}));
    QCOMPARE(stack->count(), count);
    QVERIFY(!doc->isModified());

    // Editable: one step for both edges, which undo restores.
    selectEdges({e1, e2});
    win_->scene()->deleteSelection();
    QCOMPARE(stack->count(), count + 1);
    QCOMPARE(stack->undoText(), QString("Disconnect 2 edges"));
    QCOMPARE(doc->graph().edge_count(), std::size_t{2});
    QVERIFY(doc->undo());
    QCOMPARE(graph::to_json(doc->graph()), before);

    // A node and an edge that does not touch it: one step, and undo restores both.
    win_->scene()->clearSelection();
    win_->scene()->nodeItem(byName("linear_1"))->setSelected(true);
    win_->scene()->edgeItem(e2)->setSelected(true);
    win_->scene()->deleteSelection();
    QCOMPARE(stack->undoText(), QString("Delete 1 node and 1 edge"));
    QVERIFY(!byName("linear_1").valid());
    QVERIFY(!doc->graph().has_edge(e2));
    QVERIFY(doc->undo());
    QCOMPARE(graph::to_json(doc->graph()), before);
}

void TestEditor::corruptFileChangesNothing() {
    buildChain();
    if (QTest::currentTestFailed()) return;
    GraphDocument* doc = win_->document();
    const QString good = dir_.filePath("good.neura");
    QVERIFY(win_->saveTo(good));
    QVERIFY(doc->addNode("Tanh", {0, 300}).valid());  // unsaved change
    const std::string before = graph::to_json(doc->graph());
    const int index = doc->undoStack()->index();
    const QString title = win_->windowTitle();

    const QString bad = dir_.filePath("corrupt.neura");
    {
        QFile f(bad);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(QByteArray(4096, '\x5a'));
    }
    QSignalSpy reported(win_.get(), &MainWindow::errorReported);
    QVERIFY(!win_->openFile(bad));
    QCOMPARE(reported.count(), 1);
    QCOMPARE(win_->errors.size(), 1);
    QVERIFY2(win_->errors.front().contains("corrupt.neura"), qPrintable(win_->errors.front()));
    QCOMPARE(graph::to_json(doc->graph()), before);
    QCOMPARE(doc->undoStack()->index(), index);
    QCOMPARE(win_->filePath(), QFileInfo(good).absoluteFilePath());
    QCOMPARE(win_->windowTitle(), title);
    QVERIFY(win_->isWindowModified());

    // A missing file: the same.
    QVERIFY(!win_->openFile(dir_.filePath("missing.neura")));
    QCOMPARE(win_->errors.size(), 2);
    QCOMPARE(graph::to_json(doc->graph()), before);
}

void TestEditor::autoLayoutIsLayered() {
    buildChain();
    if (QTest::currentTestFailed()) return;
    GraphDocument* doc = win_->document();
    QVERIFY(doc->moveNodes({{byName("input"), {300, 900}}, {byName("loss"), {-600, 20}}}));
    QVERIFY(doc->autoLayout());
    QCOMPARE(doc->undoStack()->undoText(), QString("Auto layout"));
    const char* order[] = {"input", "linear_1", "relu_1", "linear_2", "loss"};
    for (int i = 0; i + 1 < 5; ++i)
        QVERIFY(doc->position(byName(order[i])).x() < doc->position(byName(order[i + 1])).x());
}

void TestEditor::issuesPanelSelectsNode() {
    // Linear with nothing connected: "input not connected" for it.
    GraphDocument* doc = win_->document();
    const NodeId fc = doc->addNode("Linear", {1200, 600});
    QTreeWidget* list = win_->issues()->list();
    QTreeWidgetItem* row = nullptr;
    for (int i = 0; i < list->topLevelItemCount(); ++i)
        if (list->topLevelItem(i)->text(0) == "linear_1") row = list->topLevelItem(i);
    QVERIFY(row);
    win_->scene()->clearSelection();
    QTest::mouseClick(list->viewport(), Qt::LeftButton, {}, list->visualItemRect(row).center());
    QCOMPARE(win_->scene()->selectedNodes(), std::vector<NodeId>{fc});
    QCOMPARE(win_->properties()->node(), fc);
}

void TestEditor::screenshotRenders() {
    buildChain();
    if (QTest::currentTestFailed()) return;
    win_->fitView();
    const QImage img = win_->grab().toImage();
    QVERIFY(img.width() > 800);
    // Not a blank picture.
    QSet<QRgb> colours;
    for (int y = 0; y < img.height(); y += 7)
        for (int x = 0; x < img.width(); x += 7) colours.insert(img.pixel(x, y));
    QVERIFY(colours.size() > 50);
}

void TestEditor::dropFromPalette() {
    // What a drag from the palette delivers to the canvas (QDrag itself runs a modal loop).
    GraphDocument* doc = win_->document();
    QMimeData* mime = win_->palette()->tree()->model()->mimeData(
        {win_->palette()->tree()->indexFromItem(win_->palette()->itemFor("Dropout"))});
    QVERIFY(mime);
    QVERIFY(mime->hasFormat(GraphScene::kLayerMimeType));
    QWidget* vp = win_->view()->viewport();
    const QPoint at = vp->rect().center() + QPoint(0, 200);
    QDragEnterEvent enter(at, Qt::CopyAction, mime, Qt::LeftButton, {});
    QApplication::sendEvent(vp, &enter);
    QDragMoveEvent move(at, Qt::CopyAction, mime, Qt::LeftButton, {});
    QApplication::sendEvent(vp, &move);
    QVERIFY(move.isAccepted());
    QDropEvent drop(at, Qt::CopyAction, mime, Qt::LeftButton, {});
    QApplication::sendEvent(vp, &drop);
    QVERIFY(byName("dropout_1").valid());
    QCOMPARE(doc->undoStack()->undoText(), QString("Add Dropout"));
    const QPointF p = doc->position(byName("dropout_1"));
    QCOMPARE(GraphScene::snap(p), p);
    QVERIFY(std::abs(p.y() + 20 - win_->view()->mapToScene(at).y()) <= GraphScene::kGrid);
    delete mime;

    // The filter box hides what does not match.
    win_->palette()->filterEdit()->setText("pool");
    QVERIFY(win_->palette()->itemFor("Linear")->isHidden());
    QVERIFY(!win_->palette()->itemFor("MaxPool2d")->isHidden());
    win_->palette()->filterEdit()->clear();
    QVERIFY(!win_->palette()->itemFor("Linear")->isHidden());
}

void TestEditor::viewNavigation() {
    GraphView* view = win_->view();
    QWidget* vp = view->viewport();
    view->setFocus();
    view->setZoom(1.0);
    const QPoint c = vp->rect().center();
    QWheelEvent wheel(QPointF(c), QPointF(vp->mapToGlobal(c)), QPoint(), QPoint(0, 240), Qt::NoButton, Qt::NoModifier,
                      Qt::NoScrollPhase, false);
    QApplication::sendEvent(vp, &wheel);
    QVERIFY(view->zoom() > 1.2);
    // Middle-button pan moves the view, not the nodes.
    const QPointF before = view->mapToScene(c);
    QTest::mousePress(vp, Qt::MiddleButton, {}, c);
    QTest::mouseMove(vp, c + QPoint(80, 40));
    QTest::mouseRelease(vp, Qt::MiddleButton, {}, c + QPoint(80, 40));
    QVERIFY(view->mapToScene(c) != before);
    QCOMPARE(win_->document()->undoStack()->count(), 0);
    // Rubber band over both nodes selects them.
    QTest::keyClick(view, Qt::Key_0, Qt::ControlModifier);
    const QRectF all = win_->scene()->contentRect();
    const QPoint a = view->mapFromScene(all.topLeft() + QPointF(5, 5));
    const QPoint b = view->mapFromScene(all.bottomRight() - QPointF(5, 5));
    QTest::mousePress(vp, Qt::LeftButton, {}, a);
    QTest::mouseMove(vp, (a + b) / 2);
    QTest::mouseMove(vp, b);
    QTest::mouseRelease(vp, Qt::LeftButton, {}, b);
    QCOMPARE(win_->scene()->selectedNodes().size(), std::size_t{2});
    // Ctrl+0 fits every node in view.
    QTest::keyClick(view, Qt::Key_0, Qt::ControlModifier);
    const QRectF visible = view->mapToScene(vp->rect()).boundingRect();
    for (const auto& [id, n] : win_->document()->graph().nodes())
        QVERIFY(visible.contains(win_->scene()->nodeItem(id)->sceneBoundingRect()));
}

QTEST_MAIN(TestEditor)
#include "tst_editor.moc"
