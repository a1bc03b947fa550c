#pragma once
#include "neura/optim/Adam.h"

namespace neura::optim {

struct AdamWOptions {
    double lr = 1e-3;
    double beta1 = 0.9, beta2 = 0.999;
    double eps = 1e-8;
    double weight_decay = 1e-2;  // decoupled: param *= 1 - lr * weight_decay before the Adam step
    bool amsgrad = false;
    bool maximize = false;
};

// torch.optim.AdamW (Loshchilov & Hutter): Adam with decoupled weight decay. options() is Adam's struct
// holding the same fields.
class AdamW : public Adam {
public:
    explicit AdamW(std::vector<Tensor> params, const AdamWOptions& options = {});
    std::string type_name() const override { return "AdamW"; }
};

}  // namespace neura::optim
