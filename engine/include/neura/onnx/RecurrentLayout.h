#pragma once
// ONNX's RNN, LSTM and GRU ops against torch.nn's recurrent layers (nn::RNN, nn::LSTM, nn::GRU): the gate
// order and the weight packing, written once for the exporter (BuiltinLayers.cpp) and the importer
// (Import.cpp), so the two cannot drift apart.
//   PyTorch, per layer and direction: weight_ih [G*H, F], weight_hh [G*H, H], bias_ih, bias_hh [G*H];
//     gates LSTM i, f, g, o; GRU r, z, n; RNN one.
//   ONNX, per layer (one op), directions stacked: W [D, G*H, F], R [D, G*H, H], B [D, 2*G*H] = [Wb, Rb];
//     gates LSTM i, o, f, c; GRU z, r, h (with linear_before_reset=1, PyTorch's formula); RNN one.
#include <cstdint>
#include <string>
#include <vector>

#include "neura/core/Tensor.h"
#include "neura/nn/Recurrent.h"

namespace neura::onnx {

// Gates per step of the ONNX op / layer type "RNN" (1), "LSTM" (4), "GRU" (3); 0 for any other.
std::int64_t recurrent_gates(const std::string& type);

struct OnnxRecurrentWeights {
    Tensor W, R, B;  // B undefined when the layer has no bias
};

// One layer's directions (forward, then backward) as the ONNX op's W, R and B inputs.
OnnxRecurrentWeights to_onnx_recurrent(const std::string& type, const std::vector<nn::RecurrentBase::Weights>& directions);

// The inverse: W [D, G*H, F], R [D, G*H, H], B [D, 2*G*H] or undefined (the biases stay undefined) to
// PyTorch's per-direction tensors. The caller checks the shapes first (the importer names the node).
std::vector<nn::RecurrentBase::Weights> from_onnx_recurrent(const std::string& type, const Tensor& W, const Tensor& R,
                                                            const Tensor& B);

}  // namespace neura::onnx
