#include "session/SweepSession.h"

#include <memory>

namespace neura::gui {

SweepSession::SweepSession(QObject* parent) : QObject(parent) {}

SweepSession::~SweepSession() = default;  // task_ stops, waits (bounded) and abandons

bool SweepSession::start(const project::Project& project, const train::TrainConfig& config,
                         const train::SweepOptions& options, QString* error) {
    auto refuse = [&](const QString& why) {
        if (error) *error = why;
        return false;
    };
    if (running_) return refuse(tr("A sweep is going on already."));
    if (project.dataset_json.empty()) return refuse(tr("The project names no dataset to train on."));
    std::shared_ptr<const train::Sweep> sweep;
    try {
        sweep = std::make_shared<const train::Sweep>(project, config, options);
    } catch (const std::exception& e) {
        return refuse(QString::fromStdString(e.what()));
    }
    task_.finish();  // a previous sweep's thread, if its last post was not taken yet
    running_ = true;
    runs_ = static_cast<int>(sweep->size());
    // The job owns its copies (the sweep, the project without its weights); it reaches this object only
    // through job.post(), which does nothing once the session let go of it.
    project::Project copy;
    copy.model_json = project.model_json;
    copy.dataset_json = project.dataset_json;
    copy.train_config_json = project.train_config_json;
    task_.start([this, sweep, copy = std::move(copy)](BackgroundTask::Job& job) mutable {
        train::SweepResult result;
        QString error;
        try {
            std::size_t current = 0;
            std::int64_t epochs = 0;
            train::SweepCallbacks cb;
            cb.on_run_start = [&](std::size_t i, std::size_t n, const std::string& settings) {
                current = i;
                epochs = sweep->config(i).epochs;
                job.post([this, i, n, s = QString::fromStdString(settings)] {
                    emit runStarted(static_cast<int>(i), static_cast<int>(n), s);
                });
            };
            cb.train.on_epoch = [&](const train::EpochMetrics& m) {
                job.post([this, i = current, e = m.epoch + 1, epochs, loss = m.train_loss] {
                    emit epochFinished(static_cast<int>(i), e, epochs, loss);
                });
            };
            cb.on_run_finished = [&](std::size_t i, const project::RunRecord& record) {
                job.post([this, i, record] { emit runFinished(static_cast<int>(i), record); });
            };
            result = train::run_sweep(copy, *sweep, cb, job.stopToken());
        } catch (const std::exception& e) {
            error = QString::fromStdString(e.what());
        } catch (...) {
            error = QStringLiteral("the sweep failed with an unknown error");
        }
        job.post([this, runs = static_cast<int>(result.runs), failed = static_cast<int>(result.failed),
                  stopped = result.stopped || job.stop().stop_requested(), error] { onDone(runs, failed, stopped, error); });
    });
    return true;
}

void SweepSession::stop() {
    if (running_) task_.requestStop();
}

bool SweepSession::stopAndWait(int ms) {
    if (!running_) return true;
    task_.requestStop();
    if (task_.wait(ms)) return true;  // its last post is queued: onDone() follows
    task_.abandon();
    running_ = false;
    emit finished(0, 0, true);
    return false;
}

void SweepSession::onDone(int runs, int failedRuns, bool stopped, const QString& error) {
    task_.finish();  // it posted this as its last act
    running_ = false;
    if (!error.isEmpty()) {
        emit failed(error);
        return;
    }
    emit finished(runs, failedRuns, stopped);
}

}  // namespace neura::gui
