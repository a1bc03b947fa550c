// RMSNorm: y = x / sqrt(mean(x^2 over the last dimension) + eps) * weight, as PyTorch's nn.RMSNorm
// over the last dimension. An example plugin (docs/plugins.md): a layer with a parameter sized from
// its input, backward from differentiable engine ops, ONNX export as a decomposition into
// Mul, ReduceMean, Add, Sqrt and Div (opset 17 has no RMSNormalization).
#include <neura_plugin.h>

namespace {

using namespace neura;

class RMSNorm : public nn::Module {
public:
    RMSNorm(std::int64_t features, double eps, bool elementwise_affine) : features(features), eps(eps) {
        NEURA_CHECK(features > 0, "RMSNorm needs at least one feature, got ", features);
        if (elementwise_affine) weight = register_parameter("weight", Tensor::ones({features}));
    }
    std::string type_name() const override { return "RMSNorm"; }
    Tensor forward(const Tensor& x) override {
        NEURA_CHECK(x.dim() >= 1 && x.shape().back() == features, "RMSNorm expects inputs ending in ", features,
                    " features, gets ", shape_str(x.shape()));
        const Tensor rms = sqrt(mean(x * x, {-1}, /*keepdim=*/true) + eps);
        const Tensor y = x / rms;
        return weight.defined() ? y * weight : y;
    }

    std::int64_t features;
    double eps;
    Tensor weight;  // [features], or undefined without elementwise_affine
};

const char* const kIcon = R"xpm(/* XPM */
static char* rmsnorm[] = {
"16 16 3 1",
". c None",
"# c #A08C1E",
"+ c #E0C040",
"................",
".##############.",
".#............#.",
".#..########..#.",
".#..#......#..#.",
".#..#.####.#..#.",
".#..#.#++#.#..#.",
".#..#.#++#.#..#.",
".#..#.#++#.#..#.",
".#..#.#++#.#..#.",
".#..#.####.#..#.",
".#..#......#..#.",
".#..########..#.",
".#............#.",
".##############.",
"................"
};)xpm";

graph::LayerDescriptor rmsnorm_layer() {
    graph::LayerDescriptor d;
    d.type = "RMSNorm";
    d.category = "Normalization";
    d.help = "Divides each sample by the root mean square of its last dimension, then scales by a learned weight.";
    d.icon = kIcon;
    d.inputs = sdk::one_input();
    d.outputs = sdk::one_output();
    d.attributes = {
        sdk::float_attribute_spec("eps", 1e-6, 1e-300, std::nullopt, "Added to the mean square for stability."),
        sdk::bool_attribute_spec("elementwise_affine", true, "Learn a scale per feature."),
    };
    d.shape = [](const graph::AttributeMap&, const std::vector<Shape>& in) {
        if (in.at(0).empty())
            return graph::ShapeResult::fail("RMSNorm needs a feature dimension, its input has a single value per sample");
        return graph::ShapeResult::ok({in.at(0)});
    };
    d.parameter_count = [](const graph::AttributeMap& a, const std::vector<Shape>& in) -> std::int64_t {
        return graph::bool_attribute(a, "elementwise_affine") ? in.at(0).back() : 0;
    };
    // Per element: one multiply-add for the mean square, one multiply for the scaling.
    d.macs = [](const graph::AttributeMap&, const std::vector<Shape>& in, const std::vector<Shape>&) -> std::int64_t {
        return 2 * shape_numel(in.at(0));
    };
    d.build = [](const graph::AttributeMap& a, const std::vector<Shape>& in, Generator&) {
        return std::make_shared<RMSNorm>(in.at(0).back(), graph::float_attribute(a, "eps"),
                                         graph::bool_attribute(a, "elementwise_affine"));
    };
    d.onnx = [](onnx::NodeExporter& e) {
        const auto& m = e.module<RMSNorm>();
        const std::string square = e.op("Mul", {e.input(), e.input()});
        const std::string mean = e.op("ReduceMean", {square}, {{"axes", std::vector<std::int64_t>{-1}}, {"keepdims", std::int64_t{1}}});
        const std::string eps = e.constant_f32("eps", {static_cast<float>(m.eps)}, {});
        const std::string rms = e.op("Sqrt", {e.op("Add", {mean, eps})});
        if (!m.weight.defined()) {
            e.op("Div", {e.input(), rms}, {}, e.output());
            return;
        }
        e.op("Mul", {e.op("Div", {e.input(), rms}), e.initializer("weight", m.weight)}, {}, e.output());
    };
    return d;
}

void register_layers(graph::LayerRegistry& registry) { registry.add(rmsnorm_layer()); }

}  // namespace

NEURA_PLUGIN("rmsnorm", "1.0.0", "RMSNorm: root-mean-square normalization with a learned scale", register_layers)
