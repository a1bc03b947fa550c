#pragma once
// InspectorPanel: one node seen from inside on one batch (a train::Capture) — every tensor of the
// node (its output and each parameter) with its gradient: statistics, histograms of values and
// gradients, a heatmap (one sample's time steps for a sequence), feature maps for image-shaped outputs,
// attention weights per head for attention layers and gate saturation for LSTM layers. Captures come from training
// (throttled, or a single step) or from "Capture batch", which runs one forward + backward of the
// project's current weights on a worker thread without changing them.
#include <QString>
#include <QWidget>
#include <memory>
#include <vector>

#include "neura/graph/Ids.h"
#include "neura/project/Project.h"
#include "neura/train/Insight.h"
#include "session/BackgroundTask.h"

class QCPBars;
class QCPColorMap;
class QCPColorScale;
class QCustomPlot;
class QGridLayout;
class QLabel;
class QPushButton;
class QSpinBox;
class QTabWidget;
class QToolButton;
class QTreeWidget;
class QAction;

namespace neura::gui {

class InspectorPanel : public QWidget {
    Q_OBJECT
public:
    explicit InspectorPanel(QWidget* parent = nullptr);
    ~InspectorPanel() override;  // stops a running capture; waits for it a little, then abandons it

    void setCapture(const train::CapturePtr& capture);
    const train::CapturePtr& capture() const { return capture_; }
    void setNode(graph::NodeId node);  // the canvas selection; invalid shows the first node with parameters
    graph::NodeId node() const { return node_; }
    // The step action (MainWindow's) shown as a button here.
    void setStepAction(QAction* action);

    // One forward + backward of `project` (its saved weights) on the first batch of its training
    // split, on a worker thread; captureReady() or captureFailed() follows. False while one runs.
    bool captureProject(const project::Project& project);
    bool isCapturing() const { return capturing_; }
    // Asks a running capture to stop (captureFailed follows, or captureReady when it was done).
    void cancelCapture() { task_.requestStop(); }
    // Stops a running capture and waits up to `ms` for it; one still running then is abandoned (its
    // result never arrives). True when no capture is left running.
    bool stopAndWait(int ms);

    // What the views show, for tests: the tensor rows, the selected row, the histogram bars.
    QTreeWidget* tensorTree() const { return tree_; }
    bool selectTensor(const QString& name);  // "output", "weight", ...
    QString selectedTensor() const;
    std::int64_t valueHistogramTotal() const;     // sum of the value bars' counts (plus non-finite)
    std::int64_t gradientHistogramTotal() const;  // the same for the gradient's bars
    int featureMapCount() const { return featureMaps_; }
    int attentionHeadCount() const { return attentionHeads_; }  // heatmaps in the Attention tab
    // The Gates tab's scatter plots (three per LSTM layer and direction: input, forget, output gate),
    // and the dots in each, in that order.
    int gatePlotCount() const { return static_cast<int>(gatePoints_.size()); }
    const std::vector<int>& gatePointCounts() const { return gatePoints_; }
    QSize heatmapSize() const;  // cells (columns, rows)

signals:
    // "Capture batch" was pressed: the window routes it to the running session or captureProject().
    void captureRequested();
    void captureReady(const neura::train::CapturePtr& capture);
    void captureFailed(const QString& message);

private:
    const train::NodeCapture* current() const;
    void rebuild();         // rows for the current node
    void showSelected();    // histograms, heatmap, feature maps of the selected row
    void showHistogram(QCustomPlot* plot, QCPBars* bars, const Tensor& t, std::int64_t* total, const QString& what);
    void showHeatmap(const Tensor& t, const QString& columns, const QString& rows);
    void showFeatureMaps(const Tensor& output);
    void showAttention(const Tensor& weights);  // [B, heads, L, S]
    void showGates(const train::NodeCapture* n);
    Tensor selectedValue() const;
    Tensor selectedGrad() const;

    train::CapturePtr capture_;
    graph::NodeId node_;
    BackgroundTask task_{this};
    bool capturing_ = false;
    std::int64_t valueTotal_ = 0, gradTotal_ = 0;
    int featureMaps_ = 0;
    int attentionHeads_ = 0;
    std::vector<int> gatePoints_;

    QLabel* title_;
    QLabel* where_;
    QLabel* dead_;
    QToolButton* stepButton_;
    QPushButton* captureButton_;
    QTreeWidget* tree_;
    QTabWidget* tabs_;
    QCustomPlot* valuePlot_;
    QCustomPlot* gradPlot_;
    QCPBars* valueBars_;
    QCPBars* gradBars_;
    QCustomPlot* heatPlot_;
    QCPColorMap* heatMap_;
    QCPColorScale* heatScale_;
    QSpinBox* sample_;
    QGridLayout* mapsGrid_;
    QLabel* mapsNote_;
    QGridLayout* attentionGrid_;
    QLabel* attentionNote_;
    QGridLayout* gatesGrid_;
    QLabel* gatesNote_;
};

}  // namespace neura::gui
