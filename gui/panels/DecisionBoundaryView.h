#pragma once
// DecisionBoundaryView: for a 2-D classification dataset, the network's predicted class over the
// feature plane (TensorFlow Playground style: class colour, opacity by confidence) with the samples
// drawn on top, in a QCustomPlot (a colour map of the predicted class under one scatter graph per
// class) so it exports as the other plots do (PlotExport: image, or the grid and samples as CSV). The
// tints follow the theme: over the palette's base colour, fainter in the dark theme. The grid comes from
// TrainingSession::boundaryUpdated (evaluated on the worker thread, so the view never touches a network
// that is training).
#include <QImage>
#include <QWidget>
#include <vector>

#include "neura/data/Dataset.h"
#include "session/TrainingSession.h"

class QCPColorMap;
class QCPGraph;
class QCustomPlot;
class QLabel;
class QStackedLayout;

namespace neura::gui {

// The class colours every view of the studio shares (Playground's orange and blue first).
QColor classColor(int cls);

class DecisionBoundaryView : public QWidget {
    Q_OBJECT
public:
    explicit DecisionBoundaryView(QWidget* parent = nullptr);

    // True when `data` is a classification set with 2 features: the only kind this view can show.
    static bool supports(const data::Dataset* data);

    // The last grid as shown, one opaque pixel per cell (row 0 at the top): the class colour over the
    // theme's background at the cell's opacity, without the samples.
    const QImage& image() const { return image_; }
    qint64 gridStep() const { return grid_ ? grid_->globalStep : -1; }
    int pointCount() const { return static_cast<int>(points_.size()); }
    QCustomPlot* plot() const { return plot_; }

    QSize sizeHint() const override { return {320, 320}; }

public slots:
    void setDataset(const neura::data::DatasetPtr& data);  // the samples to draw; unsupported sets show a note
    void setGrid(const neura::gui::BoundaryGridPtr& grid);
    void clearGrid();

protected:
    void changeEvent(QEvent* event) override;

private:
    struct Point {
        float x, y;
        int cls;
    };
    bool dark() const;
    int cellAlpha(float confidence, int classes) const;
    void recolour();       // the grid's tints and the samples' outlines, for the present palette
    void keepAspect();     // square cells: the data's extent fills the axis rect at one scale
    void rebuildSamples();

    QStackedLayout* stack_ = nullptr;
    QLabel* note_ = nullptr;
    QCustomPlot* plot_ = nullptr;
    QCPColorMap* map_ = nullptr;
    std::vector<QCPGraph*> samples_;  // one scatter graph per class
    std::vector<Point> points_;
    bool supported_ = false;
    double xMin_ = -1, xMax_ = 1, yMin_ = -1, yMax_ = 1;
    BoundaryGridPtr grid_;
    QImage image_;
};

}  // namespace neura::gui
