#pragma once
// LayerDescriptor: everything the studio knows about one layer type, in one place — palette entry,
// ports, attribute schema, shape rule, parameter count, module builder, ONNX and PyTorch mappings.
// Shapes here are per sample: without the batch dimension ([2], [1, 8, 8]).
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "neura/core/Generator.h"
#include "neura/core/Shape.h"
#include "neura/graph/AttributeValue.h"
#include "neura/nn/Module.h"

namespace neura::onnx {
class NodeExporter;  // defined by the ONNX exporter
}
namespace neura::pytorch {
struct PyTorchNode;   // neura/export/PyTorchLayer.h
struct PyTorchLayer;
}

namespace neura::graph {

enum class PortKind : std::uint8_t {
    Tensor,      // floating-point activations
    Indices,     // class / token indices: compile() converts floating inputs to I64 (Embedding)
    DataTarget,  // fed by the dataset's targets, never by an edge (Loss's second input)
};

struct PortSpec {
    std::string name;
    PortKind kind = PortKind::Tensor;
};

struct AttributeSpec {
    std::string name;  // PyTorch's argument name
    AttributeType type = AttributeType::Int;
    AttributeValue default_value;
    std::optional<double> min, max;     // inclusive; for an IntList they bound each element
    std::size_t min_length = 0, max_length = 0;  // IntList only
    std::vector<std::string> choices;   // Choice only
    std::string help;
};

// The sentence validate() gives for a value that does not fit `spec` (its type, range, choices or list
// length, or the 2^31 - 1 every integer attribute is held to), or "" when it fits.
std::string attribute_problem(const AttributeSpec& spec, const AttributeValue& value);

// A shape rule's answer: one shape per output port, or why there is none, in plain words with the
// numbers involved ("Linear expects 64 input features, gets 128").
struct ShapeResult {
    std::vector<Shape> outputs;
    std::string error;

    static ShapeResult ok(std::vector<Shape> outputs) { return {std::move(outputs), {}}; }
    static ShapeResult fail(std::string message) { return {{}, std::move(message)}; }
    bool is_ok() const { return error.empty(); }
};

// `attributes` given to these are complete (defaults filled in) and of the schema's types; `inputs`
// holds one per-sample shape per connected input port, in port order.
using ShapeRule = std::function<ShapeResult(const AttributeMap& attributes, const std::vector<Shape>& inputs)>;
using ParameterCount = std::function<std::int64_t(const AttributeMap& attributes, const std::vector<Shape>& inputs)>;
// Multiply-accumulates of one sample's forward pass, from the per-sample input shapes and the shape rule's
// outputs (docs/model-costs.md lists what each built-in layer counts).
using MacCount = std::function<std::int64_t(const AttributeMap& attributes, const std::vector<Shape>& inputs,
                                            const std::vector<Shape>& outputs)>;
// Returns nullptr for nodes without a module (Input, Loss). The generator seeds initialization.
using ModuleBuilder = std::function<std::shared_ptr<nn::Module>(const AttributeMap& attributes,
                                                                const std::vector<Shape>& inputs, Generator& gen)>;
// Adds the ONNX ops (opset 17) computing the node at inference from its inputs; neura/onnx/NodeExporter.h.
using OnnxExport = std::function<void(onnx::NodeExporter& exporter)>;
// The Python building the node as a torch.nn module and calling it (model.py of `neura export-torch`);
// neura/export/PyTorchLayer.h. May throw neura::Error saying why the node has no PyTorch form.
using PyTorchExport = std::function<pytorch::PyTorchLayer(const pytorch::PyTorchNode& node)>;

// The gradient check a plugin layer gets when its plugin loads (neura/plugin/PluginManager.h).
enum class LayerCheck : std::uint8_t {
    NotChecked,  // built-in layers; plugin layers that could not be checked (why: check_message)
    Passed,
    Failed,      // the palette marks the layer; check_message says where the gradients differ
};
const char* layer_check_name(LayerCheck c);  // "not checked", "passed", "failed"

struct LayerDescriptor {
    std::string type;      // "Linear"; PyTorch's class name for built-in layers
    std::string category;  // palette group: Core, Convolution, Pooling, Normalization, Activation, Merge, IO, Loss
    std::string help;

    std::vector<PortSpec> inputs;
    std::vector<PortSpec> outputs;
    // Variadic: the last input port repeats; a node takes at least min_inputs of them (Add, Concat).
    bool variadic_inputs = false;
    std::size_t min_inputs = 0;

    std::vector<AttributeSpec> attributes;
    ShapeRule shape;
    ParameterCount parameter_count;  // empty: no parameters
    MacCount macs;                   // empty: not known (a plugin that gives none); shown as "?"
    ModuleBuilder build;             // empty: no module (Input, Loss)
    OnnxExport onnx;                 // empty: export fails naming the node (Input and Loss: the exporter's)
    PyTorchExport pytorch;           // empty: PyTorch export fails naming the node (Input and Loss: the exporter's)

    // ---- plugin layers ----
    // Set by the plugin: the palette icon, as the bytes of an image file (PNG, XPM, BMP; empty: none),
    // and the per-sample input shapes the gradient check on load feeds the layer (empty: [3, 4] for
    // every input port; give them when the shape rule needs something else, such as [3, 8, 8] images).
    std::string icon;
    std::vector<Shape> check_inputs;
    // Set by the plugin loader: the plugin providing the layer ("" for built-in layers), its version,
    // and the result of the gradient check it ran when the plugin loaded.
    std::string plugin;
    std::string plugin_version;
    LayerCheck check = LayerCheck::NotChecked;
    std::string check_message;

    const AttributeSpec* find_attribute(const std::string& name) const;
    AttributeMap default_attributes() const;
    // The node's values over the defaults; unknown names are kept (validate() reports them).
    AttributeMap resolve(const AttributeMap& given) const;
    // Inputs a node with `connected_ports` (highest connected port + 1) shows: fixed ports, or for a
    // variadic layer max(min_inputs, connected_ports).
    std::size_t input_count(std::size_t connected_ports) const;
    const PortSpec& input_port(std::size_t index) const;  // the repeated last port past the end
};

}  // namespace neura::graph
