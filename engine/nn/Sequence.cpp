// LastStep and MeanOverTime: a sequence [B, T, F] to [B, F].
#include "neura/nn/Sequence.h"

#include "neura/nn/Padding.h"
#include "neura/ops/Ops.h"

namespace neura::nn {

namespace {
void check_sequence(const Tensor& x, const char* layer) {
    NEURA_CHECK(x.defined() && x.dim() == 3, layer, " expects a sequence [B, T, F], gets ",
                x.defined() ? shape_str(x.shape()) : "an undefined tensor");
    NEURA_CHECK(x.size(1) > 0, layer, ": the sequence has no time step (input ", shape_str(x.shape()), ")");
}
}  // namespace

Tensor LastStep::forward(const Tensor& x) {
    check_sequence(x, "LastStep");
    const std::int64_t batch = x.size(0), steps = x.size(1);
    const Tensor lengths = sequence_lengths_for(batch, steps);
    if (!lengths.defined()) return x.select(1, steps - 1);
    // Each row's last valid step: a one-hot [B, T, 1] weighting (the gradient reaches that step only).
    Tensor pick = Tensor::zeros({batch, steps}, DType::F64);
    const auto* l = lengths.data<std::int64_t>();
    for (std::int64_t r = 0; r < batch; ++r) pick.data<double>()[r * steps + l[r] - 1] = 1.0;
    return sum(x * pick.to(x.dtype()).to(x.device()).unsqueeze(-1), {1});
}

Tensor MeanOverTime::forward(const Tensor& x) {
    check_sequence(x, "MeanOverTime");
    const Tensor valid = valid_steps_mask(x.size(0), x.size(1), x.dtype(), x.device());
    if (!valid.defined()) return mean(x, {1});
    return sum(x * valid.unsqueeze(-1), {1}) / sum(valid, {1}).unsqueeze(-1);  // the mean of the valid steps
}

}  // namespace neura::nn
