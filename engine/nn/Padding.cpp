// The lengths of the batch being run, per thread (nn/Padding.h).
#include "neura/nn/Padding.h"

#include "neura/core/Error.h"
#include "neura/ops/Ops.h"

namespace neura::nn {

namespace {
thread_local Tensor t_lengths;
}

SequenceLengthsScope::SequenceLengthsScope(const Tensor& lengths) : previous_(t_lengths) {
    if (lengths.defined()) {
        NEURA_CHECK(lengths.dtype() == DType::I64 && lengths.dim() == 1, "sequence lengths must be I64 [B], got ",
                    dtype_name(lengths.dtype()), " ", shape_str(lengths.shape()));
        for (const std::int64_t l : lengths.to_vector<std::int64_t>())
            NEURA_CHECK(l >= 1, "sequence lengths must be at least 1, got ", l);
    }
    t_lengths = lengths.defined() ? lengths.to(Device{}).contiguous() : Tensor();
}

SequenceLengthsScope::~SequenceLengthsScope() { t_lengths = previous_; }

Tensor sequence_lengths_for(std::int64_t batch, std::int64_t steps) {
    if (!t_lengths.defined() || t_lengths.size(0) != batch) return {};
    const auto* l = t_lengths.data<std::int64_t>();
    for (std::int64_t r = 0; r < batch; ++r)
        if (l[r] > steps) return {};
    return t_lengths;
}

namespace {
// I64 [B, T]: 1 where step t is padding (t >= the row's length) when `padding`, else where it is valid.
Tensor step_flags(const Tensor& lengths, std::int64_t steps, bool padding) {
    const std::int64_t batch = lengths.size(0);
    Tensor m = Tensor::empty({batch, steps}, DType::I64);
    const auto* l = lengths.data<std::int64_t>();
    std::int64_t* p = m.data<std::int64_t>();
    for (std::int64_t r = 0; r < batch; ++r)
        for (std::int64_t t = 0; t < steps; ++t) p[r * steps + t] = (t >= l[r]) == padding;
    return m;
}
}  // namespace

Tensor valid_steps_mask(std::int64_t batch, std::int64_t steps, DType dtype, Device device) {
    NEURA_CHECK(is_floating(dtype), "valid_steps_mask: a floating dtype, got ", dtype_name(dtype));
    const Tensor lengths = sequence_lengths_for(batch, steps);
    return lengths.defined() ? step_flags(lengths, steps, false).to(dtype).to(device) : Tensor();
}

Tensor padding_mask(std::int64_t batch, std::int64_t steps, Device device) {
    const Tensor lengths = sequence_lengths_for(batch, steps);
    return lengths.defined() ? step_flags(lengths, steps, true).to(device) : Tensor();
}

}  // namespace neura::nn
