#include "panels/DecisionBoundaryView.h"

#include <QPainter>
#include <algorithm>
#include <limits>

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
    setAttribute(Qt::WA_OpaquePaintEvent);
}

bool DecisionBoundaryView::supports(const data::Dataset* data) {
    return data && data->is_classification() && data->feature_shape() == Shape{2};
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
    update();
}

void DecisionBoundaryView::setGrid(const BoundaryGridPtr& grid) {
    if (!grid || grid->width <= 0 || grid->height <= 0) return;
    grid_ = grid;
    xMin_ = grid->xMin;
    xMax_ = grid->xMax;
    yMin_ = grid->yMin;
    yMax_ = grid->yMax;
    QImage img(grid->width, grid->height, QImage::Format_ARGB32);
    const float chance = grid->classes > 0 ? 1.0f / static_cast<float>(grid->classes) : 0.5f;
    for (int j = 0; j < grid->height; ++j) {
        auto* line = reinterpret_cast<QRgb*>(img.scanLine(grid->height - 1 - j));  // row 0 of the grid is yMin
        for (int i = 0; i < grid->width; ++i) {
            const std::size_t k = static_cast<std::size_t>(j) * grid->width + i;
            const QColor c = classColor(grid->cls[k]);
            // Opacity from chance level (transparent) to certainty (strong), as the Playground shades.
            const float conf = std::clamp((grid->confidence[k] - chance) / std::max(1e-6f, 1.0f - chance), 0.0f, 1.0f);
            const int a = static_cast<int>(30 + 170 * conf);
            line[i] = qRgba(c.red(), c.green(), c.blue(), a);
        }
    }
    image_ = std::move(img);
    update();  // paint events coalesce; the session already sends at most a few grids a second
}

void DecisionBoundaryView::clearGrid() {
    grid_.reset();
    image_ = QImage();
    update();
}

QRectF DecisionBoundaryView::plotRect() const {
    // Square cells: keep the data's aspect ratio inside the widget, with a small margin.
    const QRectF area = QRectF(rect()).adjusted(6, 6, -6, -6);
    const double dx = xMax_ - xMin_, dy = yMax_ - yMin_;
    if (dx <= 0 || dy <= 0 || area.width() <= 0 || area.height() <= 0) return area;
    const double scale = std::min(area.width() / dx, area.height() / dy);
    QRectF r(0, 0, dx * scale, dy * scale);
    r.moveCenter(area.center());
    return r;
}

void DecisionBoundaryView::paintEvent(QPaintEvent*) {
    QPainter p(this);
    p.fillRect(rect(), palette().color(QPalette::Base));
    if (!supported_) {
        p.setPen(palette().color(QPalette::PlaceholderText));
        p.drawText(rect().adjusted(8, 8, -8, -8), Qt::AlignCenter | Qt::TextWordWrap,
                   tr("The decision boundary is shown for classification datasets with two features "
                      "(spiral, moons, circles, xor, blobs with 2 features)."));
        return;
    }
    const QRectF r = plotRect();
    p.fillRect(r, Qt::white);
    if (!image_.isNull()) {
        p.setRenderHint(QPainter::SmoothPixmapTransform, true);
        p.drawImage(r, image_);
    }
    p.setPen(QPen(QColor(0, 0, 0, 60), 1));
    p.drawRect(r);
    p.setRenderHint(QPainter::Antialiasing, true);
    const double sx = r.width() / (xMax_ - xMin_), sy = r.height() / (yMax_ - yMin_);
    const double radius = points_.size() > 2000 ? 2.0 : 3.5;
    p.setPen(QPen(Qt::white, 1.0));
    for (const Point& pt : points_) {
        const QPointF c(r.left() + (pt.x - xMin_) * sx, r.bottom() - (pt.y - yMin_) * sy);
        p.setBrush(classColor(pt.cls));
        p.drawEllipse(c, radius, radius);
    }
}

}  // namespace neura::gui
