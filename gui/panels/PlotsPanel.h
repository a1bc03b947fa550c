#pragma once
// PlotsPanel: train/validation loss (top) and accuracy (bottom) per epoch with QCustomPlot — live for
// the current run, with the project's previous runs overlaid (chosen in a check list). EMA smoothing,
// log-scale loss, zoom/pan, hover values, export (PlotExport: PNG, PDF, SVG, CSV). The axes follow the
// data (finite values only) until the user zooms or pans; Fit, a double click or a new run returns them
// to automatic ranges.
#include <QMap>
#include <QString>
#include <QVector>
#include <QWidget>
#include <vector>

#include "neura/project/Project.h"
#include "neura/train/Trainer.h"

class QCheckBox;
class QCPAxisRect;
class QCPGraph;
class QCustomPlot;
class QListWidget;
class QListWidgetItem;
class QMouseEvent;
class QSlider;
class QTimer;

namespace neura::gui {

class PlotsPanel : public QWidget {
    Q_OBJECT
public:
    explicit PlotsPanel(QWidget* parent = nullptr);

    // Series names: "train_loss", "val_loss", "train_accuracy", "val_accuracy".
    // Points the current run holds for a series (for tests and status displays).
    int currentPointCount(const QString& series) const;
    QVector<double> currentValues(const QString& series) const;  // raw (unsmoothed), in epoch order
    int previousRunCount() const;

    QCustomPlot* plot() const { return plot_; }
    QListWidget* runList() const { return runs_; }

    // 0 (raw) … 0.99: weight of the past in the exponential moving average, as TensorBoard's slider.
    void setSmoothing(double weight);
    void setLogLoss(bool on);

    // The plots as an image (PlotExport::exportPlot: the format follows the suffix).
    bool exportPng(const QString& path, int width = 0, int height = 0);
    bool exportPdf(const QString& path, int width = 0, int height = 0);

    // True once the user zoomed or panned: new epochs then leave the axes alone.
    bool userView() const { return userView_; }

public slots:
    // Clears the live series; `label` names the run in the list (e.g. "Run 4 (live)").
    void beginRun(const QString& label = QString());
    void addEpoch(const neura::train::EpochMetrics& metrics);
    void endRun();
    // The project's recorded runs, overlaid when checked (the newest is checked at first).
    void setRuns(const std::vector<neura::project::RunRecord>& runs);
    void clearAll();
    // Back to automatic ranges: every shown finite point in view (what Fit and a double click do).
    void resetView();

private:
    struct Series {
        QVector<double> epochs;  // 1-based
        QVector<double> values;
    };
    struct Run {
        QString label;
        bool live = false;
        QMap<QString, Series> series;
        QListWidgetItem* item = nullptr;
        std::vector<QCPGraph*> graphs;
    };

    void rebuildGraphs();
    void refreshData();
    void scheduleReplot();
    void autoscale();
    void showHover(QMouseEvent* event);
    QColor runColor(int index, bool validation) const;

    QCustomPlot* plot_;
    QCPAxisRect* lossRect_;
    QCPAxisRect* accRect_;
    QListWidget* runs_;
    QSlider* smoothing_;
    QCheckBox* logLoss_;
    QTimer* replotTimer_;
    std::vector<Run> history_;  // previous runs
    Run current_;
    bool hasCurrent_ = false;
    double smoothingWeight_ = 0.0;
    bool userView_ = false;
};

}  // namespace neura::gui
