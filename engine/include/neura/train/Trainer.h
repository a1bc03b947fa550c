#pragma once
// Trainer::fit: epochs of forward, loss, backward and optimizer steps over a DataLoader, validation
// after each epoch, progress through plain callbacks (the engine knows nothing of Qt), a stop token
// that also pauses, and a NaN/Inf guard that names the first node where non-finite values appeared:
// in a batch's loss or gradients, in the parameters the optimizer left after an epoch's last step, or
// in the validation loss.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "neura/data/DataLoader.h"
#include "neura/graph/Network.h"
#include "neura/optim/Optimizer.h"
#include "neura/optim/Schedulers.h"
#include "neura/train/Insight.h"

namespace neura::train {

// Shared between the thread that trains and the one that controls it. Stop, pause and single steps
// take effect between two batches; a stop also ends validation between two of its batches, and the
// work around a run (building an Experiment, a gradient check) at its next check.
class StopToken {
public:
    void request_stop();
    void set_paused(bool paused);
    // While paused: lets exactly one more batch through, then pauses again (step mode).
    void step_once();
    bool stop_requested() const { return stop_.load(); }
    bool paused() const { return paused_.load(); }
    // Blocks while paused (unless a step was granted, which it uses up); returns false when a stop
    // was requested.
    bool wait_while_paused();
    // Whether the last wait_while_paused() let a batch through as a single step.
    bool stepped() const { return stepped_; }
    // Whether the training thread is blocked in wait_while_paused() now: it runs nothing until a step,
    // a resume or a stop (what "paused" shows once the batch in flight has ended).
    bool held() const { return held_.load(); }

private:
    std::atomic<bool> stop_{false};
    std::atomic<bool> paused_{false};
    std::atomic<bool> held_{false};
    int steps_ = 0;         // granted single steps; under mutex_
    bool stepped_ = false;  // the training thread's own
    std::mutex mutex_;
    std::condition_variable cv_;
};

// Thrown by work that a stop request ended before it had anything to give (an Experiment still
// loading its dataset, a gradient check inside a layer).
class RunStopped : public Error {
public:
    explicit RunStopped(const std::string& what) : Error(what) {}
};

struct StepProgress {
    std::int64_t epoch = 0;          // 0-based
    std::int64_t epochs = 0;
    std::int64_t step = 0;           // batch within the epoch, 0-based
    std::int64_t steps_per_epoch = 0;
    std::int64_t global_step = 0;
    double loss = 0.0;               // this batch's
    double accuracy = -1.0;          // this batch's; -1 for regression
    double samples_per_second = 0.0;
};

struct EpochMetrics {
    std::int64_t epoch = 0;
    double train_loss = 0.0;         // mean over the epoch's samples
    double train_accuracy = -1.0;    // -1 for regression
    double val_loss = -1.0;          // -1 without a validation set
    double val_accuracy = -1.0;
    double lr = 0.0;
    double seconds = 0.0;
};

struct Callbacks {
    std::function<void(const StepProgress&)> on_step;
    std::function<void(const EpochMetrics&)> on_epoch;
    // Asked before each batch: true records that batch (outputs, gradients, parameters) and hands it to
    // on_capture after the backward, before the optimizer step. A single step (StopToken::step_once)
    // is always recorded when on_capture is set.
    std::function<bool()> want_capture;
    std::function<void(Capture&&)> on_capture;
};

enum class FitStatus { Completed, Stopped, Diverged };
const char* fit_status_name(FitStatus s);  // "completed", "stopped", "diverged"

struct FitResult {
    FitStatus status = FitStatus::Completed;
    std::string message;             // why it stopped early, in words (names the node for a NaN)
    std::vector<EpochMetrics> history;
    graph::NodeId bad_node;          // where non-finite values first appeared (Diverged only)
};

struct EvalResult {
    double loss = 0.0;
    double accuracy = -1.0;
    std::int64_t samples = 0;
    bool stopped = false;                // a stop request ended it early: the figures cover `samples` only
    std::int64_t non_finite_row = -1;    // first row of the first batch whose loss was not finite; -1: none
};

class Trainer {
public:
    Trainer(graph::Network& net, optim::Optimizer& optimizer, optim::LRScheduler* scheduler = nullptr)
        : net_(net), opt_(optimizer), sched_(scheduler) {}

    FitResult fit(data::DataLoader& train, const data::Dataset* val, std::int64_t epochs, const Callbacks& cb,
                  StopToken* stop = nullptr);
    // Loss and accuracy over a whole dataset in eval mode, without gradients; a stop request ends it
    // between two batches (EvalResult::stopped).
    EvalResult evaluate(const data::Dataset& data, std::int64_t batch_size = 256, const StopToken* stop = nullptr);

private:
    // Finds the first node whose output (on `input`) or whose parameters' gradients are not finite.
    std::pair<graph::NodeId, std::string> locate_non_finite(const Tensor& input);
    // The first parameter holding NaN or Inf, as (its node, "fc1.weight"); an invalid node when none does.
    std::pair<graph::NodeId, std::string> non_finite_parameter() const;

    graph::Network& net_;
    optim::Optimizer& opt_;
    optim::LRScheduler* sched_;
};

// Fraction of rows whose argmax over the last dim equals the target class: logits [B, C] with
// targets [B], or per step, logits [B, T, C] with targets [B, T] (steps labelled kIgnoreLabel left
// out). -1 when the targets are not class indices of that shape, or every step is padding.
double accuracy(const Tensor& logits, const Tensor& targets);
bool all_finite(const Tensor& t);

}  // namespace neura::train
