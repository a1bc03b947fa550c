#pragma once
// From a sequence to one vector per sample: the last time step, or the mean over time (what a sequence
// classifier puts between its recurrent or attention layers and its Linear head). x: [B, T, F] -> [B, F].
#include <string>

#include "neura/nn/Module.h"

namespace neura::nn {

class LastStep : public Module {
public:
    std::string type_name() const override { return "LastStep"; }
    Tensor forward(const Tensor& x) override;  // x[:, -1, :]
};

class MeanOverTime : public Module {
public:
    std::string type_name() const override { return "MeanOverTime"; }
    Tensor forward(const Tensor& x) override;  // x.mean(dim=1)
};

}  // namespace neura::nn
