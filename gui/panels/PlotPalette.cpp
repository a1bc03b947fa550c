#include "panels/PlotPalette.h"

#include <QApplication>
#include <QEvent>
#include <qcustomplot.h>

namespace neura::gui {

namespace {

void applyPalette(QCustomPlot* plot) {
    const QPalette pal = QApplication::palette();
    const QColor base = pal.color(QPalette::Base), text = pal.color(QPalette::Text);
    QColor grid = text;
    grid.setAlphaF(0.18f);
    QColor subGrid = text;
    subGrid.setAlphaF(0.08f);
    plot->setBackground(base);
    for (QCPAxisRect* rect : plot->axisRects()) {
        rect->setBackground(base);
        for (QCPAxis* axis : rect->axes()) {
            axis->setBasePen(QPen(text, 1));
            axis->setTickPen(QPen(text, 1));
            axis->setSubTickPen(QPen(text, 1));
            axis->setTickLabelColor(text);
            axis->setLabelColor(text);
            axis->grid()->setPen(QPen(grid, 1, Qt::DotLine));
            axis->grid()->setSubGridPen(QPen(subGrid, 1, Qt::DotLine));
            axis->grid()->setZeroLinePen(QPen(grid, 1));
        }
    }
    if (plot->legend) {
        QColor legendBase = base;
        legendBase.setAlpha(200);
        plot->legend->setBrush(legendBase);
        plot->legend->setBorderPen(QPen(grid, 1));
        plot->legend->setTextColor(text);
    }
    plot->replot(QCustomPlot::rpQueuedReplot);
}

// Restyles its plot when the palette changes.
class PaletteFollower : public QObject {
public:
    explicit PaletteFollower(QCustomPlot* plot) : QObject(plot), plot_(plot) {}

protected:
    bool eventFilter(QObject* watched, QEvent* e) override {
        if (watched == plot_ && (e->type() == QEvent::PaletteChange || e->type() == QEvent::ApplicationPaletteChange))
            applyPalette(plot_);
        return false;
    }

private:
    QCustomPlot* plot_;
};

}  // namespace

void followPalette(QCustomPlot* plot) {
    plot->installEventFilter(new PaletteFollower(plot));
    applyPalette(plot);
}

}  // namespace neura::gui
