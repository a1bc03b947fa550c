#include "neura/nn/Module.h"

#include "neura/autograd/GradMode.h"
#include "neura/autograd/GradNode.h"

namespace neura::nn {

Tensor Module::forward(const Tensor& x) { return forward(std::vector<Tensor>{x}); }

Tensor Module::forward(const std::vector<Tensor>& inputs) {
    NEURA_CHECK(inputs.size() == 1, type_name(), " takes one input, got ", inputs.size());
    return forward(inputs[0]);
}

std::vector<std::pair<std::string, Tensor>> Module::named_parameters() const {
    std::vector<std::pair<std::string, Tensor>> out;
    for (const auto& [name, t] : params_) out.emplace_back(name, *t);
    for (const auto& [cname, child] : children_)
        for (auto& [name, t] : child->named_parameters()) out.emplace_back(cname + "." + name, t);
    return out;
}

std::vector<Tensor> Module::parameters() const {
    std::vector<Tensor> out;
    for (auto& [_, t] : named_parameters()) out.push_back(t);
    return out;
}

std::vector<std::pair<std::string, Tensor>> Module::named_buffers() const {
    std::vector<std::pair<std::string, Tensor>> out;
    for (const auto& [name, t] : buffers_) out.emplace_back(name, *t);
    for (const auto& [cname, child] : children_)
        for (auto& [name, t] : child->named_buffers()) out.emplace_back(cname + "." + name, t);
    return out;
}

void Module::train(bool on) {
    training_ = on;
    for (auto& [_, c] : children_) c->train(on);
}

void Module::zero_grad() {
    for (auto& [_, t] : params_) t->zero_grad();
    for (auto& [_, c] : children_) c->zero_grad();
}

namespace {
// Converts t in place, as PyTorch's set_data: every handle to it (a layer's `weight` member, an
// optimizer's list) sees the new dtype or device; requires_grad stays, a gradient is converted along.
template <class Target>
void convert_in_place(const Tensor& t, Target target) {
    if (!t.defined()) return;
    const Tensor converted = t.detach().to(target).contiguous();
    if (converted.is_same(t)) return;
    TensorImpl* impl = t.unsafe_impl();
    impl->storage = converted.storage();
    impl->sizes = converted.sizes();
    impl->strides = converted.strides();
    impl->offset = converted.offset();
    impl->dtype = converted.dtype();
    if (impl->autograd) impl->autograd->grad_accumulator.reset();  // it recorded the old dtype and device
    if (const Tensor g = t.grad(); g.defined()) Tensor(t).set_grad(g.detach().to(target));
}
}  // namespace

void Module::to(DType dtype) {
    NoGradGuard ng;
    for (auto& [_, t] : params_)
        if (t->defined() && t->dtype() != dtype) convert_in_place(*t, dtype);
    for (auto& [_, t] : buffers_)
        if (t->defined() && is_floating(t->dtype()) && t->dtype() != dtype) convert_in_place(*t, dtype);
    for (auto& [_, c] : children_) c->to(dtype);
}

void Module::to(Device device) {
    check_device(device);
    NoGradGuard ng;
    for (auto& [_, t] : params_)
        if (t->defined() && t->device() != device) convert_in_place(*t, device);
    for (auto& [_, t] : buffers_)
        if (t->defined() && t->device() != device) convert_in_place(*t, device);
    for (auto& [_, c] : children_) c->to(device);
}

Tensor& Module::register_parameter(const std::string& name, Tensor t) {
    if (t.defined() && !t.requires_grad()) t.requires_grad_();
    params_.emplace_back(name, std::make_shared<Tensor>(std::move(t)));
    return *params_.back().second;
}

Tensor& Module::register_buffer(const std::string& name, Tensor t) {
    buffers_.emplace_back(name, std::make_shared<Tensor>(std::move(t)));
    return *buffers_.back().second;
}

}  // namespace neura::nn
