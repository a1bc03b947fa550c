#include "neura/train/LayerGradcheck.h"

#include <map>

#include "neura/autograd/GradMode.h"
#include "neura/nn/Module.h"
#include "neura/ops/Ops.h"
#include "backend/cpu/ThreadScope.h"

namespace neura::train {

std::vector<LayerGradcheckResult> check_layers(graph::Network& net, const Tensor& batch_features,
                                               const LayerGradcheckOptions& opts, DType dtype,
                                               const std::function<void(int, int)>& progress, StopToken* stop) {
    // Thousands of forwards on a few rows: far too small for a parallel region (see ThreadScope).
    cpu::ThreadScope one_thread(1);
    net.to(dtype);
    net.train();
    // Dropout would make every forward different: check it (and everything) deterministically.
    for (const auto& step : net.steps())
        if (step.module && step.type == "Dropout") step.module->eval();

    const std::int64_t rows = std::min<std::int64_t>(opts.batch_rows, batch_features.size(0));
    const Tensor x = batch_features.narrow(0, 0, rows).to(dtype).contiguous();
    std::map<std::uint64_t, Tensor> outputs;  // node id → its output on x
    {
        NoGradGuard ng;
        const auto h = net.add_forward_hook([&](graph::NodeId id, const Tensor& out) {
            outputs[id.value] = out.detach().clone();
        });
        net.forward(x);
        net.remove_forward_hook(h);
    }

    std::vector<const graph::Network::Step*> todo;
    for (const auto& step : net.steps())
        if (step.module && (opts.only.empty() || opts.only.count(step.node))) todo.push_back(&step);

    std::vector<LayerGradcheckResult> results;
    Generator jitter(opts.gradcheck.seed + 12345);
    int done = 0;
    for (const auto* step : todo) {
        if (stop && stop->stop_requested()) break;
        LayerGradcheckResult r;
        r.node = step->node;
        r.name = step->name;
        r.type = step->type;
        try {
            std::vector<Tensor> inputs;
            std::vector<std::string> names;
            std::size_t n_inputs = 0;
            for (std::size_t k = 0; k < step->input_steps.size(); ++k) {
                const auto& producer = net.steps()[step->input_steps[k]];
                Tensor in = outputs.at(producer.node.value).clone();
                if (is_floating(in.dtype())) {
                    // Real activations often sit exactly on a kink (ReLU zeros, max-pool windows of equal
                    // values), where no derivative exists. A small seeded jitter moves them off it.
                    in = (in + Tensor::randn(in.shape(), in.dtype(), &jitter) * 1e-3).detach();
                    in.requires_grad_();
                }
                inputs.push_back(in);
                names.push_back(step->input_steps.size() == 1 ? "input" : "input " + std::to_string(k));
                ++n_inputs;
            }
            for (const auto& [pname, p] : step->module->named_parameters()) {
                inputs.push_back(p);  // perturbed in place: the module reads the same storage
                names.push_back(pname);
            }
            std::vector<std::string> checked_names;
            for (std::size_t i = 0; i < inputs.size(); ++i)
                if (inputs[i].requires_grad()) checked_names.push_back(names[i]);
            auto module = step->module;
            // gradcheck calls fn twice per checked element: a stop request ends the layer at its next
            // call (the half-perturbed copy is the caller's to throw away).
            auto fn = [module, n_inputs, stop](const std::vector<Tensor>& xs) {
                if (stop && stop->stop_requested()) throw RunStopped("gradient check stopped by the user");
                std::vector<Tensor> in(xs.begin(), xs.begin() + static_cast<long>(n_inputs));
                return std::vector<Tensor>{in.size() == 1 ? module->forward(in[0]) : module->forward(in)};
            };
            const auto g = autograd::gradcheck(fn, inputs, opts.gradcheck, checked_names);
            r.passed = g.passed;
            r.message = g.message;
            r.tensors = g.inputs;
        } catch (const RunStopped&) {
            break;  // the layer was not checked to the end: no result for it
        } catch (const std::exception& e) {
            r.passed = false;
            r.message = std::string("could not be checked: ") + e.what();
        }
        results.push_back(std::move(r));
        ++done;
        if (progress) progress(done, static_cast<int>(todo.size()));
    }
    return results;
}

LayerTypeCheck check_layer_type(const graph::LayerDescriptor& d, const autograd::GradcheckOptions& opts) {
    using graph::LayerCheck;
    auto not_checked = [](std::string why) { return LayerTypeCheck{LayerCheck::NotChecked, std::move(why)}; };
    if (!d.build) return not_checked("it builds no module");
    const std::size_t n = d.variadic_inputs ? std::max(d.min_inputs, d.inputs.size()) : d.inputs.size();
    if (n == 0) return not_checked("it takes no input");
    for (std::size_t i = 0; i < n; ++i)
        if (d.input_port(i).kind != graph::PortKind::Tensor)
            return not_checked(detail::concat("input '", d.input_port(i).name, "' takes ",
                                              d.input_port(i).kind == graph::PortKind::Indices ? "indices" : "targets",
                                              ", which have no gradient"));
    std::vector<Shape> shapes = d.check_inputs;
    if (shapes.empty()) shapes.assign(n, Shape{3, 4});
    if (shapes.size() != n)
        return not_checked(detail::concat("check_inputs gives ", shapes.size(), " shapes for ", n, " inputs"));
    std::string shapes_text;
    for (const auto& s : shapes) shapes_text += (shapes_text.empty() ? "" : ", ") + shape_str(s);

    cpu::ThreadScope one_thread(1);  // a few hundred tiny forwards
    try {
        const graph::AttributeMap attrs = d.default_attributes();
        const graph::ShapeResult rule = d.shape(attrs, shapes);
        if (!rule.is_ok())
            return not_checked(detail::concat("its shape rule rejects the check inputs ", shapes_text, " (", rule.error,
                                              "); set check_inputs"));
        Generator gen(opts.seed + 1);
        const std::shared_ptr<nn::Module> module = d.build(attrs, shapes, gen);
        if (!module) return not_checked("it builds no module");
        module->to(DType::F64);
        module->train();

        constexpr std::int64_t kBatch = 2;
        std::vector<Tensor> inputs;
        std::vector<std::string> names;
        for (std::size_t i = 0; i < n; ++i) {
            Shape s = shapes[i];
            s.insert(s.begin(), kBatch);
            inputs.push_back(Tensor::randn(s, DType::F64, &gen).requires_grad_());
            names.push_back(n == 1 ? "input" : "input " + std::to_string(i));
        }
        auto run = [module, n](const std::vector<Tensor>& xs) {
            std::vector<Tensor> in(xs.begin(), xs.begin() + static_cast<long>(n));
            return std::vector<Tensor>{n == 1 ? module->forward(in[0]) : module->forward(in)};
        };
        {
            NoGradGuard ng;
            const Tensor y = run(inputs).front();
            Shape want = rule.outputs.empty() ? Shape{} : rule.outputs.front();
            want.insert(want.begin(), kBatch);
            if (!y.defined() || y.shape() != want)
                return {LayerCheck::Failed, detail::concat("forward on ", shapes_text, " (batch ", kBatch, ") gives ",
                                                           y.defined() ? shape_str(y.shape()) : "no tensor",
                                                           ", its shape rule says ", shape_str(want))};
        }
        for (const auto& [pname, p] : module->named_parameters()) {
            inputs.push_back(p);
            names.push_back(pname);
        }
        const autograd::GradcheckResult g = autograd::gradcheck(run, inputs, opts, names);
        if (!g.passed) return {LayerCheck::Failed, g.message};
        double worst = 0;
        for (const auto& t : g.inputs) worst = std::max(worst, t.max_abs_error);
        return {LayerCheck::Passed, detail::concat("F64 gradients match central differences on ", shapes_text,
                                                   " (max abs error ", worst, ")")};
    } catch (const std::exception& e) {
        return {LayerCheck::Failed, std::string("it threw during the check: ") + e.what()};
    } catch (...) {
        return {LayerCheck::Failed, "it threw an exception that is not a std::exception during the check"};
    }
}

}  // namespace neura::train
