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
#include <map>
#include <set>
#include <sstream>

#include "neura/autograd/GradMode.h"
#include "neura/core/Error.h"
#include "neura/graph/LayerRegistry.h"
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
        {"Softmax", {1, 1, 1, 1}},    {"Sub", {2, 2, 1, 1}},           {"Tanh", {1, 1, 1, 1}}};
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
        for (const auto& a : n.attribute()) check_attribute(n, a);
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
        if (it == producer_.end())
            fail(n, is_const(v) ? concat("its input '", v, "' is a constant where the layer takes an activation")
                                : concat("its input '", v, "' comes from no imported layer"));
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

// 0.5 * x * (1 + erf(x / sqrt(2))): Div → Erf → Add(1) → Mul(x) → Mul(0.5), as the exporter and PyTorch write it.
bool Importer::try_gelu(const Node& div) {
    if (div.input_size() != 2 || !is_const(div.input(1))) return false;
    const Tensor c = constant(div, 1);
    if (c.numel() != 1 || !near(c.to_vector<double>()[0], std::sqrt(2.0))) return false;
    const std::string& x = div.input(0);
    const Node* erf = only_consumer(div.output(0), "Erf");
    if (!erf) return false;
    const Node* add = only_consumer(erf->output(0), "Add");
    if (!add) return false;
    const std::string& one = add->input(0) == erf->output(0) ? add->input(1) : add->input(0);
    if (!is_const(one) || constant(*add, add->input(0) == one ? 0 : 1).to_vector<double>() != std::vector<double>{1.0})
        return false;
    const Node* mul1 = only_consumer(add->output(0), "Mul");
    if (!mul1 || (mul1->input(0) != x && mul1->input(1) != x)) return false;
    const Node* mul2 = only_consumer(mul1->output(0), "Mul");
    std::string out = mul1->output(0);
    bool half_done = false;
    if (mul2) {
        const int k = mul2->input(0) == mul1->output(0) ? 1 : 0;
        if (is_const(mul2->input(k)) && constant(*mul2, static_cast<std::size_t>(k)).to_vector<double>() ==
                                            std::vector<double>{0.5}) {
            out = mul2->output(0);
            half_done = true;
        }
    }
    if (!half_done) return false;
    add_layer(div, "GELU", layer_name(*mul2, "GELU"), {}, {x}, out);
    for (const Node* p : {&div, erf, add, mul1, mul2}) done_.insert(p);
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
    if (op == "MatMul") {
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
        if (get_int(n, "axis", 0) != 0) fail(n, "only axis=0 (a row lookup: Embedding) is imported");
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
        if (is_const(in(0)) || is_const(in(1))) fail(n, "adding a constant has no layer (only after MatMul, as a bias)");
        add_layer(n, "Add", layer_name(n, "Add"), {}, {in(0), in(1)}, y);
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

    // Shapes of every value, as far as ONNX's shape inference knows them.
    {
        ::onnx::ModelProto copy = model_;
        try {
            ::onnx::shape_inference::InferShapes(copy);
        } catch (const std::exception&) {
            // Without inferred shapes only the ops that need ranks fail, naming themselves.
        }
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
    for (const auto& t : g.initializer()) consts_[t.name()] = &t;
    for (const auto& n : g.node()) {
        if (n.output_size() < 1 || n.output(0).empty()) fail(n, "it has no output");
        if (n.op_type() == "Constant") {
            const auto* a = find_attr(n, "value");
            if (!a || !a->has_t()) fail(n, "only Constant nodes with a tensor 'value' are imported");
            consts_[n.output(0)] = &a->t();
        }
        for (const auto& i : n.input()) consumers_[i].push_back(&n);
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

    for (const auto& n : g.node()) {
        if (done_.count(&n)) continue;
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
