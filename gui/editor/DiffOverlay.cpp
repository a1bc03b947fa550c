// DiffOverlay: marks and ghosts are plain scene items that take no mouse buttons, redrawn from the diff
// whenever the document moves or changes a node.
#include "editor/DiffOverlay.h"

#include <QBrush>
#include <QFrame>
#include <QGraphicsEllipseItem>
#include <QGraphicsPathItem>
#include <QGraphicsSimpleTextItem>
#include <QHBoxLayout>
#include <QLabel>
#include <QPainterPath>
#include <QPen>
#include <QPushButton>

#include "document/GraphDocument.h"
#include "editor/CompareSideView.h"
#include "editor/GraphScene.h"
#include "editor/GraphView.h"
#include "editor/NodeItem.h"

namespace neura::gui {

namespace {

const QColor kAdded(0x2e, 0xa0, 0x43);
const QColor kChanged(0xf0, 0x8c, 0x00);
const QColor kRemoved(0xc0, 0x39, 0x2b);

QString attributeText(const eval::AttributeChange& a) {
    return QStringLiteral("%1: %2 → %3")
        .arg(QString::fromStdString(a.name),
             a.old_present ? QString::fromStdString(a.old_value) : QObject::tr("(none)"),
             a.new_present ? QString::fromStdString(a.new_value) : QObject::tr("(none)"));
}

template <class Item>
Item* passive(Item* item, double z) {
    item->setAcceptedMouseButtons(Qt::NoButton);
    item->setZValue(z);
    return item;
}

}  // namespace

DiffOverlay::DiffOverlay(GraphScene* scene, GraphView* view, QObject* parent)
    : QObject(parent), scene_(scene), view_(view) {
    banner_ = new QFrame(view_);
    banner_->setObjectName("CompareBanner");
    banner_->setFrameShape(QFrame::StyledPanel);
    banner_->setAutoFillBackground(true);
    auto* layout = new QHBoxLayout(banner_);
    layout->setContentsMargins(8, 4, 4, 4);
    bannerLabel_ = new QLabel;
    layout->addWidget(bannerLabel_);
    auto* leaveButton = new QPushButton(tr("Leave Compare"));
    leaveButton->setObjectName("LeaveCompareButton");
    layout->addWidget(leaveButton);
    banner_->hide();
    connect(leaveButton, &QPushButton::clicked, this, &DiffOverlay::leave);

    GraphDocument* doc = scene_->document();
    connect(doc, &GraphDocument::analysisChanged, this, [this] {
        if (!active_) return;
        if (live_) recompute();
        redraw();
    });
    connect(doc, &GraphDocument::nodeMoved, this, [this] {
        if (active_) redraw();
    });
    // Another project (or a new one): the comparison was with the old one.
    connect(doc, &GraphDocument::documentReset, this, [this] {
        if (active_) leave();
    });
}

DiffOverlay::~DiffOverlay() = default;  // the items belong to the scene, the banner to the view

void DiffOverlay::attachSideView(CompareSideView* side, QLabel* nowTitle) {
    side_ = side;
    nowTitle_ = nowTitle;
    // Over both views, the banner wraps rather than hide its Leave Compare button.
    bannerLabel_->setWordWrap(true);
    if (auto* row = qobject_cast<QHBoxLayout*>(banner_->layout())) row->setStretchFactor(bannerLabel_, 1);
    side_->hide();
    nowTitle_->hide();
    // A node selected in one view selects the node of the same name in the other.
    connect(scene_, &QGraphicsScene::selectionChanged, this, [this] {
        if (!active_ || !side_ || syncing_) return;
        QStringList names;
        for (graph::NodeId id : scene_->selectedNodes())
            if (const graph::Node* n = scene_->document()->graph().find_node(id))
                names << QString::fromStdString(eval::node_key(*n));
        syncing_ = true;
        side_->highlight(names);
        syncing_ = false;
    });
    connect(side_, &CompareSideView::nodeClicked, this, [this](const QString& name) {
        if (!active_) return;
        const graph::NodeId id = scene_->document()->graph().find_node(name.toStdString());
        syncing_ = true;
        scene_->selectNodes(id.valid() ? std::vector<graph::NodeId>{id} : std::vector<graph::NodeId>{});
        syncing_ = false;
        if (NodeItem* item = scene_->nodeItem(id)) view_->ensureVisible(item, 20, 20);
    });
}

void DiffOverlay::compareWithDocument(const graph::ModelGraph& before, const QString& title, const Sides& sides) {
    before_ = before;
    title_ = title;
    sides_ = sides;
    live_ = true;
    active_ = true;
    showSides();
    recompute();
    redraw();
}

void DiffOverlay::showDiff(const graph::ModelGraph& before, const graph::ModelGraph& after, const QString& title,
                           const Sides& sides) {
    before_ = before;
    after_ = after;
    title_ = title;
    sides_ = sides;
    live_ = false;
    active_ = true;
    showSides();
    recompute();
    redraw();
}

void DiffOverlay::leave() {
    if (!active_) return;
    active_ = false;
    clearItems();
    marks_.clear();
    tips_.clear();
    ghosts_.clear();
    diff_ = {};
    banner_->hide();
    if (side_) side_->clear();
    if (nowTitle_) nowTitle_->hide();
    emit left();
}

DiffOverlay::Mark DiffOverlay::markOf(graph::NodeId id) const {
    auto it = marks_.find(id);
    return it == marks_.end() ? Mark::None : it->second;
}

QString DiffOverlay::changeText(graph::NodeId id) const {
    auto it = tips_.find(id);
    return it == tips_.end() ? QString() : it->second;
}

QStringList DiffOverlay::ghostNames() const { return ghosts_; }

QString DiffOverlay::bannerText() const { return bannerLabel_->text(); }

QString DiffOverlay::nowTitle() const { return nowTitle_ && nowTitle_->isVisible() ? nowTitle_->text() : QString(); }

void DiffOverlay::showSides() {
    if (!side_) return;
    const QString before = sides_.before.isEmpty() ? tr("the compared model") : sides_.before;
    side_->showModel(before_, sides_.beforeLayoutJson, before);
    QString now;
    if (live_)
        now = sides_.after.isEmpty() ? tr("this project") : sides_.after;
    else if (eval::diff_models(after_, scene_->document()->graph()).identical())
        now = sides_.after;
    else  // the canvas is neither run's model: say whose marks it carries
        now = tr("the open model, marked as %1's").arg(sides_.after);
    nowTitle_->setText(tr("<b>Now:</b> %1").arg(now.toHtmlEscaped()));
    nowTitle_->show();
}

void DiffOverlay::recompute() {
    diff_ = eval::diff_models(before_, live_ ? scene_->document()->graph() : after_);
    // The marks land on the document's nodes of the same names.
    marks_.clear();
    tips_.clear();
    const graph::ModelGraph& shown = scene_->document()->graph();
    for (const auto& n : diff_.added) {
        const graph::NodeId id = live_ ? n.id : shown.find_node(n.name);
        if (!id.valid()) continue;
        marks_[id] = Mark::Added;
        tips_[id] = tr("%1 (%2): added").arg(QString::fromStdString(n.name), QString::fromStdString(n.type));
    }
    for (const auto& c : diff_.changed) {
        const graph::NodeId id = live_ ? c.new_id : shown.find_node(c.name);
        if (!id.valid()) continue;
        marks_[id] = Mark::Changed;
        QStringList lines{tr("%1: changed").arg(QString::fromStdString(c.name))};
        if (c.type_changed())
            lines << tr("type: %1 → %2").arg(QString::fromStdString(c.old_type), QString::fromStdString(c.new_type));
        for (const auto& a : c.attributes) lines << attributeText(a);
        if (c.old_parameters != c.new_parameters)
            lines << tr("parameters: %1 → %2").arg(GraphDocument::countText(c.old_parameters),
                                                    GraphDocument::countText(c.new_parameters));
        tips_[id] = lines.join('\n');
    }
    QString text = tr("<b>%1</b>: ").arg(title_.toHtmlEscaped());
    if (diff_.identical()) {
        text += tr("the models are the same");
    } else {
        text += tr("<span style='color:%1'>%2 added</span>, <span style='color:%3'>%4 changed</span>, "
                   "<span style='color:%5'>%6 removed</span>, %7 edges added, %8 removed")
                    .arg(kAdded.name())
                    .arg(diff_.added.size())
                    .arg(kChanged.name())
                    .arg(diff_.changed.size())
                    .arg(kRemoved.name())
                    .arg(diff_.removed.size())
                    .arg(diff_.added_edges.size())
                    .arg(diff_.removed_edges.size());
    }
    text += tr(" · parameters %1 → %2")
                .arg(GraphDocument::countText(diff_.old_parameters), GraphDocument::countText(diff_.new_parameters));
    // Two other models marked on this one by name: say when the canvas is not the later model.
    if (!live_ && !eval::diff_models(after_, shown).identical())
        text += tr("<br><i>The canvas shows the open model, which differs from the later one: marks go to "
                   "nodes of the same names.</i>");
    bannerLabel_->setText(text);
    if (side_) side_->setDiff(diff_);
    if (banner_->parentWidget() == view_) {  // floating over the canvas, unless a layout holds it
        banner_->adjustSize();
        banner_->move(8, 8);
    }
    banner_->show();
    banner_->raise();
}

void DiffOverlay::clearItems() {
    for (QGraphicsItem* item : items_) {
        scene_->removeItem(item);
        delete item;
    }
    items_.clear();
}

void DiffOverlay::redraw() {
    clearItems();
    ghosts_.clear();
    if (!active_) return;
    for (const auto& [id, mark] : marks_) {
        NodeItem* node = scene_->nodeItem(id);
        if (!node) continue;
        const QColor colour = mark == Mark::Added ? kAdded : kChanged;
        const QRectF r = node->sceneBoundingRect().adjusted(-5, -5, 5, 5);
        QPainterPath ring;
        ring.addRoundedRect(r, 10, 10);
        auto* halo = passive(new QGraphicsPathItem(ring), 0.5);
        halo->setPen(QPen(colour, 4));
        halo->setBrush(Qt::NoBrush);
        scene_->addItem(halo);
        items_.push_back(halo);
        // A badge on the corner, above the node, carries the tooltip.
        auto* badge = passive(new QGraphicsEllipseItem(r.right() - 13, r.top() - 9, 22, 22), 6);
        badge->setPen(QPen(Qt::white, 1.5));
        badge->setBrush(colour);
        badge->setToolTip(tips_.count(id) ? tips_.at(id) : QString());
        badge->setAcceptHoverEvents(true);
        auto* sign =
            new QGraphicsSimpleTextItem(mark == Mark::Added ? QStringLiteral("+") : QStringLiteral("~"), badge);
        QFont f = sign->font();
        f.setBold(true);
        f.setPointSizeF(11);
        sign->setFont(f);
        sign->setBrush(Qt::white);
        const QRectF sr = sign->boundingRect();
        sign->setPos(badge->rect().center() - QPointF(sr.width() / 2, sr.height() / 2));
        scene_->addItem(badge);
        items_.push_back(badge);
    }

    // Removed nodes: a ghost under the mean of its old neighbours still on the canvas, or in a column
    // right of the model; dashed lines to those neighbours.
    const graph::ModelGraph& shown = scene_->document()->graph();
    const QRectF content = scene_->contentRect();
    int unplaced = 0;
    std::vector<QRectF> placed;  // the nodes, then the ghosts drawn so far
    for (const auto& [id, n] : shown.nodes())
        if (NodeItem* item = scene_->nodeItem(id)) placed.push_back(item->sceneBoundingRect().adjusted(-6, -6, 6, 6));
    for (const auto& n : diff_.removed) {
        std::vector<NodeItem*> neighbours;
        for (const auto& e : diff_.removed_edges) {
            const std::string& other = e.from == n.name ? e.to : e.to == n.name ? e.from : std::string();
            if (other.empty()) continue;
            if (NodeItem* item = scene_->nodeItem(shown.find_node(other))) neighbours.push_back(item);
        }
        const double w = NodeItem::kWidth, h = 56;
        QPointF at;
        if (!neighbours.empty()) {
            QPointF sum;
            for (NodeItem* item : neighbours) sum += item->sceneBoundingRect().center();
            at = sum / static_cast<double>(neighbours.size()) + QPointF(-w / 2, 70);
        } else {
            at = QPointF(content.right() + 40, content.top() + unplaced++ * (h + 30));
        }
        // A ghost over a node or another ghost moves down below it, until it covers none.
        for (bool moved = true; moved;) {
            moved = false;
            for (const QRectF& p : placed) {
                if (!p.intersects(QRectF(at, QSizeF(w, h)))) continue;
                at.setY(p.bottom() + 16);
                moved = true;
            }
        }
        const QRectF box(at, QSizeF(w, h));
        placed.push_back(box);
        QPainterPath path;
        path.addRoundedRect(box, 8, 8);
        auto* ghost = passive(new QGraphicsPathItem(path), 0.8);
        QPen pen(kRemoved, 2, Qt::DashLine);
        ghost->setPen(pen);
        QColor fill = kRemoved;
        fill.setAlpha(40);
        ghost->setBrush(fill);
        ghost->setToolTip(tr("%1 (%2): removed").arg(QString::fromStdString(n.name), QString::fromStdString(n.type)));
        ghost->setAcceptHoverEvents(true);
        auto* label = new QGraphicsSimpleTextItem(
            tr("%1\n%2 · removed").arg(QString::fromStdString(n.name), QString::fromStdString(n.type)), ghost);
        label->setBrush(kRemoved);
        label->setPos(box.topLeft() + QPointF(10, 8));
        scene_->addItem(ghost);
        items_.push_back(ghost);
        for (NodeItem* item : neighbours) {
            QPainterPath line;
            line.moveTo(box.center());
            line.lineTo(item->sceneBoundingRect().center());
            auto* link = passive(new QGraphicsPathItem(line), -0.5);
            link->setPen(QPen(kRemoved, 1.5, Qt::DashLine));
            scene_->addItem(link);
            items_.push_back(link);
        }
        ghosts_ << QString::fromStdString(n.name);
    }
}

}  // namespace neura::gui
