#pragma once
#include "neura/optim/Optimizer.h"

namespace neura::optim {

struct SGDOptions {
    double lr = 0.01;  // PyTorch requires lr; 0.01 is its common choice
    double momentum = 0.0;
    double dampening = 0.0;
    double weight_decay = 0.0;
    bool nesterov = false;  // needs momentum > 0 and dampening == 0
    bool maximize = false;
};

// Stochastic gradient descent with momentum (torch.optim.SGD): the first step's buffer is the gradient.
class SGD : public Optimizer {
public:
    explicit SGD(std::vector<Tensor> params, const SGDOptions& options = {});
    std::string type_name() const override { return "SGD"; }
    const SGDOptions& options() const { return o_; }

protected:
    double& lr_ref() override { return o_.lr; }
    const double& lr_ref() const override { return o_.lr; }
    std::vector<std::pair<std::string, double>> hyperparameters() const override;
    bool set_hyperparameter(const std::string& name, double value) override;
    void update(const Tensor& p, const Tensor& g, ParamState& s) override;
    void validate() const override;

private:
    SGDOptions o_;
};

}  // namespace neura::optim
