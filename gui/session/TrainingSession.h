#pragma once
// TrainingSession: runs neura::train::Experiment on a worker QThread (Qt's worker-object pattern) over
// a copy of the project and config, and turns the engine's plain callbacks into queued signals,
// throttled to about 10 Hz. Stop and pause go through the engine's StopToken (atomics, read between
// two batches), never through a queued slot, so they act even while the worker is busy.
#include <QMetaType>
#include <QObject>
#include <QString>
#include <cstdint>
#include <memory>
#include <vector>

#include "neura/project/Project.h"
#include "neura/train/Insight.h"
#include "neura/train/TrainConfig.h"
#include "neura/train/Trainer.h"
#include "session/Mailbox.h"

class QThread;

namespace neura::gui {

// One throttled progress report.
struct TrainingProgress {
    qint64 epoch = 0;             // 0-based
    qint64 epochs = 0;
    qint64 step = 0;              // 0-based batch within the epoch
    qint64 stepsPerEpoch = 0;
    qint64 globalStep = 0;
    double loss = 0.0;            // the last batch's
    double accuracy = -1.0;       // the last batch's; -1 for regression
    double samplesPerSecond = 0.0;  // wall clock since the previous report (data loading included)
    double elapsedSeconds = 0.0;
    double etaSeconds = -1.0;     // -1 while unknown
};

// The network's prediction over a grid of a 2-D classification dataset's feature plane, in the
// dataset's own (not standardized) coordinates. Row 0 is yMin; column 0 is xMin.
struct BoundaryGrid {
    int width = 0, height = 0;
    double xMin = 0, xMax = 1, yMin = 0, yMax = 1;
    int classes = 0;
    qint64 globalStep = 0;
    std::vector<std::uint8_t> cls;     // predicted class per cell, row-major
    std::vector<float> confidence;     // its softmax probability, in [1/classes, 1]
};
using BoundaryGridPtr = std::shared_ptr<const BoundaryGrid>;
using WeightsPtr = std::shared_ptr<const std::vector<project::NamedTensor>>;
using ProjectPtr = std::shared_ptr<const project::Project>;

struct TrainingResult {
    train::FitStatus status = train::FitStatus::Completed;
    QString statusName;           // "completed", "stopped", "diverged"
    QString message;              // why it ended early, in words (names the node for a NaN stop)
    qint64 badNode = -1;          // NodeId value where non-finite values appeared (diverged only)
    std::vector<train::EpochMetrics> history;
    // The project that was trained, with the run record appended and — unless the run diverged — the
    // trained weights, optimizer state and normalization statistics. Adopt what you need from it.
    // Null when the run was stopped before it trained anything (while its dataset was loading).
    ProjectPtr project;
};

class TrainingWorker;
struct TrainingRequests;

class TrainingSession : public QObject {
    Q_OBJECT
public:
    enum class State { Idle, Running, Paused, Stopping };
    Q_ENUM(State)

    struct Options {
        bool resumeWeights = false;    // start from the project's saved weights (names and shapes that match)
        int progressIntervalMs = 100;  // stepProgress at most this often
        int boundaryResolution = 72;   // grid cells per side; 0 disables the decision-boundary grid
        int boundaryIntervalMs = 250;  // boundaryUpdated at most this often
        int insightIntervalMs = 0;     // captured() about this often; 0: only when asked or stepping
        bool startPaused = false;      // step mode: nothing runs until step() or resume()
    };

    explicit TrainingSession(QObject* parent = nullptr);
    // Stops the run and joins the worker thread; one that has not ended within kDestroyWaitMs is
    // abandoned (see abandon()).
    ~TrainingSession() override;
    static constexpr int kDestroyWaitMs = 2000;

    // Copies `project` and `config` and starts training them on the worker thread. Returns false (and
    // does nothing) while a run is going. Errors (bad model, dataset, config) arrive as failed().
    bool start(const project::Project& project, const train::TrainConfig& config);
    bool start(const project::Project& project, const train::TrainConfig& config, const Options& options);

    State state() const { return state_; }
    bool isRunning() const { return state_ != State::Idle; }
    bool isPaused() const { return state_ == State::Paused; }
    // Paused, and the worker is blocked in the pause (the batch that was in flight has ended and its
    // signals are queued).
    bool isHeld() const { return token_ && state_ == State::Paused && token_->held(); }

    // Blocks until the worker thread has ended (or `ms` passed; -1 waits forever). The terminal signal
    // is still delivered by the event loop afterwards.
    bool wait(int ms = -1);
    // Delivers what the worker has sent so far (its terminal signal too, after wait()) now, without
    // waiting for the event loop.
    void deliverPending() { mailbox_.deliverNow(); }
    // Lets go of a run that does not end: it is told to stop, and whatever it still sends is dropped;
    // its thread ends on its own (BackgroundTask::running() counts it until then). The session is Idle
    // at once, with no finished() or failed() for that run.
    void abandon();

public slots:
    void pause();   // takes effect before the next batch
    void resume();
    void stop();    // before the next batch; also ends a pause. finished() follows with status "stopped"
    // The worker clones the weights at its next step and emits weightsSnapshot().
    void requestWeightsSnapshot();
    // While paused: runs exactly one batch (forward, backward, optimizer step), emits captured() with
    // that batch's tensors and gradients, and pauses again.
    void step();
    // Records the next batch and emits captured().
    void requestCapture();

signals:
    void stateChanged(neura::gui::TrainingSession::State state);
    // The experiment is built: sizes of the splits and batches per epoch.
    void started(qint64 trainSamples, qint64 valSamples, qint64 stepsPerEpoch, qint64 epochs);
    void stepProgress(const neura::gui::TrainingProgress& progress);
    void epochFinished(const neura::train::EpochMetrics& metrics);  // every epoch, in order
    void boundaryUpdated(const neura::gui::BoundaryGridPtr& grid);   // 2-D classification sets only
    void weightsSnapshot(const neura::gui::WeightsPtr& weights);
    // One batch seen from inside: node outputs and their gradients, parameters and theirs.
    void captured(const neura::train::CapturePtr& capture);
    // A NaN/Inf stop, before finished(): the message and the node where non-finite values appeared.
    void diverged(const QString& message, qint64 nodeId);
    // The run ended (completed, stopped or diverged). Exactly one of finished() / failed() per start().
    void finished(const neura::gui::TrainingResult& result);
    // An engine error (neura::Error or any exception) ended or prevented the run; nothing was trained.
    void failed(const QString& message);

private:
    void onWorkerDone();
    void joinWorker();
    void setState(State s);

    void reapAbandoned();

    QThread* thread_ = nullptr;
    TrainingWorker* worker_ = nullptr;
    std::vector<QThread*> abandoned_;  // threads of abandoned runs, deleted once they have ended
    quint64 run_ = 0;                  // the current run; signals of an older (abandoned) one are dropped
    std::shared_ptr<train::StopToken> token_;
    std::shared_ptr<TrainingRequests> requests_;
    State state_ = State::Idle;
    Mailbox mailbox_{this};  // the worker's signals reach this thread through it
};

}  // namespace neura::gui

Q_DECLARE_METATYPE(neura::gui::TrainingProgress)
Q_DECLARE_METATYPE(neura::gui::BoundaryGridPtr)
Q_DECLARE_METATYPE(neura::gui::WeightsPtr)
Q_DECLARE_METATYPE(neura::gui::TrainingResult)
Q_DECLARE_METATYPE(neura::train::EpochMetrics)
Q_DECLARE_METATYPE(neura::train::CapturePtr)
