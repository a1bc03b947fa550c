// Test plugin: y = x^2 with a hand-written backward that forgets the factor 2. It loads, and its
// gradient check on load marks the layer as failed.
#include "common.h"

namespace {

using namespace neura;

class Square : public nn::Module {
public:
    std::string type_name() const override { return "BadSquare"; }
    Tensor forward(const Tensor& x) override {
        Tensor y;
        {
            NoGradGuard ng;
            y = x * x;
        }
        if (auto n = autograd::record("BadSquareBackward", {x}, {y})) {
            n->save(x);
            n->backward = [](const autograd::FunctionNode& s, const autograd::Grads& g) {
                return autograd::Grads{g[0] * s.saved(0)};  // wrong: d(x^2)/dx = 2x
            };
        }
        return y;
    }
};

void register_layers(graph::LayerRegistry& r) {
    graph::LayerDescriptor d = test_plugin::double_layer("BadSquare");
    d.help = "x^2 with a wrong backward";
    d.build = [](const graph::AttributeMap&, const std::vector<Shape>&, Generator&) { return std::make_shared<Square>(); };
    r.add(std::move(d));
}

}  // namespace

NEURA_PLUGIN("bad-gradient", "0.1.0", "a layer whose backward is wrong", register_layers)
