#include "panels/PalettePanel.h"

#include <QIcon>
#include <QLineEdit>
#include <QPixmap>
#include <QMimeData>
#include <QTreeWidget>
#include <QVBoxLayout>

#include "editor/GraphScene.h"
#include "neura/graph/LayerRegistry.h"

namespace neura::gui {

namespace {
constexpr int kTypeRole = Qt::UserRole + 1;

// Drags carry the layer type as GraphScene::kLayerMimeType.
class LayerTree : public QTreeWidget {
public:
    using QTreeWidget::QTreeWidget;

protected:
    QStringList mimeTypes() const override { return {GraphScene::kLayerMimeType}; }
    QMimeData* mimeData(const QList<QTreeWidgetItem*>& items) const override {
        if (items.isEmpty() || items.front()->data(0, kTypeRole).toString().isEmpty()) return nullptr;
        auto* m = new QMimeData;
        m->setData(GraphScene::kLayerMimeType, items.front()->data(0, kTypeRole).toString().toUtf8());
        return m;
    }
};
}  // namespace

PalettePanel::PalettePanel(QWidget* parent) : QDockWidget(tr("Layers"), parent) {
    setObjectName("PalettePanel");
    auto* w = new QWidget(this);
    auto* layout = new QVBoxLayout(w);
    layout->setContentsMargins(4, 4, 4, 4);
    filter_ = new QLineEdit(w);
    filter_->setPlaceholderText(tr("Filter layers…"));
    filter_->setClearButtonEnabled(true);
    tree_ = new LayerTree(w);
    tree_->setHeaderHidden(true);
    tree_->setDragEnabled(true);
    tree_->setDragDropMode(QAbstractItemView::DragOnly);
    tree_->setRootIsDecorated(true);
    tree_->setAnimated(true);
    layout->addWidget(filter_);
    layout->addWidget(tree_);
    setWidget(w);
    connect(filter_, &QLineEdit::textChanged, this, &PalettePanel::applyFilter);
    connect(tree_, &QTreeWidget::itemDoubleClicked, this, [this](QTreeWidgetItem* item) {
        const QString type = item->data(0, kTypeRole).toString();
        if (!type.isEmpty()) emit addRequested(type);
    });
    populate();
}

// A plugin's layer: its own icon, its plugin in the tooltip, and a mark when its gradient check on
// load failed (the layer still works; its gradients may be wrong).
void PalettePanel::decoratePluginLayer(QTreeWidgetItem* item, const graph::LayerDescriptor& d, QString& tip) {
    if (!d.icon.empty()) {
        QPixmap pixmap;
        if (pixmap.loadFromData(reinterpret_cast<const uchar*>(d.icon.data()), static_cast<uint>(d.icon.size())))
            item->setIcon(0, QIcon(pixmap));
    }
    item->setData(0, kPluginRole, QString::fromStdString(d.plugin));
    tip += QStringLiteral("<br>") + tr("From plugin %1 %2.").arg(QString::fromStdString(d.plugin),
                                                                 QString::fromStdString(d.plugin_version));
    if (d.check == graph::LayerCheck::Failed) {
        item->setText(0, item->text(0) + QStringLiteral(" \u26a0"));
        item->setForeground(0, QColor(200, 40, 40));
        item->setData(0, kCheckFailedRole, true);
        tip += QStringLiteral("<br><span style='color:#c82828'>%1</span>")
                   .arg(tr("Its gradient check failed when the plugin loaded: %1")
                            .arg(QString::fromStdString(d.check_message).toHtmlEscaped()));
    }
}

void PalettePanel::populate() {
    tree_->clear();
    const auto& reg = graph::LayerRegistry::instance();
    for (const auto& category : reg.categories()) {
        auto* group = new QTreeWidgetItem(tree_, {QString::fromStdString(category)});
        QFont f = group->font(0);
        f.setBold(true);
        group->setFont(0, f);
        group->setFlags(Qt::ItemIsEnabled);
        for (const auto& type : reg.types_in(category)) {
            const graph::LayerDescriptor& d = reg.at(type);
            auto* item = new QTreeWidgetItem(group, {QString::fromStdString(type)});
            item->setData(0, kTypeRole, QString::fromStdString(type));
            item->setFlags(Qt::ItemIsEnabled | Qt::ItemIsSelectable | Qt::ItemIsDragEnabled);
            QString tip = QStringLiteral("<b>%1</b><br>%2").arg(QString::fromStdString(type),
                                                                QString::fromStdString(d.help).toHtmlEscaped());
            if (!d.plugin.empty()) decoratePluginLayer(item, d, tip);
            item->setToolTip(0, tip + QStringLiteral("<br><i>%1</i>").arg(tr("Double-click or drag onto the canvas")));
        }
    }
    tree_->expandAll();
    applyFilter(filter_->text());
}

QTreeWidgetItem* PalettePanel::itemFor(const QString& type) const {
    for (int i = 0; i < tree_->topLevelItemCount(); ++i) {
        QTreeWidgetItem* group = tree_->topLevelItem(i);
        for (int j = 0; j < group->childCount(); ++j)
            if (group->child(j)->data(0, kTypeRole).toString() == type) return group->child(j);
    }
    return nullptr;
}

void PalettePanel::applyFilter(const QString& text) {
    const QString t = text.trimmed();
    for (int i = 0; i < tree_->topLevelItemCount(); ++i) {
        QTreeWidgetItem* group = tree_->topLevelItem(i);
        const bool groupMatches = group->text(0).contains(t, Qt::CaseInsensitive);
        int visible = 0;
        for (int j = 0; j < group->childCount(); ++j) {
            QTreeWidgetItem* item = group->child(j);
            const bool show = t.isEmpty() || groupMatches || item->text(0).contains(t, Qt::CaseInsensitive) ||
                              item->toolTip(0).contains(t, Qt::CaseInsensitive);
            item->setHidden(!show);
            visible += show;
        }
        group->setHidden(visible == 0);
    }
}

}  // namespace neura::gui
