#include "panels/TrainingPanel.h"

#include <QAction>
#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QStandardItemModel>
#include <QVBoxLayout>
#include <climits>
#include <cmath>
#include <functional>
#include <utility>

#include "neura/backend/Cuda.h"

namespace neura::gui {

namespace {

// The device list asks the CUDA backend for its devices only when it is about to open: looking opens
// the CUDA module (~0.5 s and ~200 MiB on a first look, backend/CudaModule.h), which a studio that
// trains on the CPU never needs.
class DeviceComboBox : public QComboBox {
public:
    explicit DeviceComboBox(std::function<void()> beforePopup) : beforePopup_(std::move(beforePopup)) {}
    void showPopup() override {
        beforePopup_();
        QComboBox::showPopup();
    }

private:
    std::function<void()> beforePopup_;
};

QDoubleSpinBox* doubleSpin(double min, double max, int decimals, double step) {
    auto* s = new QDoubleSpinBox;
    s->setRange(min, max);
    s->setDecimals(decimals);
    s->setSingleStep(step);
    return s;
}

QSpinBox* intSpin(int min, int max) {
    auto* s = new QSpinBox;
    s->setRange(min, max);
    return s;
}

QString duration(double seconds) {
    if (!(seconds >= 0) || !std::isfinite(seconds)) return QStringLiteral("–");
    const auto s = static_cast<long long>(std::llround(seconds));
    if (s >= 3600) return QStringLiteral("%1:%2:%3").arg(s / 3600).arg(s / 60 % 60, 2, 10, QChar('0')).arg(s % 60, 2, 10, QChar('0'));
    return QStringLiteral("%1:%2").arg(s / 60).arg(s % 60, 2, 10, QChar('0'));
}

}  // namespace

TrainingPanel::TrainingPanel(QWidget* parent) : QWidget(parent) {
    auto* layout = new QVBoxLayout(this);

    // Optimizer.
    auto* optBox = new QGroupBox(tr("Optimizer"));
    auto* optForm = new QFormLayout(optBox);
    optimizer_ = new QComboBox;
    optimizer_->addItems({"SGD", "Adam", "AdamW", "RMSprop"});
    lr_ = doubleSpin(1e-8, 1e7, 8, 1e-3);
    lr_->setToolTip(tr("Learning rate"));
    momentum_ = doubleSpin(0.0, 0.9999, 4, 0.05);
    nesterov_ = new QCheckBox(tr("Nesterov"));
    weightDecay_ = doubleSpin(0.0, 10.0, 6, 1e-4);
    weightDecay_->setToolTip(tr("L2 penalty (AdamW: decoupled weight decay)"));
    beta1_ = doubleSpin(0.0, 0.9999, 4, 0.01);
    beta2_ = doubleSpin(0.0, 0.99999, 5, 0.001);
    optForm->addRow(tr("Type"), optimizer_);
    optForm->addRow(tr("Learning rate"), lr_);
    optForm->addRow(tr("Momentum"), momentum_);
    optForm->addRow(QString(), nesterov_);
    optForm->addRow(tr("Weight decay"), weightDecay_);
    optForm->addRow(tr("β₁"), beta1_);
    optForm->addRow(tr("β₂"), beta2_);
    layout->addWidget(optBox);

    // Learning-rate schedule.
    auto* schedBox = new QGroupBox(tr("Learning-rate schedule"));
    auto* schedForm = new QFormLayout(schedBox);
    scheduler_ = new QComboBox;
    scheduler_->addItem(tr("None"), "none");
    scheduler_->addItem("StepLR", "StepLR");
    scheduler_->addItem("ExponentialLR", "ExponentialLR");
    scheduler_->addItem("CosineAnnealingLR", "CosineAnnealingLR");
    stepSize_ = intSpin(1, 1'000'000);
    stepSize_->setToolTip(tr("StepLR: multiply the rate by γ every this many epochs"));
    gamma_ = doubleSpin(0.0, 1.0, 4, 0.01);
    tMax_ = intSpin(0, 1'000'000);
    tMax_->setSpecialValueText(tr("epochs"));
    tMax_->setToolTip(tr("CosineAnnealingLR: half period in epochs (0: the number of epochs)"));
    etaMin_ = doubleSpin(0.0, 1e3, 8, 1e-4);
    schedForm->addRow(tr("Schedule"), scheduler_);
    schedForm->addRow(tr("Step size"), stepSize_);
    schedForm->addRow(tr("γ"), gamma_);
    schedForm->addRow(tr("T max"), tMax_);
    schedForm->addRow(tr("η min"), etaMin_);
    layout->addWidget(schedBox);

    // Run.
    auto* runBox = new QGroupBox(tr("Run"));
    auto* runForm = new QFormLayout(runBox);
    batchSize_ = intSpin(1, 1 << 20);
    epochs_ = intSpin(1, 1'000'000);
    seed_ = intSpin(0, INT_MAX);
    valFraction_ = doubleSpin(0.0, 0.95, 2, 0.05);
    valFraction_->setToolTip(tr("Share of the samples held out for validation (0: none)"));
    normalize_ = new QCheckBox(tr("Standardize features"));
    // The CPU; the CUDA devices join when the list first opens or a configuration asks for one (listDevices).
    device_ = new DeviceComboBox([this] { listDevices(); });
    device_->addItem(tr("CPU"), "cpu");
    device_->setToolTip(tr("Where the network trains"));
    runForm->addRow(tr("Batch size"), batchSize_);
    runForm->addRow(tr("Epochs"), epochs_);
    runForm->addRow(tr("Seed"), seed_);
    runForm->addRow(tr("Validation"), valFraction_);
    runForm->addRow(QString(), normalize_);
    runForm->addRow(tr("Device"), device_);
    layout->addWidget(runBox);

    // Controls and progress.
    auto* buttons = new QHBoxLayout;
    train_ = new QPushButton(tr("Train"));
    pause_ = new QPushButton(tr("Pause"));
    resume_ = new QPushButton(tr("Resume"));
    stop_ = new QPushButton(tr("Stop"));
    for (auto* b : {train_, pause_, resume_, stop_}) buttons->addWidget(b);
    layout->addLayout(buttons);
    progress_ = new QProgressBar;
    progress_->setRange(0, 1000);
    progress_->setValue(0);
    progress_->setFormat(QStringLiteral("%p%"));
    layout->addWidget(progress_);
    status_ = new QLabel(tr("Ready"));
    status_->setWordWrap(true);
    status_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    layout->addWidget(status_);
    layout->addStretch(1);

    trainAction_ = new QAction(tr("&Train"), this);
    trainAction_->setShortcut(QKeySequence(Qt::Key_F5));
    trainAction_->setShortcutContext(Qt::WindowShortcut);
    trainAction_->setToolTip(tr("Train the model (F5)"));
    addAction(trainAction_);
    train_->setToolTip(trainAction_->toolTip());
    connect(trainAction_, &QAction::triggered, this, [this] {
        if (state_ == TrainingSession::State::Idle) emit trainRequested();
    });
    connect(train_, &QPushButton::clicked, trainAction_, &QAction::trigger);
    connect(pause_, &QPushButton::clicked, this, &TrainingPanel::pauseRequested);
    connect(resume_, &QPushButton::clicked, this, &TrainingPanel::resumeRequested);
    connect(stop_, &QPushButton::clicked, this, &TrainingPanel::stopRequested);

    setConfig(train::TrainConfig{});

    auto changed = [this] {
        updateEnabled();
        emit configChanged();
    };
    connect(optimizer_, &QComboBox::currentIndexChanged, this, changed);
    connect(scheduler_, &QComboBox::currentIndexChanged, this, changed);
    connect(device_, &QComboBox::currentIndexChanged, this, changed);
    for (auto* s : {lr_, momentum_, weightDecay_, beta1_, beta2_, gamma_, etaMin_, valFraction_})
        connect(s, &QDoubleSpinBox::valueChanged, this, changed);
    for (auto* s : {stepSize_, tMax_, batchSize_, epochs_, seed_}) connect(s, &QSpinBox::valueChanged, this, changed);
    for (auto* c : {nesterov_, normalize_}) connect(c, &QCheckBox::toggled, this, changed);
    updateEnabled();
}

train::TrainConfig TrainingPanel::config() const {
    train::TrainConfig c = base_;
    c.optimizer = optimizer_->currentText().toStdString();
    c.lr = lr_->value();
    c.momentum = momentum_->value();
    c.nesterov = nesterov_->isChecked();
    c.weight_decay = weightDecay_->value();
    c.beta1 = beta1_->value();
    c.beta2 = beta2_->value();
    c.scheduler.type = scheduler_->currentData().toString().toStdString();
    c.scheduler.step_size = stepSize_->value();
    c.scheduler.gamma = gamma_->value();
    c.scheduler.t_max = tMax_->value();
    c.scheduler.eta_min = etaMin_->value();
    c.batch_size = batchSize_->value();
    c.epochs = epochs_->value();
    c.seed = static_cast<std::uint64_t>(seed_->value());
    c.val_fraction = valFraction_->value();
    c.normalize = normalize_->isChecked();
    c.device = device_->currentData().toString().toStdString();
    return c;
}

void TrainingPanel::listDevices() {
    if (devicesListed_) return;
    devicesListed_ = true;
    // After the CPU, every CUDA device; without one, a disabled CUDA entry whose tooltip says why.
    const QSignalBlocker blocker(device_);
    const auto gpus = cuda::devices();
    for (const auto& d : gpus) {
        device_->addItem(tr("GPU %1: %2").arg(d.index).arg(QString::fromStdString(d.name)),
                         QString("cuda:%1").arg(d.index));
        device_->setItemData(device_->count() - 1, QString::fromStdString(d.str()), Qt::ToolTipRole);
    }
    if (gpus.empty()) {
        device_->addItem(cuda::built_with_cuda() ? tr("CUDA — no GPU found") : tr("CUDA — not available in this build"),
                         "cuda:0");
        if (auto* model = qobject_cast<QStandardItemModel*>(device_->model())) {
            QStandardItem* item = model->item(1);
            item->setEnabled(false);
            item->setToolTip(cuda::built_with_cuda()
                                 ? tr("No CUDA device can be used: %1. Training runs on the CPU.")
                                       .arg(QString::fromStdString(cuda::unavailable_reason()))
                                 : tr("This build of NeuraStudio was compiled without the CUDA backend "
                                      "(NEURA_WITH_CUDA is off), so training runs on the CPU. Build with CUDA "
                                      "and an NVIDIA driver to train on a GPU."));
        }
    }
}

void TrainingPanel::setConfig(const train::TrainConfig& c) {
    const QSignalBlocker blockers[] = {QSignalBlocker(optimizer_), QSignalBlocker(scheduler_), QSignalBlocker(device_)};
    (void)blockers;
    const int opt = optimizer_->findText(QString::fromStdString(c.optimizer));
    optimizer_->setCurrentIndex(opt >= 0 ? opt : 1);
    lr_->setValue(c.lr);
    momentum_->setValue(c.momentum);
    nesterov_->setChecked(c.nesterov);
    // A negative weight decay means "the optimizer's default" (AdamW's 0.01); the form shows that value.
    weightDecay_->setValue(c.weight_decay >= 0 ? c.weight_decay : (c.optimizer == "AdamW" ? 0.01 : 0.0));
    beta1_->setValue(c.beta1);
    beta2_->setValue(c.beta2);
    const int sched = scheduler_->findData(QString::fromStdString(c.scheduler.type));
    scheduler_->setCurrentIndex(sched >= 0 ? sched : 0);
    stepSize_->setValue(static_cast<int>(c.scheduler.step_size));
    gamma_->setValue(c.scheduler.gamma);
    tMax_->setValue(static_cast<int>(c.scheduler.t_max));
    etaMin_->setValue(c.scheduler.eta_min);
    batchSize_->setValue(static_cast<int>(c.batch_size));
    epochs_->setValue(static_cast<int>(c.epochs));
    seed_->setValue(static_cast<int>(std::min<std::uint64_t>(c.seed, INT_MAX)));
    valFraction_->setValue(c.val_fraction);
    normalize_->setChecked(c.normalize);
    base_ = c;
    // The configured device when this machine has it; otherwise the CPU.
    if (c.device != "cpu") listDevices();
    const int dev = device_->findData(QString::fromStdString(c.device));
    const auto* model = qobject_cast<QStandardItemModel*>(device_->model());
    device_->setCurrentIndex(dev > 0 && model && model->item(dev)->isEnabled() ? dev : 0);
    updateEnabled();
}

bool TrainingPanel::loadFromProject(const project::Project& project) {
    try {
        setConfig(project.train_config_json.empty() ? train::TrainConfig{}
                                                     : train::TrainConfig::from_json(project.train_config_json));
        return true;
    } catch (const std::exception& e) {
        setConfig(train::TrainConfig{});
        status_->setText(tr("The project's training setup could not be read (%1); showing the defaults.")
                             .arg(QString::fromStdString(e.what())));
        return false;
    }
}

void TrainingPanel::saveToProject(project::Project& project) const { project.train_config_json = config().to_json(); }

void TrainingPanel::attachSession(TrainingSession* session) {
    connect(this, &TrainingPanel::pauseRequested, session, &TrainingSession::pause);
    connect(this, &TrainingPanel::resumeRequested, session, &TrainingSession::resume);
    connect(this, &TrainingPanel::stopRequested, session, &TrainingSession::stop);
    connect(session, &TrainingSession::stateChanged, this, &TrainingPanel::setState);
    connect(session, &TrainingSession::started, this, &TrainingPanel::showStarted);
    connect(session, &TrainingSession::stepProgress, this, &TrainingPanel::showProgress);
    connect(session, &TrainingSession::finished, this, &TrainingPanel::showFinished);
    connect(session, &TrainingSession::failed, this, &TrainingPanel::showFailed);
    setState(session->state());
}

void TrainingPanel::setState(TrainingSession::State state) {
    state_ = state;
    if (state == TrainingSession::State::Running && progress_->value() == 0) status_->setText(tr("Preparing…"));
    if (state == TrainingSession::State::Paused) status_->setText(status_->text() + tr(" — paused"));
    if (state == TrainingSession::State::Stopping) status_->setText(tr("Stopping…"));
    updateEnabled();
}

void TrainingPanel::showStarted(qint64 trainSamples, qint64 valSamples, qint64 stepsPerEpoch, qint64 epochs) {
    progress_->setValue(0);
    status_->setText(tr("Training on %1 samples (%2 for validation), %3 batches × %4 epochs")
                         .arg(trainSamples).arg(valSamples).arg(stepsPerEpoch).arg(epochs));
}

void TrainingPanel::showProgress(const TrainingProgress& p) {
    const double total = static_cast<double>(std::max<qint64>(1, p.epochs * p.stepsPerEpoch));
    progress_->setValue(static_cast<int>(1000.0 * static_cast<double>(p.globalStep + 1) / total));
    QString text = tr("Epoch %1/%2 · step %3/%4 · %5 samples/s · ETA %6")
                       .arg(p.epoch + 1).arg(p.epochs).arg(p.step + 1).arg(p.stepsPerEpoch)
                       .arg(QString::number(p.samplesPerSecond, 'f', 0)).arg(duration(p.etaSeconds));
    text += tr("\nloss %1").arg(p.loss, 0, 'g', 4);
    if (p.accuracy >= 0) text += tr(" · accuracy %1").arg(p.accuracy, 0, 'f', 3);
    if (state_ == TrainingSession::State::Paused) text += tr(" — paused");
    status_->setText(text);
}

void TrainingPanel::showFinished(const TrainingResult& r) {
    if (r.status == train::FitStatus::Completed) progress_->setValue(progress_->maximum());
    QString text = r.status == train::FitStatus::Completed ? tr("Finished")
                   : r.status == train::FitStatus::Stopped ? tr("Stopped")
                                                           : tr("Diverged");
    if (!r.history.empty()) {
        const auto& m = r.history.back();
        text += tr(" after %1 epochs · loss %2").arg(r.history.size()).arg(m.train_loss, 0, 'g', 4);
        if (m.train_accuracy >= 0) text += tr(" · accuracy %1").arg(m.train_accuracy, 0, 'f', 3);
        if (m.val_accuracy >= 0) text += tr(" · val accuracy %1").arg(m.val_accuracy, 0, 'f', 3);
    }
    if (!r.message.isEmpty()) text += QStringLiteral("\n") + r.message;
    status_->setText(text);
}

void TrainingPanel::showFailed(const QString& message) { status_->setText(tr("Training failed: %1").arg(message)); }

void TrainingPanel::updateEnabled() {
    const QString opt = optimizer_->currentText();
    momentum_->setEnabled(opt == "SGD" || opt == "RMSprop");
    nesterov_->setEnabled(opt == "SGD");
    beta1_->setEnabled(opt == "Adam" || opt == "AdamW");
    beta2_->setEnabled(opt == "Adam" || opt == "AdamW");
    const QString sched = scheduler_->currentData().toString();
    stepSize_->setEnabled(sched == "StepLR");
    gamma_->setEnabled(sched == "StepLR" || sched == "ExponentialLR");
    tMax_->setEnabled(sched == "CosineAnnealingLR");
    etaMin_->setEnabled(sched == "CosineAnnealingLR");

    const bool idle = state_ == TrainingSession::State::Idle;
    train_->setEnabled(idle);
    trainAction_->setEnabled(idle);
    pause_->setEnabled(state_ == TrainingSession::State::Running);
    resume_->setEnabled(state_ == TrainingSession::State::Paused);
    stop_->setEnabled(state_ == TrainingSession::State::Running || state_ == TrainingSession::State::Paused);
    // The setup is what the running experiment was copied from: freeze it while a run goes.
    for (auto* w : findChildren<QGroupBox*>()) w->setEnabled(idle);
}

}  // namespace neura::gui
