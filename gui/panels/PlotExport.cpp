// PlotExport: images through QCustomPlot's own PNG and PDF writers and, for SVG (which it lacks), its
// painter on a QSvgGenerator; data as CSV read straight from the plottables.
#include "panels/PlotExport.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QMenu>
#include <QMessageBox>
#include <QSaveFile>
#include <QSvgGenerator>
#include <algorithm>
#include <qcustomplot.h>
#include <vector>

namespace neura::gui {

namespace {

QString tr(const char* text) { return QCoreApplication::translate("PlotExport", text); }

void setError(QString* error, const QString& text) {
    if (error) *error = text;
}

bool checkFolder(const QString& path, QString* error) {
    if (path.isEmpty()) {
        setError(error, tr("No file name was given for the export."));
        return false;
    }
    const QFileInfo info(path);
    if (!info.absoluteDir().exists()) {
        setError(error, tr("Cannot write %1: the folder %2 does not exist.")
                            .arg(QDir::toNativeSeparators(path), QDir::toNativeSeparators(info.absolutePath())));
        return false;
    }
    return true;
}

// Opens (creating or truncating) `path` once, so that a missing folder or a read-only place is reported
// in words before a writer that only says "false" is asked.
bool checkWritable(const QString& path, QString* error) {
    if (!checkFolder(path, error)) return false;
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly)) {
        setError(error, tr("Cannot write %1: %2.").arg(QDir::toNativeSeparators(path), f.errorString()));
        return false;
    }
    return true;
}

bool writeSvg(QCustomPlot* plot, const QString& path, int w, int h) {
    QSvgGenerator svg;
    svg.setFileName(path);
    svg.setSize(QSize(w, h));
    svg.setViewBox(QRect(0, 0, w, h));
    svg.setTitle(plot->windowTitle().isEmpty() ? QStringLiteral("NeuraStudio plot") : plot->windowTitle());
    svg.setDescription(QStringLiteral("Exported by NeuraStudio"));
    QCPPainter painter;
    if (!painter.begin(&svg)) return false;
    // As QCustomPlot's own PDF export: vector output, labels drawn as text rather than cached pixmaps.
    painter.setMode(QCPPainter::pmVectorized);
    painter.setMode(QCPPainter::pmNoCaching);
    plot->toPainter(&painter, w, h);
    return painter.end();
}

QString csvField(const QString& s) {
    if (!s.contains(QLatin1Char(',')) && !s.contains(QLatin1Char('"')) && !s.contains(QLatin1Char('\n'))
        && !s.contains(QLatin1Char('\r')))
        return s;
    QString q = s;
    q.replace(QLatin1String("\""), QLatin1String("\"\""));
    return QLatin1Char('"') + q + QLatin1Char('"');
}

QString number(double v) { return QString::number(v, 'g', QLocale::FloatingPointShortest); }

QString axisLabel(const QCPAxis* axis, const char* fallback) {
    return axis && !axis->label().isEmpty() ? axis->label() : QString::fromLatin1(fallback);
}

struct Column {
    QString header;
    QStringList cells;
};

}  // namespace

bool exportPlot(QCustomPlot* plot, const QString& path, int w, int h, QString* error) {
    if (!plot) {
        setError(error, tr("There is no plot to export to %1.").arg(QDir::toNativeSeparators(path)));
        return false;
    }
    const QString suffix = QFileInfo(path).suffix().toLower();
    if (suffix != QLatin1String("png") && suffix != QLatin1String("pdf") && suffix != QLatin1String("svg")) {
        setError(error, tr("Cannot export %1: the file name must end in .png, .pdf or .svg.")
                            .arg(QDir::toNativeSeparators(path)));
        return false;
    }
    if (!checkWritable(path, error)) return false;
    if (w <= 0 || h <= 0) {
        w = std::max(1, plot->width());
        h = std::max(1, plot->height());
    }
    bool ok = false;
    if (suffix == QLatin1String("png"))
        ok = plot->savePng(path, w, h);
    else if (suffix == QLatin1String("pdf"))
        ok = plot->savePdf(path, w, h, QCP::epAllowCosmetic, QStringLiteral("NeuraStudio"));
    else
        ok = writeSvg(plot, path, w, h);
    if (!ok) {
        QFile::remove(path);  // not the empty file checkWritable left
        setError(error, tr("Could not write the plot to %1.").arg(QDir::toNativeSeparators(path)));
    }
    return ok;
}

QString plotCsv(QCustomPlot* plot) {
    std::vector<Column> columns;
    if (plot) {
        for (int i = 0; i < plot->plottableCount(); ++i) {
            QCPAbstractPlottable* p = plot->plottable(i);
            if (!p->realVisibility()) continue;
            const QString name = p->name().isEmpty() ? tr("series %1").arg(i + 1) : p->name();
            const QString keyLabel = axisLabel(p->keyAxis(), "x"), valueLabel = axisLabel(p->valueAxis(), "y");
            Column x{QStringLiteral("%1 (%2)").arg(name, keyLabel), {}};
            Column y{QStringLiteral("%1 (%2)").arg(name, valueLabel), {}};
            if (auto* map = qobject_cast<QCPColorMap*>(p)) {
                QCPColorMapData* d = map->data();
                Column z{QStringLiteral("%1 (value)").arg(name), {}};
                for (int ki = 0; ki < d->keySize(); ++ki)
                    for (int vi = 0; vi < d->valueSize(); ++vi) {
                        double key = 0, value = 0;
                        d->cellToCoord(ki, vi, &key, &value);
                        x.cells << number(key);
                        y.cells << number(value);
                        z.cells << number(d->cell(ki, vi));
                    }
                columns.push_back(std::move(x));
                columns.push_back(std::move(y));
                columns.push_back(std::move(z));
                continue;
            }
            if (auto* curve = qobject_cast<QCPCurve*>(p)) {  // its main key is the parameter t, not x
                for (auto it = curve->data()->constBegin(); it != curve->data()->constEnd(); ++it) {
                    x.cells << number(it->key);
                    y.cells << number(it->value);
                }
            } else if (auto* graph = qobject_cast<QCPGraph*>(p)) {
                for (auto it = graph->data()->constBegin(); it != graph->data()->constEnd(); ++it) {
                    x.cells << number(it->key);
                    y.cells << number(it->value);
                }
            } else if (QCPPlottableInterface1D* one = p->interface1D()) {  // bars, boxes, …
                for (int k = 0; k < one->dataCount(); ++k) {
                    x.cells << number(one->dataMainKey(k));
                    y.cells << number(one->dataMainValue(k));
                }
            } else {
                continue;
            }
            columns.push_back(std::move(x));
            columns.push_back(std::move(y));
        }
    }
    QString out;
    QStringList header;
    qsizetype rows = 0;
    for (const Column& c : columns) {
        header << csvField(c.header);
        rows = std::max(rows, c.cells.size());
    }
    out += header.join(QLatin1Char(',')) + QLatin1Char('\n');
    for (qsizetype r = 0; r < rows; ++r) {
        QStringList line;
        for (const Column& c : columns) line << (r < c.cells.size() ? c.cells[r] : QString());
        out += line.join(QLatin1Char(',')) + QLatin1Char('\n');
    }
    return out;
}

bool exportPlotCsv(QCustomPlot* plot, const QString& path, QString* error) {
    if (!checkFolder(path, error)) return false;
    QSaveFile f(path);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Text)) {
        setError(error, tr("Cannot write %1: %2.").arg(QDir::toNativeSeparators(path), f.errorString()));
        return false;
    }
    f.write(plotCsv(plot).toUtf8());
    if (!f.commit()) {
        setError(error, tr("Could not write the plot's data to %1: %2.")
                            .arg(QDir::toNativeSeparators(path), f.errorString()));
        return false;
    }
    return true;
}

void exportPlotImageDialog(QCustomPlot* plot, const QString& baseName) {
    const QString png = tr("PNG image (*.png)"), pdf = tr("PDF document (*.pdf)"), svg = tr("SVG image (*.svg)");
    QString filter = png;
    QString path = QFileDialog::getSaveFileName(plot->window(), tr("Export Image"), baseName + ".png",
                                                png + ";;" + pdf + ";;" + svg, &filter);
    if (path.isEmpty()) return;
    if (QFileInfo(path).suffix().isEmpty())
        path += filter == pdf ? ".pdf" : filter == svg ? ".svg" : ".png";
    QString error;
    if (!exportPlot(plot, path, 0, 0, &error)) QMessageBox::warning(plot->window(), tr("Export Image"), error);
}

void exportPlotCsvDialog(QCustomPlot* plot, const QString& baseName) {
    QString path = QFileDialog::getSaveFileName(plot->window(), tr("Export Data"), baseName + ".csv",
                                                tr("CSV files (*.csv)"));
    if (path.isEmpty()) return;
    if (QFileInfo(path).suffix().isEmpty()) path += ".csv";
    QString error;
    if (!exportPlotCsv(plot, path, &error)) QMessageBox::warning(plot->window(), tr("Export Data"), error);
}

void addPlotExportActions(QMenu* menu, QCustomPlot* plot, const QString& baseName) {
    QPointer<QCustomPlot> guard(plot);
    menu->addAction(tr("Export Image (PNG, PDF, SVG)…"), menu, [guard, baseName] {
        if (guard) exportPlotImageDialog(guard, baseName);
    });
    menu->addAction(tr("Export Data (CSV)…"), menu, [guard, baseName] {
        if (guard) exportPlotCsvDialog(guard, baseName);
    });
}

void installPlotExportMenu(QCustomPlot* plot, const QString& baseName, std::function<void(QMenu*)> extend) {
    plot->setContextMenuPolicy(Qt::CustomContextMenu);
    QObject::connect(plot, &QWidget::customContextMenuRequested, plot, [plot, baseName, extend](const QPoint& pos) {
        QMenu menu(plot);
        addPlotExportActions(&menu, plot, baseName);
        if (extend) {
            menu.addSeparator();
            extend(&menu);
        }
        menu.exec(plot->mapToGlobal(pos));
    });
}

}  // namespace neura::gui
