#include "dialogs/PluginsDialog.h"

#include <QDialogButtonBox>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QTreeWidget>
#include <QVBoxLayout>

#include "neura/plugin/PluginManager.h"

namespace neura::gui {

namespace {
QString qs(const std::string& s) { return QString::fromStdString(s); }
}  // namespace

PluginsDialog::PluginsDialog(plugin::PluginManager& manager, QWidget* parent) : QDialog(parent), manager_(manager) {
    setObjectName("PluginsDialog");
    setWindowTitle(tr("Plugins"));
    resize(760, 480);
    auto* layout = new QVBoxLayout(this);

    layout->addWidget(new QLabel(tr("<b>Loaded</b>"), this));
    loaded_ = new QTreeWidget(this);
    loaded_->setObjectName("loadedPlugins");
    loaded_->setHeaderLabels({tr("Plugin / layer"), tr("Version / category"), tr("Gradient check"), tr("File / details")});
    loaded_->header()->setSectionResizeMode(QHeaderView::ResizeToContents);
    layout->addWidget(loaded_, 3);

    layout->addWidget(new QLabel(tr("<b>Refused</b>"), this));
    refused_ = new QTreeWidget(this);
    refused_->setObjectName("refusedPlugins");
    refused_->setHeaderLabels({tr("File"), tr("Reason")});
    refused_->setRootIsDecorated(false);
    refused_->setWordWrap(true);
    layout->addWidget(refused_, 2);

    folders_ = new QLabel(this);
    folders_->setWordWrap(true);
    folders_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    layout->addWidget(folders_);
    note_ = new QLabel(this);
    note_->setObjectName("reloadNote");
    note_->setWordWrap(true);
    layout->addWidget(note_);

    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    reload_ = buttons->addButton(tr("&Reload"), QDialogButtonBox::ActionRole);
    reload_->setObjectName("reloadButton");
    reload_->setToolTip(tr("Unload every plugin and load the plugin folders again"));
    connect(reload_, &QPushButton::clicked, this, &PluginsDialog::reload);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    layout->addWidget(buttons);
    refresh();
}

void PluginsDialog::setReloadBlocker(std::function<QString()> blocker) {
    blocker_ = std::move(blocker);
    refresh();
}

void PluginsDialog::refresh() {
    loaded_->clear();
    for (const auto& p : manager_.loaded()) {
        auto* item = new QTreeWidgetItem(loaded_, {qs(p.name), qs(p.version), QString(), qs(p.path)});
        item->setToolTip(3, qs(p.path));
        item->setToolTip(0, qs(p.description));
        int failed = 0;
        for (const auto& l : p.layers) {
            auto* layer = new QTreeWidgetItem(item, {qs(l.type), qs(l.category), qs(graph::layer_check_name(l.check)),
                                                     qs(l.check_message)});
            layer->setToolTip(3, qs(l.check_message));
            if (l.check == graph::LayerCheck::Failed) {
                layer->setForeground(2, QColor(200, 40, 40));
                ++failed;
            }
        }
        item->setText(2, failed ? tr("%1 of %2 failed").arg(failed).arg(p.layers.size())
                                : tr("%1 layer(s), %2 ms").arg(p.layers.size()).arg(p.check_ms, 0, 'f', 1));
        if (failed) item->setForeground(2, QColor(200, 40, 40));
    }
    loaded_->expandAll();
    if (manager_.loaded().empty()) new QTreeWidgetItem(loaded_, {tr("(none)")});

    refused_->clear();
    for (const auto& r : manager_.refused()) {
        auto* item = new QTreeWidgetItem(refused_, {qs(r.path), qs(r.reason)});
        item->setToolTip(1, qs(r.reason));
    }

    QStringList folders;
    for (const auto& f : manager_.searched()) folders << QString::fromStdString(f.string()).toHtmlEscaped();
    folders_->setText(tr("Searched: %1").arg(folders.isEmpty() ? tr("(nothing yet)") : folders.join(QStringLiteral(" · "))));

    const QString why = blocker_ ? blocker_() : QString();
    reload_->setEnabled(why.isEmpty());
    note_->setText(why.isEmpty() ? tr("Reload unloads every plugin and loads the plugin folders again.") : why);
}

bool PluginsDialog::reload() {
    if (blocker_ && !blocker_().isEmpty()) {
        refresh();
        return false;
    }
    manager_.reload();
    refresh();
    emit reloaded();
    return true;
}

}  // namespace neura::gui
