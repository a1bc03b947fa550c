#pragma once
// Module: parameters, buffers, children, train/eval, forward — as torch::nn::Module.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "neura/core/Tensor.h"

namespace neura::nn {

class Module {
public:
    virtual ~Module() = default;
    virtual std::string type_name() const = 0;  // PyTorch's class name: "Linear", "Conv2d", ...

    // Single-input layers override forward(x); merge layers (Add, Concat) override forward(inputs).
    virtual Tensor forward(const Tensor& x);
    virtual Tensor forward(const std::vector<Tensor>& inputs);
    Tensor operator()(const Tensor& x) { return forward(x); }

    // Recursive, children's names prefixed "child.": "weight", "bias", "0.weight", ...
    std::vector<std::pair<std::string, Tensor>> named_parameters() const;
    std::vector<Tensor> parameters() const;
    std::vector<std::pair<std::string, Tensor>> named_buffers() const;  // running stats and such
    const std::vector<std::pair<std::string, std::shared_ptr<Module>>>& children() const { return children_; }

    virtual void train(bool on = true);
    void eval() { train(false); }
    bool is_training() const { return training_; }
    void zero_grad();
    // Converts parameters and buffers (F32 <-> F64); gradcheck runs layers in F64.
    void to(DType dtype);
    // Moves parameters and buffers to `device` in place: every handle to them (a layer's `weight`, an
    // optimizer's parameter list) sees the moved tensor. Throws when the device is not available.
    void to(Device device);

protected:
    Tensor& register_parameter(const std::string& name, Tensor t);  // sets requires_grad
    Tensor& register_buffer(const std::string& name, Tensor t);
    template <class M>
    std::shared_ptr<M> register_module(const std::string& name, std::shared_ptr<M> m) {
        children_.emplace_back(name, m);
        return m;
    }

private:
    // Stored as shared handles so that references returned by register_* stay valid.
    std::vector<std::pair<std::string, std::shared_ptr<Tensor>>> params_;
    std::vector<std::pair<std::string, std::shared_ptr<Tensor>>> buffers_;
    std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
    bool training_ = true;
};

}  // namespace neura::nn
