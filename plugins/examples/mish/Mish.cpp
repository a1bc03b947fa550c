// Mish: y = x * tanh(softplus(x)) (Misra 2019; PyTorch's nn.Mish). An example plugin
// (docs/plugins.md) with a hand-written backward (neura/autograd/Function.h) instead of one built
// from differentiable ops, and an ONNX export that is a decomposition into standard ops:
// Mul(x, Tanh(Softplus(x))) (ONNX's own Mish op needs opset 18; the export writes opset 17).
#include <neura_plugin.h>

namespace {

using namespace neura;

// softplus is the engine's own (neura/ops/Ops.h: beta 1, threshold 20, as nn.Mish uses).
Tensor mish(const Tensor& x) {
    Tensor y;
    {
        NoGradGuard no_grad;  // forward without recording; the node below is its backward
        y = x * tanh(softplus(x));
    }
    if (auto node = autograd::record("MishBackward", {x}, {y})) {
        node->save(x);
        // d/dx [x tanh(sp(x))] = tanh(sp) + x (1 - tanh(sp)^2) sigmoid(x), written with
        // differentiable ops so that gradients of gradients work too.
        node->backward = [](const autograd::FunctionNode& self, const autograd::Grads& g) {
            const Tensor xs = self.saved(0);
            const Tensor t = tanh(softplus(xs));
            return autograd::Grads{g[0] * (t + xs * (1.0 - t * t) * sigmoid(xs))};
        };
    }
    return y;
}

class Mish : public nn::Module {
public:
    std::string type_name() const override { return "Mish"; }
    Tensor forward(const Tensor& x) override { return mish(x); }
};

const char* const kIcon = R"xpm(/* XPM */
static char* mish[] = {
"16 16 3 1",
". c None",
"# c #C03070",
"+ c #909090",
"................",
"................",
".............###",
"...........##...",
".........##.....",
"........#.......",
".......#........",
"......#.........",
".....#..........",
"++++#+++++++++++",
"...#............",
"###.............",
"................",
"................",
"................",
"................"
};)xpm";

graph::LayerDescriptor mish_layer() {
    graph::LayerDescriptor d;
    d.type = "Mish";
    d.category = "Activation";
    d.help = "x * tanh(softplus(x)): smooth, non-monotonic, unbounded above.";
    d.icon = kIcon;
    d.inputs = sdk::one_input();
    d.outputs = sdk::one_output();
    d.shape = sdk::same_shape;
    d.build = [](const graph::AttributeMap&, const std::vector<Shape>&, Generator&) { return std::make_shared<Mish>(); };
    d.onnx = [](onnx::NodeExporter& e) {
        const std::string t = e.op("Tanh", {e.op("Softplus", {e.input()})});
        e.op("Mul", {e.input(), t}, {}, e.output());
    };
    return d;
}

void register_layers(graph::LayerRegistry& registry) { registry.add(mish_layer()); }

}  // namespace

NEURA_PLUGIN("mish", "1.0.0", "Mish activation with a hand-written backward", register_layers)
