#pragma once
// Learning-rate schedulers stepped once per epoch, with PyTorch's closed forms: the lr after
// `last_epoch` steps depends only on the base lr (the optimizer's lr when the scheduler was made).
#include <cstdint>

#include "neura/optim/Optimizer.h"

namespace neura::optim {

class LRScheduler {
public:
    virtual ~LRScheduler() = default;
    virtual std::string type_name() const = 0;
    void step();                              // next epoch: sets the optimizer's lr
    double get_last_lr() const { return last_lr_; }
    std::int64_t last_epoch() const { return last_epoch_; }
    double base_lr() const { return base_lr_; }
    // Jumps to `epoch` (restoring a run): the optimizer's lr becomes lr_at(epoch).
    void set_last_epoch(std::int64_t epoch);
    virtual double lr_at(std::int64_t epoch) const = 0;

protected:
    explicit LRScheduler(Optimizer& optimizer);
    Optimizer& optimizer_;
    double base_lr_;
    std::int64_t last_epoch_ = 0;
    double last_lr_;
};

// lr = base_lr * gamma ^ floor(epoch / step_size)
class StepLR : public LRScheduler {
public:
    StepLR(Optimizer& optimizer, std::int64_t step_size, double gamma = 0.1);
    std::string type_name() const override { return "StepLR"; }
    double lr_at(std::int64_t epoch) const override;
    std::int64_t step_size;
    double gamma;
};

// lr = base_lr * gamma ^ epoch
class ExponentialLR : public LRScheduler {
public:
    ExponentialLR(Optimizer& optimizer, double gamma);
    std::string type_name() const override { return "ExponentialLR"; }
    double lr_at(std::int64_t epoch) const override;
    double gamma;
};

// lr = eta_min + (base_lr - eta_min) * (1 + cos(pi * epoch / T_max)) / 2
class CosineAnnealingLR : public LRScheduler {
public:
    CosineAnnealingLR(Optimizer& optimizer, std::int64_t T_max, double eta_min = 0.0);
    std::string type_name() const override { return "CosineAnnealingLR"; }
    double lr_at(std::int64_t epoch) const override;
    std::int64_t T_max;
    double eta_min;
};

}  // namespace neura::optim
