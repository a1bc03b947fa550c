#pragma once
// PlotPalette: QCustomPlot draws in fixed colours (white background, black axes); this makes a plot
// take the application palette's instead, now and whenever the palette changes (View ▸ Dark Theme).
class QCustomPlot;

namespace neura::gui {

void followPalette(QCustomPlot* plot);

}  // namespace neura::gui
