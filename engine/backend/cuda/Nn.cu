// Neural-network CUDA kernels: im2col / col2im around cuBLAS for conv2d, pooling, batch and layer
// norm, and the integer matmul fallback. Backward kernels gather (each input element sums what reaches
// it) rather than scatter with atomics, so they are deterministic.
#include "backend/cuda/Common.cuh"

namespace neura::cuda::launch {
namespace {

// ------------------------------------------------------------------ convolution
template <class T>
__global__ void im2col_kernel(const T* x, T* col, ConvGeometry g, std::int64_t total) {
    const std::int64_t plane = g.oh * g.ow, cols = g.n * plane;
    NEURA_GRID_LOOP(i, total) {
        const std::int64_t q = i % cols, r = i / cols;  // column (n, oy, ox), row (c, ky, kx)
        const std::int64_t kx = r % g.kw, ky = (r / g.kw) % g.kh, c = r / (g.kw * g.kh);
        const std::int64_t ox = q % g.ow, oy = (q / g.ow) % g.oh, n = q / plane;
        const std::int64_t iy = oy * g.sh - g.ph + ky * g.dh, ix = ox * g.sw - g.pw + kx * g.dw;
        col[i] = iy >= 0 && iy < g.h && ix >= 0 && ix < g.w ? x[((n * g.c + c) * g.h + iy) * g.w + ix] : T(0);
    }
}

template <class T>
__global__ void col2im_kernel(const T* col, T* x, ConvGeometry g, std::int64_t total) {
    const std::int64_t plane = g.oh * g.ow, cols = g.n * plane;
    NEURA_GRID_LOOP(i, total) {
        const std::int64_t ix = i % g.w, iy = (i / g.w) % g.h, c = (i / (g.w * g.h)) % g.c, n = i / (g.w * g.h * g.c);
        T acc = 0;
        for (std::int64_t ky = 0; ky < g.kh; ++ky) {
            const std::int64_t ty = iy + g.ph - ky * g.dh;
            if (ty < 0 || ty % g.sh != 0 || ty / g.sh >= g.oh) continue;
            const std::int64_t oy = ty / g.sh;
            for (std::int64_t kx = 0; kx < g.kw; ++kx) {
                const std::int64_t tx = ix + g.pw - kx * g.dw;
                if (tx < 0 || tx % g.sw != 0 || tx / g.sw >= g.ow) continue;
                const std::int64_t ox = tx / g.sw;
                acc += col[((c * g.kh + ky) * g.kw + kx) * cols + (n * g.oh + oy) * g.ow + ox];
            }
        }
        x[i] = acc;
    }
}

template <class T>
__global__ void conv_output_kernel(const T* cols, const T* bias, T* out, std::int64_t n, std::int64_t oc,
                                   std::int64_t plane, std::int64_t total) {
    NEURA_GRID_LOOP(i, total) {
        const std::int64_t p = i % plane, c = (i / plane) % oc, b = i / (plane * oc);
        out[i] = cols[(c * n + b) * plane + p] + (bias ? bias[c] : T(0));
    }
}

template <class T>
__global__ void conv_bias_grad_kernel(const T* grad_out, T* grad_bias, std::int64_t n, std::int64_t oc,
                                      std::int64_t plane) {
    const std::int64_t c = blockIdx.x, per = n * plane;
    double acc = 0;
    for (std::int64_t i = threadIdx.x; i < per; i += blockDim.x)
        acc += static_cast<double>(grad_out[((i / plane) * oc + c) * plane + i % plane]);
    acc = block_sum(acc);
    if (threadIdx.x == 0) grad_bias[c] = static_cast<T>(acc);
}

// ------------------------------------------------------------------ pooling
// Outputs whose window [o * s - p, o * s - p + k) holds input position i: [lo, hi].
__device__ __forceinline__ void window_range(std::int64_t i, std::int64_t k, std::int64_t s, std::int64_t p,
                                             std::int64_t out, std::int64_t& lo, std::int64_t& hi) {
    const std::int64_t num = i + p - k + 1;
    lo = num <= 0 ? 0 : (num + s - 1) / s;
    hi = (i + p) / s;
    if (hi > out - 1) hi = out - 1;
}

__device__ __forceinline__ std::int64_t adaptive_start(std::int64_t i, std::int64_t in, std::int64_t out) {
    return (i * in) / out;
}
__device__ __forceinline__ std::int64_t adaptive_end(std::int64_t i, std::int64_t in, std::int64_t out) {
    return ((i + 1) * in + out - 1) / out;
}

template <class T>
__global__ void max_pool_forward_kernel(const T* x, T* out, std::int64_t* argmax, PoolGeometry g, std::int64_t total) {
    NEURA_GRID_LOOP(o, total) {
        const std::int64_t ox = o % g.ow, oy = (o / g.ow) % g.oh, p = o / (g.ow * g.oh);
        const T* plane = x + p * g.h * g.w;
        T best = -INFINITY;
        std::int64_t where = -1;
        for (std::int64_t iy = oy * g.sh - g.ph; iy < oy * g.sh - g.ph + g.kh && !(where >= 0 && best != best); ++iy)
            for (std::int64_t ix = ox * g.sw - g.pw; ix < ox * g.sw - g.pw + g.kw; ++ix) {
                if (iy < 0 || iy >= g.h || ix < 0 || ix >= g.w) continue;  // padding never wins
                const T v = plane[iy * g.w + ix];
                if (where < 0 || v > best || v != v) {  // first maximum; NaN wins (PyTorch)
                    best = v;
                    where = iy * g.w + ix;
                    if (v != v) break;
                }
            }
        out[o] = best;
        if (argmax) argmax[o] = where;
    }
}

template <class T>
__global__ void max_pool_backward_kernel(const T* grad_out, const std::int64_t* argmax, T* grad_x, PoolGeometry g,
                                         std::int64_t total) {
    NEURA_GRID_LOOP(i, total) {
        const std::int64_t ix = i % g.w, iy = (i / g.w) % g.h, p = i / (g.w * g.h);
        std::int64_t y0, y1, x0, x1;
        window_range(iy, g.kh, g.sh, g.ph, g.oh, y0, y1);
        window_range(ix, g.kw, g.sw, g.pw, g.ow, x0, x1);
        const std::int64_t me = iy * g.w + ix, base = p * g.oh * g.ow;
        T acc = 0;
        for (std::int64_t oy = y0; oy <= y1; ++oy)
            for (std::int64_t ox = x0; ox <= x1; ++ox)
                if (argmax[base + oy * g.ow + ox] == me) acc += grad_out[base + oy * g.ow + ox];
        grad_x[i] = acc;
    }
}

template <class T>
__global__ void avg_pool_forward_kernel(const T* x, T* out, PoolGeometry g, bool adaptive, std::int64_t total) {
    NEURA_GRID_LOOP(o, total) {
        const std::int64_t ox = o % g.ow, oy = (o / g.ow) % g.oh, p = o / (g.ow * g.oh);
        const T* plane = x + p * g.h * g.w;
        std::int64_t y0, y1, x0, x1;
        if (adaptive) {
            y0 = adaptive_start(oy, g.h, g.oh), y1 = adaptive_end(oy, g.h, g.oh);
            x0 = adaptive_start(ox, g.w, g.ow), x1 = adaptive_end(ox, g.w, g.ow);
        } else {
            y0 = oy * g.sh - g.ph, y1 = y0 + g.kh, x0 = ox * g.sw - g.pw, x1 = x0 + g.kw;
            y0 = y0 < 0 ? 0 : y0, x0 = x0 < 0 ? 0 : x0, y1 = y1 > g.h ? g.h : y1, x1 = x1 > g.w ? g.w : x1;
        }
        const T count = adaptive ? static_cast<T>((y1 - y0) * (x1 - x0)) : static_cast<T>(g.kh * g.kw);
        T acc = 0;
        for (std::int64_t iy = y0; iy < y1; ++iy)
            for (std::int64_t ix = x0; ix < x1; ++ix) acc += plane[iy * g.w + ix];
        out[o] = acc / count;
    }
}

template <class T>
__global__ void avg_pool_backward_kernel(const T* grad_out, T* grad_x, PoolGeometry g, bool adaptive,
                                         std::int64_t total) {
    NEURA_GRID_LOOP(i, total) {
        const std::int64_t ix = i % g.w, iy = (i / g.w) % g.h, p = i / (g.w * g.h);
        const T* go = grad_out + p * g.oh * g.ow;
        T acc = 0;
        if (adaptive) {
            // The windows holding iy form one run of outputs; find it, then add each window's share.
            for (std::int64_t oy = 0; oy < g.oh; ++oy) {
                const std::int64_t ys = adaptive_start(oy, g.h, g.oh), ye = adaptive_end(oy, g.h, g.oh);
                if (iy < ys || iy >= ye) continue;
                for (std::int64_t ox = 0; ox < g.ow; ++ox) {
                    const std::int64_t xs = adaptive_start(ox, g.w, g.ow), xe = adaptive_end(ox, g.w, g.ow);
                    if (ix < xs || ix >= xe) continue;
                    acc += go[oy * g.ow + ox] / static_cast<T>((ye - ys) * (xe - xs));
                }
            }
        } else {
            std::int64_t y0, y1, x0, x1;
            window_range(iy, g.kh, g.sh, g.ph, g.oh, y0, y1);
            window_range(ix, g.kw, g.sw, g.pw, g.ow, x0, x1);
            const T scale = T(1) / static_cast<T>(g.kh * g.kw);
            for (std::int64_t oy = y0; oy <= y1; ++oy)
                for (std::int64_t ox = x0; ox <= x1; ++ox) acc += go[oy * g.ow + ox] * scale;
        }
        grad_x[i] = acc;
    }
}

// ------------------------------------------------------------------ batch norm: one block per channel
template <class T>
__global__ void batch_norm_forward_kernel(const T* x, const T* w, const T* b, T* mean, T* var, T* out, std::int64_t n,
                                          std::int64_t c, std::int64_t sp, bool training, double eps) {
    const std::int64_t ch = blockIdx.x, m = n * sp;
    auto at = [&](std::int64_t i) { return ((i / sp) * c + ch) * sp + i % sp; };
    if (training) {
        double sum = 0;
        for (std::int64_t i = threadIdx.x; i < m; i += blockDim.x) sum += static_cast<double>(x[at(i)]);
        const double mu = block_sum(sum) / static_cast<double>(m);
        double sq = 0;
        for (std::int64_t i = threadIdx.x; i < m; i += blockDim.x) {
            const double d = static_cast<double>(x[at(i)]) - mu;
            sq += d * d;
        }
        sq = block_sum(sq);
        if (threadIdx.x == 0) {
            mean[ch] = static_cast<T>(mu);
            var[ch] = static_cast<T>(sq / static_cast<double>(m));
        }
        __syncthreads();
    }
    const T mu = mean[ch];
    const T invstd = T(1) / sqrt(var[ch] + static_cast<T>(eps));
    const T scale = w ? w[ch] : T(1), shift = b ? b[ch] : T(0);
    for (std::int64_t i = threadIdx.x; i < m; i += blockDim.x) out[at(i)] = (x[at(i)] - mu) * invstd * scale + shift;
}

template <class T>
__global__ void batch_norm_backward_kernel(const T* go, const T* x, const T* w, const T* mean, const T* var, T* gx,
                                           T* gw, T* gb, std::int64_t n, std::int64_t c, std::int64_t sp, bool training,
                                           double eps) {
    const std::int64_t ch = blockIdx.x, m = n * sp;
    auto at = [&](std::int64_t i) { return ((i / sp) * c + ch) * sp + i % sp; };
    const T mu = mean[ch];
    const T invstd = T(1) / sqrt(var[ch] + static_cast<T>(eps));
    const T scale = w ? w[ch] : T(1);
    double sum_g = 0, sum_gx = 0;
    for (std::int64_t i = threadIdx.x; i < m; i += blockDim.x) {
        const double g = static_cast<double>(go[at(i)]);
        sum_g += g;
        sum_gx += g * static_cast<double>((x[at(i)] - mu) * invstd);
    }
    sum_g = block_sum(sum_g);
    sum_gx = block_sum(sum_gx);
    if (threadIdx.x == 0) {
        if (gw) gw[ch] = static_cast<T>(sum_gx);
        if (gb) gb[ch] = static_cast<T>(sum_g);
    }
    const T mg = static_cast<T>(sum_g / static_cast<double>(m)), mgx = static_cast<T>(sum_gx / static_cast<double>(m));
    for (std::int64_t i = threadIdx.x; i < m; i += blockDim.x) {
        const T g = go[at(i)];
        if (training) {
            const T xhat = (x[at(i)] - mu) * invstd;
            gx[at(i)] = scale * invstd * (g - mg - xhat * mgx);
        } else {
            gx[at(i)] = scale * invstd * g;
        }
    }
}

// ------------------------------------------------------------------ layer norm: one block per row
template <class T>
__global__ void layer_norm_forward_kernel(const T* x, const T* w, const T* b, T* mean, T* var, T* out, std::int64_t m,
                                          std::int64_t k, double eps) {
    for (std::int64_t r = blockIdx.x; r < m; r += gridDim.x) {
        const T* row = x + r * k;
        double sum = 0;
        for (std::int64_t j = threadIdx.x; j < k; j += blockDim.x) sum += static_cast<double>(row[j]);
        const double mu = block_sum(sum) / static_cast<double>(k);
        double sq = 0;
        for (std::int64_t j = threadIdx.x; j < k; j += blockDim.x) {
            const double d = static_cast<double>(row[j]) - mu;
            sq += d * d;
        }
        const double v = block_sum(sq) / static_cast<double>(k);
        if (threadIdx.x == 0) {
            mean[r] = static_cast<T>(mu);
            var[r] = static_cast<T>(v);
        }
        const T mut = static_cast<T>(mu);
        const T invstd = T(1) / sqrt(static_cast<T>(v) + static_cast<T>(eps));
        for (std::int64_t j = threadIdx.x; j < k; j += blockDim.x)
            out[r * k + j] = (row[j] - mut) * invstd * (w ? w[j] : T(1)) + (b ? b[j] : T(0));
    }
}

template <class T>
__global__ void layer_norm_backward_rows_kernel(const T* go, const T* x, const T* w, const T* mean, const T* var, T* gx,
                                                std::int64_t m, std::int64_t k, double eps) {
    for (std::int64_t r = blockIdx.x; r < m; r += gridDim.x) {
        const T mu = mean[r];
        const T invstd = T(1) / sqrt(var[r] + static_cast<T>(eps));
        double sum_wg = 0, sum_wgx = 0;
        for (std::int64_t j = threadIdx.x; j < k; j += blockDim.x) {
            const T xhat = (x[r * k + j] - mu) * invstd;
            const T wg = go[r * k + j] * (w ? w[j] : T(1));
            sum_wg += static_cast<double>(wg);
            sum_wgx += static_cast<double>(wg * xhat);
        }
        sum_wg = block_sum(sum_wg);
        sum_wgx = block_sum(sum_wgx);
        const T a = static_cast<T>(sum_wg / static_cast<double>(k)), bx = static_cast<T>(sum_wgx / static_cast<double>(k));
        for (std::int64_t j = threadIdx.x; j < k; j += blockDim.x) {
            const T xhat = (x[r * k + j] - mu) * invstd;
            const T wg = go[r * k + j] * (w ? w[j] : T(1));
            gx[r * k + j] = invstd * (wg - a - xhat * bx);
        }
    }
}

// grad_weight[j] = sum_r g * xhat, grad_bias[j] = sum_r g: one thread per column, rows in order.
template <class T>
__global__ void layer_norm_backward_columns_kernel(const T* go, const T* x, const T* mean, const T* var, T* gw, T* gb,
                                                   std::int64_t m, std::int64_t k, double eps) {
    NEURA_GRID_LOOP(j, k) {
        double sw = 0, sb = 0;
        for (std::int64_t r = 0; r < m; ++r) {
            const T invstd = T(1) / sqrt(var[r] + static_cast<T>(eps));
            const T g = go[r * k + j];
            sw += static_cast<double>(g * ((x[r * k + j] - mean[r]) * invstd));
            sb += static_cast<double>(g);
        }
        if (gw) gw[j] = static_cast<T>(sw);
        if (gb) gb[j] = static_cast<T>(sb);
    }
}

// ------------------------------------------------------------------ integer matmul
__global__ void matmul_int64_kernel(const std::int64_t* a, const std::int64_t* b, std::int64_t* c, MatmulShape sh,
                                    std::int64_t total) {
    NEURA_GRID_LOOP(i, total) {
        const std::int64_t col = i % sh.n, row = (i / sh.n) % sh.m, bi = i / (sh.n * sh.m);
        const std::int64_t* pa = a + bi * sh.a_batch + row * sh.a_row;
        const std::int64_t* pb = b + bi * sh.b_batch + col * sh.b_col;
        std::int64_t acc = 0;
        for (std::int64_t p = 0; p < sh.k; ++p) acc += pa[p * sh.a_col] * pb[p * sh.b_row];
        c[i] = acc;
    }
}

// ------------------------------------------------------------------ fused cross-entropy (the training plan)
// One thread per row: its log-sum-exp (max-shifted, summed in double as the CPU's loop) and its loss.
template <class T>
__global__ void ce_rows_kernel(const T* x, const std::int64_t* t, T* lse, T* row_loss, T* kept, std::int64_t* flag,
                               std::int64_t n, std::int64_t c, std::int64_t ignore) {
    NEURA_GRID_LOOP(r, n) {
        const T* xr = x + r * c;
        const std::int64_t tr = t[r];
        lse[r] = T(0);
        row_loss[r] = T(0);
        kept[r] = T(0);
        if (tr == ignore) continue;
        if (tr < 0 || tr >= c) {
            atomicExch(reinterpret_cast<unsigned long long*>(flag), 1ull);
            continue;
        }
        T m = xr[0];
        for (std::int64_t i = 1; i < c; ++i) m = xr[i] > m ? xr[i] : m;
        if (!isfinite(static_cast<double>(m))) m = T(0);
        double total = 0;
        for (std::int64_t i = 0; i < c; ++i) total += exp(static_cast<double>(xr[i] - m));
        const T l = static_cast<T>(log(total)) + m;
        lse[r] = l;
        row_loss[r] = l - xr[tr];
        kept[r] = T(1);
    }
}

// One block: the mean over kept rows, and 1 / kept for the gradient.
template <class T>
__global__ void ce_total_kernel(const T* row_loss, const T* kept, T* loss, T* scale, std::int64_t n) {
    double acc = 0, k = 0;
    for (std::int64_t i = threadIdx.x; i < n; i += blockDim.x) {
        acc += static_cast<double>(row_loss[i]);
        k += static_cast<double>(kept[i]);
    }
    acc = block_sum(acc);
    k = block_sum(k);
    if (threadIdx.x == 0) {
        *loss = static_cast<T>(k > 0 ? acc / k : nan(""));
        *scale = static_cast<T>(k > 0 ? 1.0 / k : 0.0);
    }
}

template <class T>
__global__ void ce_grad_kernel(const T* x, const std::int64_t* t, const T* lse, const T* kept, const T* scale, T* g,
                               std::int64_t n, std::int64_t c) {
    NEURA_GRID_LOOP(i, n * c) {
        const std::int64_t r = i / c, j = i % c;
        if (kept[r] == T(0)) {
            g[i] = T(0);
            continue;
        }
        const double s = static_cast<double>(*scale);
        double v = exp(static_cast<double>(x[i] - lse[r])) * s;
        if (j == t[r]) v -= s;
        g[i] = static_cast<T>(v);
    }
}
}  // namespace

#define NEURA_LAUNCH_FLOATING(type, total, kernel, ...)                                        \
    visit_floating(type, [&](auto tag) {                                                       \
        using T = decltype(tag);                                                               \
        kernel<T><<<blocks_for(total), kThreads, 0, s>>>(__VA_ARGS__);                         \
        return launched();                                                                     \
    })

cudaError_t im2col(DType type, const void* x, void* col, const ConvGeometry& g, cudaStream_t s) {
    const std::int64_t total = g.c * g.kh * g.kw * g.n * g.oh * g.ow;
    if (total == 0) return cudaSuccess;
    return NEURA_LAUNCH_FLOATING(type, total, im2col_kernel, static_cast<const T*>(x), static_cast<T*>(col), g, total);
}

cudaError_t col2im(DType type, const void* col, void* x, const ConvGeometry& g, cudaStream_t s) {
    const std::int64_t total = g.n * g.c * g.h * g.w;
    if (total == 0) return cudaSuccess;
    return NEURA_LAUNCH_FLOATING(type, total, col2im_kernel, static_cast<const T*>(col), static_cast<T*>(x), g, total);
}

cudaError_t conv_output(DType type, const void* cols, const void* bias, void* out, std::int64_t n, std::int64_t oc,
                        std::int64_t plane, cudaStream_t s) {
    const std::int64_t total = n * oc * plane;
    if (total == 0) return cudaSuccess;
    return NEURA_LAUNCH_FLOATING(type, total, conv_output_kernel, static_cast<const T*>(cols),
                                 static_cast<const T*>(bias), static_cast<T*>(out), n, oc, plane, total);
}

cudaError_t conv_bias_grad(DType type, const void* grad_out, void* grad_bias, std::int64_t n, std::int64_t oc,
                           std::int64_t plane, cudaStream_t s) {
    if (oc == 0) return cudaSuccess;
    return visit_floating(type, [&](auto tag) {
        using T = decltype(tag);
        conv_bias_grad_kernel<T><<<static_cast<unsigned>(oc), reduce_threads(n * plane), 0, s>>>(
            static_cast<const T*>(grad_out), static_cast<T*>(grad_bias), n, oc, plane);
        return launched();
    });
}

cudaError_t max_pool_forward(DType type, const void* x, void* out, std::int64_t* argmax, const PoolGeometry& g,
                             cudaStream_t s) {
    const std::int64_t total = g.n * g.c * g.oh * g.ow;
    if (total == 0) return cudaSuccess;
    return NEURA_LAUNCH_FLOATING(type, total, max_pool_forward_kernel, static_cast<const T*>(x), static_cast<T*>(out),
                                 argmax, g, total);
}

cudaError_t max_pool_backward(DType type, const void* grad_out, const std::int64_t* argmax, void* grad_x,
                              const PoolGeometry& g, cudaStream_t s) {
    const std::int64_t total = g.n * g.c * g.h * g.w;
    if (total == 0) return cudaSuccess;
    return NEURA_LAUNCH_FLOATING(type, total, max_pool_backward_kernel, static_cast<const T*>(grad_out), argmax,
                                 static_cast<T*>(grad_x), g, total);
}

cudaError_t avg_pool_forward(DType type, const void* x, void* out, const PoolGeometry& g, bool adaptive,
                             cudaStream_t s) {
    const std::int64_t total = g.n * g.c * g.oh * g.ow;
    if (total == 0) return cudaSuccess;
    return NEURA_LAUNCH_FLOATING(type, total, avg_pool_forward_kernel, static_cast<const T*>(x), static_cast<T*>(out),
                                 g, adaptive, total);
}

cudaError_t avg_pool_backward(DType type, const void* grad_out, void* grad_x, const PoolGeometry& g, bool adaptive,
                              cudaStream_t s) {
    const std::int64_t total = g.n * g.c * g.h * g.w;
    if (total == 0) return cudaSuccess;
    return NEURA_LAUNCH_FLOATING(type, total, avg_pool_backward_kernel, static_cast<const T*>(grad_out),
                                 static_cast<T*>(grad_x), g, adaptive, total);
}

cudaError_t batch_norm_forward(DType type, const void* x, const void* weight, const void* bias, void* mean, void* var,
                               void* out, std::int64_t n, std::int64_t c, std::int64_t sp, bool training, double eps,
                               cudaStream_t s) {
    if (c == 0 || n * sp == 0) return cudaSuccess;
    return visit_floating(type, [&](auto tag) {
        using T = decltype(tag);
        batch_norm_forward_kernel<T><<<static_cast<unsigned>(c), reduce_threads(n * sp), 0, s>>>(
            static_cast<const T*>(x), static_cast<const T*>(weight), static_cast<const T*>(bias), static_cast<T*>(mean),
            static_cast<T*>(var), static_cast<T*>(out), n, c, sp, training, eps);
        return launched();
    });
}

cudaError_t batch_norm_backward(DType type, const void* grad_out, const void* x, const void* weight, const void* mean,
                                const void* var, void* grad_x, void* grad_weight, void* grad_bias, std::int64_t n,
                                std::int64_t c, std::int64_t sp, bool training, double eps, cudaStream_t s) {
    if (c == 0 || n * sp == 0) return cudaSuccess;
    return visit_floating(type, [&](auto tag) {
        using T = decltype(tag);
        batch_norm_backward_kernel<T><<<static_cast<unsigned>(c), reduce_threads(n * sp), 0, s>>>(
            static_cast<const T*>(grad_out), static_cast<const T*>(x), static_cast<const T*>(weight),
            static_cast<const T*>(mean), static_cast<const T*>(var), static_cast<T*>(grad_x),
            static_cast<T*>(grad_weight), static_cast<T*>(grad_bias), n, c, sp, training, eps);
        return launched();
    });
}

cudaError_t layer_norm_forward(DType type, const void* x, const void* weight, const void* bias, void* mean, void* var,
                               void* out, std::int64_t m, std::int64_t k, double eps, cudaStream_t s) {
    if (m == 0 || k == 0) return cudaSuccess;
    return visit_floating(type, [&](auto tag) {
        using T = decltype(tag);
        layer_norm_forward_kernel<T><<<blocks_for(m, 1), reduce_threads(k), 0, s>>>(
            static_cast<const T*>(x), static_cast<const T*>(weight), static_cast<const T*>(bias), static_cast<T*>(mean),
            static_cast<T*>(var), static_cast<T*>(out), m, k, eps);
        return launched();
    });
}

cudaError_t layer_norm_backward(DType type, const void* grad_out, const void* x, const void* weight, const void* mean,
                                const void* var, void* grad_x, void* grad_weight, void* grad_bias, std::int64_t m,
                                std::int64_t k, double eps, cudaStream_t s) {
    if (m == 0 || k == 0) return cudaSuccess;
    return visit_floating(type, [&](auto tag) {
        using T = decltype(tag);
        layer_norm_backward_rows_kernel<T><<<blocks_for(m, 1), reduce_threads(k), 0, s>>>(
            static_cast<const T*>(grad_out), static_cast<const T*>(x), static_cast<const T*>(weight),
            static_cast<const T*>(mean), static_cast<const T*>(var), static_cast<T*>(grad_x), m, k, eps);
        if (cudaError_t e = launched(); e != cudaSuccess) return e;
        if (grad_weight || grad_bias)
            layer_norm_backward_columns_kernel<T><<<blocks_for(k), kThreads, 0, s>>>(
                static_cast<const T*>(grad_out), static_cast<const T*>(x), static_cast<const T*>(mean),
                static_cast<const T*>(var), static_cast<T*>(grad_weight), static_cast<T*>(grad_bias), m, k, eps);
        return launched();
    });
}

cudaError_t matmul_int64(const std::int64_t* a, const std::int64_t* b, std::int64_t* c, const MatmulShape& sh,
                         cudaStream_t s) {
    const std::int64_t total = sh.batch * sh.m * sh.n;
    if (total == 0) return cudaSuccess;
    matmul_int64_kernel<<<blocks_for(total), kThreads, 0, s>>>(a, b, c, sh, total);
    return launched();
}

cudaError_t cross_entropy(DType type, const void* logits, const std::int64_t* target, void* loss, void* grad,
                          void* rows, std::int64_t* flag, std::int64_t n, std::int64_t c, std::int64_t ignore_index,
                          cudaStream_t s) {
    return visit_floating(type, [&](auto tag) {
        using T = decltype(tag);
        const T* x = static_cast<const T*>(logits);
        T* scratch = static_cast<T*>(rows);
        T *lse = scratch, *row_loss = scratch + n, *kept = scratch + 2 * n, *scale = scratch + 3 * n;
        ce_rows_kernel<<<blocks_for(n), kThreads, 0, s>>>(x, target, lse, row_loss, kept, flag, n, c, ignore_index);
        ce_total_kernel<<<1, kThreads, 0, s>>>(row_loss, kept, static_cast<T*>(loss), scale, n);
        ce_grad_kernel<<<blocks_for(n * c), kThreads, 0, s>>>(x, target, lse, kept, scale, static_cast<T*>(grad), n, c);
        return launched();
    });
}

}  // namespace neura::cuda::launch
