#pragma once
// RunsPanel: the open project's runs side by side — a sortable, filterable table (a column per setting
// a sweep varied or the training setups differ in, the final metrics and the training time), the
// selected runs' curves overlaid, a parallel-coordinates plot of settings and metrics, and a runs chart
// (a validation metric against training time or MACs). "Use This Run's Settings" and "Compare Models"
// are requests the window carries out (MainWindow::useRunSettings, compareRuns).
#include <QStringList>
#include <QWidget>
#include <map>
#include <vector>

#include "neura/project/Project.h"

class QAction;
class QComboBox;
class QCustomPlot;
class QLabel;
class QLineEdit;
class QSortFilterProxyModel;
class QStandardItemModel;
class QTableView;

namespace neura::gui {

class RunsPanel : public QWidget {
    Q_OBJECT
public:
    explicit RunsPanel(QWidget* parent = nullptr);

    void setRuns(const std::vector<project::RunRecord>& runs);
    const std::vector<project::RunRecord>& runs() const { return runs_; }

    // ---- what the table shows (tests) ----
    QTableView* table() const { return table_; }
    QStandardItemModel* model() const { return model_; }
    QSortFilterProxyModel* proxy() const { return proxy_; }
    QLineEdit* filterEdit() const { return filter_; }
    // The setting columns' headers, in order: settings a sweep varied ("lr", "fc1.out_features"), then
    // training-setup fields that differ between runs ("batch_size", "scheduler.type").
    const QStringList& settingColumns() const { return settingKeys_; }
    int columnOf(const QString& header) const;  // -1 when there is no such column

    // Indices into runs() of the selected rows, in the runs' order.
    std::vector<int> selectedRuns() const;
    void selectRuns(const std::vector<int>& indices);

    QCustomPlot* curvesPlot() const { return curves_; }
    QCustomPlot* parallelPlot() const { return parallel_; }
    QCustomPlot* chartPlot() const { return chart_; }
    QComboBox* chartAxisChoice() const { return chartAxis_; }
    QAction* useSettingsAction() const { return useAct_; }
    QAction* compareAction() const { return compareAct_; }

    // The run's settings as "key" → value text: the sweep's settings_json, then its training setup
    // flattened ("scheduler.type"); what the table's columns read.
    static std::map<QString, QString> flattenedSettings(const project::RunRecord& run);
    // The keys of the run's settings_json (what its sweep set), sorted.
    static QStringList sweptKeys(const project::RunRecord& run);
    // Total training time: final_metrics_json's "seconds" (a sweep's wall clock of the run), else the sum
    // of the per-epoch "seconds" metric; -1 when neither was recorded.
    static double trainingSeconds(const project::RunRecord& run);
    // Multiply-accumulates per sample of the run's model (graph::ShapeReport::total_macs); -1 when the
    // run kept no model or a layer gives no count.
    static double runMacs(const project::RunRecord& run);

signals:
    void useSettingsRequested(int runIndex);
    void compareRequested(int beforeIndex, int afterIndex);

private:
    void rebuildTable();
    void onSelectionChanged();
    void refreshCurves();
    void refreshParallel();
    void refreshChart();
    QColor runColour(int index) const;
    QString runLabel(int index) const;

    std::vector<project::RunRecord> runs_;
    QStringList settingKeys_;
    QStringList metricKeys_;  // "train_loss", "val_loss", "val_accuracy"
    QLineEdit* filter_;
    QLabel* count_;
    QStandardItemModel* model_;
    QSortFilterProxyModel* proxy_;
    QTableView* table_;
    QCustomPlot* curves_;
    QCustomPlot* parallel_;
    QCustomPlot* chart_;
    QComboBox* chartAxis_;
    QAction* useAct_;
    QAction* compareAct_;
};

}  // namespace neura::gui
