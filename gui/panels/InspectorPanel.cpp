#include "panels/InspectorPanel.h"

#include <QAction>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QImage>
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
    heatScale_ = new QCPColorScale(heatPlot_);
    heatPlot_->plotLayout()->addElement(0, 1, heatScale_);
    heatMap_->setColorScale(heatScale_);
    heatMap_->setGradient(QCPColorGradient::gpPolar);  // diverging: negative blue, zero dark, positive red
    heatMap_->setInterpolate(false);
    followPalette(heatPlot_);
    tabs_->addTab(heatPlot_, tr("Heatmap"));

    auto* maps = new QWidget;
    auto* mapsLayout = new QVBoxLayout(maps);
    mapsLayout->setContentsMargins(0, 0, 0, 0);
    auto* sampleRow = new QHBoxLayout;
    sampleRow->addWidget(new QLabel(tr("Sample")));
    sample_ = new QSpinBox;
    sample_->setRange(0, 0);
    connect(sample_, &QSpinBox::valueChanged, this, [this] { showSelected(); });
    sampleRow->addWidget(sample_);
    sampleRow->addStretch(1);
    mapsLayout->addLayout(sampleRow);
    mapsNote_ = new QLabel;
    mapsNote_->setWordWrap(true);
    mapsLayout->addWidget(mapsNote_);
    auto* scroll = new QScrollArea;
    scroll->setWidgetResizable(true);
    mapsHost_ = new QWidget;
    mapsGrid_ = new QGridLayout(mapsHost_);
    mapsGrid_->setSpacing(4);
    scroll->setWidget(mapsHost_);
    mapsLayout->addWidget(scroll, 1);
    tabs_->addTab(maps, tr("Feature maps"));
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
    showHeatmap(value);
    const train::NodeCapture* n = current();
    showFeatureMaps(n ? n->output : Tensor());
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

void InspectorPanel::showHeatmap(const Tensor& t) {
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
    heatPlot_->xAxis->setLabel(shownCols < cols ? tr("column (first %1 of %2)").arg(shownCols).arg(cols) : tr("column"));
    heatPlot_->yAxis->setLabel(shownRows < rows ? tr("row (first %1 of %2)").arg(shownRows).arg(rows) : tr("row"));
    heatPlot_->replot(QCustomPlot::rpQueuedReplot);
}

void InspectorPanel::showFeatureMaps(const Tensor& output) {
    while (QLayoutItem* item = mapsGrid_->takeAt(0)) {
        delete item->widget();
        delete item;
    }
    featureMaps_ = 0;
    if (!output.defined() || output.dim() != 4 || output.size(0) == 0) {
        mapsNote_->setText(tr("Feature maps are shown for image-shaped outputs [batch, channels, height, width], "
                              "such as those of Conv2d and pooling layers."));
        sample_->setEnabled(false);
        return;
    }
    const std::int64_t batch = output.size(0), channels = output.size(1), h = output.size(2), w = output.size(3);
    sample_->setEnabled(true);
    sample_->setMaximum(static_cast<int>(batch - 1));
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
