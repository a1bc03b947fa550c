#include "panels/EvaluationPanel.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QListWidget>
#include <QPainter>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QSplitter>
#include <QStackedWidget>
#include <QTabWidget>
#include <QTableWidget>
#include <QVBoxLayout>
#include <algorithm>
#include <cmath>
#include <qcustomplot.h>

#include "neura/train/Experiment.h"
#include "panels/ConfusionMatrixView.h"
#include "panels/DecisionBoundaryView.h"
#include "panels/PlotExport.h"
#include "panels/PlotPalette.h"

namespace neura::gui {

namespace {
constexpr int kMaxListed = 400;

// A plot in the studio's colours with the export menu (image or CSV); `name` is the file name it suggests.
QCustomPlot* makePlot(QWidget* parent, const QString& name, const QString& x, const QString& y) {
    auto* plot = new QCustomPlot(parent);
    plot->setMinimumSize(200, 160);
    plot->xAxis->setLabel(x);
    plot->yAxis->setLabel(y);
    plot->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    followPalette(plot);
    installPlotExportMenu(plot, name);
    return plot;
}

QString number(double v, int digits = 4) { return std::isfinite(v) ? QString::number(v, 'g', digits) : QStringLiteral("n/a"); }
}  // namespace

EvaluationPanel::EvaluationPanel(QWidget* parent) : QWidget(parent) {
    auto* v = new QVBoxLayout(this);
    v->setContentsMargins(4, 4, 4, 4);
    auto* top = new QHBoxLayout;
    split_ = new QComboBox(this);
    split_->setObjectName("evaluationSplit");
    split_->addItem(tr("Validation"), QStringLiteral("val"));
    split_->addItem(tr("Training"), QStringLiteral("train"));
    evaluateButton_ = new QPushButton(tr("Evaluate"), this);
    evaluateButton_->setObjectName("evaluateButton");
    progress_ = new QProgressBar(this);
    progress_->setMaximumWidth(90);
    progress_->setRange(0, 1);
    progress_->setTextVisible(false);
    progress_->hide();
    status_ = new QLabel(tr("Train the model, then evaluate it here."), this);
    status_->setWordWrap(true);
    status_->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    top->addWidget(new QLabel(tr("Split"), this));
    top->addWidget(split_);
    top->addWidget(evaluateButton_);
    top->addWidget(progress_);
    top->addStretch(1);
    v->addLayout(top);
    v->addWidget(status_);
    connect(evaluateButton_, &QPushButton::clicked, this, &EvaluationPanel::evaluate);
    connect(split_, &QComboBox::currentIndexChanged, this, [this] {
        if (result_) evaluate();
    });

    tabs_ = new QTabWidget(this);
    tabs_->setDocumentMode(true);
    v->addWidget(tabs_, 1);

    // ---- Confusion matrix, with the chosen cell's samples beside it.
    confusionTab_ = new QWidget(tabs_);
    auto* ch = new QHBoxLayout(confusionTab_);
    ch->setContentsMargins(0, 4, 0, 0);
    auto* splitter = new QSplitter(Qt::Horizontal, confusionTab_);
    ch->addWidget(splitter);
    auto* left = new QWidget(splitter);
    auto* lv = new QVBoxLayout(left);
    lv->setContentsMargins(0, 0, 0, 0);
    normalize_ = new QComboBox(this);
    normalize_->setObjectName("confusionMode");
    normalize_->addItems({tr("Counts"), tr("Row-normalised")});
    confusion_ = new ConfusionMatrixView(left);
    confusion_->setObjectName("confusionMatrix");
    lv->addWidget(confusion_, 1);
    connect(normalize_, &QComboBox::currentIndexChanged, this, [this](int i) { confusion_->setNormalized(i == 1); });
    normalize_->setToolTip(tr("The confusion matrix's cells: counts, or each row's share (rows sum to 1)"));
    top->insertWidget(3, normalize_);
    connect(confusion_, &ConfusionMatrixView::cellActivated, this, &EvaluationPanel::showCell);
    auto* right = new QWidget(splitter);
    auto* rv = new QVBoxLayout(right);
    rv->setContentsMargins(0, 0, 0, 0);
    cellLabel_ = new QLabel(right);
    cellLabel_->setWordWrap(true);
    rv->addWidget(cellLabel_);
    samples_ = new QStackedWidget(right);
    thumbnails_ = new QListWidget(samples_);
    thumbnails_->setObjectName("cellThumbnails");
    thumbnails_->setViewMode(QListView::IconMode);
    thumbnails_->setIconSize(QSize(48, 48));
    thumbnails_->setGridSize(QSize(70, 78));
    thumbnails_->setResizeMode(QListView::Adjust);
    thumbnails_->setMovement(QListView::Static);
    thumbnails_->setUniformItemSizes(true);
    featureRows_ = new QTableWidget(samples_);
    featureRows_->setObjectName("cellRows");
    featureRows_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    featureRows_->setSelectionBehavior(QAbstractItemView::SelectRows);
    featureRows_->setSelectionMode(QAbstractItemView::SingleSelection);
    featureRows_->verticalHeader()->hide();
    featureRows_->verticalHeader()->setDefaultSectionSize(fontMetrics().height() + 4);
    samples_->addWidget(thumbnails_);
    samples_->addWidget(featureRows_);
    rv->addWidget(samples_, 1);
    splitter->setStretchFactor(0, 1);
    splitter->setStretchFactor(1, 1);
    tabs_->addTab(confusionTab_, tr("Confusion matrix"));
    // Choosing a listed sample explains it on the Saliency tab.
    auto pick = [this](std::int64_t row) {
        if (!result_ || row < 0 || row >= result_->evaluation.rows()) return;
        sample_->setValue(static_cast<int>(result_->evaluation.row_sample[static_cast<std::size_t>(row)]));
    };
    connect(thumbnails_, &QListWidget::currentItemChanged, this, [pick](QListWidgetItem* item) {
        if (item) pick(item->data(Qt::UserRole).toLongLong());
    });
    connect(featureRows_, &QTableWidget::currentCellChanged, this, [this, pick](int row) {
        if (const auto* item = row >= 0 ? featureRows_->item(row, 0) : nullptr) pick(item->data(Qt::UserRole).toLongLong());
    });

    // ---- Per-class scores.
    scoresTab_ = new QWidget(tabs_);
    auto* sv = new QVBoxLayout(scoresTab_);
    sv->setContentsMargins(0, 4, 0, 0);
    scores_ = new QTableWidget(scoresTab_);
    scores_->setObjectName("classScores");
    scores_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    scores_->setColumnCount(4);
    scores_->setHorizontalHeaderLabels({tr("precision"), tr("recall"), tr("F1"), tr("support")});
    scores_->verticalHeader()->setDefaultSectionSize(fontMetrics().height() + 4);
    scores_->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
    sv->addWidget(scores_, 1);
    warnings_ = new QLabel(scoresTab_);
    warnings_->setWordWrap(true);
    warnings_->setStyleSheet(QStringLiteral("color: #c08000"));
    sv->addWidget(warnings_);
    tabs_->addTab(scoresTab_, tr("Scores"));

    // ---- ROC and precision-recall curves.
    curvesTab_ = new QWidget(tabs_);
    auto* cv = new QHBoxLayout(curvesTab_);
    cv->setContentsMargins(0, 4, 0, 0);
    roc_ = makePlot(curvesTab_, QStringLiteral("roc-curves"), tr("false-positive rate"), tr("true-positive rate"));
    roc_->setObjectName("rocPlot");
    pr_ = makePlot(curvesTab_, QStringLiteral("precision-recall-curves"), tr("recall"), tr("precision"));
    pr_->setObjectName("prPlot");
    cv->addWidget(roc_);
    cv->addWidget(pr_);
    tabs_->addTab(curvesTab_, tr("Curves"));

    // ---- Regression.
    regressionTab_ = new QWidget(tabs_);
    auto* gv = new QVBoxLayout(regressionTab_);
    gv->setContentsMargins(0, 4, 0, 0);
    regressionLabel_ = new QLabel(regressionTab_);
    regressionLabel_->setObjectName("regressionMetrics");
    regressionLabel_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    gv->addWidget(regressionLabel_);
    auto* gh = new QHBoxLayout;
    scatter_ = makePlot(regressionTab_, QStringLiteral("predicted-vs-actual"), tr("actual"), tr("predicted"));
    scatter_->setObjectName("predictedActualPlot");
    residuals_ = makePlot(regressionTab_, QStringLiteral("residuals"), tr("residual (predicted − actual)"), tr("samples"));
    residuals_->setObjectName("residualPlot");
    gh->addWidget(scatter_);
    gh->addWidget(residuals_);
    gv->addLayout(gh, 1);
    tabs_->addTab(regressionTab_, tr("Regression"));

    // ---- Saliency.
    saliencyTab_ = new QWidget(tabs_);
    auto* av = new QVBoxLayout(saliencyTab_);
    av->setContentsMargins(0, 4, 0, 0);
    auto* ah = new QHBoxLayout;
    sample_ = new QSpinBox(saliencyTab_);
    sample_->setObjectName("saliencySample");
    method_ = new QComboBox(saliencyTab_);
    method_->setObjectName("saliencyMethod");
    method_->addItem(tr("integrated gradients"), static_cast<int>(eval::SaliencyMethod::IntegratedGradients));
    method_->addItem(tr("gradient × input"), static_cast<int>(eval::SaliencyMethod::GradientTimesInput));
    target_ = new QComboBox(saliencyTab_);
    target_->setObjectName("saliencyTarget");
    target_->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    ah->addWidget(new QLabel(tr("Sample"), saliencyTab_));
    ah->addWidget(sample_);
    ah->addWidget(method_);
    ah->addWidget(new QLabel(tr("explaining"), saliencyTab_));
    ah->addWidget(target_);
    ah->addStretch(1);
    av->addLayout(ah);
    saliencyLabel_ = new QLabel(saliencyTab_);
    saliencyLabel_->setObjectName("saliencySummary");
    saliencyLabel_->setWordWrap(true);
    saliencyLabel_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    av->addWidget(saliencyLabel_);
    saliencyView_ = new QStackedWidget(saliencyTab_);
    auto* pictures = new QWidget(saliencyView_);
    auto* ph = new QHBoxLayout(pictures);
    imageLabel_ = new QLabel(pictures);
    heatLabel_ = new QLabel(pictures);
    heatLabel_->setObjectName("saliencyHeatMap");
    for (QLabel* l : {imageLabel_, heatLabel_}) l->setAlignment(Qt::AlignCenter);
    ph->addStretch(1);
    for (auto [picture, caption] : {std::pair{imageLabel_, tr("the sample")},
                                    std::pair{heatLabel_, tr("attributions (red +, blue −)")}}) {
        auto* column = new QVBoxLayout;
        column->addStretch(1);
        column->addWidget(picture);
        auto* label = new QLabel(caption, pictures);
        label->setAlignment(Qt::AlignCenter);
        column->addWidget(label);
        column->addStretch(1);
        ph->addLayout(column);
    }
    ph->addStretch(1);
    bars_ = makePlot(saliencyView_, QStringLiteral("saliency"), tr("attribution"), QString());
    bars_->setObjectName("saliencyBars");
    saliencyView_->addWidget(pictures);
    saliencyView_->addWidget(bars_);
    av->addWidget(saliencyView_, 1);
    tabs_->addTab(saliencyTab_, tr("Saliency"));
    connect(sample_, &QSpinBox::valueChanged, this, &EvaluationPanel::computeSaliency);
    connect(method_, &QComboBox::currentIndexChanged, this, &EvaluationPanel::computeSaliency);
    connect(target_, &QComboBox::currentIndexChanged, this, &EvaluationPanel::computeSaliency);

    clearResults(tr("Train the model, then evaluate it here."));
}

EvaluationPanel::~EvaluationPanel() = default;  // task_ stops, waits (bounded) and abandons

void EvaluationPanel::setProjectSource(std::function<project::Project()> source) { source_ = std::move(source); }

QString EvaluationPanel::split() const { return split_->currentData().toString(); }

void EvaluationPanel::setSplit(const QString& split) {
    const int i = split_->findData(split);
    if (i < 0 || i == split_->currentIndex()) return;
    QSignalBlocker b(split_);
    split_->setCurrentIndex(i);
}

QString EvaluationPanel::statusText() const { return status_->text(); }
QString EvaluationPanel::regressionText() const { return regressionLabel_->text(); }
QString EvaluationPanel::saliencyText() const { return saliencyLabel_->text(); }

QAbstractItemView* EvaluationPanel::sampleView() const {
    return samples_->currentWidget() == thumbnails_ ? static_cast<QAbstractItemView*>(thumbnails_) : featureRows_;
}

std::vector<std::int64_t> EvaluationPanel::listedRows() const {
    std::vector<std::int64_t> rows;
    if (samples_->currentWidget() == thumbnails_) {
        for (int i = 0; i < thumbnails_->count(); ++i) rows.push_back(thumbnails_->item(i)->data(Qt::UserRole).toLongLong());
    } else {
        for (int i = 0; i < featureRows_->rowCount(); ++i)
            if (const auto* item = featureRows_->item(i, 0)) rows.push_back(item->data(Qt::UserRole).toLongLong());
    }
    return rows;
}

bool EvaluationPanel::stopAndWait(int ms) {
    if (!running_) return true;
    task_.requestStop();
    if (task_.wait(ms)) return true;
    task_.abandon();
    running_ = false;
    return false;
}

void EvaluationPanel::stop() {
    again_ = false;
    if (running_) task_.requestStop();
}

void EvaluationPanel::projectChanged() {
    stale_ = true;
    if (isVisible()) evaluate();
}

void EvaluationPanel::showEvent(QShowEvent* e) {
    QWidget::showEvent(e);
    if (stale_ && !running_ && source_) evaluate();
}

void EvaluationPanel::evaluate() {
    if (!source_) return;
    if (running_) {  // the newest request wins: run again once this one ends
        again_ = true;
        task_.requestStop();
        return;
    }
    stale_ = false;
    const project::Project project = source_();
    if (project.weights.empty()) {
        clearResults(tr("The model is not trained yet: train it (F5), then evaluate it here."));
        emit failed(status_->text());
        return;
    }
    task_.finish();
    running_ = true;
    progress_->setRange(0, 0);
    progress_->show();
    status_->setText(tr("Evaluating the %1 split…").arg(split_->currentText().toLower()));
    emit started();
    // The job owns its copy of the project; it reaches the panel only through job.post().
    task_.start([this, project, split = split().toStdString()](BackgroundTask::Job& job) {
        std::shared_ptr<eval::ProjectEvaluation> result;
        QString error;
        try {
            result = std::make_shared<eval::ProjectEvaluation>(eval::evaluate_project(project, split, &job.stop()));
        } catch (const train::RunStopped&) {
        } catch (const std::exception& e) {
            error = QString::fromStdString(e.what());
        } catch (...) {
            error = QStringLiteral("the evaluation failed with an unknown error");
        }
        const bool stopped = job.stop().stop_requested();
        job.post([this, result = std::move(result), error, stopped]() mutable { finishRun(std::move(result), error, stopped); });
    });
}

void EvaluationPanel::finishRun(std::shared_ptr<eval::ProjectEvaluation> result, const QString& error, bool stopped) {
    task_.finish();  // it posted this as its last act
    running_ = false;
    progress_->hide();
    if (again_) {
        again_ = false;
        evaluate();
        return;
    }
    if (!error.isEmpty() || !result) {
        status_->setText(error.isEmpty() ? (stopped ? tr("Evaluation stopped.") : tr("Evaluation failed."))
                                         : tr("Cannot evaluate: %1").arg(error));
        emit failed(status_->text());
        return;
    }
    result_ = std::move(result);
    saliency_.reset();
    showResult();
    emit finished();
}

void EvaluationPanel::clearResults(const QString& message) {
    result_.reset();
    saliency_.reset();
    status_->setText(message);
    confusion_->setMatrix({}, {});
    cellLabel_->clear();
    thumbnails_->clear();
    featureRows_->setRowCount(0);
    scores_->setRowCount(0);
    warnings_->clear();
    for (QCustomPlot* p : {roc_, pr_, scatter_, residuals_, bars_}) {
        p->clearPlottables();
        p->replot();
    }
    regressionLabel_->clear();
    saliencyLabel_->clear();
    imageLabel_->clear();
    heatLabel_->clear();
}

bool EvaluationPanel::imageData() const {
    return result_ && result_->split_data().feature_shape().size() == 3 && !result_->split_data().token_features();
}

void EvaluationPanel::showResult() {
    const eval::Evaluation& e = result_->evaluation;
    const bool cls = e.is_classification();
    tabs_->setTabVisible(tabs_->indexOf(confusionTab_), cls);
    tabs_->setTabVisible(tabs_->indexOf(scoresTab_), cls);
    tabs_->setTabVisible(tabs_->indexOf(curvesTab_), cls);
    tabs_->setTabVisible(tabs_->indexOf(regressionTab_), !cls);
    normalize_->setVisible(cls);
    const QString where = tr("%1 split, %2 samples").arg(split_->currentText()).arg(e.samples);
    if (cls)
        status_->setText(tr("%1 · accuracy %2 · macro F1 %3 · loss %4")
                             .arg(where)
                             .arg(e.classification.accuracy, 0, 'f', 3)
                             .arg(e.classification.macro.f1, 0, 'f', 3)
                             .arg(number(e.loss)));
    else
        status_->setText(tr("%1 · MSE %2 · R² %3").arg(where, number(e.regression.mse, 5), number(e.regression.r2)));
    QStringList names;
    for (const auto& n : e.class_names) names << QString::fromStdString(n);
    if (cls) {
        confusion_->setMatrix(e.classification.confusion, names);
        cellLabel_->setText(tr("Click a cell to list its samples."));
        thumbnails_->clear();
        featureRows_->setRowCount(0);
        samples_->setCurrentWidget(imageData() ? static_cast<QWidget*>(thumbnails_) : featureRows_);
        showScores();
        showCurves();
    } else {
        showRegression();
    }
    // Saliency: which sample, which output.
    {
        QSignalBlocker a(sample_), b(target_);
        sample_->setRange(0, static_cast<int>(std::max<std::int64_t>(0, result_->split_data().size() - 1)));
        target_->clear();
        target_->addItem(cls ? tr("the predicted class") : tr("the largest output"), -1);
        if (cls)
            for (int c = 0; c < names.size(); ++c) target_->addItem(tr("class %1").arg(names[c]), c);
        else
            for (std::int64_t o = 0; o < e.outputs; ++o) target_->addItem(tr("output %1").arg(o), static_cast<int>(o));
    }
    saliencyView_->setCurrentIndex(imageData() ? 0 : 1);
    computeSaliency();
}

void EvaluationPanel::showCell(int truth, int predicted) {
    if (!result_) return;
    const eval::Evaluation& e = result_->evaluation;
    const std::vector<std::int64_t> rows = e.cell_rows(truth, predicted);
    const auto name = [&](std::int64_t c) { return QString::fromStdString(e.class_names[static_cast<std::size_t>(c)]); };
    QString text = (rows.size() == 1 ? tr("1 sample of class %1 predicted as %2")
                                     : tr("%1 samples of class %2 predicted as %3").arg(rows.size()))
                       .arg(name(truth), name(predicted));
    if (rows.size() > kMaxListed) text += tr(" (the first %1 listed)").arg(kMaxListed);
    if (!rows.empty()) text += tr(". Select one to see its saliency.");
    cellLabel_->setText(text);
    const std::size_t shown = std::min<std::size_t>(rows.size(), kMaxListed);
    const data::Dataset& set = result_->split_data();
    if (imageData()) {
        samples_->setCurrentWidget(thumbnails_);
        QSignalBlocker b(thumbnails_);
        thumbnails_->clear();
        for (std::size_t i = 0; i < shown; ++i) {
            const std::int64_t r = rows[i], s = e.row_sample[static_cast<std::size_t>(r)];
            const double p = e.probability(r, predicted);
            auto* item = new QListWidgetItem(QIcon(QPixmap::fromImage(sampleImage(s).scaled(
                                                 48, 48, Qt::KeepAspectRatio, Qt::FastTransformation))),
                                             QStringLiteral("p %1").arg(p, 0, 'f', 2), thumbnails_);
            item->setData(Qt::UserRole, QVariant::fromValue<qlonglong>(r));
            item->setToolTip(tr("sample %1: true %2, predicted %3 with probability %4")
                                 .arg(s)
                                 .arg(name(truth), name(predicted))
                                 .arg(p, 0, 'f', 3));
        }
        return;
    }
    samples_->setCurrentWidget(featureRows_);
    QSignalBlocker b(featureRows_);
    const std::int64_t classes = e.classes(), features = set.feature_numel();
    const std::int64_t shownFeatures = std::min<std::int64_t>(features, 64);
    QStringList header{tr("sample"), tr("true"), tr("predicted")};
    for (std::int64_t c = 0; c < classes; ++c) header << tr("p(%1)").arg(name(c));
    for (std::int64_t f = 0; f < shownFeatures; ++f) header << tr("x%1").arg(f + 1);
    featureRows_->clear();
    featureRows_->setColumnCount(static_cast<int>(header.size()));
    featureRows_->setHorizontalHeaderLabels(header);
    featureRows_->setRowCount(static_cast<int>(shown));
    const auto& std_ = result_->experiment->standardizer();
    const bool unscale = std_.fitted() && std_.num_features() == features;
    std::vector<float> x(static_cast<std::size_t>(features));
    for (std::size_t i = 0; i < shown; ++i) {
        const std::int64_t r = rows[i], s = e.row_sample[static_cast<std::size_t>(r)];
        int col = 0;
        auto put = [&](const QString& t) {
            auto* item = new QTableWidgetItem(t);
            item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
            featureRows_->setItem(static_cast<int>(i), col++, item);
            return item;
        };
        put(QString::number(s))->setData(Qt::UserRole, QVariant::fromValue<qlonglong>(r));
        put(name(truth));
        put(name(predicted));
        for (std::int64_t c = 0; c < classes; ++c) put(QString::number(e.probability(r, c), 'f', 3));
        set.read_features(s, x.data());
        for (std::int64_t f = 0; f < shownFeatures; ++f) {
            const auto fi = static_cast<std::size_t>(f);
            const double raw = unscale ? x[fi] * std_.scale()[fi] + std_.mean()[fi] : x[fi];
            put(QString::number(raw, 'g', 4));
        }
    }
    featureRows_->resizeColumnsToContents();
}

QImage EvaluationPanel::sampleImage(std::int64_t sample) const {
    const data::Dataset& set = result_->split_data();
    const Shape shape = set.feature_shape();
    const std::int64_t channels = shape[0], h = shape[1], w = shape[2], n = set.feature_numel();
    std::vector<float> x(static_cast<std::size_t>(n));
    set.read_features(sample, x.data());
    // Back to the dataset's own pixel values (the network saw them standardized per pixel), then
    // stretched to the image's own range.
    const auto& s = result_->experiment->standardizer();
    if (s.fitted() && s.num_features() == n)
        for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(x[i] * s.scale()[i] + s.mean()[i]);
    const auto [lo, hi] = std::minmax_element(x.begin(), x.end());
    const float base = *lo, range = *hi > *lo ? *hi - *lo : 1.0f;
    QImage img(static_cast<int>(w), static_cast<int>(h), QImage::Format_RGB32);
    const std::int64_t plane = h * w;
    for (std::int64_t y = 0; y < h; ++y)
        for (std::int64_t xx = 0; xx < w; ++xx) {
            auto at = [&](std::int64_t c) {
                return static_cast<int>(std::lround(255.0 * (x[static_cast<std::size_t>(c * plane + y * w + xx)] - base) / range));
            };
            const int r = at(0), g = channels >= 3 ? at(1) : r, b = channels >= 3 ? at(2) : r;
            img.setPixel(static_cast<int>(xx), static_cast<int>(y), qRgb(r, g, b));
        }
    return img;
}

void EvaluationPanel::showScores() {
    const eval::Evaluation& e = result_->evaluation;
    const eval::ClassificationMetrics& m = e.classification;
    const int classes = static_cast<int>(m.classes);
    scores_->setRowCount(classes + 3);
    QStringList rows;
    auto fill = [&](int row, const eval::ClassScores& s) {
        const QStringList cells{QString::number(s.precision, 'f', 3), QString::number(s.recall, 'f', 3),
                                QString::number(s.f1, 'f', 3), QString::number(s.support)};
        for (int c = 0; c < 4; ++c) {
            auto* item = new QTableWidgetItem(cells[c]);
            item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
            scores_->setItem(row, c, item);
        }
    };
    for (int c = 0; c < classes; ++c) {
        rows << QString::fromStdString(e.class_names[static_cast<std::size_t>(c)]);
        fill(c, m.per_class[static_cast<std::size_t>(c)]);
    }
    rows << tr("macro average") << tr("weighted average") << tr("accuracy");
    fill(classes, m.macro);
    fill(classes + 1, m.weighted);
    for (int c = 0; c < 4; ++c) scores_->setItem(classes + 2, c, new QTableWidgetItem());
    scores_->item(classes + 2, 2)->setText(QString::number(m.accuracy, 'f', 3));
    scores_->item(classes + 2, 2)->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
    scores_->item(classes + 2, 3)->setText(QString::number(m.samples));
    scores_->item(classes + 2, 3)->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
    scores_->setVerticalHeaderLabels(rows);
    QStringList w;
    for (const auto& s : m.warnings) w << QString::fromStdString(s);
    warnings_->setText(w.join(QLatin1Char('\n')));
    warnings_->setVisible(!w.isEmpty());
}

void EvaluationPanel::showCurves() {
    const eval::Evaluation& e = result_->evaluation;
    for (QCustomPlot* plot : {roc_, pr_}) {
        plot->clearPlottables();
        plot->legend->setVisible(true);
        QFont small = font();
        small.setPointSizeF(font().pointSizeF() * 0.85);
        plot->legend->setFont(small);
        plot->legend->setRowSpacing(-2);
        plot->xAxis->setRange(0, 1);
        plot->yAxis->setRange(0, 1.02);
    }
    roc_->axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignBottom | Qt::AlignRight);
    pr_->axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignBottom | Qt::AlignLeft);
    // The chance line: a ROC curve under it is worse than guessing.
    auto* chance = roc_->addGraph();
    chance->setData(QVector<double>{0, 1}, QVector<double>{0, 1});
    chance->setPen(QPen(palette().color(QPalette::Mid), 1, Qt::DashLine));
    chance->removeFromLegend();
    const bool binary = e.curve_class.size() == 1;
    for (std::size_t i = 0; i < e.roc.size(); ++i) {
        const int cls = static_cast<int>(e.curve_class[i]);
        const QString name = QString::fromStdString(e.class_names[static_cast<std::size_t>(cls)]);
        const QColor colour = classColor(cls);
        auto add = [&](QCustomPlot* plot, const eval::Curve& c, const QString& area) {
            auto* curve = new QCPCurve(plot->xAxis, plot->yAxis);
            curve->setData(QVector<double>(c.x.begin(), c.x.end()), QVector<double>(c.y.begin(), c.y.end()));
            curve->setPen(QPen(colour, 2));
            curve->setName(binary ? tr("%1 = %2").arg(area, number(c.area, 3)) : tr("%1: %2 = %3").arg(name, area, number(c.area, 3)));
        };
        add(roc_, e.roc[i], tr("AUC"));
        add(pr_, e.pr[i], tr("AP"));
    }
    roc_->replot();
    pr_->replot();
}

void EvaluationPanel::showRegression() {
    const eval::Evaluation& e = result_->evaluation;
    const eval::RegressionMetrics& m = e.regression;
    regressionLabel_->setText(tr("MSE %1 · MAE %2 · R² %3  (%4 samples%5)")
                                  .arg(number(m.mse, 5), number(m.mae, 5), number(m.r2, 4))
                                  .arg(m.samples)
                                  .arg(m.outputs > 1 ? tr(", %1 outputs").arg(m.outputs) : QString()));
    QVector<double> x(e.targets.begin(), e.targets.end()), y(e.predictions.begin(), e.predictions.end());
    scatter_->clearPlottables();
    double lo = 0, hi = 1;
    if (!x.isEmpty()) {
        lo = std::min(*std::min_element(x.begin(), x.end()), *std::min_element(y.begin(), y.end()));
        hi = std::max(*std::max_element(x.begin(), x.end()), *std::max_element(y.begin(), y.end()));
    }
    const double pad = (hi - lo) * 0.05 + 1e-9;
    auto* diag = scatter_->addGraph();
    diag->setData(QVector<double>{lo - pad, hi + pad}, QVector<double>{lo - pad, hi + pad});
    diag->setPen(QPen(palette().color(QPalette::Mid), 1, Qt::DashLine));
    auto* points = scatter_->addGraph();
    points->setLineStyle(QCPGraph::lsNone);
    points->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, classColor(1), 4));
    points->setData(x, y);
    scatter_->xAxis->setRange(lo - pad, hi + pad);
    scatter_->yAxis->setRange(lo - pad, hi + pad);
    scatter_->replot();

    residuals_->clearPlottables();
    QVector<double> r;
    for (qsizetype i = 0; i < x.size(); ++i) r << y[i] - x[i];
    if (!r.isEmpty()) {
        const auto [rmin, rmax] = std::minmax_element(r.begin(), r.end());
        const int bins = std::clamp(static_cast<int>(std::sqrt(static_cast<double>(r.size()))), 5, 40);
        const double a = *rmin, width = (*rmax - *rmin) / bins + 1e-12;
        QVector<double> centres(bins), counts(bins, 0);
        for (int b = 0; b < bins; ++b) centres[b] = a + (b + 0.5) * width;
        for (double v : r) counts[std::min(bins - 1, static_cast<int>((v - a) / width))] += 1;
        auto* bars = new QCPBars(residuals_->xAxis, residuals_->yAxis);
        bars->setWidth(width * 0.9);
        bars->setData(centres, counts, true);
        bars->setPen(Qt::NoPen);
        bars->setBrush(classColor(1));
        residuals_->xAxis->setRange(a - width, a + (bins + 1) * width);
        residuals_->yAxis->setRange(0, *std::max_element(counts.begin(), counts.end()) * 1.1);
    }
    residuals_->replot();
}

void EvaluationPanel::showSaliency(std::int64_t sample, eval::SaliencyMethod method, std::int64_t target) {
    {
        QSignalBlocker a(sample_), b(method_), c(target_);
        sample_->setValue(static_cast<int>(sample));
        method_->setCurrentIndex(method_->findData(static_cast<int>(method)));
        const int t = target_->findData(static_cast<int>(target));
        target_->setCurrentIndex(std::max(0, t));
    }
    computeSaliency();
}

void EvaluationPanel::computeSaliency() {
    saliency_.reset();
    if (!result_) return;
    const data::Dataset& set = result_->split_data();
    const std::int64_t sample = sample_->value();
    if (sample < 0 || sample >= set.size()) return;
    eval::SaliencyOptions o;
    o.method = static_cast<eval::SaliencyMethod>(method_->currentData().toInt());
    o.target = target_->currentData().isValid() ? target_->currentData().toInt() : -1;
    // Integrated gradients refine their steps until the attributions add up to f(x) − f(baseline) within
    // the engine's tolerance (1e-4; a ReLU network's gradient jumps along the path).
    std::vector<float> x(static_cast<std::size_t>(set.feature_numel()));
    set.read_features(sample, x.data());
    try {
        saliency_ = eval::saliency(result_->experiment->network(), Tensor::from_vector(x, set.feature_shape()), o);
    } catch (const std::exception& e) {
        saliencyLabel_->setText(tr("No saliency: %1").arg(QString::fromStdString(e.what())));
        imageLabel_->clear();
        heatLabel_->clear();
        bars_->clearPlottables();
        bars_->replot();
        return;
    }
    const eval::Evaluation& e = result_->evaluation;
    const std::vector<double> a = saliency_->attributions.to_vector<double>();
    double sum = 0;
    for (double v : a) sum += v;
    const QString what = e.is_classification() && saliency_->target < static_cast<std::int64_t>(e.class_names.size())
                             ? tr("class %1's logit").arg(QString::fromStdString(e.class_names[static_cast<std::size_t>(saliency_->target)]))
                             : tr("output %1").arg(saliency_->target);
    QString text = tr("Sample %1, %2: f(x) = %3. ").arg(sample).arg(what).arg(saliency_->output, 0, 'g', 5);
    if (o.method == eval::SaliencyMethod::IntegratedGradients)
        text += tr("Attributions sum to %1; f(x) − f(baseline) = %2 (%3 steps).")
                    .arg(sum, 0, 'g', 6)
                    .arg(saliency_->output - saliency_->baseline_output, 0, 'g', 6)
                    .arg(saliency_->steps);
    else
        text += tr("Attributions sum to %1.").arg(sum, 0, 'g', 6);
    text += tr(" Red pushes the output up, blue down.");
    saliencyLabel_->setText(text);

    if (imageData()) {
        const Shape shape = set.feature_shape();
        const int h = static_cast<int>(shape[1]), w = static_cast<int>(shape[2]);
        const std::int64_t plane = shape[1] * shape[2];
        std::vector<double> heat(static_cast<std::size_t>(plane), 0.0);
        for (std::size_t i = 0; i < a.size(); ++i) heat[i % static_cast<std::size_t>(plane)] += a[i];
        double peak = 1e-12;
        for (double v : heat) peak = std::max(peak, std::abs(v));
        const QImage image = sampleImage(sample);
        QImage overlay = image.convertToFormat(QImage::Format_RGB32);
        for (int y = 0; y < h; ++y)
            for (int x = 0; x < w; ++x) {
                const double t = heat[static_cast<std::size_t>(y * w + x)] / peak;  // -1 … 1
                const QColor g(image.pixel(x, y));
                const QColor hot = t >= 0 ? QColor(220, 30, 30) : QColor(30, 80, 230);
                // The picture dimmed underneath, the attribution's colour over it by its strength.
                const double k = std::min(1.0, std::abs(t)) * 0.85, dim = 0.35 * (1 - k);
                overlay.setPixel(x, y, qRgb(static_cast<int>(g.red() * dim + hot.red() * k),
                                            static_cast<int>(g.green() * dim + hot.green() * k),
                                            static_cast<int>(g.blue() * dim + hot.blue() * k)));
            }
        const int side = std::clamp(std::min(saliencyView_->height() - 24, saliencyView_->width() / 2) - 16, 96, 220);
        imageLabel_->setPixmap(QPixmap::fromImage(image.scaled(side, side, Qt::KeepAspectRatio, Qt::FastTransformation)));
        heatLabel_->setPixmap(QPixmap::fromImage(overlay.scaled(side, side, Qt::KeepAspectRatio, Qt::FastTransformation)));
        imageLabel_->setToolTip(tr("sample %1").arg(sample));
        heatLabel_->setToolTip(tr("attributions summed over channels; red positive, blue negative"));
        return;
    }
    // Tables: one horizontal bar per feature, red positive, blue negative.
    bars_->clearPlottables();
    QVector<double> pos, neg, ticks;
    QVector<QString> labels;
    for (std::size_t i = 0; i < a.size(); ++i) {
        ticks << static_cast<double>(a.size() - i);  // the first feature on top
        labels << tr("x%1").arg(i + 1);
        pos << std::max(0.0, a[i]);
        neg << std::min(0.0, a[i]);
    }
    bars_->yAxis->setLabel(QString());
    bars_->xAxis->setLabel(tr("attribution to %1").arg(what));
    for (int s = 0; s < 2; ++s) {
        auto* bars = new QCPBars(bars_->yAxis, bars_->xAxis);
        bars->setData(ticks, s == 0 ? pos : neg, true);
        bars->setWidth(0.7);
        bars->setPen(Qt::NoPen);
        bars->setBrush(s == 0 ? QColor(220, 30, 30) : QColor(30, 80, 230));
    }
    auto ticker = QSharedPointer<QCPAxisTickerText>::create();
    ticker->setTicks(ticks, labels);
    bars_->yAxis->setTicker(ticker);
    bars_->yAxis->setRange(0.3, static_cast<double>(a.size()) + 0.7);
    double peak = 1e-12;
    for (double v : a) peak = std::max(peak, std::abs(v));
    bars_->xAxis->setRange(-peak * 1.1, peak * 1.1);
    bars_->replot();
}

}  // namespace neura::gui
