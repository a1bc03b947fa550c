#pragma once
// PlotExport: saving any QCustomPlot of the studio as an image (PNG, PDF or SVG, chosen by the file's
// suffix) or its data as CSV, both as plain functions (tests, scripts) and as a context menu a panel
// installs on its plot. Failures come back as a sentence naming the file; nothing here throws.
#include <QString>
#include <functional>

class QCustomPlot;
class QMenu;

namespace neura::gui {

// Writes `plot` to `path` as PNG, PDF or SVG by its suffix (case-insensitive), `w` × `h` pixels (0: the
// plot's size on screen). False, with a sentence naming the path in `*error`, when the suffix is none of
// those or the file cannot be written.
bool exportPlot(QCustomPlot* plot, const QString& path, int w = 0, int h = 0, QString* error = nullptr);

// Writes the data of every visible graph, curve and other one-dimensional plottable as a column pair
// ("<series> (<key axis label>)", "<series> (<value axis label>)"), one point a row, and of every visible
// colour map as three columns (x, y, value, one cell a row). Series of different lengths leave the cells
// past their end empty. False, with a sentence naming the path, when the file cannot be written.
bool exportPlotCsv(QCustomPlot* plot, const QString& path, QString* error = nullptr);

// The CSV text exportPlotCsv writes.
QString plotCsv(QCustomPlot* plot);

// Gives `plot` a context menu with "Export Image (PNG, PDF, SVG)…" and "Export Data (CSV)…", which ask
// for a file (suggesting `baseName` plus the suffix) and report a failure in a message box. `extend`, when
// given, adds the panel's own actions to the menu (after a separator) each time it opens.
void installPlotExportMenu(QCustomPlot* plot, const QString& baseName,
                           std::function<void(QMenu*)> extend = {});

// The two export actions, added to `menu` (for panels that build their own menus or buttons).
void addPlotExportActions(QMenu* menu, QCustomPlot* plot, const QString& baseName);

// The dialogs behind those actions (the file dialog, then a message box on failure).
void exportPlotImageDialog(QCustomPlot* plot, const QString& baseName);
void exportPlotCsvDialog(QCustomPlot* plot, const QString& baseName);

}  // namespace neura::gui
