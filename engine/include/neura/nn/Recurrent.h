#pragma once
// Recurrent layers RNN, LSTM and GRU with PyTorch's names, options, defaults, parameter names and shapes
// (weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0, ..._reverse for the backward direction), gate order
// (LSTM: i, f, g, o; GRU: r, z, n with n = tanh(W_in x + b_in + r * (W_hn h + b_hn))) and initialization
// (every parameter U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))). The cells are composed of differentiable
// ops, so gradients and double backward work. No proj_size (PyTorch's LSTM projection).
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "neura/core/Generator.h"
#include "neura/nn/Layers.h"
#include "neura/nn/Module.h"

namespace neura::nn {

struct RecurrentOptions {
    std::int64_t input_size = 1, hidden_size = 1, num_layers = 1;
    bool bias = true, batch_first = false, bidirectional = false;
    double dropout = 0.0;               // on each layer's output but the last, in training mode only
    std::string nonlinearity = "tanh";  // RNN only: "tanh" or "relu"
};

struct RecurrentOutput {
    Tensor output;  // [T, B, D*H] ([B, T, D*H] with batch_first, [T, D*H] unbatched)
    Tensor h_n;     // [num_layers*D, B, H] ([num_layers*D, H] unbatched)
    Tensor c_n;     // LSTM only, as h_n
};

// Insight into an LSTM's gates, as Karpathy, Johnson and Fei-Fei, "Visualizing and Understanding Recurrent
// Networks" (2015) draw them: for one layer and direction, per gate (input, forget, output) and per unit,
// the fraction of the (sample, step) sigmoid values that are left-saturated (< 0.1: the gate almost always
// closed) and right-saturated (> 0.9: almost always open). A unit with both near 0 acts as a soft gate.
struct GateSaturation {
    static constexpr double kClosed = 0.1, kOpen = 0.9;
    std::int64_t layer = 0, direction = 0;  // direction 1: the reverse direction of a bidirectional layer
    std::int64_t values = 0;  // (sample, step) values per unit: batch × steps (the valid steps, for padded rows)
    std::array<std::vector<double>, 3> left, right;  // [gate i, f, o][unit]: hidden_size fractions each
};

// The layer loop shared by RNN, LSTM and GRU; the subclasses name the cell.
class RecurrentBase : public Module {
public:
    enum class Cell { RNNTanh, RNNReLU, LSTM, GRU };

    Tensor forward(const Tensor& x) override;  // the output sequence only
    // x: [T, B, F] ([B, T, F] with batch_first) or unbatched [T, F]; h0 (and c0, LSTM only):
    // [num_layers*D, B, H] ([num_layers*D, H] unbatched), or undefined for zeros.
    RecurrentOutput forward_with_state(const Tensor& x, const Tensor& h0 = {}, const Tensor& c0 = {});

    RecurrentOptions options;

    // One layer and direction's parameters (bias_ih / bias_hh undefined without bias).
    struct Weights {
        Tensor weight_ih, weight_hh, bias_ih, bias_hh;
    };
    const std::vector<Weights>& weights() const { return weights_; }  // index: layer * D + direction

    // Insight, LSTM only: while keep_gates is set, every forward replaces kept_gates with its gates'
    // saturation, one entry per layer and direction (index layer * D + direction). Detached values read
    // after the fact: outputs and gradients are the same either way, and unset it costs one test per step.
    bool keep_gates = false;
    std::vector<GateSaturation> kept_gates;

protected:
    RecurrentBase(const char* type, Cell cell, const RecurrentOptions& o, Generator* gen);
    // The parameters for `gates` gates per step (RNN 1, LSTM 4, GRU 3), in PyTorch's order.
    static ParameterSpecs specs_for(const char* type, std::int64_t gates, const RecurrentOptions& o);

private:
    // `gates`, when given (LSTM): receives this step's i, f and o gate activations [B, H], detached.
    Tensor step(const Tensor& x_proj, const Tensor& h, Tensor& c, const Weights& w,
                std::array<Tensor, 3>* gates = nullptr) const;
    const char* type_;
    Cell cell_;
    std::vector<Weights> weights_;
    Generator* gen_;
};

class RNN : public RecurrentBase {
public:
    explicit RNN(const RecurrentOptions& o, Generator* gen = nullptr);
    static ParameterSpecs parameter_specs(const RecurrentOptions& o);
    std::string type_name() const override { return "RNN"; }
};

class LSTM : public RecurrentBase {
public:
    explicit LSTM(const RecurrentOptions& o, Generator* gen = nullptr);
    static ParameterSpecs parameter_specs(const RecurrentOptions& o);
    std::string type_name() const override { return "LSTM"; }
};

class GRU : public RecurrentBase {
public:
    explicit GRU(const RecurrentOptions& o, Generator* gen = nullptr);
    static ParameterSpecs parameter_specs(const RecurrentOptions& o);
    std::string type_name() const override { return "GRU"; }
};

}  // namespace neura::nn
