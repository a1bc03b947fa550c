// DecisionBoundaryView: the predicted class as a QCPColorMap (value: the class, alpha: the confidence)
// and the samples as one scatter graph per class.
#include "panels/DecisionBoundaryView.h"

#include <QEvent>
#include <QLabel>
#include <QStackedLayout>
#include <algorithm>
#include <limits>
#include <qcustomplot.h>

#include "panels/PlotExport.h"
#include "panels/PlotPalette.h"

namespace neura::gui {

QColor classColor(int cls) {
    static const QColor palette[] = {QColor(0xf5, 0x93, 0x22), QColor(0x08, 0x77, 0xbd), QColor(0x2c, 0xa0, 0x2c),
                                     QColor(0xd6, 0x27, 0x28), QColor(0x94, 0x67, 0xbd), QColor(0x8c, 0x56, 0x4b),
                                     QColor(0xe3, 0x77, 0xc2), QColor(0x7f, 0x7f, 0x7f), QColor(0xbc, 0xbd, 0x22),
                                     QColor(0x17, 0xbe, 0xcf)};
    if (cls < 0) return Qt::black;
    QColor c = palette[cls % 10];
    return cls < 10 ? c : c.darker(100 + 30 * (cls / 10));
}

DecisionBoundaryView::DecisionBoundaryView(QWidget* parent) : QWidget(parent) {
    setMinimumSize(160, 160);
    stack_ = new QStackedLayout(this);
    stack_->setContentsMargins(0, 0, 0, 0);
    note_ = new QLabel(tr("The decision boundary is shown for classification datasets with two features "
                          "(spiral, moons, circles, xor, blobs with 2 features)."));
    note_->setWordWrap(true);
    note_->setAlignment(Qt::AlignCenter);
    note_->setMargin(8);
    note_->setForegroundRole(QPalette::PlaceholderText);
    stack_->addWidget(note_);

    plot_ = new QCustomPlot;
    plot_->xAxis->setLabel(tr("feature 1"));
    plot_->yAxis->setLabel(tr("feature 2"));
    // The dock is narrow: tick labels inside the plane leave the data most of the room.
    for (QCPAxis* axis : {plot_->xAxis, plot_->yAxis}) {
        axis->setTickLabelSide(QCPAxis::lsInside);
        axis->setLabelPadding(2);
    }
    plot_->axisRect()->setAutoMargins(QCP::msLeft | QCP::msBottom);
    plot_->axisRect()->setMargins(QMargins(0, 6, 6, 0));
    map_ = new QCPColorMap(plot_->xAxis, plot_->yAxis);
    map_->setName(tr("predicted class"));
    map_->setInterpolate(true);  // smooth, as the Playground
    map_->setVisible(false);
    followPalette(plot_);
    installPlotExportMenu(plot_, QStringLiteral("decision-boundary"));
    connect(plot_, &QCustomPlot::afterLayout, this, &DecisionBoundaryView::keepAspect);
    stack_->addWidget(plot_);
    stack_->setCurrentWidget(note_);
}

bool DecisionBoundaryView::supports(const data::Dataset* data) {
    return data && data->is_classification() && data->feature_shape() == Shape{2};
}

bool DecisionBoundaryView::dark() const { return palette().color(QPalette::Base).lightness() < 128; }

int DecisionBoundaryView::cellAlpha(float confidence, int classes) const {
    // Opacity from chance level (faint) to certainty (strong), as the Playground shades; in the dark theme
    // the strongest tint stays well below the light theme's, so the plane reads as a dark, tinted ground.
    const float chance = classes > 0 ? 1.0f / static_cast<float>(classes) : 0.5f;
    const float conf = std::clamp((confidence - chance) / std::max(1e-6f, 1.0f - chance), 0.0f, 1.0f);
    return dark() ? static_cast<int>(20 + 100 * conf) : static_cast<int>(30 + 170 * conf);
}

void DecisionBoundaryView::setDataset(const data::DatasetPtr& data) {
    points_.clear();
    supported_ = supports(data.get());
    clearGrid();
    if (supported_) {
        points_.reserve(static_cast<std::size_t>(data->size()));
        double x0 = std::numeric_limits<double>::max(), x1 = std::numeric_limits<double>::lowest();
        double y0 = x0, y1 = x1;
        float f[2];
        for (std::int64_t i = 0; i < data->size(); ++i) {
            data->read_features(i, f);
            points_.push_back({f[0], f[1], static_cast<int>(data->label(i))});
            x0 = std::min<double>(x0, f[0]);
            x1 = std::max<double>(x1, f[0]);
            y0 = std::min<double>(y0, f[1]);
            y1 = std::max<double>(y1, f[1]);
        }
        if (!points_.empty()) {  // the same 10% padding as the session's grid
            const double px = std::max(1e-6, (x1 - x0) * 0.1), py = std::max(1e-6, (y1 - y0) * 0.1);
            xMin_ = x0 - px;
            xMax_ = x1 + px;
            yMin_ = y0 - py;
            yMax_ = y1 + py;
        }
    }
    stack_->setCurrentWidget(supported_ ? static_cast<QWidget*>(plot_) : note_);
    rebuildSamples();
}

void DecisionBoundaryView::rebuildSamples() {
    for (QCPGraph* g : samples_) plot_->removeGraph(g);
    samples_.clear();
    int classes = 0;
    for (const Point& pt : points_) classes = std::max(classes, pt.cls + 1);
    std::vector<QVector<double>> xs(static_cast<std::size_t>(classes)), ys(xs.size());
    for (const Point& pt : points_) {
        if (pt.cls < 0) continue;
        xs[static_cast<std::size_t>(pt.cls)].push_back(pt.x);
        ys[static_cast<std::size_t>(pt.cls)].push_back(pt.y);
    }
    for (int c = 0; c < classes; ++c) {
        QCPGraph* g = plot_->addGraph(plot_->xAxis, plot_->yAxis);
        g->setName(tr("class %1 samples").arg(c));
        g->setLineStyle(QCPGraph::lsNone);
        g->setData(xs[static_cast<std::size_t>(c)], ys[static_cast<std::size_t>(c)]);
        samples_.push_back(g);
    }
    recolour();
}

void DecisionBoundaryView::setGrid(const BoundaryGridPtr& grid) {
    if (!grid || grid->width <= 0 || grid->height <= 0) return;
    grid_ = grid;
    xMin_ = grid->xMin;
    xMax_ = grid->xMax;
    yMin_ = grid->yMin;
    yMax_ = grid->yMax;
    recolour();  // paint events coalesce; the session already sends at most a few grids a second
}

void DecisionBoundaryView::clearGrid() {
    grid_.reset();
    image_ = QImage();
    map_->setVisible(false);
    plot_->replot(QCustomPlot::rpQueuedReplot);
}

void DecisionBoundaryView::recolour() {
    const QColor base = palette().color(QPalette::Base);
    const double radius = points_.size() > 2000 ? 2.0 : 3.5;
    for (std::size_t c = 0; c < samples_.size(); ++c)
        samples_[c]->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, QPen(base, 1.0),
                                                     QBrush(classColor(static_cast<int>(c))), 2 * radius));
    if (grid_) {
        const BoundaryGrid& g = *grid_;
        int classes = std::max(1, g.classes);
        for (std::uint8_t c : g.cls) classes = std::max(classes, c + 1);
        // Cell centres, as the session evaluates them: xMin + (i + 0.5) * cell width.
        const double cx = (g.xMax - g.xMin) / g.width, cy = (g.yMax - g.yMin) / g.height;
        auto* data = new QCPColorMapData(g.width, g.height, QCPRange(g.xMin + cx / 2, g.xMax - cx / 2),
                                         QCPRange(g.yMin + cy / 2, g.yMax - cy / 2));
        QImage img(g.width, g.height, QImage::Format_RGB32);
        for (int j = 0; j < g.height; ++j) {
            auto* line = reinterpret_cast<QRgb*>(img.scanLine(g.height - 1 - j));  // row 0 of the grid is yMin
            for (int i = 0; i < g.width; ++i) {
                const std::size_t k = static_cast<std::size_t>(j) * g.width + i;
                const int a = cellAlpha(g.confidence[k], g.classes);
                data->setCell(i, j, g.cls[k]);
                data->setAlpha(i, j, static_cast<unsigned char>(a));
                const QColor c = classColor(g.cls[k]);
                auto mix = [a](int fg, int bg) { return (fg * a + bg * (255 - a) + 127) / 255; };
                line[i] = qRgb(mix(c.red(), base.red()), mix(c.green(), base.green()), mix(c.blue(), base.blue()));
            }
        }
        image_ = std::move(img);
        // One colour per class: stops at the classes' values, as many levels as classes (value c → level c).
        QCPColorGradient gradient;
        gradient.clearColorStops();
        gradient.setColorInterpolation(QCPColorGradient::ciRGB);
        for (int c = 0; c < classes; ++c)
            gradient.setColorStopAt(classes == 1 ? 0.0 : static_cast<double>(c) / (classes - 1), classColor(c));
        if (classes == 1) gradient.setColorStopAt(1.0, classColor(0));
        gradient.setLevelCount(std::max(2, classes));
        map_->setData(data);
        map_->setGradient(gradient);
        map_->setDataRange(QCPRange(0, std::max(1, classes - 1)));
        map_->setVisible(true);
    }
    plot_->replot(QCustomPlot::rpQueuedReplot);
}

void DecisionBoundaryView::keepAspect() {
    // Runs after each layout (QCustomPlot::afterLayout), when the axis rect's size is known; a change of
    // range asks for one more replot, so the ticks follow. The same size gives the same ranges: it settles.
    QCPAxis* x = plot_->xAxis;
    QCPAxis* y = plot_->yAxis;
    const QCPRange oldX = x->range(), oldY = y->range();
    x->setRange(xMin_, xMax_);
    y->setRange(yMin_, yMax_);
    const QRect r = plot_->axisRect()->rect();
    const double dx = xMax_ - xMin_, dy = yMax_ - yMin_;
    if (r.width() > 0 && r.height() > 0 && dx > 0 && dy > 0) {
        if (r.width() / dx > r.height() / dy)
            x->setScaleRatio(y, 1.0);
        else
            y->setScaleRatio(x, 1.0);
    }
    if (x->range() != oldX || y->range() != oldY) plot_->replot(QCustomPlot::rpQueuedReplot);
}

void DecisionBoundaryView::changeEvent(QEvent* event) {
    QWidget::changeEvent(event);
    if (event->type() == QEvent::PaletteChange && plot_) recolour();  // View ▸ Dark Theme: the tints follow
}

}  // namespace neura::gui
