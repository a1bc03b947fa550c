// Plot export (panels/PlotExport): PNG, PDF and SVG files are written and valid at the asked size, the
// CSV holds exactly the points put into the plot under headers from the series' and axes' names, a file
// that cannot be written is refused with a sentence naming it, and the studio's plots offer both exports.
#include <QFile>
#include <QImage>
#include <QTemporaryDir>
#include <QXmlStreamReader>
#include <QtTest>
#include <cmath>
#include <qcustomplot.h>

#include "gui/QuietWindow.h"
#include "neura/data/DatasetRegistry.h"
#include "panels/DecisionBoundaryView.h"
#include "panels/PlotExport.h"
#include "panels/PlotsPanel.h"

using namespace neura;
using namespace neura::gui;

namespace {

QByteArray readAll(const QString& path) {
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

// Splits CSV text written without quoted fields (the test's names have no commas) into rows of cells.
QList<QStringList> parseCsv(const QString& text) {
    QList<QStringList> rows;
    for (const QString& line : text.split(QLatin1Char('\n'), Qt::SkipEmptyParts))
        rows << line.split(QLatin1Char(','));
    return rows;
}

}  // namespace

class TestPlotExport : public QObject {
    Q_OBJECT
private slots:
    void init() {
        plot_ = std::make_unique<QCustomPlot>();
        plot_->resize(500, 350);
        plot_->xAxis->setLabel("learning epoch");
        plot_->yAxis->setLabel("cross entropy");
        QCPGraph* g = plot_->addGraph();
        g->setName("train loss");
        g->setData({1, 2, 3}, {0.5, 0.25, 1.0 / 3.0});
        plot_->rescaleAxes();
    }
    void cleanup() { plot_.reset(); }

    void imagesAreWritten() {
        QTemporaryDir dir;
        QString error;
        // PNG at the asked size (an upper-case suffix works too).
        const QString png = dir.filePath("plot.PNG");
        QVERIFY2(exportPlot(plot_.get(), png, 400, 300, &error), qPrintable(error));
        QImage img(png);
        QVERIFY(!img.isNull());
        QCOMPARE(img.size(), QSize(400, 300));
        // Not blank: the axes and the curve are drawn.
        QSet<QRgb> colours;
        for (int y = 0; y < img.height(); y += 3)
            for (int x = 0; x < img.width(); x += 3) colours.insert(img.pixel(x, y));
        QVERIFY(colours.size() > 3);
        // Without a size: the plot's own.
        QVERIFY(exportPlot(plot_.get(), dir.filePath("own.png")));
        QCOMPARE(QImage(dir.filePath("own.png")).size(), QSize(500, 350));

        const QString pdf = dir.filePath("plot.pdf");
        QVERIFY2(exportPlot(plot_.get(), pdf, 400, 300, &error), qPrintable(error));
        QVERIFY(readAll(pdf).startsWith("%PDF"));

        const QString svg = dir.filePath("plot.svg");
        QVERIFY2(exportPlot(plot_.get(), svg, 400, 300, &error), qPrintable(error));
        const QByteArray text = readAll(svg);
        QXmlStreamReader xml(text);
        QString root;
        bool sawLabel = false;
        while (!xml.atEnd()) {
            xml.readNext();
            if (xml.isStartElement() && root.isEmpty()) root = xml.name().toString();
            if (xml.isCharacters() && xml.text().toString().contains("learning epoch")) sawLabel = true;
        }
        QVERIFY2(!xml.hasError(), qPrintable(xml.errorString()));
        QCOMPARE(root, QString("svg"));
        QVERIFY(sawLabel);  // the axis label is text, not a picture of it
        QVERIFY(text.contains("cross entropy"));
    }

    void csvHoldsTheData() {
        // A second graph (shorter), a hidden one, a curve whose points are not in x order and a colour map.
        QCPGraph* val = plot_->addGraph();
        val->setName("validation loss");
        val->setData({1, 2}, {0.75, -1e-7});
        QCPGraph* hidden = plot_->addGraph();
        hidden->setName("hidden");
        hidden->setData({1}, {42});
        hidden->setVisible(false);
        auto* curve = new QCPCurve(plot_->xAxis, plot_->yAxis);
        curve->setName("path");
        curve->setData({3, 1, 2}, {1, 2, 0});
        auto* map = new QCPColorMap(plot_->xAxis2, plot_->yAxis2);
        plot_->xAxis2->setLabel("u");
        plot_->yAxis2->setLabel("v");
        map->setName("field");
        map->data()->setSize(2, 3);
        map->data()->setRange(QCPRange(0, 1), QCPRange(10, 20));
        for (int i = 0; i < 2; ++i)
            for (int j = 0; j < 3; ++j) map->data()->setCell(i, j, 10 * i + j);

        QTemporaryDir dir;
        const QString path = dir.filePath("plot.csv");
        QString error;
        QVERIFY2(exportPlotCsv(plot_.get(), path, &error), qPrintable(error));
        const QList<QStringList> rows = parseCsv(QString::fromUtf8(readAll(path)));
        const QStringList header{"train loss (learning epoch)", "train loss (cross entropy)",
                                 "validation loss (learning epoch)", "validation loss (cross entropy)",
                                 "path (learning epoch)", "path (cross entropy)",
                                 "field (u)", "field (v)", "field (value)"};
        QCOMPARE(rows.value(0), header);
        QCOMPARE(rows.size(), 1 + 6);  // the colour map's 2 × 3 cells are the longest column
        auto cell = [&](int row, int col) { return rows[row + 1][col]; };
        auto num = [&](int row, int col) { return cell(row, col).toDouble(); };
        // Each value back exactly as it was put in.
        const double train[3][2] = {{1, 0.5}, {2, 0.25}, {3, 1.0 / 3.0}};
        for (int r = 0; r < 3; ++r) {
            QCOMPARE(num(r, 0), train[r][0]);
            QCOMPARE(num(r, 1), train[r][1]);
        }
        for (int r = 3; r < 6; ++r) QVERIFY(cell(r, 0).isEmpty() && cell(r, 1).isEmpty());
        QCOMPARE(num(0, 2), 1.0);
        QCOMPARE(num(0, 3), 0.75);
        QCOMPARE(num(1, 2), 2.0);
        QCOMPARE(num(1, 3), -1e-7);
        QVERIFY(cell(2, 2).isEmpty());
        // The curve in its own order (its points' x, not the parameter).
        const double path3[3][2] = {{3, 1}, {1, 2}, {2, 0}};
        for (int r = 0; r < 3; ++r) {
            QCOMPARE(num(r, 4), path3[r][0]);
            QCOMPARE(num(r, 5), path3[r][1]);
        }
        // Cell (i, j) sits at x = i (range 0…1 over 2 cells), y = 10 + 5 j, value 10 i + j.
        QSet<QString> cells;
        for (int r = 0; r < 6; ++r) cells << cell(r, 6) + " " + cell(r, 7) + " " + cell(r, 8);
        QSet<QString> expected;
        for (int i = 0; i < 2; ++i)
            for (int j = 0; j < 3; ++j)
                expected << QString("%1 %2 %3").arg(i).arg(10 + 5 * j).arg(10 * i + j);
        QCOMPARE(cells, expected);
    }

    void unwritablePathsAreRefused() {
        QTemporaryDir dir;
        const QString missing = dir.filePath("no/such/folder/plot.png");
        QString error;
        QVERIFY(!exportPlot(plot_.get(), missing, 100, 100, &error));
        QVERIFY2(error.contains(missing), qPrintable(error));
        QVERIFY(!QFile::exists(missing));
        error.clear();
        QVERIFY(!exportPlotCsv(plot_.get(), dir.filePath("no/plot.csv"), &error));
        QVERIFY2(error.contains(dir.filePath("no/plot.csv")), qPrintable(error));
        // A folder where the file should go (root may write anywhere, but not over a folder).
        QVERIFY(QDir(dir.path()).mkdir("taken.svg"));
        error.clear();
        QVERIFY(!exportPlot(plot_.get(), dir.filePath("taken.svg"), 100, 100, &error));
        QVERIFY2(error.contains(dir.filePath("taken.svg")), qPrintable(error));
        QVERIFY(QDir(dir.path()).mkdir("taken.csv"));
        error.clear();
        QVERIFY(!exportPlotCsv(plot_.get(), dir.filePath("taken.csv"), &error));
        QVERIFY2(error.contains(dir.filePath("taken.csv")), qPrintable(error));
        // A suffix that names no format this writes.
        error.clear();
        QVERIFY(!exportPlot(plot_.get(), dir.filePath("plot.jpg"), 100, 100, &error));
        QVERIFY2(error.contains(dir.filePath("plot.jpg")) && error.contains(".svg"), qPrintable(error));
        QVERIFY(!exportPlot(nullptr, dir.filePath("plot.png"), 100, 100, &error));
    }

    void everyPlotOfTheStudioOffersExport() {
        // Every QCustomPlot in the main window (docks made later included: the test looks at all of them)
        // has the export menu.
        neura::test::QuietWindow w;
        w.resize(1440, 900);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        const auto plots = w.findChildren<QCustomPlot*>();
        QVERIFY(plots.size() >= 5);  // Plots, Decision Boundary, Dataset, the Inspector's histograms and heat map
        for (QCustomPlot* p : plots) {
            QString where;
            for (QObject* o = p; o; o = o->parent())
                if (!o->objectName().isEmpty()) where += o->objectName() + " < ";
            QVERIFY2(p->contextMenuPolicy() == Qt::CustomContextMenu, qPrintable("no export menu: " + where));
        }
    }

    void studioPlotsOfferExport() {
        // The Plots dock: a context menu on the plot, and its own export writes every format.
        PlotsPanel plots;
        plots.resize(700, 400);
        plots.beginRun("run");
        train::EpochMetrics m;
        m.epoch = 0;
        m.train_loss = 1.5;
        m.val_loss = 1.75;
        m.train_accuracy = 0.5;
        m.val_accuracy = 0.25;
        plots.addEpoch(m);
        QCOMPARE(plots.plot()->contextMenuPolicy(), Qt::CustomContextMenu);
        QTemporaryDir dir;
        QVERIFY(plots.exportPng(dir.filePath("p.svg"), 500, 300));
        QVERIFY(readAll(dir.filePath("p.svg")).contains("<svg"));
        const QList<QStringList> rows = parseCsv(plotCsv(plots.plot()));
        QVERIFY(rows.value(0).contains("train loss (epoch)"));
        QVERIFY(rows.value(0).contains("train loss (loss)"));
        const int col = static_cast<int>(rows.value(0).indexOf("train loss (loss)"));
        QCOMPARE(rows.value(1).value(col).toDouble(), 1.5);

        // The Decision Boundary dock: the grid (x, y, class) and the samples by class.
        DecisionBoundaryView view;
        view.resize(300, 300);
        QCOMPARE(view.plot()->contextMenuPolicy(), Qt::CustomContextMenu);
        view.setDataset(data::make_dataset("xor", {{"n", "40"}, {"seed", "3"}}));
        QCOMPARE(view.pointCount(), 40);
        auto grid = std::make_shared<BoundaryGrid>();
        grid->width = 4;
        grid->height = 2;
        grid->xMin = 0;
        grid->xMax = 4;
        grid->yMin = -1;
        grid->yMax = 1;
        grid->classes = 2;
        grid->cls = {0, 0, 1, 1, 1, 1, 0, 0};
        grid->confidence.assign(8, 0.9f);
        view.setGrid(grid);
        const QList<QStringList> b = parseCsv(plotCsv(view.plot()));
        const qsizetype gx = b.value(0).indexOf("predicted class (feature 1)");
        QVERIFY(gx >= 0);
        QCOMPARE(b.value(0).value(gx + 2), QString("predicted class (value)"));
        // Cell centres: x = 0.5 … 3.5, y = -0.5, 0.5; the class as the session sent it (row 0 is y = -0.5).
        QSet<QString> cells;
        for (int r = 1; r <= 8; ++r) cells << b[r][gx] + " " + b[r][gx + 1] + " " + b[r][gx + 2];
        QSet<QString> expected;
        for (int j = 0; j < 2; ++j)
            for (int i = 0; i < 4; ++i)
                expected << QString("%1 %2 %3").arg(0.5 + i).arg(-0.5 + j).arg(grid->cls[j * 4 + i]);
        QCOMPARE(cells, expected);
        int samples = 0;
        for (const QString& h : b.value(0))
            if (h.startsWith("class ") && h.endsWith("(feature 1)")) {
                const qsizetype c = b.value(0).indexOf(h);
                for (int r = 1; r < b.size(); ++r) samples += b[r].value(c).isEmpty() ? 0 : 1;
            }
        QCOMPARE(samples, 40);
        QVERIFY(exportPlot(view.plot(), dir.filePath("b.png"), 200, 200));
        QCOMPARE(QImage(dir.filePath("b.png")).size(), QSize(200, 200));
    }

private:
    std::unique_ptr<QCustomPlot> plot_;
};

QTEST_MAIN(TestPlotExport)
#include "tst_plot_export.moc"
