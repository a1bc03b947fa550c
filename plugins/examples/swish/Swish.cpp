// Swish (SiLU with a learnable slope): y = x * sigmoid(beta * x), PyTorch's nn.SiLU when beta = 1.
// An example plugin (docs/plugins.md): an activation with one learnable parameter, backward from
// differentiable engine ops, ONNX export as Mul(x, Sigmoid(Mul(x, beta))), PyTorch export as a small
// nn.Module class written into model.py.
#include <neura_plugin.h>

namespace {

using namespace neura;

class Swish : public nn::Module {
public:
    Swish(double beta, bool learnable) {
        const Tensor b = Tensor::full({1}, beta);
        this->beta = learnable ? register_parameter("beta", b) : register_buffer("beta", b);
    }
    std::string type_name() const override { return "Swish"; }
    Tensor forward(const Tensor& x) override { return x * sigmoid(beta * x); }

    Tensor beta;  // [1], broadcast over the input
};

// The palette icon: a 16x16 XPM image (any image file's bytes work: PNG, XPM, BMP).
const char* const kIcon = R"xpm(/* XPM */
static char* swish[] = {
"16 16 3 1",
". c None",
"# c #E07020",
"+ c #909090",
"................",
"................",
"..............##",
"............##..",
"..........##....",
".........#......",
"........#.......",
".......#........",
"......#.........",
"+++++#++++++++++",
"....#...........",
"##.#............",
"..#.............",
"................",
"................",
"................"
};)xpm";

graph::LayerDescriptor swish_layer() {
    graph::LayerDescriptor d;
    d.type = "Swish";
    d.category = "Activation";
    d.help = "x * sigmoid(beta * x), with a learnable beta (SiLU when beta = 1).";
    d.icon = kIcon;
    d.inputs = sdk::one_input();
    d.outputs = sdk::one_output();
    d.attributes = {
        sdk::float_attribute_spec("beta", 1.0, std::nullopt, std::nullopt, "Initial slope of the sigmoid gate."),
        sdk::bool_attribute_spec("learnable", true, "Learn beta while training (otherwise it stays fixed)."),
    };
    d.shape = sdk::same_shape;
    d.parameter_count = [](const graph::AttributeMap& a, const std::vector<Shape>&) -> std::int64_t {
        return graph::bool_attribute(a, "learnable") ? 1 : 0;
    };
    d.macs = [](const graph::AttributeMap&, const std::vector<Shape>& in, const std::vector<Shape>&) -> std::int64_t {
        return shape_numel(in.at(0));  // x * sigmoid(beta x): one multiply per element
    };
    d.build = [](const graph::AttributeMap& a, const std::vector<Shape>&, Generator&) {
        return std::make_shared<Swish>(graph::float_attribute(a, "beta"), graph::bool_attribute(a, "learnable"));
    };
    d.onnx = [](onnx::NodeExporter& e) {
        const auto& m = e.module<Swish>();
        const std::string scaled = e.op("Mul", {e.input(), e.initializer("beta", m.beta)});
        e.op("Mul", {e.input(), e.op("Sigmoid", {scaled})}, {}, e.output());
    };
    // PyTorch (neura export-torch): the module's state_dict key is "beta", the engine module's name.
    d.pytorch = [](const pytorch::PyTorchNode& n) {
        pytorch::PyTorchLayer l;
        l.module = "Swish(beta=" + pytorch::py_float(graph::float_attribute(n.attributes, "beta")) +
                   ", learnable=" + pytorch::py_bool(graph::bool_attribute(n.attributes, "learnable")) + ")";
        l.definitions = {R"(class Swish(nn.Module):
    """x * sigmoid(beta * x) with a learnable (or fixed) beta: nn.SiLU when beta = 1."""

    def __init__(self, beta=1.0, learnable=True):
        super().__init__()
        b = torch.full((1,), float(beta))
        if learnable:
            self.beta = nn.Parameter(b)
        else:
            self.register_buffer("beta", b)

    def forward(self, x):
        return x * torch.sigmoid(self.beta * x))"};
        return l;
    };
    return d;
}

void register_layers(graph::LayerRegistry& registry) { registry.add(swish_layer()); }

}  // namespace

NEURA_PLUGIN("swish", "1.0.0", "Swish activation with a learnable beta", register_layers)
