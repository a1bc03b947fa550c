// StepLR, ExponentialLR and CosineAnnealingLR with PyTorch's closed forms (_get_closed_form_lr).
#include "neura/optim/Schedulers.h"

#include <cmath>
#include <numbers>

namespace neura::optim {

LRScheduler::LRScheduler(Optimizer& optimizer)
    : optimizer_(optimizer), base_lr_(optimizer.lr()), last_lr_(optimizer.lr()) {}

void LRScheduler::step() { set_last_epoch(last_epoch_ + 1); }

void LRScheduler::set_last_epoch(std::int64_t epoch) {
    NEURA_CHECK(epoch >= 0, type_name(), ": the epoch must be non-negative, got ", epoch);
    last_epoch_ = epoch;
    last_lr_ = lr_at(epoch);
    optimizer_.set_lr(last_lr_);
}

StepLR::StepLR(Optimizer& optimizer, std::int64_t step_size, double gamma)
    : LRScheduler(optimizer), step_size(step_size), gamma(gamma) {
    NEURA_CHECK(step_size > 0, "StepLR: step_size must be positive, got ", step_size);
}

double StepLR::lr_at(std::int64_t epoch) const {
    return base_lr_ * std::pow(gamma, static_cast<double>(epoch / step_size));
}

ExponentialLR::ExponentialLR(Optimizer& optimizer, double gamma) : LRScheduler(optimizer), gamma(gamma) {}

double ExponentialLR::lr_at(std::int64_t epoch) const { return base_lr_ * std::pow(gamma, static_cast<double>(epoch)); }

CosineAnnealingLR::CosineAnnealingLR(Optimizer& optimizer, std::int64_t T_max, double eta_min)
    : LRScheduler(optimizer), T_max(T_max), eta_min(eta_min) {
    NEURA_CHECK(T_max > 0, "CosineAnnealingLR: T_max must be positive, got ", T_max);
}

double CosineAnnealingLR::lr_at(std::int64_t epoch) const {
    const double c = std::cos(std::numbers::pi * static_cast<double>(epoch) / static_cast<double>(T_max));
    return eta_min + (base_lr_ - eta_min) * (1.0 + c) / 2.0;
}

}  // namespace neura::optim
