#include "neura/train/LayerGradcheck.h"

#include <map>

#include "neura/autograd/GradMode.h"
#include "neura/nn/Module.h"
#include "neura/ops/Ops.h"
#include "train/ThreadScope.h"

namespace neura::train {

std::vector<LayerGradcheckResult> check_layers(graph::Network& net, const Tensor& batch_features,
                                               const LayerGradcheckOptions& opts, DType dtype,
                                               const std::function<void(int, int)>& progress, StopToken* stop) {
    // Thousands of forwards on a few rows: far too small for a parallel region (see ThreadScope).
    ThreadScope one_thread(1);
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
            auto fn = [module, n_inputs](const std::vector<Tensor>& xs) {
                std::vector<Tensor> in(xs.begin(), xs.begin() + static_cast<long>(n_inputs));
                return std::vector<Tensor>{in.size() == 1 ? module->forward(in[0]) : module->forward(in)};
            };
            const auto g = autograd::gradcheck(fn, inputs, opts.gradcheck, checked_names);
            r.passed = g.passed;
            r.message = g.message;
            r.tensors = g.inputs;
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

}  // namespace neura::train
