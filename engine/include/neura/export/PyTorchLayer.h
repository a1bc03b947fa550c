#pragma once
// PyTorchLayer: a layer's PyTorch mapping (LayerDescriptor::pytorch) — the Python that builds the
// layer as a torch.nn module and the expression that calls it. One mapping per layer type, beside its
// ONNX mapping in the descriptor (BuiltinLayers.cpp; plugins set theirs). The exporter
// (neura/export/PyTorchExport.h) writes the module as an attribute of model.py's Model named after
// the node, and the calls in the graph's topological order.
//
// The module's state_dict keys must be the engine module's parameter and buffer names (PyTorch's for
// every built-in layer: "weight", "bias_ih_l0", "self_attn.in_proj_weight", "running_mean", ...):
// weights.pt is written with them and model.py loads it with load_state_dict(strict=True).
#include <cstdint>
#include <string>
#include <vector>

#include "neura/core/Shape.h"
#include "neura/graph/AttributeValue.h"
#include "neura/nn/Module.h"

namespace neura::pytorch {

// What a mapping sees of its node.
struct PyTorchNode {
    std::string name;                      // the node's name in the graph
    std::string type;                      // its layer type
    graph::AttributeMap attributes;        // complete: defaults filled in
    std::vector<Shape> input_shapes;       // per sample (no batch dimension), one per input port
    Shape output_shape;                    // per sample
    const nn::Module* module = nullptr;    // the engine's module (its options), null for module-less layers
};

// The Python of one layer.
struct PyTorchLayer {
    // An expression building the layer's nn.Module ("nn.Linear(64, 10)"); empty: the layer has no
    // module and `call` alone computes it (Add, Concat, LastStep).
    std::string module;
    // The forward expression: {self} is the module attribute (self.<node>), {0}, {1}, ... the inputs
    // in port order, {inputs} all of them separated by ", ".
    std::string call = "{self}({0})";
    // Complete Python definitions (a class, a function) the expressions use; model.py writes each
    // distinct one once, before the Model class. Use `torch`, `nn` and `math`, which it imports.
    std::vector<std::string> definitions;
};

// Python literals.
std::string py_float(double v);                            // 0.1, 1e-05, 2.0, float("inf")
std::string py_bool(bool v);                               // True, False
std::string py_ints(const std::vector<std::int64_t>& v);   // (3, 3), (5,), ()
std::string py_str(const std::string& s);                  // "relu", with escapes

}  // namespace neura::pytorch
