#pragma once
// PalettePanel: every LayerRegistry type, grouped by category, with a filter box. Double-click adds
// the layer to the canvas; dragging an entry onto the canvas drops it there.
#include <QDockWidget>

class QLineEdit;
class QTreeWidget;
class QTreeWidgetItem;

namespace neura::gui {

class PalettePanel : public QDockWidget {
    Q_OBJECT
public:
    explicit PalettePanel(QWidget* parent = nullptr);

    QTreeWidget* tree() const { return tree_; }
    QLineEdit* filterEdit() const { return filter_; }
    QTreeWidgetItem* itemFor(const QString& type) const;  // nullptr when unknown
    void populate();  // re-reads the registry (after plugins load)

signals:
    void addRequested(const QString& type);

private:
    void applyFilter(const QString& text);

    QLineEdit* filter_;
    QTreeWidget* tree_;
};

}  // namespace neura::gui
