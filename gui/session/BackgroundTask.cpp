#include "session/BackgroundTask.h"

#include <chrono>

namespace neura::gui {

namespace {

std::mutex& census_mutex() {
    static std::mutex m;
    return m;
}
std::condition_variable& census_cv() {
    static std::condition_variable cv;
    return cv;
}
int census = 0;  // under census_mutex()

}  // namespace


BackgroundTask::Counted::Counted() {
    std::lock_guard lock(census_mutex());
    ++census;
}

BackgroundTask::Counted::~Counted() {
    // Notified under the lock: waitForAll() cannot return (and the program exit and destroy the
    // condition variable) while this thread still uses it (ThreadSanitizer saw that race at exit).
    std::lock_guard lock(census_mutex());
    --census;
    census_cv().notify_all();
}

int BackgroundTask::running() {
    std::lock_guard lock(census_mutex());
    return census;
}

bool BackgroundTask::waitForAll(int ms) {
    std::unique_lock lock(census_mutex());
    return census_cv().wait_for(lock, std::chrono::milliseconds(ms), [] { return census == 0; });
}

void BackgroundTask::Job::post(std::function<void()> fn) {
    std::lock_guard lock(mutex_);
    // Posted while holding the lock: abandon() takes it before the receiver may go, and the events
    // already queued go with the receiver (QObject's destructor drops them).
    if (mailbox_) mailbox_->put(std::move(fn));
}

BackgroundTask::BackgroundTask(QObject* receiver) : mailbox_(receiver) {}

BackgroundTask::~BackgroundTask() {
    if (!thread_.joinable()) return;
    requestStop();
    if (wait(kDestroyWaitMs)) thread_.join();
    else abandon();
}

bool BackgroundTask::start(std::function<void(Job&)> job) {
    if (thread_.joinable()) return false;
    job_ = std::make_shared<Job>();
    job_->mailbox_ = &mailbox_;
    // Counted from here (the owner's thread) until the thread's function object is destroyed.
    auto counted = std::make_shared<Counted>();
    thread_ = std::thread([j = job_, counted, job = std::move(job)]() mutable {
        job(*j);
        {
            std::lock_guard lock(j->mutex_);
            j->done_ = true;
        }
        j->done_cv_.notify_all();
        job = nullptr;  // what the job captured goes before the thread counts as ended
        counted.reset();
    });
    return true;
}

void BackgroundTask::requestStop() {
    if (job_) job_->stop_.request_stop();
}

bool BackgroundTask::wait(int ms) {
    if (!job_) return true;
    std::unique_lock lock(job_->mutex_);
    if (ms < 0) {
        job_->done_cv_.wait(lock, [&] { return job_->done_; });
        return true;
    }
    return job_->done_cv_.wait_for(lock, std::chrono::milliseconds(ms), [&] { return job_->done_; });
}

void BackgroundTask::finish() {
    if (!thread_.joinable()) return;
    // Called from the job's last post, the job is returning: the wait is short.
    if (wait(kDestroyWaitMs)) thread_.join();
    else abandon();
}

void BackgroundTask::abandon() {
    if (!job_) return;
    job_->stop_.request_stop();
    {
        std::lock_guard lock(job_->mutex_);
        job_->mailbox_ = nullptr;
    }
    if (thread_.joinable()) thread_.detach();
    job_.reset();
}

}  // namespace neura::gui
