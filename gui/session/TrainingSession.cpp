#include "session/TrainingSession.h"

#include <QCoreApplication>
#include <QDeadlineTimer>
#include <QThread>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <exception>
#include <limits>

#include "neura/autograd/GradMode.h"
#include "neura/ops/Ops.h"
#include "neura/train/Experiment.h"
#include "session/BackgroundTask.h"

namespace neura::gui {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_between(Clock::time_point a, Clock::time_point b) {
    return std::chrono::duration<double>(b - a).count();
}

// The feature plane a 2-D dataset covers, padded by 10% on each side.
struct Extent {
    double x0 = 0, x1 = 1, y0 = 0, y1 = 1;
};

// A stop request ends the scan (the run is ending: the extent no longer matters).
Extent extent_of(const data::Dataset& d, const train::StopToken& stop) {
    Extent e{std::numeric_limits<double>::max(), std::numeric_limits<double>::lowest(),
             std::numeric_limits<double>::max(), std::numeric_limits<double>::lowest()};
    float f[2];
    for (std::int64_t i = 0; i < d.size(); ++i) {
        if (i % 4096 == 0 && stop.stop_requested()) return {};
        d.read_features(i, f);
        e.x0 = std::min<double>(e.x0, f[0]);
        e.x1 = std::max<double>(e.x1, f[0]);
        e.y0 = std::min<double>(e.y0, f[1]);
        e.y1 = std::max<double>(e.y1, f[1]);
    }
    if (d.size() == 0) return {};
    const double px = std::max(1e-6, (e.x1 - e.x0) * 0.1), py = std::max(1e-6, (e.y1 - e.y0) * 0.1);
    return {e.x0 - px, e.x1 + px, e.y0 - py, e.y1 + py};
}

// Threads of abandoned runs that outlived their session (a running QThread cannot be deleted): freed
// when the application object goes, if they have ended by then.
std::vector<QThread*>& orphans() {
    static std::vector<QThread*> threads;
    return threads;
}

void reapOrphans() {
    std::erase_if(orphans(), [](QThread* t) {
        if (!t->isFinished()) return false;
        t->wait();
        delete t;
        return true;
    });
}

}  // namespace

struct TrainingRequests {
    std::atomic<bool> snapshot{false};
    std::atomic<bool> capture{false};
};

// Lives on the session's QThread; everything it touches (experiment, network, project copy) is its
// own. What crosses back are signal arguments: values or shared_ptrs to const data.
class TrainingWorker : public QObject {
    Q_OBJECT
public:
    TrainingWorker(project::Project project, train::TrainConfig config, TrainingSession::Options options,
                   std::shared_ptr<train::StopToken> token)
        : project_(std::move(project)),
          config_(std::move(config)),
          options_(options),
          token_(std::move(token)),
          counted_(std::make_unique<BackgroundTask::Counted>()) {}

    // Shared with the session, which may set them until the thread has ended (the worker object
    // itself goes away with its thread).
    std::shared_ptr<TrainingRequests> requests = std::make_shared<TrainingRequests>();

public slots:
    void run() {
        try {
            runExperiment();
        } catch (const std::exception& e) {
            emit failedRun(QString::fromStdString(e.what()));
        } catch (...) {
            emit failedRun(QStringLiteral("training failed with an unknown error"));
        }
        counted_.reset();
        returned_.store(true, std::memory_order_release);  // everything above happens before joinWorker
        thread()->quit();  // the run is over: the thread ends on its own, so wait() needs no event loop
    }

    // Set as run() returns. QThread::wait() synchronizes inside Qt, where ThreadSanitizer cannot see
    // it; reading this after wait() is the same order, stated in code it can see.
    bool hasReturned() const { return returned_.load(std::memory_order_acquire); }

signals:
    void started(qint64 trainSamples, qint64 valSamples, qint64 stepsPerEpoch, qint64 epochs);
    void stepProgress(const neura::gui::TrainingProgress& progress);
    void epochFinished(const neura::train::EpochMetrics& metrics);
    void boundaryUpdated(const neura::gui::BoundaryGridPtr& grid);
    void weightsSnapshot(const neura::gui::WeightsPtr& weights);
    void captured(const neura::train::CapturePtr& capture);
    void finishedRun(const neura::gui::TrainingResult& result);
    void failedRun(const QString& message);

private:
    void runExperiment() {
        const std::string started_at = project::utc_now_iso8601();
        std::unique_ptr<train::Experiment> built;
        try {
            built = std::make_unique<train::Experiment>(project_, config_, token_.get());
        } catch (const train::RunStopped& e) {
            TrainingResult out;  // nothing trained: no project to adopt, no run to record
            out.status = train::FitStatus::Stopped;
            out.statusName = QString::fromUtf8(train::fit_status_name(out.status));
            out.message = QString::fromStdString(e.what());
            emit finishedRun(out);
            return;
        }
        train::Experiment& ex = *built;
        if (options_.resumeWeights) ex.load_weights(project_);

        const auto& full = ex.dataset();
        const bool boundary = options_.boundaryResolution > 0 && full->is_classification() &&
                              full->feature_shape() == Shape{2};
        if (boundary) extent_ = extent_of(*full, *token_);

        const std::int64_t train_n = ex.train_set()->size();
        const std::int64_t bs = std::max<std::int64_t>(1, config_.batch_size);
        const std::int64_t steps = (train_n + bs - 1) / bs;
        emit started(train_n, ex.val_set() ? ex.val_set()->size() : 0, steps, config_.epochs);

        const auto t_start = Clock::now();
        auto last_progress = t_start - std::chrono::hours(1);
        auto last_boundary = t_start;
        auto last_capture = t_start - std::chrono::hours(1);
        std::int64_t samples_since = 0;
        auto since = t_start;

        train::Callbacks cb;
        cb.on_step = [&](const train::StepProgress& p) {
            const bool last_step = p.step + 1 == p.steps_per_epoch;
            samples_since += last_step ? train_n - p.step * bs : bs;
            const auto now = Clock::now();
            const bool final_step = last_step && p.epoch + 1 == p.epochs;
            if (seconds_between(last_progress, now) * 1000.0 >= options_.progressIntervalMs || final_step ||
                token_->stepped()) {
                TrainingProgress g;
                g.epoch = p.epoch;
                g.epochs = p.epochs;
                g.step = p.step;
                g.stepsPerEpoch = p.steps_per_epoch;
                g.globalStep = p.global_step;
                g.loss = p.loss;
                g.accuracy = p.accuracy;
                const double window = seconds_between(since, now);
                g.samplesPerSecond = window > 0 ? static_cast<double>(samples_since) / window : p.samples_per_second;
                g.elapsedSeconds = seconds_between(t_start, now);
                const double done = static_cast<double>(p.global_step + 1);
                const double total = static_cast<double>(p.epochs * p.steps_per_epoch);
                g.etaSeconds = g.elapsedSeconds / done * std::max(0.0, total - done);
                emit stepProgress(g);
                last_progress = now;
                since = now;
                samples_since = 0;
            }
            if (boundary && seconds_between(last_boundary, now) * 1000.0 >= options_.boundaryIntervalMs) {
                if (auto grid = evaluateGrid(ex, p.global_step)) emit boundaryUpdated(grid);
                last_boundary = Clock::now();  // the evaluation's own time does not count
            }
            if (requests->snapshot.exchange(false)) emit weightsSnapshot(cloneWeights(ex));
        };
        cb.on_epoch = [&](const train::EpochMetrics& m) { emit epochFinished(m); };
        const std::int64_t total_steps = steps * config_.epochs;
        std::int64_t asked = 0;
        cb.want_capture = [&] {
            const bool last_batch = ++asked == total_steps;  // what the views show after the run
            if (requests->capture.exchange(false) || (last_batch && options_.insightIntervalMs > 0)) return true;
            return options_.insightIntervalMs > 0 &&
                   seconds_between(last_capture, Clock::now()) * 1000.0 >= options_.insightIntervalMs;
        };
        cb.on_capture = [&](train::Capture&& c) {
            emit captured(std::make_shared<const train::Capture>(std::move(c)));
            last_capture = Clock::now();  // the capture's own time does not count
        };

        const train::FitResult r = ex.run(cb, token_.get());

        const std::int64_t steps_done = static_cast<std::int64_t>(r.history.size()) * steps;
        if (boundary && r.status != train::FitStatus::Diverged)
            if (auto grid = evaluateGrid(ex, steps_done)) emit boundaryUpdated(grid);
        if (requests->snapshot.exchange(false)) emit weightsSnapshot(cloneWeights(ex));

        TrainingResult out;
        out.status = r.status;
        out.statusName = QString::fromUtf8(train::fit_status_name(r.status));
        out.message = QString::fromStdString(r.message);
        out.badNode = r.bad_node.valid() ? static_cast<qint64>(r.bad_node.value) : -1;
        out.history = r.history;
        auto result_project = std::make_shared<project::Project>(std::move(project_));
        if (r.status == train::FitStatus::Diverged) {
            // Keep the weights the run started from: the trained ones hold NaNs. Only the record is new.
            project::Project scratch;
            ex.store(scratch, r, started_at);
            result_project->runs.push_back(std::move(scratch.runs.back()));
        } else {
            ex.store(*result_project, r, started_at);
        }
        out.project = std::move(result_project);
        emit finishedRun(out);
    }

    // Null when a stop request ended it: the grid is evaluated in slices, with the token read between them.
    BoundaryGridPtr evaluateGrid(train::Experiment& ex, std::int64_t global_step) {
        if (token_->stop_requested()) return nullptr;
        auto grid = std::make_shared<BoundaryGrid>();
        const int w = options_.boundaryResolution, h = options_.boundaryResolution;
        grid->width = w;
        grid->height = h;
        grid->xMin = extent_.x0;
        grid->xMax = extent_.x1;
        grid->yMin = extent_.y0;
        grid->yMax = extent_.y1;
        grid->classes = static_cast<int>(ex.dataset()->num_classes());
        grid->globalStep = global_step;
        std::vector<float> pts(static_cast<std::size_t>(w) * h * 2);
        for (int j = 0; j < h; ++j)
            for (int i = 0; i < w; ++i) {
                const std::size_t k = (static_cast<std::size_t>(j) * w + i) * 2;
                pts[k] = static_cast<float>(extent_.x0 + (extent_.x1 - extent_.x0) * (i + 0.5) / w);
                pts[k + 1] = static_cast<float>(extent_.y0 + (extent_.y1 - extent_.y0) * (j + 0.5) / h);
            }
        Tensor x = Tensor::from_vector(pts, {static_cast<std::int64_t>(w) * h, 2});
        if (ex.standardizer().fitted()) x = ex.standardizer().transform(x);
        x = x.to(ex.device());
        graph::Network& net = ex.network();
        const bool was_training = net.is_training();
        const std::int64_t n = static_cast<std::int64_t>(w) * h;
        std::vector<Tensor> slices;
        {
            // Eval mode (Dropout off, BatchNorm's running statistics untouched), no autograd graph.
            NoGradGuard ng;
            net.eval();
            try {
                for (std::int64_t start = 0; start < n; start += kGridSlice) {
                    if (token_->stop_requested()) {
                        net.train(was_training);
                        return nullptr;
                    }
                    const std::int64_t rows = std::min(kGridSlice, n - start);
                    slices.push_back(net.forward(x.narrow(0, start, rows)).contiguous());
                }
            } catch (...) {
                net.train(was_training);
                throw;
            }
            net.train(was_training);
        }
        Tensor out;
        {
            NoGradGuard ng;
            out = slices.size() == 1 ? slices.front() : cat(slices, 0).contiguous();
        }
        const std::int64_t k = out.numel() / std::max<std::int64_t>(n, 1);
        const std::vector<float> v = out.to_vector<float>();
        grid->cls.resize(static_cast<std::size_t>(n));
        grid->confidence.resize(static_cast<std::size_t>(n));
        for (std::int64_t r = 0; r < n; ++r) {
            const float* row = v.data() + r * k;
            if (k == 1) {  // one logit: binary classification through a sigmoid
                const float p = 1.0f / (1.0f + std::exp(-row[0]));
                grid->cls[r] = p >= 0.5f ? 1 : 0;
                grid->confidence[r] = p >= 0.5f ? p : 1.0f - p;
                continue;
            }
            const std::int64_t best = std::max_element(row, row + k) - row;
            double sum = 0.0;
            for (std::int64_t c = 0; c < k; ++c) sum += std::exp(static_cast<double>(row[c] - row[best]));
            grid->cls[r] = static_cast<std::uint8_t>(std::min<std::int64_t>(best, 255));
            grid->confidence[r] = std::isfinite(sum) ? static_cast<float>(1.0 / sum) : 0.0f;
        }
        if (grid->classes <= 0) grid->classes = static_cast<int>(std::max<std::int64_t>(k, 2));
        return grid;
    }

    static WeightsPtr cloneWeights(train::Experiment& ex) {
        NoGradGuard ng;
        auto w = std::make_shared<std::vector<project::NamedTensor>>();
        // Host copies, whatever device trains: the GUI thread reads them.
        auto copy = [](const Tensor& t) { return t.device() == Device::cpu() ? t.detach().clone() : t.detach().to(Device::cpu()); };
        for (const auto& [name, t] : ex.network().named_parameters()) w->push_back({name, copy(t)});
        for (const auto& [name, t] : ex.network().named_buffers()) w->push_back({name, copy(t)});
        return w;
    }

    static constexpr std::int64_t kGridSlice = 1024;  // grid points per forward between two stop checks

    project::Project project_;
    train::TrainConfig config_;
    TrainingSession::Options options_;
    std::shared_ptr<train::StopToken> token_;
    std::unique_ptr<BackgroundTask::Counted> counted_;  // from the session's start() to the run's end
    std::atomic<bool> returned_{false};
    Extent extent_;
};

TrainingSession::TrainingSession(QObject* parent) : QObject(parent) {
    static const bool registered = [] {
        qRegisterMetaType<TrainingProgress>();
        qRegisterMetaType<BoundaryGridPtr>();
        qRegisterMetaType<WeightsPtr>();
        qRegisterMetaType<TrainingResult>();
        qRegisterMetaType<train::EpochMetrics>();
        qRegisterMetaType<train::CapturePtr>();
        return true;
    }();
    (void)registered;
}

TrainingSession::~TrainingSession() {
    // No signals from here on: the receivers may be half destroyed (the window deleting its children).
    const QSignalBlocker block(this);
    if (token_) token_->request_stop();
    if (wait(kDestroyWaitMs)) joinWorker();
    else abandon();
    reapAbandoned();
    // Threads of abandoned runs that still run are left to end on their own (deleting a running QThread
    // aborts the program); the application frees them at its end if they have ended by then.
    static const bool registered = [] {
        qAddPostRoutine(reapOrphans);
        return true;
    }();
    (void)registered;
    orphans().insert(orphans().end(), abandoned_.begin(), abandoned_.end());
    abandoned_.clear();
}

bool TrainingSession::start(const project::Project& project, const train::TrainConfig& config) {
    return start(project, config, Options{});
}

bool TrainingSession::start(const project::Project& project, const train::TrainConfig& config,
                            const Options& options) {
    if (thread_) return false;
    reapAbandoned();
    const quint64 run = ++run_;
    token_ = std::make_shared<train::StopToken>();
    if (options.startPaused) token_->set_paused(true);
    thread_ = new QThread;  // owned here, not by a parent: it is joined before it is deleted
    thread_->setObjectName(QStringLiteral("neura-training"));
    worker_ = new TrainingWorker(project, config, options, token_);
    requests_ = worker_->requests;
    worker_->moveToThread(thread_);
    // The worker is deleted here once its thread has ended (joinWorker), or by its own thread when the run
    // is abandoned (abandon).
    // Worker → session: each signal is taken on the worker's thread (a direct connection) and put, with
    // copies of its arguments, into the session's mailbox, which runs the relay on this thread (the
    // hand-off is a std::mutex ThreadSanitizer sees, not Qt's queued-signal machinery). Each relay checks
    // that its run is still the session's: an abandoned run's messages are dropped.
    const Mailbox box = mailbox_;
    connect(worker_, &TrainingWorker::started, worker_, [this, box, run](qint64 a, qint64 b, qint64 c, qint64 d) {
        box.put([this, run, a, b, c, d] {
            if (run == run_) emit started(a, b, c, d);
        });
    }, Qt::DirectConnection);
    connect(worker_, &TrainingWorker::stepProgress, worker_, [this, box, run](const TrainingProgress& p) {
        box.put([this, run, p] {
            if (run == run_) emit stepProgress(p);
        });
    }, Qt::DirectConnection);
    connect(worker_, &TrainingWorker::epochFinished, worker_, [this, box, run](const train::EpochMetrics& m) {
        box.put([this, run, m] {
            if (run == run_) emit epochFinished(m);
        });
    }, Qt::DirectConnection);
    connect(worker_, &TrainingWorker::boundaryUpdated, worker_, [this, box, run](const BoundaryGridPtr& g) {
        box.put([this, run, g] {
            if (run == run_) emit boundaryUpdated(g);
        });
    }, Qt::DirectConnection);
    connect(worker_, &TrainingWorker::weightsSnapshot, worker_, [this, box, run](const WeightsPtr& w) {
        box.put([this, run, w] {
            if (run == run_) emit weightsSnapshot(w);
        });
    }, Qt::DirectConnection);
    connect(worker_, &TrainingWorker::captured, worker_, [this, box, run](const train::CapturePtr& c) {
        box.put([this, run, c] {
            if (run == run_) emit captured(c);
        });
    }, Qt::DirectConnection);
    connect(worker_, &TrainingWorker::finishedRun, worker_, [this, box, run](const TrainingResult& r) {
        box.put([this, run, r] {
            if (run != run_) return;
            joinWorker();
            setState(State::Idle);
            if (r.status == train::FitStatus::Diverged) emit diverged(r.message, r.badNode);
            emit finished(r);
        });
    }, Qt::DirectConnection);
    connect(worker_, &TrainingWorker::failedRun, worker_, [this, box, run](const QString& message) {
        box.put([this, run, message] {
            if (run != run_) return;
            joinWorker();
            setState(State::Idle);
            emit failed(message);
        });
    }, Qt::DirectConnection);
    // run() starts on the new thread itself, connected before the thread exists: all the worker's setup
    // happens before it, as ThreadSanitizer can see (a queued call posted after start() it cannot).
    connect(thread_, &QThread::started, worker_, &TrainingWorker::run);
    thread_->start();
    setState(options.startPaused ? State::Paused : State::Running);
    return true;
}

bool TrainingSession::wait(int ms) {
    if (!thread_) return true;
    return ms < 0 ? thread_->wait() : thread_->wait(QDeadlineTimer(ms));
}

void TrainingSession::abandon() {
    if (!thread_) return;
    token_->request_stop();
    ++run_;  // what the abandoned run still sends is dropped by the relays
    QObject::disconnect(worker_, nullptr, worker_, nullptr);  // its signals no longer reach the mailbox
    // The worker goes with its thread's end (Qt's worker-object pattern): nobody here waits for it.
    connect(thread_, &QThread::finished, worker_, &QObject::deleteLater);
    abandoned_.push_back(thread_);  // it quits when its run returns; deleted once it has ended
    thread_ = nullptr;
    worker_ = nullptr;
    setState(State::Idle);
}

void TrainingSession::reapAbandoned() {
    std::erase_if(abandoned_, [](QThread* t) {
        if (!t->isFinished()) return false;
        t->wait();  // ended: returns at once
        delete t;
        return true;
    });
}

void TrainingSession::joinWorker() {
    if (!thread_) return;
    thread_->quit();  // the worker's run() returns first: quit takes effect once its slot is done
    thread_->wait();
    (void)worker_->hasReturned();  // pairs with run()'s release: the run's writes are seen from here on
    delete worker_;   // its thread has ended: it processes no event any more
    delete thread_;
    thread_ = nullptr;
    worker_ = nullptr;
}

void TrainingSession::pause() {
    if (!token_ || state_ != State::Running) return;
    token_->set_paused(true);
    setState(State::Paused);
}

void TrainingSession::resume() {
    if (!token_ || state_ != State::Paused) return;
    token_->set_paused(false);
    setState(State::Running);
}

void TrainingSession::stop() {
    if (!token_ || state_ == State::Idle || state_ == State::Stopping) return;
    token_->request_stop();  // also ends a pause
    setState(State::Stopping);
}

void TrainingSession::requestWeightsSnapshot() {
    if (requests_) requests_->snapshot.store(true);
}

void TrainingSession::step() {
    if (token_ && state_ == State::Paused) token_->step_once();
}

void TrainingSession::requestCapture() {
    if (requests_) requests_->capture.store(true);
}

void TrainingSession::setState(State s) {
    if (s == state_) return;
    state_ = s;
    emit stateChanged(s);
}

}  // namespace neura::gui

#include "TrainingSession.moc"
