#pragma once
// PalettePanel: every LayerRegistry type, grouped by category, with a filter box. Double-click adds
// the layer to the canvas; dragging an entry onto the canvas drops it there. Plugin layers show
// their own icon and, when their gradient check on load failed, a red mark.
#include <QDockWidget>

class QLineEdit;
class QTreeWidget;
class QTreeWidgetItem;

namespace neura::graph {
struct LayerDescriptor;
}

namespace neura::gui {

class PalettePanel : public QDockWidget {
    Q_OBJECT
public:
    explicit PalettePanel(QWidget* parent = nullptr);

    QTreeWidget* tree() const { return tree_; }
    QLineEdit* filterEdit() const { return filter_; }
    QTreeWidgetItem* itemFor(const QString& type) const;  // nullptr when unknown
    // Item data: the layer's plugin name (empty for built-ins); true when its gradient check failed.
    static constexpr int kPluginRole = Qt::UserRole + 2;
    static constexpr int kCheckFailedRole = Qt::UserRole + 3;
    void populate();  // re-reads the registry (after plugins load)

signals:
    void addRequested(const QString& type);

private:
    void applyFilter(const QString& text);
    static void decoratePluginLayer(QTreeWidgetItem* item, const graph::LayerDescriptor& d, QString& tip);

    QLineEdit* filter_;
    QTreeWidget* tree_;
};

}  // namespace neura::gui
