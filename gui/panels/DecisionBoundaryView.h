#pragma once
// DecisionBoundaryView: for a 2-D classification dataset, the network's predicted class over the
// feature plane (TensorFlow Playground style: class colour, opacity by confidence) with the samples
// drawn on top. The grid comes from TrainingSession::boundaryUpdated (evaluated on the worker thread,
// so the view never touches a network that is training).
#include <QImage>
#include <QWidget>
#include <vector>

#include "neura/data/Dataset.h"
#include "session/TrainingSession.h"

namespace neura::gui {

// The class colours every view of the studio shares (Playground's orange and blue first).
QColor classColor(int cls);

class DecisionBoundaryView : public QWidget {
    Q_OBJECT
public:
    explicit DecisionBoundaryView(QWidget* parent = nullptr);

    // True when `data` is a classification set with 2 features: the only kind this view can show.
    static bool supports(const data::Dataset* data);

    const QImage& image() const { return image_; }  // the last grid, one pixel per cell (row 0 at the top)
    qint64 gridStep() const { return grid_ ? grid_->globalStep : -1; }
    int pointCount() const { return static_cast<int>(points_.size()); }

    QSize sizeHint() const override { return {320, 320}; }

public slots:
    void setDataset(const neura::data::DatasetPtr& data);  // the samples to draw; unsupported sets show a note
    void setGrid(const neura::gui::BoundaryGridPtr& grid);
    void clearGrid();

protected:
    void paintEvent(QPaintEvent* event) override;

private:
    struct Point {
        float x, y;
        int cls;
    };
    QRectF plotRect() const;

    std::vector<Point> points_;
    bool supported_ = false;
    double xMin_ = -1, xMax_ = 1, yMin_ = -1, yMax_ = 1;
    BoundaryGridPtr grid_;
    QImage image_;
};

}  // namespace neura::gui
