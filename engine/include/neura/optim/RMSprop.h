#pragma once
#include "neura/optim/Optimizer.h"

namespace neura::optim {

struct RMSpropOptions {
    double lr = 1e-2;
    double alpha = 0.99;
    double eps = 1e-8;
    double weight_decay = 0.0;
    double momentum = 0.0;
    bool centered = false;
    bool maximize = false;
};

// torch.optim.RMSprop.
class RMSprop : public Optimizer {
public:
    explicit RMSprop(std::vector<Tensor> params, const RMSpropOptions& options = {});
    std::string type_name() const override { return "RMSprop"; }
    const RMSpropOptions& options() const { return o_; }

protected:
    double& lr_ref() override { return o_.lr; }
    const double& lr_ref() const override { return o_.lr; }
    std::vector<std::pair<std::string, double>> hyperparameters() const override;
    bool set_hyperparameter(const std::string& name, double value) override;
    void update(const Tensor& p, const Tensor& g, ParamState& s) override;
    void validate() const override;

private:
    RMSpropOptions o_;
};

}  // namespace neura::optim
