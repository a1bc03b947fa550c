#pragma once
// PluginsDialog (Help ▸ Plugins…): the plugins the studio loaded — name, version, file, description,
// the layers each provides with their gradient check on load — and the ones it refused, with the
// reason. Reload unloads every plugin and loads the plugin folders again, without a restart; the
// window allows it only when no open project uses a plugin layer (setReloadBlocker).
#include <QDialog>
#include <functional>

class QLabel;
class QPushButton;
class QTreeWidget;

namespace neura::plugin {
class PluginManager;
}

namespace neura::gui {

class PluginsDialog : public QDialog {
    Q_OBJECT
public:
    explicit PluginsDialog(plugin::PluginManager& manager, QWidget* parent = nullptr);

    // Returns why Reload is not possible now ("" when it is); asked whenever the dialog refreshes.
    void setReloadBlocker(std::function<QString()> blocker);

    QTreeWidget* loadedTree() const { return loaded_; }
    QTreeWidget* refusedTree() const { return refused_; }
    QPushButton* reloadButton() const { return reload_; }
    QLabel* reloadNote() const { return note_; }

public slots:
    void refresh();  // re-reads the manager
    bool reload();   // false (nothing done) when blocked

signals:
    void reloaded();  // the registry changed: palette and document re-read it

private:
    plugin::PluginManager& manager_;
    std::function<QString()> blocker_;
    QTreeWidget* loaded_;
    QTreeWidget* refused_;
    QLabel* folders_;
    QLabel* note_;
    QPushButton* reload_;
};

}  // namespace neura::gui
