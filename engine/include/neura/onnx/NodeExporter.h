#pragma once
// NodeExporter: what a layer's ONNX mapping (LayerDescriptor::onnx) sees of the model being exported,
// and how it adds to it. One call per node: read the node (attributes, shapes, module), then add ONNX
// nodes and initializers that turn inputs() into output(). No protobuf here: plugins and
// BuiltinLayers.cpp describe nodes with plain values; engine/onnx/ turns them into a GraphProto.
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "neura/core/Shape.h"
#include "neura/core/Tensor.h"
#include "neura/graph/AttributeValue.h"
#include "neura/nn/Module.h"

namespace neura::onnx {

namespace detail {
class GraphBuilder;  // engine/onnx/GraphBuilder.h
}

// One ONNX attribute: INT, FLOAT, STRING, INTS, FLOATS or STRINGS.
struct OnnxAttribute {
    std::string name;
    std::variant<std::int64_t, double, std::string, std::vector<std::int64_t>, std::vector<double>,
                 std::vector<std::string>>
        value;
};

// ONNX's TensorProto data types the exporter writes (TensorProto::DataType numbers).
enum class OnnxType : std::int32_t { Float = 1, Int64 = 7 };

class NodeExporter {
public:
    NodeExporter(detail::GraphBuilder& builder, std::string name, std::string type, const graph::AttributeMap& attributes,
                 std::vector<Shape> input_shapes, Shape output_shape, const nn::Module* module,
                 std::vector<std::string> inputs, std::string output);
    NodeExporter(const NodeExporter&) = delete;
    NodeExporter& operator=(const NodeExporter&) = delete;

    // ---- the node ----
    const std::string& name() const { return name_; }
    const std::string& type() const { return type_; }
    const graph::AttributeMap& attributes() const { return attributes_; }  // complete: defaults filled in
    const std::vector<Shape>& input_shapes() const { return input_shapes_; }  // per sample, no batch dimension
    const Shape& output_shape() const { return output_shape_; }
    // The node's module (trained weights, eval mode), as M; fail()s when it is not one.
    template <class M>
    const M& module() const {
        const auto* m = dynamic_cast<const M*>(module_);
        if (!m) fail("its module is not the expected class");
        return *m;
    }

    // ---- ONNX values ----
    const std::vector<std::string>& inputs() const { return inputs_; }  // F32 values, [batch, ...input_shapes()[i]]
    const std::string& input(std::size_t i = 0) const { return inputs_.at(i); }
    const std::string& output() const { return output_; }  // the value this node must produce

    // A trained tensor as an initializer named "<node>.<suffix>" (made unique); returns its name.
    // F32 and F64 tensors are written as FLOAT, I64 as INT64.
    std::string initializer(const std::string& suffix, const Tensor& tensor);
    std::string constant_f32(const std::string& suffix, std::vector<float> values, const Shape& dims);
    std::string constant_i64(const std::string& suffix, std::vector<std::int64_t> values, const Shape& dims);
    // Adds an ONNX node (default domain) writing one value: `out`, or a fresh "<node>/<op>" name when
    // empty. Returns the output's name.
    std::string op(const std::string& op_type, const std::vector<std::string>& ins,
                   const std::vector<OnnxAttribute>& attrs = {}, const std::string& out = {});
    // The node adds no ONNX op: its output is the same value as input i (Dropout in eval mode).
    void pass_through(std::size_t i = 0);

    // Throws neura::Error "cannot export node '<name>' (<type>) to ONNX: <why>".
    [[noreturn]] void fail(const std::string& why) const;

    // The value holding the node's result after its mapping ran: output(), or the input passed
    // through; empty when the mapping produced neither.
    const std::string& result() const { return result_; }

private:
    detail::GraphBuilder& builder_;
    std::string name_, type_;
    const graph::AttributeMap& attributes_;
    std::vector<Shape> input_shapes_;
    Shape output_shape_;
    const nn::Module* module_;
    std::vector<std::string> inputs_;
    std::string output_;
    std::string result_;
};

}  // namespace neura::onnx
