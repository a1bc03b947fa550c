// torch.optim.AdamW: Adam's update with decoupled weight decay (see Adam.cpp).
#include "neura/optim/AdamW.h"

namespace neura::optim {

namespace {
AdamOptions as_adam(const AdamWOptions& o) {
    return {o.lr, o.beta1, o.beta2, o.eps, o.weight_decay, o.amsgrad, o.maximize};
}
}  // namespace

AdamW::AdamW(std::vector<Tensor> params, const AdamWOptions& options) : Adam(std::move(params), as_adam(options), true) {}

}  // namespace neura::optim
