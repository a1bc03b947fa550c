#pragma once
// SweepSession: a hyperparameter sweep (neura/train/Sweep.h) on a worker thread, one run after another
// over a copy of the project, through a BackgroundTask. The sweep is checked on the calling thread
// before anything starts (a bad key or value is an error at once); progress and every finished run
// come back as signals on the owner's thread. stop() acts through the engine's StopToken, between two
// batches: the run in flight is recorded as stopped and no further run starts.
#include <QObject>
#include <QString>

#include "neura/project/Project.h"
#include "neura/train/Sweep.h"
#include "session/BackgroundTask.h"

namespace neura::gui {

class SweepSession : public QObject {
    Q_OBJECT
public:
    explicit SweepSession(QObject* parent = nullptr);
    ~SweepSession() override;  // stops a sweep going on; waits (bounded), then abandons it

    // Checks the sweep against `project` and `config` and starts it on the worker thread. False, with
    // the reason in `error`, when a key or value is bad or a sweep is going on already.
    bool start(const project::Project& project, const train::TrainConfig& config, const train::SweepOptions& options,
               QString* error = nullptr);
    bool isRunning() const { return running_; }
    int runCount() const { return runs_; }  // of the sweep going on (or the last one)

    // Asks the worker to end before its next batch; finished() follows.
    void stop();
    // Stops and waits up to `ms` for the worker; abandons it when it does not end in time.
    bool stopAndWait(int ms);

signals:
    void runStarted(int index, int runs, const QString& settingsJson);
    void epochFinished(int index, qint64 epoch, qint64 epochs, double trainLoss);  // epoch is 1-based
    // A run ended (completed, stopped or failed); `record` has its settings, config, model and metrics.
    void runFinished(int index, const neura::project::RunRecord& record);
    void finished(int runs, int failedRuns, bool stopped);
    // The sweep could not go on (an error outside any run).
    void failed(const QString& message);

private:
    void onDone(int runs, int failedRuns, bool stopped, const QString& error);

    BackgroundTask task_{this};
    bool running_ = false;
    int runs_ = 0;
};

}  // namespace neura::gui
