#pragma once
// TrainingPanel: the training setup (optimizer, schedule, batches, seed, split, device: the CPU or a CUDA
// GPU from neura::cuda::devices()) as a form over
// a neura::train::TrainConfig, the Train / Pause / Resume / Stop buttons, and the run's progress.
// It does not train: Train emits trainRequested(); attachSession() wires the rest to a TrainingSession.
#include <QWidget>

#include "neura/project/Project.h"
#include "neura/train/TrainConfig.h"
#include "session/TrainingSession.h"

class QAction;
class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QProgressBar;
class QPushButton;
class QSpinBox;

namespace neura::gui {

class TrainingPanel : public QWidget {
    Q_OBJECT
public:
    explicit TrainingPanel(QWidget* parent = nullptr);

    train::TrainConfig config() const;
    void setConfig(const train::TrainConfig& config);
    // project.train_config_json ↔ the form. Loading bad JSON keeps the defaults and returns false.
    bool loadFromProject(const project::Project& project);
    void saveToProject(project::Project& project) const;

    // Connects Pause / Resume / Stop, the progress display and the button states to `session`
    // (Train still goes through trainRequested(): the caller owns the project to train).
    void attachSession(TrainingSession* session);

    // Train, with F5 (window-wide). Put it in the main window's menu or tool bar instead of another F5.
    QAction* trainAction() const { return trainAction_; }

    QComboBox* deviceCombo() const { return device_; }
    // Adds the CUDA devices (or a disabled entry saying why there are none) after the CPU, once: when the
    // list first opens or a configuration names a GPU. Until then nothing of CUDA is loaded.
    void listDevices();

signals:
    void trainRequested();
    void pauseRequested();
    void resumeRequested();
    void stopRequested();
    void configChanged();  // any edit of the form

public slots:
    void setState(neura::gui::TrainingSession::State state);
    void showStarted(qint64 trainSamples, qint64 valSamples, qint64 stepsPerEpoch, qint64 epochs);
    void showProgress(const neura::gui::TrainingProgress& progress);
    void showFinished(const neura::gui::TrainingResult& result);
    void showFailed(const QString& message);

private:
    void updateEnabled();

    QComboBox* optimizer_;
    QDoubleSpinBox* lr_;
    QDoubleSpinBox* momentum_;
    QCheckBox* nesterov_;
    QDoubleSpinBox* weightDecay_;
    QDoubleSpinBox* beta1_;
    QDoubleSpinBox* beta2_;
    QComboBox* scheduler_;
    QSpinBox* stepSize_;
    QDoubleSpinBox* gamma_;
    QSpinBox* tMax_;
    QDoubleSpinBox* etaMin_;
    QSpinBox* batchSize_;
    QSpinBox* epochs_;
    QSpinBox* seed_;
    QDoubleSpinBox* valFraction_;
    QCheckBox* normalize_;
    QComboBox* device_;
    bool devicesListed_ = false;
    QPushButton* train_;
    QPushButton* pause_;
    QPushButton* resume_;
    QPushButton* stop_;
    QAction* trainAction_;
    QProgressBar* progress_;
    QLabel* status_;
    TrainingSession::State state_ = TrainingSession::State::Idle;
    train::TrainConfig base_;  // fields not on the form (workers, threads, ...) keep their loaded values
};

}  // namespace neura::gui
