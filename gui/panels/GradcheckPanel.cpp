#include "panels/GradcheckPanel.h"

#include <QComboBox>
#include <QDoubleValidator>
#include <QFile>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPainter>
#include <QPixmap>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QTextStream>
#include <QTreeWidget>
#include <QVBoxLayout>
#include <algorithm>
#include <chrono>
#include <cmath>

#include "neura/train/Experiment.h"
#include "neura/train/TrainConfig.h"

namespace neura::gui {

namespace {

enum Column { ColName, ColShape, ColAbs, ColRel, ColTol, ColChecked, ColWorst, ColResult, ColCount };

QIcon dotIcon(const QColor& color) {
    QPixmap pm(12, 12);
    pm.fill(Qt::transparent);
    QPainter p(&pm);
    p.setRenderHint(QPainter::Antialiasing);
    p.setPen(color.darker(140));
    p.setBrush(color);
    p.drawEllipse(1, 1, 10, 10);
    return QIcon(pm);
}

QColor verdictColor(int verdict) {
    switch (verdict) {
    case 0: return QColor(46, 160, 67);
    case 1: return QColor(230, 160, 20);
    default: return QColor(210, 50, 50);
    }
}

std::int64_t elementsOf(const Shape& shape) {
    std::int64_t n = 1;
    for (auto d : shape) n *= d;
    return n;
}

QString shapeText(const Shape& shape) {
    QStringList parts;
    for (auto d : shape) parts << QString::number(d);
    return QStringLiteral("[%1]").arg(parts.join(QStringLiteral(", ")));
}

QString sci(double v) { return QString::number(v, 'e', 3); }

// The bound gradcheck compares the worst element's absolute error with: atol + rtol·|numeric|.
double toleranceAt(const autograd::GradcheckTensorResult& t, const autograd::GradcheckOptions& o) {
    return o.atol + o.rtol * std::abs(t.worst_numeric);
}

QString checkedText(const autograd::GradcheckTensorResult& t) {
    const std::int64_t total = elementsOf(t.shape);
    if (t.checked_elements < total) return QStringLiteral("sampled %1 of %2").arg(t.checked_elements).arg(total);
    return QStringLiteral("all %1").arg(total);
}

QString csvField(const QString& s) {
    if (!s.contains(QLatin1Char(',')) && !s.contains(QLatin1Char('"')) && !s.contains(QLatin1Char('\n'))) return s;
    QString q = s;
    q.replace(QLatin1String("\""), QLatin1String("\"\""));
    return QLatin1Char('"') + q + QLatin1Char('"');
}

QLineEdit* numberEdit(double value, double low, double high) {
    auto* e = new QLineEdit(QString::number(value, 'g', 6));
    auto* v = new QDoubleValidator(low, high, 20, e);
    v->setNotation(QDoubleValidator::ScientificNotation);
    e->setValidator(v);
    return e;
}

double numberOf(const QLineEdit* e, double fallback) {
    bool ok = false;
    const double v = e->text().toDouble(&ok);
    return ok && v > 0 ? v : fallback;
}

}  // namespace

GradcheckPanel::GradcheckPanel(QWidget* parent) : QWidget(parent) {
    static const bool registered = [] {
        qRegisterMetaType<std::vector<train::LayerGradcheckResult>>();
        qRegisterMetaType<QMap<quint32, int>>();
        return true;
    }();
    (void)registered;

    const autograd::GradcheckOptions defaults;
    eps_ = numberEdit(defaults.eps, 1e-12, 1.0);
    eps_->setToolTip(tr("Step of the central differences (f(x+eps) - f(x-eps)) / 2eps"));
    atol_ = numberEdit(defaults.atol, 0.0, 1e6);
    rtol_ = numberEdit(defaults.rtol, 0.0, 1e6);
    atol_->setToolTip(tr("An element passes when |analytic - numeric| <= atol + rtol * |numeric|"));
    rtol_->setToolTip(atol_->toolTip());
    maxElements_ = new QSpinBox;
    maxElements_->setRange(0, 1000000);
    maxElements_->setValue(64);
    maxElements_->setSpecialValueText(tr("0 = all"));
    maxElements_->setToolTip(tr("Elements sampled per tensor (0 = every element; slow for big layers)"));
    batchRows_ = new QSpinBox;
    batchRows_->setRange(1, 256);
    batchRows_->setValue(4);
    batchRows_->setToolTip(tr("Rows of the first training batch the layers' inputs come from"));
    seed_ = new QSpinBox;
    seed_->setRange(0, 1000000);
    seed_->setToolTip(tr("Seed of the element sample and of the jitter on the inputs"));
    dtype_ = new QComboBox;
    dtype_->addItem(tr("F64 (reliable)"), static_cast<int>(DType::F64));
    dtype_->addItem(tr("F32 (to see it mislead)"), static_cast<int>(DType::F32));
    dtypeNote_ = new QLabel(tr("The check is meaningful in F64. F32 runs the same check in single precision: its "
                               "rounding error (about 1e-7 of each value) divided by a small eps swamps the "
                               "difference, so correct gradients look wrong there."));
    dtypeNote_->setWordWrap(true);
    dtypeNote_->setVisible(false);
    connect(dtype_, &QComboBox::currentIndexChanged, this,
            [this] { dtypeNote_->setVisible(dtype() == DType::F32); });

    auto* form = new QFormLayout;
    form->addRow(tr("eps"), eps_);
    form->addRow(tr("atol"), atol_);
    form->addRow(tr("rtol"), rtol_);
    form->addRow(tr("Elements per tensor"), maxElements_);
    form->addRow(tr("Batch rows"), batchRows_);
    form->addRow(tr("Seed"), seed_);
    form->addRow(tr("Precision"), dtype_);

    checkSelected_ = new QPushButton(tr("Check selected"));
    checkAll_ = new QPushButton(tr("Check all"));
    cancel_ = new QPushButton(tr("Cancel"));
    export_ = new QPushButton(tr("Export CSV…"));
    connect(checkSelected_, &QPushButton::clicked, this, &GradcheckPanel::checkSelected);
    connect(checkAll_, &QPushButton::clicked, this, &GradcheckPanel::checkAll);
    connect(cancel_, &QPushButton::clicked, this, &GradcheckPanel::cancel);
    connect(export_, &QPushButton::clicked, this, &GradcheckPanel::exportCsvInteractively);
    auto* buttons = new QHBoxLayout;
    buttons->addWidget(checkSelected_);
    buttons->addWidget(checkAll_);
    buttons->addWidget(cancel_);

    progressBar_ = new QProgressBar;
    progressBar_->setRange(0, 1);
    progressBar_->setValue(0);

    tree_ = new QTreeWidget;
    tree_->setColumnCount(ColCount);
    tree_->setHeaderLabels({tr("Layer / tensor"), tr("Shape"), tr("Max abs error"), tr("Max rel error"),
                            tr("Tolerance"), tr("Checked"), tr("Worst index"), tr("Result")});
    tree_->setAlternatingRowColors(true);
    tree_->setUniformRowHeights(true);
    tree_->header()->setSectionResizeMode(QHeaderView::ResizeToContents);

    summary_ = new QLabel(tr("No check run yet."));
    summary_->setWordWrap(true);

    auto* bottom = new QHBoxLayout;
    bottom->addWidget(summary_, 1);
    bottom->addWidget(export_);

    auto* layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(dtypeNote_);
    layout->addLayout(buttons);
    layout->addWidget(progressBar_);
    layout->addWidget(tree_, 1);
    layout->addLayout(bottom);
    updateEnabled();
}

GradcheckPanel::~GradcheckPanel() = default;  // task_ stops, waits (bounded) and abandons

bool GradcheckPanel::stopAndWait(int ms) {
    if (!running_) return true;
    task_.requestStop();
    if (task_.wait(ms)) return true;  // its results are queued: finishRun() follows
    task_.abandon();
    running_ = false;
    progressBar_->setRange(0, 1);
    progressBar_->setValue(0);
    summary_->setText(tr("The check did not stop in time and was abandoned."));
    updateEnabled();
    return false;
}

void GradcheckPanel::setProject(const project::Project& project) {
    project_ = project;
    hasProject_ = true;
    updateEnabled();
}

void GradcheckPanel::setSelectedNodes(std::set<graph::NodeId> nodes) {
    selected_ = std::move(nodes);
    updateEnabled();
}

train::LayerGradcheckOptions GradcheckPanel::options() const {
    const autograd::GradcheckOptions defaults;
    train::LayerGradcheckOptions o;
    o.gradcheck.eps = numberOf(eps_, defaults.eps);
    o.gradcheck.atol = numberOf(atol_, defaults.atol);
    o.gradcheck.rtol = numberOf(rtol_, defaults.rtol);
    o.gradcheck.max_elements = maxElements_->value();
    o.gradcheck.seed = static_cast<std::uint64_t>(seed_->value());
    o.batch_rows = batchRows_->value();
    return o;
}

void GradcheckPanel::setOptions(const train::LayerGradcheckOptions& o) {
    eps_->setText(QString::number(o.gradcheck.eps, 'g', 6));
    atol_->setText(QString::number(o.gradcheck.atol, 'g', 6));
    rtol_->setText(QString::number(o.gradcheck.rtol, 'g', 6));
    maxElements_->setValue(static_cast<int>(o.gradcheck.max_elements));
    seed_->setValue(static_cast<int>(o.gradcheck.seed));
    batchRows_->setValue(static_cast<int>(o.batch_rows));
}

DType GradcheckPanel::dtype() const { return static_cast<DType>(dtype_->currentData().toInt()); }

void GradcheckPanel::setDType(DType dtype) {
    const int i = dtype_->findData(static_cast<int>(dtype));
    if (i >= 0) dtype_->setCurrentIndex(i);
}

void GradcheckPanel::checkAll() { start({}); }

void GradcheckPanel::checkSelected() {
    if (selected_.empty()) {
        summary_->setText(tr("Select the layers to check on the canvas first."));
        return;
    }
    start(selected_);
}

void GradcheckPanel::cancel() {
    if (running_) {
        task_.requestStop();
        summary_->setText(tr("Cancelling…"));
    }
}

void GradcheckPanel::start(std::set<graph::NodeId> only) {
    if (running_ || !hasProject_) return;
    task_.finish();  // a previous check's thread, if its results were not taken yet
    runOptions_ = options();
    runOptions_.only = std::move(only);
    runDType_ = dtype();
    running_ = true;
    results_.clear();
    tree_->clear();
    progressBar_->setRange(0, 0);  // busy until the first layer is done
    summary_->setText(tr("Checking…"));
    updateEnabled();
    emit started();

    // Everything the job touches is its own: the project copy, the options, the stop token. It reaches
    // the panel only through job.post(), which does nothing once the panel let go of it.
    task_.start([this, project = project_, opts = runOptions_, dtype = runDType_](BackgroundTask::Job& job) {
        std::vector<train::LayerGradcheckResult> results;
        QString error;
        const auto t0 = std::chrono::steady_clock::now();
        try {
            train::TrainConfig config = train::TrainConfig::from_json(project.train_config_json);
            config.device = "cpu";  // gradcheck runs the layers in float64 on the CPU
            train::Experiment ex(project, config, &job.stop());
            ex.load_weights(project);
            const auto& set = ex.train_set();
            std::vector<std::int64_t> idx;
            for (std::int64_t i = 0; i < std::min<std::int64_t>(opts.batch_rows, set->size()); ++i) idx.push_back(i);
            const data::Batch batch = set->get_batch(idx);
            results = train::check_layers(
                ex.network(), batch.features, opts, dtype,
                [this, &job](int done, int total) {
                    job.post([this, done, total] {
                        progressBar_->setRange(0, total);
                        progressBar_->setValue(done);
                        emit progress(done, total);
                    });
                },
                job.stopToken());
        } catch (const train::RunStopped&) {
            // stopped while the network was being built: no layer was checked
        } catch (const std::exception& e) {
            error = QString::fromStdString(e.what());
        } catch (...) {
            error = QStringLiteral("the gradient check failed with an unknown error");
        }
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        const bool stopped = job.stop().stop_requested();
        job.post([this, results = std::move(results), stopped, error, seconds]() mutable {
            runSeconds_ = seconds;
            finishRun(std::move(results), stopped, error);
        });
    });
}

void GradcheckPanel::finishRun(std::vector<train::LayerGradcheckResult> results, bool stopped, const QString& error) {
    task_.finish();  // it posted this as its last act
    running_ = false;
    progressBar_->setRange(0, 1);
    progressBar_->setValue(error.isEmpty() ? 1 : 0);
    updateEnabled();
    if (!error.isEmpty()) {
        summary_->setText(tr("Could not check: %1").arg(error));
        emit failed(error);
        return;
    }
    results_ = std::move(results);
    showResults();
    if (stopped) {
        summary_->setText(tr("Cancelled. ") + summary_->text());
        emit cancelled();
    }
    QMap<quint32, int> verdicts;
    for (const auto& r : results_) verdicts.insert(r.node.value, verdictOf(r, runOptions_.gradcheck.rtol));
    emit finished(results_);
    emit nodeResults(verdicts);
}

int GradcheckPanel::verdictOf(const train::LayerGradcheckResult& r, double rtol) {
    if (!r.passed) return 2;
    double worst = 0.0;
    for (const auto& t : r.tensors) worst = std::max(worst, t.max_rel_error);
    return worst > rtol / 10.0 ? 1 : 0;
}

QString GradcheckPanel::summary() const { return summary_->text(); }

void GradcheckPanel::showResults() {
    tree_->clear();
    const auto& o = runOptions_.gradcheck;
    int failedLayers = 0, amberLayers = 0, tensors = 0;
    for (const auto& r : results_) {
        const int verdict = verdictOf(r, o.rtol);
        failedLayers += verdict == 2;
        amberLayers += verdict == 1;
        auto* layer = new QTreeWidgetItem(tree_);
        layer->setText(ColName, QStringLiteral("%1 (%2)").arg(QString::fromStdString(r.name), QString::fromStdString(r.type)));
        layer->setIcon(ColResult, dotIcon(verdictColor(verdict)));
        layer->setText(ColResult, r.passed ? (verdict == 1 ? tr("pass (close)") : tr("pass")) : tr("FAIL"));
        layer->setData(ColName, Qt::UserRole, static_cast<uint>(r.node.value));
        if (!r.message.empty()) layer->setToolTip(ColName, QString::fromStdString(r.message));
        if (r.tensors.empty()) layer->setText(ColShape, QString::fromStdString(r.message));
        double layerAbs = 0.0, layerRel = 0.0;
        for (const auto& t : r.tensors) {
            ++tensors;
            layerAbs = std::max(layerAbs, t.max_abs_error);
            layerRel = std::max(layerRel, t.max_rel_error);
            auto* item = new QTreeWidgetItem(layer);
            item->setText(ColName, QString::fromStdString(t.name));
            item->setText(ColShape, shapeText(t.shape));
            item->setText(ColAbs, sci(t.max_abs_error));
            item->setText(ColRel, sci(t.max_rel_error));
            item->setText(ColTol, sci(toleranceAt(t, o)));
            item->setToolTip(ColTol, tr("atol + rtol·|numeric| at the worst element (numeric %1, analytic %2)")
                                         .arg(sci(t.worst_numeric), sci(t.worst_analytic)));
            item->setText(ColChecked, checkedText(t));
            item->setText(ColWorst, t.worst_index >= 0 ? QString::number(t.worst_index) : QString());
            item->setIcon(ColResult, dotIcon(verdictColor(t.passed ? 0 : 2)));
            item->setText(ColResult, t.passed ? tr("pass") : tr("FAIL"));
        }
        if (!r.tensors.empty()) {
            layer->setText(ColAbs, sci(layerAbs));
            layer->setText(ColRel, sci(layerRel));
        }
        layer->setExpanded(!r.passed);
    }
    const int layers = static_cast<int>(results_.size());
    const QString precision = runDType_ == DType::F64 ? QStringLiteral("F64") : QStringLiteral("F32");
    QString text;
    if (layers == 0)
        text = tr("No layer with parameters or inputs to check.");
    else if (failedLayers == 0)
        text = tr("All %1 layers passed (%2 tensors, %3, eps %4)").arg(layers).arg(tensors).arg(precision, sci(o.eps));
    else
        text = tr("%1 of %2 layers failed (%3 tensors, %4, eps %5)")
                   .arg(failedLayers).arg(layers).arg(tensors).arg(precision, sci(o.eps));
    if (amberLayers > 0) text += tr("; %1 close to the tolerance").arg(amberLayers);
    text += tr(" in %1 s.").arg(runSeconds_, 0, 'f', 1);
    summary_->setText(text);
}

bool GradcheckPanel::exportCsv(const QString& path, QString* error) const {
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate | QIODevice::Text)) {
        if (error) *error = f.errorString();
        return false;
    }
    QTextStream out(&f);
    const auto& o = runOptions_.gradcheck;
    out << "node,layer,type,tensor,shape,max_abs_error,max_rel_error,tolerance,checked_elements,total_elements,"
           "worst_index,worst_analytic,worst_numeric,dtype,eps,atol,rtol,passed\n";
    const QString precision = runDType_ == DType::F64 ? QStringLiteral("F64") : QStringLiteral("F32");
    for (const auto& r : results_) {
        for (const auto& t : r.tensors) {
            QStringList row;
            row << QString::number(r.node.value) << csvField(QString::fromStdString(r.name))
                << csvField(QString::fromStdString(r.type)) << csvField(QString::fromStdString(t.name))
                << csvField(shapeText(t.shape)) << QString::number(t.max_abs_error, 'g', 17)
                << QString::number(t.max_rel_error, 'g', 17) << QString::number(toleranceAt(t, o), 'g', 17)
                << QString::number(t.checked_elements) << QString::number(elementsOf(t.shape))
                << QString::number(t.worst_index) << QString::number(t.worst_analytic, 'g', 17)
                << QString::number(t.worst_numeric, 'g', 17) << precision << QString::number(o.eps, 'g', 17)
                << QString::number(o.atol, 'g', 17) << QString::number(o.rtol, 'g', 17)
                << (t.passed ? QStringLiteral("true") : QStringLiteral("false"));
            out << row.join(QLatin1Char(',')) << '\n';
        }
    }
    out.flush();
    if (out.status() != QTextStream::Ok || f.error() != QFileDevice::NoError) {
        if (error) *error = f.errorString();
        return false;
    }
    return true;
}

void GradcheckPanel::exportCsvInteractively() {
    const QString path = QFileDialog::getSaveFileName(this, tr("Export gradient check"), QStringLiteral("gradcheck.csv"),
                                                      tr("CSV files (*.csv)"));
    if (path.isEmpty()) return;
    QString error;
    if (!exportCsv(path, &error))
        QMessageBox::warning(this, tr("Export CSV"), tr("Could not write %1: %2").arg(path, error));
}

void GradcheckPanel::updateEnabled() {
    checkAll_->setEnabled(hasProject_ && !running_);
    checkSelected_->setEnabled(hasProject_ && !running_ && !selected_.empty());
    cancel_->setEnabled(running_);
    export_->setEnabled(!running_ && !results_.empty());
    for (QWidget* w : {static_cast<QWidget*>(eps_), static_cast<QWidget*>(atol_), static_cast<QWidget*>(rtol_),
                       static_cast<QWidget*>(maxElements_), static_cast<QWidget*>(batchRows_),
                       static_cast<QWidget*>(seed_), static_cast<QWidget*>(dtype_)})
        w->setEnabled(!running_);
}

}  // namespace neura::gui
