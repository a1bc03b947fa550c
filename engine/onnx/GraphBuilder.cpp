#include "GraphBuilder.h"

#include <bit>

#include "neura/autograd/GradMode.h"
#include "neura/core/Error.h"

namespace neura::onnx {

using neura::detail::concat;

namespace detail {

void tensor_to_proto(const Tensor& tensor, ::onnx::TensorProto& proto, bool keep_f64) {
    NoGradGuard ng;
    Tensor t = tensor.detach();
    if (t.device().type != DeviceType::CPU) t = t.to(Device{});
    for (std::int64_t d : t.shape()) proto.add_dims(d);
    if (t.dtype() == DType::I64) {
        proto.set_data_type(::onnx::TensorProto::INT64);
        const std::vector<std::int64_t> v = t.to_vector<std::int64_t>();
        proto.set_raw_data(std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(std::int64_t)));
    } else if (t.dtype() == DType::F64 && keep_f64) {
        proto.set_data_type(::onnx::TensorProto::DOUBLE);
        const std::vector<double> v = t.to_vector<double>();
        proto.set_raw_data(std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(double)));
    } else {
        proto.set_data_type(::onnx::TensorProto::FLOAT);
        const std::vector<float> v = t.to_vector<float>();
        proto.set_raw_data(std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float)));
    }
    static_assert(std::endian::native == std::endian::little, "raw_data is little-endian");
}

std::string GraphBuilder::unique(const std::string& hint) {
    std::string name = hint.empty() ? std::string("value") : hint;
    for (int n = 1; names_.count(name); ++n) name = concat(hint, "_", n);
    names_.insert(name);
    return name;
}

std::string GraphBuilder::initializer(const std::string& hint, const Tensor& tensor) {
    const std::string name = unique(hint);
    ::onnx::TensorProto* p = graph_.add_initializer();
    tensor_to_proto(tensor, *p);
    p->set_name(name);
    if (!doc_.empty()) p->set_doc_string(doc_);
    return name;
}

std::string GraphBuilder::constant_f32(const std::string& hint, const std::vector<float>& values, const Shape& dims) {
    NEURA_CHECK(static_cast<std::int64_t>(values.size()) == shape_numel(dims), "ONNX export: constant '", hint, "' has ",
                values.size(), " values for shape ", shape_str(dims));
    return initializer(hint, Tensor::from_vector(values, dims));
}

std::string GraphBuilder::constant_i64(const std::string& hint, const std::vector<std::int64_t>& values,
                                       const Shape& dims) {
    NEURA_CHECK(static_cast<std::int64_t>(values.size()) == shape_numel(dims), "ONNX export: constant '", hint, "' has ",
                values.size(), " values for shape ", shape_str(dims));
    return initializer(hint, Tensor::from_vector(values, dims));
}

std::string GraphBuilder::node(const std::string& op_type, const std::vector<std::string>& ins,
                               const std::vector<OnnxAttribute>& attrs, const std::string& out,
                               const std::string& name_hint) {
    const std::string output = out.empty() ? unique(name_hint + "/" + op_type) : out;
    ::onnx::NodeProto* n = graph_.add_node();
    n->set_op_type(op_type);
    n->set_name(unique(name_hint + "/" + op_type + "_node"));
    if (!doc_.empty()) n->set_doc_string(doc_);
    for (const std::string& i : ins) n->add_input(i);
    n->add_output(output);
    for (const OnnxAttribute& a : attrs) {
        ::onnx::AttributeProto* p = n->add_attribute();
        p->set_name(a.name);
        std::visit(
            [p](const auto& v) {
                using V = std::decay_t<decltype(v)>;
                if constexpr (std::is_same_v<V, std::int64_t>) {
                    p->set_type(::onnx::AttributeProto::INT);
                    p->set_i(v);
                } else if constexpr (std::is_same_v<V, double>) {
                    p->set_type(::onnx::AttributeProto::FLOAT);
                    p->set_f(static_cast<float>(v));
                } else if constexpr (std::is_same_v<V, std::string>) {
                    p->set_type(::onnx::AttributeProto::STRING);
                    p->set_s(v);
                } else if constexpr (std::is_same_v<V, std::vector<std::int64_t>>) {
                    p->set_type(::onnx::AttributeProto::INTS);
                    for (auto x : v) p->add_ints(x);
                } else if constexpr (std::is_same_v<V, std::vector<double>>) {
                    p->set_type(::onnx::AttributeProto::FLOATS);
                    for (auto x : v) p->add_floats(static_cast<float>(x));
                } else {
                    p->set_type(::onnx::AttributeProto::STRINGS);
                    for (const auto& x : v) p->add_strings(x);
                }
            },
            a.value);
    }
    return output;
}

}  // namespace detail

}  // namespace neura::onnx
