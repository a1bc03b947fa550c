// RunsPanel: one table row per run over a QSortFilterProxyModel; three QCustomPlots follow the rows selected.
#include "panels/RunsPanel.h"
#include "panels/PlotExport.h"
#include "panels/PlotPalette.h"

#include <QAction>
#include <QComboBox>
#include <QFontMetricsF>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QIcon>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QPixmap>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QStandardItemModel>
#include <QTabWidget>
#include <QTableView>
#include <QToolButton>
#include <QVBoxLayout>
#include <algorithm>
#include <cmath>
#include <limits>
#include <qcustomplot.h>
#include <set>

#include "neura/core/JsonText.h"
#include "neura/graph/ModelJson.h"
#include "neura/graph/ShapeReport.h"

namespace neura::gui {

namespace {

using nlohmann::json;

constexpr int kSortRole = Qt::UserRole + 1;  // numbers as numbers, so sorting is numeric
constexpr int kRunRole = Qt::UserRole + 2;   // column 0: the run's index in runs()

// The final metrics the table shows: their keys in final_metrics_json and their headers.
struct MetricColumn {
    const char* key;
    const char* header;
};
const MetricColumn kMetrics[] = {
    {"train_loss", "train loss"}, {"val_loss", "val loss"}, {"val_accuracy", "val accuracy"}};

QString valueText(const json& v) {
    if (v.is_string()) return QString::fromStdString(v.get<std::string>());
    if (v.is_number_float()) return QString::number(v.get<double>(), 'g', 6);
    return QString::fromStdString(v.dump());
}

void flatten(const json& j, const QString& prefix, std::map<QString, QString>& out) {
    for (const auto& [k, v] : j.items()) {
        const QString key = prefix.isEmpty() ? QString::fromStdString(k) : prefix + "." + QString::fromStdString(k);
        if (v.is_object())
            flatten(v, key, out);
        else
            out[key] = valueText(v);
    }
}

// The final value of each metric: final_metrics_json, else the last recorded point.
std::map<QString, double> finalMetrics(const project::RunRecord& run) {
    std::map<QString, double> out;
    for (const auto& p : run.metrics) out[QString::fromStdString(p.name)] = p.value;
    if (auto j = try_parse_json(run.final_metrics_json); j && j->is_object())
        for (const auto& m : kMetrics)
            if (j->contains(m.key) && (*j)[m.key].is_number()) out[m.key] = (*j)[m.key].get<double>();
    return out;
}

bool isNumber(const QString& text, double* value = nullptr) {
    bool ok = false;
    const double v = text.toDouble(&ok);
    if (ok && value) *value = v;
    return ok;
}

// A plot for this panel: palette colours, legend off, drag and zoom.
QCustomPlot* makePlot() {
    auto* plot = new QCustomPlot;
    plot->setMinimumSize(260, 180);
    plot->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    followPalette(plot);
    return plot;
}


// The runs chart's labels (text items at plot coordinates) moved apart when they would overlap: each
// goes above its point, else below it, else a line further up or down, whichever is free first.
// Runs after every layout, so it follows the plot's size.
void spreadLabels(QCustomPlot* plot) {
    std::vector<QRectF> placed;
    for (int i = 0; i < plot->itemCount(); ++i) {
        auto* t = qobject_cast<QCPItemText*>(plot->item(i));
        if (!t || t->position->type() != QCPItemPosition::ptPlotCoords) continue;
        const QPointF at = t->position->pixelPosition();
        const QFontMetricsF fm(t->font());
        const double w = fm.horizontalAdvance(t->text()) + 2, h = fm.height();
        QRectF rect;
        bool above = true;
        int shift = 0;
        for (int k = 0; k < 8; ++k) {
            above = k % 2 == 0;
            shift = static_cast<int>((k / 2) * h);
            rect = above ? QRectF(at.x() + 6, at.y() - 4 - shift - h, w, h)
                         : QRectF(at.x() + 6, at.y() + 4 + shift, w, h);
            if (std::none_of(placed.begin(), placed.end(), [&](const QRectF& r) { return r.intersects(rect); })) break;
        }
        t->setPositionAlignment(Qt::AlignLeft | (above ? Qt::AlignBottom : Qt::AlignTop));
        t->setPadding(above ? QMargins(6, 0, 0, 4 + shift) : QMargins(6, 4 + shift, 0, 0));
        placed.push_back(rect);
    }
}

}  // namespace

RunsPanel::RunsPanel(QWidget* parent) : QWidget(parent) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(2, 2, 2, 2);
    auto* bar = new QHBoxLayout;
    filter_ = new QLineEdit;
    filter_->setPlaceholderText(tr("Filter runs (any column: \"Adam\", \"completed\", \"0.01\")"));
    filter_->setClearButtonEnabled(true);
    bar->addWidget(filter_, 1);
    count_ = new QLabel;
    bar->addWidget(count_);
    useAct_ = new QAction(tr("Use This Run's Settings"), this);
    useAct_->setToolTip(tr("Apply the selected run's training setup and the layer settings its sweep varied to the "
                           "open project (one undo step)"));
    compareAct_ = new QAction(tr("Compare Models"), this);
    compareAct_->setToolTip(tr("Show on the canvas how the second selected run's model differs from the first's"));
    for (QAction* a : {useAct_, compareAct_}) {
        auto* b = new QToolButton;
        b->setDefaultAction(a);
        bar->addWidget(b);
        a->setEnabled(false);
    }
    layout->addLayout(bar);

    auto* split = new QSplitter(Qt::Horizontal);
    model_ = new QStandardItemModel(this);
    proxy_ = new QSortFilterProxyModel(this);
    proxy_->setSourceModel(model_);
    proxy_->setSortRole(kSortRole);
    proxy_->setFilterKeyColumn(-1);
    proxy_->setFilterCaseSensitivity(Qt::CaseInsensitive);
    table_ = new QTableView;
    table_->setModel(proxy_);
    table_->setSortingEnabled(true);
    table_->setSelectionBehavior(QAbstractItemView::SelectRows);
    table_->setSelectionMode(QAbstractItemView::ExtendedSelection);
    table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    table_->verticalHeader()->hide();
    table_->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    table_->setAlternatingRowColors(true);
    split->addWidget(table_);

    auto* tabs = new QTabWidget;
    curves_ = makePlot();
    curves_->plotLayout()->clear();
    auto* lossRect = new QCPAxisRect(curves_);
    auto* accRect = new QCPAxisRect(curves_);
    curves_->plotLayout()->addElement(0, 0, lossRect);
    curves_->plotLayout()->addElement(0, 1, accRect);
    lossRect->axis(QCPAxis::atLeft)->setLabel(tr("loss"));
    accRect->axis(QCPAxis::atLeft)->setLabel(tr("accuracy"));
    for (auto* r : {lossRect, accRect}) {
        r->axis(QCPAxis::atBottom)->setLabel(tr("epoch"));
        QSharedPointer<QCPAxisTickerFixed> epochs(new QCPAxisTickerFixed);  // whole epochs, a few of them
        epochs->setTickStep(1.0);
        epochs->setScaleStrategy(QCPAxisTickerFixed::ssMultiples);
        epochs->setTickCount(4);
        r->axis(QCPAxis::atBottom)->setTicker(epochs);
    }
    followPalette(curves_);
    tabs->addTab(curves_, tr("Curves"));
    parallel_ = makePlot();
    parallel_->setInteractions({});
    tabs->addTab(parallel_, tr("Parallel Coordinates"));
    auto* chartPage = new QWidget;
    auto* chartLayout = new QVBoxLayout(chartPage);
    chartLayout->setContentsMargins(0, 0, 0, 0);
    auto* chartBar = new QHBoxLayout;
    chartBar->addWidget(new QLabel(tr("Against")));
    chartAxis_ = new QComboBox;
    chartAxis_->addItem(tr("training time"), QStringLiteral("time"));
    chartAxis_->addItem(tr("MACs per sample"), QStringLiteral("macs"));
    chartBar->addWidget(chartAxis_);
    chartBar->addStretch(1);
    chartLayout->addLayout(chartBar);
    chart_ = makePlot();
    connect(chart_, &QCustomPlot::afterLayout, chart_, [this] { spreadLabels(chart_); });
    chartLayout->addWidget(chart_, 1);
    tabs->addTab(chartPage, tr("Runs Chart"));
    split->addWidget(tabs);
    split->setStretchFactor(0, 1);
    split->setStretchFactor(1, 1);
    split->setSizes({420, 520});
    layout->addWidget(split, 1);

    installPlotExportMenu(curves_, QStringLiteral("runs-curves"));
    installPlotExportMenu(parallel_, QStringLiteral("runs-parallel-coordinates"));
    installPlotExportMenu(chart_, QStringLiteral("runs-chart"));

    connect(filter_, &QLineEdit::textChanged, this, [this](const QString& text) {
        proxy_->setFilterFixedString(text);
        count_->setText(tr("%1 of %2 runs").arg(proxy_->rowCount()).arg(runs_.size()));
    });
    connect(chartAxis_, &QComboBox::currentIndexChanged, this, &RunsPanel::refreshChart);
    connect(useAct_, &QAction::triggered, this, [this] {
        const auto sel = selectedRuns();
        if (sel.size() == 1) emit useSettingsRequested(sel.front());
    });
    connect(compareAct_, &QAction::triggered, this, [this] {
        const auto sel = selectedRuns();
        if (sel.size() == 2) emit compareRequested(sel[0], sel[1]);
    });
    rebuildTable();
}

std::map<QString, QString> RunsPanel::flattenedSettings(const project::RunRecord& run) {
    std::map<QString, QString> out;
    if (auto j = try_parse_json(run.config_json); j && j->is_object()) flatten(*j, {}, out);
    // The sweep's own values win: "fc1.out_features" has no place in the config.
    if (auto j = try_parse_json(run.settings_json); j && j->is_object())
        for (const auto& [k, v] : j->items()) out[QString::fromStdString(k)] = valueText(v);
    return out;
}

QStringList RunsPanel::sweptKeys(const project::RunRecord& run) {
    QStringList keys;
    if (auto j = try_parse_json(run.settings_json); j && j->is_object())
        for (const auto& [k, v] : j->items()) keys << QString::fromStdString(k);
    return keys;
}

double RunsPanel::trainingSeconds(const project::RunRecord& run) {
    // A sweep's record has the run's wall clock; else the epochs' times add up.
    if (auto j = try_parse_json(run.final_metrics_json);
        j && j->is_object() && j->contains("seconds") && (*j)["seconds"].is_number())
        return (*j)["seconds"].get<double>();
    double total = 0.0;
    bool any = false;
    for (const auto& p : run.metrics)
        if (p.name == "seconds" && std::isfinite(p.value)) {
            total += p.value;
            any = true;
        }
    return any ? total : -1.0;
}

double RunsPanel::runMacs(const project::RunRecord& run) {
    if (run.model_json.empty()) return -1.0;  // a run from before projects kept each run's model
    try {
        const auto report = graph::infer_shapes(graph::from_json(run.model_json));
        return report.macs_complete ? static_cast<double>(report.total_macs) : -1.0;
    } catch (const std::exception&) {
        return -1.0;
    }
}

int RunsPanel::columnOf(const QString& header) const {
    for (int c = 0; c < model_->columnCount(); ++c)
        if (model_->headerData(c, Qt::Horizontal).toString() == header) return c;
    return -1;
}

QString RunsPanel::runLabel(int index) const {
    const auto& r = runs_[static_cast<std::size_t>(index)];
    return tr("Run %1").arg(r.id > 0 ? r.id : index + 1);
}

QColor RunsPanel::runColour(int index) const {
    static const QColor palette[] = {QColor(0x1f, 0x77, 0xb4), QColor(0xff, 0x7f, 0x0e), QColor(0x2c, 0xa0, 0x2c),
                                     QColor(0xd6, 0x27, 0x28), QColor(0x94, 0x67, 0xbd), QColor(0x8c, 0x56, 0x4b),
                                     QColor(0xe3, 0x77, 0xc2), QColor(0x17, 0xbe, 0xcf)};
    return palette[index % 8];
}

void RunsPanel::setRuns(const std::vector<project::RunRecord>& runs) {
    runs_ = runs;
    rebuildTable();
    // As the plots: the newest run is shown at first.
    if (!runs_.empty()) selectRuns({static_cast<int>(runs_.size()) - 1});
}

void RunsPanel::rebuildTable() {
    std::vector<std::map<QString, QString>> settings;
    for (const auto& r : runs_) settings.push_back(flattenedSettings(r));
    // Setting columns: first every key a sweep set (in the runs' order), then the other keys whose
    // value is not the same in all runs (for a single run, those would be its whole setup: none).
    settingKeys_.clear();
    for (const auto& r : runs_)
        for (const auto& k : sweptKeys(r))
            if (!settingKeys_.contains(k)) settingKeys_ << k;
    std::set<QString> keys;
    for (const auto& s : settings)
        for (const auto& [k, v] : s) keys.insert(k);
    for (const auto& k : keys) {
        if (settingKeys_.contains(k)) continue;
        std::set<QString> values;
        for (const auto& s : settings) values.insert(s.count(k) ? s.at(k) : QString());
        if (values.size() > 1) settingKeys_ << k;
    }

    model_->clear();
    QStringList headers = {tr("Run"), tr("Status")};
    headers << settingKeys_;
    for (const auto& m : kMetrics) headers << tr(m.header);
    headers << tr("time (s)");
    model_->setHorizontalHeaderLabels(headers);
    for (std::size_t i = 0; i < runs_.size(); ++i) {
        const auto& r = runs_[i];
        QList<QStandardItem*> row;
        auto text = [&](const QString& t, const QVariant& sort) {
            auto* item = new QStandardItem(t);
            item->setData(sort, kSortRole);
            row << item;
        };
        auto number = [&](double v) {
            if (v < 0 || !std::isfinite(v))
                text(QStringLiteral("–"), QVariant(std::numeric_limits<double>::lowest()));
            else
                text(QString::number(v, 'g', 4), v);
        };
        text(runLabel(static_cast<int>(i)), static_cast<qlonglong>(r.id > 0 ? r.id : static_cast<qint64>(i) + 1));
        row.front()->setData(static_cast<int>(i), kRunRole);
        row.front()->setForeground(runColour(static_cast<int>(i)));
        // A swatch of the run's colour, the key to the plots, that stays visible when the row is selected.
        QPixmap swatch(10, 10);
        swatch.fill(runColour(static_cast<int>(i)));
        row.front()->setIcon(QIcon(swatch));
        text(QString::fromStdString(r.status), QString::fromStdString(r.status));
        for (const auto& k : settingKeys_) {
            const QString v = settings[i].count(k) ? settings[i].at(k) : QString();
            double d = 0;
            text(v, isNumber(v, &d) ? QVariant(d) : QVariant(v));
        }
        const auto fm = finalMetrics(r);
        for (const auto& m : kMetrics) number(fm.count(m.key) ? fm.at(m.key) : -1.0);
        number(trainingSeconds(r));
        model_->appendRow(row);
    }
    count_->setText(tr("%1 of %2 runs").arg(proxy_->rowCount()).arg(runs_.size()));
    connect(table_->selectionModel(), &QItemSelectionModel::selectionChanged, this, &RunsPanel::onSelectionChanged,
            Qt::UniqueConnection);
    onSelectionChanged();
}

std::vector<int> RunsPanel::selectedRuns() const {
    std::vector<int> out;
    for (const QModelIndex& i : table_->selectionModel()->selectedRows())
        out.push_back(model_->item(proxy_->mapToSource(i).row(), 0)->data(kRunRole).toInt());
    std::sort(out.begin(), out.end());
    return out;
}

void RunsPanel::selectRuns(const std::vector<int>& indices) {
    QItemSelection sel;
    for (int row = 0; row < model_->rowCount(); ++row) {
        const int run = model_->item(row, 0)->data(kRunRole).toInt();
        if (std::find(indices.begin(), indices.end(), run) == indices.end()) continue;
        const QModelIndex p = proxy_->mapFromSource(model_->index(row, 0));
        if (p.isValid()) sel.select(p, p);
    }
    table_->selectionModel()->select(sel, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
}

void RunsPanel::onSelectionChanged() {
    const auto sel = selectedRuns();
    useAct_->setEnabled(sel.size() == 1);
    compareAct_->setEnabled(sel.size() == 2);
    refreshCurves();
    refreshParallel();
    refreshChart();
}

void RunsPanel::refreshCurves() {
    curves_->clearGraphs();
    auto* lossRect = curves_->axisRect(0);
    auto* accRect = curves_->axisRect(1);
    for (int index : selectedRuns()) {
        const auto& r = runs_[static_cast<std::size_t>(index)];
        std::map<std::string, std::pair<QVector<double>, QVector<double>>> series;
        for (const auto& p : r.metrics) {
            auto& s = series[p.name];
            s.first.push_back(static_cast<double>(p.epoch + 1));
            s.second.push_back(p.value);
        }
        for (const char* name : {"train_loss", "val_loss", "train_accuracy", "val_accuracy"}) {
            const auto it = series.find(name);
            if (it == series.end()) continue;
            const bool loss = std::string(name).find("loss") != std::string::npos;
            QCPAxisRect* rect = loss ? lossRect : accRect;
            QCPGraph* g = curves_->addGraph(rect->axis(QCPAxis::atBottom), rect->axis(QCPAxis::atLeft));
            QPen pen(runColour(index), 1.6);
            if (std::string(name).rfind("val", 0) == 0) pen.setStyle(Qt::DashLine);
            g->setPen(pen);
            g->setName(runLabel(index) + " " + name);
            g->setData(it->second.first, it->second.second, true);
        }
    }
    for (auto* rect : {lossRect, accRect})
        for (auto* axis : rect->axes()) axis->rescale(true);
    curves_->replot();
}

void RunsPanel::refreshParallel() {
    // One vertical axis per numeric setting and metric, each scaled to [0, 1] over the runs; a text
    // setting (an optimizer's name) spreads its values evenly along its axis.
    parallel_->clearGraphs();
    parallel_->clearItems();
    struct Axis {
        QString name;
        std::vector<double> values;  // per run; NaN where the run has none
        QStringList categories;      // a text setting's values
        double lo = 0, hi = 1;
    };
    std::vector<Axis> axes;
    std::vector<std::map<QString, QString>> settings;
    for (const auto& r : runs_) settings.push_back(flattenedSettings(r));
    for (const auto& k : settingKeys_) {
        Axis a{k, {}, {}};
        bool numeric = true;
        for (const auto& s : settings)
            if (s.count(k) && !isNumber(s.at(k))) numeric = false;
        for (const auto& s : settings) {
            const QString v = s.count(k) ? s.at(k) : QString();
            if (!s.count(k)) {
                a.values.push_back(std::nan(""));
            } else if (numeric) {
                a.values.push_back(v.toDouble());
            } else {
                if (!a.categories.contains(v)) a.categories << v;
                a.values.push_back(static_cast<double>(a.categories.indexOf(v)));
            }
        }
        axes.push_back(std::move(a));
    }
    for (const auto& m : kMetrics) {
        Axis a{tr(m.header), {}, {}};
        bool any = false;
        for (const auto& r : runs_) {
            const auto fm = finalMetrics(r);
            const bool has = fm.count(m.key) && std::isfinite(fm.at(m.key));
            a.values.push_back(has ? fm.at(m.key) : std::nan(""));
            any = any || has;
        }
        if (any) axes.push_back(std::move(a));
    }
    auto* ticker = new QCPAxisTickerText;
    for (std::size_t i = 0; i < axes.size(); ++i) {
        auto& a = axes[i];
        double lo = std::numeric_limits<double>::infinity(), hi = -lo;
        for (double v : a.values)
            if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
        if (!std::isfinite(lo)) lo = 0, hi = 1;
        a.lo = lo;
        a.hi = hi;
        ticker->addTick(static_cast<double>(i), a.name);
        auto* line = new QCPItemLine(parallel_);
        line->start->setCoords(static_cast<double>(i), 0);
        line->end->setCoords(static_cast<double>(i), 1);
        line->setPen(QPen(palette().color(QPalette::WindowText), 1));
        auto label = [&](double y, const QString& t, Qt::Alignment align) {
            auto* text = new QCPItemText(parallel_);
            text->position->setCoords(static_cast<double>(i), y);
            text->setPositionAlignment(align);
            text->setText(t);
            text->setColor(palette().color(QPalette::WindowText));
            text->setFont(QFont(font().family(), 7));
        };
        const bool categorical = !a.categories.isEmpty();
        label(1.0, categorical ? a.categories.value(static_cast<int>(hi)) : QString::number(hi, 'g', 4),
              Qt::AlignHCenter | Qt::AlignBottom);
        label(0.0, categorical ? a.categories.value(static_cast<int>(lo)) : QString::number(lo, 'g', 4),
              Qt::AlignHCenter | Qt::AlignTop);
    }
    const auto sel = selectedRuns();
    // Unselected runs first (grey), the selected ones drawn over them in their colours.
    std::vector<int> order;
    for (int i = 0; i < static_cast<int>(runs_.size()); ++i)
        if (std::find(sel.begin(), sel.end(), i) == sel.end()) order.push_back(i);
    order.insert(order.end(), sel.begin(), sel.end());
    for (int run : order) {
        QVector<double> x, y;
        for (std::size_t i = 0; i < axes.size(); ++i) {
            const double v = axes[i].values[static_cast<std::size_t>(run)];
            if (!std::isfinite(v)) continue;
            const double span = axes[i].hi - axes[i].lo;
            x.push_back(static_cast<double>(i));
            y.push_back(span > 0 ? (v - axes[i].lo) / span : 0.5);
        }
        QCPGraph* g = parallel_->addGraph();
        const bool selected = std::find(sel.begin(), sel.end(), run) != sel.end();
        QColor c = selected ? runColour(run) : palette().color(QPalette::Mid);
        g->setPen(QPen(c, selected ? 2.5 : 1.0));
        g->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, selected ? 5 : 3));
        g->setName(runLabel(run));
        g->setData(x, y, true);
    }
    parallel_->xAxis->setTicker(QSharedPointer<QCPAxisTicker>(ticker));
    parallel_->xAxis->setRange(-0.5, std::max<double>(0.5, static_cast<double>(axes.size()) - 0.5));
    parallel_->yAxis->setRange(-0.12, 1.12);
    parallel_->yAxis->setVisible(false);
    parallel_->xAxis->grid()->setVisible(false);
    parallel_->replot();
}

void RunsPanel::refreshChart() {
    // The validation metric each run ended on (accuracy when the runs have it, else loss) against its
    // training time or its model's MACs; the selected runs in their colours, labelled.
    chart_->clearGraphs();
    chart_->clearItems();
    const bool macs = chartAxis_->currentData().toString() == QLatin1String("macs");
    bool accuracy = false;
    for (const auto& r : runs_) accuracy = accuracy || finalMetrics(r).count("val_accuracy");
    const QString metric = accuracy ? QStringLiteral("val_accuracy") : QStringLiteral("val_loss");
    const auto sel = selectedRuns();
    // Runs on the same point (same MACs and accuracy: a sweep's runs of one width) share one label,
    // "Run 2, Run 5", in the first selected one's colour; the selected discs are drawn last, on top.
    struct Point {
        QStringList labels;
        QColor colour;
        bool selected = false;
    };
    std::map<std::pair<double, double>, Point> points;
    int shown = 0;
    for (const bool drawSelected : {false, true}) {
        for (int i = 0; i < static_cast<int>(runs_.size()); ++i) {
            const auto& r = runs_[static_cast<std::size_t>(i)];
            const auto fm = finalMetrics(r);
            const double x = macs ? runMacs(r) : trainingSeconds(r);
            if (!fm.count(metric) || x < 0) continue;
            const bool selected = std::find(sel.begin(), sel.end(), i) != sel.end();
            if (selected != drawSelected) continue;
            QCPGraph* g = chart_->addGraph();
            g->setLineStyle(QCPGraph::lsNone);
            const QColor c = selected ? runColour(i) : palette().color(QPalette::Mid);
            g->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, c, selected ? 10 : 7));
            g->setName(runLabel(i));
            g->setData({x}, {fm.at(metric)});
            Point& p = points[{x, fm.at(metric)}];
            if (selected && !p.selected) {
                p.labels.prepend(runLabel(i));
                p.colour = c;
                p.selected = true;
            } else {
                p.labels << runLabel(i);
            }
            ++shown;
        }
    }
    for (const auto& [at, p] : points) {
        auto* label = new QCPItemText(chart_);
        label->position->setCoords(at.first, at.second);
        label->setPositionAlignment(Qt::AlignLeft | Qt::AlignBottom);
        label->setPadding(QMargins(6, 0, 0, 4));
        label->setText(p.labels.join(QStringLiteral(", ")));
        label->setColor(p.selected ? p.colour : palette().color(QPalette::WindowText));
        label->setFont(QFont(font().family(), 8));
    }
    chart_->xAxis->setLabel(macs ? tr("MACs per sample") : tr("training time (s)"));
    chart_->yAxis->setLabel(accuracy ? tr("validation accuracy") : tr("validation loss"));
    chart_->rescaleAxes();
    for (QCPAxis* a : {chart_->xAxis, chart_->yAxis}) a->scaleRange(1.25, a->range().center());
    if (shown == 0 && macs) {
        auto* note = new QCPItemText(chart_);
        note->position->setType(QCPItemPosition::ptAxisRectRatio);
        note->position->setCoords(0.5, 0.5);
        note->setText(tr("The runs' MACs are not known"));
        note->setColor(palette().color(QPalette::WindowText));
    }
    chart_->replot();
}

}  // namespace neura::gui
