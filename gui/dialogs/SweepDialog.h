#pragma once
// SweepDialog (Train ▸ Sweep…): rows of a setting and its comma-separated values — a training setting
// or NODE.ATTRIBUTE of the current model, offered in a combo box that also takes typed keys — the
// whole grid or N random combinations, and the epochs of each run. Start runs the sweep on the
// window's SweepSession (a worker thread, over a copy of the project); the dialog shows "run i of n",
// the epoch and each run's result, and may be closed while the sweep goes on. docs/sweeps.md.
#include <QDialog>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QTableWidget;
class QTextEdit;

namespace neura::gui {

class MainWindow;
class SweepSession;

class SweepDialog : public QDialog {
    Q_OBJECT
public:
    explicit SweepDialog(MainWindow* window);

    // The window's dialog, created the first time, shown and raised, its keys read from the current model.
    static SweepDialog* showFor(MainWindow* window);

    // ---- the form, for tests and scripts ----
    int rowCount() const;
    void setRowCount(int rows);
    void setRow(int row, const QString& key, const QString& values);
    void setRandom(int count, int seed = 0);  // 0: every combination
    void setEpochs(int epochs);
    QStringList keyChoices() const;  // what the key combo boxes offer
    QLabel* statusLabel() const { return status_; }
    QPushButton* startButton() const { return start_; }
    QPushButton* stopButton() const { return stop_; }

public slots:
    // Reads the form and starts the sweep; false (the reason in the status line) when a row or the
    // sweep is not valid, or one is going on.
    bool start();
    void stop();
    // The keys of the window's current model and training settings.
    void refreshKeys();

private:
    void addRow(const QString& key = {}, const QString& values = {});
    QComboBox* keyBox(int row) const;
    QLineEdit* valuesEdit(int row) const;
    void updateButtons();
    void showError(const QString& message);

    MainWindow* window_;
    SweepSession* session_;
    QStringList keys_;
    QTableWidget* table_;
    QPushButton* addRow_;
    QPushButton* removeRow_;
    QCheckBox* random_;
    QSpinBox* randomCount_;
    QSpinBox* seed_;
    QSpinBox* epochs_;
    QProgressBar* progress_;
    QLabel* status_;
    QTextEdit* log_;
    QPushButton* start_;
    QPushButton* stop_;
    int done_ = 0;
};

}  // namespace neura::gui
