// The compiled training plan (neura/plan/TrainingPlan.h): compile a Network's steps into native kernel
// calls over two arenas, islands through autograd, and run forward + loss + backward without a tape.
#include "neura/plan/TrainingPlan.h"

#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>

#include "neura/autograd/GradMode.h"
#include "neura/graph/Network.h"
#include "neura/nn/Layers.h"
#include "neura/nn/Loss.h"
#include "backend/CudaModule.h"
#include "backend/cpu/ThreadScope.h"
#include "ops/Fused.h"
#include "ops/Internal.h"

namespace neura::plan {

using detail::broadcast_view;
using detail::make_view;

namespace {

// A slot of the op table by name, when this program has it with that kernel type.
template <class Fn>
const DispatchSlot<Fn>* find_slot(const char* name) {
    KernelSlot* s = find_kernel(name);
    return s && s->signature() == typeid(Fn) ? static_cast<const DispatchSlot<Fn>*>(s) : nullptr;
}

// The kernels the native steps call, looked up once.
struct Slots {
    const DispatchSlot<MatmulKernel>* matmul = find_slot<MatmulKernel>("matmul");
    const DispatchSlot<BinaryKernel>* add = find_slot<BinaryKernel>("add");
    const DispatchSlot<BinaryKernel>* mul = find_slot<BinaryKernel>("mul");
    const DispatchSlot<BinaryKernel>* relu_backward = find_slot<BinaryKernel>("relu_backward");
    const DispatchSlot<UnaryKernel>* relu = find_slot<UnaryKernel>("relu");
    const DispatchSlot<UnaryKernel>* tanh = find_slot<UnaryKernel>("tanh");
    const DispatchSlot<UnaryKernel>* sigmoid = find_slot<UnaryKernel>("sigmoid");
    const DispatchSlot<SumKernel>* sum = find_slot<SumKernel>("sum");
    const DispatchSlot<ConvForwardKernel>* conv = find_slot<ConvForwardKernel>("conv2d");
    const DispatchSlot<ConvBackwardDataKernel>* conv_data = find_slot<ConvBackwardDataKernel>("conv2d_backward_data");
    const DispatchSlot<ConvBackwardWeightsKernel>* conv_weights =
        find_slot<ConvBackwardWeightsKernel>("conv2d_backward_weights");
    const DispatchSlot<MaxPoolForwardKernel>* max_pool = find_slot<MaxPoolForwardKernel>("max_pool2d");
    const DispatchSlot<MaxPoolBackwardKernel>* max_pool_backward =
        find_slot<MaxPoolBackwardKernel>("max_pool2d_backward");
};

const Slots& slots() {
    static const Slots s;
    return s;
}

bool has(const KernelSlot* s, Device d) { return s && s->has(d.type); }

enum class Act { None, Relu, Tanh, Sigmoid };

Act activation_of(const std::string& type) {
    if (type == "ReLU") return Act::Relu;
    if (type == "Tanh") return Act::Tanh;
    if (type == "Sigmoid") return Act::Sigmoid;
    return Act::None;
}

bool act_supported(Act a, Device d) {
    const Slots& k = slots();
    switch (a) {
        case Act::None: return true;
        case Act::Relu: return has(k.relu, d) && has(k.relu_backward, d);
        case Act::Tanh: return has(k.tanh, d) && has(k.mul, d) && has(k.add, d);
        case Act::Sigmoid: return has(k.sigmoid, d) && has(k.mul, d) && has(k.add, d);
    }
    return false;
}

Shape with_batch(std::int64_t batch, const Shape& per_sample) {
    Shape s{batch};
    s.insert(s.end(), per_sample.begin(), per_sample.end());
    return s;
}

Shape contiguous_strides(const Shape& shape) {
    Shape st(shape.size(), 1);
    for (std::int64_t d = static_cast<std::int64_t>(shape.size()) - 2; d >= 0; --d)
        st[d] = st[d + 1] * std::max<std::int64_t>(shape[d + 1], 1);
    return st;
}

// A contiguous view of `base`'s storage at element `offset` of `base`'s view.
Tensor region(const Tensor& base, std::int64_t offset, const Shape& shape) {
    return make_view(base, shape, contiguous_strides(shape), base.offset() + offset);
}

Tensor reshaped(const Tensor& t, const Shape& shape) {  // t contiguous
    return make_view(t, shape, contiguous_strides(shape), t.offset());
}

Tensor as_matrix(const Tensor& t, std::int64_t cols) {  // t contiguous [*, cols]
    return reshaped(t, {t.numel() / cols, cols});
}

Tensor transposed(const Tensor& m) {  // a 2-D view's transpose
    return make_view(m, {m.size(1), m.size(0)}, {m.stride(1), m.stride(0)}, m.offset());
}

constexpr std::int64_t kAlign = 16;  // elements: 64 bytes in F32
std::int64_t aligned(std::int64_t n) { return (n + kAlign - 1) / kAlign * kAlign; }

}  // namespace

// ------------------------------------------------------------------------------------ FlatParameters

FlatParameters::FlatParameters(const std::vector<Tensor>& params) : params_(params) {
    NEURA_CHECK(!params_.empty(), "flat parameters: the network has no parameters");
    const DType dtype = params_.front().dtype();
    const Device device = params_.front().device();
    std::int64_t total = 0;
    for (const Tensor& p : params_) {
        NEURA_CHECK(p.dtype() == dtype && p.device() == device && is_floating(dtype),
                    "flat parameters: the parameters differ in dtype or device");
        offsets_.push_back(total);
        total += aligned(p.numel());
    }
    NoGradGuard ng;
    flat_ = Tensor::zeros({total}, dtype, device);
    flat_grad_ = Tensor::zeros({total}, dtype, device);
    for (std::size_t i = 0; i < params_.size(); ++i) {
        const Tensor& p = params_[i];
        const Tensor home = region(flat_, offsets_[i], p.shape());
        detail::copy_into(home, p.detach());
        TensorImpl* impl = p.unsafe_impl();
        impl->storage = flat_.storage();
        impl->strides = home.strides();
        impl->offset = home.offset();
        grad_views_.push_back(region(flat_grad_, offsets_[i], p.shape()));
    }
    flat_.requires_grad_();  // a leaf an optimizer may take; its .grad is flat_grad_
    flat_.set_grad(flat_grad_);
}

bool FlatParameters::intact() const {
    for (std::size_t i = 0; i < params_.size(); ++i) {
        const Tensor& p = params_[i];
        if (p.storage().get() != flat_.storage().get() || p.offset() != offsets_[i] || !p.is_contiguous() ||
            p.shape() != grad_views_[i].shape())
            return false;
    }
    return true;
}

void FlatParameters::attach_grads() const {
    for (std::size_t i = 0; i < params_.size(); ++i) {
        Tensor p = params_[i];
        if (!p.grad().is_same(grad_views_[i])) p.set_grad(grad_views_[i]);
    }
}

std::size_t FlatParameters::index_of(const Tensor& param) const {
    for (std::size_t i = 0; i < params_.size(); ++i)
        if (params_[i].is_same(param)) return i;
    throw Error("flat parameters: not a parameter of this network");
}

// ------------------------------------------------------------------------------------ the plan

struct TrainingPlan::Impl {
    enum class Kind { Input, Linear, Conv, MaxPool, Flatten, Activation, Alias, Island };

    struct Step {
        Kind kind = Kind::Island;
        std::size_t net_index = 0;
        std::string name, type;
        std::shared_ptr<nn::Module> module;
        std::vector<std::size_t> inputs;
        std::vector<graph::PortKind> input_kinds;
        Shape shape;         // of the output, batch included
        Act act = Act::None;  // applied in place to a Linear / Conv2d output, or a standalone activation
        std::size_t grad_root = 0;  // the step whose gradient buffer this step's gradient is a view of
        // Native steps: the parameters (detached views) and their gradient views.
        Tensor weight, weight_t, bias, grad_weight, grad_bias;
        ConvGeometry conv{};
        PoolGeometry pool{};
        Tensor workspace;  // max pooling's, per step
        // Views made once at compile time (the steady state makes none): a Linear's input, output and
        // output gradient as matrices, the gradient transposed and the bias broadcast; an activation's
        // temporary and its broadcast 1; where the input's gradient goes (its buffer, or scratch that is
        // then added into it when several steps write it).
        Tensor x2d, y2d, g2d, g2d_t, bias_b, tmp, ones, dx;
        bool dx_accumulates = false;
        bool serial = false;  // its work is too small for a parallel region: it runs on the calling thread
        // Measured choice for the other native steps: whether this plan step runs it on the calling thread
        // alone, and the timings that decide it (see choose_threads()).
        bool run_serial = false, probing = false;
        double elapsed = 0, probe_team = 0, probe_serial = 0;  // this step's time; the best probe of each
        int probes_team = 0, probes_serial = 0;
        bool from_island = false;  // a native step reading an island's output: x_in, taken each step
        Tensor x_in;
        // Islands: the inputs handed to the module (detached leaves where a gradient flows back), and
        // the parameters whose flat gradient views autograd accumulates into.
        std::vector<Tensor> island_inputs;
        std::vector<std::size_t> island_params;
    };

    std::vector<Step> steps;
    std::vector<Tensor> value, grad;   // per step: the output and its gradient (a view of its root's)
    std::vector<bool> needs_grad;      // whether a gradient flows into the step's output
    std::vector<bool> accumulate;      // per gradient root: several steps add into it (zeroed first)
    // zero_before[c]: accumulating roots to zero just before step c's backward, their first writer (c = the
    // step count: before the loss), so that they share memory as any other gradient buffer.
    std::vector<std::vector<std::size_t>> zero_before;
    Tensor activations, gradients;        // the two arenas (see the memory plan)
    Tensor scratch_a, scratch_b;          // scratch: an accumulating step's gradient, an activation's temporary
    Tensor one;                           // 0-d 1, for 1 - y
    graph::Network::LossFunction loss;
    std::shared_ptr<nn::Loss> loss_module;
    bool fused_loss = false;
    bool all_serial = false;  // every step is native and serial: the whole step runs on the calling thread
    std::int64_t steps_run = 0;  // for the measured thread choice
    Tensor loss_value;                    // fused loss: its 0-d result
    std::shared_ptr<FlatParameters> flat;
    Shape input_shape, target_shape;
    DType dtype = DType::F32, input_dtype = DType::F32, target_dtype = DType::I64;
    Device device;

    // ---- helpers ----
    void apply_act(Act a, const Tensor& y) const {
        const Slots& k = slots();
        switch (a) {
            case Act::None: return;
            case Act::Relu: (*k.relu)(device)(y, y, 0, 0); return;
            case Act::Tanh: (*k.tanh)(device)(y, y, 0, 0); return;
            case Act::Sigmoid: (*k.sigmoid)(device)(y, y, 0, 0); return;
        }
    }

    // dst = g * act'(y), from the activation's output y; dst may be g itself. The same kernels and order
    // as the activations' autograd formulas (ops/Pointwise.cpp): relu_backward(g, y); g * (1 - y * y);
    // g * y * (1 - y).
    void act_backward(Act a, const Tensor& g, const Tensor& y, const Tensor& dst, const Tensor& t,
                      const Tensor& ones) const {
        const Slots& k = slots();
        switch (a) {
            case Act::None: return;  // dst is g: the layers without an activation
            case Act::Relu: (*k.relu_backward)(device)(g, y, dst, 0); return;
            case Act::Tanh: {
                (*k.mul)(device)(y, y, t, 0);
                (*k.add)(device)(ones, t, t, -1.0);
                (*k.mul)(device)(g, t, dst, 0);
                return;
            }
            case Act::Sigmoid: {
                (*k.add)(device)(ones, y, t, -1.0);
                (*k.mul)(device)(g, y, dst, 0);
                (*k.mul)(device)(dst, t, dst, 0);
                return;
            }
        }
    }

    // Step s's gradient for its input p is in s.dx: added into p's buffer when that one accumulates.
    void delivered(const Step& s) const {
        if (!s.dx_accumulates) return;
        const Tensor& dst = grad[s.inputs[0]];
        (*slots().add)(device)(dst, s.dx, dst, 1.0);
    }

    void zero(const Tensor& t) const { detail::kFill(device)(t, 0.0); }

    // A native step's input: its producer's buffer, or the island output it reads this step (contiguous).
    const Tensor& input_of(Step& s) {
        const std::size_t p = s.inputs[0];
        if (!s.from_island) return value[p];
        const Tensor& v = value[p];
        NEURA_CHECK(v.defined() && v.dtype() == dtype && v.shape() == steps[p].shape, "training plan: layer '",
                    steps[p].name, "' gave ", v.defined() ? shape_str(v.shape()) : std::string("nothing"),
                    " where its shape rule says ", shape_str(steps[p].shape));
        s.x_in = v.is_contiguous() ? v.detach() : v.detach().contiguous();
        return s.x_in;
    }

    // ---- a GPU's loss scratch and CUDA graph ----
    Tensor ce_rows, ce_flag;  // fused loss on a GPU: per-row scratch, the out-of-range flag
    enum class Graph { Off, WarmUp, Capture, Replay, Failed };
    Graph graph = Graph::Off;
    void* graph_exec = nullptr;
    Tensor graph_input, graph_target;  // the batch's fixed home while a graph replays
    std::string graph_status;

    ~Impl() {
        if (graph_exec) cuda::loaded_module()->graph_destroy(graph_exec);
    }

    // ---- the passes ----
    Result run(const Tensor& input, const Tensor& target);  // forward, loss, backward
    void choose_threads();       // before a step: each native step's team or calling thread
    void note_thread_timings();  // after it: the measured times
    void forward(const Tensor& input);
    void backward();
    void island_forward(Step& s);
    void island_backward(Step& s);
};

void TrainingPlan::Impl::island_forward(Step& s) {
    s.island_inputs.clear();
    for (std::size_t p = 0; p < s.inputs.size(); ++p) {
        Tensor t = value[s.inputs[p]];
        if (s.input_kinds[p] == graph::PortKind::Indices && t.dtype() != DType::I64) {
            t = t.detach().to(DType::I64);
        } else if (needs_grad[s.inputs[p]]) {
            t = t.detach();
            t.requires_grad_();
        }
        s.island_inputs.push_back(std::move(t));
    }
    EnableGradGuard grad_on(true);
    value[s.net_index] =
        s.island_inputs.size() == 1 ? s.module->forward(s.island_inputs[0]) : s.module->forward(s.island_inputs);
}

void TrainingPlan::Impl::island_backward(Step& s) {
    const std::size_t i = s.net_index;
    Tensor out = value[i];
    if (out.defined() && out.requires_grad()) {
        for (std::size_t pi : s.island_params) {
            zero(flat->grad_view(pi));
            Tensor p = flat->params()[pi];
            p.set_grad(flat->grad_view(pi));  // autograd adds into it in place
        }
        for (std::size_t p = 0; p < s.inputs.size(); ++p) {
            Tensor& in = s.island_inputs[p];
            if (!in.requires_grad()) continue;
            const std::size_t src = s.inputs[p];
            if (!accumulate[steps[src].grad_root]) zero(grad[src]);
            in.set_grad(grad[src]);
        }
        Tensor g = grad[i];
        if (g.shape() != out.shape()) g = make_view(g, out.shape(), contiguous_strides(out.shape()), g.offset());
        out.backward(g);
    }
    s.island_inputs.clear();
    value[i] = Tensor();  // drops the island's graph
}

namespace {
// Times a step into s.elapsed while its thread choice is being measured.
class StepTimer {
public:
    explicit StepTimer(TrainingPlan::Impl::Step& s) : s_(s) {
        if (s_.probing) t0_ = std::chrono::steady_clock::now();
    }
    ~StepTimer() {
        if (s_.probing) s_.elapsed += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
    }
    StepTimer(const StepTimer&) = delete;
    StepTimer& operator=(const StepTimer&) = delete;

private:
    TrainingPlan::Impl::Step& s_;
    std::chrono::steady_clock::time_point t0_;
};

// The measured thread choice. A native step big enough for the team is not always faster on it: on a
// machine whose other cores are busy (a shared VM's second vCPU, another program), an evenly split product
// waits for the slowest thread, and 2 threads took 368 us where 1 took 329 (W2). So every kRetune steps the
// plan runs each such step kProbes times, alternating the team and the calling thread alone, times both
// (forward and backward), and keeps the one with the faster best time until the next measurement (the best
// of each: a probe that a page fault or a preemption hit says nothing about the choice).
constexpr std::int64_t kWarmSteps = 4, kProbes = 8, kRetune = 200;
}  // namespace

void TrainingPlan::Impl::choose_threads() {
    const bool team = device.type == DeviceType::CPU && !all_serial && omp_get_max_threads() > 1;
    const std::int64_t phase = steps_run % kRetune;
    for (Step& s : steps) {
        s.probing = false;
        s.elapsed = 0;
        const bool native = s.kind == Kind::Linear || s.kind == Kind::Conv || s.kind == Kind::MaxPool ||
                            s.kind == Kind::Activation;
        if (!team || !native || s.serial) {
            s.run_serial = false;
            continue;
        }
        if (phase == 0) {
            s.probe_team = s.probe_serial = 1e300;
            s.probes_team = s.probes_serial = 0;
        }
        if (phase >= kWarmSteps && phase < kWarmSteps + kProbes) {
            s.probing = true;
            s.run_serial = (phase - kWarmSteps) % 2 == 1;
        } else if (phase == kWarmSteps + kProbes && s.probes_team > 0 && s.probes_serial > 0) {
            s.run_serial = s.probe_serial < s.probe_team;
        }
    }
}

void TrainingPlan::Impl::note_thread_timings() {
    for (Step& s : steps) {
        if (!s.probing) continue;
        if (s.run_serial) {
            s.probe_serial = std::min(s.probe_serial, s.elapsed);
            ++s.probes_serial;
        } else {
            s.probe_team = std::min(s.probe_team, s.elapsed);
            ++s.probes_team;
        }
    }
    ++steps_run;
}

void TrainingPlan::Impl::forward(const Tensor& input) {
    const Slots& k = slots();
    for (Step& s : steps) {
        const std::size_t i = s.net_index;
        const cpu::ThreadScope team((s.serial || s.run_serial) && !all_serial ? 1 : 0);
        const StepTimer timer(s);
        switch (s.kind) {
            case Kind::Input: value[i] = input; break;
            case Kind::Linear:
                if (s.inputs[0] == 0) s.x2d = as_matrix(input, s.weight.size(1));  // the batch itself
                if (s.from_island) s.x2d = as_matrix(input_of(s), s.weight.size(1));
                (*k.matmul)(device)(s.x2d, s.weight_t, s.y2d);
                if (s.bias.defined()) (*k.add)(device)(s.y2d, s.bias_b, s.y2d, 1.0);
                apply_act(s.act, s.y2d);
                break;
            case Kind::Conv:
                (*k.conv)(device)(input_of(s), s.weight, s.bias, value[i], s.conv);
                apply_act(s.act, value[i]);
                break;
            case Kind::MaxPool: s.workspace = (*k.max_pool)(device)(input_of(s), value[i], s.pool, true); break;
            case Kind::Flatten: break;  // value[i] is a view of its input's buffer
            case Kind::Activation: {
                const Tensor& x = input_of(s);
                const DispatchSlot<UnaryKernel>* f = s.act == Act::Relu ? k.relu : s.act == Act::Tanh ? k.tanh : k.sigmoid;
                (*f)(device)(x, value[i], 0, 0);
                break;
            }
            case Kind::Alias: break;  // a fused activation: its buffer is its producer's
            case Kind::Island: island_forward(s); break;
        }
    }
}

void TrainingPlan::Impl::backward() {
    const Slots& k = slots();
    for (auto it = steps.rbegin(); it != steps.rend(); ++it) {
        Step& s = *it;
        const std::size_t i = s.net_index;
        const cpu::ThreadScope team((s.serial || s.run_serial) && !all_serial ? 1 : 0);
        const StepTimer timer(s);
        for (std::size_t r : zero_before[i]) zero(grad[r]);
        switch (s.kind) {
            case Kind::Input:
            case Kind::Flatten:
            case Kind::Alias: break;
            case Kind::Linear:
                act_backward(s.act, s.g2d, s.y2d, s.g2d, s.tmp, s.ones);
                (*k.matmul)(device)(s.g2d_t, s.x2d, s.grad_weight);
                if (s.bias.defined()) (*k.sum)(device)({.in = s.g2d_t, .out = s.grad_bias, .nred = 1});
                if (s.dx.defined()) {
                    (*k.matmul)(device)(s.g2d, s.weight, s.dx);
                    delivered(s);
                }
                break;
            case Kind::Conv:
                act_backward(s.act, grad[i], value[i], grad[i], s.tmp, s.ones);
                (*k.conv_weights)(device)({.grad_out = grad[i], .x = s.from_island ? s.x_in : value[s.inputs[0]], .grad_weight = s.grad_weight,
                                           .grad_bias = s.grad_bias, .g = s.conv});
                if (s.dx.defined()) {
                    (*k.conv_data)(device)(grad[i], s.weight, s.dx, s.conv);
                    delivered(s);
                }
                break;
            case Kind::MaxPool:
                if (s.dx.defined()) {
                    (*k.max_pool_backward)(device)(grad[i], s.workspace, s.dx, s.pool);
                    delivered(s);
                }
                if (graph == Graph::Off || graph == Graph::Failed) s.workspace = Tensor();  // a graph keeps its address
                break;
            case Kind::Activation:
                if (s.dx.defined()) {
                    act_backward(s.act, grad[i], value[i], s.dx, s.tmp, s.ones);
                    delivered(s);
                }
                break;
            case Kind::Island: island_backward(s); break;
        }
    }
}

TrainingPlan::TrainingPlan(graph::Network& net, std::shared_ptr<FlatParameters> flat, const Tensor& input,
                           const Tensor& target)
    : impl_(std::make_unique<Impl>()) {
    Impl& m = *impl_;
    const auto& net_steps = net.steps();
    NEURA_CHECK(!net_steps.empty() && flat, "training plan: the network is empty (not compiled)");
    m.flat = std::move(flat);
    m.dtype = m.flat->flat().dtype();
    m.device = m.flat->flat().device();
    m.input_shape = input.shape();
    m.input_dtype = input.dtype();
    m.target_shape = target.shape();
    m.target_dtype = target.dtype();
    m.loss = net.loss_function();
    m.loss_module = net.loss_module();
    NEURA_CHECK(input.dim() >= 1 && input.device() == m.device && target.device() == m.device,
                "training plan: the batch is not on the parameters' device");
    const Shape& per_sample = net.input_shape();
    NEURA_CHECK(input.dim() == static_cast<std::int64_t>(per_sample.size()) + 1 &&
                    std::equal(per_sample.begin(), per_sample.end(), input.shape().begin() + 1),
                "training plan: the batch has shape ", shape_str(input.shape()), ", the model takes [B, ",
                shape_str(per_sample).substr(1));
    const std::int64_t batch = input.size(0);
    const std::size_t n = net_steps.size();
    const Slots& k = slots();

    // Which steps a gradient flows into: those with parameters upstream.
    m.needs_grad.assign(n, false);
    std::vector<std::vector<std::size_t>> consumers(n);
    for (std::size_t i = 0; i < n; ++i) {
        const auto& s = net_steps[i];
        bool any = s.module && !s.module->parameters().empty();
        for (std::size_t p : s.input_steps) {
            any = any || m.needs_grad[p];
            consumers[p].push_back(i);
        }
        m.needs_grad[i] = any;
    }

    // The kind of each step.
    m.steps.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
        const auto& ns = net_steps[i];
        Impl::Step& s = m.steps[i];
        s.net_index = i;
        s.name = ns.name;
        s.type = ns.type;
        s.module = ns.module;
        s.inputs = ns.input_steps;
        s.input_kinds = ns.input_kinds;
        s.shape = with_batch(batch, ns.output_shape);
        s.grad_root = i;
        if (i == 0) {
            s.kind = Impl::Kind::Input;
            continue;
        }
        const bool one_input = s.inputs.size() == 1;
        const std::size_t p = one_input ? s.inputs[0] : 0;
        // A native step reads its input from a buffer of the plan's dtype: a native step's, the batch itself
        // when it comes so, or an island's output (made contiguous at run time when it is not).
        const bool from_island = one_input && m.steps[p].kind == Impl::Kind::Island;
        const bool input_ok = one_input && (p != 0 || (input.dtype() == m.dtype && input.is_contiguous()));
        const bool floating_ok = input_ok && is_floating(m.dtype);
        if (!floating_ok) continue;  // island
        s.from_island = from_island;
        if (auto* lin = dynamic_cast<nn::Linear*>(s.module.get());
            lin && has(k.matmul, m.device) && has(k.add, m.device) && has(k.sum, m.device) &&
            lin->weight.dtype() == m.dtype && m.steps[p].shape.back() == lin->weight.size(1)) {
            s.kind = Impl::Kind::Linear;
        } else if (auto* conv = dynamic_cast<nn::Conv2d*>(s.module.get());
                   conv && has(k.conv, m.device) && has(k.conv_data, m.device) && has(k.conv_weights, m.device) &&
                   m.steps[p].shape.size() == 4 && s.shape.size() == 4) {
            s.kind = Impl::Kind::Conv;
            const auto& o = conv->options;
            const Shape& xs = m.steps[p].shape;
            s.conv = {xs[0], xs[1], xs[2], xs[3], conv->weight.size(0), conv->weight.size(2), conv->weight.size(3),
                      s.shape[2], s.shape[3], o.stride_h, o.stride_w, o.padding_h, o.padding_w, o.dilation_h,
                      o.dilation_w, o.groups};
        } else if (auto* pool = dynamic_cast<nn::MaxPool2d*>(s.module.get());
                   pool && has(k.max_pool, m.device) && has(k.max_pool_backward, m.device) &&
                   m.steps[p].shape.size() == 4 && s.shape.size() == 4) {
            s.kind = Impl::Kind::MaxPool;
            const auto& o = pool->options;
            const Shape& xs = m.steps[p].shape;
            const bool default_stride = o.stride_h == 0 && o.stride_w == 0;
            s.pool = {xs[0], xs[1], xs[2], xs[3], s.shape[2], s.shape[3], o.kernel_h, o.kernel_w,
                      default_stride ? o.kernel_h : o.stride_h, default_stride ? o.kernel_w : o.stride_w,
                      o.padding_h, o.padding_w};
        } else if (dynamic_cast<nn::Flatten*>(s.module.get()) && consumers[p].size() == 1 && !from_island) {
            s.kind = Impl::Kind::Flatten;
        } else if (const Act a = activation_of(s.type); a != Act::None && act_supported(a, m.device)) {
            s.act = a;
            // Folded into the Linear / Conv2d before it when this is that layer's only consumer.
            Impl::Step& prev = m.steps[p];
            if ((prev.kind == Impl::Kind::Linear || prev.kind == Impl::Kind::Conv) && prev.act == Act::None &&
                consumers[p].size() == 1) {
                prev.act = a;
                s.kind = Impl::Kind::Alias;
            } else {
                s.kind = Impl::Kind::Activation;
            }
        }
    }

    // Parameters: native steps take detached views and their flat gradient views; islands list theirs.
    for (Impl::Step& s : m.steps) {
        if (!s.module) continue;
        NoGradGuard ng;
        auto grad_of = [&](const Tensor& p) { return m.flat->grad_view(m.flat->index_of(p)); };
        if (s.kind == Impl::Kind::Linear) {
            auto* lin = static_cast<nn::Linear*>(s.module.get());
            s.weight = lin->weight.detach();
            s.weight_t = transposed(s.weight);
            s.grad_weight = grad_of(lin->weight);
            if (lin->bias.defined()) {
                s.bias = lin->bias.detach();
                s.grad_bias = grad_of(lin->bias);
            }
        } else if (s.kind == Impl::Kind::Conv) {
            auto* conv = static_cast<nn::Conv2d*>(s.module.get());
            s.weight = conv->weight.detach();
            s.grad_weight = grad_of(conv->weight);
            if (conv->bias.defined()) {
                s.bias = conv->bias.detach();
                s.grad_bias = grad_of(conv->bias);
            }
        } else if (s.kind == Impl::Kind::Island) {
            for (const Tensor& p : s.module->parameters()) s.island_params.push_back(m.flat->index_of(p));
        }
    }

    // Gradient roots: a Flatten's or a fused activation's gradient is a view of its input's.
    for (Impl::Step& s : m.steps)
        if (s.kind == Impl::Kind::Flatten || s.kind == Impl::Kind::Alias) s.grad_root = m.steps[s.inputs[0]].grad_root;
    // Writers of each root: the consumers of its members that are not members themselves.
    // first_write: the latest consumer (the first to run backward); the loss counts as step n.
    std::vector<std::size_t> writers(n, 0);
    std::vector<std::int64_t> first_write(n, 0);
    for (std::size_t i = 0; i < n; ++i) {
        const std::size_t r = m.steps[i].grad_root;
        for (std::size_t c : consumers[i]) {
            if (m.steps[c].grad_root == r) continue;
            ++writers[r];
            first_write[r] = std::max(first_write[r], static_cast<std::int64_t>(c));
        }
    }
    const std::size_t out = n - 1;
    ++writers[m.steps[out].grad_root];  // the loss
    first_write[m.steps[out].grad_root] = static_cast<std::int64_t>(n);
    m.accumulate.assign(n, false);
    m.zero_before.assign(n + 1, {});
    for (std::size_t r = 0; r < n; ++r) {
        if (m.steps[r].grad_root != r || !m.needs_grad[r]) continue;
        if (writers[r] > 1) {
            m.accumulate[r] = true;
            m.zero_before[static_cast<std::size_t>(first_write[r])].push_back(r);
        }
    }

    // The memory plan. Activation buffers of native steps live through the whole step; gradient buffers
    // of roots live from their first writer's backward (the latest consumer) to the root's own backward,
    // and share memory when those intervals (in backward order) do not overlap.
    struct Region {
        std::int64_t offset = 0, size = 0;
    };
    // Two arenas: activations, and gradients with the scratch buffers. Apart, because autograd's version
    // counter is per storage: an island's backward adds into gradient buffers in place, which must not
    // look like a change to the activations an island saved for its backward.
    std::int64_t act_total = 0, grad_total = 0, unshared = 0;
    auto take_from = [](std::int64_t& total, std::int64_t elems) {
        const Region r{total, aligned(elems)};
        total += r.size;
        return r;
    };
    auto take = [&](std::int64_t elems) { return take_from(act_total, elems); };
    auto take_grad = [&](std::int64_t elems) { return take_from(grad_total, elems); };
    std::vector<Region> value_region(n), grad_region(n);
    std::vector<bool> has_value(n, false);
    for (const Impl::Step& s : m.steps) {
        const bool native_output = s.kind == Impl::Kind::Linear || s.kind == Impl::Kind::Conv ||
                                   s.kind == Impl::Kind::MaxPool || s.kind == Impl::Kind::Activation;
        if (!native_output) continue;
        value_region[s.net_index] = take(shape_numel(s.shape));
        has_value[s.net_index] = true;
        unshared += aligned(shape_numel(s.shape));
    }
    {
        // Backward time of a step: n - 1 - index (the loss writes at time -1). A root's interval is
        // [time of its first writer, time of its own backward].
        struct Interval {
            std::int64_t start, end, size;
            std::size_t root;
        };
        std::vector<Interval> intervals;
        for (std::size_t r = 0; r < n; ++r) {
            if (m.steps[r].grad_root != r || !m.needs_grad[r]) continue;
            const std::int64_t size = aligned(shape_numel(m.steps[r].shape));
            const std::int64_t start = static_cast<std::int64_t>(n) - 1 - first_write[r];
            const std::int64_t end = static_cast<std::int64_t>(n) - 1 - static_cast<std::int64_t>(r);
            intervals.push_back({start, end, size, r});
            unshared += size;
        }
        std::sort(intervals.begin(), intervals.end(), [](const Interval& a, const Interval& b) { return a.start < b.start; });
        struct Slot {
            Region region;
            std::int64_t busy_until;
        };
        std::vector<Slot> pool;
        for (const Interval& iv : intervals) {
            Slot* best = nullptr;
            for (Slot& sl : pool)
                if (sl.busy_until < iv.start && sl.region.size >= iv.size && (!best || sl.region.size < best->region.size))
                    best = &sl;
            if (!best) {
                pool.push_back({take_grad(iv.size), 0});
                best = &pool.back();
            }
            best->busy_until = iv.end;
            grad_region[iv.root] = {best->region.offset, iv.size};
        }
    }
    std::int64_t scratch_elems = 0;
    for (const Impl::Step& s : m.steps) scratch_elems = std::max(scratch_elems, shape_numel(s.shape));
    const Region sa = take_grad(scratch_elems), sb = take_grad(scratch_elems);
    unshared += sa.size + sb.size;

    {
        NoGradGuard ng;
        m.activations = Tensor::empty({std::max<std::int64_t>(act_total, 1)}, m.dtype, m.device);
        m.gradients = Tensor::empty({std::max<std::int64_t>(grad_total, 1)}, m.dtype, m.device);
        m.scratch_a = region(m.gradients, sa.offset, {sa.size});
        m.scratch_b = region(m.gradients, sb.offset, {sb.size});
        m.one = Tensor::ones({}, m.dtype, m.device);
    }
    m.value.assign(n, Tensor());
    m.grad.assign(n, Tensor());
    for (std::size_t i = 0; i < n; ++i) {
        Impl::Step& s = m.steps[i];
        if (has_value[i]) m.value[i] = region(m.activations, value_region[i].offset, s.shape);
        if (s.kind == Impl::Kind::Alias) m.value[i] = m.value[s.inputs[0]];
        if (s.kind == Impl::Kind::Flatten) m.value[i] = m.value[s.inputs[0]];  // reshaped below
        const std::size_t r = s.grad_root;
        if (m.needs_grad[r]) m.grad[i] = region(m.gradients, grad_region[r].offset, s.shape);
    }
    for (std::size_t i = 0; i < n; ++i)
        if (m.steps[i].kind == Impl::Kind::Flatten && m.value[i].defined())
            m.value[i] = reshaped(m.value[i], m.steps[i].shape);
    // A Flatten whose input is the batch itself reshapes the batch at run time (see step()).

    // Threads: a native step whose work is below a parallel region's cost runs on the calling thread (the
    // matmul kernel's own limit for splitting one product: 2^18 multiply-adds; elementwise steps below
    // the CPU loops' grain). The rest use the run's team (Experiment sets it, 1 for small models).
    constexpr std::int64_t kSerialWork = std::int64_t{1} << 18;
    for (Impl::Step& s : m.steps) {
        const std::int64_t out_elems = shape_numel(s.shape);
        std::int64_t work = -1;
        if (s.kind == Impl::Kind::Linear) work = out_elems * s.weight.size(1);
        if (s.kind == Impl::Kind::Conv) work = out_elems * s.weight.numel() / std::max<std::int64_t>(s.weight.size(0), 1);
        if (s.kind == Impl::Kind::MaxPool || s.kind == Impl::Kind::Activation) work = out_elems * 4;
        s.serial = work >= 0 && work < kSerialWork;
        summary_.serial_steps += s.serial;
    }
    m.all_serial = std::all_of(m.steps.begin(), m.steps.end(), [](const Impl::Step& s) {
        return s.kind == Impl::Kind::Input || s.kind == Impl::Kind::Flatten || s.kind == Impl::Kind::Alias || s.serial;
    });

    // The views the native steps use, made once.
    for (Impl::Step& s : m.steps) {
        const bool native = s.kind == Impl::Kind::Linear || s.kind == Impl::Kind::Conv ||
                            s.kind == Impl::Kind::MaxPool || s.kind == Impl::Kind::Activation;
        if (!native) continue;
        const std::size_t i = s.net_index, p = s.inputs[0];
        const Tensor& y = m.value[i];
        if (s.act != Act::None) {
            s.tmp = region(m.scratch_b, 0, y.shape());
            s.ones = broadcast_view(m.one, y.shape());
        }
        if (m.needs_grad[p]) {
            s.dx_accumulates = m.accumulate[m.steps[p].grad_root];
            s.dx = s.dx_accumulates ? region(m.scratch_a, 0, m.steps[p].shape) : m.grad[p];
        }
        if (s.kind == Impl::Kind::Linear) {
            const std::int64_t in = s.weight.size(1), outf = s.weight.size(0);
            if (p != 0 && !s.from_island) s.x2d = as_matrix(m.value[p], in);
            s.y2d = as_matrix(y, outf);
            s.g2d = as_matrix(m.grad[i], outf);
            s.g2d_t = transposed(s.g2d);
            if (s.bias.defined()) s.bias_b = broadcast_view(s.bias, s.y2d.shape());
            if (s.dx.defined()) s.dx = as_matrix(s.dx, in);
            if (s.act != Act::None) s.tmp = as_matrix(s.tmp, outf);
            if (s.act != Act::None) s.ones = broadcast_view(m.one, s.y2d.shape());
        }
    }

    // The loss: one fused kernel for CrossEntropyLoss over [N, C] logits with class indices, no weights,
    // no label smoothing and mean reduction, where the device has it; else autograd on the output.
    if (auto* ce = dynamic_cast<nn::CrossEntropyLoss*>(net.loss_module().get());
        ce && detail::has_fused_cross_entropy(m.device) && m.steps[out].shape.size() == 2 && target.dtype() == DType::I64 &&
        target.dim() == 1 && target.size(0) == batch && !ce->weight.defined() && ce->label_smoothing == 0.0 &&
        ce->reduction == nn::Reduction::Mean && m.steps[out].kind != Impl::Kind::Island && batch > 0) {
        m.fused_loss = true;
        NoGradGuard ng;
        m.loss_value = Tensor::zeros({}, m.dtype, m.device);
        if (m.device.type == DeviceType::CUDA) {
            m.ce_rows = Tensor::zeros({3 * batch + 1}, m.dtype, m.device);
            m.ce_flag = Tensor::zeros({1}, DType::I64, m.device);
        }
    }

    // On a GPU, a step made only of native steps and the fused loss is captured as a CUDA graph after one
    // warm-up step and replayed from then on (NEURA_CUDA_GRAPHS=0 turns this off).
    if (m.device.type == DeviceType::CUDA) {
        const char* env = std::getenv("NEURA_CUDA_GRAPHS");
        const cuda::ModuleApi* api = cuda::loaded_module();
        const bool islands = std::any_of(m.steps.begin(), m.steps.end(),
                                         [](const Impl::Step& s) { return s.kind == Impl::Kind::Island; });
        if (env && std::strcmp(env, "0") == 0) m.graph_status = "off (NEURA_CUDA_GRAPHS=0)";
        else if (!api || !api->graph_begin) m.graph_status = "the CUDA module has no graphs";
        else if (islands) m.graph_status = "not captured: the network has layers that run through autograd";
        else if (!m.fused_loss) m.graph_status = "not captured: the loss runs through autograd";
        else {
            m.graph = Impl::Graph::WarmUp;
            m.graph_status = "warming up";
            NoGradGuard ng;
            m.graph_input = Tensor::empty(input.shape(), input.dtype(), m.device);
            m.graph_target = Tensor::empty(target.shape(), target.dtype(), m.device);
        }
    }

    // The summary.
    summary_.arena_bytes = (act_total + grad_total) * static_cast<std::int64_t>(element_size(m.dtype));
    summary_.unshared_bytes = unshared * static_cast<std::int64_t>(element_size(m.dtype));
    summary_.parameter_count = m.flat->flat().numel();
    summary_.fused_loss = m.fused_loss;
    for (const Impl::Step& s : m.steps) {
        switch (s.kind) {
            case Impl::Kind::Input: break;
            case Impl::Kind::Island:
                ++summary_.islands;
                summary_.island_layers.push_back(s.name + " (" + s.type + ")");
                break;
            case Impl::Kind::Alias: ++summary_.fused_activations; break;
            default: ++summary_.native_steps;
        }
    }
}

TrainingPlan::~TrainingPlan() = default;

bool TrainingPlan::fits(const Tensor& input, const Tensor& target) const {
    const Impl& m = *impl_;
    return input.defined() && target.defined() && input.shape() == m.input_shape && input.dtype() == m.input_dtype &&
           input.device() == m.device && target.shape() == m.target_shape && target.dtype() == m.target_dtype &&
           target.device() == m.device && m.flat->intact();
}

TrainingPlan::Result TrainingPlan::Impl::run(const Tensor& input, const Tensor& target) {
    // A Flatten straight after the Input views the batch.
    for (Step& s : steps)
        if (s.kind == Kind::Flatten && s.inputs[0] == 0) value[s.net_index] = reshaped(input, s.shape);
    forward(input);
    const std::size_t out = steps.size() - 1;
    Result r;
    r.output = value[out];
    for (std::size_t root : zero_before[out + 1]) zero(grad[root]);
    if (fused_loss) {
        auto* ce = static_cast<nn::CrossEntropyLoss*>(loss_module.get());
        NEURA_CHECK(detail::fused_cross_entropy(r.output, target, loss_value, grad[out], ce->ignore_index, ce_rows,
                                                ce_flag),
                    "training plan: the fused loss does not apply to this batch");
        r.loss = loss_value;
    } else {
        Tensor o = r.output.detach();
        if (needs_grad[out]) {
            o.requires_grad_();
            zero(grad[out]);  // the loss adds into it
            o.set_grad(grad[out]);
        }
        EnableGradGuard grad_on(true);
        Tensor l = loss(o, target);
        if (l.requires_grad()) l.backward();
        r.loss = l.detach();
    }
    backward();
    return r;
}

TrainingPlan::Result TrainingPlan::step(const Tensor& input_in, const Tensor& target_in) {
    Impl& m = *impl_;
    Tensor input = input_in.contiguous(), target = target_in.contiguous();
    NEURA_CHECK(fits(input, target), "training plan: the batch does not fit the plan (shape ",
                shape_str(input.shape()), ", compiled for ", shape_str(m.input_shape), ")");
    const cpu::ThreadScope team(m.all_serial ? 1 : 0);
    m.choose_threads();
    Result r;
    if (m.graph == Impl::Graph::Off || m.graph == Impl::Graph::Failed) {
        r = m.run(input, target);
    } else {
        // A CUDA graph reads fixed addresses: the batch goes into the plan's own buffers first.
        detail::kCopy(m.device)(m.graph_input, input);
        detail::kCopy(m.device)(m.graph_target, target);
        input = m.graph_input;
        target = m.graph_target;
        const cuda::ModuleApi* api = cuda::loaded_module();
        if (m.graph == Impl::Graph::Replay) {
            api->graph_launch(m.device.index, m.graph_exec);
            r.output = m.value[m.steps.size() - 1];
            r.loss = m.loss_value;
        } else if (m.graph == Impl::Graph::WarmUp) {
            // One step as usual first: cuBLAS handles, the allocator's blocks and every lazy first use happen
            // outside the capture.
            r = m.run(input, target);
            m.graph = Impl::Graph::Capture;
        } else {  // capture this step, then replay it (a capture only records)
            std::string why;
            void* exec = nullptr;
            if (!api->graph_begin(m.device.index)) {
                why = "the training runs on CUDA's legacy default stream (no cuda::StreamScope)";
            } else {
                try {
                    r = m.run(input, target);
                } catch (const std::exception& e) {
                    why = e.what();
                }
                std::string end_error;
                exec = api->graph_end(m.device.index, &end_error);
                if (why.empty() && !exec) why = end_error;
                if (!why.empty() && exec) api->graph_destroy(exec);
            }
            if (why.empty()) {
                m.graph_exec = exec;
                m.graph = Impl::Graph::Replay;
                m.graph_status = "replayed";
                api->graph_launch(m.device.index, exec);
            } else {
                m.graph = Impl::Graph::Failed;
                m.graph_status = "not captured: " + why;
                r = m.run(input, target);
            }
        }
    }
    if (m.ce_flag.defined() && m.ce_flag.item<std::int64_t>() != 0) {
        m.zero(m.ce_flag);
        throw Error(detail::concat("CrossEntropyLoss: a target is out of range for ", m.steps.back().shape.back(),
                                   " classes"));
    }
    m.note_thread_timings();
    m.flat->attach_grads();
    if (m.fused_loss) r.loss = r.loss.clone();  // the caller keeps it past the next step
    return r;
}

const std::string& TrainingPlan::cuda_graph_status() const { return impl_->graph_status; }

}  // namespace neura::plan
