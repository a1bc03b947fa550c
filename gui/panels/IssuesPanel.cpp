#include "panels/IssuesPanel.h"

#include <QHeaderView>
#include <QStyle>
#include <QTreeWidget>

#include "document/GraphDocument.h"

namespace neura::gui {

IssuesPanel::IssuesPanel(GraphDocument* doc, QWidget* parent) : QDockWidget(tr("Issues"), parent), doc_(doc) {
    setObjectName("IssuesPanel");
    list_ = new QTreeWidget(this);
    list_->setColumnCount(2);
    list_->setHeaderLabels({tr("Node"), tr("Message")});
    list_->setRootIsDecorated(false);
    list_->setAlternatingRowColors(true);
    list_->setWordWrap(true);
    list_->header()->setStretchLastSection(true);
    list_->header()->setSectionResizeMode(0, QHeaderView::ResizeToContents);
    setWidget(list_);
    connect(doc_, &GraphDocument::analysisChanged, this, &IssuesPanel::refresh);
    auto activate = [this](QTreeWidgetItem* item) {
        const QVariant v = item ? item->data(0, Qt::UserRole) : QVariant();
        if (v.isValid()) emit nodeActivated(graph::NodeId{v.value<quint32>()});
    };
    connect(list_, &QTreeWidget::itemClicked, this, activate);
    connect(list_, &QTreeWidget::itemActivated, this, activate);
    refresh();
}

void IssuesPanel::refresh() {
    list_->clear();
    int errors = 0, warnings = 0;
    for (const auto& d : doc_->diagnostics()) {
        const bool error = d.severity == graph::Severity::Error;
        (error ? errors : warnings)++;
        auto* item = new QTreeWidgetItem(list_);
        item->setIcon(0, style()->standardIcon(error ? QStyle::SP_MessageBoxCritical : QStyle::SP_MessageBoxWarning));
        item->setText(0, d.node.valid() ? doc_->nodeName(d.node) : tr("model"));
        item->setText(1, QString::fromStdString(d.message));
        item->setToolTip(1, QString::fromStdString(d.message));
        if (d.node.valid()) item->setData(0, Qt::UserRole, QVariant::fromValue<quint32>(d.node.value));
    }
    if (errors + warnings == 0) {
        auto* item = new QTreeWidgetItem(list_);
        item->setIcon(0, style()->standardIcon(QStyle::SP_DialogApplyButton));
        item->setText(0, tr("OK"));
        item->setText(1, tr("No problems: the model is ready to train."));
    }
    QStringList counts;
    if (errors) counts << (errors == 1 ? tr("1 error") : tr("%1 errors").arg(errors));
    if (warnings) counts << (warnings == 1 ? tr("1 warning") : tr("%1 warnings").arg(warnings));
    setWindowTitle(counts.isEmpty() ? tr("Issues") : tr("Issues — %1").arg(counts.join(", ")));
}

}  // namespace neura::gui
