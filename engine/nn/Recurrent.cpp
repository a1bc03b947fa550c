// RNN, LSTM and GRU as PyTorch's torch.nn.RNN / LSTM / GRU, composed of differentiable ops.
#include "neura/nn/Recurrent.h"

#include <cmath>

#include "neura/autograd/GradMode.h"
#include "neura/nn/Padding.h"
#include "neura/ops/NnOps.h"
#include "neura/ops/Ops.h"
#include "ops/Fused.h"

namespace neura::nn {

namespace {

std::int64_t directions(const RecurrentOptions& o) { return o.bidirectional ? 2 : 1; }

std::string describe(const Tensor& t) { return t.defined() ? shape_str(t.shape()) : "an undefined tensor"; }

void check_options(const char* type, const RecurrentOptions& o) {
    NEURA_CHECK(o.input_size > 0, type, ": input_size must be positive, got ", o.input_size);
    NEURA_CHECK(o.hidden_size > 0, type, ": hidden_size must be positive, got ", o.hidden_size);
    NEURA_CHECK(o.num_layers > 0, type, ": num_layers must be positive, got ", o.num_layers);
    NEURA_CHECK(o.dropout >= 0.0 && o.dropout <= 1.0, type, ": dropout has to be between 0 and 1, but got ",
                o.dropout);
}

RecurrentBase::Cell rnn_cell(const RecurrentOptions& o) {
    NEURA_CHECK(o.nonlinearity == "tanh" || o.nonlinearity == "relu",
                "RNN: nonlinearity must be \"tanh\" or \"relu\", got \"", o.nonlinearity, "\"");
    return o.nonlinearity == "tanh" ? RecurrentBase::Cell::RNNTanh : RecurrentBase::Cell::RNNReLU;
}

}  // namespace

ParameterSpecs RecurrentBase::specs_for(const char* type, std::int64_t gates, const RecurrentOptions& o) {
    check_options(type, o);
    const std::int64_t h = o.hidden_size, d = directions(o);
    ParameterSpecs specs;
    for (std::int64_t layer = 0; layer < o.num_layers; ++layer) {
        const std::int64_t in = layer == 0 ? o.input_size : h * d;
        for (std::int64_t dir = 0; dir < d; ++dir) {
            const std::string suffix = "_l" + std::to_string(layer) + (dir == 1 ? "_reverse" : "");
            specs.push_back({"weight_ih" + suffix, {gates * h, in}});
            specs.push_back({"weight_hh" + suffix, {gates * h, h}});
            if (o.bias) {
                specs.push_back({"bias_ih" + suffix, {gates * h}});
                specs.push_back({"bias_hh" + suffix, {gates * h}});
            }
        }
    }
    return specs;
}

ParameterSpecs RNN::parameter_specs(const RecurrentOptions& o) {
    rnn_cell(o);
    return specs_for("RNN", 1, o);
}
ParameterSpecs LSTM::parameter_specs(const RecurrentOptions& o) { return specs_for("LSTM", 4, o); }
ParameterSpecs GRU::parameter_specs(const RecurrentOptions& o) { return specs_for("GRU", 3, o); }

RNN::RNN(const RecurrentOptions& o, Generator* gen) : RecurrentBase("RNN", rnn_cell(o), o, gen) {}
LSTM::LSTM(const RecurrentOptions& o, Generator* gen) : RecurrentBase("LSTM", Cell::LSTM, o, gen) {}
GRU::GRU(const RecurrentOptions& o, Generator* gen) : RecurrentBase("GRU", Cell::GRU, o, gen) {}

RecurrentBase::RecurrentBase(const char* type, Cell cell, const RecurrentOptions& o, Generator* gen)
    : options(o), type_(type), cell_(cell), gen_(gen) {
    const std::int64_t gates = cell == Cell::LSTM ? 4 : cell == Cell::GRU ? 3 : 1;
    const ParameterSpecs specs = specs_for(type, gates, o);  // checks the options
    const double bound = 1.0 / std::sqrt(static_cast<double>(o.hidden_size));
    const std::size_t per_direction = o.bias ? 4 : 2;
    weights_.resize(specs.size() / per_direction);
    for (std::size_t i = 0; i < specs.size(); ++i) {
        Weights& w = weights_[i / per_direction];
        Tensor* slot[] = {&w.weight_ih, &w.weight_hh, &w.bias_ih, &w.bias_hh};
        *slot[i % per_direction] =
            register_parameter(specs[i].name, Tensor::uniform(specs[i].shape, -bound, bound, DType::F32, gen));
    }
}

Tensor RecurrentBase::forward(const Tensor& x) { return forward_with_state(x).output; }

// One time step of one layer and direction: x_proj = x_t W_ih^T + b_ih (+ b_hh for RNN and LSTM)
// ([B, G*H]), h [B, H]; updates c (LSTM) and returns the new h.
Tensor RecurrentBase::step(const Tensor& x_proj, const Tensor& h, Tensor& c, const Weights& w,
                           std::array<Tensor, 3>* gates) const {
    const std::int64_t hs = options.hidden_size;
    Tensor h_proj = matmul(h, w.weight_hh.t());
    if (w.bias_hh.defined() && cell_ == Cell::GRU) h_proj = h_proj + w.bias_hh;  // RNN, LSTM: in x_proj
    auto gate = [hs](const Tensor& t, std::int64_t k) { return t.narrow(1, k * hs, hs); };
    switch (cell_) {
    case Cell::RNNTanh: return tanh(x_proj + h_proj);
    case Cell::RNNReLU: return relu(x_proj + h_proj);
    case Cell::LSTM: {
        const Tensor g = x_proj + h_proj;
        const Tensor i = sigmoid(gate(g, 0)), f = sigmoid(gate(g, 1)), cand = tanh(gate(g, 2)),
                     o = sigmoid(gate(g, 3));
        if (gates) *gates = {i.detach(), f.detach(), o.detach()};
        c = f * c + i * cand;
        return o * tanh(c);
    }
    case Cell::GRU: {
        const Tensor r = sigmoid(gate(x_proj, 0) + gate(h_proj, 0));
        const Tensor z = sigmoid(gate(x_proj, 1) + gate(h_proj, 1));
        const Tensor n = tanh(gate(x_proj, 2) + r * gate(h_proj, 2));
        return n + z * (h - n);  // (1 - z) * n + z * h
    }
    }
    return {};
}

namespace {

// One layer and direction's saturation from its gates at every step: steps[s][gate] is [B, H] at the
// direction's s-th step. With variable lengths (`valid`: per time step a [B, 1] mask) only the rows'
// valid steps count.
GateSaturation saturation_of(const std::vector<std::array<Tensor, 3>>& steps, std::int64_t layer, std::int64_t dir,
                             const std::vector<Tensor>& valid) {
    NoGradGuard ng;
    GateSaturation s;
    s.layer = layer;
    s.direction = dir;
    const auto count = static_cast<std::int64_t>(steps.size());
    // Per step s, which rows count.
    std::vector<std::vector<double>> rows_valid;
    for (std::int64_t k = 0; k < count && !valid.empty(); ++k)
        rows_valid.push_back(valid[static_cast<std::size_t>(dir == 0 ? k : count - 1 - k)].to_vector<double>());
    for (std::size_t g = 0; g < 3; ++g) {
        std::vector<std::int64_t> left, right;
        s.values = 0;
        for (std::size_t k = 0; k < steps.size(); ++k) {
            const Tensor& gate = steps[k][g];  // [B, H]
            const std::int64_t batch = gate.dim() == 2 ? gate.size(0) : 1, units = gate.size(-1);
            left.resize(static_cast<std::size_t>(units), 0);
            right.resize(static_cast<std::size_t>(units), 0);
            const std::vector<double> v = gate.to_vector<double>();
            for (std::int64_t b = 0; b < batch; ++b) {
                if (!rows_valid.empty() && rows_valid[k][static_cast<std::size_t>(b)] == 0.0) continue;
                ++s.values;
                for (std::int64_t u = 0; u < units; ++u) {
                    const double x = v[static_cast<std::size_t>(b * units + u)];
                    left[static_cast<std::size_t>(u)] += x < GateSaturation::kClosed;
                    right[static_cast<std::size_t>(u)] += x > GateSaturation::kOpen;
                }
            }
        }
        const double n = static_cast<double>(std::max<std::int64_t>(s.values, 1));
        for (std::size_t u = 0; u < left.size(); ++u) {
            s.left[g].push_back(static_cast<double>(left[u]) / n);
            s.right[g].push_back(static_cast<double>(right[u]) / n);
        }
    }
    return s;
}

// An LSTM layer and direction's i, f and o gates at every step (the direction's order), recomputed from its
// input x [T, B, I], initial state h0 [B, H] and output sequence y [T, B, H] in two products: what the fused
// kernel (ops/Fused.h) keeps to itself.
std::vector<std::array<Tensor, 3>> lstm_gates_of(const Tensor& x, const Tensor& h0, const Tensor& y,
                                                 const RecurrentBase::Weights& w, bool reverse) {
    NoGradGuard ng;
    const std::int64_t steps = x.size(0), hs = y.size(2);
    // The state each step starts from: h0 at the direction's first step, else the previous step's output.
    const Tensor first = h0.unsqueeze(0);
    const Tensor before = steps == 1 ? first
                          : reverse  ? cat({y.narrow(0, 1, steps - 1), first}, 0)
                                     : cat({first, y.narrow(0, 0, steps - 1)}, 0);
    Tensor g = matmul(x, w.weight_ih.t()) + matmul(before, w.weight_hh.t());
    if (w.bias_ih.defined()) g = g + (w.bias_ih + w.bias_hh);
    std::vector<std::array<Tensor, 3>> out(static_cast<std::size_t>(steps));
    for (std::int64_t s = 0; s < steps; ++s) {
        const Tensor gt = g.select(0, reverse ? steps - 1 - s : s);
        out[static_cast<std::size_t>(s)] = {sigmoid(gt.narrow(1, 0, hs)), sigmoid(gt.narrow(1, hs, hs)),
                                            sigmoid(gt.narrow(1, 3 * hs, hs))};
    }
    return out;
}

}  // namespace

RecurrentOutput RecurrentBase::forward_with_state(const Tensor& input, const Tensor& h0_in, const Tensor& c0_in) {
    const RecurrentOptions& o = options;
    const bool lstm = cell_ == Cell::LSTM;
    NEURA_CHECK(input.defined() && (input.dim() == 3 || input.dim() == 2), type_,
                " expects [T, B, F] (or [B, T, F] with batch_first) or an unbatched [T, F], gets ", describe(input));
    NEURA_CHECK(input.size(-1) == o.input_size, type_, ": input has ", input.size(-1), " features, input_size is ",
                o.input_size, " (input shape ", shape_str(input.shape()), ")");
    NEURA_CHECK(is_floating(input.dtype()), type_, ": expects a floating input, gets ", dtype_name(input.dtype()));
    const DType pdtype = weights_.front().weight_ih.dtype();
    NEURA_CHECK(input.dtype() == pdtype, type_, ": input is ", dtype_name(input.dtype()), ", parameters are ",
                dtype_name(pdtype));
    NEURA_CHECK(lstm || !c0_in.defined(), type_, " takes no c0 (only LSTM has a cell state)");

    const bool batched = input.dim() == 3;
    Tensor x = batched ? (o.batch_first ? input.transpose(0, 1) : input) : input.unsqueeze(1);  // [T, B, F]
    const std::int64_t steps = x.size(0), batch = x.size(1), hs = o.hidden_size, d = directions(o);
    NEURA_CHECK(steps > 0, type_, ": the input sequence is empty (input shape ", shape_str(input.shape()), ")");

    const Shape state_shape = batched ? Shape{o.num_layers * d, batch, hs} : Shape{o.num_layers * d, hs};
    auto initial = [&](const Tensor& s, const char* name) {
        if (!s.defined()) return Tensor::zeros({o.num_layers * d, batch, hs}, input.dtype(), input.device());
        NEURA_CHECK(s.shape() == state_shape, type_, ": ", name, " has shape ", shape_str(s.shape()),
                    ", expected ", shape_str(state_shape), " for input ", shape_str(input.shape()));
        NEURA_CHECK(s.dtype() == input.dtype(), type_, ": ", name, " is ", dtype_name(s.dtype()), ", input is ",
                    dtype_name(input.dtype()));
        return batched ? s : s.unsqueeze(1);
    };
    const Tensor h0 = initial(h0_in, "h0");
    const Tensor c0 = lstm ? initial(c0_in, "c0") : Tensor();

    const bool keep = lstm && keep_gates;
    if (keep) kept_gates.clear();
    // Variable lengths (nn/Padding.h): per step a [B, 1] mask, 1 while the row is still in its sequence.
    std::vector<Tensor> valid;
    if (batched)
        if (const Tensor m = valid_steps_mask(batch, steps, input.dtype(), input.device()); m.defined())
            valid = unbind(m.t().unsqueeze(-1), 0);

    std::vector<Tensor> h_n, c_n;
    Tensor layer_input = x;
    for (std::int64_t layer = 0; layer < o.num_layers; ++layer) {
        std::vector<Tensor> dir_outputs;
        for (std::int64_t dir = 0; dir < d; ++dir) {
            const std::int64_t idx = layer * d + dir;
            const Weights& w = weights_[static_cast<std::size_t>(idx)];
            if (valid.empty()) {
                const detail::RecurrentCell kind = cell_ == Cell::LSTM  ? detail::RecurrentCell::LSTM
                                                   : cell_ == Cell::GRU ? detail::RecurrentCell::GRU
                                                   : cell_ == Cell::RNNReLU ? detail::RecurrentCell::Relu
                                                                            : detail::RecurrentCell::Tanh;
                if (auto f = detail::fused_recurrent_layer(kind, layer_input, h0.select(0, idx),
                                                           lstm ? c0.select(0, idx) : Tensor(), w.weight_ih,
                                                           w.weight_hh, w.bias_ih, w.bias_hh, dir == 1)) {
                    if (keep)
                        kept_gates.push_back(saturation_of(
                            lstm_gates_of(layer_input, h0.select(0, idx), f->output, w, dir == 1), layer, dir, valid));
                    dir_outputs.push_back(f->output);
                    h_n.push_back(f->h_n);
                    if (lstm) c_n.push_back(f->c_n);
                    continue;
                }
            }
            // The input projection of every step at once: [T, B, G*H].
            Tensor x_proj = matmul(layer_input, w.weight_ih.t());
            // RNN and LSTM add both biases to the same sum: once here for every step, not per step (and
            // b_hh's gradient is then one reduction, not one per step). GRU's b_hn sits inside r * (...).
            if (w.bias_ih.defined()) x_proj = x_proj + (cell_ == Cell::GRU ? w.bias_ih : w.bias_ih + w.bias_hh);
            Tensor h = h0.select(0, idx);
            Tensor c = lstm ? c0.select(0, idx) : Tensor();
            const std::vector<Tensor> x_steps = unbind(x_proj, 0);  // one backward for all steps
            std::vector<Tensor> outs(static_cast<std::size_t>(steps));
            std::vector<std::array<Tensor, 3>> gates(keep ? static_cast<std::size_t>(steps) : 0);
            for (std::int64_t s = 0; s < steps; ++s) {
                const std::int64_t t = dir == 0 ? s : steps - 1 - s;
                const auto ts = static_cast<std::size_t>(t);
                std::array<Tensor, 3>* kept = keep ? &gates[static_cast<std::size_t>(s)] : nullptr;
                if (valid.empty()) {
                    h = step(x_steps[ts], h, c, w, kept);
                    outs[ts] = h;
                    continue;
                }
                // Past a row's length its state stays and its output is 0 (pack_padded_sequence's result);
                // the reverse direction, meeting the padding first, starts at the last valid step.
                const Tensor c_before = c;
                const Tensor h_new = step(x_steps[ts], h, c, w, kept);
                const Tensor& m = valid[ts];
                outs[ts] = h_new * m;
                h = h + m * (h_new - h);
                if (lstm) c = c_before + m * (c - c_before);
            }
            if (keep) kept_gates.push_back(saturation_of(gates, layer, dir, valid));
            dir_outputs.push_back(stack(outs, 0));
            h_n.push_back(h);
            if (lstm) c_n.push_back(c);
        }
        Tensor out = d == 1 ? dir_outputs.front() : cat(dir_outputs, 2);
        if (layer + 1 < o.num_layers && is_training() && o.dropout > 0.0) out = dropout(out, o.dropout, true, gen_);
        layer_input = out;
    }

    RecurrentOutput r;
    r.output = batched ? (o.batch_first ? layer_input.transpose(0, 1) : layer_input) : layer_input.squeeze(1);
    r.h_n = stack(h_n, 0);
    if (!batched) r.h_n = r.h_n.squeeze(1);
    if (lstm) {
        r.c_n = stack(c_n, 0);
        if (!batched) r.c_n = r.c_n.squeeze(1);
    }
    return r;
}

}  // namespace neura::nn
