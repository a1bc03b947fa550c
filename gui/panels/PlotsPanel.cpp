#include "panels/PlotsPanel.h"
#include "panels/PlotExport.h"
#include "panels/PlotPalette.h"

#include <QCheckBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QListWidget>
#include <QMenu>
#include <QSlider>
#include <QSplitter>
#include <QTimer>
#include <QToolButton>
#include <QToolTip>
#include <QVBoxLayout>
#include <algorithm>
#include <cmath>
#include <limits>
#include <qcustomplot.h>

namespace neura::gui {

namespace {

const char* const kSeries[] = {"train_loss", "val_loss", "train_accuracy", "val_accuracy"};

bool isLoss(const QString& series) { return series.endsWith(QLatin1String("loss")); }
bool isValidation(const QString& series) { return series.startsWith(QLatin1String("val")); }

QString seriesTitle(const QString& series) {
    if (series == "train_loss") return QObject::tr("train loss");
    if (series == "val_loss") return QObject::tr("validation loss");
    if (series == "train_accuracy") return QObject::tr("train accuracy");
    return QObject::tr("validation accuracy");
}

// TensorBoard's smoothing: an exponential moving average with a bias correction for the first points.
// Epochs up to which each point of a curve gets a marker.
constexpr int kMarkerLimit = 60;

QVector<double> smoothed(const QVector<double>& v, double weight) {
    if (weight <= 0.0) return v;
    QVector<double> out(v.size());
    double last = 0.0, debias = 0.0;
    for (int i = 0; i < v.size(); ++i) {
        if (!std::isfinite(v[i])) {
            out[i] = v[i];
            continue;
        }
        last = last * weight + (1.0 - weight) * v[i];
        debias = debias * weight + (1.0 - weight);
        out[i] = last / debias;
    }
    return out;
}

}  // namespace

PlotsPanel::PlotsPanel(QWidget* parent) : QWidget(parent) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(2, 2, 2, 2);

    auto* bar = new QHBoxLayout;
    bar->addWidget(new QLabel(tr("Smoothing")));
    smoothing_ = new QSlider(Qt::Horizontal);
    smoothing_->setRange(0, 99);
    smoothing_->setToolTip(tr("Exponential moving average of the curves (0: raw values)"));
    smoothing_->setMaximumWidth(160);
    bar->addWidget(smoothing_);
    auto* smoothLabel = new QLabel(QStringLiteral("0.00"));
    bar->addWidget(smoothLabel);
    logLoss_ = new QCheckBox(tr("Log-scale loss"));
    bar->addWidget(logLoss_);
    bar->addStretch(1);
    auto* reset = new QToolButton;
    reset->setText(tr("Fit"));
    reset->setToolTip(tr("Show all the data and follow new epochs again (undo zoom and pan; or double-click "
                         "the plot)"));
    bar->addWidget(reset);
    auto* exportButton = new QToolButton;
    exportButton->setText(tr("Export"));
    exportButton->setPopupMode(QToolButton::InstantPopup);
    auto* menu = new QMenu(exportButton);
    exportButton->setMenu(menu);
    bar->addWidget(exportButton);
    layout->addLayout(bar);

    auto* split = new QSplitter(Qt::Horizontal);
    plot_ = new QCustomPlot;
    plot_->setMinimumSize(240, 200);
    plot_->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    plot_->setMouseTracking(true);
    // Live replots happen on the GUI thread while training: fast polylines, no antialiased curves.
    plot_->setPlottingHints(QCP::phFastPolylines | QCP::phCacheLabels);
    plot_->setNotAntialiasedElements(QCP::aePlottables | QCP::aeScatters);
    lossRect_ = plot_->axisRect();
    accRect_ = new QCPAxisRect(plot_);
    plot_->plotLayout()->addElement(1, 0, accRect_);
    auto* margins = new QCPMarginGroup(plot_);
    lossRect_->setMarginGroup(QCP::msLeft | QCP::msRight, margins);
    accRect_->setMarginGroup(QCP::msLeft | QCP::msRight, margins);
    for (auto* rect : {lossRect_, accRect_}) {
        rect->setRangeDrag(Qt::Horizontal | Qt::Vertical);
        rect->setRangeZoom(Qt::Horizontal | Qt::Vertical);
        rect->axis(QCPAxis::atBottom)->setLabel(tr("epoch"));
    }
    lossRect_->axis(QCPAxis::atLeft)->setLabel(tr("loss"));
    accRect_->axis(QCPAxis::atLeft)->setLabel(tr("accuracy"));
    accRect_->axis(QCPAxis::atLeft)->setRange(0, 1);
    plot_->legend->setVisible(true);
    plot_->legend->setFont(QFont(font().family(), 8));
    lossRect_->insetLayout()->setInsetAlignment(0, Qt::AlignTop | Qt::AlignRight);
    followPalette(plot_);
    addPlotExportActions(menu, plot_, QStringLiteral("plots"));
    installPlotExportMenu(plot_, QStringLiteral("plots"), [this](QMenu* m) {
        m->addAction(tr("Reset View"), this, &PlotsPanel::resetView);
    });
    split->addWidget(plot_);

    runs_ = new QListWidget;
    runs_->setToolTip(tr("Runs of this project: check the ones to overlay"));
    runs_->setMaximumWidth(220);
    split->addWidget(runs_);
    split->setStretchFactor(0, 1);
    layout->addWidget(split, 1);

    replotTimer_ = new QTimer(this);
    replotTimer_->setSingleShot(true);
    replotTimer_->setInterval(100);  // at most ~10 replots a second, however fast epochs come
    connect(replotTimer_, &QTimer::timeout, this, [this] { plot_->replot(QCustomPlot::rpQueuedReplot); });

    connect(smoothing_, &QSlider::valueChanged, this, [this, smoothLabel](int v) {
        smoothingWeight_ = v / 100.0;
        smoothLabel->setText(QString::number(smoothingWeight_, 'f', 2));
        refreshData();
    });
    connect(logLoss_, &QCheckBox::toggled, this, &PlotsPanel::setLogLoss);
    connect(reset, &QToolButton::clicked, this, &PlotsPanel::resetView);
    // A zoom (wheel) or pan (drag) of the user's: from now on new epochs keep the view.
    connect(plot_, &QCustomPlot::mouseWheel, this, [this] { userView_ = true; });
    connect(plot_, &QCustomPlot::mouseMove, this, [this](QMouseEvent* e) {
        if (e->buttons() & Qt::LeftButton && plot_->axisRectAt(e->position())) userView_ = true;
    });
    connect(plot_, &QCustomPlot::mouseDoubleClick, this, [this] { resetView(); });
    connect(runs_, &QListWidget::itemChanged, this, [this](QListWidgetItem*) { rebuildGraphs(); });
    connect(plot_, &QCustomPlot::mouseMove, this, &PlotsPanel::showHover);
    rebuildGraphs();
}

int PlotsPanel::currentPointCount(const QString& series) const {
    return hasCurrent_ ? static_cast<int>(current_.series.value(series).values.size()) : 0;
}

QVector<double> PlotsPanel::currentValues(const QString& series) const {
    return hasCurrent_ ? current_.series.value(series).values : QVector<double>{};
}

int PlotsPanel::previousRunCount() const { return static_cast<int>(history_.size()); }

void PlotsPanel::setSmoothing(double weight) { smoothing_->setValue(static_cast<int>(std::lround(weight * 100.0))); }

void PlotsPanel::setLogLoss(bool on) {
    if (logLoss_->isChecked() != on) {
        logLoss_->setChecked(on);  // comes back here through toggled
        return;
    }
    QCPAxis* y = lossRect_->axis(QCPAxis::atLeft);
    y->setScaleType(on ? QCPAxis::stLogarithmic : QCPAxis::stLinear);
    if (on)
        y->setTicker(QSharedPointer<QCPAxisTickerLog>(new QCPAxisTickerLog));
    else
        y->setTicker(QSharedPointer<QCPAxisTicker>(new QCPAxisTicker));
    if (!userView_) autoscale();
    plot_->replot();
}

void PlotsPanel::beginRun(const QString& label) {
    if (hasCurrent_ && current_.item) delete current_.item;
    current_ = Run{};
    current_.live = true;
    current_.label = label.isEmpty() ? tr("Current run") : label;
    hasCurrent_ = true;
    userView_ = false;  // a new run starts with automatic ranges
    QSignalBlocker block(runs_);
    current_.item = new QListWidgetItem(current_.label);
    current_.item->setFlags(Qt::ItemIsUserCheckable | Qt::ItemIsEnabled);
    current_.item->setCheckState(Qt::Checked);
    runs_->insertItem(0, current_.item);
    rebuildGraphs();
}

void PlotsPanel::addEpoch(const train::EpochMetrics& m) {
    if (!hasCurrent_) beginRun();
    const double x = static_cast<double>(m.epoch + 1);
    auto add = [&](const char* name, double v, bool present) {
        if (!present) return;
        Series& s = current_.series[QString::fromLatin1(name)];
        s.epochs.push_back(x);
        s.values.push_back(v);
    };
    add("train_loss", m.train_loss, true);
    add("val_loss", m.val_loss, m.val_loss >= 0);
    add("train_accuracy", m.train_accuracy, m.train_accuracy >= 0);
    add("val_accuracy", m.val_accuracy, m.val_accuracy >= 0);
    refreshData();
}

void PlotsPanel::endRun() {
    if (!hasCurrent_) return;
    current_.live = false;
    refreshData();
}

void PlotsPanel::setRuns(const std::vector<project::RunRecord>& runs) {
    QSignalBlocker block(runs_);
    for (auto& r : history_) delete r.item;
    history_.clear();
    for (std::size_t i = 0; i < runs.size(); ++i) {
        const auto& rec = runs[i];
        Run r;
        // In order: a run trained in this session has no id until the project is saved.
        r.label = tr("Run %1 · %2").arg(i + 1).arg(QString::fromStdString(rec.status));
        if (!rec.started_at.empty()) r.label += QStringLiteral("\n") + QString::fromStdString(rec.started_at).left(19);
        for (const auto& p : rec.metrics) {
            const QString name = QString::fromStdString(p.name);
            if (!std::count_if(std::begin(kSeries), std::end(kSeries), [&](const char* s) { return name == s; })) continue;
            Series& s = r.series[name];
            s.epochs.push_back(static_cast<double>(p.epoch + 1));
            s.values.push_back(p.value);
        }
        r.item = new QListWidgetItem(r.label);
        r.item->setFlags(Qt::ItemIsUserCheckable | Qt::ItemIsEnabled);
        r.item->setCheckState(Qt::Unchecked);
        history_.push_back(std::move(r));
    }
    // Newest first in the list; the newest recorded run is overlaid at first.
    for (auto it = history_.rbegin(); it != history_.rend(); ++it) runs_->addItem(it->item);
    if (!history_.empty()) history_.back().item->setCheckState(Qt::Checked);
    rebuildGraphs();
}

void PlotsPanel::clearAll() {
    setRuns({});
    if (hasCurrent_) delete current_.item;
    current_ = Run{};
    hasCurrent_ = false;
    rebuildGraphs();
}

QColor PlotsPanel::runColor(int index, bool validation) const {
    if (index < 0) return validation ? QColor(0xff, 0x7f, 0x0e) : QColor(0x1f, 0x77, 0xb4);  // the live run
    static const QColor palette[] = {QColor(0x2c, 0xa0, 0x2c), QColor(0x94, 0x67, 0xbd), QColor(0x8c, 0x56, 0x4b),
                                     QColor(0xe3, 0x77, 0xc2), QColor(0x7f, 0x7f, 0x7f), QColor(0xbc, 0xbd, 0x22),
                                     QColor(0x17, 0xbe, 0xcf), QColor(0xd6, 0x27, 0x28)};
    QColor c = palette[index % 8];
    if (validation) c = c.lighter(130);
    return c;
}

void PlotsPanel::rebuildGraphs() {
    plot_->clearGraphs();
    current_.graphs.clear();
    for (auto& r : history_) r.graphs.clear();
    auto addGraphs = [&](Run& r, int colorIndex) {
        if (!r.item || r.item->checkState() != Qt::Checked) return;
        for (const char* name : kSeries) {
            const QString series = QString::fromLatin1(name);
            QCPAxisRect* rect = isLoss(series) ? lossRect_ : accRect_;
            QCPGraph* g = plot_->addGraph(rect->axis(QCPAxis::atBottom), rect->axis(QCPAxis::atLeft));
            QPen pen(runColor(colorIndex, isValidation(series)), colorIndex < 0 ? 2.0 : 1.4);
            if (isValidation(series)) pen.setStyle(Qt::DashLine);
            g->setPen(pen);
            g->setProperty("marker", colorIndex < 0 ? 4 : 3);  // refreshData() sets the scatter style
            g->setName(colorIndex < 0 ? seriesTitle(series) : r.label.section('\n', 0, 0) + " · " + seriesTitle(series));
            g->setProperty("series", series);
            g->setProperty("run", r.label.section('\n', 0, 0));
            // The legend lists the live run's curves; overlaid runs are told apart in the list's colours.
            if (colorIndex >= 0 || !isLoss(series)) g->removeFromLegend();
            r.graphs.push_back(g);
        }
        r.item->setForeground(runColor(colorIndex, false));
    };
    if (hasCurrent_) addGraphs(current_, -1);
    for (std::size_t i = 0; i < history_.size(); ++i) addGraphs(history_[i], static_cast<int>(i));
    if (plot_->legend->itemCount() == 0) plot_->legend->setVisible(false);
    else plot_->legend->setVisible(true);
    refreshData();
    if (!userView_) autoscale();
    plot_->replot();
}

void PlotsPanel::refreshData() {
    auto fill = [&](Run& r) {
        for (QCPGraph* g : r.graphs) {
            const Series s = r.series.value(g->property("series").toString());
            g->setData(s.epochs, smoothed(s.values, smoothingWeight_), true);
            // A marker on each epoch while they can be told apart; past that, the line alone (hundreds of
            // circles per curve were most of a live replot's time: 6 ms at 800 epochs).
            const bool markers = s.epochs.size() <= kMarkerLimit;
            if ((g->scatterStyle().shape() != QCPScatterStyle::ssNone) != markers)
                g->setScatterStyle(markers ? QCPScatterStyle(QCPScatterStyle::ssCircle, g->property("marker").toInt())
                                           : QCPScatterStyle(QCPScatterStyle::ssNone));
        }
    };
    if (hasCurrent_) fill(current_);
    for (auto& r : history_) fill(r);
    // Follow the live run's growth unless the user zoomed or panned.
    if (hasCurrent_ && current_.live && !userView_) autoscale();
    scheduleReplot();
}

void PlotsPanel::resetView() {
    userView_ = false;
    autoscale();
    plot_->replot();
}

void PlotsPanel::autoscale() {
    // QCPAxis::rescale keeps the old range when it finds no usable point (a run whose first epoch
    // diverged: a NaN loss) and keeps the old width around a single value, so the previous run's view
    // stayed. Here: the shown series' finite points only (positive ones on a log axis), else defaults.
    for (QCPAxisRect* rect : {lossRect_, accRect_}) {
        QCPAxis* xAxis = rect->axis(QCPAxis::atBottom);
        QCPAxis* yAxis = rect->axis(QCPAxis::atLeft);
        const bool log = yAxis->scaleType() == QCPAxis::stLogarithmic;
        double x0 = std::numeric_limits<double>::infinity(), x1 = -x0, y0 = x0, y1 = -x0;
        for (int i = 0; i < plot_->graphCount(); ++i) {
            QCPGraph* g = plot_->graph(i);
            if (g->valueAxis() != yAxis || !g->visible()) continue;
            for (auto it = g->data()->constBegin(); it != g->data()->constEnd(); ++it) {
                if (!std::isfinite(it->key)) continue;
                x0 = std::min(x0, it->key);  // the epochs of diverged points too: the run's length shows
                x1 = std::max(x1, it->key);
                if (!std::isfinite(it->value) || (log && it->value <= 0)) continue;
                y0 = std::min(y0, it->value);
                y1 = std::max(y1, it->value);
            }
        }
        if (x0 > x1)
            xAxis->setRange(0, 10);
        else if (x0 == x1)
            xAxis->setRange(x0 - 1, x1 + 1);
        else
            xAxis->setRange(x0, x1);
        const bool accuracy = rect == accRect_;
        if (y0 > y1) {
            if (log)
                yAxis->setRange(0.01, 10);
            else
                yAxis->setRange(0, 1);
        } else if (log) {
            // A margin of a few percent in log space, so markers on the extremes are not cut.
            const double pad = std::pow(y1 / y0, 0.04);
            yAxis->setRange(y0 / (y0 == y1 ? 2.0 : pad), y1 * (y0 == y1 ? 2.0 : pad));
        } else if (y0 == y1 && accuracy) {
            yAxis->setRange(std::min(0.0, y0), std::max(1.0, y1));  // one value: the whole 0…1 scale
        } else if (y0 == y1) {
            const double half = std::max(0.05 * std::abs(y0), 0.05);
            yAxis->setRange(y0 - half, y1 + half);
        } else {
            const double pad = 0.04 * (y1 - y0);
            yAxis->setRange(y0 - pad, y1 + pad);
        }
    }
}

void PlotsPanel::scheduleReplot() {
    if (!replotTimer_->isActive()) replotTimer_->start();
}

void PlotsPanel::showHover(QMouseEvent* event) {
    const QPointF pos = event->position();
    QCPAxisRect* rect = plot_->axisRectAt(pos);
    if (!rect) {
        QToolTip::hideText();
        return;
    }
    double best = 20.0;  // pixels
    QString text;
    for (int i = 0; i < plot_->graphCount(); ++i) {
        QCPGraph* g = plot_->graph(i);
        if (g->valueAxis()->axisRect() != rect || g->dataCount() == 0) continue;
        for (auto it = g->data()->constBegin(); it != g->data()->constEnd(); ++it) {
            const double px = g->keyAxis()->coordToPixel(it->key), py = g->valueAxis()->coordToPixel(it->value);
            const double d = std::hypot(px - pos.x(), py - pos.y());
            if (d < best) {
                best = d;
                text = tr("%1\n%2\nepoch %3: %4")
                           .arg(g->property("run").toString(), seriesTitle(g->property("series").toString()))
                           .arg(it->key)
                           .arg(it->value, 0, 'g', 5);
            }
        }
    }
    if (text.isEmpty())
        QToolTip::hideText();
    else
        QToolTip::showText(event->globalPosition().toPoint(), text, plot_);
}

bool PlotsPanel::exportPng(const QString& path, int width, int height) {
    plot_->replot();
    return exportPlot(plot_, path, width, height);
}

bool PlotsPanel::exportPdf(const QString& path, int width, int height) {
    plot_->replot();
    return exportPlot(plot_, path, width, height);
}

}  // namespace neura::gui
