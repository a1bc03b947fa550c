#include "neura/onnx/NodeExporter.h"

#include "GraphBuilder.h"
#include "neura/core/Error.h"

namespace neura::onnx {

using neura::detail::concat;

NodeExporter::NodeExporter(detail::GraphBuilder& builder, std::string name, std::string type,
                           const graph::AttributeMap& attributes, std::vector<Shape> input_shapes, Shape output_shape,
                           const nn::Module* module, std::vector<std::string> inputs, std::string output)
    : builder_(builder),
      name_(std::move(name)),
      type_(std::move(type)),
      attributes_(attributes),
      input_shapes_(std::move(input_shapes)),
      output_shape_(std::move(output_shape)),
      module_(module),
      inputs_(std::move(inputs)),
      output_(std::move(output)) {}

std::string NodeExporter::initializer(const std::string& suffix, const Tensor& tensor) {
    NEURA_CHECK(tensor.defined(), "cannot export node '", name_, "' (", type_, ") to ONNX: its ", suffix,
                " tensor is undefined");
    return builder_.initializer(name_ + "." + suffix, tensor);
}

std::string NodeExporter::constant_f32(const std::string& suffix, std::vector<float> values, const Shape& dims) {
    return builder_.constant_f32(name_ + "." + suffix, values, dims);
}

std::string NodeExporter::constant_i64(const std::string& suffix, std::vector<std::int64_t> values, const Shape& dims) {
    return builder_.constant_i64(name_ + "." + suffix, values, dims);
}

std::string NodeExporter::op(const std::string& op_type, const std::vector<std::string>& ins,
                             const std::vector<OnnxAttribute>& attrs, const std::string& out) {
    const std::string o = builder_.node(op_type, ins, attrs, out, name_);
    if (o == output_) result_ = o;
    return o;
}

void NodeExporter::pass_through(std::size_t i) { result_ = input(i); }

void NodeExporter::fail(const std::string& why) const {
    throw Error(concat("cannot export node '", name_, "' (", type_, ") to ONNX: ", why));
}

}  // namespace neura::onnx
