#pragma once
// Plain parameter structs that kernels of every backend take: the geometry of a convolution or a
// pooling window and the scalars of the fused optimizer updates. No engine types, so that CUDA
// translation units (compiled by nvcc) can include this header as well.
#include <cstdint>

namespace neura {

// One convolution: x [N, C, H, W], weight [OC, C / G, KH, KW], out [N, OC, OH, OW].
struct ConvGeometry {
    std::int64_t n, c, h, w, oc, kh, kw, oh, ow;
    std::int64_t sh, sw, ph, pw, dh, dw, groups;
};

// x [N, C, H, W] -> out [N, C, OH, OW]; window (oy, ox) starts at (oy * sh - ph, ox * sw - pw).
// Adaptive pooling leaves the window fields 0.
struct PoolGeometry {
    std::int64_t n, c, h, w, oh, ow, kh, kw, sh, sw, ph, pw;
    std::int64_t planes() const { return n * c; }
};

// torch.optim.SGD; `first` is true on the step that creates the momentum buffer.
struct SgdStepParams {
    double lr, momentum, dampening, weight_decay;
    bool nesterov, maximize, first;
};

// torch.optim.Adam / AdamW; step_size = lr / (1 - beta1^t), bc2_sqrt = sqrt(1 - beta2^t).
struct AdamStepParams {
    double lr, beta1, beta2, eps, weight_decay, step_size, bc2_sqrt;
    bool decoupled, amsgrad, maximize;
};

// torch.optim.RMSprop.
struct RmspropStepParams {
    double lr, alpha, eps, weight_decay, momentum;
    bool centered, maximize;
};

}  // namespace neura
