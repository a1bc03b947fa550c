// ONNX import: reads the ONNX ops the exporter writes (and PyTorch's exporter writes for the same
// layers) back into layer nodes. ONNX ops map to layers many-to-one (GELU is five ops, Linear is Gemm or
// MatMul + Add), so this is one table keyed by ONNX op, with the few multi-op patterns matched from
// their first op.
#include "neura/onnx/Import.h"

#include <onnx/defs/schema.h>
#include <onnx/onnx_pb.h>
#include <onnx/shape_inference/implementation.h>

#include <cctype>
#include <cmath>
#include <fstream>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "neura/autograd/GradMode.h"
#include "neura/core/Error.h"
#include "neura/graph/LayerRegistry.h"
#include "neura/nn/Attention.h"
#include "neura/ops/Ops.h"
#include "neura/onnx/RecurrentLayout.h"
#include "neura/onnx/TensorFile.h"

namespace neura::onnx {

using neura::detail::concat;
using graph::AttributeMap;
using graph::AttributeValue;
using graph::NodeId;
using graph::PortIndex;
using IntList = std::vector<std::int64_t>;

namespace {

std::string describe(const ::onnx::NodeProto& n) {
    return n.name().empty() ? concat("ONNX node ", n.op_type(), " (output '", n.output_size() ? n.output(0) : "", "')")
                            : concat("ONNX node '", n.name(), "' (", n.op_type(), ")");
}

const ::onnx::AttributeProto* find_attr(const ::onnx::NodeProto& n, const std::string& name) {
    for (const auto& a : n.attribute())
        if (a.name() == name) return &a;
    return nullptr;
}

// ---- the structure check, before ONNX's shape inference sees the model ----
// libonnx's shape inference trusts what onnx.checker would have checked (Debian's 1.12 crashes on some
// malformed models), so the model is checked first, and shape inference runs only on what passed.

struct Arity {
    int min_in, max_in, min_out, max_out;
};
constexpr int kMany = 1 << 20;

// The ops the importer reads, with their input and output counts from the ONNX operator docs (optional
// inputs included; Pad and Reshape take their sizes as attributes before opsets 11 and 5).
const std::map<std::string, Arity>& known_ops() {
    static const std::map<std::string, Arity> ops = {
        {"Add", {2, 2, 1, 1}},        {"AveragePool", {1, 1, 1, 1}},   {"BatchNormalization", {5, 5, 1, 3}},
        {"Cast", {1, 1, 1, 1}},       {"Concat", {1, kMany, 1, 1}},    {"Constant", {0, 0, 1, 1}},
        {"Conv", {2, 3, 1, 1}},       {"Div", {2, 2, 1, 1}},           {"Dropout", {1, 3, 1, 2}},
        {"Erf", {1, 1, 1, 1}},        {"Flatten", {1, 1, 1, 1}},       {"Gather", {2, 2, 1, 1}},
        {"Gemm", {2, 3, 1, 1}},       {"GlobalAveragePool", {1, 1, 1, 1}}, {"Identity", {1, 1, 1, 1}},
        {"LayerNormalization", {2, 3, 1, 3}}, {"LeakyRelu", {1, 1, 1, 1}}, {"MatMul", {2, 2, 1, 1}},
        {"MaxPool", {1, 1, 1, 2}},    {"Mul", {2, 2, 1, 1}},           {"Pad", {1, 4, 1, 1}},
        {"Relu", {1, 1, 1, 1}},       {"Reshape", {1, 2, 1, 1}},       {"Sigmoid", {1, 1, 1, 1}},
        {"Softmax", {1, 1, 1, 1}},    {"Sub", {2, 2, 1, 1}},           {"Tanh", {1, 1, 1, 1}},
        // Sequence layers, and what torch.onnx writes around them (layout Transposes, Squeeze/Reshape of
        // the direction axis, the shape computation of a zero initial state).
        {"RNN", {3, 6, 1, 2}},        {"LSTM", {3, 8, 1, 3}},          {"GRU", {3, 6, 1, 2}},
        {"Transpose", {1, 1, 1, 1}},  {"Squeeze", {1, 2, 1, 1}},       {"Unsqueeze", {1, 2, 1, 1}},
        {"Shape", {1, 1, 1, 1}},      {"Slice", {1, 5, 1, 1}},         {"ConstantOfShape", {1, 1, 1, 1}},
        {"Expand", {2, 2, 1, 1}},     {"ReduceMean", {1, 2, 1, 1}},
        // LayerNorm below opset 17, as torch.onnx writes it.
        {"Pow", {2, 2, 1, 1}},        {"Sqrt", {1, 1, 1, 1}}};
    return ops;
}

constexpr int kMaxRank = 16;

// A tensor's dims against the data it holds, as onnx.checker's check_tensor: nothing is copied.
void check_tensor(const ::onnx::TensorProto& t, const std::string& what) {
    using TP = ::onnx::TensorProto;
    NEURA_CHECK(t.data_location() == TP::DEFAULT, what, " keeps its data in an external file; only tensors with their data inside are read");
    NEURA_CHECK(t.dims_size() <= kMaxRank, what, " has ", t.dims_size(), " dimensions; at most ", kMaxRank, " are read");
    std::int64_t count = 1;
    for (std::int64_t d : t.dims()) {
        NEURA_CHECK(d >= 0, what, " has a negative dimension ", d);
        NEURA_CHECK(!__builtin_mul_overflow(count, d, &count), what, " has dims whose product overflows");
    }
    std::int64_t element = 0, present = 0;
    switch (t.data_type()) {
        case TP::FLOAT: element = 4; present = t.float_data_size(); break;
        case TP::DOUBLE: element = 8; present = t.double_data_size(); break;
        case TP::INT64: element = 8; present = t.int64_data_size(); break;
        case TP::UINT32: element = 4; present = t.uint64_data_size(); break;
        case TP::UINT64: element = 8; present = t.uint64_data_size(); break;
        case TP::INT32: element = 4; present = t.int32_data_size(); break;
        case TP::INT16: case TP::UINT16: case TP::FLOAT16: case TP::BFLOAT16:
            element = 2; present = t.int32_data_size(); break;
        case TP::INT8: case TP::UINT8: case TP::BOOL: element = 1; present = t.int32_data_size(); break;
        case TP::STRING: present = t.string_data_size(); break;
        default: throw Error(concat(what, " has data type ", t.data_type(), ", which ONNX does not define here"));
    }
    if (t.has_raw_data()) {
        NEURA_CHECK(element > 0, what, ": a STRING tensor cannot have raw_data");
        std::int64_t need = 0;
        NEURA_CHECK(!__builtin_mul_overflow(count, element, &need) &&
                        static_cast<std::uint64_t>(need) == t.raw_data().size(),
                    what, ": raw_data holds ", t.raw_data().size(), " bytes, its dims ",
                    shape_str(Shape(t.dims().begin(), t.dims().end())), " need ", count, " elements of ", element, " bytes");
    } else {
        NEURA_CHECK(present == count, what, " holds ", present, " values, its dims ",
                    shape_str(Shape(t.dims().begin(), t.dims().end())), " need ", count);
    }
}

void check_value_info(const ::onnx::ValueInfoProto& v, const std::string& what) {
    if (!v.has_type()) return;
    NEURA_CHECK(v.type().value_case() == ::onnx::TypeProto::kTensorType, what, " '", v.name(),
                "' is not a tensor (sequences, maps and optionals have no layer)");
    const auto& tt = v.type().tensor_type();
    if (!tt.has_shape()) return;
    NEURA_CHECK(tt.shape().dim_size() <= kMaxRank, what, " '", v.name(), "' has ", tt.shape().dim_size(),
                " dimensions; at most ", kMaxRank, " are read");
    for (const auto& d : tt.shape().dim())
        NEURA_CHECK(!d.has_dim_value() || d.dim_value() >= 0, what, " '", v.name(), "' has a negative size ",
                    d.dim_value());
}

void check_attribute(const ::onnx::NodeProto& n, const ::onnx::AttributeProto& a) {
    using AP = ::onnx::AttributeProto;
    const std::string what = concat(describe(n), " attribute '", a.name(), "'");
    NEURA_CHECK(!a.name().empty(), describe(n), " has an attribute without a name");
    NEURA_CHECK(a.ref_attr_name().empty(), what, " refers to a function's attribute; functions are not imported");
    // The payload must be the one the declared type names, and no other (as onnx.checker).
    const int payloads = int(a.has_f()) + int(a.has_i()) + int(a.has_s()) + int(a.has_t()) + int(a.has_g()) +
                         int(a.has_sparse_tensor()) + int(a.has_tp()) + int(a.floats_size() > 0) +
                         int(a.ints_size() > 0) + int(a.strings_size() > 0) + int(a.tensors_size() > 0) +
                         int(a.graphs_size() > 0) + int(a.sparse_tensors_size() > 0) + int(a.type_protos_size() > 0);
    NEURA_CHECK(payloads <= 1, what, " holds ", payloads, " kinds of value; an attribute holds one");
    switch (a.type()) {
        case AP::FLOAT: NEURA_CHECK(payloads == 0 || a.has_f(), what, " is declared FLOAT but holds another kind"); break;
        case AP::INT: NEURA_CHECK(payloads == 0 || a.has_i(), what, " is declared INT but holds another kind"); break;
        case AP::STRING: NEURA_CHECK(payloads == 0 || a.has_s(), what, " is declared STRING but holds another kind"); break;
        case AP::FLOATS: NEURA_CHECK(payloads == 0 || a.floats_size() > 0, what, " is declared FLOATS but holds another kind"); break;
        case AP::INTS: NEURA_CHECK(payloads == 0 || a.ints_size() > 0, what, " is declared INTS but holds another kind"); break;
        case AP::STRINGS: NEURA_CHECK(payloads == 0 || a.strings_size() > 0, what, " is declared STRINGS but holds another kind"); break;
        case AP::TENSOR:
            NEURA_CHECK(a.has_t(), what, " is declared TENSOR but holds none");
            check_tensor(a.t(), what);
            break;
        default:
            throw Error(concat(what, " has type ", static_cast<int>(a.type()),
                               "; graphs, sparse tensors and type protos are not imported"));
    }
}

// What shape inference divides by must not be 0 (Debian's libonnx 1.12 dies of SIGFPE on a Conv's stride
// of 0, which onnx.checker lets through): a window's kernel_shape, strides and dilations, a convolution's
// group. These names mean the same in every ONNX op that has them.
void check_divisors(const ::onnx::NodeProto& n, const ::onnx::AttributeProto& a) {
    const std::string& name = a.name();
    if (name == "kernel_shape" || name == "strides" || name == "dilations")
        for (const std::int64_t v : a.ints())
            NEURA_CHECK(v > 0, describe(n), " attribute '", name, "' holds ", v, "; its values must be positive");
    if (name == "group") NEURA_CHECK(a.i() > 0, describe(n), " attribute 'group' is ", a.i(), "; it must be positive");
}

// Everything shape inference would trust: node arity and attributes, declared values, initializers.
void check_structure(const ::onnx::GraphProto& g) {
    const auto& ops = known_ops();
    for (const auto& t : g.initializer()) check_tensor(t, concat("initializer '", t.name(), "'"));
    NEURA_CHECK(g.sparse_initializer_size() == 0, "the model has sparse initializers, which are not imported");
    for (const auto& v : g.input()) check_value_info(v, "input");
    for (const auto& v : g.output()) check_value_info(v, "output");
    for (const auto& v : g.value_info()) check_value_info(v, "value");
    for (const auto& n : g.node()) {
        NEURA_CHECK(n.domain().empty() || n.domain() == "ai.onnx", describe(n), " is from domain '", n.domain(),
                    "'; only the default ONNX domain is imported");
        const auto it = ops.find(n.op_type());
        if (it == ops.end()) continue;  // listed by name later, with every other such node
        const Arity& ar = it->second;
        NEURA_CHECK(n.input_size() >= ar.min_in && n.input_size() <= ar.max_in, describe(n), " has ", n.input_size(),
                    " inputs; ", n.op_type(), " takes ", ar.min_in == ar.max_in ? concat(ar.min_in) : concat(ar.min_in, " to ", ar.max_in == kMany ? std::string("any number") : concat(ar.max_in)));
        NEURA_CHECK(n.output_size() >= ar.min_out && n.output_size() <= ar.max_out, describe(n), " has ",
                    n.output_size(), " outputs; ", n.op_type(), " gives ",
                    ar.min_out == ar.max_out ? concat(ar.min_out) : concat(ar.min_out, " to ", ar.max_out));
        for (const auto& a : n.attribute()) {
            check_attribute(n, a);
            check_divisors(n, a);
        }
    }
}

class Importer {
public:
    Importer(::onnx::ModelProto model, ImportOptions options) : model_(std::move(model)), options_(std::move(options)) {}

    ImportedModel run();

private:
    using Node = ::onnx::NodeProto;

    [[noreturn]] void fail(const Node& n, const std::string& why) const {
        throw Error(concat("cannot import ", describe(n), ": ", why));
    }

    // ---- attributes ----
    std::int64_t get_int(const Node& n, const std::string& name, std::int64_t def) const {
        const auto* a = find_attr(n, name);
        return a ? a->i() : def;
    }
    double get_float(const Node& n, const std::string& name, double def) const {
        const auto* a = find_attr(n, name);
        return a ? static_cast<double>(a->f()) : def;
    }
    std::string get_string(const Node& n, const std::string& name, const std::string& def) const {
        const auto* a = find_attr(n, name);
        return a ? a->s() : def;
    }
    IntList get_ints(const Node& n, const std::string& name, IntList def) const {
        const auto* a = find_attr(n, name);
        return a ? IntList(a->ints().begin(), a->ints().end()) : def;
    }

    // ---- values ----
    bool is_const(const std::string& v) const { return consts_.count(v) != 0; }
    Tensor constant(const Node& n, std::size_t input) const {
        if (static_cast<int>(input) >= n.input_size() || n.input(static_cast<int>(input)).empty())
            fail(n, concat("input ", input, " is missing"));
        const auto it = consts_.find(n.input(static_cast<int>(input)));
        if (it == consts_.end())
            fail(n, concat("input ", input, " ('", n.input(static_cast<int>(input)),
                           "') must be a constant (an initializer) to become a layer's weights"));
        Tensor t = parse_tensor_proto(it->second->SerializeAsString(), concat("initializer '", it->first, "'"));
        return t.dtype() == DType::F64 ? t.to(DType::F32) : t;
    }
    std::vector<const Node*> consumers(const std::string& v) const {
        const auto it = consumers_.find(v);
        return it == consumers_.end() ? std::vector<const Node*>{} : it->second;
    }
    const Node* only_consumer(const std::string& v, const char* op) const {
        const auto c = consumers(v);
        // Binary ops (Add, Mul, Div) must have both inputs to be part of a pattern.
        const bool binary = std::string(op) == "Add" || std::string(op) == "Mul" || std::string(op) == "Div";
        return c.size() == 1 && c[0]->op_type() == op && !is_output(v) && (!binary || c[0]->input_size() == 2)
                   ? c[0]
                   : nullptr;
    }
    bool is_output(const std::string& v) const { return v == output_; }
    // The consumers that compute data, not sizes: torch.onnx reads a value's Shape wherever PyTorch code
    // asked for a size, and those Shape nodes are not part of a pattern.
    std::vector<const Node*> data_consumers(const std::string& v) const {
        std::vector<const Node*> out;
        for (const Node* c : consumers(v)) {
            bool sizes_only = true;
            for (const auto& o : c->output()) sizes_only = sizes_only && (o.empty() || static_.count(o));
            if (!sizes_only) out.push_back(c);
        }
        return out;
    }
    const Node* only_data_consumer(const std::string& v, const char* op) const {
        const auto c = data_consumers(v);
        return c.size() == 1 && c[0]->op_type() == op && !is_output(v) ? c[0] : nullptr;
    }
    // A constant scalar input of `n` (the other operand of a Mul, Div, Add, Pow), or nothing.
    std::optional<double> scalar_input(const Node& n, int k) const {
        if (k >= n.input_size() || !is_const(n.input(k))) return std::nullopt;
        const Tensor t = constant(n, static_cast<std::size_t>(k));
        if (t.numel() != 1) return std::nullopt;
        return t.to_vector<double>()[0];
    }
    // The full shape (batch first, -1 unknown); empty when shape inference did not know it.
    IntList shape_of(const std::string& v) const {
        const auto it = shapes_.find(v);
        return it == shapes_.end() ? IntList{} : it->second;
    }
    std::size_t rank_of(const Node& n, const std::string& v) const {
        const IntList s = shape_of(v);
        if (s.empty()) fail(n, concat("the rank of its input '", v, "' is unknown (shape inference did not give it)"));
        return s.size();
    }

    // ---- building ----
    std::string unique_name(std::string hint) {
        for (char& c : hint)
            if (c == '/' || c == '.' || c == ':' || c == ' ') c = '_';
        while (!hint.empty() && hint.front() == '_') hint.erase(hint.begin());
        if (hint.empty()) hint = "layer";
        std::string name = hint;
        for (int k = 2; names_.count(name); ++k) name = concat(hint, "_", k);
        names_.insert(name);
        return name;
    }
    // A name for the layer made from `n`: the exporter's doc string "<name> (<Type>)", the weight
    // initializer's prefix ("fc1.weight" → fc1), the ONNX node name less its op ("/fc1/Gemm" → fc1), or
    // the layer type; a name that would start with a digit (PyTorch's "/0/Conv") gets the type in front.
    std::string layer_name(const Node& n, const std::string& type, const std::string& weight_input = {}) {
        std::string lower = type;
        for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        auto named = [&](std::string hint) {
            while (!hint.empty() && (hint.front() == '/' || hint.front() == '_')) hint.erase(hint.begin());
            if (hint.empty()) return unique_name(lower);
            if (std::isdigit(static_cast<unsigned char>(hint.front()))) hint = lower + "_" + hint;
            return unique_name(hint);
        };
        const std::string& doc = n.doc_string();
        const std::string tail = " (" + type + ")";
        if (doc.size() > tail.size() && doc.compare(doc.size() - tail.size(), tail.size(), tail) == 0)
            return named(doc.substr(0, doc.size() - tail.size()));
        const std::string suffix = ".weight";
        if (weight_input.size() > suffix.size() &&
            weight_input.compare(weight_input.size() - suffix.size(), suffix.size(), suffix) == 0)
            return named(weight_input.substr(0, weight_input.size() - suffix.size()));
        std::string name = n.name();
        if (const auto slash = name.rfind('/'); slash != std::string::npos && slash > 0 &&
                                                name.compare(slash + 1, n.op_type().size(), n.op_type()) == 0)
            name = name.substr(0, slash);
        return named(name);
    }
    NodeId producer(const Node& n, const std::string& v) const {
        const auto it = producer_.find(v);
        if (it == producer_.end()) {
            if (seq_.count(v))
                fail(n, concat("its input '", v, "' is a recurrent op's time-major value; only Transpose, Squeeze and "
                               "Reshape back to [batch, time, features] (as torch.onnx writes them) are imported"));
            fail(n, is_const(v) ? concat("its input '", v, "' is a constant where the layer takes an activation")
                                : concat("its input '", v, "' comes from no imported layer"));
        }
        return it->second;
    }
    NodeId add_layer(const Node& n, const std::string& type, const std::string& name, AttributeMap attrs,
                     const std::vector<std::string>& inputs, const std::string& output) {
        std::vector<NodeId> from;
        for (const auto& v : inputs) from.push_back(producer(n, v));
        const NodeId id = out_.graph.add_node(type, name, std::move(attrs));
        for (std::size_t p = 0; p < from.size(); ++p)
            out_.graph.add_edge({from[p], PortIndex{0}}, {id, PortIndex{static_cast<PortIndex::Rep>(p)}});
        producer_[output] = id;
        return id;
    }
    void weight(const std::string& layer, const std::string& param, const Tensor& t) {
        out_.weights.push_back({layer + "." + param, t.contiguous()});
    }
    void alias(const Node& n, const std::string& from, const std::string& to) { producer_[to] = producer(n, from); }

    // Symmetric ONNX pads [h_begin, w_begin, h_end, w_end] → [h, w].
    IntList symmetric_pads(const Node& n) const {
        const std::string auto_pad = get_string(n, "auto_pad", "NOTSET");
        if (auto_pad != "NOTSET" && auto_pad != "VALID")
            fail(n, concat("auto_pad ", auto_pad, " is not supported; only explicit pads"));
        const IntList p = get_ints(n, "pads", {0, 0, 0, 0});
        if (p.size() != 4) fail(n, concat("pads has ", p.size(), " values; 2-D layers take 4"));
        if (p[0] != p[2] || p[1] != p[3])
            fail(n, concat("pads [", p[0], ", ", p[1], ", ", p[2], ", ", p[3],
                           "] differ at the begin and end; layers pad both sides equally"));
        return {p[0], p[1]};
    }
    IntList two(const Node& n, const std::string& name, IntList def) const {
        IntList v = get_ints(n, name, std::move(def));
        if (v.size() != 2) fail(n, concat(name, " has ", v.size(), " values; only 2-D layers are imported"));
        return v;
    }

    void import_node(const Node& n);
    bool try_gelu(const Node& div);
    bool try_normalization(const Node& sub);
    void import_recurrent(const Node& n);
    bool try_sequence_layout(const Node& n);
    bool try_attention(const Node& matmul);
    bool try_encoder(const Node& first);
    bool try_layer_norm(const Node& reduce_mean);
    std::vector<const Node*> match_gelu(const Node& div) const;
    // A Linear as MatMul(x, Wᵀ) [+ Add(b)], or as a Gemm (alpha = beta = 1), matched from the MatMul or
    // Gemm; weight as torch's [out, in].
    struct LinearMatch {
        const Node *matmul = nullptr, *add = nullptr;
        Tensor weight, bias;
        std::string out;
    };
    std::optional<LinearMatch> match_linear(const Node& matmul) const;
    struct AttentionMatch {
        std::string x, out;
        std::int64_t heads = 0;
        bool bias = false;
        const Node* mask = nullptr;  // the Add of a causal mask
        Tensor in_proj_weight, in_proj_bias, out_weight, out_bias;
        std::vector<const Node*> nodes;
    };
    std::optional<AttentionMatch> match_attention(const Node& q_matmul) const;
    std::optional<AttentionMatch> match_torch_attention(const Node& transpose) const;
    std::optional<AttentionMatch> match_any_attention(const Node& first) const {
        if (first.op_type() == "MatMul") return match_attention(first);
        if (first.op_type() == "Transpose") return match_torch_attention(first);
        return std::nullopt;
    }
    // LayerNorm over the last dimension: one LayerNormalization op (opset 17), or the ops torch.onnx writes
    // below opset 17, matched from the first ReduceMean.
    struct NormMatch {
        std::string x, out;
        double eps = 1e-5;
        Tensor weight, bias;  // ones and zeros when the file has no affine part
        std::vector<const Node*> nodes;
    };
    std::optional<NormMatch> match_layer_norm(const Node& first) const;
    // Integer values computed from constants and shapes (find_static_values) as torch.onnx's size
    // arithmetic writes them, kUnknownSize where a size is not fixed (the batch); nothing for values this
    // reader does not follow or longer than a shape.
    static constexpr std::int64_t kUnknownSize = std::numeric_limits<std::int64_t>::min();
    std::optional<IntList> size_values(const std::string& v, int depth = 0) const;
    IntList value_shape(const std::string& v, int depth = 0) const;
    mutable std::map<std::string, std::optional<IntList>> size_values_;
    std::map<std::string, const Node*> node_of_;
    IntList int_list(const Node& n, std::size_t input) const;
    void find_static_values();
    void infer_shapes(const std::vector<::onnx::ValueInfoProto>& known);

    // A recurrent op's output, or a batch-first sequence in time-major order, on its way back to a
    // batch-first [B, T, F] value (which `layer` holds, a key of producer_). Forms, by dimension order:
    // TBF: [T, B, F]; TDBH: an op's Y [T, D, B, H] (layout 0); TBDH: [T, B, D, H]; BTDH: [B, T, D, H]
    // (layout 1's Y, or a transposed TDBH).
    enum class Form { TBF, TDBH, TBDH, BTDH };
    struct SeqValue {
        std::string layer;
        Form form;
        std::int64_t dirs = 1, hidden = 0;
        bool single_use = false;  // every value from the recurrent op to here has this one consumer
    };
    std::map<std::string, SeqValue> seq_;
    // A recurrent layer made from ONNX ops, by its output (a key of producer_): a next op of the same
    // kind fed only by it becomes its next layer (num_layers + 1), the inverse of the export.
    struct RecurrentLayer {
        NodeId node;
        std::string name, type;
        AttributeMap attrs;  // without num_layers
        std::int64_t layers = 1;
    };
    std::map<std::string, RecurrentLayer> recurrent_;
    // Values computed from constants and input shapes only (torch.onnx's initial-state construction),
    // and those among them known to be all zeros.
    std::set<std::string> static_, zeros_;

    ::onnx::ModelProto model_;
    ImportOptions options_;
    ImportedModel out_;
    std::int64_t opset_ = 0;
    std::string input_, output_;
    std::map<std::string, const ::onnx::TensorProto*> consts_;
    std::map<std::string, IntList> shapes_;
    std::map<std::string, std::vector<const Node*>> consumers_;
    std::map<std::string, NodeId> producer_;
    std::set<const Node*> done_;
    std::set<std::string> names_;
};

Tensor flat(const Tensor& t) { return t.reshape({t.numel()}); }

bool near(double a, double b) { return std::abs(a - b) <= 1e-5 * std::max(1.0, std::abs(b)); }

// The causal mask and nothing else: 0 on and below the diagonal, -inf above, [T, T] (or [1, T, T]) for T steps.
bool is_causal_mask(const Tensor& m, std::int64_t steps) {
    if (steps <= 0 || (m.shape() != Shape{steps, steps} && m.shape() != Shape{1, steps, steps})) return false;
    const auto values = m.to_vector<double>();
    for (std::int64_t r = 0; r < steps; ++r)
        for (std::int64_t c = 0; c < steps; ++c) {
            const double e = values[static_cast<std::size_t>(r * steps + c)];
            if (c > r ? !(std::isinf(e) && e < 0) : e != 0.0) return false;
        }
    return true;
}

// 0.5 * x * (1 + erf(x / sqrt(2))): Div → Erf → Add(1) → Mul(x) → Mul(0.5), as the exporter and PyTorch write it.
std::vector<const ::onnx::NodeProto*> Importer::match_gelu(const Node& div) const {
    if (div.op_type() != "Div" || div.input_size() != 2 || !is_const(div.input(1))) return {};
    const Tensor c = constant(div, 1);
    if (c.numel() != 1 || !near(c.to_vector<double>()[0], std::sqrt(2.0))) return {};
    const std::string& x = div.input(0);
    const Node* erf = only_consumer(div.output(0), "Erf");
    if (!erf) return {};
    const Node* add = only_consumer(erf->output(0), "Add");
    if (!add) return {};
    const std::string& one = add->input(0) == erf->output(0) ? add->input(1) : add->input(0);
    if (!is_const(one) || constant(*add, add->input(0) == one ? 0 : 1).to_vector<double>() != std::vector<double>{1.0})
        return {};
    const Node* mul1 = only_consumer(add->output(0), "Mul");
    if (!mul1 || (mul1->input(0) != x && mul1->input(1) != x)) return {};
    const Node* mul2 = only_consumer(mul1->output(0), "Mul");
    if (!mul2) return {};
    const int k = mul2->input(0) == mul1->output(0) ? 1 : 0;
    if (!is_const(mul2->input(k)) ||
        constant(*mul2, static_cast<std::size_t>(k)).to_vector<double>() != std::vector<double>{0.5})
        return {};
    return {&div, erf, add, mul1, mul2};
}

// 0.5 * x * (1 + erf(x / sqrt(2))): Div → Erf → Add(1) → Mul(x) → Mul(0.5), as the exporter and PyTorch write it.
bool Importer::try_gelu(const Node& div) {
    const auto nodes = match_gelu(div);
    if (nodes.empty()) return false;
    add_layer(div, "GELU", layer_name(*nodes.back(), "GELU"), {}, {div.input(0)}, nodes.back()->output(0));
    for (const Node* p : nodes) done_.insert(p);
    return true;
}

// The exporter's input normalization: Sub(input, mean) → Div(·, scale), straight on the graph input.
bool Importer::try_normalization(const Node& sub) {
    if (sub.input_size() != 2 || sub.input(0) != input_ || !is_const(sub.input(1))) return false;
    const Node* div = only_consumer(sub.output(0), "Div");
    if (!div || div->input(0) != sub.output(0) || !is_const(div->input(1)) || out_.normalization) return false;
    const IntList in = shape_of(input_);
    std::int64_t features = 1;
    for (std::size_t k = 1; k < in.size(); ++k)
        if (__builtin_mul_overflow(features, in[k], &features) || features > (std::int64_t{1} << 31))
            fail(sub, "the input has too many features for a normalization");
    auto values = [&](const Node& n) {
        std::vector<double> v = constant(n, 1).to_vector<double>();
        if (v.size() == 1) v.assign(static_cast<std::size_t>(features), v[0]);
        if (static_cast<std::int64_t>(v.size()) != features)
            fail(n, concat("the normalization constant has ", v.size(), " values for ", features, " features"));
        return v;
    };
    out_.normalization = data::Standardizer(values(sub), values(*div));
    alias(sub, input_, div->output(0));
    done_.insert(&sub);
    done_.insert(div);
    return true;
}

// Whether a tensor holds zeros only; a tensor this reader cannot read is not.
bool all_zero(const ::onnx::TensorProto& t) {
    try {
        for (double v : parse_tensor_proto(t.SerializeAsString(), "constant").to_vector<double>())
            if (v != 0.0) return false;
        return true;
    } catch (const Error&) {
        return false;
    }
}

std::string list_str(const IntList& l) {
    std::string s = "[";
    for (std::size_t k = 0; k < l.size(); ++k) s += concat(k ? ", " : "", l[k]);
    return s + "]";
}

IntList Importer::int_list(const Node& n, std::size_t input) const {
    const Tensor t = constant(n, input);
    if (t.dtype() != DType::I64 || t.dim() > 1 || t.numel() > kMaxRank)
        fail(n, concat("input ", input, " must be a list of at most ", kMaxRank, " integers"));
    return t.to_vector<std::int64_t>();
}

// torch.onnx builds a recurrent op's zero initial state from the input's batch size: Shape → Gather →
// Unsqueeze → Concat → ConstantOfShape (→ Slice per layer, Expand). Such values depend on constants and
// shapes only; they are marked here, the nodes computing them are not layers, and the recurrent op
// checks that its initial state is among the zeros. Nothing is evaluated (no size from the file is
// allocated).
void Importer::find_static_values() {
    static const std::set<std::string> kShapeMath = {"Gather", "Unsqueeze", "Squeeze", "Concat", "ConstantOfShape",
                                                     "Slice",  "Expand",    "Cast",    "Reshape", "Identity",
                                                     "Mul",    "Add",       "Sub",     "Div",     "Transpose"};
    static const std::set<std::string> kKeepsZeros = {"Gather", "Unsqueeze", "Squeeze", "Slice",    "Expand",
                                                      "Cast",   "Reshape",   "Identity", "Transpose"};
    auto zero = [&](const std::string& v) {
        if (zeros_.count(v)) return true;
        const auto it = consts_.find(v);
        return it != consts_.end() && all_zero(*it->second);
    };
    for (const auto& n : model_.graph().node()) {
        const std::string& op = n.op_type();
        bool is_static = op == "Shape";
        if (!is_static && kShapeMath.count(op)) {
            is_static = true;
            for (const auto& i : n.input())
                if (!i.empty() && !is_const(i) && !static_.count(i)) is_static = false;
        }
        if (!is_static) continue;
        bool zeros = false;
        if (op == "ConstantOfShape") {
            const auto* a = find_attr(n, "value");
            zeros = !a || (a->has_t() && all_zero(a->t()));
        } else if (kKeepsZeros.count(op)) {
            zeros = n.input_size() > 0 && zero(n.input(0));
        } else if (op == "Concat") {
            zeros = n.input_size() > 0;
            for (const auto& i : n.input()) zeros = zeros && zero(i);
        }
        for (const auto& o : n.output()) {
            static_.insert(o);
            if (zeros) zeros_.insert(o);
        }
    }
}

// ONNX's RNN, LSTM, GRU op → one layer of that type (num_layers 1), weights through the one gate table
// (onnx/RecurrentLayout.h). Layout 0 takes [T, B, F] (a Transpose of a batch-first sequence), layout 1
// [B, T, F]; the output goes on as a sequence value until it is batch-first again.
void Importer::import_recurrent(const Node& n) {
    const std::string& type = n.op_type();
    const std::int64_t gates = recurrent_gates(type);
    const std::int64_t hidden = get_int(n, "hidden_size", 0);
    if (!find_attr(n, "hidden_size") || hidden <= 0) fail(n, "its hidden_size attribute is missing or not positive");
    const std::string direction = get_string(n, "direction", "forward");
    if (direction != "forward" && direction != "bidirectional")
        fail(n, concat("direction '", direction, "' has no layer; forward and bidirectional are imported"));
    const std::int64_t dirs = direction == "bidirectional" ? 2 : 1;
    const std::int64_t layout = get_int(n, "layout", 0);
    if (layout != 0 && layout != 1) fail(n, concat("layout ", layout, " is neither 0 nor 1"));
    if (find_attr(n, "clip")) fail(n, "clip (cell clipping) has no layer");
    if (find_attr(n, "activation_alpha") || find_attr(n, "activation_beta"))
        fail(n, "activation_alpha and activation_beta are not imported");
    if (get_int(n, "input_forget", 0) != 0) fail(n, "input_forget=1 (coupled input and forget gates) has no layer");
    if (type == "GRU" && get_int(n, "linear_before_reset", 0) != 1)
        fail(n, "linear_before_reset=0 computes the candidate gate unlike torch.nn.GRU (which exports linear_before_reset=1)");
    std::vector<std::string> want = type == "LSTM"  ? std::vector<std::string>{"Sigmoid", "Tanh", "Tanh"}
                                    : type == "GRU" ? std::vector<std::string>{"Sigmoid", "Tanh"}
                                                    : std::vector<std::string>{"Tanh"};
    std::string nonlinearity = "tanh";
    if (const auto* a = find_attr(n, "activations"); a && a->strings_size() > 0) {
        const std::vector<std::string> acts(a->strings().begin(), a->strings().end());
        if (acts.size() != want.size() * static_cast<std::size_t>(dirs))
            fail(n, concat("it lists ", acts.size(), " activations; ", type, " with ", dirs, " direction(s) takes ",
                           want.size() * static_cast<std::size_t>(dirs)));
        if (type == "RNN" && acts[0] == "Relu") {
            nonlinearity = "relu";
            want = {"Relu"};
        }
        for (std::size_t k = 0; k < acts.size(); ++k)
            if (acts[k] != want[k % want.size()])
                fail(n, concat("activation '", acts[k], "' has no layer; ", type, " uses ",
                               type == "RNN" ? std::string("Tanh or Relu") : want[k % want.size()], " there"));
    }
    auto given = [&](int k) { return n.input_size() > k && !n.input(k).empty(); };
    if (given(4)) fail(n, "sequence_lens (sequences of different lengths) is not imported");
    for (int k : {5, 6})
        if (given(k) && !zeros_.count(n.input(k)) &&
            !(is_const(n.input(k)) && all_zero(*consts_.at(n.input(k)))))
            fail(n, concat("its initial ", k == 5 ? "hidden" : "cell", " state '", n.input(k),
                           "' is not known to be zeros; the layer starts from zeros"));
    if (given(7)) fail(n, "peephole weights (input P) have no layer");
    for (int k = 1; k < n.output_size(); ++k)
        if (!n.output(k).empty() && (is_output(n.output(k)) || !consumers(n.output(k)).empty()))
            fail(n, concat("its final-state output '", n.output(k), "' is used; the layer gives the output sequence only"));

    const std::string& x = n.input(0);
    std::string layer_input = x;
    bool chained = false;  // fed by a recurrent op through one chain of single-use values
    if (layout == 0) {
        const auto it = seq_.find(x);
        if (it == seq_.end() || it->second.form != Form::TBF)
            fail(n, concat("its input '", x, "' is not a batch-first sequence transposed to [time, batch, features] ",
                           "(layout 0)"));
        layer_input = it->second.layer;
        chained = it->second.single_use && consumers(x).size() == 1 && !is_output(x);
    }
    // The weights' dims against the attributes before anything is sized by them.
    std::int64_t gh = 0, gh2 = 0;
    if (__builtin_mul_overflow(gates, hidden, &gh) || __builtin_mul_overflow(gh, std::int64_t{2}, &gh2))
        fail(n, concat("hidden_size ", hidden, " is too large"));
    const Tensor W = constant(n, 1), R = constant(n, 2);
    if (W.dim() != 3 || W.size(0) != dirs || W.size(1) != gh)
        fail(n, concat("W is ", shape_str(W.shape()), "; with hidden_size ", hidden, " and ", dirs,
                       " direction(s) it must be [", dirs, ", ", gh, ", input features]"));
    const IntList xs = shape_of(x);
    if (xs.size() == 3 && xs[2] > 0 && xs[2] != W.size(2))
        fail(n, concat("W takes ", W.size(2), " input features, its input '", x, "' has ", xs[2]));
    if (R.shape() != Shape{dirs, gh, hidden})
        fail(n, concat("R is ", shape_str(R.shape()), ", it must be ", shape_str(Shape{dirs, gh, hidden})));
    Tensor B;
    if (given(3)) {
        B = constant(n, 3);
        if (B.shape() != Shape{dirs, gh2})
            fail(n, concat("B is ", shape_str(B.shape()), ", it must be ", shape_str(Shape{dirs, gh2})));
    }
    AttributeMap attrs = {{"hidden_size", AttributeValue(hidden)},
                          {"bidirectional", AttributeValue(dirs == 2)},
                          {"bias", AttributeValue(B.defined())}};
    if (type == "RNN") attrs["nonlinearity"] = AttributeValue(nonlinearity);
    const std::string out = n.output(0) + "\x1f" "batch_first";  // no ONNX value: the layer's [B, T, D*H]
    RecurrentLayer layer;
    if (const auto prev = recurrent_.find(layer_input);
        chained && prev != recurrent_.end() && prev->second.type == type && prev->second.attrs == attrs) {
        layer = prev->second;  // the next layer of the same stack
        recurrent_.erase(prev);
        ++layer.layers;
        out_.graph.set_attribute(layer.node, "num_layers", AttributeValue(layer.layers));
        producer_[out] = layer.node;
    } else {
        layer = {NodeId{}, layer_name(n, type, n.input(1)), type, attrs, 1};
        attrs["num_layers"] = AttributeValue(std::int64_t{1});
        layer.node = add_layer(n, type, layer.name, std::move(attrs), {layer_input}, out);
    }
    const std::string name = layer.name;
    const std::string l = concat("_l", layer.layers - 1);
    recurrent_[out] = std::move(layer);
    const auto weights = from_onnx_recurrent(type, W, R, B);
    for (std::size_t d = 0; d < weights.size(); ++d) {
        const std::string suffix = d == 1 ? l + "_reverse" : l;
        weight(name, "weight_ih" + suffix, weights[d].weight_ih);
        weight(name, "weight_hh" + suffix, weights[d].weight_hh);
        if (B.defined()) {
            weight(name, "bias_ih" + suffix, weights[d].bias_ih);
            weight(name, "bias_hh" + suffix, weights[d].bias_hh);
        }
    }
    seq_[n.output(0)] = {out, layout == 0 ? Form::TDBH : Form::BTDH, dirs, hidden,
                         consumers(n.output(0)).size() == 1 && !is_output(n.output(0))};
}

// Transpose, Squeeze and Reshape between batch-first sequences and recurrent ops, as torch.onnx writes
// them: batch-first → [T, B, F] → op → Y → Squeeze of the direction axis, or Transpose + Reshape merging
// it with the hidden axis → [T, B, D*H] (the next op's input) → Transpose → batch-first. Returns false for
// a node that is not part of such a chain.
bool Importer::try_sequence_layout(const Node& n) {
    const std::string& op = n.op_type();
    const std::string& x = n.input(0);
    const std::string& y = n.output(0);
    const auto it = seq_.find(x);
    if (op == "Transpose") {
        const IntList perm = get_ints(n, "perm", {});
        if (it == seq_.end()) {
            if (perm != IntList{1, 0, 2} || !producer_.count(x) || shape_of(x).size() != 3) return false;
            seq_[y] = {x, Form::TBF};
            return true;
        }
        SeqValue s = it->second;
        s.single_use = s.single_use && consumers(y).size() == 1 && !is_output(y);
        if (s.form == Form::TBF && perm == IntList{1, 0, 2}) {
            alias(n, s.layer, y);
            return true;
        }
        if (s.form == Form::TDBH && perm == IntList{0, 2, 1, 3}) s.form = Form::TBDH;
        else if (s.form == Form::TDBH && perm == IntList{2, 0, 1, 3}) s.form = Form::BTDH;
        else if (s.form == Form::TBDH && perm == IntList{1, 0, 2, 3}) s.form = Form::BTDH;
        else
            fail(n, concat("perm ", list_str(perm), " does not take the recurrent op's output '", x,
                           "' towards [batch, time, features]"));
        seq_[y] = s;
        return true;
    }
    if (it == seq_.end() || (op != "Squeeze" && op != "Reshape")) return false;
    SeqValue s = it->second;
    s.single_use = s.single_use && consumers(y).size() == 1 && !is_output(y);
    if (op == "Squeeze") {
        IntList axes = n.input_size() > 1 && !n.input(1).empty() ? int_list(n, 1) : get_ints(n, "axes", {});
        const std::int64_t rank = s.form == Form::TBF ? 3 : 4;
        for (auto& a : axes)
            if (a < 0) a += rank;
        const std::int64_t direction_axis = s.form == Form::TDBH ? 1 : 2;
        if (s.form == Form::TBF || s.dirs != 1 || axes != IntList{direction_axis})
            fail(n, "only squeezing the direction axis of a one-direction recurrent op's output is imported");
    } else {
        if (s.form != Form::TBDH && s.form != Form::BTDH)
            fail(n, "only merging the direction and hidden axes of a recurrent op's output is imported");
        const IntList t = int_list(n, 1);
        const IntList shape = shape_of(x);
        bool ok = t.size() == 3 && (t[2] == -1 || t[2] == s.dirs * s.hidden) && get_int(n, "allowzero", 0) == 0;
        for (std::size_t k = 0; ok && k < 2; ++k)
            ok = t[k] == 0 || (shape.size() == 4 && shape[k] > 0 && t[k] == shape[k]);
        if (!ok)
            fail(n, concat("shape ", list_str(t), " does not merge the direction and hidden axes of the recurrent ",
                           "op's output (as [0, 0, -1])"));
    }
    if (s.form == Form::BTDH) {
        alias(n, s.layer, y);
    } else {
        s.form = Form::TBF;
        seq_[y] = s;
    }
    return true;
}

std::optional<Importer::LinearMatch> Importer::match_linear(const Node& mm) const {
    if (mm.op_type() == "Gemm") {  // x @ op(B) + C with alpha = beta = 1 (torch.onnx's nn.Linear on 2-D inputs)
        if (mm.input_size() < 2 || !is_const(mm.input(1)) || get_int(mm, "transA", 0) != 0 ||
            get_float(mm, "alpha", 1) != 1.0 || get_float(mm, "beta", 1) != 1.0)
            return std::nullopt;
        const Tensor b = constant(mm, 1);
        if (b.dim() != 2) return std::nullopt;
        LinearMatch m;
        m.matmul = &mm;
        m.weight = get_int(mm, "transB", 0) ? b : b.t().contiguous();
        m.out = mm.output(0);
        if (mm.input_size() > 2 && !mm.input(2).empty()) {
            if (!is_const(mm.input(2))) return std::nullopt;
            m.bias = flat(constant(mm, 2));
            if (m.bias.numel() != m.weight.size(0)) return std::nullopt;
        }
        return m;
    }
    if (mm.op_type() != "MatMul" || mm.input_size() != 2 || !is_const(mm.input(1))) return std::nullopt;
    const Tensor wt = constant(mm, 1);
    if (wt.dim() != 2) return std::nullopt;
    LinearMatch m;
    m.matmul = &mm;
    m.weight = wt.t().contiguous();
    m.out = mm.output(0);
    if (const Node* add = only_consumer(m.out, "Add")) {
        const int k = add->input(0) == m.out ? 1 : 0;
        if (is_const(add->input(k))) {
            const Tensor b = flat(constant(*add, static_cast<std::size_t>(k)));
            if (b.numel() == wt.size(1)) {
                m.add = add;
                m.bias = b;
                m.out = add->output(0);
            }
        }
    }
    return m;
}

// Self-attention as the exporter writes MultiheadAttention (BuiltinLayers.cpp, attention_onnx): from x,
// per projection MatMul(x, Wᵀ) [+ Add(b)] → Reshape [0, 0, heads, E/heads] → Transpose (q, v [0, 2, 1, 3];
// k [0, 2, 3, 1]); MatMul(q, k) → Mul(1/√(E/heads)) [→ Add(causal mask)] → Softmax(−1) → MatMul(·, v) →
// Transpose [0, 2, 1, 3] → Reshape [0, 0, E] → MatMul(W_outᵀ) [+ Add(b_out)]. Matched from q's MatMul;
// every intermediate value must have the one consumer of the pattern.
std::optional<Importer::AttentionMatch> Importer::match_attention(const Node& mq) const {
    if (mq.op_type() != "MatMul" || mq.input_size() != 2) return std::nullopt;
    AttentionMatch a;
    a.x = mq.input(0);
    struct Projection {
        LinearMatch lin;
        const Node *reshape = nullptr, *transpose = nullptr;
    };
    auto projection = [&](const Node& mm, const IntList& perm, Projection& p) {
        if (mm.input(0) != a.x) return false;
        const auto lin = match_linear(mm);
        if (!lin || lin->weight.size(0) != lin->weight.size(1)) return false;
        p.lin = *lin;
        const std::int64_t embed = lin->weight.size(0);
        p.reshape = only_consumer(lin->out, "Reshape");
        if (!p.reshape || p.reshape->input_size() != 2 || !is_const(p.reshape->input(1))) return false;
        const Tensor t = constant(*p.reshape, 1);
        if (t.dtype() != DType::I64 || t.numel() != 4) return false;
        const IntList v = t.to_vector<std::int64_t>();
        if (v[0] != 0 || v[1] != 0 || v[2] <= 0 || v[3] <= 0 || v[2] > embed || v[2] * v[3] != embed ||
            (a.heads != 0 && v[2] != a.heads))
            return false;
        a.heads = v[2];
        p.transpose = only_consumer(p.reshape->output(0), "Transpose");
        return p.transpose && get_ints(*p.transpose, "perm", {}) == perm;
    };
    // q, k, v: the first three MatMuls of x with constant weights, in the exporter's order.
    std::vector<const Node*> mms;
    for (const Node* c : consumers(a.x))
        if (c->op_type() == "MatMul" && c->input_size() == 2 && c->input(0) == a.x && is_const(c->input(1)))
            mms.push_back(c);
    if (mms.size() < 3 || mms[0] != &mq) return std::nullopt;
    Projection q, k, v;
    if (!projection(*mms[0], {0, 2, 1, 3}, q) || !projection(*mms[1], {0, 2, 3, 1}, k) ||
        !projection(*mms[2], {0, 2, 1, 3}, v))
        return std::nullopt;
    const std::int64_t embed = q.lin.weight.size(0);
    if (k.lin.weight.size(0) != embed || v.lin.weight.size(0) != embed) return std::nullopt;
    const std::string &qo = q.transpose->output(0), &ko = k.transpose->output(0), &vo = v.transpose->output(0);
    const Node* scores = only_consumer(qo, "MatMul");
    if (!scores || scores->input(0) != qo || scores->input(1) != ko || only_consumer(ko, "MatMul") != scores)
        return std::nullopt;
    const Node* scale = only_consumer(scores->output(0), "Mul");
    if (!scale) return std::nullopt;
    const int sk = scale->input(0) == scores->output(0) ? 1 : 0;
    if (!is_const(scale->input(sk))) return std::nullopt;
    const Tensor sc = constant(*scale, static_cast<std::size_t>(sk));
    if (sc.numel() != 1 || !near(sc.to_vector<double>()[0], 1.0 / std::sqrt(double(embed / a.heads))))
        return std::nullopt;
    std::string before_softmax = scale->output(0);
    if (const Node* mask = only_consumer(before_softmax, "Add")) {
        const int mk = mask->input(0) == before_softmax ? 1 : 0;
        const IntList xs = shape_of(a.x);
        if (!is_const(mask->input(mk)) || xs.size() != 3 || !is_causal_mask(constant(*mask, static_cast<std::size_t>(mk)), xs[1]))
            return std::nullopt;
        a.mask = mask;
        before_softmax = mask->output(0);
    }
    const Node* softmax = only_consumer(before_softmax, "Softmax");
    if (!softmax || (get_int(*softmax, "axis", -1) != -1 && get_int(*softmax, "axis", -1) != 3)) return std::nullopt;
    const Node* context = only_consumer(softmax->output(0), "MatMul");
    if (!context || context->input(0) != softmax->output(0) || context->input(1) != vo ||
        only_consumer(vo, "MatMul") != context)
        return std::nullopt;
    const Node* merge_t = only_consumer(context->output(0), "Transpose");
    if (!merge_t || get_ints(*merge_t, "perm", {}) != IntList{0, 2, 1, 3}) return std::nullopt;
    const Node* merge = only_consumer(merge_t->output(0), "Reshape");
    if (!merge || merge->input_size() != 2 || !is_const(merge->input(1)) ||
        constant(*merge, 1).to_vector<std::int64_t>() != IntList{0, 0, embed})
        return std::nullopt;
    const Node* out_mm = only_consumer(merge->output(0), "MatMul");
    const auto o = out_mm && out_mm->input(0) == merge->output(0) ? match_linear(*out_mm) : std::nullopt;
    if (!o || o->weight.shape() != Shape{embed, embed}) return std::nullopt;
    a.bias = q.lin.bias.defined();
    if (k.lin.bias.defined() != a.bias || v.lin.bias.defined() != a.bias || o->bias.defined() != a.bias)
        return std::nullopt;
    a.out = o->out;
    a.in_proj_weight = cat({q.lin.weight, k.lin.weight, v.lin.weight}, 0);
    if (a.bias) a.in_proj_bias = cat({q.lin.bias, k.lin.bias, v.lin.bias}, 0);
    a.out_weight = o->weight;
    a.out_bias = o->bias;
    for (const Projection* p : {&q, &k, &v})
        for (const Node* d : {p->lin.matmul, p->lin.add, p->reshape, p->transpose})
            if (d) a.nodes.push_back(d);
    for (const Node* d : {scores, scale, a.mask, softmax, context, merge_t, merge, o->matmul, o->add})
        if (d) a.nodes.push_back(d);
    return a;
}

// A value's shape (-1 unknown sizes): shape inference's, or, where it gave none, worked out from the op
// for the few ops in torch.onnx's attention whose sizes come from computed values (Slice with computed
// ends, Reshape to a computed shape) and the projections after them. Empty when not known.
IntList Importer::value_shape(const std::string& v, int depth) const {
    if (IntList s = shape_of(v); !s.empty() || depth > 64) return s;
    const auto it = node_of_.find(v);
    if (it == node_of_.end()) return {};
    const Node& n = *it->second;
    const std::string& op = n.op_type();
    if (op == "Slice" && n.input_size() >= 4) {
        IntList s = value_shape(n.input(0), depth + 1);
        const auto starts = size_values(n.input(1), depth + 1), ends = size_values(n.input(2), depth + 1),
                   axes = size_values(n.input(3), depth + 1);
        const bool unit_steps = n.input_size() < 5 || n.input(4).empty() || size_values(n.input(4), depth + 1) == IntList{1};
        if (s.empty() || !starts || !ends || !axes || starts->size() != 1 || ends->size() != 1 || axes->size() != 1 ||
            !unit_steps || (*starts)[0] == kUnknownSize || (*ends)[0] == kUnknownSize)
            return {};
        const auto rank = static_cast<std::int64_t>(s.size());
        const std::int64_t axis = (*axes)[0] < 0 ? (*axes)[0] + rank : (*axes)[0];
        if (axis < 0 || axis >= rank || s[static_cast<std::size_t>(axis)] < 0) return {};
        const std::int64_t size = s[static_cast<std::size_t>(axis)];
        auto at = [&](std::int64_t i) { return std::clamp(i < 0 ? i + size : i, std::int64_t{0}, size); };
        s[static_cast<std::size_t>(axis)] = std::max<std::int64_t>(0, at((*ends)[0]) - at((*starts)[0]));
        return s;
    }
    if (op == "Reshape" && n.input_size() == 2) {  // 0 copies the input's size, -1 is inferred
        const auto target = size_values(n.input(1), depth + 1);
        if (!target) return {};
        const IntList in = value_shape(n.input(0), depth + 1);
        IntList s;
        for (std::size_t k = 0; k < target->size(); ++k) {
            const std::int64_t d = (*target)[k];
            s.push_back(d == 0 && get_int(n, "allowzero", 0) == 0 ? (k < in.size() ? in[k] : -1) : d < 0 ? -1 : d);
        }
        return s;
    }
    if ((op == "Gemm" || op == "MatMul") && n.input_size() >= 2 && consts_.count(n.input(1))) {  // x @ W
        const auto& w = *consts_.at(n.input(1));
        if (w.dims_size() != 2) return {};
        if (op == "Gemm") return {-1, w.dims(get_int(n, "transB", 0) ? 0 : 1)};
        IntList s = value_shape(n.input(0), depth + 1);
        if (s.empty()) return {};
        s.back() = w.dims(1);
        return s;
    }
    return {};
}

std::optional<IntList> Importer::size_values(const std::string& v, int depth) const {
    if (const auto it = size_values_.find(v); it != size_values_.end()) return it->second;
    auto compute = [&]() -> std::optional<IntList> {
        constexpr std::size_t kMaxValues = kMaxRank;
        if (depth > 64) return std::nullopt;
        if (const auto c = consts_.find(v); c != consts_.end()) {
            const auto& t = *c->second;
            const auto type = t.data_type();
            if ((type != ::onnx::TensorProto::INT64 && type != ::onnx::TensorProto::INT32) || t.dims_size() > 1 ||
                (t.dims_size() == 1 && (t.dims(0) < 0 || t.dims(0) > static_cast<std::int64_t>(kMaxValues))))
                return std::nullopt;
            return parse_tensor_proto(t.SerializeAsString(), concat("constant '", v, "'")).to_vector<std::int64_t>();
        }
        const auto it = node_of_.find(v);
        if (it == node_of_.end() || !static_.count(v)) return std::nullopt;
        const Node& n = *it->second;
        const std::string& op = n.op_type();
        auto input = [&](int k) { return k < n.input_size() ? size_values(n.input(k), depth + 1) : std::nullopt; };
        if (op == "Shape") {
            const IntList s = value_shape(n.input(0), depth + 1);
            if (s.empty()) return std::nullopt;
            const auto rank = static_cast<std::int64_t>(s.size());
            auto clamp = [&](std::int64_t i) { return std::clamp(i < 0 ? i + rank : i, std::int64_t{0}, rank); };
            const std::int64_t begin = clamp(get_int(n, "start", 0)), end = clamp(get_int(n, "end", rank));
            IntList out;
            for (std::int64_t k = begin; k < end; ++k)
                out.push_back(s[static_cast<std::size_t>(k)] < 0 ? kUnknownSize : s[static_cast<std::size_t>(k)]);
            return out;
        }
        if (op == "Identity" || op == "Unsqueeze" || op == "Squeeze") return input(0);
        if (op == "Cast") {
            const auto to = get_int(n, "to", 0);
            return to == ::onnx::TensorProto::INT64 || to == ::onnx::TensorProto::INT32 ? input(0) : std::nullopt;
        }
        if (op == "Gather") {
            const auto data = input(0), index = input(1);
            if (!data || !index || get_int(n, "axis", 0) != 0) return std::nullopt;
            IntList out;
            const auto size = static_cast<std::int64_t>(data->size());
            for (std::int64_t i : *index) {
                if (i == kUnknownSize || i < -size || i >= size) return std::nullopt;
                out.push_back((*data)[static_cast<std::size_t>(i < 0 ? i + size : i)]);
            }
            return out;
        }
        if (op == "Concat") {
            IntList out;
            for (int k = 0; k < n.input_size(); ++k) {
                const auto part = input(k);
                if (!part || out.size() + part->size() > kMaxValues) return std::nullopt;
                out.insert(out.end(), part->begin(), part->end());
            }
            return out;
        }
        if (op == "Add" || op == "Sub" || op == "Mul" || op == "Div") {
            const auto a = input(0), b = input(1);
            if (!a || !b || (a->size() != b->size() && a->size() != 1 && b->size() != 1)) return std::nullopt;
            IntList out(std::max(a->size(), b->size()));
            for (std::size_t k = 0; k < out.size(); ++k) {
                const std::int64_t x = (*a)[a->size() == 1 ? 0 : k], y = (*b)[b->size() == 1 ? 0 : k];
                std::int64_t r = 0;
                if (x == kUnknownSize || y == kUnknownSize) r = kUnknownSize;
                else if (op == "Add" ? __builtin_add_overflow(x, y, &r)
                         : op == "Sub" ? __builtin_sub_overflow(x, y, &r)
                         : op == "Mul" ? __builtin_mul_overflow(x, y, &r)
                                       : (y == 0 || (x == std::numeric_limits<std::int64_t>::min() && y == -1)))
                    return std::nullopt;
                else if (op == "Div") r = x / y;  // ONNX's integer Div truncates, as C++
                out[k] = r;
            }
            return out;
        }
        return std::nullopt;
    };
    return size_values_[v] = compute();
}

// Self-attention as torch.onnx writes PyTorch's F.multi_head_attention_forward for a batch-first
// nn.MultiheadAttention (and inside nn.TransformerEncoderLayer): x → Transpose [1, 0, 2] (time-major) →
// MatMul(in_proj_weightᵀ) + Add(in_proj_bias) → chunk(3) as three Slices of the last axis (ends computed
// from the Shape) → per part Reshape [T, B·heads, head_dim] → Transpose (q, v [1, 0, 2]; k [1, 2, 0]) →
// q scaled (Div by √head_dim, or Mul, on q, k or the scores) → MatMul(q, k) [→ Add(causal mask)] →
// Softmax(−1) → MatMul(·, v) → Transpose [1, 0, 2] → Reshape [T·B, E] → Gemm(out_proj) → Reshape
// [T, B, E] → Transpose [1, 0, 2]. Matched from the first Transpose; every size must be one the
// reader computes (size_values).
std::optional<Importer::AttentionMatch> Importer::match_torch_attention(const Node& tr) const {
    if (tr.op_type() != "Transpose" || get_ints(tr, "perm", {}) != IntList{1, 0, 2}) return std::nullopt;
    AttentionMatch a;
    a.x = tr.input(0);
    const IntList xs = shape_of(a.x);
    if (xs.size() != 3 || xs[1] <= 0 || xs[2] <= 0) return std::nullopt;
    const std::int64_t steps = xs[1], embed = xs[2];
    const std::string& xt = tr.output(0);
    std::vector<const Node*> nodes{&tr};
    auto take = [&](const Node* n) {
        if (n) nodes.push_back(n);
        return n;
    };
    // The packed in-projection, then chunk(3, dim=-1).
    const auto uses = data_consumers(xt);
    if (uses.size() != 1 || uses[0]->op_type() != "MatMul" || uses[0]->input(0) != xt) return std::nullopt;
    const auto in = match_linear(*uses[0]);
    if (!in || in->weight.shape() != Shape{3 * embed, embed}) return std::nullopt;
    take(in->matmul);
    take(in->add);
    const Node* part[3] = {nullptr, nullptr, nullptr};
    const auto slices = data_consumers(in->out);
    if (slices.size() != 3 || is_output(in->out)) return std::nullopt;
    for (const Node* s : slices) {
        if (s->op_type() != "Slice" || s->input_size() < 4 || s->input(0) != in->out) return std::nullopt;
        const auto starts = size_values(s->input(1)), ends = size_values(s->input(2)), axes = size_values(s->input(3));
        const auto steps_v = s->input_size() > 4 && !s->input(4).empty() ? size_values(s->input(4)) : IntList{1};
        if (!starts || !ends || !axes || !steps_v || starts->size() != 1 || ends->size() != 1 || axes->size() != 1 ||
            *steps_v != IntList{1} || ((*axes)[0] != -1 && (*axes)[0] != 2))
            return std::nullopt;
        const std::int64_t begin = (*starts)[0], k = begin / embed;
        if (begin == kUnknownSize || begin != k * embed || k < 0 || k > 2 || (*ends)[0] != (k + 1) * embed || part[k])
            return std::nullopt;
        part[k] = take(s);
    }
    // Each part into heads: Reshape [T, B·heads, head_dim] → Transpose.
    std::int64_t head_dim = 0;
    auto heads = [&](const Node* slice, const IntList& perm) -> const Node* {
        const Node* reshape = take(only_data_consumer(slice->output(0), "Reshape"));
        if (!reshape || reshape->input(0) != slice->output(0) || reshape->input_size() != 2) return nullptr;
        const auto t = size_values(reshape->input(1));
        if (!t || t->size() != 3 || ((*t)[0] != steps && (*t)[0] != 0) || (*t)[2] <= 0 || embed % (*t)[2] != 0 ||
            (head_dim != 0 && (*t)[2] != head_dim))
            return nullptr;
        head_dim = (*t)[2];
        const Node* transpose = take(only_data_consumer(reshape->output(0), "Transpose"));
        return transpose && get_ints(*transpose, "perm", {}) == perm ? transpose : nullptr;
    };
    const Node *q = heads(part[0], {1, 0, 2}), *k = q ? heads(part[1], {1, 2, 0}) : nullptr,
               *v = k ? heads(part[2], {1, 0, 2}) : nullptr;
    if (!v) return std::nullopt;
    a.heads = embed / head_dim;
    // Scaling by constants on the way to the Softmax; their product must be 1/√head_dim.
    double scale = 1.0;
    auto scaled = [&](std::string value) {
        for (int step = 0; step < 2; ++step) {
            const auto c = data_consumers(value);
            if (c.size() != 1 || is_output(value) || (c[0]->op_type() != "Mul" && c[0]->op_type() != "Div")) break;
            const int other = c[0]->input(0) == value ? 1 : 0;
            const auto f = scalar_input(*c[0], other);
            if (!f || *f == 0.0 || (c[0]->op_type() == "Div" && other == 0)) break;
            scale *= c[0]->op_type() == "Mul" ? *f : 1.0 / *f;
            value = take(c[0])->output(0);
        }
        return value;
    };
    const std::string qs = scaled(q->output(0)), ks = scaled(k->output(0));
    const Node* scores = take(only_data_consumer(qs, "MatMul"));
    if (!scores || scores->input(0) != qs || scores->input(1) != ks || only_data_consumer(ks, "MatMul") != scores)
        return std::nullopt;
    std::string before_softmax = scaled(scores->output(0));
    if (!near(scale, 1.0 / std::sqrt(static_cast<double>(head_dim)))) return std::nullopt;
    if (const Node* mask = only_data_consumer(before_softmax, "Add")) {
        const int mk = mask->input(0) == before_softmax ? 1 : 0;
        if (!is_const(mask->input(mk)) || !is_causal_mask(constant(*mask, static_cast<std::size_t>(mk)), steps))
            return std::nullopt;
        a.mask = take(mask);
        before_softmax = mask->output(0);
    }
    const Node* softmax = take(only_data_consumer(before_softmax, "Softmax"));
    if (!softmax || (get_int(*softmax, "axis", -1) != -1 && get_int(*softmax, "axis", -1) != 2)) return std::nullopt;
    const Node* context = take(only_data_consumer(softmax->output(0), "MatMul"));
    if (!context || context->input(0) != softmax->output(0) || context->input(1) != v->output(0) ||
        only_data_consumer(v->output(0), "MatMul") != context)
        return std::nullopt;
    // Heads merged back, the out-projection, batch-first again.
    const Node* merge_t = take(only_data_consumer(context->output(0), "Transpose"));
    if (!merge_t || get_ints(*merge_t, "perm", {}) != IntList{1, 0, 2}) return std::nullopt;
    const Node* merge = take(only_data_consumer(merge_t->output(0), "Reshape"));
    const auto ms = merge && merge->input_size() == 2 ? size_values(merge->input(1)) : std::nullopt;
    if (!ms || ms->size() != 2 || ms->back() != embed) return std::nullopt;
    // The out-projection: a Gemm (bias) or a MatMul (no bias).
    const auto projection = data_consumers(merge->output(0));
    const auto o = projection.size() == 1 && !is_output(merge->output(0)) && projection[0]->input(0) == merge->output(0)
                       ? match_linear(*projection[0])
                       : std::nullopt;
    if (!o || o->weight.shape() != Shape{embed, embed}) return std::nullopt;
    a.out_weight = o->weight;
    a.out_bias = o->bias;
    take(o->matmul);
    take(o->add);
    const Node* split = take(only_data_consumer(o->out, "Reshape"));
    const auto ss = split && split->input_size() == 2 ? size_values(split->input(1)) : std::nullopt;
    if (!ss || ss->size() != 3 || ss->back() != embed) return std::nullopt;  // [T, B, E]
    const Node* back = take(only_data_consumer(split->output(0), "Transpose"));
    if (!back || get_ints(*back, "perm", {}) != IntList{1, 0, 2}) return std::nullopt;
    a.bias = in->bias.defined();
    if (a.out_bias.defined() != a.bias) return std::nullopt;
    a.in_proj_weight = in->weight;
    a.in_proj_bias = in->bias;
    a.out = back->output(0);
    a.nodes = std::move(nodes);
    return a;
}

// LayerNorm over the last dimension. Below opset 17 torch.onnx writes it as ReduceMean(x) → d = Sub(x, ·)
// → Pow(d, 2) → ReduceMean → Add(eps) → Sqrt → Div(d, ·) [→ Mul(weight) → Add(bias)], both means over
// the last axis with keepdims.
std::optional<Importer::NormMatch> Importer::match_layer_norm(const Node& first) const {
    NormMatch m;
    m.x = first.input(0);
    const IntList xs = shape_of(m.x);
    if (xs.empty() || xs.back() <= 0) return std::nullopt;
    const std::int64_t features = xs.back(), last = static_cast<std::int64_t>(xs.size()) - 1;
    auto over_last = [&](const IntList& axes) { return axes == IntList{-1} || axes == IntList{last}; };
    if (first.op_type() == "LayerNormalization") {
        if (first.input_size() < 2 || !is_const(first.input(1)) || !over_last({get_int(first, "axis", -1)}))
            return std::nullopt;
        for (int k = 1; k < first.output_size(); ++k)
            if (!first.output(k).empty() && !consumers(first.output(k)).empty()) return std::nullopt;
        m.eps = get_float(first, "epsilon", 1e-5);
        m.weight = flat(constant(first, 1));
        m.bias = first.input_size() > 2 && !first.input(2).empty() ? flat(constant(first, 2)) : Tensor::zeros({features});
        if (m.weight.numel() != features || m.bias.numel() != features) return std::nullopt;
        m.out = first.output(0);
        m.nodes = {&first};
        return m;
    }
    auto mean_of = [&](const Node* n, const std::string& in) {
        if (!n || n->op_type() != "ReduceMean" || n->input(0) != in || get_int(*n, "keepdims", 1) != 1) return false;
        const IntList axes = n->input_size() > 1 && !n->input(1).empty()
                                 ? size_values(n->input(1)).value_or(IntList{})
                                 : get_ints(*n, "axes", {});
        return over_last(axes);
    };
    if (!mean_of(&first, m.x)) return std::nullopt;
    const Node* sub = only_data_consumer(first.output(0), "Sub");
    if (!sub || sub->input(0) != m.x || sub->input(1) != first.output(0)) return std::nullopt;
    const std::string& d = sub->output(0);
    const Node *pow = nullptr, *div = nullptr;
    const auto uses = data_consumers(d);
    if (uses.size() != 2 || is_output(d)) return std::nullopt;
    for (const Node* u : uses) {
        if (u->op_type() == "Pow") pow = u;
        else if (u->op_type() == "Div") div = u;
    }
    if (!pow || !div || pow->input(0) != d || scalar_input(*pow, 1) != 2.0 || div->input(0) != d) return std::nullopt;
    const Node* var = only_data_consumer(pow->output(0), "ReduceMean");
    if (!mean_of(var, pow->output(0))) return std::nullopt;
    const Node* add_eps = only_data_consumer(var->output(0), "Add");
    const auto eps = add_eps ? scalar_input(*add_eps, add_eps->input(0) == var->output(0) ? 1 : 0) : std::nullopt;
    if (!eps || *eps < 0) return std::nullopt;
    const Node* sqrt = only_data_consumer(add_eps->output(0), "Sqrt");
    if (!sqrt || div->input(1) != sqrt->output(0) || only_data_consumer(sqrt->output(0), "Div") != div) return std::nullopt;
    m.eps = *eps;
    m.nodes = {&first, sub, pow, var, add_eps, sqrt, div};
    m.out = div->output(0);
    // The affine part, each one a constant of `features` values.
    auto affine = [&](const char* op) -> Tensor {
        const Node* n = only_data_consumer(m.out, op);
        if (!n) return {};
        const int k = n->input(0) == m.out ? 1 : 0;
        if (!is_const(n->input(k))) return {};
        const Tensor t = flat(constant(*n, static_cast<std::size_t>(k)));
        if (t.numel() != features) return {};
        m.nodes.push_back(n);
        m.out = n->output(0);
        return t;
    };
    m.weight = affine("Mul");
    m.bias = m.weight.defined() ? affine("Add") : Tensor();
    if (!m.weight.defined()) m.weight = Tensor::ones({features});
    if (!m.bias.defined()) m.bias = Tensor::zeros({features});
    return m;
}

bool Importer::try_attention(const Node& mq) {
    const auto a = match_any_attention(mq);
    if (!a) return false;
    if (a->mask)
        fail(*a->mask, "a self-attention with a causal mask has no layer outside a TransformerEncoderLayer (causal), "
                       "and this one is not part of one");
    if (rank_of(mq, a->x) != 3) return false;
    const std::string name = layer_name(mq, "MultiheadAttention");
    add_layer(mq, "MultiheadAttention", name,
              {{"num_heads", AttributeValue(a->heads)}, {"bias", AttributeValue(a->bias)}}, {a->x}, a->out);
    weight(name, "in_proj_weight", a->in_proj_weight);
    if (a->bias) weight(name, "in_proj_bias", a->in_proj_bias);
    weight(name, "out_proj.weight", a->out_weight);
    if (a->bias) weight(name, "out_proj.bias", a->out_bias);
    for (const Node* d : a->nodes) done_.insert(d);
    return true;
}

// torch.nn.TransformerEncoderLayer as the exporter writes it (BuiltinLayers.cpp, encoder_onnx), matched
// from its first node: post-norm (from q's MatMul) h = LN1(x + attn(x)), out = LN2(h + ff(h)); pre-norm
// (from LN1) h = x + attn(LN1(x)), out = h + ff(LN2(h)); ff = Linear2(ReLU or GELU(Linear1)); LayerNorms
// over the last dimension with epsilon 1e-5 (the layer's).
bool Importer::try_encoder(const Node& first) {
    std::vector<const Node*> nodes;
    auto consumers_of = [&](const std::string& v, const char* op) {
        std::vector<const Node*> out;
        for (const Node* c : consumers(v))
            if (c->op_type() == op) out.push_back(c);
        return out;
    };
    // The one binary Add of `a` and `b`.
    auto add_of = [&](const std::string& a, const std::string& b) -> const Node* {
        for (const Node* c : consumers_of(a, "Add"))
            if (c->input_size() == 2 && ((c->input(0) == a && c->input(1) == b) || (c->input(0) == b && c->input(1) == a)))
                return c;
        return nullptr;
    };
    std::int64_t embed = 0;
    // A LayerNorm over the embedding with the layer's epsilon 1e-5 (its nodes join the layer's).
    auto accept_norm = [&](std::optional<NormMatch> m) -> std::optional<NormMatch> {
        if (!m || !near(m->eps, 1e-5) || m->weight.numel() != embed) return std::nullopt;
        nodes.insert(nodes.end(), m->nodes.begin(), m->nodes.end());
        return m;
    };
    auto layer_norm = [&](const Node* n) { return accept_norm(n ? match_layer_norm(*n) : std::nullopt); };
    // The LayerNorm that is the only use of `v` (one op, or the two uses of the opset-13 form).
    auto norm_of = [&](const std::string& v) -> std::optional<NormMatch> {
        if (is_output(v)) return std::nullopt;
        const auto uses = data_consumers(v);
        if (uses.size() == 1 && uses[0]->op_type() == "LayerNormalization") return layer_norm(uses[0]);
        if (uses.size() == 2)
            for (const Node* u : uses)
                if (u->op_type() == "ReduceMean") return layer_norm(u);
        return std::nullopt;
    };
    struct FeedForward {
        LinearMatch l1, l2;
        std::string activation;
    };
    auto feed_forward = [&](const std::string& in) -> std::optional<FeedForward> {
        const auto mms = consumers_of(in, "MatMul");
        if (mms.size() != 1) return std::nullopt;
        FeedForward f;
        const auto l1 = match_linear(*mms[0]);
        if (!l1 || l1->weight.size(1) != embed || !l1->bias.defined()) return std::nullopt;
        f.l1 = *l1;
        std::string act;
        if (const Node* relu = only_consumer(l1->out, "Relu")) {
            f.activation = "relu";
            act = relu->output(0);
            nodes.push_back(relu);
        } else if (const auto divs = consumers_of(l1->out, "Div"); divs.size() == 1) {  // x feeds GELU's Div and Mul
            const auto g = match_gelu(*divs[0]);
            if (g.empty()) return std::nullopt;
            f.activation = "gelu";
            act = g.back()->output(0);
            nodes.insert(nodes.end(), g.begin(), g.end());
        } else {
            return std::nullopt;
        }
        const Node* mm2 = only_consumer(act, "MatMul");
        const auto l2 = mm2 ? match_linear(*mm2) : std::nullopt;
        if (!l2 || l2->weight.shape() != Shape{embed, l1->weight.size(0)} || !l2->bias.defined()) return std::nullopt;
        f.l2 = *l2;
        for (const Node* d : {l1->matmul, l1->add, l2->matmul, l2->add}) nodes.push_back(d);
        return f;
    };
    // Self-attention of `in`: the exporter's form (from q's MatMul) or torch.onnx's (from a Transpose).
    auto find_attention = [&](const std::string& in) -> std::optional<AttentionMatch> {
        std::optional<AttentionMatch> a;
        if (const auto mms = consumers_of(in, "MatMul"); !mms.empty()) a = match_attention(*mms[0]);
        for (const Node* t : consumers_of(in, "Transpose"))
            if (!a) a = match_torch_attention(*t);
        if (!a || !a->bias) return std::nullopt;
        embed = a->out_weight.size(0);
        nodes.insert(nodes.end(), a->nodes.begin(), a->nodes.end());
        return a;
    };

    std::string x, out;
    bool norm_first = false;
    std::optional<AttentionMatch> attn;
    std::optional<NormMatch> n1, n2;
    std::optional<FeedForward> ff;
    if (first.op_type() == "LayerNormalization" || first.op_type() == "ReduceMean") {  // pre-norm
        norm_first = true;
        x = first.input(0);
        auto norm = match_layer_norm(first);
        if (!norm || !(attn = find_attention(norm->out)) || !(n1 = accept_norm(std::move(norm)))) return false;
        const Node* r1 = add_of(x, attn->out);
        if (!r1) return false;
        const std::string h = r1->output(0);
        // h feeds the residual Add and the norm (one op, or ReduceMean and Sub).
        const auto norms = consumers_of(h, "LayerNormalization");
        const auto means = consumers_of(h, "ReduceMean");
        const Node* n2_first = norms.size() == 1 ? norms[0] : means.size() == 1 ? means[0] : nullptr;
        if (!(n2 = layer_norm(n2_first)) || !(ff = feed_forward(n2->out))) return false;
        const Node* r2 = add_of(h, ff->l2.out);
        if (!r2) return false;
        nodes.insert(nodes.end(), {r1, r2});
        out = r2->output(0);
    } else {  // post-norm, from the attention's first node (q's MatMul, or torch.onnx's Transpose)
        x = first.input(0);
        if ((first.op_type() != "MatMul" && first.op_type() != "Transpose") || !(attn = find_attention(x)) ||
            std::find(attn->nodes.begin(), attn->nodes.end(), &first) == attn->nodes.end())
            return false;
        const Node* r1 = add_of(x, attn->out);
        if (!r1 || !(n1 = norm_of(r1->output(0)))) return false;
        const std::string h = n1->out;
        if (!(ff = feed_forward(h))) return false;
        const Node* r2 = add_of(h, ff->l2.out);
        if (!r2 || !(n2 = norm_of(r2->output(0)))) return false;
        nodes.insert(nodes.end(), {r1, r2});
        out = n2->out;
    }
    if (rank_of(first, x) != 3) return false;
    const std::string name = layer_name(first, "TransformerEncoderLayer");
    add_layer(first, "TransformerEncoderLayer", name,
              {{"nhead", AttributeValue(attn->heads)},
               {"dim_feedforward", AttributeValue(ff->l1.weight.size(0))},
               {"dropout", AttributeValue(0.0)},  // none at inference; the file does not say what training used
               {"activation", AttributeValue(ff->activation)},
               {"norm_first", AttributeValue(norm_first)},
               {"causal", AttributeValue(attn->mask != nullptr)}},
              {x}, out);
    weight(name, "self_attn.in_proj_weight", attn->in_proj_weight);
    weight(name, "self_attn.in_proj_bias", attn->in_proj_bias);
    weight(name, "self_attn.out_proj.weight", attn->out_weight);
    weight(name, "self_attn.out_proj.bias", attn->out_bias);
    weight(name, "linear1.weight", ff->l1.weight);
    weight(name, "linear1.bias", ff->l1.bias);
    weight(name, "linear2.weight", ff->l2.weight);
    weight(name, "linear2.bias", ff->l2.bias);
    weight(name, "norm1.weight", n1->weight);
    weight(name, "norm1.bias", n1->bias);
    weight(name, "norm2.weight", n2->weight);
    weight(name, "norm2.bias", n2->bias);
    for (const Node* d : nodes)
        if (d) done_.insert(d);
    return true;
}

// LayerNorm as torch.onnx writes it below opset 17 (match_layer_norm), as a LayerNorm layer.
bool Importer::try_layer_norm(const Node& first) {
    const auto m = match_layer_norm(first);
    if (!m || rank_of(first, m->x) < 2) return false;
    const std::int64_t features = m->weight.numel();
    const std::string name = layer_name(first, "LayerNorm");
    add_layer(first, "LayerNorm", name,
              {{"normalized_shape", IntList{features}}, {"eps", m->eps}, {"elementwise_affine", true}}, {m->x}, m->out);
    weight(name, "weight", m->weight);
    weight(name, "bias", m->bias);
    for (const Node* d : m->nodes) done_.insert(d);
    return true;
}

void Importer::import_node(const Node& n) {
    const std::string& op = n.op_type();
    if (!n.domain().empty() && n.domain() != "ai.onnx") fail(n, concat("its domain '", n.domain(), "' is not ONNX's"));
    auto in = [&](int k) -> const std::string& {
        if (k >= n.input_size() || n.input(k).empty()) fail(n, concat("input ", k, " is missing"));
        return n.input(k);
    };
    const std::string& y = n.output(0);

    if (op == "Constant") return;  // read with the initializers
    if (op == "Identity" || op == "Dropout") {
        if (op == "Dropout" && n.output_size() > 1 && !consumers(n.output(1)).empty())
            fail(n, "its mask output is used");
        alias(n, in(0), y);
        return;
    }
    if (op == "Cast") {  // the exporter's FLOAT → INT64 before Gather: the Embedding's Indices port converts
        for (const Node* c : consumers(y))
            if (c->op_type() != "Gather") fail(n, "a Cast is only imported in front of a Gather (Embedding)");
        alias(n, in(0), y);
        return;
    }
    if (op == "RNN" || op == "LSTM" || op == "GRU") {
        import_recurrent(n);
        return;
    }
    // torch.onnx's self-attention starts with a Transpose to time-major, like its recurrent layers.
    if (op == "Transpose" && (try_encoder(n) || try_attention(n))) return;
    if (try_sequence_layout(n)) return;
    if (op == "Sub" && try_normalization(n)) return;
    if (op == "Div" && try_gelu(n)) return;

    if (op == "Gemm") {
        if (get_int(n, "transA", 0) != 0) fail(n, "transA=1 is not a Linear layer");
        Tensor w = constant(n, 1);
        if (w.dim() != 2) fail(n, "B must be a 2-D weight");
        if (get_int(n, "transB", 0) == 0) w = w.t().contiguous();
        const double alpha = get_float(n, "alpha", 1.0), beta = get_float(n, "beta", 1.0);
        if (alpha != 1.0) w = w.clone().mul_(alpha);
        const std::int64_t out = w.size(0);
        const bool has_bias = n.input_size() > 2 && !n.input(2).empty();
        const std::string name = layer_name(n, "Linear", n.input(1));
        add_layer(n, "Linear", name, {{"out_features", out}, {"bias", has_bias}}, {in(0)}, y);
        weight(name, "weight", w);
        if (has_bias) {
            Tensor b = flat(constant(n, 2));
            if (b.numel() == 1) b = b.expand({out}).contiguous();
            if (b.numel() != out) fail(n, concat("C has ", b.numel(), " values for ", out, " outputs"));
            if (beta != 1.0) b = b.clone().mul_(beta);
            weight(name, "bias", b);
        }
        return;
    }
    if ((op == "MatMul" || op == "LayerNormalization" || op == "ReduceMean") && try_encoder(n)) return;
    if (op == "ReduceMean" && try_layer_norm(n)) return;
    if (op == "MatMul") {
        if (try_attention(n)) return;
        if (!is_const(in(1))) fail(n, "a MatMul of two activations has no layer; only x @ W (Linear)");
        const Tensor b = constant(n, 1);
        if (b.dim() != 2) fail(n, "W must be 2-D");
        const std::int64_t out = b.size(1);
        // MatMul + Add(bias) is one Linear.
        std::string output = y;
        Tensor bias;
        if (const Node* add = only_consumer(y, "Add")) {
            const int k = add->input(0) == y ? 1 : 0;
            if (is_const(add->input(k))) {
                bias = flat(constant(*add, static_cast<std::size_t>(k)));
                if (bias.numel() == out) {
                    output = add->output(0);
                    done_.insert(add);
                } else {
                    bias = Tensor();
                }
            }
        }
        std::string hint = n.input(1);
        if (hint.size() > 9 && hint.compare(hint.size() - 9, 9, ".weight_t") == 0) hint = hint.substr(0, hint.size() - 2);
        const std::string name = layer_name(n, "Linear", hint);
        add_layer(n, "Linear", name, {{"out_features", out}, {"bias", bias.defined()}}, {in(0)}, output);
        weight(name, "weight", b.t().contiguous());
        if (bias.defined()) weight(name, "bias", bias);
        return;
    }
    if (op == "Conv") {
        const Tensor w = constant(n, 1);
        if (w.dim() != 4) fail(n, concat("its weight has ", w.dim(), " dimensions; only 2-D convolution (4) is imported"));
        const IntList pads = symmetric_pads(n);
        const bool has_bias = n.input_size() > 2 && !n.input(2).empty();
        const std::string name = layer_name(n, "Conv2d", n.input(1));
        add_layer(n, "Conv2d", name,
                  {{"out_channels", w.size(0)},
                   {"kernel_size", IntList{w.size(2), w.size(3)}},
                   {"stride", two(n, "strides", {1, 1})},
                   {"padding", pads},
                   {"dilation", two(n, "dilations", {1, 1})},
                   {"groups", get_int(n, "group", 1)},
                   {"bias", has_bias}},
                  {in(0)}, y);
        weight(name, "weight", w);
        if (has_bias) weight(name, "bias", constant(n, 2));
        return;
    }
    if (op == "MaxPool" || op == "AveragePool") {
        if (get_int(n, "ceil_mode", 0) != 0) fail(n, "ceil_mode=1 is not supported");
        if (op == "MaxPool" && n.output_size() > 1 && !n.output(1).empty()) fail(n, "its Indices output is not supported");
        const IntList dil = get_ints(n, "dilations", {1, 1});
        if (dil != IntList{1, 1}) fail(n, "pooling dilations are not supported");
        const IntList pads = symmetric_pads(n);
        if (op == "AveragePool" && get_int(n, "count_include_pad", 0) == 0 && (pads[0] || pads[1]))
            fail(n, "count_include_pad=0 with padding: the engine counts the padded zeros (count_include_pad=1)");
        const std::string type = op == "MaxPool" ? "MaxPool2d" : "AvgPool2d";
        add_layer(n, type, layer_name(n, type), {{"kernel_size", two(n, "kernel_shape", {})},
                                                 {"stride", two(n, "strides", {1, 1})},
                                                 {"padding", pads}},
                  {in(0)}, y);
        return;
    }
    if (op == "Pad") {  // zero padding in front of an AveragePool (PyTorch's form of count_include_pad) is its padding
        const Node* pool = only_consumer(y, "AveragePool");
        if (!pool) fail(n, "only a zero Pad in front of an AveragePool is imported (as AvgPool2d padding)");
        if (get_string(n, "mode", "constant") != "constant") fail(n, "only constant padding is imported");
        if (n.input_size() > 2 && !n.input(2).empty() && constant(n, 2).to_vector<double>() != std::vector<double>{0.0})
            fail(n, "only padding with zeros is imported");
        if (n.input_size() > 3 && !n.input(3).empty()) fail(n, "the axes input is not supported");
        const IntList p = constant(n, 1).to_vector<std::int64_t>();
        if (p.size() != 8 || p[0] || p[1] || p[4] || p[5] || p[2] != p[6] || p[3] != p[7])
            fail(n, "only equal padding of height and width on [batch, channels, height, width] is imported");
        if (get_int(*pool, "ceil_mode", 0) != 0) fail(*pool, "ceil_mode=1 is not supported");
        const IntList own = symmetric_pads(*pool);
        add_layer(n, "AvgPool2d", layer_name(*pool, "AvgPool2d"),
                  {{"kernel_size", two(*pool, "kernel_shape", {})},
                   {"stride", two(*pool, "strides", {1, 1})},
                   {"padding", IntList{p[2] + own[0], p[3] + own[1]}}},
                  {in(0)}, pool->output(0));
        done_.insert(pool);
        return;
    }
    if (op == "GlobalAveragePool") {
        if (rank_of(n, in(0)) != 4) fail(n, "only [batch, channels, height, width] inputs are imported");
        add_layer(n, "AdaptiveAvgPool2d", layer_name(n, "AdaptiveAvgPool2d"), {{"output_size", IntList{1, 1}}}, {in(0)}, y);
        return;
    }
    if (op == "BatchNormalization") {
        if (get_int(n, "training_mode", 0) != 0) fail(n, "training_mode=1 is not an inference graph");
        const std::size_t rank = rank_of(n, in(0));
        if (rank < 2 || rank > 4) fail(n, concat("inputs of rank ", rank, " have no BatchNorm layer"));
        const std::string type = rank == 4 ? "BatchNorm2d" : "BatchNorm1d";
        const std::string name = layer_name(n, type, n.input(1));
        add_layer(n, type, name,
                  {{"eps", get_float(n, "epsilon", 1e-5)}, {"momentum", 1.0 - get_float(n, "momentum", 0.9)},
                   {"affine", true}},
                  {in(0)}, y);
        weight(name, "weight", constant(n, 1));
        weight(name, "bias", constant(n, 2));
        weight(name, "running_mean", constant(n, 3));
        weight(name, "running_var", constant(n, 4));
        weight(name, "num_batches_tracked", Tensor::zeros({}, DType::I64));
        return;
    }
    if (op == "LayerNormalization") {
        for (int k = 1; k < n.output_size(); ++k)
            if (!n.output(k).empty() && !consumers(n.output(k)).empty()) fail(n, "its Mean/InvStdDev outputs are used");
        const IntList s = shape_of(in(0));
        const auto rank = static_cast<std::int64_t>(rank_of(n, in(0)));
        std::int64_t axis = get_int(n, "axis", -1);
        if (axis < 0) axis += rank;
        if (axis < 1 || axis >= rank) fail(n, concat("axis ", get_int(n, "axis", -1), " would normalize over the batch"));
        IntList ns(s.begin() + axis, s.end());
        for (auto d : ns)
            if (d <= 0) fail(n, "the normalized dimensions' sizes are unknown");
        const Tensor scale = constant(n, 1).reshape(ns);
        const std::string name = layer_name(n, "LayerNorm", n.input(1));
        add_layer(n, "LayerNorm", name,
                  {{"normalized_shape", ns}, {"eps", get_float(n, "epsilon", 1e-5)}, {"elementwise_affine", true}},
                  {in(0)}, y);
        weight(name, "weight", scale);
        weight(name, "bias", n.input_size() > 2 && !n.input(2).empty() ? constant(n, 2).reshape(ns)
                                                                      : Tensor::zeros(ns));
        return;
    }
    if (op == "Flatten") {
        if (get_int(n, "axis", 1) != 1) fail(n, "only axis=1 keeps the batch dimension (Flatten start_dim 1)");
        add_layer(n, "Flatten", layer_name(n, "Flatten"), {}, {in(0)}, y);
        return;
    }
    if (op == "Reshape") {  // a Flatten of a range of dimensions, as the exporter writes it
        const IntList s = shape_of(in(0));
        const IntList target = constant(n, 1).to_vector<std::int64_t>();
        if (s.size() < 2) fail(n, "the input's shape is unknown");
        if (target.empty() || (target[0] != 0 && target[0] != -1 && target[0] != s[0]))
            fail(n, "it changes the batch dimension");
        IntList want(target.begin() + 1, target.end());
        const IntList per(s.begin() + 1, s.end());
        for (std::size_t k = 0; k < want.size(); ++k)
            if (want[k] == 0) want[k] = k < per.size() ? per[k] : 0;
        // Sizes come from the file: multiply with overflow checks (a damaged model must not be UB).
        auto times = [&](std::int64_t a, std::int64_t b) {
            std::int64_t r = 0;
            if (__builtin_mul_overflow(a, b, &r)) fail(n, "its shape sizes overflow");
            return r;
        };
        for (auto d : want)
            if (d < -1) fail(n, concat("the target size ", d, " is not a size"));
        std::int64_t known = 1, total = 1;
        for (auto d : per) total = times(total, d);
        int infer = -1;
        for (std::size_t k = 0; k < want.size(); ++k)
            if (want[k] == -1) infer = static_cast<int>(k);
            else known = times(known, want[k]);
        if (infer >= 0 && known > 0) want[static_cast<std::size_t>(infer)] = total / known;
        for (std::size_t a = 0; a < per.size(); ++a)
            for (std::size_t b = a; b < per.size(); ++b) {
                IntList merged(per.begin(), per.begin() + static_cast<std::ptrdiff_t>(a));
                std::int64_t p = 1;
                for (std::size_t k = a; k <= b; ++k) p = times(p, per[k]);
                merged.push_back(p);
                merged.insert(merged.end(), per.begin() + static_cast<std::ptrdiff_t>(b) + 1, per.end());
                if (merged == want) {
                    add_layer(n, "Flatten", layer_name(n, "Flatten"),
                              {{"start_dim", static_cast<std::int64_t>(a + 1)}, {"end_dim", static_cast<std::int64_t>(b + 1)}},
                              {in(0)}, y);
                    return;
                }
            }
        fail(n, "only a Reshape that merges consecutive dimensions (a Flatten) is imported");
    }
    if (op == "Gather") {
        // x[:, -1] of a batch-first sequence, or x[-1] of a time-major one: LastStep.
        const std::int64_t axis = get_int(n, "axis", 0);
        const auto s = seq_.find(in(0));
        if ((axis == 1 && producer_.count(in(0))) || (axis == 0 && s != seq_.end() && s->second.form == Form::TBF)) {
            const IntList shape = shape_of(in(0));
            if (shape.size() != 3)
                fail(n, "a Gather along time is imported only from a [batch, time, features] sequence (LastStep)");
            const Tensor index = constant(n, 1);
            const std::int64_t steps = shape[static_cast<std::size_t>(axis)];
            if (index.dim() != 0) fail(n, "only one time step (a scalar index: LastStep) is imported");
            const std::int64_t k = index.to_vector<std::int64_t>()[0];
            if (k != -1 && !(steps > 0 && k == steps - 1))
                fail(n, concat("it takes time step ", k, "; only the last step (LastStep) is imported"));
            add_layer(n, "LastStep", layer_name(n, "LastStep"), {}, {axis == 1 ? in(0) : s->second.layer}, y);
            return;
        }
        if (axis != 0) fail(n, "only axis=0 (a row lookup: Embedding) or the last time step (LastStep) is imported");
        const Tensor w = constant(n, 0);
        if (w.dim() != 2) fail(n, "the table must be 2-D [num_embeddings, embedding_dim]");
        const std::string name = layer_name(n, "Embedding", n.input(0));
        add_layer(n, "Embedding", name, {{"num_embeddings", w.size(0)}, {"embedding_dim", w.size(1)}}, {in(1)}, y);
        weight(name, "weight", w);
        return;
    }
    static const std::map<std::string, std::string> kUnary = {{"Relu", "ReLU"}, {"Sigmoid", "Sigmoid"}, {"Tanh", "Tanh"}};
    if (auto it = kUnary.find(op); it != kUnary.end()) {
        add_layer(n, it->second, layer_name(n, it->second), {}, {in(0)}, y);
        return;
    }
    if (op == "LeakyRelu") {
        add_layer(n, "LeakyReLU", layer_name(n, "LeakyReLU"), {{"negative_slope", get_float(n, "alpha", 0.01)}}, {in(0)}, y);
        return;
    }
    if (op == "Softmax") {
        const std::int64_t axis = get_int(n, "axis", opset_ >= 13 ? -1 : 1);
        if (opset_ < 13 && rank_of(n, in(0)) != 2)
            fail(n, "before opset 13 Softmax flattens its input; only 2-D inputs are imported");
        if (axis == 0) fail(n, "axis 0 is the batch");
        add_layer(n, "Softmax", layer_name(n, "Softmax"), {{"dim", axis}}, {in(0)}, y);
        return;
    }
    if (op == "Add") {
        // x + the sinusoidal table [T, d] (as the exporter writes PositionalEncoding).
        for (int k : {0, 1}) {
            const std::string& table = in(k);
            const std::string& x = in(1 - k);
            if (!is_const(table) || is_const(x)) continue;
            const Tensor t = constant(n, static_cast<std::size_t>(k));
            const IntList xs = shape_of(x);
            if (xs.size() != 3 || xs[1] <= 0 || xs[2] <= 0 || t.shape() != Shape{xs[1], xs[2]}) break;
            const std::int64_t max_len = std::max<std::int64_t>(5000, xs[1]);
            Tensor want = nn::PositionalEncoding(xs[2], max_len, 0.0, true)(Tensor::zeros({1, xs[1], xs[2]}));
            const auto a = t.to_vector<double>(), b = want.to_vector<double>();
            bool same = true;
            for (std::size_t j = 0; same && j < a.size(); ++j) same = std::abs(a[j] - b[j]) <= 1e-5;
            if (!same) break;
            add_layer(n, "PositionalEncoding", layer_name(n, "PositionalEncoding"),
                      {{"max_len", AttributeValue(max_len)}}, {x}, y);
            return;
        }
        if (is_const(in(0)) || is_const(in(1)))
            fail(n, "adding a constant has no layer (only after MatMul, as a bias, or a PositionalEncoding table)");
        add_layer(n, "Add", layer_name(n, "Add"), {}, {in(0), in(1)}, y);
        return;
    }
    if (op == "ReduceMean") {  // the mean over time of a [batch, time, features] sequence
        const IntList axes = n.input_size() > 1 && !n.input(1).empty() ? int_list(n, 1) : get_ints(n, "axes", {});
        if (rank_of(n, in(0)) != 3 || (axes != IntList{1} && axes != IntList{-2}) || get_int(n, "keepdims", 1) != 0)
            fail(n, "only the mean over time of a [batch, time, features] sequence (axes [1], keepdims 0) is imported");
        add_layer(n, "MeanOverTime", layer_name(n, "MeanOverTime"), {}, {in(0)}, y);
        return;
    }
    if (op == "Concat") {
        std::vector<std::string> ins;
        for (int k = 0; k < n.input_size(); ++k) ins.push_back(in(k));
        if (ins.size() < 2) fail(n, "it has fewer than 2 inputs");
        add_layer(n, "Concat", layer_name(n, "Concat"), {{"dim", get_int(n, "axis", 1)}}, ins, y);
        return;
    }
    fail(n, "this ONNX op has no NeuraStudio layer (docs/onnx.md lists the imported ops)");
}

// Shapes of every value, as far as ONNX's shape inference knows them, given the shapes in `known` too.
void Importer::infer_shapes(const std::vector<::onnx::ValueInfoProto>& known) {
    ::onnx::ModelProto copy = model_;
    for (const auto& v : known) *copy.mutable_graph()->add_value_info() = v;
    try {
        ::onnx::shape_inference::InferShapes(copy);
    } catch (const std::exception&) {
        // Without inferred shapes only the ops that need ranks fail, naming themselves.
    }
    shapes_.clear();
    size_values_.clear();
    auto take = [&](const ::onnx::ValueInfoProto& v) {
        if (!v.type().has_tensor_type() || !v.type().tensor_type().has_shape()) return;
        IntList s;
        for (const auto& d : v.type().tensor_type().shape().dim()) s.push_back(d.has_dim_value() ? d.dim_value() : -1);
        shapes_[v.name()] = s;
    };
    for (const auto& v : copy.graph().value_info()) take(v);
    for (const auto& v : copy.graph().input()) take(v);
    for (const auto& v : copy.graph().output()) take(v);
}

ImportedModel Importer::run() {
    NoGradGuard ng;
    for (const auto& o : model_.opset_import())
        if (o.domain().empty() || o.domain() == "ai.onnx") opset_ = o.version();
    NEURA_CHECK(opset_ > 0, "cannot import the ONNX model: it imports no default-domain opset");
    ::onnx::GraphProto& g = *model_.mutable_graph();

    // Every op with no NeuraStudio layer, listed at once (not only the first one met).
    {
        std::vector<std::string> unknown;
        for (const auto& n : g.node())
            if (!known_ops().count(n.op_type())) unknown.push_back(describe(n));
        if (unknown.size() > 1) {
            std::string list;
            for (const auto& u : unknown) list += (list.empty() ? "" : ", ") + u;
            throw Error(concat("cannot import the ONNX model: ", unknown.size(),
                               " nodes use ops with no NeuraStudio layer (docs/onnx.md lists the imported ops): ", list));
        }
    }

    check_structure(g);
    for (const auto& n : g.node())
        if (!known_ops().count(n.op_type())) fail(n, "this ONNX op has no NeuraStudio layer (docs/onnx.md lists the imported ops)");

    infer_shapes({});
    for (const auto& t : g.initializer()) consts_[t.name()] = &t;
    for (const auto& n : g.node()) {
        if (n.output_size() < 1 || n.output(0).empty()) fail(n, "it has no output");
        if (n.op_type() == "Constant") {
            const auto* a = find_attr(n, "value");
            if (!a || !a->has_t()) fail(n, "only Constant nodes with a tensor 'value' are imported");
            consts_[n.output(0)] = &a->t();
        }
        // torch.onnx names one initializer under several names through Identity (equal LayerNorm biases).
        if (n.op_type() == "Identity" && n.input_size() == 1 && consts_.count(n.input(0)))
            consts_[n.output(0)] = consts_.at(n.input(0));
        for (const auto& i : n.input()) consumers_[i].push_back(&n);
        for (const auto& o : n.output()) node_of_[o] = &n;
    }
    // One activation input, one output.
    std::vector<const ::onnx::ValueInfoProto*> inputs;
    for (const auto& v : g.input())
        if (!consts_.count(v.name())) inputs.push_back(&v);
    NEURA_CHECK(inputs.size() == 1, "cannot import the ONNX model: it has ", inputs.size(),
                " inputs; NeuraStudio models take one");
    NEURA_CHECK(g.output_size() == 1, "cannot import the ONNX model: it has ", g.output_size(),
                " outputs; NeuraStudio models give one");
    input_ = inputs[0]->name();
    output_ = g.output(0).name();
    const auto& tt = inputs[0]->type().tensor_type();
    NEURA_CHECK(inputs[0]->type().has_tensor_type() && tt.elem_type() == ::onnx::TensorProto::FLOAT,
                "cannot import the ONNX model: its input '", input_, "' is not a FLOAT tensor");
    IntList in_shape;
    for (int k = 1; k < tt.shape().dim_size(); ++k) {
        const auto& d = tt.shape().dim(k);
        NEURA_CHECK(d.has_dim_value() && d.dim_value() > 0, "cannot import the ONNX model: dimension ", k,
                    " of its input '", input_, "' has no fixed size; only the batch dimension (0) may vary");
        in_shape.push_back(d.dim_value());
    }
    NEURA_CHECK(!in_shape.empty(), "cannot import the ONNX model: its input '", input_,
                "' needs a batch dimension and at least one feature dimension");
    names_.insert("input");
    names_.insert("loss");
    producer_[input_] = out_.graph.add_node("Input", "input", {{"shape", AttributeValue(in_shape)}});

    find_static_values();
    // torch.onnx's attention computes its Reshape targets from Shape values, which shape inference does not
    // follow, so it knows no shape after one: each attention found gets its input's shape on its output
    // (attention keeps it) and inference runs again for the layers after it, once per attention in a chain.
    {
        std::vector<::onnx::ValueInfoProto> known;
        for (std::size_t pass = 0; pass < static_cast<std::size_t>(g.node_size()); ++pass) {
            const std::size_t before = known.size();
            for (const auto& n : g.node()) {
                if (n.op_type() != "Transpose") continue;
                const auto a = match_torch_attention(n);
                if (!a || !shape_of(a->out).empty()) continue;
                ::onnx::ValueInfoProto v;
                v.set_name(a->out);
                auto* t = v.mutable_type()->mutable_tensor_type();
                t->set_elem_type(::onnx::TensorProto::FLOAT);
                for (const std::int64_t d : shape_of(a->x)) {
                    auto* dim = t->mutable_shape()->add_dim();
                    if (d >= 0) dim->set_dim_value(d);
                    else dim->set_dim_param("batch");
                }
                known.push_back(std::move(v));
            }
            if (known.size() == before) break;
            infer_shapes(known);
        }
    }
    for (const auto& n : g.node()) {
        if (done_.count(&n)) continue;
        bool shape_math = true;  // every output computed from constants and shapes only: not a layer
        for (const auto& o : n.output()) shape_math = shape_math && (o.empty() || static_.count(o));
        if (shape_math && n.op_type() != "Constant") {
            done_.insert(&n);
            continue;
        }
        import_node(n);
        done_.insert(&n);
    }

    const auto it = producer_.find(output_);
    NEURA_CHECK(it != producer_.end(), "cannot import the ONNX model: its output '", output_,
                "' comes from no imported layer");
    std::string loss = options_.loss_type;
    if (loss.empty()) {
        const auto& od = g.output(0).type().tensor_type().shape();
        loss = od.dim_size() == 2 && od.dim(1).has_dim_value() && od.dim(1).dim_value() > 1 ? "CrossEntropyLoss"
                                                                                            : "MSELoss";
    }
    const NodeId l = out_.graph.add_node("Loss", "loss", {{"type", AttributeValue(loss)}});
    out_.graph.add_edge(it->second, l);
    return std::move(out_);
}

}  // namespace

ImportedModel import_onnx_bytes(const std::string& model_bytes, const ImportOptions& options) {
    ::onnx::ModelProto model;
    NEURA_CHECK(!model_bytes.empty() && model.ParseFromString(model_bytes),
                "cannot import: the data is not an ONNX model (truncated or not protobuf)");
    NEURA_CHECK(model.has_graph(), "cannot import: the ONNX model has no graph");
    return Importer(std::move(model), options).run();
}

ImportedModel import_onnx(const std::string& path, const ImportOptions& options) {
    std::ifstream f(path, std::ios::binary);
    NEURA_CHECK(f, "cannot read '", path, "'");
    std::ostringstream s;
    s << f.rdbuf();
    try {
        return import_onnx_bytes(s.str(), options);
    } catch (const Error& e) {
        throw Error(concat("'", path, "': ", e.what()));
    }
}

}  // namespace neura::onnx
