#pragma once
// Shared by the test-only plugins: a valid one-layer descriptor (y = 2x) to register.
#include <cstdlib>

#include <neura_plugin.h>

namespace test_plugin {

class Double : public neura::nn::Module {
public:
    std::string type_name() const override { return "Double"; }
    neura::Tensor forward(const neura::Tensor& x) override { return x * 2.0; }
};

inline neura::graph::LayerDescriptor double_layer(const std::string& type) {
    neura::graph::LayerDescriptor d;
    d.type = type;
    d.category = "Test";
    d.help = "2x";
    d.inputs = neura::sdk::one_input();
    d.outputs = neura::sdk::one_output();
    d.shape = neura::sdk::same_shape;
    d.build = [](const neura::graph::AttributeMap&, const std::vector<neura::Shape>&, neura::Generator&) {
        return std::make_shared<Double>();
    };
    return d;
}

// Marks that the library's code ran (a static initializer): a refused-at-the-door plugin must not.
struct RanMarker {
    explicit RanMarker(const char* variable) { setenv(variable, "1", 1); }
};

}  // namespace test_plugin
