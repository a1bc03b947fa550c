// CompareSideView: a GraphView that takes no input but wheel zoom, middle-button pan and clicks that
// name a node; its rings are passive scene items redrawn from the diff, as DiffOverlay's are.
#include "editor/CompareSideView.h"

#include <QEvent>
#include <QBrush>
#include <QGraphicsPathItem>
#include <QLabel>
#include <QListWidget>
#include <QMouseEvent>
#include <QPainterPath>
#include <QPen>
#include <QTimer>
#include <QVBoxLayout>

#include "document/GraphDocument.h"
#include "editor/GraphScene.h"
#include "editor/GraphView.h"
#include "editor/NodeItem.h"
#include "neura/graph/ModelJson.h"

namespace neura::gui {

namespace {

const QColor kAdded(0x2e, 0xa0, 0x43);
const QColor kChanged(0xf0, 0x8c, 0x00);
const QColor kRemoved(0xc0, 0x39, 0x2b);

}  // namespace

CompareSideView::CompareSideView(QWidget* parent) : QWidget(parent) {
    setObjectName("CompareSideView");
    doc_ = new GraphDocument(this);
    doc_->setReadOnly(true, tr("The compared model is read-only."));
    scene_ = new GraphScene(doc_, this);
    view_ = new GraphView(scene_, this);
    view_->setObjectName("CompareSideCanvas");
    // No item takes the mouse or the keyboard: no drag, delete or connection can start here.
    view_->setInteractive(false);
    view_->viewport()->installEventFilter(this);
    title_ = makeTitle(this);
    list_ = new QListWidget(this);
    list_->setObjectName("CompareChangesList");
    // Four lines or so: the model keeps most of the height; the tooltips and scrolling give the rest.
    list_->setMaximumHeight(list_->fontMetrics().height() * 4 + 2 * list_->frameWidth() + 6);
    list_->setSelectionMode(QAbstractItemView::NoSelection);
    list_->setFocusPolicy(Qt::NoFocus);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(0);
    layout->addWidget(title_);
    layout->addWidget(view_, 1);
    layout->addWidget(list_);
    // The scene rebuilds its items on documentReset; the rings follow.
    connect(doc_, &GraphDocument::documentReset, this, [this] { redrawMarks(); });
}

CompareSideView::~CompareSideView() = default;  // the rings belong to the scene

QLabel* CompareSideView::makeTitle(QWidget* parent) {
    auto* label = new QLabel(parent);
    label->setObjectName("CompareTitle");
    label->setTextFormat(Qt::RichText);
    label->setContentsMargins(8, 4, 8, 4);
    label->setAutoFillBackground(true);
    QPalette p = label->palette();
    p.setColor(QPalette::Window, p.color(QPalette::AlternateBase));
    label->setPalette(p);
    return label;
}

void CompareSideView::showModel(const graph::ModelGraph& model, const std::string& layoutJson, const QString& title) {
    project::Project p;
    p.model_json = graph::to_json(model);
    p.layout_json = layoutJson;
    marks_.clear();
    tips_.clear();
    clearMarks();
    try {
        doc_->loadProject(p);
    } catch (const std::exception&) {
        // A layout that does not fit the model: the model in layers, as a project without one.
        p.layout_json.clear();
        doc_->loadProject(p);
    }
    title_->setText(tr("<b>Before:</b> %1 <span style='color:gray'>(read-only)</span>").arg(title.toHtmlEscaped()));
    title_->setToolTip(title);
    show();
    view_->fitToContents();
    // Once the splitter has given the view its width.
    QTimer::singleShot(0, view_, [v = view_] { v->fitToContents(); });
}

void CompareSideView::setDiff(const eval::ModelDiff& diff) {
    marks_.clear();
    tips_.clear();
    for (const auto& n : diff.removed) {
        const graph::NodeId id = findNode(n.name);
        if (!id.valid()) continue;
        marks_[id] = Mark::Removed;
        tips_[id] = tr("%1 (%2): removed").arg(QString::fromStdString(n.name), QString::fromStdString(n.type));
    }
    for (const auto& c : diff.changed) {
        const graph::NodeId id = findNode(c.name);
        if (!id.valid()) continue;
        marks_[id] = Mark::Changed;
        QStringList lines{tr("%1: changed").arg(QString::fromStdString(c.name))};
        if (c.type_changed())
            lines << tr("type: %1 → %2").arg(QString::fromStdString(c.old_type), QString::fromStdString(c.new_type));
        for (const auto& a : c.attributes)
            lines << tr("%1: %2 → %3")
                         .arg(QString::fromStdString(a.name),
                              a.old_present ? QString::fromStdString(a.old_value) : tr("(none)"),
                              a.new_present ? QString::fromStdString(a.new_value) : tr("(none)"));
        tips_[id] = lines.join('\n');
    }
    redrawMarks();

    // The differences as `neura diff` words them, one a line, coloured as the rings.
    list_->clear();
    const QStringList lines = QString::fromStdString(eval::describe(diff)).split('\n', Qt::SkipEmptyParts);
    for (const QString& line : lines) {
        auto* item = new QListWidgetItem(line, list_);
        if (line.startsWith("+ ")) item->setForeground(kAdded);
        else if (line.startsWith("- ")) item->setForeground(kRemoved);
        else if (line.startsWith("~ ")) item->setForeground(kChanged);
        item->setToolTip(line);
    }
    list_->setVisible(!lines.isEmpty());
}

void CompareSideView::clear() {
    marks_.clear();
    tips_.clear();
    clearMarks();
    doc_->loadProject(project::Project{});
    list_->clear();
    title_->clear();
    hide();
}

void CompareSideView::highlight(const QStringList& names) {
    std::vector<graph::NodeId> ids;
    for (const QString& name : names)
        if (const graph::NodeId id = findNode(name.toStdString()); id.valid()) ids.push_back(id);
    scene_->selectNodes(ids);
    if (ids.size() == 1)
        if (NodeItem* item = scene_->nodeItem(ids.front())) view_->ensureVisible(item, 20, 20);
}

QString CompareSideView::title() const { return title_->text(); }

CompareSideView::Mark CompareSideView::markOf(const QString& name) const {
    auto it = marks_.find(findNode(name.toStdString()));
    return it == marks_.end() ? Mark::None : it->second;
}

QStringList CompareSideView::nodeNames() const {
    QStringList names;
    for (const auto& [id, n] : doc_->graph().nodes()) names << QString::fromStdString(eval::node_key(n));
    return names;
}

graph::NodeId CompareSideView::findNode(const std::string& key) const {
    for (const auto& [id, n] : doc_->graph().nodes())
        if (eval::node_key(n) == key) return id;
    return graph::NodeId::Invalid;
}

bool CompareSideView::eventFilter(QObject* watched, QEvent* event) {
    // The view is not interactive, so a click reaches no item: name the node under it ourselves.
    if (watched == view_->viewport() && event->type() == QEvent::MouseButtonPress) {
        const auto* e = static_cast<QMouseEvent*>(event);
        if (e->button() == Qt::LeftButton) {
            for (QGraphicsItem* item : view_->items(e->position().toPoint())) {
                for (QGraphicsItem* it = item; it; it = it->parentItem()) {
                    if (auto* node = dynamic_cast<NodeItem*>(it)) {
                        const graph::NodeId id = node->id();
                        scene_->selectNodes({id});
                        emit nodeClicked(QString::fromStdString(eval::node_key(doc_->graph().node(id))));
                        return false;
                    }
                }
            }
        }
    }
    return QWidget::eventFilter(watched, event);
}

void CompareSideView::clearMarks() {
    for (QGraphicsItem* item : items_) {
        scene_->removeItem(item);
        delete item;
    }
    items_.clear();
}

void CompareSideView::redrawMarks() {
    clearMarks();
    for (const auto& [id, mark] : marks_) {
        NodeItem* node = scene_->nodeItem(id);
        if (!node) continue;
        const QColor colour = mark == Mark::Removed ? kRemoved : kChanged;
        const QRectF r = node->sceneBoundingRect().adjusted(-5, -5, 5, 5);
        QPainterPath ring;
        ring.addRoundedRect(r, 10, 10);
        auto* halo = new QGraphicsPathItem(ring);
        halo->setAcceptedMouseButtons(Qt::NoButton);
        halo->setZValue(mark == Mark::Removed ? 7 : 0.5);  // a removed node's ring over the node, dashed
        halo->setPen(QPen(colour, 4, mark == Mark::Removed ? Qt::DashLine : Qt::SolidLine));
        QColor fill = colour;
        fill.setAlpha(mark == Mark::Removed ? 45 : 0);
        halo->setBrush(mark == Mark::Removed ? QBrush(fill) : QBrush(Qt::NoBrush));
        halo->setToolTip(tips_.count(id) ? tips_.at(id) : QString());
        scene_->addItem(halo);
        items_.push_back(halo);
    }
}

}  // namespace neura::gui
