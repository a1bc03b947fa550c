#pragma once
// GraphBuilder: appends nodes, initializers and constants to an ONNX GraphProto with unique value
// names. NodeExporter (the layers' view) forwards to it; only engine/onnx/ sees protobuf.
#include <onnx/onnx_pb.h>

#include <set>
#include <string>
#include <vector>

#include "neura/onnx/NodeExporter.h"

namespace neura::onnx::detail {

// Fills `proto` with the tensor's dims, type and little-endian raw_data (F32/F64 → FLOAT unless
// keep_f64, I64 → INT64).
void tensor_to_proto(const Tensor& tensor, ::onnx::TensorProto& proto, bool keep_f64 = false);

class GraphBuilder {
public:
    explicit GraphBuilder(::onnx::GraphProto& graph) : graph_(graph) {}

    // `hint` when no value or node has it yet, else hint_1, hint_2, ...; the name is then taken.
    std::string unique(const std::string& hint);
    void reserve(const std::string& name) { names_.insert(name); }

    std::string initializer(const std::string& hint, const Tensor& tensor);
    std::string constant_f32(const std::string& hint, const std::vector<float>& values, const Shape& dims);
    std::string constant_i64(const std::string& hint, const std::vector<std::int64_t>& values, const Shape& dims);
    // `out` empty: a fresh name from `name_hint`. Returns the output name.
    std::string node(const std::string& op_type, const std::vector<std::string>& ins,
                     const std::vector<OnnxAttribute>& attrs, const std::string& out, const std::string& name_hint);

    // The doc string given to the nodes added from now on ("fc1 (Linear)").
    void set_doc(std::string doc) { doc_ = std::move(doc); }

private:
    ::onnx::GraphProto& graph_;
    std::set<std::string> names_;
    std::string doc_;
};

}  // namespace neura::onnx::detail
