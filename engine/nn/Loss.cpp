// Losses composed of differentiable ops; index bookkeeping (targets, ignore_index, class weights) is
// done on the host, where the targets are checked anyway.
#include "neura/nn/Loss.h"

#include <cmath>
#include <vector>

#include "neura/ops/Ops.h"

namespace neura::nn {

std::string to_string(Reduction r) {
    switch (r) {
        case Reduction::None: return "none";
        case Reduction::Mean: return "mean";
        case Reduction::Sum: return "sum";
    }
    return "mean";
}

Reduction reduction_from_string(std::string_view s) {
    if (s == "none") return Reduction::None;
    if (s == "mean") return Reduction::Mean;
    if (s == "sum") return Reduction::Sum;
    throw Error(detail::concat("unknown reduction '", s, "': expected 'none', 'mean' or 'sum'"));
}

namespace {

// `t` in `like`'s dtype and device (class weights, float targets given in the other precision).
Tensor match(const Tensor& t, const Tensor& like) {
    Tensor r = t;
    if (r.dtype() != like.dtype()) r = r.to(like.dtype());
    if (r.device() != like.device()) r = r.to(like.device());
    return r;
}

Tensor reduce(const Tensor& loss, Reduction r) {
    switch (r) {
        case Reduction::None: return loss;
        case Reduction::Sum: return sum(loss);
        case Reduction::Mean: break;
    }
    return mean(loss);
}

void check_floating_input(const Tensor& input, const char* name) {
    NEURA_CHECK(input.defined(), name, ": the input is undefined");
    NEURA_CHECK_TYPE(is_floating(input.dtype()), name, ": the input must be floating point (float32 or float64), got ",
                dtype_name(input.dtype()));
}

// Regression and BCE targets: floating point, same shape as the input.
Tensor check_same_shape_target(const Tensor& input, const Tensor& target, const char* name) {
    check_floating_input(input, name);
    NEURA_CHECK(target.defined(), name, ": the target is undefined");
    NEURA_CHECK(is_floating(target.dtype()), name, ": the target must be floating point (float32 or float64), got ",
                dtype_name(target.dtype()));
    NEURA_CHECK(target.shape() == input.shape(), name, ": target shape ", shape_str(target.shape()),
                " does not match input shape ", shape_str(input.shape()));
    return match(target, input);
}

Tensor check_class_weight(const Tensor& weight, const Tensor& input, std::int64_t classes, const char* name) {
    if (!weight.defined()) return weight;
    NEURA_CHECK(is_floating(weight.dtype()), name, ": the class weight must be floating point, got ",
                dtype_name(weight.dtype()));
    NEURA_CHECK(weight.dim() == 1 && weight.size(0) == classes, name, ": the class weight has shape ",
                shape_str(weight.shape()), " but the input has ", classes, " classes; expected [", classes, "]");
    return match(weight, input).detach();
}

// Class-index targets turned into what the ops need: a gather index with ignored entries sent to class 0,
// the per-element weight (w[t], 0 where ignored), and their host-side totals.
struct ClassTargets {
    Tensor index;       // I64, the input's shape with the class dimension of size 1
    Tensor weight;      // input dtype, the target's shape (after unbatching)
    double total_weight = 0.0;  // sum of the weights of non-ignored elements
    std::int64_t kept = 0;      // number of non-ignored target elements
};

ClassTargets prepare_class_targets(const Tensor& input, const Tensor& target, const Tensor& class_weight,
                                   std::int64_t ignore_index, const char* name) {
    const std::int64_t classes = input.size(1);
    NEURA_CHECK(target.dtype() == DType::I64, name, ": class-index targets must be int64, got ",
                dtype_name(target.dtype()));
    Shape expect = input.shape();
    expect.erase(expect.begin() + 1);
    NEURA_CHECK(target.shape() == expect, name, ": target shape ", shape_str(target.shape()),
                " does not match input shape ", shape_str(input.shape()), "; expected ", shape_str(expect));

    const std::vector<std::int64_t> t = target.to_vector<std::int64_t>();
    std::vector<double> w_class;
    if (class_weight.defined()) w_class = class_weight.to_vector<double>();
    std::vector<std::int64_t> safe(t.size());
    std::vector<double> w(t.size());
    ClassTargets out;
    for (std::size_t i = 0; i < t.size(); ++i) {
        if (t[i] == ignore_index) {
            safe[i] = 0;
            w[i] = 0.0;
            continue;
        }
        NEURA_CHECK(t[i] >= 0 && t[i] < classes, name, ": target ", t[i], " is out of range for ", classes,
                    " classes");
        safe[i] = t[i];
        ++out.kept;
        w[i] = w_class.empty() ? 1.0 : w_class[static_cast<std::size_t>(t[i])];
        out.total_weight += w[i];
    }
    Shape index_shape = target.shape();
    index_shape.insert(index_shape.begin() + 1, 1);
    out.index = Tensor::from_vector(safe, index_shape, DType::I64);
    out.weight = Tensor::from_vector(w, target.shape(), input.dtype());
    if (input.device() != out.index.device()) {
        out.index = out.index.to(input.device());
        out.weight = out.weight.to(input.device());
    }
    return out;
}

// -w[t] * logp[t] per element, reduced as nll_loss does (the mean divides by the total weight).
Tensor nll_from_log_probs(const Tensor& logp, const ClassTargets& ct, Reduction reduction) {
    const Tensor picked = gather(logp, 1, ct.index).squeeze(1);
    const Tensor loss = -(picked * ct.weight);
    switch (reduction) {
        case Reduction::None: return loss;
        case Reduction::Sum: return sum(loss);
        case Reduction::Mean: break;
    }
    return sum(loss) / ct.total_weight;
}

// [C] -> [1, C, 1, ...]: broadcasts over an input of `dims` dimensions with classes at dimension 1.
Tensor class_view(const Tensor& w, std::int64_t dims) {
    Shape s(static_cast<std::size_t>(dims), 1);
    s[1] = w.size(0);
    return w.reshape(s);
}

// Unbatched input [C] (target [] or [C]) becomes a batch of one; the result is squeezed back.
bool unbatch(Tensor& input, Tensor& target) {
    if (input.dim() != 1) return false;
    input = input.unsqueeze(0);
    target = target.unsqueeze(0);
    return true;
}

}  // namespace

// ---------------------------------------------------------------- regression
Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction reduction) {
    const Tensor y = check_same_shape_target(input, target, "MSELoss");
    const Tensor d = input - y;
    return reduce(d * d, reduction);
}

Tensor l1_loss(const Tensor& input, const Tensor& target, Reduction reduction) {
    const Tensor y = check_same_shape_target(input, target, "L1Loss");
    return reduce(abs(input - y), reduction);
}

Tensor huber_loss(const Tensor& input, const Tensor& target, Reduction reduction, double delta) {
    NEURA_CHECK(delta > 0.0, "HuberLoss: delta must be positive, got ", delta);
    const Tensor y = check_same_shape_target(input, target, "HuberLoss");
    const Tensor d = input - y;
    const Tensor a = abs(d);
    // Quadratic inside |d| < delta, linear outside: the branch taken by PyTorch at |d| == delta is linear.
    const Tensor loss = where(lt(a, scalar_like(delta, a)), 0.5 * d * d, delta * (a - 0.5 * delta));
    return reduce(loss, reduction);
}

// ---------------------------------------------------------------- classification
Tensor nll_loss(const Tensor& input_in, const Tensor& target_in, const NLLOptions& options) {
    const char* name = "NLLLoss";
    check_floating_input(input_in, name);
    NEURA_CHECK(target_in.defined(), name, ": the target is undefined");
    Tensor input = input_in, target = target_in;
    NEURA_CHECK(input.dim() >= 1, name, ": the input must be [C], [N, C] or [N, C, d1, ...], got a 0-d tensor");
    const bool unbatched = unbatch(input, target);
    const Tensor w = check_class_weight(options.weight, input, input.size(1), name);
    const ClassTargets ct = prepare_class_targets(input, target, w, options.ignore_index, name);
    Tensor loss = nll_from_log_probs(input, ct, options.reduction);
    if (unbatched && options.reduction == Reduction::None) loss = loss.squeeze(0);
    return loss;
}

Tensor cross_entropy(const Tensor& input_in, const Tensor& target_in, const CrossEntropyOptions& options) {
    const char* name = "CrossEntropyLoss";
    check_floating_input(input_in, name);
    NEURA_CHECK(target_in.defined(), name, ": the target is undefined");
    NEURA_CHECK(input_in.dim() >= 1, name,
                ": the input must be logits [C], [N, C] or [N, C, d1, ...], got a 0-d tensor");
    NEURA_CHECK(options.label_smoothing >= 0.0 && options.label_smoothing <= 1.0, name,
                ": label_smoothing must be in [0, 1], got ", options.label_smoothing);
    const bool probabilities = is_floating(target_in.dtype());
    NEURA_CHECK(!probabilities || target_in.shape() == input_in.shape(), name, ": a floating-point target holds ",
                "class probabilities and must have the input's shape ", shape_str(input_in.shape()), ", got ",
                shape_str(target_in.shape()), "; class-index targets must be int64");
    Tensor input = input_in, target = target_in;
    const bool unbatched = unbatch(input, target);
    const std::int64_t classes = input.size(1);
    const Tensor w = check_class_weight(options.weight, input, classes, name);
    const double eps = options.label_smoothing;
    const Tensor logp = log_softmax(input, 1);
    Tensor loss;

    if (probabilities) {
        Tensor y = match(target, input);
        if (eps > 0.0) y = y * (1.0 - eps) + eps / static_cast<double>(classes);
        Tensor terms = logp * y;
        if (w.defined()) terms = terms * class_view(w, input.dim());
        const Tensor per = -sum(terms, {1});
        switch (options.reduction) {
            case Reduction::None: loss = per; break;
            case Reduction::Sum: loss = sum(per); break;
            case Reduction::Mean: loss = sum(per) / static_cast<double>(per.numel()); break;
        }
    } else {
        const ClassTargets ct = prepare_class_targets(input, target, w, options.ignore_index, name);
        loss = nll_from_log_probs(logp, ct, options.reduction);
        if (eps > 0.0) {
            // PyTorch's label smoothing: (1 - eps) * nll + eps / C * (-sum_c w_c logp_c), the smoothing
            // term zero where ignored; its mean divides by the total weight, or without class weights by
            // the number of targets not ignored.
            Tensor terms = w.defined() ? logp * class_view(w, input.dim()) : logp;
            Tensor smooth = -sum(terms, {1});
            const Tensor t = target.device() == input.device() ? target : target.to(input.device());
            const Tensor kept = ne(t, scalar_like(static_cast<double>(options.ignore_index), t));
            smooth = where(kept, smooth, Tensor::zeros_like(smooth));
            Tensor smooth_red;
            switch (options.reduction) {
                case Reduction::None: smooth_red = smooth; break;
                case Reduction::Sum: smooth_red = sum(smooth); break;
                case Reduction::Mean:
                    smooth_red = w.defined() ? sum(smooth) / ct.total_weight
                                             : sum(smooth) / static_cast<double>(ct.kept);
                    break;
            }
            loss = (1.0 - eps) * loss + smooth_red * (eps / static_cast<double>(classes));
        }
    }
    if (unbatched && options.reduction == Reduction::None) loss = loss.squeeze(0);
    return loss;
}

Tensor binary_cross_entropy_with_logits(const Tensor& input, const Tensor& target,
                                        const BCEWithLogitsOptions& options) {
    const char* name = "BCEWithLogitsLoss";
    const Tensor y = check_same_shape_target(input, target, name);
    // softplus(-x) = log(exp(-m) + exp(-x - m)) + m for any m; m = max(-x, 0) keeps both exponents <= 0.
    // The gradient with respect to m cancels, so the subgradient of the clamp never matters.
    const Tensor m = relu(-input);
    const Tensor softplus_neg = log(exp(-m) + exp(-input - m)) + m;
    Tensor loss;
    if (options.pos_weight.defined()) {
        NEURA_CHECK(is_floating(options.pos_weight.dtype()), name, ": pos_weight must be floating point, got ",
                    dtype_name(options.pos_weight.dtype()));
        const Tensor pw = match(options.pos_weight, input).detach();
        NEURA_CHECK(input.dim() >= 1 && (pw.dim() == 0 || (pw.dim() == 1 && (pw.size(0) == input.size(-1) ||
                                                                            pw.size(0) == 1))),
                    name, ": pos_weight has shape ", shape_str(pw.shape()), " but must broadcast along the last ",
                    "dimension of the input ", shape_str(input.shape()));
        const Tensor log_weight = (pw - 1.0) * y + 1.0;
        loss = (1.0 - y) * input + log_weight * softplus_neg;
    } else {
        loss = (1.0 - y) * input + softplus_neg;
    }
    if (options.weight.defined()) {
        NEURA_CHECK(is_floating(options.weight.dtype()), name, ": weight must be floating point, got ",
                    dtype_name(options.weight.dtype()));
        const Tensor w = match(options.weight, input).detach();
        bool broadcasts = w.dim() <= input.dim();
        for (std::int64_t i = 1; broadcasts && i <= w.dim(); ++i)
            broadcasts = w.size(-i) == 1 || w.size(-i) == input.size(-i);
        NEURA_CHECK(broadcasts, name, ": weight of shape ", shape_str(w.shape()),
                    " does not broadcast to the input shape ", shape_str(input.shape()));
        loss = loss * w;
    }
    return reduce(loss, options.reduction);
}

// ---------------------------------------------------------------- modules
HuberLoss::HuberLoss(Reduction reduction, double delta) : Loss(reduction), delta(delta) {}

CrossEntropyLoss::CrossEntropyLoss(const CrossEntropyOptions& o)
    : Loss(o.reduction), weight(o.weight), ignore_index(o.ignore_index), label_smoothing(o.label_smoothing) {}

NLLLoss::NLLLoss(const NLLOptions& o) : Loss(o.reduction), weight(o.weight), ignore_index(o.ignore_index) {}

BCEWithLogitsLoss::BCEWithLogitsLoss(const BCEWithLogitsOptions& o)
    : Loss(o.reduction), weight(o.weight), pos_weight(o.pos_weight) {}

Tensor MSELoss::forward(const Tensor& input, const Tensor& target) { return mse_loss(input, target, reduction); }
Tensor L1Loss::forward(const Tensor& input, const Tensor& target) { return l1_loss(input, target, reduction); }
Tensor HuberLoss::forward(const Tensor& input, const Tensor& target) {
    return huber_loss(input, target, reduction, delta);
}
Tensor CrossEntropyLoss::forward(const Tensor& input, const Tensor& target) {
    return cross_entropy(input, target, {weight, ignore_index, reduction, label_smoothing});
}
Tensor NLLLoss::forward(const Tensor& input, const Tensor& target) {
    return nll_loss(input, target, {weight, ignore_index, reduction});
}
Tensor BCEWithLogitsLoss::forward(const Tensor& input, const Tensor& target) {
    return binary_cross_entropy_with_logits(input, target, {weight, pos_weight, reduction});
}

// ---------------------------------------------------------------------------------- by name
namespace {
template <class Options>
Options with_reduction(Reduction reduction) {
    Options o;
    o.reduction = reduction;
    return o;
}
}  // namespace

const std::vector<LossKind>& loss_kinds() {
    static const std::vector<LossKind> kKinds = {
        {"CrossEntropyLoss", true, "classes (a score per class in)",
         [](const LossSettings& s) {
             auto o = with_reduction<CrossEntropyOptions>(s.reduction);
             o.label_smoothing = s.label_smoothing;
             o.ignore_index = s.ignore_index;
             return std::make_shared<CrossEntropyLoss>(o);
         }},
        {"MSELoss", false, "values", [](const LossSettings& s) { return std::make_shared<MSELoss>(s.reduction); }},
        {"L1Loss", false, "values, less swayed by outliers",
         [](const LossSettings& s) { return std::make_shared<L1Loss>(s.reduction); }},
        {"HuberLoss", false, "values, squared near the target and linear past delta",
         [](const LossSettings& s) { return std::make_shared<HuberLoss>(s.reduction, s.delta); }},
        {"NLLLoss", true, "classes (log-probabilities in)",
         [](const LossSettings& s) {
             auto o = with_reduction<NLLOptions>(s.reduction);
             o.ignore_index = s.ignore_index;
             return std::make_shared<NLLLoss>(o);
         }},
        {"BCEWithLogitsLoss", false, "independent yes/no outputs (logits in)",
         [](const LossSettings& s) {
             return std::make_shared<BCEWithLogitsLoss>(with_reduction<BCEWithLogitsOptions>(s.reduction));
         }},
    };
    return kKinds;
}

const LossKind* find_loss_kind(std::string_view name) {
    for (const LossKind& k : loss_kinds())
        if (k.name == name) return &k;
    return nullptr;
}

}  // namespace neura::nn
