#include "panels/ConfusionMatrixView.h"

#include <QFontMetricsF>
#include <QMouseEvent>
#include <QPainter>
#include <algorithm>
#include <cmath>

namespace neura::gui {

namespace {
constexpr double kAxisTitle = 18;  // room for "true" / "predicted"
constexpr double kPad = 6;

QColor mix(const QColor& a, const QColor& b, double t) {
    return QColor::fromRgbF(static_cast<float>(a.redF() * (1 - t) + b.redF() * t),
                            static_cast<float>(a.greenF() * (1 - t) + b.greenF() * t),
                            static_cast<float>(a.blueF() * (1 - t) + b.blueF() * t));
}
}  // namespace

ConfusionMatrixView::ConfusionMatrixView(QWidget* parent) : QWidget(parent) {
    setMouseTracking(false);
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
}

void ConfusionMatrixView::setMatrix(std::vector<std::int64_t> counts, const QStringList& classNames) {
    counts_ = std::move(counts);
    classes_ = static_cast<int>(std::lround(std::sqrt(static_cast<double>(counts_.size()))));
    names_ = classNames;
    while (names_.size() < classes_) names_ << QString::number(names_.size());
    selTruth_ = selPred_ = -1;
    update();
}

void ConfusionMatrixView::setNormalized(bool rowNormalized) {
    normalized_ = rowNormalized;
    update();
}

std::int64_t ConfusionMatrixView::count(int truth, int predicted) const {
    if (truth < 0 || predicted < 0 || truth >= classes_ || predicted >= classes_) return 0;
    return counts_[static_cast<std::size_t>(truth * classes_ + predicted)];
}

double ConfusionMatrixView::value(int truth, int predicted) const {
    if (!normalized_) return static_cast<double>(count(truth, predicted));
    std::int64_t row = 0;
    for (int c = 0; c < classes_; ++c) row += count(truth, c);
    return row ? static_cast<double>(count(truth, predicted)) / static_cast<double>(row) : 0.0;
}

QString ConfusionMatrixView::cellText(int truth, int predicted) const {
    return normalized_ ? QString::number(value(truth, predicted), 'f', 2) : QString::number(count(truth, predicted));
}

ConfusionMatrixView::Geometry ConfusionMatrixView::geometry() const {
    Geometry g;
    if (classes_ <= 0) return g;
    const QFontMetricsF fm(font());
    double nameWidth = 0;
    for (const QString& n : names_) nameWidth = std::max(nameWidth, fm.horizontalAdvance(n));
    nameWidth = std::min(nameWidth, 110.0);
    g.left = kAxisTitle + nameWidth + kPad;
    const double bottomRoom = fm.height() + kAxisTitle + kPad;
    g.top = kPad;
    const double w = width() - g.left - kPad, h = height() - g.top - bottomRoom;
    g.cell = std::max(4.0, std::floor(std::min(w, h) / classes_));
    return g;
}

QRect ConfusionMatrixView::cellRect(int truth, int predicted) const {
    if (truth < 0 || predicted < 0 || truth >= classes_ || predicted >= classes_) return {};
    const Geometry g = geometry();
    return QRectF(g.left + predicted * g.cell, g.top + truth * g.cell, g.cell, g.cell).toAlignedRect();
}

void ConfusionMatrixView::activateCell(int truth, int predicted) {
    if (truth < 0 || predicted < 0 || truth >= classes_ || predicted >= classes_) {
        selTruth_ = selPred_ = -1;
        update();
        return;
    }
    selTruth_ = truth;
    selPred_ = predicted;
    update();
    emit cellActivated(truth, predicted);
}

void ConfusionMatrixView::mousePressEvent(QMouseEvent* e) {
    if (e->button() != Qt::LeftButton || classes_ <= 0) return;
    const Geometry g = geometry();
    const QPointF p = e->position();
    const int col = static_cast<int>(std::floor((p.x() - g.left) / g.cell));
    const int row = static_cast<int>(std::floor((p.y() - g.top) / g.cell));
    if (p.x() >= g.left && p.y() >= g.top && row < classes_ && col < classes_) activateCell(row, col);
}

void ConfusionMatrixView::paintEvent(QPaintEvent*) {
    QPainter p(this);
    p.setRenderHint(QPainter::Antialiasing, false);
    const QPalette& pal = palette();
    if (classes_ <= 0) return;
    const Geometry g = geometry();
    const QColor base = pal.color(QPalette::Base), text = pal.color(QPalette::Text);
    const QColor hot(56, 116, 203);  // the studio's blue, as the canvas's Core layers
    QFont cellFont = font();
    if (g.cell < 26) cellFont.setPointSizeF(std::max(6.0, cellFont.pointSizeF() * 0.8));
    const QFontMetricsF fm(font());
    // Shade by the share of the row (so a rare class's correct cell is as dark as a common one's).
    for (int t = 0; t < classes_; ++t) {
        std::int64_t rowSum = 0;
        for (int c = 0; c < classes_; ++c) rowSum += count(t, c);
        for (int c = 0; c < classes_; ++c) {
            const QRectF r(g.left + c * g.cell, g.top + t * g.cell, g.cell, g.cell);
            const double share = rowSum ? static_cast<double>(count(t, c)) / static_cast<double>(rowSum) : 0.0;
            const QColor fill = mix(base, hot, 0.08 + 0.92 * share);
            p.fillRect(r, fill);
            p.setPen(QPen(mix(base, text, 0.25), 1));
            p.drawRect(r);
            const double lum = 0.299 * fill.redF() + 0.587 * fill.greenF() + 0.114 * fill.blueF();
            p.setPen(lum < 0.5 ? QColor(Qt::white) : QColor(20, 20, 20));
            p.setFont(cellFont);
            if (g.cell >= 14) p.drawText(r, Qt::AlignCenter, cellText(t, c));
        }
    }
    if (selTruth_ >= 0) {
        p.setPen(QPen(QColor(230, 120, 20), 3));
        p.setBrush(Qt::NoBrush);
        p.drawRect(QRectF(g.left + selPred_ * g.cell + 1, g.top + selTruth_ * g.cell + 1, g.cell - 2, g.cell - 2));
    }
    // Axes: class names beside the rows and under the columns, then the axis titles.
    p.setFont(font());
    p.setPen(text);
    const double nameRight = g.left - kPad / 2;
    for (int t = 0; t < classes_; ++t)
        p.drawText(QRectF(kAxisTitle, g.top + t * g.cell, nameRight - kAxisTitle - 2, g.cell),
                   Qt::AlignRight | Qt::AlignVCenter, fm.elidedText(names_[t], Qt::ElideRight, nameRight - kAxisTitle - 2));
    const double gridBottom = g.top + classes_ * g.cell;
    for (int c = 0; c < classes_; ++c)
        p.drawText(QRectF(g.left + c * g.cell, gridBottom + 2, g.cell, fm.height()), Qt::AlignCenter,
                   fm.elidedText(names_[c], Qt::ElideRight, g.cell));
    QFont title = font();
    title.setBold(true);
    p.setFont(title);
    p.drawText(QRectF(g.left, gridBottom + fm.height() + 2, classes_ * g.cell, kAxisTitle), Qt::AlignCenter,
               tr("predicted"));
    p.save();
    p.translate(0, g.top + classes_ * g.cell / 2);
    p.rotate(-90);
    p.drawText(QRectF(-classes_ * g.cell / 2, 0, classes_ * g.cell, kAxisTitle), Qt::AlignCenter, tr("true"));
    p.restore();
}

}  // namespace neura::gui
