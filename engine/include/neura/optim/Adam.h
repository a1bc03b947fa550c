#pragma once
#include "neura/optim/Optimizer.h"

namespace neura::optim {

struct AdamOptions {
    double lr = 1e-3;
    double beta1 = 0.9, beta2 = 0.999;
    double eps = 1e-8;
    double weight_decay = 0.0;  // L2 penalty added to the gradient
    bool amsgrad = false;
    bool maximize = false;
};

// torch.optim.Adam. AdamW derives from it and only changes how weight decay is applied.
class Adam : public Optimizer {
public:
    explicit Adam(std::vector<Tensor> params, const AdamOptions& options = {});
    std::string type_name() const override { return "Adam"; }
    const AdamOptions& options() const { return o_; }

protected:
    Adam(std::vector<Tensor> params, const AdamOptions& options, bool decoupled_weight_decay);
    double& lr_ref() override { return o_.lr; }
    const double& lr_ref() const override { return o_.lr; }
    std::vector<std::pair<std::string, double>> hyperparameters() const override;
    bool set_hyperparameter(const std::string& name, double value) override;
    void update(const Tensor& p, const Tensor& g, ParamState& s) override;
    void validate() const override;

private:
    AdamOptions o_;
    bool decoupled_;
};

}  // namespace neura::optim
