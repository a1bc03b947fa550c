// The built-in layer types: each layer's palette entry, ports, attributes, shape rule, parameter
// count, builder and ONNX mapping sit together, one register_* function per layer family.
#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <tuple>
#include <type_traits>

#include "neura/autograd/GradMode.h"
#include "neura/core/Error.h"
#include "neura/graph/LayerRegistry.h"
#include "neura/graph/Network.h"
#include "neura/nn/Attention.h"
#include "neura/nn/Layers.h"
#include "neura/nn/Loss.h"
#include "neura/nn/Recurrent.h"
#include "neura/nn/Sequence.h"
#include "neura/export/PyTorchLayer.h"
#include "neura/onnx/NodeExporter.h"
#include "neura/onnx/RecurrentLayout.h"

namespace neura::graph {

const std::vector<std::string>& loss_types() {
    static const std::vector<std::string> kTypes = [] {
        std::vector<std::string> names;
        for (const nn::LossKind& k : nn::loss_kinds()) names.push_back(k.name);
        return names;
    }();
    return kTypes;
}

std::shared_ptr<nn::Loss> make_loss(const AttributeMap& attributes) {
    const AttributeMap a = LayerRegistry::instance().at("Loss").resolve(attributes);
    const std::string& type = choice_attribute(a, "type");
    const nn::LossKind* kind = nn::find_loss_kind(type);
    NEURA_CHECK(kind, "unknown loss type \"", type, "\"");
    nn::LossSettings s;
    s.reduction = nn::reduction_from_string(choice_attribute(a, "reduction"));
    s.delta = float_attribute(a, "delta");
    s.label_smoothing = float_attribute(a, "label_smoothing");
    s.ignore_index = int_attribute(a, "ignore_index");
    return kind->make(s);
}

namespace {

using detail::concat;
using IntList = std::vector<std::int64_t>;

// ---- attribute schema helpers ----

AttributeSpec spec(std::string name, AttributeType type, AttributeValue def, std::string help) {
    AttributeSpec a;
    a.name = std::move(name);
    a.type = type;
    a.default_value = std::move(def);
    a.help = std::move(help);
    return a;
}

AttributeSpec int_attr(std::string name, std::int64_t def, std::optional<double> min, std::string help) {
    AttributeSpec a = spec(std::move(name), AttributeType::Int, def, std::move(help));
    a.min = min;
    return a;
}

AttributeSpec float_attr(std::string name, double def, std::optional<double> min, std::optional<double> max,
                         std::string help) {
    AttributeSpec a = spec(std::move(name), AttributeType::Float, def, std::move(help));
    a.min = min;
    a.max = max;
    return a;
}

AttributeSpec bool_attr(std::string name, bool def, std::string help) {
    return spec(std::move(name), AttributeType::Bool, def, std::move(help));
}

AttributeSpec choice_attr(std::string name, std::string def, std::vector<std::string> choices, std::string help) {
    AttributeSpec a = spec(std::move(name), AttributeType::Choice, std::move(def), std::move(help));
    a.choices = std::move(choices);
    return a;
}

AttributeSpec list_attr(std::string name, IntList def, std::size_t min_len, std::size_t max_len,
                        std::optional<double> min, std::string help) {
    AttributeSpec a = spec(std::move(name), AttributeType::IntList, std::move(def), std::move(help));
    a.min_length = min_len;
    a.max_length = max_len;
    a.min = min;
    return a;
}

// ---- shape helpers (shapes per sample; dims as in PyTorch count the batch as dim 0) ----

std::string hw(std::int64_t h, std::int64_t w) { return concat(h, "x", w); }

// A 1- or 2-element int list as (height, width); empty gives `fallback`.
std::pair<std::int64_t, std::int64_t> pair_of(const IntList& l, std::pair<std::int64_t, std::int64_t> fallback = {0, 0}) {
    if (l.empty()) return fallback;
    return {l[0], l.size() > 1 ? l[1] : l[0]};
}

// Normalizes a PyTorch dim against a batch of per-sample rank r (full rank r + 1).
std::optional<std::int64_t> full_dim(std::int64_t dim, std::size_t per_sample_rank) {
    const auto full = static_cast<std::int64_t>(per_sample_rank) + 1;
    if (dim < -full || dim >= full) return std::nullopt;
    return dim < 0 ? dim + full : dim;
}

std::string dim_range(std::size_t per_sample_rank) {
    const auto full = static_cast<std::int64_t>(per_sample_rank) + 1;
    return concat(-full, " to ", full - 1);
}

ShapeResult same_shape(const AttributeMap&, const std::vector<Shape>& in) { return ShapeResult::ok({in.at(0)}); }

// ---- multiply-accumulates per sample (docs/model-costs.md) ----

// Layers without multiplies worth counting: activations, dropout, reshapes, merges, lookups.
std::int64_t no_macs(const AttributeMap&, const std::vector<Shape>&, const std::vector<Shape>&) { return 0; }
// One multiply-add per input element: normalizations (their affine step at inference) and means.
std::int64_t macs_per_input(const AttributeMap&, const std::vector<Shape>& in, const std::vector<Shape>&) {
    return shape_numel(in.at(0));
}
// A recurrent layer over [T, F]: each step of each layer and direction multiplies its input (F, then the
// previous layer's features) and its hidden state by `gates` weight matrices.
MacCount recurrent_macs(std::int64_t gates) {
    return [gates](const AttributeMap& a, const std::vector<Shape>& in, const std::vector<Shape>&) {
        const std::int64_t steps = in.at(0)[0], hidden = int_attribute(a, "hidden_size");
        const std::int64_t dirs = bool_attribute(a, "bidirectional") ? 2 : 1;
        std::int64_t features = in.at(0)[1], total = 0;
        for (std::int64_t l = 0; l < int_attribute(a, "num_layers"); ++l) {
            total += dirs * steps * gates * (features * hidden + hidden * hidden);
            features = dirs * hidden;
        }
        return total;
    };
}
// Self-attention over [T, E]: the query, key, value and output projections (4 T E^2), then the scores
// Q K^T and their weighted sum of values (2 T^2 E).
std::int64_t self_attention_macs(const Shape& x) { return 4 * x[0] * x[1] * x[1] + 2 * x[0] * x[0] * x[1]; }

// A layer's palette entry with one input port (the repeated one of a variadic layer) and one output.
LayerDescriptor layer(std::string type, std::string category, std::string help, PortKind input = PortKind::Tensor) {
    LayerDescriptor d;
    d.type = std::move(type);
    d.category = std::move(category);
    d.help = std::move(help);
    d.inputs = {{"input", input}};
    d.outputs = {{"output", PortKind::Tensor}};
    d.macs = no_macs;
    return d;
}

// ---- modules ----

// M made from `args`, with the generator appended when M's constructor takes one.
template <class M, class... A>
std::shared_ptr<nn::Module> construct(Generator& gen, const A&... args) {
    if constexpr (std::is_constructible_v<M, const A&..., Generator*>) return std::make_shared<M>(args..., &gen);
    else return std::make_shared<M>(args...);
}

// A layer's module, from one function giving its constructor's arguments from the node's attributes
// and input shapes, as a tuple, all of them but the generator (a missing defaulted bool would take
// the generator pointer): `build` makes M from them and, for a module with parameters,
// `parameter_count` counts M::parameter_specs of the same arguments, the list M's constructor
// registers. A layer's parameter count is never written apart from its module.
template <class M, class Args>
void set_module(LayerDescriptor& d, Args args) {
    d.build = [args](const AttributeMap& a, const std::vector<Shape>& in, Generator& gen) {
        return std::apply([&gen](const auto&... xs) { return construct<M>(gen, xs...); }, args(a, in));
    };
    if constexpr (requires { &M::parameter_specs; })
        d.parameter_count = [args](const AttributeMap& a, const std::vector<Shape>& in) {
            return nn::parameter_numel(std::apply(&M::parameter_specs, args(a, in)));
        };
}

std::tuple<> no_arguments(const AttributeMap&, const std::vector<Shape>&) { return {}; }

// ---- ONNX helpers (opset 17) ----

using onnx::NodeExporter;
using onnx::OnnxAttribute;

// An op with the node's input and output and fixed attributes (Relu, Sigmoid, ...).
OnnxExport onnx_unary(std::string op_type, std::vector<OnnxAttribute> attrs = {}) {
    return [op_type = std::move(op_type), attrs = std::move(attrs)](NodeExporter& e) {
        e.op(op_type, {e.input()}, attrs, e.output());
    };
}

// ONNX's pads: begin values of every spatial axis, then end values.
IntList onnx_pads(std::int64_t h, std::int64_t w) { return {h, w, h, w}; }

// x W^T (+ b) over the last dimension of a [batch, ..., in] value: MatMul with the transposed weight, then
// Add (Gemm takes 2-D inputs only). `suffix` names the initializers ("<suffix>weight_t", "<suffix>bias").
std::string onnx_matmul_linear(NodeExporter& e, const std::string& x, const Tensor& weight, const Tensor& bias,
                               const std::string& suffix, const std::string& out = {}) {
    const std::string wt = e.initializer(suffix + "weight_t", weight.t().contiguous());
    if (!bias.defined()) return e.op("MatMul", {x, wt}, {}, out);
    return e.op("Add", {e.op("MatMul", {x, wt}), e.initializer(suffix + "bias", bias)}, {}, out);
}

// LayerNormalization over m's normalized_shape (opset 17), ones as the scale without elementwise_affine.
std::string onnx_layer_norm(NodeExporter& e, const nn::LayerNorm& m, const std::string& x, const std::string& suffix,
                            const std::string& out = {}) {
    const Shape& ns = m.normalized_shape;
    std::vector<std::string> ins = {x};
    ins.push_back(m.weight.defined() ? e.initializer(suffix + "weight", m.weight)
                                     : e.constant_f32(suffix + "weight", std::vector<float>(shape_numel(ns), 1.0f), ns));
    if (m.bias.defined()) ins.push_back(e.initializer(suffix + "bias", m.bias));
    return e.op("LayerNormalization", ins, {{"axis", -static_cast<std::int64_t>(ns.size())}, {"epsilon", m.eps}}, out);
}

// GELU, exact: opset 17 has no Gelu op, so 0.5 * x * (1 + erf(x / sqrt(2))), as torch.onnx writes it.
std::string onnx_gelu(NodeExporter& e, const std::string& x, const std::string& out = {}) {
    const std::string scaled = e.op("Div", {x, e.constant_f32("sqrt2", {static_cast<float>(std::sqrt(2.0))}, {1})});
    const std::string plus1 = e.op("Add", {e.op("Erf", {scaled}), e.constant_f32("one", {1.0f}, {1})});
    return e.op("Mul", {e.op("Mul", {x, plus1}), e.constant_f32("half", {0.5f}, {1})}, {}, out);
}

// ---- PyTorch helpers (model.py of `neura export-torch`) ----

using pytorch::PyTorchLayer;
using pytorch::PyTorchNode;
using pytorch::py_bool;
using pytorch::py_float;
using pytorch::py_ints;
using pytorch::py_str;

// A module built from a fixed expression and called on the node's input (nn.ReLU(), ...).
PyTorchExport pytorch_module(std::string expression) {
    return [expression = std::move(expression)](const PyTorchNode&) {
        PyTorchLayer l;
        l.module = expression;
        return l;
    };
}

// A module-less layer: a forward expression only ("{0}[:, -1]").
PyTorchExport pytorch_expression(std::string call) {
    return [call = std::move(call)](const PyTorchNode&) {
        PyTorchLayer l;
        l.call = call;
        return l;
    };
}

// ", name=value" when value differs from PyTorch's default: keyword arguments a reader needs to see.
std::string py_kw(const char* name, const std::string& value, const std::string& pytorch_default) {
    return value == pytorch_default ? std::string() : concat(", ", name, "=", value);
}

// ---- IO and Loss ----

void register_io(LayerRegistry& r) {
    LayerDescriptor input;
    input.type = "Input";
    input.category = "IO";
    input.help = "The dataset's features, one sample at a time; a batch adds a leading dimension.";
    input.macs = no_macs;
    input.outputs = {{"output", PortKind::Tensor}};
    input.attributes = {list_attr("shape", {2}, 1, 8, 1,
                                  "Features per sample, without the batch dimension: [2] for points, "
                                  "[1, 8, 8] for 8x8 grey images. Set from the dataset.")};
    input.shape = [](const AttributeMap& a, const std::vector<Shape>&) {
        return ShapeResult::ok({int_list_attribute(a, "shape")});
    };
    r.add(std::move(input));

    LayerDescriptor loss;
    loss.type = "Loss";
    loss.category = "Loss";
    loss.help = "Compares the model's output with the dataset's targets; training minimizes it.";
    loss.macs = no_macs;  // training's cost, not the model's
    loss.inputs = {{"input", PortKind::Tensor}, {"target", PortKind::DataTarget}};
    std::string uses;
    for (const nn::LossKind& k : nn::loss_kinds()) uses += concat(uses.empty() ? "" : "; ", k.name, " for ", k.use);
    const nn::LossSettings defaults;
    loss.attributes = {
        choice_attr("type", loss_types().front(), loss_types(), uses + "."),
        choice_attr("reduction", nn::to_string(defaults.reduction), {"mean", "sum"},
                    "Average or sum of the per-element losses."),
        float_attr("delta", defaults.delta, 1e-12, std::nullopt,
                   "HuberLoss only: where the loss turns from squared to linear."),
        float_attr("label_smoothing", defaults.label_smoothing, 0.0, 1.0,
                   "CrossEntropyLoss only: weight moved from the true class to all classes evenly."),
        int_attr("ignore_index", defaults.ignore_index, std::nullopt,
                 "CrossEntropyLoss and NLLLoss: targets equal to it (padding steps) count nothing."),
    };
    loss.shape = [](const AttributeMap& a, const std::vector<Shape>& in) {
        const std::string& type = choice_attribute(a, "type");
        const nn::LossKind* kind = nn::find_loss_kind(type);
        if (kind && kind->class_scores && in.at(0).empty())
            return ShapeResult::fail(concat(type, " needs a score per class for each sample, gets a single value "
                                                  "per sample; end the model with Linear(out_features = classes)"));
        return ShapeResult::ok({});
    };
    r.add(std::move(loss));
}

// ---- Core ----

void register_core(LayerRegistry& r) {
    LayerDescriptor linear = layer("Linear", "Core", "y = x W^T + b over the last dimension.");
    linear.attributes = {
        int_attr("in_features", 0, 0, "Size of the input's last dimension; 0 (auto) takes it from the input."),
        int_attr("out_features", 64, 1, "Size of the output's last dimension."),
        bool_attr("bias", true, "Learn an additive bias."),
    };
    linear.shape = [](const AttributeMap& a, const std::vector<Shape>& in) {
        const Shape& x = in.at(0);
        if (x.empty()) return ShapeResult::fail("Linear needs a feature dimension, its input has a single value per sample");
        const std::int64_t want = int_attribute(a, "in_features");
        if (want > 0 && x.back() != want)
            return ShapeResult::fail(concat("Linear expects ", want, " input features, gets ", x.back()));
        Shape y = x;
        y.back() = int_attribute(a, "out_features");
        return ShapeResult::ok({y});
    };
    set_module<nn::Linear>(linear, [](const AttributeMap& a, const std::vector<Shape>& in) {
        return std::tuple{in.at(0).back(), int_attribute(a, "out_features"), bool_attribute(a, "bias")};
    });
    // Each output element is a dot product over in_features (the bias add is not a multiply).
    linear.macs = [](const AttributeMap&, const std::vector<Shape>& in, const std::vector<Shape>& out) {
        return shape_numel(out.at(0)) * in.at(0).back();
    };
    linear.onnx = [](NodeExporter& e) {
        const auto& m = e.module<nn::Linear>();
        if (e.input_shapes().at(0).size() == 1) {  // [batch, in]: Gemm(x, W, b) with transB
            std::vector<std::string> ins = {e.input(), e.initializer("weight", m.weight)};
            if (m.bias.defined()) ins.push_back(e.initializer("bias", m.bias));
            e.op("Gemm", ins, {{"transB", std::int64_t{1}}}, e.output());
            return;
        }
        onnx_matmul_linear(e, e.input(), m.weight, m.bias, "", e.output());  // Gemm takes 2-D inputs only
    };
    linear.pytorch = [](const PyTorchNode& n) {
        PyTorchLayer l;
        l.module = concat("nn.Linear(", n.input_shapes.at(0).back(), ", ", int_attribute(n.attributes, "out_features"),
                          py_kw("bias", py_bool(bool_attribute(n.attributes, "bias")), "True"), ")");
        return l;
    };
    r.add(std::move(linear));

    LayerDescriptor dropout = layer("Dropout", "Core",
                                    "While training, zeroes each element with probability p and scales the rest "
                                    "by 1/(1-p).");
    dropout.attributes = {float_attr("p", nn::Dropout::kP, 0.0, 1.0, "Probability of an element to be zeroed.")};
    dropout.shape = same_shape;
    set_module<nn::Dropout>(dropout, [](const AttributeMap& a, const std::vector<Shape>&) {
        return std::tuple{float_attribute(a, "p")};
    });
    dropout.onnx = [](NodeExporter& e) { e.pass_through(); };  // the identity in eval mode: no op
    dropout.pytorch = [](const PyTorchNode& n) {
        PyTorchLayer l;
        l.module = concat("nn.Dropout(p=", py_float(float_attribute(n.attributes, "p")), ")");
        return l;
    };
    r.add(std::move(dropout));

    LayerDescriptor flatten =
        layer("Flatten", "Core", "Merges dimensions start_dim..end_dim into one (dim 0 is the batch).");
    flatten.attributes = {
        int_attr("start_dim", nn::Flatten::kStartDim, std::nullopt, "First dimension to merge; 1 is the first after the batch."),
        int_attr("end_dim", nn::Flatten::kEndDim, std::nullopt, "Last dimension to merge; -1 is the last."),
    };
    flatten.shape = [](const AttributeMap& a, const std::vector<Shape>& in) {
        const Shape& x = in.at(0);
        const auto s = full_dim(int_attribute(a, "start_dim"), x.size());
        const auto e = full_dim(int_attribute(a, "end_dim"), x.size());
        if (!s || !e)
            return ShapeResult::fail(concat("Flatten dims must be in ", dim_range(x.size()), " for a ", x.size() + 1,
                                            "-dimensional batch, got start_dim ", int_attribute(a, "start_dim"),
                                            " and end_dim ", int_attribute(a, "end_dim")));
        if (*s == 0) return ShapeResult::fail("Flatten start_dim 0 would merge the samples of a batch; use 1");
        if (*s > *e)
            return ShapeResult::fail(concat("Flatten start_dim (", *s, ") comes after end_dim (", *e, ")"));
        Shape y(x.begin(), x.begin() + (*s - 1));
        std::int64_t merged = 1;
        for (auto d = *s; d <= *e; ++d) merged *= x[static_cast<std::size_t>(d - 1)];
        y.push_back(merged);
        y.insert(y.end(), x.begin() + *e, x.end());
        return ShapeResult::ok({y});
    };
    set_module<nn::Flatten>(flatten, [](const AttributeMap& a, const std::vector<Shape>&) {
        return std::tuple{int_attribute(a, "start_dim"), int_attribute(a, "end_dim")};
    });
    flatten.onnx = [](NodeExporter& e) {
        const std::size_t rank = e.input_shapes().at(0).size();
        const auto s = full_dim(int_attribute(e.attributes(), "start_dim"), rank);
        const auto end = full_dim(int_attribute(e.attributes(), "end_dim"), rank);
        if (s == 1 && end == static_cast<std::int64_t>(rank)) {  // everything after the batch: ONNX Flatten
            e.op("Flatten", {e.input()}, {{"axis", std::int64_t{1}}}, e.output());
            return;
        }
        // ONNX Flatten always gives 2-D; other ranges are a Reshape keeping the batch (0 copies it).
        IntList target = {0};
        target.insert(target.end(), e.output_shape().begin(), e.output_shape().end());
        const std::string shape = e.constant_i64("shape", target, {static_cast<std::int64_t>(target.size())});
        e.op("Reshape", {e.input(), shape}, {}, e.output());
    };
    flatten.pytorch = [](const PyTorchNode& n) {
        PyTorchLayer l;
        l.module = concat("nn.Flatten(", int_attribute(n.attributes, "start_dim"), ", ", int_attribute(n.attributes, "end_dim"), ")");
        return l;
    };
    r.add(std::move(flatten));

    LayerDescriptor embedding =
        layer("Embedding", "Core", "Looks up a learned vector for each integer index.", PortKind::Indices);
    embedding.attributes = {
        int_attr("num_embeddings", 1000, 1, "Number of distinct indices (vocabulary size); indices are 0 to this - 1."),
        int_attr("embedding_dim", 16, 1, "Size of each vector."),
    };
    embedding.shape = [](const AttributeMap& a, const std::vector<Shape>& in) {
        Shape y = in.at(0);
        y.push_back(int_attribute(a, "embedding_dim"));
        return ShapeResult::ok({y});
    };
    set_module<nn::Embedding>(embedding, [](const AttributeMap& a, const std::vector<Shape>&) {
        return std::tuple{int_attribute(a, "num_embeddings"), int_attribute(a, "embedding_dim")};
    });
    embedding.onnx = [](NodeExporter& e) {
        // The input arrives as FLOAT, as in the engine, which converts it to I64 indices (truncating).
        const std::string indices = e.op("Cast", {e.input()}, {{"to", std::int64_t{7}}});  // INT64
        e.op("Gather", {e.initializer("weight", e.module<nn::Embedding>().weight), indices},
             {{"axis", std::int64_t{0}}}, e.output());
    };
    embedding.pytorch = [](const PyTorchNode& n) {
        PyTorchLayer l;
        l.module = concat("nn.Embedding(", int_attribute(n.attributes, "num_embeddings"), ", ",
                          int_attribute(n.attributes, "embedding_dim"), ")");
        l.call = "{self}({0}.long())";  // indices may arrive as floats, as in the engine (truncated)
        return l;
    };
    r.add(std::move(embedding));
}

// ---- Convolution and pooling ([channels, height, width] per sample) ----

std::optional<std::string> need_image(const char* layer, const Shape& x) {
    if (x.size() == 3) return std::nullopt;
    return concat(layer, " expects [channels, height, width] per sample, gets ", shape_str(x));
}

// Conv2d's options from a node: in_channels from the input [channels, height, width].
nn::Conv2dOptions conv_options(const AttributeMap& a, const Shape& x) {
    nn::Conv2dOptions o;
    o.in_channels = x.at(0);
    o.out_channels = int_attribute(a, "out_channels");
    std::tie(o.kernel_h, o.kernel_w) = pair_of(int_list_attribute(a, "kernel_size"));
    std::tie(o.stride_h, o.stride_w) = pair_of(int_list_attribute(a, "stride"));
    std::tie(o.padding_h, o.padding_w) = pair_of(int_list_attribute(a, "padding"));
    std::tie(o.dilation_h, o.dilation_w) = pair_of(int_list_attribute(a, "dilation"));
    o.groups = int_attribute(a, "groups");
    o.bias = bool_attribute(a, "bias");
    return o;
}

void register_convolution(LayerRegistry& r) {
    LayerDescriptor conv = layer("Conv2d", "Convolution", "2-D convolution over [channels, height, width] inputs.");
    const nn::Conv2dOptions def;
    conv.attributes = {
        int_attr("in_channels", 0, 0, "Input channels; 0 (auto) takes them from the input."),
        int_attr("out_channels", 16, 1, "Output channels (number of filters)."),
        list_attr("kernel_size", {def.kernel_h, def.kernel_w}, 1, 2, 1,
                  "Kernel height and width; one value for a square kernel."),
        list_attr("stride", {def.stride_h, def.stride_w}, 1, 2, 1, "Step between kernel positions."),
        list_attr("padding", {def.padding_h, def.padding_w}, 1, 2, 0, "Zeros added on each side."),
        list_attr("dilation", {def.dilation_h, def.dilation_w}, 1, 2, 1, "Spacing between kernel elements."),
        int_attr("groups", def.groups, 1, "Split channels into this many independent groups."),
        bool_attr("bias", def.bias, "Learn an additive bias per output channel."),
    };
    conv.shape = [](const AttributeMap& a, const std::vector<Shape>& in) {
        const Shape& x = in.at(0);
        if (auto e = need_image("Conv2d", x)) return ShapeResult::fail(*e);
        const nn::Conv2dOptions o = conv_options(a, x);
        const std::int64_t want = int_attribute(a, "in_channels");
        if (want > 0 && o.in_channels != want)
            return ShapeResult::fail(concat("Conv2d expects ", want, " input channels, gets ", o.in_channels));
        if (o.in_channels % o.groups != 0)
            return ShapeResult::fail(
                concat("Conv2d groups (", o.groups, ") must divide the input channels (", o.in_channels, ")"));
        if (o.out_channels % o.groups != 0)
            return ShapeResult::fail(
                concat("Conv2d groups (", o.groups, ") must divide out_channels (", o.out_channels, ")"));
        const std::int64_t eh = o.dilation_h * (o.kernel_h - 1) + 1, ew = o.dilation_w * (o.kernel_w - 1) + 1;
        const std::int64_t ih = x[1] + 2 * o.padding_h, iw = x[2] + 2 * o.padding_w;
        if (eh > ih || ew > iw)
            return ShapeResult::fail(concat("Conv2d kernel ", hw(eh, ew), " is larger than its ",
                                            (o.padding_h || o.padding_w ? "padded " : ""), "input ", hw(ih, iw)));
        return ShapeResult::ok({{o.out_channels, (ih - eh) / o.stride_h + 1, (iw - ew) / o.stride_w + 1}});
    };
    set_module<nn::Conv2d>(conv, [](const AttributeMap& a, const std::vector<Shape>& in) {
        return std::tuple{conv_options(a, in.at(0))};
    });
    // Each output element sums its group's in_channels / groups channels over the kernel window (stride and
    // dilation change how many outputs there are, not the work per output).
    conv.macs = [](const AttributeMap& a, const std::vector<Shape>& in, const std::vector<Shape>& out) {
        const nn::Conv2dOptions o = conv_options(a, in.at(0));
        return shape_numel(out.at(0)) * (o.in_channels / o.groups) * o.kernel_h * o.kernel_w;
    };
    conv.onnx = [](NodeExporter& e) {
        const auto& m = e.module<nn::Conv2d>();
        const nn::Conv2dOptions& o = m.options;
        std::vector<std::string> ins = {e.input(), e.initializer("weight", m.weight)};
        if (m.bias.defined()) ins.push_back(e.initializer("bias", m.bias));
        e.op("Conv", ins,
             {{"kernel_shape", IntList{o.kernel_h, o.kernel_w}},
              {"strides", IntList{o.stride_h, o.stride_w}},
              {"pads", onnx_pads(o.padding_h, o.padding_w)},
              {"dilations", IntList{o.dilation_h, o.dilation_w}},
              {"group", o.groups}},
             e.output());
    };
    conv.pytorch = [](const PyTorchNode& n) {
        const nn::Conv2dOptions o = conv_options(n.attributes, n.input_shapes.at(0));
        PyTorchLayer l;
        l.module = concat("nn.Conv2d(", o.in_channels, ", ", o.out_channels, ", kernel_size=", py_ints({o.kernel_h, o.kernel_w}),
                          py_kw("stride", py_ints({o.stride_h, o.stride_w}), "(1, 1)"),
                          py_kw("padding", py_ints({o.padding_h, o.padding_w}), "(0, 0)"),
                          py_kw("dilation", py_ints({o.dilation_h, o.dilation_w}), "(1, 1)"),
                          py_kw("groups", std::to_string(o.groups), "1"), py_kw("bias", py_bool(o.bias), "True"), ")");
        return l;
    };
    r.add(std::move(conv));
}

// A pooling layer's options from a node; no stride: the kernel size.
nn::Pool2dOptions pool_options(const AttributeMap& a) {
    nn::Pool2dOptions o;
    std::tie(o.kernel_h, o.kernel_w) = pair_of(int_list_attribute(a, "kernel_size"));
    std::tie(o.stride_h, o.stride_w) = pair_of(int_list_attribute(a, "stride"), {o.kernel_h, o.kernel_w});
    std::tie(o.padding_h, o.padding_w) = pair_of(int_list_attribute(a, "padding"));
    return o;
}

template <class Pool>
LayerDescriptor pool_descriptor(const char* type, const char* help) {
    LayerDescriptor d = layer(type, "Pooling", help);
    const nn::Pool2dOptions def;  // its stride 0 (the kernel size) is the empty list here
    d.attributes = {
        list_attr("kernel_size", {def.kernel_h, def.kernel_w}, 1, 2, 1,
                  "Window height and width; one value for a square window."),
        list_attr("stride", {}, 0, 2, 1, "Step between windows; empty: the kernel size (PyTorch's default)."),
        list_attr("padding", {def.padding_h, def.padding_w}, 1, 2, 0,
                  "Padding on each side; at most half the kernel size."),
    };
    const std::string name = type;
    d.shape = [name](const AttributeMap& a, const std::vector<Shape>& in) {
        const Shape& x = in.at(0);
        if (auto e = need_image(name.c_str(), x)) return ShapeResult::fail(*e);
        const nn::Pool2dOptions o = pool_options(a);
        if (2 * o.padding_h > o.kernel_h || 2 * o.padding_w > o.kernel_w)
            return ShapeResult::fail(concat(name, " padding ", hw(o.padding_h, o.padding_w),
                                            " must be at most half the kernel size ", hw(o.kernel_h, o.kernel_w)));
        const std::int64_t ih = x[1] + 2 * o.padding_h, iw = x[2] + 2 * o.padding_w;
        if (o.kernel_h > ih || o.kernel_w > iw)
            return ShapeResult::fail(
                concat(name, " window ", hw(o.kernel_h, o.kernel_w), " is larger than its input ", hw(ih, iw)));
        return ShapeResult::ok({{x[0], (ih - o.kernel_h) / o.stride_h + 1, (iw - o.kernel_w) / o.stride_w + 1}});
    };
    set_module<Pool>(d, [](const AttributeMap& a, const std::vector<Shape>&) { return std::tuple{pool_options(a)}; });
    // One compare or accumulate per window element of each output.
    d.macs = [](const AttributeMap& a, const std::vector<Shape>&, const std::vector<Shape>& out) {
        const nn::Pool2dOptions o = pool_options(a);
        return shape_numel(out.at(0)) * o.kernel_h * o.kernel_w;
    };
    d.onnx = [](NodeExporter& e) {
        const nn::Pool2dOptions& o = e.module<Pool>().options;
        std::vector<OnnxAttribute> attrs = {{"kernel_shape", IntList{o.kernel_h, o.kernel_w}},
                                            {"strides", IntList{o.stride_h, o.stride_w}},
                                            {"pads", onnx_pads(o.padding_h, o.padding_w)}};
        if constexpr (std::is_same_v<Pool, nn::MaxPool2d>) {
            e.op("MaxPool", {e.input()}, attrs, e.output());
        } else {
            attrs.push_back({"count_include_pad", std::int64_t{1}});  // as the engine (and PyTorch's default)
            e.op("AveragePool", {e.input()}, attrs, e.output());
        }
    };
    d.pytorch = [name](const PyTorchNode& n) {  // AvgPool2d: count_include_pad, PyTorch's default, as the engine
        const nn::Pool2dOptions o = pool_options(n.attributes);
        PyTorchLayer l;
        l.module = concat("nn.", name, "(kernel_size=", py_ints({o.kernel_h, o.kernel_w}),
                          py_kw("stride", py_ints({o.stride_h, o.stride_w}), py_ints({o.kernel_h, o.kernel_w})),
                          py_kw("padding", py_ints({o.padding_h, o.padding_w}), "(0, 0)"), ")");
        return l;
    };
    return d;
}

void register_pooling(LayerRegistry& r) {
    r.add(pool_descriptor<nn::MaxPool2d>("MaxPool2d", "Maximum over each window."));
    r.add(pool_descriptor<nn::AvgPool2d>("AvgPool2d", "Mean over each window (padding counts as zeros)."));

    LayerDescriptor adaptive =
        layer("AdaptiveAvgPool2d", "Pooling", "Averages to a fixed output height and width, whatever the input size.");
    adaptive.attributes = {list_attr("output_size", {1, 1}, 1, 2, 1, "Output height and width; one value for both.")};
    adaptive.shape = [](const AttributeMap& a, const std::vector<Shape>& in) {
        const Shape& x = in.at(0);
        if (auto e = need_image("AdaptiveAvgPool2d", x)) return ShapeResult::fail(*e);
        const auto [oh, ow] = pair_of(int_list_attribute(a, "output_size"));
        return ShapeResult::ok({{x[0], oh, ow}});
    };
    set_module<nn::AdaptiveAvgPool2d>(adaptive, [](const AttributeMap& a, const std::vector<Shape>&) {
        return pair_of(int_list_attribute(a, "output_size"));
    });
    // Output i of n averages input rows floor(i in / n) .. ceil((i + 1) in / n) - 1 (PyTorch's windows,
    // which overlap when n does not divide in): one accumulate per row and column of each window.
    adaptive.macs = [](const AttributeMap& a, const std::vector<Shape>& in, const std::vector<Shape>&) {
        const auto [oh, ow] = pair_of(int_list_attribute(a, "output_size"));
        const auto window_sum = [](std::int64_t size, std::int64_t n) {
            std::int64_t total = 0;
            for (std::int64_t i = 0; i < n; ++i) total += ((i + 1) * size + n - 1) / n - i * size / n;
            return total;
        };
        const Shape& x = in.at(0);
        return x[0] * window_sum(x[1], oh) * window_sum(x[2], ow);
    };
    adaptive.onnx = [](NodeExporter& e) {
        const Shape& x = e.input_shapes().at(0);
        const auto& m = e.module<nn::AdaptiveAvgPool2d>();
        const std::int64_t oh = m.out_h, ow = m.out_w;
        if (oh == 1 && ow == 1) {
            e.op("GlobalAveragePool", {e.input()}, {}, e.output());
            return;
        }
        // ONNX has no adaptive pooling; when the output divides the input it is a plain AveragePool.
        if (x[1] % oh != 0 || x[2] % ow != 0)
            e.fail(concat("output_size ", hw(oh, ow), " does not divide the input ", hw(x[1], x[2]),
                          "; ONNX has no adaptive pooling (use output_size 1x1 or a divisor of the input)"));
        const std::int64_t kh = x[1] / oh, kw = x[2] / ow;
        e.op("AveragePool", {e.input()}, {{"kernel_shape", IntList{kh, kw}}, {"strides", IntList{kh, kw}}}, e.output());
    };
    adaptive.pytorch = [](const PyTorchNode& n) {
        const auto [oh, ow] = pair_of(int_list_attribute(n.attributes, "output_size"));
        PyTorchLayer l;
        l.module = concat("nn.AdaptiveAvgPool2d(", py_ints({oh, ow}), ")");
        return l;
    };
    r.add(std::move(adaptive));
}

// ---- Normalization ----

LayerDescriptor batch_norm_descriptor(int spatial_dims) {
    LayerDescriptor d =
        layer(spatial_dims == 2 ? "BatchNorm2d" : "BatchNorm1d", "Normalization",
              spatial_dims == 2 ? "Normalizes each channel of [channels, height, width] inputs over the batch."
                                : "Normalizes each feature of [features] or [channels, length] inputs over the batch.");
    d.attributes = {
        int_attr("num_features", 0, 0, "Channels (features); 0 (auto) takes them from the input."),
        float_attr("eps", nn::BatchNorm::kEps, 1e-300, std::nullopt, "Added to the variance for stability."),
        float_attr("momentum", nn::BatchNorm::kMomentum, 0.0, 1.0, "Weight of the batch in the running statistics."),
        bool_attr("affine", true, "Learn a scale and shift per channel."),
    };
    const std::string name = d.type;
    d.shape = [name, spatial_dims](const AttributeMap& a, const std::vector<Shape>& in) {
        const Shape& x = in.at(0);
        const bool ok = spatial_dims == 2 ? x.size() == 3 : (x.size() == 1 || x.size() == 2);
        if (!ok)
            return ShapeResult::fail(concat(name, " expects ",
                                            spatial_dims == 2 ? "[channels, height, width]" : "[features] or [channels, length]",
                                            " per sample, gets ", shape_str(x)));
        const std::int64_t want = int_attribute(a, "num_features");
        if (want > 0 && x[0] != want)
            return ShapeResult::fail(concat(name, " expects ", want, " channels, gets ", x[0]));
        return ShapeResult::ok({x});
    };
    set_module<nn::BatchNorm>(d, [spatial_dims](const AttributeMap& a, const std::vector<Shape>& in) {
        return std::tuple{spatial_dims, in.at(0).at(0), float_attribute(a, "eps"), float_attribute(a, "momentum"),
                          bool_attribute(a, "affine")};
    });
    d.macs = macs_per_input;
    d.onnx = [](NodeExporter& e) {  // eval mode: the running statistics
        const auto& m = e.module<nn::BatchNorm>();
        const std::int64_t c = e.input_shapes().at(0).at(0);
        const std::string scale = m.weight.defined() ? e.initializer("weight", m.weight)
                                                     : e.constant_f32("weight", std::vector<float>(c, 1.0f), {c});
        const std::string shift = m.bias.defined() ? e.initializer("bias", m.bias)
                                                   : e.constant_f32("bias", std::vector<float>(c, 0.0f), {c});
        e.op("BatchNormalization",
             {e.input(), scale, shift, e.initializer("running_mean", m.running_mean),
              e.initializer("running_var", m.running_var)},
             {{"epsilon", m.eps}, {"momentum", 1.0 - m.momentum}}, e.output());  // ONNX weighs the old value
    };
    d.pytorch = [name](const PyTorchNode& n) {  // momentum: the batch's weight, as in the engine
        PyTorchLayer l;
        l.module = concat("nn.", name, "(", n.input_shapes.at(0).at(0),
                          py_kw("eps", py_float(float_attribute(n.attributes, "eps")), "1e-05"),
                          py_kw("momentum", py_float(float_attribute(n.attributes, "momentum")), "0.1"),
                          py_kw("affine", py_bool(bool_attribute(n.attributes, "affine")), "True"), ")");
        return l;
    };
    return d;
}

// LayerNorm's normalized_shape; empty (auto) is the input's last dimension.
Shape layer_norm_shape(const AttributeMap& a, const Shape& x) {
    const IntList& l = int_list_attribute(a, "normalized_shape");
    if (!l.empty() || x.empty()) return l;
    return {x.back()};
}

void register_normalization(LayerRegistry& r) {
    r.add(batch_norm_descriptor(1));
    r.add(batch_norm_descriptor(2));

    LayerDescriptor ln =
        layer("LayerNorm", "Normalization", "Normalizes each sample over its last dimensions (normalized_shape).");
    ln.attributes = {
        list_attr("normalized_shape", {}, 0, 8, 1, "The trailing dimensions to normalize over; empty (auto): the last one."),
        float_attr("eps", nn::LayerNorm::kEps, 1e-300, std::nullopt, "Added to the variance for stability."),
        bool_attr("elementwise_affine", true, "Learn a scale and shift per normalized element."),
    };
    ln.shape = [](const AttributeMap& a, const std::vector<Shape>& in) {
        const Shape& x = in.at(0);
        const Shape ns = layer_norm_shape(a, x);
        if (ns.empty()) return ShapeResult::fail("LayerNorm needs a feature dimension, its input has a single value per sample");
        if (ns.size() > x.size() || !std::equal(ns.begin(), ns.end(), x.end() - static_cast<std::ptrdiff_t>(ns.size())))
            return ShapeResult::fail(concat("LayerNorm normalizes over ", shape_str(ns),
                                            " but its input ", shape_str(x), " does not end with it"));
        return ShapeResult::ok({x});
    };
    set_module<nn::LayerNorm>(ln, [](const AttributeMap& a, const std::vector<Shape>& in) {
        return std::tuple{layer_norm_shape(a, in.at(0)), float_attribute(a, "eps"),
                          bool_attribute(a, "elementwise_affine")};
    });
    ln.macs = macs_per_input;
    ln.onnx = [](NodeExporter& e) { onnx_layer_norm(e, e.module<nn::LayerNorm>(), e.input(), "", e.output()); };
    ln.pytorch = [](const PyTorchNode& n) {
        PyTorchLayer l;
        l.module = concat("nn.LayerNorm(", py_ints(layer_norm_shape(n.attributes, n.input_shapes.at(0))),
                          py_kw("eps", py_float(float_attribute(n.attributes, "eps")), "1e-05"),
                          py_kw("elementwise_affine", py_bool(bool_attribute(n.attributes, "elementwise_affine")), "True"),
                          ")");
        return l;
    };
    r.add(std::move(ln));
}

// ---- Activations ----

// An activation's palette entry and ports; it sets its own attributes, module and ONNX mapping, and a
// shape rule when it checks more than keeping the shape.
LayerDescriptor activation(const char* type, const char* help, ShapeRule shape = same_shape) {
    LayerDescriptor d = layer(type, "Activation", help);
    d.shape = std::move(shape);
    return d;
}

// An activation without attributes whose ONNX op has the same meaning.
template <class M>
LayerDescriptor plain_activation(const char* type, const char* help, std::string onnx_op) {
    LayerDescriptor d = activation(type, help);
    set_module<M>(d, no_arguments);
    d.onnx = onnx_unary(std::move(onnx_op));
    d.pytorch = pytorch_module(concat("nn.", type, "()"));
    return d;
}

void register_activations(LayerRegistry& r) {
    r.add(plain_activation<nn::ReLU>("ReLU", "max(0, x).", "Relu"));
    r.add(plain_activation<nn::Sigmoid>("Sigmoid", "1 / (1 + exp(-x)): squashes to (0, 1).", "Sigmoid"));
    r.add(plain_activation<nn::Tanh>("Tanh", "Hyperbolic tangent: squashes to (-1, 1).", "Tanh"));

    LayerDescriptor gelu = activation("GELU", "x * Phi(x), the Gaussian error linear unit (exact form).");
    set_module<nn::GELU>(gelu, no_arguments);
    gelu.onnx = [](NodeExporter& e) { onnx_gelu(e, e.input(), e.output()); };
    gelu.pytorch = pytorch_module("nn.GELU()");  // exact (erf) form, PyTorch's default
    r.add(std::move(gelu));

    LayerDescriptor leaky = activation("LeakyReLU", "x for x > 0, negative_slope * x otherwise.");
    leaky.attributes = {float_attr("negative_slope", nn::LeakyReLU::kNegativeSlope, std::nullopt, std::nullopt,
                                   "Slope for negative inputs.")};
    set_module<nn::LeakyReLU>(leaky, [](const AttributeMap& a, const std::vector<Shape>&) {
        return std::tuple{float_attribute(a, "negative_slope")};
    });
    leaky.onnx = [](NodeExporter& e) {
        e.op("LeakyRelu", {e.input()}, {{"alpha", e.module<nn::LeakyReLU>().negative_slope}}, e.output());
    };
    leaky.pytorch = [](const PyTorchNode& n) {
        PyTorchLayer l;
        l.module = concat("nn.LeakyReLU(negative_slope=", py_float(float_attribute(n.attributes, "negative_slope")), ")");
        return l;
    };
    r.add(std::move(leaky));

    LayerDescriptor softmax = activation(
        "Softmax", "exp(x) normalized to sum to 1 along dim.", [](const AttributeMap& a, const std::vector<Shape>& in) {
            const Shape& x = in.at(0);
            const std::int64_t dim = int_attribute(a, "dim");
            const auto d = full_dim(dim, x.size());
            if (!d)
                return ShapeResult::fail(concat("Softmax dim ", dim, " is out of range ", dim_range(x.size()),
                                                " for a ", x.size() + 1, "-dimensional batch"));
            if (*d == 0) return ShapeResult::fail("Softmax over dim 0 would mix the samples of a batch; use -1");
            return ShapeResult::ok({x});
        });
    softmax.attributes = {int_attr("dim", nn::Softmax::kDim, std::nullopt,
                                   "Dimension that sums to 1 (dim 0 is the batch); -1 is the last.")};
    set_module<nn::Softmax>(softmax, [](const AttributeMap& a, const std::vector<Shape>&) {
        return std::tuple{int_attribute(a, "dim")};
    });
    softmax.onnx = [](NodeExporter& e) {  // opset 13+: along one axis, as PyTorch
        e.op("Softmax", {e.input()}, {{"axis", e.module<nn::Softmax>().dim}}, e.output());
    };
    softmax.pytorch = [](const PyTorchNode& n) {
        PyTorchLayer l;
        l.module = concat("nn.Softmax(dim=", int_attribute(n.attributes, "dim"), ")");
        return l;
    };
    r.add(std::move(softmax));
}

// ---- Merge ----

std::string inputs_list(const std::vector<Shape>& in) {
    std::string s;
    for (std::size_t i = 0; i < in.size(); ++i) s += concat(i ? ", " : "", "input ", i, " is ", shape_str(in[i]));
    return s;
}

void register_merge(LayerRegistry& r) {
    LayerDescriptor add =
        layer("Add", "Merge", "Element-wise sum of its inputs (same shapes; size-1 dimensions broadcast).");
    add.variadic_inputs = true;
    add.min_inputs = 2;
    add.shape = [](const AttributeMap&, const std::vector<Shape>& in) {
        Shape y = in.at(0);
        for (const Shape& x : in) {
            bool ok = x.size() == y.size();
            for (std::size_t d = 0; ok && d < x.size(); ++d) {
                if (x[d] == y[d] || x[d] == 1) continue;
                if (y[d] == 1) y[d] = x[d];
                else ok = false;
            }
            if (!ok) return ShapeResult::fail(concat("Add inputs must have the same shape: ", inputs_list(in)));
        }
        return ShapeResult::ok({y});
    };
    set_module<nn::Add>(add, no_arguments);
    add.onnx = [](NodeExporter& e) {  // ONNX Add is binary (with broadcasting): a chain for more inputs
        std::string sum = e.input(0);
        for (std::size_t i = 1; i < e.inputs().size(); ++i)
            sum = e.op("Add", {sum, e.input(i)}, {}, i + 1 == e.inputs().size() ? e.output() : std::string());
    };
    add.pytorch = [](const PyTorchNode& n) {  // broadcasting as torch's +
        PyTorchLayer l;
        l.call = "{0}";
        for (std::size_t i = 1; i < n.input_shapes.size(); ++i) l.call += concat(" + {", i, "}");
        return l;
    };
    r.add(std::move(add));

    LayerDescriptor cat =
        layer("Concat", "Merge", "Joins its inputs along dim (dim 0 is the batch; 1 is the first feature dimension).");
    cat.variadic_inputs = true;
    cat.min_inputs = 2;
    cat.attributes = {int_attr("dim", nn::Concat::kDim, std::nullopt, "Dimension to join along; 1 is the first after the batch, -1 the last.")};
    cat.shape = [](const AttributeMap& a, const std::vector<Shape>& in) {
        const Shape& first = in.at(0);
        const std::int64_t dim = int_attribute(a, "dim");
        const auto d = full_dim(dim, first.size());
        if (!d)
            return ShapeResult::fail(concat("Concat dim ", dim, " is out of range ", dim_range(first.size()), " for a ",
                                            first.size() + 1, "-dimensional batch"));
        if (*d == 0) return ShapeResult::fail("Concat along dim 0 would join batches, not features; use 1");
        const auto pd = static_cast<std::size_t>(*d - 1);
        Shape y = first;
        y[pd] = 0;
        for (const Shape& x : in) {
            bool ok = x.size() == first.size();
            for (std::size_t i = 0; ok && i < x.size(); ++i) ok = i == pd || x[i] == first[i];
            if (!ok)
                return ShapeResult::fail(concat("Concat inputs must have the same shape except along dim ", *d, ": ",
                                                inputs_list(in)));
            y[pd] += x[pd];
        }
        return ShapeResult::ok({y});
    };
    set_module<nn::Concat>(cat, [](const AttributeMap& a, const std::vector<Shape>&) {
        return std::tuple{int_attribute(a, "dim")};
    });
    cat.onnx = [](NodeExporter& e) {
        e.op("Concat", e.inputs(), {{"axis", int_attribute(e.attributes(), "dim")}}, e.output());
    };
    cat.pytorch = [](const PyTorchNode& n) {
        PyTorchLayer l;
        l.call = concat("torch.cat([{inputs}], dim=", int_attribute(n.attributes, "dim"), ")");
        return l;
    };
    r.add(std::move(cat));
}

// ---- Sequences ([T, F] per sample: T time steps of F features; the batch makes [B, T, F]) ----

// A per-sample shape as the user sees the value on the edge: "[B, 8]".
std::string batched_str(const Shape& x) {
    std::string s = "[B";
    for (const std::int64_t d : x) s += concat(", ", d);
    return s + "]";
}

std::optional<std::string> need_sequence(const std::string& layer, const Shape& x) {
    if (x.size() == 2 && x[0] > 0) return std::nullopt;
    if (x.size() == 2) return concat(layer, " needs at least one time step, gets ", batched_str(x));
    return concat(layer, " expects [B, T, F] (T time steps of F features), gets ", batched_str(x));
}

void recurrent_onnx(NodeExporter& e);

LayerDescriptor recurrent_descriptor(const std::string& type, const std::string& help) {
    LayerDescriptor d = layer(type, "Sequence", help);
    d.attributes = {
        int_attr("hidden_size", 64, 1, "Features of the hidden state (per direction)."),
        int_attr("num_layers", 1, 1, "Stacked recurrent layers; each reads the sequence the one before outputs."),
        bool_attr("bidirectional", false, "Also run backwards in time; the output has 2 x hidden_size features."),
        float_attr("dropout", 0.0, 0.0, 1.0, "While training, dropout on each layer's output but the last."),
        bool_attr("bias", true, "Learn biases."),
    };
    if (type == "RNN")
        d.attributes.push_back(choice_attr("nonlinearity", "tanh", {"tanh", "relu"}, "The cell's activation."));
    d.shape = [type](const AttributeMap& a, const std::vector<Shape>& in) {
        const Shape& x = in.at(0);
        if (auto e = need_sequence(type, x)) return ShapeResult::fail(*e);
        const std::int64_t dirs = bool_attribute(a, "bidirectional") ? 2 : 1;
        return ShapeResult::ok({{x[0], dirs * int_attribute(a, "hidden_size")}});
    };
    d.onnx = recurrent_onnx;
    d.pytorch = [type](const PyTorchNode& n) {  // batch first, as the graph's sequences; the output, not the state
        const AttributeMap& a = n.attributes;
        PyTorchLayer l;
        l.module = concat("nn.", type, "(", n.input_shapes.at(0).back(), ", ", int_attribute(a, "hidden_size"),
                          py_kw("num_layers", std::to_string(int_attribute(a, "num_layers")), "1"),
                          type == "RNN" ? py_kw("nonlinearity", py_str(choice_attribute(a, "nonlinearity")), "\"tanh\"") : "",
                          py_kw("bias", py_bool(bool_attribute(a, "bias")), "True"), ", batch_first=True",
                          py_kw("dropout", py_float(float_attribute(a, "dropout")), "0.0"),
                          py_kw("bidirectional", py_bool(bool_attribute(a, "bidirectional")), "False"), ")");
        l.call = "{self}({0})[0]";
        return l;
    };
    return d;
}

// torch.onnx's form of a batch-first recurrent layer, so ONNX Runtime (whose kernels take layout 0 only)
// runs it and the importer reads both alike: Transpose to [T, B, F]; one ONNX RNN/LSTM/GRU op per layer,
// its Y [T, D, B, H] made [T, B, D*H] by a Squeeze of D (one direction) or Transpose + Reshape (two);
// Transpose back to [B, T, D*H]. No initial state: ONNX's default is zeros, as the layer's. Dropout
// between layers is the identity at inference.
void recurrent_onnx(NodeExporter& e) {
    const auto& m = e.module<nn::RecurrentBase>();
    const nn::RecurrentOptions& o = m.options;
    const std::int64_t dirs = o.bidirectional ? 2 : 1;
    std::string x = e.op("Transpose", {e.input()}, {{"perm", IntList{1, 0, 2}}});
    for (std::int64_t l = 0; l < o.num_layers; ++l) {
        const auto first = m.weights().begin() + l * dirs;
        const onnx::OnnxRecurrentWeights w = onnx::to_onnx_recurrent(
            e.type(), std::vector<nn::RecurrentBase::Weights>(first, first + dirs));
        std::vector<std::string> ins = {x, e.initializer(concat("W_l", l), w.W), e.initializer(concat("R_l", l), w.R)};
        if (w.B.defined()) ins.push_back(e.initializer(concat("B_l", l), w.B));
        std::vector<OnnxAttribute> attrs = {{"hidden_size", o.hidden_size},
                                            {"direction", std::string(dirs == 2 ? "bidirectional" : "forward")}};
        if (e.type() == "GRU") attrs.push_back({"linear_before_reset", std::int64_t{1}});  // PyTorch's n gate
        if (e.type() == "RNN")
            attrs.push_back({"activations", std::vector<std::string>(
                                                static_cast<std::size_t>(dirs), o.nonlinearity == "relu" ? "Relu" : "Tanh")});
        const std::string y = e.op(e.type(), ins, attrs);
        x = dirs == 1 ? e.op("Squeeze", {y, e.constant_i64("axes", {1}, {1})})
                      : e.op("Reshape", {e.op("Transpose", {y}, {{"perm", IntList{0, 2, 1, 3}}}),
                                         e.constant_i64("shape", {0, 0, -1}, {3})});
    }
    e.op("Transpose", {x}, {{"perm", IntList{1, 0, 2}}}, e.output());
}

// Self-attention over x [B, T, E] as MatMul/Add/Reshape/Transpose/Softmax (opset 17 has no attention op):
// q, k, v = x W^T + b per projection, split into heads [B, heads, T, E/heads], softmax(q k^T / sqrt(E/heads)
// + mask) v, heads merged, out_proj. `causal`: an additive [T, T] constant, -inf above the diagonal.
std::string attention_onnx(NodeExporter& e, const nn::MultiheadAttention& m, const std::string& x, std::int64_t steps,
                           bool causal, const std::string& suffix, const std::string& out = {}) {
    const std::int64_t embed = m.options.embed_dim, heads = m.options.num_heads, head_dim = embed / heads;
    auto projection = [&](std::int64_t k, const char* name, const IntList& perm) {
        const Tensor w = m.in_proj_weight.narrow(0, k * embed, embed);
        const Tensor b = m.in_proj_bias.defined() ? m.in_proj_bias.narrow(0, k * embed, embed) : Tensor();
        const std::string p = onnx_matmul_linear(e, x, w, b, concat(suffix, "in_proj_", name, "_"));
        const std::string split = e.op("Reshape", {p, e.constant_i64("heads_shape", {0, 0, heads, head_dim}, {4})});
        return e.op("Transpose", {split}, {{"perm", perm}});
    };
    const std::string q = projection(0, "q", {0, 2, 1, 3});  // [B, heads, T, hd]
    const std::string kt = projection(1, "k", {0, 2, 3, 1});  // [B, heads, hd, T]
    const std::string v = projection(2, "v", {0, 2, 1, 3});
    std::string scores = e.op("Mul", {e.op("MatMul", {q, kt}),
                                      e.constant_f32("scale", {static_cast<float>(1.0 / std::sqrt(double(head_dim)))}, {1})});
    if (causal) {
        std::vector<float> mask(static_cast<std::size_t>(steps * steps), 0.0f);
        for (std::int64_t r = 0; r < steps; ++r)
            for (std::int64_t c = r + 1; c < steps; ++c)
                mask[static_cast<std::size_t>(r * steps + c)] = -std::numeric_limits<float>::infinity();
        scores = e.op("Add", {scores, e.constant_f32(suffix + "causal_mask", mask, {steps, steps})});
    }
    const std::string weights = e.op("Softmax", {scores}, {{"axis", std::int64_t{-1}}});
    const std::string merged = e.op("Reshape", {e.op("Transpose", {e.op("MatMul", {weights, v})}, {{"perm", IntList{0, 2, 1, 3}}}),
                                                e.constant_i64("merged_shape", {0, 0, embed}, {3})});
    return onnx_matmul_linear(e, merged, m.out_proj->weight, m.out_proj->bias, suffix + "out_proj_", out);
}

// torch.nn.TransformerEncoderLayer at inference (dropout is the identity): post-norm
// norm2(h + ff(h)) with h = norm1(x + sa(x)), or pre-norm h = x + sa(norm1(x)), h + ff(norm2(h)).
void encoder_onnx(NodeExporter& e) {
    const auto& m = e.module<nn::TransformerEncoderLayer>();
    const std::int64_t steps = e.input_shapes().at(0).at(0);
    auto sa = [&](const std::string& x) { return attention_onnx(e, *m.self_attn, x, steps, m.options.causal, "self_attn."); };
    auto ff = [&](const std::string& x) {
        const std::string h = onnx_matmul_linear(e, x, m.linear1->weight, m.linear1->bias, "linear1.");
        const std::string a = m.options.activation == "gelu" ? onnx_gelu(e, h) : e.op("Relu", {h});
        return onnx_matmul_linear(e, a, m.linear2->weight, m.linear2->bias, "linear2.");
    };
    const std::string& x = e.input();
    if (m.options.norm_first) {
        const std::string h = e.op("Add", {x, sa(onnx_layer_norm(e, *m.norm1, x, "norm1."))});
        e.op("Add", {h, ff(onnx_layer_norm(e, *m.norm2, h, "norm2."))}, {}, e.output());
    } else {
        const std::string h = onnx_layer_norm(e, *m.norm1, e.op("Add", {x, sa(x)}), "norm1.");
        onnx_layer_norm(e, *m.norm2, e.op("Add", {h, ff(h)}), "norm2.", e.output());
    }
}

// The node's options (the graph's sequences are batch first).
nn::RecurrentOptions recurrent_options(const AttributeMap& a, const std::vector<Shape>& in, bool rnn) {
    nn::RecurrentOptions o;
    o.input_size = in.at(0).back();
    o.hidden_size = int_attribute(a, "hidden_size");
    o.num_layers = int_attribute(a, "num_layers");
    o.bias = bool_attribute(a, "bias");
    o.batch_first = true;
    o.bidirectional = bool_attribute(a, "bidirectional");
    o.dropout = float_attribute(a, "dropout");
    if (rnn) o.nonlinearity = choice_attribute(a, "nonlinearity");
    return o;
}

void register_sequence(LayerRegistry& r) {
    LayerDescriptor rnn = recurrent_descriptor("RNN", "Elman RNN: h_t = act(W_ih x_t + W_hh h_(t-1) + b), one output per step.");
    set_module<nn::RNN>(rnn, [](const AttributeMap& a, const std::vector<Shape>& in) {
        return std::tuple{recurrent_options(a, in, true)};
    });
    rnn.macs = recurrent_macs(1);
    r.add(std::move(rnn));
    LayerDescriptor lstm = recurrent_descriptor(
        "LSTM", "Long short-term memory: input, forget and output gates over a cell state; one output per step.");
    set_module<nn::LSTM>(lstm, [](const AttributeMap& a, const std::vector<Shape>& in) {
        return std::tuple{recurrent_options(a, in, false)};
    });
    lstm.macs = recurrent_macs(4);  // input, forget, cell and output gates
    r.add(std::move(lstm));
    LayerDescriptor gru = recurrent_descriptor("GRU", "Gated recurrent unit: reset and update gates; one output per step.");
    set_module<nn::GRU>(gru, [](const AttributeMap& a, const std::vector<Shape>& in) {
        return std::tuple{recurrent_options(a, in, false)};
    });
    gru.macs = recurrent_macs(3);  // reset, update and new gates
    r.add(std::move(gru));

    LayerDescriptor mha = layer("MultiheadAttention", "Sequence",
                                "Self-attention: every step attends to every step, in num_heads heads.");
    mha.attributes = {
        int_attr("num_heads", 1, 1, "Parallel attention heads; must divide the input's features (embed_dim)."),
        float_attr("dropout", 0.0, 0.0, 1.0, "While training, dropout on the attention weights."),
        bool_attr("bias", true, "Learn biases in the projections."),
    };
    mha.shape = [](const AttributeMap& a, const std::vector<Shape>& in) {
        const Shape& x = in.at(0);
        if (auto e = need_sequence("MultiheadAttention", x)) return ShapeResult::fail(*e);
        const std::int64_t heads = int_attribute(a, "num_heads");
        if (x[1] % heads != 0)
            return ShapeResult::fail(concat("MultiheadAttention: embed_dim ", x[1], " (the input's features) must be ",
                                            "divisible by num_heads ", heads));
        return ShapeResult::ok({x});
    };
    set_module<nn::MultiheadAttention>(mha, [](const AttributeMap& a, const std::vector<Shape>& in) {
        return std::tuple{nn::MultiheadAttentionOptions{.embed_dim = in.at(0).back(),
                                                        .num_heads = int_attribute(a, "num_heads"),
                                                        .dropout = float_attribute(a, "dropout"),
                                                        .bias = bool_attribute(a, "bias"),
                                                        .batch_first = true}};
    });
    mha.onnx = [](NodeExporter& e) {
        attention_onnx(e, e.module<nn::MultiheadAttention>(), e.input(), e.input_shapes().at(0).at(0), false, "",
                       e.output());
    };
    mha.pytorch = [](const PyTorchNode& n) {  // self-attention: query, key and value are the input
        PyTorchLayer l;
        l.module = concat("nn.MultiheadAttention(", n.input_shapes.at(0).back(), ", ", int_attribute(n.attributes, "num_heads"),
                          py_kw("dropout", py_float(float_attribute(n.attributes, "dropout")), "0.0"),
                          py_kw("bias", py_bool(bool_attribute(n.attributes, "bias")), "True"), ", batch_first=True)");
        l.call = "{self}({0}, {0}, {0}, need_weights=False)[0]";
        if (!bool_attribute(n.attributes, "bias")) {
            l.call = "self_attention({self}, {0})";
            l.definitions.push_back(R"(def self_attention(attention, x):
    """attention(x, x, x) without its weights. PyTorch 1.13's inference fast path fails for an attention
    without biases; a value tensor other than the query (the same numbers) takes the general path."""
    value = x if attention.in_proj_bias is not None else x.clone()
    return attention(x, x, value, need_weights=False)[0])");
        }
        return l;
    };
    mha.macs = [](const AttributeMap&, const std::vector<Shape>& in, const std::vector<Shape>&) {
        return self_attention_macs(in.at(0));
    };
    r.add(std::move(mha));

    LayerDescriptor enc = layer("TransformerEncoderLayer", "Sequence",
                                "Self-attention then a feed-forward block, each with a residual connection and "
                                "LayerNorm (torch.nn.TransformerEncoderLayer).");
    enc.attributes = {
        int_attr("nhead", 2, 1, "Attention heads; must divide d_model (the input's features)."),
        int_attr("dim_feedforward", 2048, 1, "Hidden features of the feed-forward block."),
        float_attr("dropout", 0.1, 0.0, 1.0, "While training, dropout after attention and in the feed-forward block."),
        choice_attr("activation", "relu", {"relu", "gelu"}, "The feed-forward block's activation."),
        bool_attr("norm_first", false, "LayerNorm before each block (pre-norm) instead of after."),
        bool_attr("causal", false, "Each step attends only to itself and earlier steps (language models)."),
    };
    enc.shape = [](const AttributeMap& a, const std::vector<Shape>& in) {
        const Shape& x = in.at(0);
        if (auto e = need_sequence("TransformerEncoderLayer", x)) return ShapeResult::fail(*e);
        const std::int64_t heads = int_attribute(a, "nhead");
        if (x[1] % heads != 0)
            return ShapeResult::fail(concat("TransformerEncoderLayer: d_model ", x[1], " (the input's features) must be ",
                                            "divisible by nhead ", heads));
        return ShapeResult::ok({x});
    };
    set_module<nn::TransformerEncoderLayer>(enc, [](const AttributeMap& a, const std::vector<Shape>& in) {
        return std::tuple{nn::TransformerEncoderLayerOptions{
            .d_model = in.at(0).back(), .nhead = int_attribute(a, "nhead"),
            .dim_feedforward = int_attribute(a, "dim_feedforward"), .dropout = float_attribute(a, "dropout"),
            .activation = choice_attribute(a, "activation"), .layer_norm_eps = 1e-5, .batch_first = true,
            .norm_first = bool_attribute(a, "norm_first"), .causal = bool_attribute(a, "causal")}};
    });
    enc.onnx = encoder_onnx;
    enc.pytorch = [](const PyTorchNode& n) {
        const AttributeMap& a = n.attributes;
        PyTorchLayer l;
        l.module = concat("nn.TransformerEncoderLayer(", n.input_shapes.at(0).back(), ", ", int_attribute(a, "nhead"),
                          ", dim_feedforward=", int_attribute(a, "dim_feedforward"),
                          ", dropout=", py_float(float_attribute(a, "dropout")),
                          py_kw("activation", py_str(choice_attribute(a, "activation")), "\"relu\""), ", batch_first=True",
                          py_kw("norm_first", py_bool(bool_attribute(a, "norm_first")), "False"), ")");
        if (bool_attribute(a, "causal")) {
            l.call = "{self}({0}, src_mask=causal_mask({0}.size(1), {0}.device))";
            l.definitions.push_back(R"(def causal_mask(steps, device):
    """-inf above the diagonal: each step attends only to itself and earlier steps."""
    return torch.triu(torch.full((steps, steps), float("-inf"), device=device), diagonal=1))");
        }
        return l;
    };
    // Self-attention, the feed-forward block's two Linear layers (2 T E F) and two LayerNorms (2 T E).
    enc.macs = [](const AttributeMap& a, const std::vector<Shape>& in, const std::vector<Shape>&) {
        const Shape& x = in.at(0);
        return self_attention_macs(x) + 2 * x[0] * x[1] * int_attribute(a, "dim_feedforward") + 2 * x[0] * x[1];
    };
    r.add(std::move(enc));

    LayerDescriptor pe = layer("PositionalEncoding", "Sequence",
                               "Adds sin/cos waves of the position to each step, so attention can tell steps apart.");
    pe.attributes = {
        int_attr("max_len", 5000, 1, "The longest sequence it accepts."),
        float_attr("dropout", 0.0, 0.0, 1.0, "While training, dropout after adding the encoding."),
    };
    pe.shape = [](const AttributeMap& a, const std::vector<Shape>& in) {
        const Shape& x = in.at(0);
        if (auto e = need_sequence("PositionalEncoding", x)) return ShapeResult::fail(*e);
        if (x[0] > int_attribute(a, "max_len"))
            return ShapeResult::fail(concat("PositionalEncoding: ", x[0], " steps are more than max_len ",
                                            int_attribute(a, "max_len")));
        return ShapeResult::ok({x});
    };
    set_module<nn::PositionalEncoding>(pe, [](const AttributeMap& a, const std::vector<Shape>& in) {
        return std::tuple{in.at(0).back(), int_attribute(a, "max_len"), float_attribute(a, "dropout"), true};
    });
    pe.onnx = [](NodeExporter& e) {
        const Shape& x = e.input_shapes().at(0);  // [T, d]
        const auto& m = e.module<nn::PositionalEncoding>();
        Tensor zeros = Tensor::zeros({1, x[0], x[1]});
        Tensor table;
        {
            NoGradGuard ng;
            nn::PositionalEncoding plain(m.d_model, m.max_len, 0.0, true);
            table = plain(zeros).reshape({x[0], x[1]});
        }
        e.op("Add", {e.input(), e.initializer("pe", table)}, {}, e.output());
    };
    pe.pytorch = [](const PyTorchNode& n) {
        PyTorchLayer l;
        l.module = concat("PositionalEncoding(", n.input_shapes.at(0).back(), ", max_len=", int_attribute(n.attributes, "max_len"),
                          ", dropout=", py_float(float_attribute(n.attributes, "dropout")), ")");
        l.definitions.push_back(R"(class PositionalEncoding(nn.Module):
    """Adds sin/cos waves of the position to each step of [batch, steps, d_model] (as "Attention Is All
    You Need"): feature 2i gets sin(pos / 10000^(2i/d_model)), feature 2i+1 the cosine of the same angle."""

    def __init__(self, d_model, max_len=5000, dropout=0.0):
        super().__init__()
        self.dropout = nn.Dropout(dropout)
        position = torch.arange(max_len, dtype=torch.float64).unsqueeze(1)
        i = torch.arange(d_model)
        angle = position * torch.exp(-math.log(10000.0) * (i - i % 2).double() / d_model)
        table = torch.where(i % 2 == 0, torch.sin(angle), torch.cos(angle))
        self.register_buffer("table", table.float(), persistent=False)  # computed, not saved

    def forward(self, x):
        return self.dropout(x + self.table[: x.size(1)]))");
        return l;
    };
    r.add(std::move(pe));

    LayerDescriptor last = layer("LastStep", "Sequence", "The last time step of a sequence: [T, F] to [F].");
    last.shape = [](const AttributeMap&, const std::vector<Shape>& in) {
        const Shape& x = in.at(0);
        if (auto e = need_sequence("LastStep", x)) return ShapeResult::fail(*e);
        return ShapeResult::ok({{x[1]}});
    };
    set_module<nn::LastStep>(last, no_arguments);
    last.onnx = [](NodeExporter& e) {
        e.op("Gather", {e.input(), e.constant_i64("last", {-1}, {})}, {{"axis", std::int64_t{1}}}, e.output());
    };
    last.pytorch = pytorch_expression("{0}[:, -1]");
    r.add(std::move(last));

    LayerDescriptor pool = layer("MeanOverTime", "Sequence", "The mean over the time steps: [T, F] to [F].");
    pool.shape = [](const AttributeMap&, const std::vector<Shape>& in) {
        const Shape& x = in.at(0);
        if (auto e = need_sequence("MeanOverTime", x)) return ShapeResult::fail(*e);
        return ShapeResult::ok({{x[1]}});
    };
    set_module<nn::MeanOverTime>(pool, no_arguments);
    pool.onnx = [](NodeExporter& e) {
        e.op("ReduceMean", {e.input()}, {{"axes", std::vector<std::int64_t>{1}}, {"keepdims", std::int64_t{0}}},
             e.output());
    };
    pool.pytorch = pytorch_expression("{0}.mean(dim=1)");
    pool.macs = macs_per_input;
    r.add(std::move(pool));
}

}  // namespace

void register_builtin_layers(LayerRegistry& registry) {
    register_io(registry);
    register_core(registry);
    register_convolution(registry);
    register_pooling(registry);
    register_normalization(registry);
    register_activations(registry);
    register_merge(registry);
    register_sequence(registry);
}

}  // namespace neura::graph
