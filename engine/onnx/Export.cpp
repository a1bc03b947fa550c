// ONNX export: walks the compiled network's steps in order and lets each layer's descriptor map its
// node (LayerDescriptor::onnx, via NodeExporter); then checks the model as onnx.checker's full_check does.
#include "neura/onnx/Export.h"

#include <onnx/checker.h>
#include <onnx/defs/schema.h>
#include <onnx/onnx_pb.h>
#include <onnx/shape_inference/implementation.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "GraphBuilder.h"
#include "neura/autograd/GradMode.h"
#include "neura/core/Error.h"

namespace neura::onnx {

using neura::detail::concat;

namespace {

void set_value_info(::onnx::ValueInfoProto& v, const std::string& name, const Shape& per_sample) {
    v.set_name(name);
    auto* tt = v.mutable_type()->mutable_tensor_type();
    tt->set_elem_type(::onnx::TensorProto::FLOAT);
    auto* shape = tt->mutable_shape();
    shape->add_dim()->set_dim_param("batch");
    for (std::int64_t d : per_sample) shape->add_dim()->set_dim_value(d);
}

// Sub(mean) and Div(scale) in front of the network: the model takes raw features.
std::string add_normalization(detail::GraphBuilder& b, const data::Standardizer& s, const Shape& input_shape,
                              const std::string& input) {
    NEURA_CHECK(s.num_features() == shape_numel(input_shape), "ONNX export: the project's normalization statistics have ",
                s.num_features(), " features but the model's Input takes ", shape_numel(input_shape),
                " values per sample ", shape_str(input_shape));
    b.set_doc("normalization: (x - mean) / scale, the statistics of the training split");
    std::vector<float> mean(s.mean().begin(), s.mean().end()), scale(s.scale().begin(), s.scale().end());
    const std::string m = b.constant_f32("normalization.mean", mean, input_shape);
    const std::string sc = b.constant_f32("normalization.scale", scale, input_shape);
    const std::string centered = b.node("Sub", {input, m}, {}, {}, "normalization");
    return b.node("Div", {centered, sc}, {}, {}, "normalization");
}

}  // namespace

std::string export_onnx_bytes(const graph::ModelGraph& graph, const graph::Network& network,
                              const ExportOptions& options, const graph::LayerRegistry& registry) {
    NoGradGuard ng;
    const auto& steps = network.steps();
    NEURA_CHECK(!steps.empty(), "ONNX export: the network is empty (not compiled)");

    ::onnx::ModelProto model;
    model.set_ir_version(kIrVersion);
    model.set_producer_name("NeuraStudio");
    model.set_producer_version(NEURA_VERSION);
    model.set_model_version(1);
    model.set_doc_string(options.doc.empty() ? "Exported by NeuraStudio " NEURA_VERSION : options.doc);
    auto* opset = model.add_opset_import();
    opset->set_domain("");
    opset->set_version(kOpsetVersion);
    auto* norm_meta = model.add_metadata_props();
    norm_meta->set_key("neura.normalization");
    norm_meta->set_value(options.normalization ? "included: input is raw features, the model subtracts mean and "
                                                 "divides by scale"
                                               : "none");

    ::onnx::GraphProto& g = *model.mutable_graph();
    g.set_name(options.model_name.empty() ? std::string("model") : options.model_name);
    detail::GraphBuilder b(g);
    b.reserve("input");
    b.reserve("output");
    set_value_info(*g.add_input(), "input", network.input_shape());
    set_value_info(*g.add_output(), "output", network.output_shape());

    std::vector<std::string> value(steps.size());
    value[0] = options.normalization ? add_normalization(b, *options.normalization, network.input_shape(), "input")
                                     : "input";
    for (std::size_t i = 1; i < steps.size(); ++i) {
        const graph::Network::Step& s = steps[i];
        const graph::Node& node = graph.node(s.node);
        const graph::LayerDescriptor& d = registry.at(node.type);
        const graph::AttributeMap attrs = d.resolve(node.attributes);
        std::vector<Shape> in_shapes;
        std::vector<std::string> ins;
        for (std::size_t j : s.input_steps) {
            in_shapes.push_back(steps.at(j).output_shape);
            ins.push_back(value.at(j));
        }
        const bool last = i + 1 == steps.size();
        const std::string out = last ? std::string("output") : b.unique(node.name);
        b.set_doc(concat(node.name, " (", node.type, ")"));
        NodeExporter e(b, node.name, node.type, attrs, std::move(in_shapes), s.output_shape, s.module.get(),
                       std::move(ins), out);
        if (!d.onnx) e.fail("the layer type has no ONNX mapping");
        d.onnx(e);
        if (e.result().empty()) e.fail("its ONNX mapping did not produce the node's output");
        value[i] = e.result();
    }
    if (value.back() != "output") {  // the last node passed its input through (or the Input feeds the Loss)
        b.set_doc("the model's output");
        b.node("Identity", {value.back()}, {}, "output", "output");
    }

    std::string bytes;
    NEURA_CHECK(model.SerializeToString(&bytes), "ONNX export: the model could not be serialized (over 2 GB?)");
    check_onnx_bytes(bytes);
    return bytes;
}

void check_onnx_bytes(const std::string& model_bytes) {
    ::onnx::ModelProto model;
    NEURA_CHECK(model.ParseFromString(model_bytes), "ONNX check: the bytes are not an ONNX ModelProto");
    try {
        ::onnx::checker::check_model(model);
        // onnx.checker.check_model(full_check=True): strict shape inference with type checks.
        ::onnx::shape_inference::InferShapes(model, ::onnx::OpSchemaRegistry::Instance(),
                                             ::onnx::ShapeInferenceOptions(true, 1, false));
    } catch (const std::exception& e) {
        throw Error(concat("ONNX check failed: ", e.what()));
    }
}

void export_onnx(const graph::ModelGraph& graph, const graph::Network& network, const std::string& path,
                 const ExportOptions& options, const graph::LayerRegistry& registry) {
    const std::string bytes = export_onnx_bytes(graph, network, options, registry);
    const std::string tmp = path + ".tmp";
    {
        std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
        NEURA_CHECK(f, "cannot write the ONNX model to '", path, "': ", std::strerror(errno));
        f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
        f.flush();
        if (!f) {
            std::error_code ec;
            std::filesystem::remove(tmp, ec);
            throw Error(concat("cannot write the ONNX model to '", path, "': ", std::strerror(errno)));
        }
    }
    std::error_code ec;
    std::filesystem::rename(tmp, path, ec);
    if (ec) {
        std::filesystem::remove(tmp, ec);
        throw Error(concat("cannot write the ONNX model to '", path, "': ", ec.message()));
    }
}

}  // namespace neura::onnx
