#include "neura/train/Trainer.h"

#include <chrono>
#include <cmath>
#include <memory>
#include <sstream>

#include "neura/autograd/GradMode.h"
#include "neura/nn/Padding.h"
#include "neura/ops/Ops.h"

namespace neura::train {

using Clock = std::chrono::steady_clock;

void StopToken::request_stop() {
    {
        std::lock_guard lock(mutex_);
        stop_ = true;
    }
    cv_.notify_all();
}

void StopToken::set_paused(bool paused) {
    {
        std::lock_guard lock(mutex_);
        paused_ = paused;
    }
    cv_.notify_all();
}

void StopToken::step_once() {
    {
        std::lock_guard lock(mutex_);
        ++steps_;
    }
    cv_.notify_all();
}

bool StopToken::wait_while_paused() {
    std::unique_lock lock(mutex_);
    const auto may_go = [&] { return !paused_.load() || stop_.load() || steps_ > 0; };
    if (!may_go()) {
        held_ = true;
        cv_.wait(lock, may_go);
        held_ = false;
    }
    stepped_ = false;
    if (stop_.load()) return false;
    if (paused_.load()) {  // woken by a granted step
        --steps_;
        stepped_ = true;
    } else {
        steps_ = 0;  // steps granted before a resume do not carry over into the next pause
    }
    return true;
}

const char* fit_status_name(FitStatus s) {
    switch (s) {
        case FitStatus::Completed: return "completed";
        case FitStatus::Stopped: return "stopped";
        case FitStatus::Diverged: return "diverged";
    }
    return "?";
}

bool all_finite(const Tensor& t) {
    if (!t.defined() || !is_floating(t.dtype())) return true;
    if (t.device().type != DeviceType::CPU) {
        // x * 0 is 0 for finite x, NaN for inf and NaN: one number crosses to the host, not the tensor.
        NoGradGuard ng;
        return std::isfinite(sum(t.detach() * 0.0).item<double>());
    }
    for (double v : t.to_vector<double>())
        if (!std::isfinite(v)) return false;
    return true;
}

namespace {

// Where the network's parameters (and so its inputs) live.
Device device_of(const graph::Network& net) {
    for (const auto& p : net.parameters()) return p.device();
    for (const auto& [_, b] : net.named_buffers()) return b.device();
    return Device::cpu();
}

Tensor on(const Tensor& t, Device d) { return t.defined() && t.device() != d ? t.to(d) : t; }

// Whether every tensor (undefined ones are skipped) is finite. On a device, one check over all of them
// (a single transfer) instead of one per tensor.
bool tensors_finite(const std::vector<Tensor>& tensors, Device device) {
    if (device.type == DeviceType::CPU) {
        for (const auto& t : tensors)
            if (!all_finite(t)) return false;
        return true;
    }
    NoGradGuard ng;
    Tensor total;
    for (const auto& t : tensors) {
        if (!t.defined() || !is_floating(t.dtype())) continue;
        const Tensor s = sum(t.detach() * 0.0).to(DType::F64);
        total = total.defined() ? total + s : s;
    }
    return !total.defined() || std::isfinite(total.item<double>());
}

bool gradients_finite(const std::vector<Tensor>& params, Device device) {
    std::vector<Tensor> grads;
    grads.reserve(params.size());
    for (const auto& p : params) grads.push_back(p.grad());
    return tensors_finite(grads, device);
}

constexpr std::int64_t kEvalBatch = 256;

}  // namespace

double accuracy(const Tensor& logits, const Tensor& targets) {
    if (!targets.defined() || targets.dtype() != DType::I64 || logits.dim() != targets.dim() + 1 ||
        logits.dim() < 2 || logits.size(0) == 0)
        return -1.0;
    NoGradGuard ng;
    const auto t = targets.to_vector<std::int64_t>();
    const std::int64_t classes = logits.size(-1);
    std::vector<std::int64_t> predicted;
    if (classes == 1) {  // one logit: binary, positive when > 0
        for (double v : logits.to_vector<double>()) predicted.push_back(v > 0.0 ? 1 : 0);
    } else {
        predicted = argmax(logits, -1).to_vector<std::int64_t>();
    }
    if (predicted.size() != t.size()) return -1.0;
    std::int64_t hits = 0, labelled = 0;
    for (std::size_t i = 0; i < t.size(); ++i) {
        if (t[i] == data::kIgnoreLabel) continue;  // a padding step
        ++labelled;
        hits += predicted[i] == t[i];
    }
    return labelled > 0 ? static_cast<double>(hits) / static_cast<double>(labelled) : -1.0;
}

std::pair<graph::NodeId, std::string> Trainer::locate_non_finite(const Tensor& input) {
    graph::NodeId first;
    std::string where;
    {
        NoGradGuard ng;
        const auto handle = net_.add_forward_hook([&](graph::NodeId node, const Tensor& out) {
            if (!first.valid() && !all_finite(out)) first = node;
        });
        try {
            net_.forward(input);
        } catch (...) {
            net_.remove_forward_hook(handle);
            throw;
        }
        net_.remove_forward_hook(handle);
    }
    if (first.valid()) {
        where = "in the output of node '" + net_.node_name(first) + "'";
        return {first, where};
    }
    // Outputs are finite: look for a parameter whose gradient or value is not.
    for (const auto& step : net_.steps()) {
        if (!step.module) continue;
        for (const auto& [name, p] : step.module->named_parameters()) {
            if (!all_finite(p)) return {step.node, "in parameter " + step.name + "." + name};
            if (!all_finite(p.grad())) return {step.node, "in the gradient of " + step.name + "." + name};
        }
    }
    return {net_.loss_node(), "in the loss (" + net_.loss_type() + ")"};
}

std::pair<graph::NodeId, std::string> Trainer::non_finite_parameter() const {
    for (const auto& step : net_.steps()) {
        if (!step.module) continue;
        for (const auto& [name, p] : step.module->named_parameters())
            if (!all_finite(p)) return {step.node, step.name + "." + name};
    }
    return {graph::NodeId{}, std::string()};
}

FitResult Trainer::fit(data::DataLoader& train, const data::Dataset* val, std::int64_t epochs, const Callbacks& cb,
                       StopToken* stop) {
    FitResult result;
    const std::int64_t steps = train.num_batches();
    NEURA_CHECK(steps > 0, "training: the training set gives no batch (", train.dataset().size(),
                " samples, batch size ", train.options().batch_size, ", drop_last ", train.options().drop_last, ")");
    std::int64_t global_step = 0;
    const Device device = device_of(net_);
    const std::vector<Tensor> params = net_.parameters();
    for (std::int64_t epoch = 0; epoch < epochs; ++epoch) {
        net_.train();
        const auto t0 = Clock::now();
        double loss_sum = 0.0, acc_sum = 0.0;
        std::int64_t seen = 0;
        bool classification = true;
        std::int64_t step = 0;
        train.reset();
        while (auto batch = train.next()) {
            if (stop && (!stop->wait_while_paused())) {
                result.status = FitStatus::Stopped;
                result.message = "stopped by the user at epoch " + std::to_string(epoch + 1) + ", step " +
                                 std::to_string(step + 1);
                return result;
            }
            const auto s0 = Clock::now();
            const Tensor features = on(batch->features, device), targets = on(batch->targets, device);
            opt_.zero_grad();
            std::unique_ptr<CaptureRecorder> recorder;
            if (cb.on_capture && ((stop && stop->stepped()) || (cb.want_capture && cb.want_capture())))
                recorder = std::make_unique<CaptureRecorder>(net_);
            const nn::SequenceLengthsScope padding(batch->lengths);  // variable-length rows: their padding
            // Forward, loss and backward: through the network's compiled plan, or autograd while a
            // capture's hooks watch (Network::train_step).
            const auto [out, loss] = net_.train_step(features, targets);
            const double loss_value = loss.item<double>();
            const bool finite = std::isfinite(loss_value) && gradients_finite(params, device);
            if (!finite) {
                recorder.reset();
                auto [node, where] = locate_non_finite(features);
                result.status = FitStatus::Diverged;
                result.bad_node = node;
                std::ostringstream msg;
                msg << "training stopped at epoch " << epoch + 1 << ", step " << step + 1 << ": the "
                    << (std::isfinite(loss_value) ? "gradients are" : "loss is") << " not finite (loss " << loss_value
                    << "); non-finite values first appeared " << where
                    << ". Try a smaller learning rate, normalized inputs, or check the data.";
                result.message = msg.str();
                return result;
            }
            if (recorder) {
                Capture c = recorder->finish(loss_value, batch->size());
                recorder.reset();
                c.epoch = epoch;
                c.step = step;
                c.global_step = global_step;
                cb.on_capture(std::move(c));
            }
            opt_.step();
            const double acc = accuracy(out, targets);
            classification = acc >= 0.0;
            const auto n = batch->size();
            loss_sum += loss_value * static_cast<double>(n);
            if (classification) acc_sum += acc * static_cast<double>(n);
            seen += n;
            if (cb.on_step) {
                StepProgress p;
                p.epoch = epoch;
                p.epochs = epochs;
                p.step = step;
                p.steps_per_epoch = steps;
                p.global_step = global_step;
                p.loss = loss_value;
                p.accuracy = acc;
                const double dt = std::chrono::duration<double>(Clock::now() - s0).count();
                p.samples_per_second = dt > 0 ? static_cast<double>(n) / dt : 0.0;
                cb.on_step(p);
            }
            ++step;
            ++global_step;
        }
        // The guard above reads each batch's loss and gradients, so parameters an optimizer step made
        // non-finite show at the next batch; after an epoch's last step there is none (after the run's
        // last step, never): check them before validation reads them or the run hands them back.
        if (!tensors_finite(params, device)) {
            auto [node, name] = non_finite_parameter();
            result.status = FitStatus::Diverged;
            result.bad_node = node;
            std::ostringstream msg;
            msg << "training stopped after epoch " << epoch + 1 << ", step " << step
                << ": the optimizer step left non-finite values in parameter "
                << (name.empty() ? std::string("(unnamed)") : name)
                << ". Try a smaller learning rate, normalized inputs, or check the data.";
            result.message = msg.str();
            return result;
        }
        EpochMetrics m;
        m.epoch = epoch;
        m.lr = opt_.lr();
        m.train_loss = loss_sum / static_cast<double>(std::max<std::int64_t>(seen, 1));
        m.train_accuracy = classification ? acc_sum / static_cast<double>(std::max<std::int64_t>(seen, 1)) : -1.0;
        if (val && val->size() > 0) {
            const EvalResult e = evaluate(*val, kEvalBatch, stop);
            if (e.stopped) {
                // The epoch trained in full; only its validation is missing.
                m.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
                result.history.push_back(m);
                if (cb.on_epoch) cb.on_epoch(m);
                result.status = FitStatus::Stopped;
                result.message = "stopped by the user during the validation after epoch " + std::to_string(epoch + 1);
                return result;
            }
            if (!std::isfinite(e.loss)) {
                // Look again at the first batch whose loss was not finite, in eval mode as evaluate() ran it.
                std::vector<std::int64_t> idx;
                for (std::int64_t i = e.non_finite_row; i < std::min(val->size(), e.non_finite_row + kEvalBatch); ++i)
                    idx.push_back(i);
                const data::Batch b = val->get_batch(idx);
                net_.eval();
                const nn::SequenceLengthsScope padding(b.lengths);
                std::pair<graph::NodeId, std::string> found;
                try {
                    found = locate_non_finite(on(b.features, device));
                } catch (...) {
                    net_.train();
                    throw;
                }
                net_.train();
                result.status = FitStatus::Diverged;
                result.bad_node = found.first;
                std::ostringstream msg;
                msg << "training stopped after epoch " << epoch + 1 << ": the validation loss is not finite (loss "
                    << e.loss << "); non-finite values first appeared " << found.second << " on validation rows "
                    << idx.front() << " to " << idx.back()
                    << ". Check the validation data, or try a smaller learning rate.";
                result.message = msg.str();
                return result;
            }
            m.val_loss = e.loss;
            m.val_accuracy = e.accuracy;
        }
        if (sched_) sched_->step();
        m.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
        result.history.push_back(m);
        if (cb.on_epoch) cb.on_epoch(m);
        if (stop && stop->stop_requested()) {
            result.status = epoch + 1 == epochs ? FitStatus::Completed : FitStatus::Stopped;
            if (result.status == FitStatus::Stopped)
                result.message = "stopped by the user after epoch " + std::to_string(epoch + 1);
            return result;
        }
    }
    return result;
}

EvalResult Trainer::evaluate(const data::Dataset& data, std::int64_t batch_size, const StopToken* stop) {
    const bool was_training = net_.is_training();
    net_.eval();
    NoGradGuard ng;
    EvalResult r;
    double loss_sum = 0.0, acc_sum = 0.0;
    bool classification = true;
    const Device device = device_of(net_);
    for (std::int64_t start = 0; start < data.size(); start += batch_size) {
        if (stop && stop->stop_requested()) {
            r.stopped = true;
            break;
        }
        std::vector<std::int64_t> idx;
        for (std::int64_t i = start; i < std::min(data.size(), start + batch_size); ++i) idx.push_back(i);
        const data::Batch b = data.get_batch(idx);
        const Tensor features = on(b.features, device), targets = on(b.targets, device);
        const nn::SequenceLengthsScope padding(b.lengths);
        Tensor out = net_.forward(features);
        const double l = net_.loss(out, targets).item<double>();
        if (!std::isfinite(l) && r.non_finite_row < 0) r.non_finite_row = start;
        const double a = accuracy(out, targets);
        classification = a >= 0.0;
        loss_sum += l * static_cast<double>(b.size());
        if (classification) acc_sum += a * static_cast<double>(b.size());
        r.samples += b.size();
    }
    if (r.samples > 0) {
        r.loss = loss_sum / static_cast<double>(r.samples);
        r.accuracy = classification ? acc_sum / static_cast<double>(r.samples) : -1.0;
    }
    net_.train(was_training);
    return r;
}

}  // namespace neura::train
