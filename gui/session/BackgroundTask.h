#pragma once
// BackgroundTask: one job of a panel (a gradient check, an inspector capture) on its own thread,
// which can be told to stop, waited for with a bound, and abandoned. The job hands results back only
// through Job::post(), which does nothing once its owner has let go, so a job left running never
// touches a destroyed panel. The class also counts every worker thread the studio has running (the
// training session's too), so the program can wait for them, within a bound, before it exits.
#include <QObject>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "neura/train/Trainer.h"
#include "session/Mailbox.h"

namespace neura::gui {

class BackgroundTask {
public:
    // What the job sees: its stop token, and the way back to the owner's thread.
    class Job {
    public:
        const train::StopToken& stop() const { return stop_; }
        train::StopToken* stopToken() { return &stop_; }
        // Runs `fn` on the owner's thread (queued to `receiver`), unless the owner abandoned the job.
        void post(std::function<void()> fn);

    private:
        friend class BackgroundTask;
        train::StopToken stop_;
        std::mutex mutex_;
        std::condition_variable done_cv_;
        const Mailbox* mailbox_ = nullptr;  // the owner's; null once abandoned; under mutex_
        bool done_ = false;            // under mutex_
    };

    // Results are posted to `receiver`, which must outlive the task object (a member of it does).
    explicit BackgroundTask(QObject* receiver);
    // Asks a running job to stop, waits up to kDestroyWaitMs, then abandons it.
    ~BackgroundTask();
    BackgroundTask(const BackgroundTask&) = delete;
    BackgroundTask& operator=(const BackgroundTask&) = delete;

    // Starts `job` on a new thread; false (nothing started) while one is running or unjoined.
    bool start(std::function<void(Job&)> job);
    // Between start() and finish(): the job's thread may still run.
    bool isActive() const { return thread_.joinable(); }
    void requestStop();
    // Waits up to `ms` (-1: no bound) for the job's function to return; true when it has (or none ran).
    bool wait(int ms);
    // Joins the job; call it from what the job posted last (the job is then returning). One that has
    // not returned within kDestroyWaitMs is abandoned.
    void finish();
    // Lets go of a job still running: it is told to stop, its posts are dropped, its thread detached.
    void abandon();

    // How long the destructor waits for a running job before abandoning it.
    static constexpr int kDestroyWaitMs = 2000;

    // Every worker thread the studio has running: panels' jobs and training runs, abandoned or not.
    static int running();
    // Waits up to `ms` for running() to reach 0; true when it did.
    static bool waitForAll(int ms);
    // Counts the thread it lives on among running() for its lifetime.
    class Counted {
    public:
        Counted();
        ~Counted();
        Counted(const Counted&) = delete;
        Counted& operator=(const Counted&) = delete;
    };

private:
    Mailbox mailbox_;  // what the job posts waits there for the owner's thread
    std::shared_ptr<Job> job_;
    std::thread thread_;
};

}  // namespace neura::gui
