// The CUDA column of the op table: one host function per kernel slot, with the slot's signature
// (ops/KernelSignatures.h). Each reads the tensors' geometry, launches the device code of the .cu files
// (through Launch.h) or cuBLAS on this thread's current stream, and checks the result naming the op.
// register_kernels() puts them into the table by op name.
#include <algorithm>
#include <climits>

#include "backend/cpu/Loops.h"  // coalesce(): host-side geometry, shared with the CPU loops
#include "backend/cuda/Launch.h"
#include "backend/cuda/Runtime.h"
#include "ops/Internal.h"

namespace neura::cuda {
namespace {

using launch::BinaryOp;
using launch::ReduceOp;
using launch::Strided;
using launch::UnaryOp;

// The device, its current stream and the op's name for one kernel call.
class Call {
public:
    Call(const char* op, const Tensor& on) : op_(op), device_(on.device().index), guard_(device_) {}
    const char* op() const { return op_; }
    int device() const { return device_; }
    cudaStream_t stream() const { return current_stream(device_); }
    void check(cudaError_t e) const { check_launch(e, op_, device_); }
    void check_cublas(cublasStatus_t s) const { cuda::check_cublas(s, op_, device_); }
    // Operands of an op must all be on this device (the ops check it; this guards direct kernel calls).
    void require(const Tensor& t) const {
        if (t.defined())
            NEURA_CHECK(t.device().type == DeviceType::CUDA && t.device().index == device_, op_,
                        ": an operand is on ", t.device().str(), ", expected cuda:", device_);
    }

private:
    const char* op_;
    int device_;
    DeviceGuard guard_;
};

void* ptr(const Tensor& t) { return t.defined() ? t.raw_data() : nullptr; }

// The iteration space of N operands of one shape, coalesced; at most launch::kMaxDims dims remain.
template <std::size_t N>
Strided<static_cast<int>(N)> strided(const Call& c, const Shape& shape, const std::array<const Shape*, N>& strides) {
    constexpr int n = static_cast<int>(N);
    Strided<n> s;
    s.numel = shape_numel(shape);
    const cpu::Geometry<N> g = cpu::coalesce<N>(shape, strides);
    NEURA_CHECK(static_cast<int>(g.sizes.size()) <= launch::kMaxDims, c.op(), " on cuda: the operands have ",
                g.sizes.size(), " dimensions that cannot be merged (shape ", shape_str(shape), "); at most ",
                launch::kMaxDims, " are supported");
    s.ndim = static_cast<int>(g.sizes.size());
    bool dense = s.ndim == 1;
    for (int d = 0; d < s.ndim; ++d) {
        s.sizes[d] = g.sizes[d];
        for (int k = 0; k < n; ++k) s.strides[k][d] = g.strides[k][d];
    }
    for (int k = 0; k < n && dense; ++k) dense = s.strides[k][0] == 1 || s.numel <= 1;
    s.contiguous = dense;
    return s;
}

void require_floating(const Call& c, DType t) {
    NEURA_CHECK(is_floating(t), c.op(), " on cuda: ", dtype_name(t), " is not supported (float32 and float64 are)");
}

// ================================================================= copies
void copy_cuda(const Tensor& dst, const Tensor& src) {
    Call c("copy", dst);
    c.require(src);
    if (dst.numel() == 0) return;
    if (dst.dtype() == src.dtype() && dst.is_contiguous() && src.is_contiguous()) {
        c.check(cudaMemcpyAsync(dst.raw_data(), src.raw_data(), static_cast<std::size_t>(dst.numel()) *
                                element_size(dst.dtype()), cudaMemcpyDeviceToDevice, c.stream()));
        return;
    }
    c.check(launch::copy(dst.dtype(), dst.raw_data(), src.dtype(), src.raw_data(),
                         strided<2>(c, dst.shape(), {&dst.strides(), &src.strides()}), c.stream()));
}

void fill_cuda(const Tensor& dst, double value) {
    Call c("fill_", dst);
    c.check(launch::fill(dst.dtype(), dst.raw_data(), value, strided<1>(c, dst.shape(), {&dst.strides()}), c.stream()));
}

// Between the CPU and a device, or two devices: same shape and dtype, both contiguous.
void device_copy_cuda(const DeviceCopyArgs& a) {
    const Tensor &dst = a.dst, &src = a.src;
    const std::size_t bytes = static_cast<std::size_t>(dst.numel()) * element_size(dst.dtype());
    NEURA_CHECK(src.dtype() == dst.dtype() && src.numel() == dst.numel() && src.is_contiguous() &&
                    dst.is_contiguous(),
                "to(device): internal error, copies between devices take contiguous tensors of one dtype");
    const bool to_cuda = dst.device().type == DeviceType::CUDA, from_cuda = src.device().type == DeviceType::CUDA;
    const char* op = to_cuda && from_cuda ? "to(cuda) from another GPU" : to_cuda ? "to(cuda)" : "to(cpu)";
    Call c(op, to_cuda ? dst : src);
    if (bytes == 0) return;
    if (to_cuda && from_cuda && dst.device() != src.device()) {
        check(cudaStreamSynchronize(current_stream(src.device().index)), op, src.device().index);
        c.check(cudaMemcpyPeerAsync(dst.raw_data(), dst.device().index, src.raw_data(), src.device().index, bytes,
                                    c.stream()));
        return;
    }
    c.check(cudaMemcpyAsync(dst.raw_data(), src.raw_data(), bytes, cudaMemcpyDefault, c.stream()));
    // The host may read or free its side as soon as to() returns.
    if (!to_cuda) check(cudaStreamSynchronize(c.stream()), op, c.device());
}

// ================================================================= pointwise
// The slot name of each listed op, for errors.
constexpr const char* unary_name(UnaryOp op) {
    switch (op) {
#define NEURA_CASE(name, Formula) \
    case UnaryOp::Formula: return #name;
        NEURA_UNARY_OPS(NEURA_CASE)
#undef NEURA_CASE
    }
    return "a unary op";
}
constexpr const char* binary_name(BinaryOp op) {
    switch (op) {
#define NEURA_CASE(name, Formula) \
    case BinaryOp::Formula: return #name;
        NEURA_BINARY_OPS(NEURA_CASE)
        NEURA_COMPARISON_OPS(NEURA_CASE)
#undef NEURA_CASE
    }
    return "a binary op";
}

template <UnaryOp Op>
void unary_cuda(const Tensor& in, const Tensor& out, double p0, double p1) {
    Call c(unary_name(Op), out);
    c.require(in);
    c.check(launch::unary(Op, in.dtype(), in.raw_data(), out.raw_data(), p0, p1,
                          strided<2>(c, out.shape(), {&out.strides(), &in.strides()}), c.stream()));
}

template <BinaryOp Op>
void binary_cuda(const Tensor& a, const Tensor& b, const Tensor& out, double p0) {
    Call c(binary_name(Op), out);
    c.require(a);
    c.require(b);
    c.check(launch::binary(Op, a.dtype(), a.raw_data(), b.raw_data(), out.raw_data(), p0,
                           strided<3>(c, out.shape(), {&out.strides(), &a.strides(), &b.strides()}), c.stream()));
}

void where_cuda(const Tensor& cond, const Tensor& a, const Tensor& b, const Tensor& out) {
    Call c("where", out);
    c.require(cond);
    c.require(a);
    c.require(b);
    c.check(launch::where(a.dtype(), static_cast<const std::int64_t*>(cond.raw_data()), a.raw_data(), b.raw_data(),
                          out.raw_data(),
                          strided<4>(c, out.shape(), {&out.strides(), &cond.strides(), &a.strides(), &b.strides()}),
                          c.stream()));
}

void dropout_mask_cuda(const Tensor& mask, double p, Generator& gen) {
    Call c("dropout", mask);
    require_floating(c, mask.dtype());
    // One draw of the generator seeds a counter-based stream: a seeded run repeats its masks.
    const std::uint64_t seed = gen.engine()();
    c.check(launch::dropout_mask(mask.dtype(), mask.raw_data(), mask.numel(), p, seed, c.stream()));
}

// ================================================================= reductions
template <ReduceOp Op, class Slot>
void reduce_cuda(const ReduceArgs<Slot>& a) {
    const Tensor &in = a.in, &out = a.out;
    const int nred = a.nred;
    constexpr const char* names[] = {"sum", "max", "min", "argmax", "argmin"};
    Call c(names[static_cast<int>(Op)], in);
    c.require(out);
    const int nkeep = static_cast<int>(in.dim()) - nred;
    const Shape kept_sizes(in.shape().begin(), in.shape().begin() + nkeep);
    const Shape kept_strides(in.strides().begin(), in.strides().begin() + nkeep);
    const Shape red_sizes(in.shape().begin() + nkeep, in.shape().end());
    const Shape red_strides(in.strides().begin() + nkeep, in.strides().end());
    if constexpr (Op != ReduceOp::Sum)
        NEURA_CHECK(shape_numel(red_sizes) > 0, "max/min/argmax: cannot reduce over an empty dimension (input shape ",
                    shape_str(in.shape()), ")");
    c.check(launch::reduce(Op, in.dtype(), in.raw_data(), out.raw_data(), strided<1>(c, kept_sizes, {&kept_strides}),
                           strided<1>(c, red_sizes, {&red_strides}), c.stream()));
}

template <bool Log, class Slot>
void softmax_cuda(const SoftmaxArgs<Slot>& a) {
    const Tensor &in = a.in, &out = a.out;
    Call c(Log ? "log_softmax" : "softmax", in);
    c.require(out);
    require_floating(c, in.dtype());
    const Shape outer(in.shape().begin(), in.shape().end() - 1);
    const Shape out_st(out.strides().begin(), out.strides().end() - 1);
    const Shape in_st(in.strides().begin(), in.strides().end() - 1);
    c.check(launch::softmax(Log, in.dtype(), in.raw_data(), out.raw_data(), strided<2>(c, outer, {&out_st, &in_st}),
                            in.shape().back(), in.strides().back(), out.strides().back(), c.stream()));
}

// ================================================================= matmul (cuBLAS)
// How a strided matrix can be handed to a row-major BLAS: transposed or not, and its leading dim.
struct BlasLayout {
    bool ok = false;
    bool trans = false;
    std::int64_t ld = 0;
};

BlasLayout blas_layout(std::int64_t rows, std::int64_t cols, std::int64_t rs, std::int64_t cs) {
    if ((cs == 1 || cols == 1) && (rs >= std::max<std::int64_t>(cols, 1) || rows == 1))
        return {true, false, std::max<std::int64_t>(rows == 1 ? cols : rs, 1)};
    if ((rs == 1 || rows == 1) && (cs >= std::max<std::int64_t>(rows, 1) || cols == 1))
        return {true, true, std::max<std::int64_t>(cols == 1 ? rows : cs, 1)};
    return {};
}

int as_int(const Call& c, std::int64_t v, const char* what) {
    NEURA_CHECK(v >= 0 && v <= INT_MAX, c.op(), " on cuda: ", what, " ", v, " exceeds cuBLAS's 32-bit limit");
    return static_cast<int>(v);
}

// Row-major C[m, n] = op(A)[m, k] . op(B)[k, n] for `batch` matrix triples at fixed element strides,
// as cuBLAS's column-major C^T = op(B)^T . op(A)^T.
void gemm(const Call& c, DType t, bool ta, bool tb, std::int64_t m, std::int64_t n, std::int64_t k, const void* a,
          std::int64_t lda, std::int64_t stride_a, const void* b, std::int64_t ldb, std::int64_t stride_b, void* out,
          std::int64_t ldc, std::int64_t stride_c, std::int64_t batch) {
    if (batch == 0 || m == 0 || n == 0) return;
    cublasHandle_t h = cublas_handle(c.device());
    const cublasOperation_t op_b = tb ? CUBLAS_OP_T : CUBLAS_OP_N, op_a = ta ? CUBLAS_OP_T : CUBLAS_OP_N;
    const int im = as_int(c, m, "m"), in = as_int(c, n, "n"), ik = as_int(c, k, "k");
    const int ilda = as_int(c, lda, "lda"), ildb = as_int(c, ldb, "ldb"), ildc = as_int(c, ldc, "ldc");
    const int ibatch = as_int(c, batch, "batch");
    if (t == DType::F32) {
        const float alpha = 1.0f, beta = 0.0f;
        if (batch == 1)
            c.check_cublas(cublasSgemm(h, op_b, op_a, in, im, ik, &alpha, static_cast<const float*>(b), ildb,
                                       static_cast<const float*>(a), ilda, &beta, static_cast<float*>(out), ildc));
        else
            c.check_cublas(cublasSgemmStridedBatched(h, op_b, op_a, in, im, ik, &alpha, static_cast<const float*>(b),
                                                     ildb, stride_b, static_cast<const float*>(a), ilda, stride_a,
                                                     &beta, static_cast<float*>(out), ildc, stride_c, ibatch));
    } else if (t == DType::F64) {
        const double alpha = 1.0, beta = 0.0;
        if (batch == 1)
            c.check_cublas(cublasDgemm(h, op_b, op_a, in, im, ik, &alpha, static_cast<const double*>(b), ildb,
                                       static_cast<const double*>(a), ilda, &beta, static_cast<double*>(out), ildc));
        else
            c.check_cublas(cublasDgemmStridedBatched(h, op_b, op_a, in, im, ik, &alpha, static_cast<const double*>(b),
                                                     ildb, stride_b, static_cast<const double*>(a), ilda, stride_a,
                                                     &beta, static_cast<double*>(out), ildc, stride_c, ibatch));
    } else {
        NEURA_CHECK(false, c.op(), " on cuda: cuBLAS has no ", dtype_name(t), " matrix product");
    }
    c.check(cudaGetLastError());
}

void matmul_cuda(const Tensor& a_in, const Tensor& b_in, const Tensor& out) {
    Call c("matmul", out);
    c.require(a_in);
    c.require(b_in);
    const std::int64_t m = a_in.size(-2), k = a_in.size(-1), n = b_in.size(-1);
    if (out.numel() == 0) return;
    if (k == 0) {
        fill_cuda(out, 0.0);
        return;
    }
    Tensor a = a_in, b = b_in;
    BlasLayout la = blas_layout(m, k, a.stride(-2), a.stride(-1)), lb = blas_layout(k, n, b.stride(-2), b.stride(-1));
    // A layout cuBLAS cannot read directly is copied into a dense one first.
    if (!la.ok) {
        a = a.contiguous();
        la = blas_layout(m, k, a.stride(-2), a.stride(-1));
    }
    if (!lb.ok) {
        b = b.contiguous();
        lb = blas_layout(k, n, b.stride(-2), b.stride(-1));
    }
    // Batch dims of (out, a, b), coalesced: the innermost runs as one strided-batched call.
    const Shape batch(out.shape().begin(), out.shape().end() - 2);
    const Shape ob(out.strides().begin(), out.strides().end() - 2), ab(a.strides().begin(), a.strides().end() - 2),
        bb(b.strides().begin(), b.strides().end() - 2);
    const cpu::Geometry<3> g = cpu::coalesce<3>(batch, {&ob, &ab, &bb});
    const std::size_t nd = g.sizes.size();
    const std::int64_t inner = g.sizes.back();
    std::int64_t outer = 1;
    for (std::size_t d = 0; d + 1 < nd; ++d) outer *= g.sizes[d];
    const std::size_t es = element_size(out.dtype());
    for (std::int64_t o = 0; o < outer; ++o) {
        std::int64_t off[3] = {0, 0, 0}, rem = o;
        for (std::size_t d = nd - 1; d-- > 0;) {
            const std::int64_t i = rem % g.sizes[d];
            rem /= g.sizes[d];
            for (int q = 0; q < 3; ++q) off[q] += i * g.strides[q][d];
        }
        char* pc = static_cast<char*>(out.raw_data()) + off[0] * static_cast<std::int64_t>(es);
        const char* pa = static_cast<const char*>(a.raw_data()) + off[1] * static_cast<std::int64_t>(es);
        const char* pb = static_cast<const char*>(b.raw_data()) + off[2] * static_cast<std::int64_t>(es);
        if (out.dtype() == DType::I64) {
            launch::MatmulShape sh{inner, m, n, k, g.strides[1].back(), a.stride(-2), a.stride(-1), g.strides[2].back(),
                                   b.stride(-2), b.stride(-1)};
            c.check(launch::matmul_int64(reinterpret_cast<const std::int64_t*>(pa),
                                         reinterpret_cast<const std::int64_t*>(pb), reinterpret_cast<std::int64_t*>(pc),
                                         sh, c.stream()));
            continue;
        }
        gemm(c, out.dtype(), la.trans, lb.trans, m, n, k, pa, la.ld, g.strides[1].back(), pb, lb.ld,
             g.strides[2].back(), pc, std::max<std::int64_t>(n, 1), g.strides[0].back(), inner);
    }
}

// ================================================================= indexing

void index_select_cuda(const IndexSelectArgs& args) {
    const Tensor &x = args.x, &index = args.index, &out = args.out;
    const int dim = args.dim;
    Call c("index_select", out);
    c.require(x);
    c.require(index);
    const DimSplit a = split_at_dim(x.shape(), dim);
    c.check(launch::index_select(x.dtype(), x.raw_data(), static_cast<const std::int64_t*>(index.raw_data()),
                                 out.raw_data(), a.outer, a.size, index.numel(), a.inner, c.stream()));
}

void index_add_cuda(const IndexAddArgs& args) {
    const Tensor &out = args.out, &index = args.index, &src = args.src;
    const int dim = args.dim;
    Call c("index_add", out);
    c.require(src);
    c.require(index);
    const DimSplit a = split_at_dim(out.shape(), dim);
    c.check(launch::index_add(out.dtype(), out.raw_data(), static_cast<const std::int64_t*>(index.raw_data()),
                              src.raw_data(), a.outer, a.size, index.numel(), a.inner, c.stream()));
}

launch::GatherShape gather_shape(const Call& c, const Tensor& index, const Shape& target, int dim) {
    NEURA_CHECK(index.dim() <= launch::kMaxDims, c.op(), " on cuda: at most ", launch::kMaxDims,
                " dimensions are supported, the index has ", index.dim());
    launch::GatherShape sh{};
    sh.ndim = static_cast<int>(index.dim());
    sh.dim = dim;
    sh.numel = index.numel();
    const Shape ts = contiguous_strides(target);
    for (int d = 0; d < sh.ndim; ++d) {
        sh.index_sizes[d] = index.shape()[d];
        sh.target_strides[d] = ts[d];
    }
    return sh;
}

void gather_cuda(const GatherArgs& args) {
    const Tensor &x = args.x, &index = args.index, &out = args.out;
    const int dim = args.dim;
    Call c("gather", out);
    c.require(x);
    c.require(index);
    c.check(launch::gather(x.dtype(), x.raw_data(), static_cast<const std::int64_t*>(index.raw_data()), out.raw_data(),
                           gather_shape(c, index, x.shape(), dim), c.stream()));
}

void scatter_add_cuda(const ScatterAddArgs& args) {
    const Tensor &out = args.out, &index = args.index, &src = args.src;
    const int dim = args.dim;
    Call c("scatter_add", out);
    c.require(src);
    c.require(index);
    c.check(launch::scatter_add(out.dtype(), out.raw_data(), static_cast<const std::int64_t*>(index.raw_data()),
                                src.raw_data(), gather_shape(c, index, out.shape(), dim), c.stream()));
}

// ================================================================= convolution: im2col + cuBLAS
// Columns [C * KH * KW, N * OH * OW]; per group g, rows g * K .. (g + 1) * K with K = C / G * KH * KW.
Tensor im2col(const Call& c, const Tensor& x, const ConvGeometry& g) {
    Tensor col = Tensor::empty({g.c * g.kh * g.kw, g.n * g.oh * g.ow}, x.dtype(), x.device());
    c.check(launch::im2col(x.dtype(), x.raw_data(), col.raw_data(), g, c.stream()));
    return col;
}

// grad_out [N, OC, P] as [OC, N * P] (contiguous), the layout the column gemms produce and take.
Tensor channels_first(const Tensor& grad_out, const ConvGeometry& g) {
    const std::int64_t p = g.oh * g.ow;
    Tensor t = Tensor::empty({g.oc, g.n, p}, grad_out.dtype(), grad_out.device());
    copy_cuda(t, detail::make_view(grad_out, {g.oc, g.n, p}, {p, g.oc * p, 1}, grad_out.offset()));
    return t;
}

void conv_forward_cuda(const Tensor& x, const Tensor& weight, const Tensor& bias, const Tensor& out,
                       const ConvGeometry& g) {
    Call c("conv2d", out);
    c.require(x);
    c.require(weight);
    c.require(bias);
    require_floating(c, x.dtype());
    const std::int64_t ocg = g.oc / g.groups, kdim = g.c / g.groups * g.kh * g.kw, np = g.n * g.oh * g.ow;
    const Tensor col = im2col(c, x, g);
    Tensor cols_out = Tensor::empty({g.oc, np}, x.dtype(), x.device());
    gemm(c, x.dtype(), false, false, ocg, np, kdim, weight.raw_data(), kdim, ocg * kdim, col.raw_data(), np, kdim * np,
         cols_out.raw_data(), np, ocg * np, g.groups);
    c.check(launch::conv_output(x.dtype(), cols_out.raw_data(), ptr(bias), out.raw_data(), g.n, g.oc, g.oh * g.ow,
                                c.stream()));
}

void conv_backward_data_cuda(const Tensor& grad_out, const Tensor& weight, const Tensor& grad_x, const ConvGeometry& g) {
    Call c("conv2d backward", grad_x);
    c.require(grad_out);
    c.require(weight);
    require_floating(c, grad_out.dtype());
    const std::int64_t ocg = g.oc / g.groups, kdim = g.c / g.groups * g.kh * g.kw, np = g.n * g.oh * g.ow;
    const Tensor go = channels_first(grad_out, g);
    Tensor gcol = Tensor::empty({g.c * g.kh * g.kw, np}, grad_out.dtype(), grad_out.device());
    // gcol_g [K, NP] = W_g^T [K, OCg] . go_g [OCg, NP]
    gemm(c, grad_out.dtype(), true, false, kdim, np, ocg, weight.raw_data(), kdim, ocg * kdim, go.raw_data(), np,
         ocg * np, gcol.raw_data(), np, kdim * np, g.groups);
    c.check(launch::col2im(grad_out.dtype(), gcol.raw_data(), grad_x.raw_data(), g, c.stream()));
}

void conv_backward_weights_cuda(const ConvBackwardWeightsArgs& a) {
    const Tensor &grad_out = a.grad_out, &x = a.x, &grad_weight = a.grad_weight, &grad_bias = a.grad_bias;
    const ConvGeometry& g = a.g;
    Call c("conv2d backward", grad_weight);
    c.require(grad_out);
    c.require(x);
    c.require(grad_bias);
    require_floating(c, grad_out.dtype());
    const std::int64_t ocg = g.oc / g.groups, kdim = g.c / g.groups * g.kh * g.kw, np = g.n * g.oh * g.ow;
    const Tensor col = im2col(c, x, g);
    const Tensor go = channels_first(grad_out, g);
    // gW_g [OCg, K] = go_g [OCg, NP] . col_g^T [NP, K]
    gemm(c, grad_out.dtype(), false, true, ocg, kdim, np, go.raw_data(), np, ocg * np, col.raw_data(), np, kdim * np,
         grad_weight.raw_data(), kdim, ocg * kdim, g.groups);
    if (grad_bias.defined())
        c.check(launch::conv_bias_grad(grad_out.dtype(), grad_out.raw_data(), grad_bias.raw_data(), g.n, g.oc,
                                       g.oh * g.ow, c.stream()));
}

// ================================================================= pooling
Tensor max_pool_forward_cuda(const Tensor& x, const Tensor& out, const PoolGeometry& g, bool for_backward) {
    Call c("max_pool2d", out);
    c.require(x);
    require_floating(c, x.dtype());
    // The workspace is the window argmax (a flat index into the input plane), as the CPU's float64 path.
    Tensor argmax = for_backward ? Tensor::empty(out.shape(), DType::I64, out.device()) : Tensor();
    c.check(launch::max_pool_forward(x.dtype(), x.raw_data(), out.raw_data(),
                                     static_cast<std::int64_t*>(ptr(argmax)), g, c.stream()));
    return argmax;
}

void max_pool_backward_cuda(const Tensor& grad_out, const Tensor& workspace, const Tensor& grad_x,
                            const PoolGeometry& g) {
    Call c("max_pool2d backward", grad_x);
    c.require(grad_out);
    NEURA_CHECK(workspace.defined() && workspace.dtype() == DType::I64 && workspace.device() == grad_x.device(),
                "max_pool2d backward on cuda: the forward pass kept no window indices (was it run on ",
                grad_x.device().str(), " with gradients enabled?)");
    c.check(launch::max_pool_backward(grad_out.dtype(), grad_out.raw_data(),
                                      static_cast<const std::int64_t*>(workspace.raw_data()), grad_x.raw_data(), g,
                                      c.stream()));
}

template <bool Adaptive, class Slot>
void avg_pool_forward_cuda(const AvgPoolArgs<Slot>& a) {
    const Tensor &x = a.x, &out = a.out;
    const PoolGeometry& g = a.g;
    Call c(Adaptive ? "adaptive_avg_pool2d" : "avg_pool2d", out);
    c.require(x);
    require_floating(c, x.dtype());
    c.check(launch::avg_pool_forward(x.dtype(), x.raw_data(), out.raw_data(), g, Adaptive, c.stream()));
}

template <bool Adaptive, class Slot>
void avg_pool_backward_cuda(const AvgPoolBackwardArgs<Slot>& a) {
    const Tensor &grad_out = a.grad_out, &grad_x = a.grad_x;
    const PoolGeometry& g = a.g;
    Call c(Adaptive ? "adaptive_avg_pool2d backward" : "avg_pool2d backward", grad_x);
    c.require(grad_out);
    require_floating(c, grad_out.dtype());
    c.check(launch::avg_pool_backward(grad_out.dtype(), grad_out.raw_data(), grad_x.raw_data(), g, Adaptive,
                                      c.stream()));
}

// ================================================================= normalization
void batch_norm_forward_cuda(const Tensor& x, const Tensor& weight, const Tensor& bias, const Tensor& mean,
                             const Tensor& var, const Tensor& out, bool training, double eps) {
    Call c("batch_norm", out);
    for (const Tensor* t : {&x, &weight, &bias, &mean, &var}) c.require(*t);
    require_floating(c, x.dtype());
    c.check(launch::batch_norm_forward(x.dtype(), x.raw_data(), ptr(weight), ptr(bias), mean.raw_data(),
                                       var.raw_data(), out.raw_data(), x.size(0), x.size(1), x.size(2), training, eps,
                                       c.stream()));
}

void batch_norm_backward_cuda(const Tensor& grad_out, const Tensor& x, const Tensor& weight, const Tensor&,
                              const Tensor& mean, const Tensor& var, const Tensor& grad_x, const Tensor& grad_weight,
                              const Tensor& grad_bias, bool training, double eps) {
    Call c("batch_norm backward", grad_x);
    for (const Tensor* t : {&grad_out, &x, &weight, &mean, &var, &grad_weight, &grad_bias}) c.require(*t);
    require_floating(c, x.dtype());
    c.check(launch::batch_norm_backward(x.dtype(), grad_out.raw_data(), x.raw_data(), ptr(weight), mean.raw_data(),
                                        var.raw_data(), grad_x.raw_data(), ptr(grad_weight), ptr(grad_bias), x.size(0),
                                        x.size(1), x.size(2), training, eps, c.stream()));
}

void layer_norm_forward_cuda(const Tensor& x, const Tensor& weight, const Tensor& bias, const Tensor& mean,
                             const Tensor& var, const Tensor& out, double eps) {
    Call c("layer_norm", out);
    for (const Tensor* t : {&x, &weight, &bias, &mean, &var}) c.require(*t);
    require_floating(c, x.dtype());
    c.check(launch::layer_norm_forward(x.dtype(), x.raw_data(), ptr(weight), ptr(bias), mean.raw_data(),
                                       var.raw_data(), out.raw_data(), x.size(0), x.size(1), eps, c.stream()));
}

void layer_norm_backward_cuda(const Tensor& grad_out, const Tensor& x, const Tensor& weight, const Tensor&,
                              const Tensor& mean, const Tensor& var, const Tensor& grad_x, const Tensor& grad_weight,
                              const Tensor& grad_bias, double eps) {
    Call c("layer_norm backward", grad_x);
    for (const Tensor* t : {&grad_out, &x, &weight, &mean, &var, &grad_weight, &grad_bias}) c.require(*t);
    require_floating(c, x.dtype());
    c.check(launch::layer_norm_backward(x.dtype(), grad_out.raw_data(), x.raw_data(), ptr(weight), mean.raw_data(),
                                        var.raw_data(), grad_x.raw_data(), ptr(grad_weight), ptr(grad_bias), x.size(0),
                                        x.size(1), eps, c.stream()));
}

// ================================================================= fused optimizer updates
void sgd_step_cuda(const Tensor& p, const Tensor& g, const Tensor& buf, const SgdStepParams& k) {
    Call c("SGD step", p);
    c.require(g);
    c.require(buf);
    c.check(launch::sgd_step(p.dtype(), p.raw_data(), g.raw_data(), ptr(buf), p.numel(), k, c.stream()));
}

void adam_step_cuda(const Tensor& p, const Tensor& g, const Tensor& m, const Tensor& v, const Tensor& vmax,
                    const AdamStepParams& k) {
    Call c(k.decoupled ? "AdamW step" : "Adam step", p);
    for (const Tensor* t : {&g, &m, &v, &vmax}) c.require(*t);
    c.check(launch::adam_step(p.dtype(), p.raw_data(), g.raw_data(), m.raw_data(), v.raw_data(), ptr(vmax), p.numel(),
                              k, c.stream()));
}

void rmsprop_step_cuda(const Tensor& p, const Tensor& g, const Tensor& sq, const Tensor& buf, const Tensor& ga,
                       const RmspropStepParams& k) {
    Call c("RMSprop step", p);
    for (const Tensor* t : {&g, &sq, &buf, &ga}) c.require(*t);
    c.check(launch::rmsprop_step(p.dtype(), p.raw_data(), g.raw_data(), sq.raw_data(), ptr(buf), ptr(ga), p.numel(),
                                 k, c.stream()));
}

// The engine is a static library: a program holds only the op files it uses, so a slot may be absent
// (its op cannot be called then either). tests/cuda/tst_parity links every op and checks that each slot
// got its kernel, which also catches a misspelt name here.
template <class Fn>
void put(const char* name, Fn* fn) {
    if (find_kernel(name)) register_kernel<Fn>(name, DeviceType::CUDA, fn);
}

}  // namespace

void register_kernels() {
    put<CopyKernel>("copy", &copy_cuda);
    put<FillKernel>("fill", &fill_cuda);
    put<DeviceCopyKernel>("device_copy", &device_copy_cuda);

#define NEURA_PUT_UNARY(name, Formula) put<UnaryKernel>(#name, &unary_cuda<UnaryOp::Formula>);
#define NEURA_PUT_BINARY(name, Formula) put<BinaryKernel>(#name, &binary_cuda<BinaryOp::Formula>);
    NEURA_UNARY_OPS(NEURA_PUT_UNARY)
    NEURA_BINARY_OPS(NEURA_PUT_BINARY)
    NEURA_COMPARISON_OPS(NEURA_PUT_BINARY)
#undef NEURA_PUT_UNARY
#undef NEURA_PUT_BINARY
    put<WhereKernel>("where", &where_cuda);
    put<DropoutMaskKernel>("dropout_mask", &dropout_mask_cuda);

    put<SumKernel>("sum", &reduce_cuda<ReduceOp::Sum, slot::Sum>);
    put<AmaxKernel>("amax", &reduce_cuda<ReduceOp::Max, slot::Amax>);
    put<AminKernel>("amin", &reduce_cuda<ReduceOp::Min, slot::Amin>);
    put<ArgmaxKernel>("argmax", &reduce_cuda<ReduceOp::ArgMax, slot::Argmax>);
    put<ArgminKernel>("argmin", &reduce_cuda<ReduceOp::ArgMin, slot::Argmin>);
    put<SoftmaxKernel>("softmax", &softmax_cuda<false, slot::Softmax>);
    put<LogSoftmaxKernel>("log_softmax", &softmax_cuda<true, slot::LogSoftmax>);

    put<MatmulKernel>("matmul", &matmul_cuda);

    put<IndexSelectKernel>("index_select", &index_select_cuda);
    put<IndexAddKernel>("index_add", &index_add_cuda);
    put<GatherKernel>("gather", &gather_cuda);
    put<ScatterAddKernel>("scatter_add", &scatter_add_cuda);

    put<ConvForwardKernel>("conv2d", &conv_forward_cuda);
    put<ConvBackwardDataKernel>("conv2d_backward_data", &conv_backward_data_cuda);
    put<ConvBackwardWeightsKernel>("conv2d_backward_weights", &conv_backward_weights_cuda);
    put<MaxPoolForwardKernel>("max_pool2d", &max_pool_forward_cuda);
    put<MaxPoolBackwardKernel>("max_pool2d_backward", &max_pool_backward_cuda);
    put<AvgPoolForwardKernel>("avg_pool2d", &avg_pool_forward_cuda<false, slot::AvgPool2d>);
    put<AvgPoolBackwardKernel>("avg_pool2d_backward", &avg_pool_backward_cuda<false, slot::AvgPool2d>);
    put<AdaptiveAvgPoolForwardKernel>("adaptive_avg_pool2d", &avg_pool_forward_cuda<true, slot::AdaptiveAvgPool2d>);
    put<AdaptiveAvgPoolBackwardKernel>("adaptive_avg_pool2d_backward",
                                       &avg_pool_backward_cuda<true, slot::AdaptiveAvgPool2d>);
    put<BatchNormForwardKernel>("batch_norm", &batch_norm_forward_cuda);
    put<BatchNormBackwardKernel>("batch_norm_backward", &batch_norm_backward_cuda);
    put<LayerNormForwardKernel>("layer_norm", &layer_norm_forward_cuda);
    put<LayerNormBackwardKernel>("layer_norm_backward", &layer_norm_backward_cuda);

    put<SgdStepKernel>("sgd_step", &sgd_step_cuda);
    put<AdamStepKernel>("adam_step", &adam_step_cuda);
    put<RmspropStepKernel>("rmsprop_step", &rmsprop_step_cuda);
}

void module_cross_entropy(const Tensor& logits, const Tensor& target, const Tensor& loss, const Tensor& grad,
                          const Tensor& rows, const Tensor& flag, std::int64_t ignore_index) {
    Call c("cross_entropy (fused)", logits);
    for (const Tensor* t : {&target, &loss, &grad, &rows, &flag}) c.require(*t);
    require_floating(c, logits.dtype());
    c.check(launch::cross_entropy(logits.dtype(), logits.raw_data(), target.data<std::int64_t>(), loss.raw_data(),
                                  grad.raw_data(), rows.raw_data(), flag.data<std::int64_t>(), logits.size(0),
                                  logits.size(1), ignore_index, c.stream()));
}

}  // namespace neura::cuda
