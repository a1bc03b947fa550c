#include "panels/InspectorPanel.h"

#include <QAction>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QImage>
#include <QSignalBlocker>
#include <QLabel>
#include <QPainter>
#include <QPointer>
#include <QPushButton>
#include <QScrollArea>
#include <QSpinBox>
#include <QTabWidget>
#include <QToolButton>
#include <QTreeWidget>
#include <QVBoxLayout>
#include <algorithm>
#include <cmath>
#include <qcustomplot.h>

#include "editor/ScaleColours.h"
#include "neura/autograd/GradMode.h"
#include "neura/core/Error.h"
#include "neura/train/Experiment.h"
#include "panels/PlotExport.h"
#include "panels/PlotPalette.h"

namespace neura::gui {

namespace {

constexpr int kBins = 30;
constexpr std::int64_t kMaxHeatRows = 256, kMaxHeatCols = 1024;
constexpr int kMaxFeatureMaps = 64;

QString shapeText(const Tensor& t) {
    if (!t.defined()) return QStringLiteral("—");
    QStringList dims;
    for (auto d : t.shape()) dims << QString::number(d);
    return QStringLiteral("[%1]").arg(dims.join(QStringLiteral(", ")));
}

QString num(double v) { return QString::number(v, 'g', 4); }

// A tab of images or plots in a scrolling grid under a note (feature maps, attention heads, LSTM gates).
QWidget* makeGridTab(QLabel** note, QGridLayout** grid, int spacing) {
    auto* tab = new QWidget;
    auto* layout = new QVBoxLayout(tab);
    layout->setContentsMargins(0, 0, 0, 0);
    *note = new QLabel;
    (*note)->setWordWrap(true);
    layout->addWidget(*note);
    auto* scroll = new QScrollArea;
    scroll->setWidgetResizable(true);
    auto* host = new QWidget;
    *grid = new QGridLayout(host);
    (*grid)->setSpacing(spacing);
    scroll->setWidget(host);
    layout->addWidget(scroll, 1);
    return tab;
}

void clearGrid(QGridLayout* grid) {
    while (QLayoutItem* item = grid->takeAt(0)) {
        delete item->widget();
        delete item;
    }
}

// The colour scale the canvas uses, drawn as a labelled bar: vanishing (blue) to exploding (red).
QPixmap legendPixmap(const QString& title, scale_colours::Range range, const QPalette& pal) {
    const int w = 250, h = 30, x0 = 64, x1 = w - 6;
    QPixmap pm(w, h);
    pm.fill(Qt::transparent);
    QPainter p(&pm);
    QLinearGradient g(x0, 0, x1, 0);
    for (int i = 0; i <= 10; ++i) g.setColorAt(i / 10.0, scale_colours::colourAt(i / 10.0));
    p.fillRect(QRect(x0, 2, x1 - x0, 10), g);
    p.setPen(pal.color(QPalette::WindowText));
    QFont f = p.font();
    f.setPointSizeF(f.pointSizeF() * 0.8);
    p.setFont(f);
    p.drawText(QRect(0, 0, x0 - 4, h), Qt::AlignLeft | Qt::AlignTop, title);
    const auto exp = [](double e) { return QStringLiteral("1e%1").arg(static_cast<int>(e)); };
    p.drawText(QRect(x0, 13, 60, 16), Qt::AlignLeft, exp(range.low));
    p.drawText(QRect((x0 + x1) / 2 - 30, 13, 60, 16), Qt::AlignHCenter, exp((range.low + range.high) / 2));
    p.drawText(QRect(x1 - 60, 13, 60, 16), Qt::AlignRight, exp(range.high));
    return pm;
}

QCustomPlot* makeHistogramPlot(const QString& xLabel, QCPBars** bars, QColor colour) {
    auto* plot = new QCustomPlot;
    plot->setMinimumHeight(120);
    plot->xAxis->setLabel(xLabel);
    plot->yAxis->setLabel(QObject::tr("count"));
    plot->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    *bars = new QCPBars(plot->xAxis, plot->yAxis);
    (*bars)->setPen(QPen(colour.darker(130)));
    (*bars)->setBrush(colour);
    followPalette(plot);
    return plot;
}

}  // namespace

InspectorPanel::InspectorPanel(QWidget* parent) : QWidget(parent) {
    qRegisterMetaType<train::CapturePtr>();
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(6, 6, 6, 6);

    auto* top = new QHBoxLayout;
    title_ = new QLabel(tr("No batch captured yet"));
    QFont bold = title_->font();
    bold.setBold(true);
    title_->setFont(bold);
    top->addWidget(title_, 1);
    stepButton_ = new QToolButton;
    stepButton_->setVisible(false);
    top->addWidget(stepButton_);
    captureButton_ = new QPushButton(tr("Capture batch"));
    captureButton_->setToolTip(tr("Run one batch forward and backward with the current weights (nothing is "
                                  "trained) and show every tensor and its gradient"));
    connect(captureButton_, &QPushButton::clicked, this, &InspectorPanel::captureRequested);
    top->addWidget(captureButton_);
    layout->addLayout(top);

    where_ = new QLabel(tr("Press <b>Capture batch</b>, <b>Step</b> (F10) or train to look inside the network."));
    where_->setWordWrap(true);
    layout->addWidget(where_);
    dead_ = new QLabel;
    dead_->setVisible(false);
    layout->addWidget(dead_);

    tree_ = new QTreeWidget;
    tree_->setRootIsDecorated(false);
    tree_->setHeaderLabels({tr("Tensor"), tr("Shape"), tr("Mean"), tr("Std"), tr("Min"), tr("Max"), tr("RMS"),
                            tr("Grad RMS")});
    tree_->header()->setSectionResizeMode(QHeaderView::ResizeToContents);
    tree_->setMaximumHeight(130);
    connect(tree_, &QTreeWidget::currentItemChanged, this, [this] { showSelected(); });
    layout->addWidget(tree_);

    tabs_ = new QTabWidget;
    auto* hist = new QWidget;
    auto* histLayout = new QVBoxLayout(hist);
    histLayout->setContentsMargins(0, 0, 0, 0);
    valuePlot_ = makeHistogramPlot(tr("value"), &valueBars_, QColor(56, 116, 203));
    gradPlot_ = makeHistogramPlot(tr("gradient"), &gradBars_, QColor(220, 120, 30));
    installPlotExportMenu(valuePlot_, QStringLiteral("values-histogram"));
    installPlotExportMenu(gradPlot_, QStringLiteral("gradients-histogram"));
    histLayout->addWidget(valuePlot_);
    histLayout->addWidget(gradPlot_);
    tabs_->addTab(hist, tr("Histograms"));

    heatPlot_ = new QCustomPlot;
    heatPlot_->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    heatPlot_->axisRect()->setupFullAxesBox(true);
    heatPlot_->yAxis->setRangeReversed(true);  // row 0 at the top, as a matrix is written
    heatPlot_->xAxis->setLabel(tr("column"));
    heatPlot_->yAxis->setLabel(tr("row"));
    heatMap_ = new QCPColorMap(heatPlot_->xAxis, heatPlot_->yAxis);
    installPlotExportMenu(heatPlot_, QStringLiteral("heatmap"));
    heatScale_ = new QCPColorScale(heatPlot_);
    heatPlot_->plotLayout()->addElement(0, 1, heatScale_);
    heatMap_->setColorScale(heatScale_);
    heatMap_->setGradient(QCPColorGradient::gpPolar);  // diverging: negative blue, zero dark, positive red
    heatMap_->setInterpolate(false);
    followPalette(heatPlot_);
    tabs_->addTab(heatPlot_, tr("Heatmap"));

    tabs_->addTab(makeGridTab(&mapsNote_, &mapsGrid_, 4), tr("Feature maps"));
    tabs_->addTab(makeGridTab(&attentionNote_, &attentionGrid_, 6), tr("Attention"));
    tabs_->addTab(makeGridTab(&gatesNote_, &gatesGrid_, 6), tr("Gates"));

    // One sample of the batch for the views that show a sample: feature maps, attention, sequences.
    auto* sampleRow = new QHBoxLayout;
    sampleRow->addWidget(new QLabel(tr("Sample")));
    sample_ = new QSpinBox;
    sample_->setRange(0, 0);
    sample_->setToolTip(tr("The sample of the batch that the feature maps, the attention heatmaps and the "
                           "heatmap of a sequence output show"));
    connect(sample_, &QSpinBox::valueChanged, this, [this] { showSelected(); });
    sampleRow->addWidget(sample_);
    sampleRow->addStretch(1);
    layout->addLayout(sampleRow);
    layout->addWidget(tabs_, 1);

    auto* legend = new QHBoxLayout;
    auto* act = new QLabel;
    act->setPixmap(legendPixmap(tr("outputs"), scale_colours::kActivation, palette()));
    act->setToolTip(tr("Canvas: the strip along each node's bottom edge is its output's RMS "
                       "(blue vanishing, green healthy, red exploding)"));
    auto* grad = new QLabel;
    grad->setPixmap(legendPixmap(tr("gradients"), scale_colours::kGradient, palette()));
    grad->setToolTip(tr("Canvas: each edge's colour is the RMS of the loss's gradient flowing back along it "
                        "(blue vanishing, green healthy, red exploding)"));
    legend->addWidget(new QLabel(tr("Canvas colours, RMS on a log scale:")));
    legend->addWidget(act);
    legend->addWidget(grad);
    legend->addStretch(1);
    layout->addLayout(legend);
    rebuild();
}

InspectorPanel::~InspectorPanel() = default;  // task_ stops, waits (bounded) and abandons

bool InspectorPanel::stopAndWait(int ms) {
    if (!capturing_) return true;
    task_.requestStop();
    if (task_.wait(ms)) return true;  // its result is queued
    task_.abandon();
    capturing_ = false;
    captureButton_->setEnabled(true);
    where_->setText(tr("The capture did not stop in time and was abandoned."));
    return false;
}

void InspectorPanel::setStepAction(QAction* action) {
    stepButton_->setDefaultAction(action);
    stepButton_->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    stepButton_->setVisible(action != nullptr);
}

void InspectorPanel::setCapture(const train::CapturePtr& capture) {
    capture_ = capture;
    rebuild();
}

void InspectorPanel::setNode(graph::NodeId node) {
    if (node == node_) return;
    node_ = node;
    rebuild();
}

const train::NodeCapture* InspectorPanel::current() const {
    if (!capture_) return nullptr;
    if (const auto* n = capture_->find(node_)) return n;
    for (const auto& n : capture_->nodes)  // nothing selected (or not in the network): a layer with weights
        if (!n.parameters.empty()) return &n;
    return capture_->nodes.empty() ? nullptr : &capture_->nodes.back();
}

void InspectorPanel::rebuild() {
    const QString previous = selectedTensor();
    tree_->clear();
    const train::NodeCapture* n = current();
    showGates(n);  // of the node, not of the selected tensor or sample
    if (!capture_) {
        title_->setText(tr("No batch captured yet"));
        dead_->setVisible(false);
        showSelected();
        return;
    }
    if (!n) {
        title_->setText(tr("The network has no nodes"));
        showSelected();
        return;
    }
    title_->setText(QStringLiteral("%1 (%2)").arg(QString::fromStdString(n->name), QString::fromStdString(n->type)));
    where_->setText(capture_->global_step >= 0
                        ? tr("Batch of %1 at epoch %2, step %3 (before its optimizer step); loss %4")
                              .arg(capture_->batch_size)
                              .arg(capture_->epoch + 1)
                              .arg(capture_->step + 1)
                              .arg(num(capture_->loss))
                        : tr("Batch of %1 with the project's current weights; loss %2")
                              .arg(capture_->batch_size)
                              .arg(num(capture_->loss)));
    dead_->setVisible(n->dead_fraction >= 0);
    if (n->dead_fraction >= 0)
        dead_->setText(tr("Dead units (zero for every sample of the batch): <b>%1%</b>")
                           .arg(n->dead_fraction * 100.0, 0, 'f', 1));

    auto addRow = [&](const QString& name, const Tensor& value, const Tensor& grad) {
        const train::TensorStats s = train::tensor_stats(value);
        const train::TensorStats g = train::tensor_stats(grad);
        auto* item = new QTreeWidgetItem(tree_, {name, shapeText(value), num(s.mean), num(s.std), num(s.min),
                                                 num(s.max), num(s.rms), grad.defined() ? num(g.rms) : tr("—")});
        item->setData(0, Qt::UserRole, name);
        if (grad.defined())
            item->setForeground(7, scale_colours::colour(g.rms, scale_colours::kGradient).darker(120));
    };
    addRow(QStringLiteral("output"), n->output, n->output_grad);
    for (const auto& p : n->parameters) addRow(QString::fromStdString(p.name), p.value, p.grad);

    if (!selectTensor(previous)) {
        // A layer's weights are what a user looks at first; the output otherwise.
        if (!selectTensor(QStringLiteral("weight"))) selectTensor(QStringLiteral("output"));
    }
}

bool InspectorPanel::selectTensor(const QString& name) {
    if (name.isEmpty()) return false;
    for (int i = 0; i < tree_->topLevelItemCount(); ++i)
        if (tree_->topLevelItem(i)->data(0, Qt::UserRole).toString() == name) {
            if (tree_->currentItem() == tree_->topLevelItem(i)) showSelected();
            else tree_->setCurrentItem(tree_->topLevelItem(i));
            return true;
        }
    return false;
}

QString InspectorPanel::selectedTensor() const {
    return tree_->currentItem() ? tree_->currentItem()->data(0, Qt::UserRole).toString() : QString();
}

Tensor InspectorPanel::selectedValue() const {
    const train::NodeCapture* n = current();
    const QString name = selectedTensor();
    if (!n || name.isEmpty()) return {};
    if (name == QLatin1String("output")) return n->output;
    for (const auto& p : n->parameters)
        if (QString::fromStdString(p.name) == name) return p.value;
    return {};
}

Tensor InspectorPanel::selectedGrad() const {
    const train::NodeCapture* n = current();
    const QString name = selectedTensor();
    if (!n || name.isEmpty()) return {};
    if (name == QLatin1String("output")) return n->output_grad;
    for (const auto& p : n->parameters)
        if (QString::fromStdString(p.name) == name) return p.grad;
    return {};
}

std::int64_t InspectorPanel::valueHistogramTotal() const { return valueTotal_; }
std::int64_t InspectorPanel::gradientHistogramTotal() const { return gradTotal_; }

QSize InspectorPanel::heatmapSize() const {
    return QSize(heatMap_->data()->keySize(), heatMap_->data()->valueSize());
}

void InspectorPanel::showSelected() {
    const Tensor value = selectedValue();
    const Tensor grad = selectedGrad();
    const QString name = selectedTensor();
    showHistogram(valuePlot_, valueBars_, value, &valueTotal_, name);
    showHistogram(gradPlot_, gradBars_, grad, &gradTotal_, tr("gradient of %1").arg(name));
    const train::NodeCapture* n = current();
    const std::int64_t batch = n && n->output.defined() && n->output.dim() >= 1 ? n->output.size(0) : 0;
    {
        const QSignalBlocker block(sample_);
        sample_->setMaximum(static_cast<int>(std::max<std::int64_t>(batch - 1, 0)));
        sample_->setEnabled(batch > 1);
    }
    // A sequence output [B, T, F] shows one sample's time steps × features (an RNN's hidden states
    // over time); anything else as a matrix of the whole tensor.
    const bool sequence = name == QLatin1String("output") && value.defined() && value.dim() == 3 && batch > 0;
    showHeatmap(sequence ? value.select(0, std::min<std::int64_t>(sample_->value(), batch - 1)) : value,
                sequence ? tr("feature") : tr("column"), sequence ? tr("time step") : tr("row"));
    showFeatureMaps(n ? n->output : Tensor());
    showAttention(n ? n->attention : Tensor());
}

void InspectorPanel::showHistogram(QCustomPlot* plot, QCPBars* bars, const Tensor& t, std::int64_t* total,
                                   const QString& what) {
    QVector<double> keys, counts;
    *total = 0;
    if (t.defined() && t.numel() > 0) {
        const train::Histogram h = train::histogram(t, kBins);
        for (std::size_t i = 0; i < h.counts.size(); ++i) {
            keys << h.bin_center(i);
            counts << static_cast<double>(h.counts[i]);
        }
        *total = h.total();
        bars->setWidth(h.bin_width());
        plot->xAxis->setLabel(h.non_finite > 0 ? tr("%1 (%2 not finite, not shown)").arg(what).arg(h.non_finite) : what);
        plot->xAxis->setRange(h.lo, h.hi);
        plot->yAxis->setRange(0, std::max(1.0, *std::max_element(counts.begin(), counts.end()) * 1.1));
    } else {
        plot->xAxis->setLabel(what.isEmpty() ? QString() : tr("%1: none").arg(what));
    }
    bars->setData(keys, counts, true);
    plot->replot(QCustomPlot::rpQueuedReplot);
}

void InspectorPanel::showHeatmap(const Tensor& t, const QString& columns, const QString& rowsName) {
    if (!t.defined() || t.numel() == 0) {
        heatMap_->data()->setSize(0, 0);
        heatPlot_->replot(QCustomPlot::rpQueuedReplot);
        return;
    }
    // As a matrix: rows along the first dimension (output units, or samples), the rest flattened.
    const std::int64_t rows = t.dim() >= 2 ? t.size(0) : 1;
    const std::int64_t cols = t.numel() / std::max<std::int64_t>(rows, 1);
    const std::int64_t shownRows = std::min(rows, kMaxHeatRows), shownCols = std::min(cols, kMaxHeatCols);
    const std::vector<double> v = t.to_vector<double>();
    heatMap_->data()->setSize(static_cast<int>(shownCols), static_cast<int>(shownRows));
    heatMap_->data()->setRange(QCPRange(0, static_cast<double>(shownCols - 1)), QCPRange(0, static_cast<double>(shownRows - 1)));
    double extent = 0.0;
    for (std::int64_t r = 0; r < shownRows; ++r)
        for (std::int64_t c = 0; c < shownCols; ++c) {
            const double x = v[static_cast<std::size_t>(r * cols + c)];
            heatMap_->data()->setCell(static_cast<int>(c), static_cast<int>(r), x);
            if (std::isfinite(x)) extent = std::max(extent, std::abs(x));
        }
    heatMap_->setDataRange(QCPRange(-std::max(extent, 1e-12), std::max(extent, 1e-12)));  // zero in the middle
    heatPlot_->xAxis->setRange(-0.5, static_cast<double>(shownCols) - 0.5);
    heatPlot_->yAxis->setRange(-0.5, static_cast<double>(shownRows) - 0.5);
    heatPlot_->xAxis->setLabel(shownCols < cols ? tr("%1 (first %2 of %3)").arg(columns).arg(shownCols).arg(cols) : columns);
    heatPlot_->yAxis->setLabel(shownRows < rows ? tr("%1 (first %2 of %3)").arg(rowsName).arg(shownRows).arg(rows) : rowsName);
    heatPlot_->replot(QCustomPlot::rpQueuedReplot);
}

void InspectorPanel::showFeatureMaps(const Tensor& output) {
    clearGrid(mapsGrid_);
    featureMaps_ = 0;
    if (!output.defined() || output.dim() != 4 || output.size(0) == 0) {
        mapsNote_->setText(tr("Feature maps are shown for image-shaped outputs [batch, channels, height, width], "
                              "such as those of Conv2d and pooling layers."));
        return;
    }
    const std::int64_t batch = output.size(0), channels = output.size(1), h = output.size(2), w = output.size(3);
    const std::int64_t s = std::min<std::int64_t>(sample_->value(), batch - 1);
    const std::int64_t shown = std::min<std::int64_t>(channels, kMaxFeatureMaps);
    mapsNote_->setText(tr("Sample %1 of the batch: %2 channel(s) of %3×%4%5; each map scaled to its own range "
                          "(black low, white high).")
                           .arg(s)
                           .arg(channels)
                           .arg(h)
                           .arg(w)
                           .arg(shown < channels ? tr(", the first %1 shown").arg(shown) : QString()));
    const std::vector<double> v = output.select(0, s).to_vector<double>();
    const int cell = static_cast<int>(std::clamp<std::int64_t>(64 / std::max(h, w), 2, 16));
    const int perRow = 8;
    for (std::int64_t c = 0; c < shown; ++c) {
        const double* m = v.data() + c * h * w;
        double lo = m[0], hi = m[0];
        for (std::int64_t i = 0; i < h * w; ++i)
            if (std::isfinite(m[i])) {
                lo = std::min(lo, m[i]);
                hi = std::max(hi, m[i]);
            }
        QImage img(static_cast<int>(w), static_cast<int>(h), QImage::Format_Grayscale8);
        for (std::int64_t y = 0; y < h; ++y)
            for (std::int64_t x = 0; x < w; ++x) {
                const double t = hi > lo ? (m[y * w + x] - lo) / (hi - lo) : 0.0;
                img.scanLine(static_cast<int>(y))[x] = static_cast<uchar>(std::clamp(t, 0.0, 1.0) * 255.0);
            }
        auto* label = new QLabel;
        label->setPixmap(QPixmap::fromImage(img.scaled(static_cast<int>(w) * cell, static_cast<int>(h) * cell)));
        label->setToolTip(tr("channel %1: %2 … %3").arg(c).arg(num(lo), num(hi)));
        mapsGrid_->addWidget(label, static_cast<int>(c / perRow), static_cast<int>(c % perRow));
        ++featureMaps_;
    }
}

void InspectorPanel::showAttention(const Tensor& weights) {
    clearGrid(attentionGrid_);
    attentionHeads_ = 0;
    if (!weights.defined() || weights.dim() != 4 || weights.size(0) == 0) {
        attentionNote_->setText(tr("Attention weights are shown for MultiheadAttention and TransformerEncoderLayer "
                                   "nodes: for each head, how much each query step (row) attends to each key step "
                                   "(column)."));
        return;
    }
    const std::int64_t batch = weights.size(0), heads = weights.size(1), l = weights.size(2), k = weights.size(3);
    const std::int64_t s = std::min<std::int64_t>(sample_->value(), batch - 1);
    attentionNote_->setText(tr("Sample %1 of the batch: %2 head(s), %3 query steps (rows) × %4 key steps "
                               "(columns). Each row sums to 1; white 0, dark blue 1.")
                                .arg(s)
                                .arg(heads)
                                .arg(l)
                                .arg(k));
    const std::vector<double> v = weights.select(0, s).to_vector<double>();
    const int cell = static_cast<int>(std::clamp<std::int64_t>(160 / std::max(l, k), 2, 24));
    const int perRow = 4;
    for (std::int64_t h = 0; h < heads; ++h) {
        const double* m = v.data() + h * l * k;
        QImage img(static_cast<int>(k), static_cast<int>(l), QImage::Format_RGB32);
        for (std::int64_t y = 0; y < l; ++y)
            for (std::int64_t x = 0; x < k; ++x) {
                const double t = std::isfinite(m[y * k + x]) ? std::clamp(m[y * k + x], 0.0, 1.0) : 0.0;
                // White (0) to a dark blue (1): a probability, not a signed value.
                img.setPixel(static_cast<int>(x), static_cast<int>(y),
                             qRgb(static_cast<int>(255 - 247 * t), static_cast<int>(255 - 207 * t),
                                  static_cast<int>(255 - 148 * t)));
            }
        auto* box = new QWidget;
        auto* boxLayout = new QVBoxLayout(box);
        boxLayout->setContentsMargins(0, 0, 0, 0);
        boxLayout->setSpacing(2);
        auto* title = new QLabel(tr("head %1").arg(h));
        title->setAlignment(Qt::AlignCenter);
        auto* label = new QLabel;
        label->setPixmap(QPixmap::fromImage(img.scaled(static_cast<int>(k) * cell, static_cast<int>(l) * cell)));
        label->setToolTip(tr("head %1: rows are query steps 0…%2, columns key steps 0…%3").arg(h).arg(l - 1).arg(k - 1));
        boxLayout->addWidget(title);
        boxLayout->addWidget(label);
        attentionGrid_->addWidget(box, static_cast<int>(h / perRow), static_cast<int>(h % perRow));
        ++attentionHeads_;
    }
}

// The saturation plot of Karpathy, Johnson and Fei-Fei, "Visualizing and Understanding Recurrent
// Networks" (2015): per gate a dot per unit at (fraction right-saturated, fraction left-saturated).
void InspectorPanel::showGates(const train::NodeCapture* n) {
    clearGrid(gatesGrid_);
    gatePoints_.clear();
    if (!n || n->gates.empty()) {
        gatesNote_->setText(tr("For LSTM layers: how often each unit's input, forget and output gates were almost "
                               "closed (below 0.1) or almost open (above 0.9) on the captured batch. Select an "
                               "LSTM node and capture a batch, step or train to see them."));
        gatesNote_->setToolTip(QString());
        return;
    }
    const nn::GateSaturation& first = n->gates.front();
    const std::int64_t units = static_cast<std::int64_t>(first.left[0].size());
    gatesNote_->setText(tr("Each dot is one unit: dots near the right end are gates that are almost always open "
                           "(above 0.9), near the top gates almost always closed (below 0.1), and near the corner "
                           "(0, 0) gates that open and close with the input.<br><small>%1 unit(s), each over %2 "
                           "values (samples × steps) of the captured batch.</small>")
                            .arg(units)
                            .arg(first.values));
    gatesNote_->setToolTip(tr("After Karpathy et al., \"Visualizing and Understanding Recurrent Networks\" (2015). "
                              "A unit's two fractions add up to at most 1, so no dot lies above the dashed "
                              "diagonal."));
    const char* names[] = {QT_TR_NOOP("input gate"), QT_TR_NOOP("forget gate"), QT_TR_NOOP("output gate")};
    const QColor colours[] = {QColor(56, 116, 203), QColor(220, 120, 30), QColor(46, 150, 80)};
    const bool several = n->gates.size() > 1;
    int row = 0;
    for (const nn::GateSaturation& s : n->gates) {
        for (std::size_t g = 0; g < 3; ++g) {
            auto* box = new QWidget;
            auto* boxLayout = new QVBoxLayout(box);
            boxLayout->setContentsMargins(0, 0, 0, 0);
            boxLayout->setSpacing(2);
            QString title = tr(names[g]);
            if (several)
                title = tr("%1, layer %2%3").arg(title).arg(s.layer).arg(s.direction == 1 ? tr(" reverse") : QString());
            auto* label = new QLabel(title);
            label->setAlignment(Qt::AlignCenter);
            auto* plot = new QCustomPlot;
            plot->setMinimumSize(170, 150);  // a row of three fits the docked inspector without scrolling
            installPlotExportMenu(plot, QStringLiteral("gate-saturation"));
            plot->xAxis->setLabel(tr("fraction open (> 0.9)"));
            plot->yAxis->setLabel(tr("fraction closed (< 0.1)"));
            QFont small = plot->xAxis->labelFont();
            small.setPointSizeF(small.pointSizeF() * 0.85);
            for (QCPAxis* axis : {plot->xAxis, plot->yAxis}) {
                axis->setLabelFont(small);
                axis->setTickLabelFont(small);
                axis->setLabelPadding(2);
            }
            plot->xAxis->setRange(-0.04, 1.04);
            plot->yAxis->setRange(-0.04, 1.04);
            // left + right <= 1: the diagonal bounds every dot.
            auto* diagonal = new QCPItemLine(plot);
            diagonal->start->setCoords(0.0, 1.0);
            diagonal->end->setCoords(1.0, 0.0);
            diagonal->setPen(QPen(palette().color(QPalette::Mid), 1, Qt::DashLine));
            QCPGraph* dots = plot->addGraph();
            dots->setLineStyle(QCPGraph::lsNone);
            dots->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, colours[g], colours[g], 6));
            QVector<double> xs(s.right[g].begin(), s.right[g].end()), ys(s.left[g].begin(), s.left[g].end());
            dots->setData(xs, ys);
            followPalette(plot);
            boxLayout->addWidget(label);
            boxLayout->addWidget(plot, 1);
            gatesGrid_->addWidget(box, row, static_cast<int>(g));
            gatePoints_.push_back(dots->dataCount());
        }
        ++row;
    }
}

bool InspectorPanel::captureProject(const project::Project& project) {
    if (capturing_) return false;
    task_.finish();  // a previous capture's thread, if its result was not taken yet
    capturing_ = true;
    captureButton_->setEnabled(false);
    where_->setText(tr("Capturing one batch…"));
    // The job reaches the panel only through job.post(), which does nothing once the panel let go of it.
    task_.start([this, project](BackgroundTask::Job& job) {
        train::CapturePtr capture;
        QString error;
        try {
            train::TrainConfig config = train::TrainConfig::from_json(project.train_config_json);
            config.device = "cpu";  // one batch: the CPU, whatever device the project trains on
            train::Experiment ex(project, config, &job.stop());
            ex.load_weights(project);
            const auto& set = ex.train_set();
            NEURA_CHECK(set->size() > 0, "the training split is empty");
            std::vector<std::int64_t> idx;
            const std::int64_t rows = std::min<std::int64_t>(std::max<std::int64_t>(1, ex.config().batch_size), set->size());
            for (std::int64_t i = 0; i < rows; ++i) idx.push_back(i);
            const data::Batch batch = set->get_batch(idx);
            if (job.stop().stop_requested()) throw train::RunStopped("capture stopped by the user");
            capture = std::make_shared<const train::Capture>(train::capture_batch(ex.network(), batch));
        } catch (const std::exception& e) {
            error = QString::fromStdString(e.what());
        } catch (...) {
            error = tr("capturing the batch failed with an unknown error");
        }
        job.post([this, capture, error] {
            task_.finish();  // it posted this as its last act
            capturing_ = false;
            captureButton_->setEnabled(true);
            if (!error.isEmpty()) {
                where_->setText(tr("Could not capture a batch: %1").arg(error));
                emit captureFailed(error);
                return;
            }
            setCapture(capture);
            emit captureReady(capture);
        });
    });
    return true;
}

}  // namespace neura::gui
