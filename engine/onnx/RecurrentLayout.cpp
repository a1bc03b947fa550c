// The one gate-order table between torch.nn's recurrent layers and ONNX's RNN/LSTM/GRU ops; see the header.
#include "neura/onnx/RecurrentLayout.h"

#include "neura/core/Error.h"
#include "neura/ops/Ops.h"

namespace neura::onnx {

namespace {

// ONNX gate k is PyTorch gate order[k]: LSTM (i, o, f, c) = PyTorch (i, f, g, o)[0, 3, 1, 2];
// GRU (z, r, h) = PyTorch (r, z, n)[1, 0, 2].
std::vector<std::int64_t> onnx_from_torch(const std::string& type) {
    if (type == "LSTM") return {0, 3, 1, 2};
    if (type == "GRU") return {1, 0, 2};
    if (type == "RNN") return {0};
    throw Error(neura::detail::concat("'", type, "' is not a recurrent layer type (RNN, LSTM, GRU)"));
}

// Gate blocks of t (dim 0 holds gates * H rows) taken in `order`.
Tensor take_gates(const Tensor& t, const std::vector<std::int64_t>& order) {
    const auto gates = static_cast<std::int64_t>(order.size());
    NEURA_CHECK(t.size(0) % gates == 0, "a recurrent weight of ", t.size(0), " rows does not split into ", gates, " gates");
    const std::int64_t h = t.size(0) / gates;
    std::vector<Tensor> blocks;
    for (std::int64_t k : order) blocks.push_back(t.narrow(0, k * h, h));
    return cat(blocks, 0).contiguous();
}

std::vector<std::int64_t> inverse(const std::vector<std::int64_t>& order) {
    std::vector<std::int64_t> inv(order.size());
    for (std::size_t k = 0; k < order.size(); ++k) inv[static_cast<std::size_t>(order[k])] = static_cast<std::int64_t>(k);
    return inv;
}

}  // namespace

std::int64_t recurrent_gates(const std::string& type) {
    return type == "LSTM" ? 4 : type == "GRU" ? 3 : type == "RNN" ? 1 : 0;
}

OnnxRecurrentWeights to_onnx_recurrent(const std::string& type, const std::vector<nn::RecurrentBase::Weights>& directions) {
    const std::vector<std::int64_t> order = onnx_from_torch(type);
    std::vector<Tensor> w, r, b;
    for (const auto& d : directions) {
        w.push_back(take_gates(d.weight_ih, order));
        r.push_back(take_gates(d.weight_hh, order));
        if (d.bias_ih.defined()) b.push_back(cat({take_gates(d.bias_ih, order), take_gates(d.bias_hh, order)}, 0));
    }
    OnnxRecurrentWeights out{stack(w, 0).contiguous(), stack(r, 0).contiguous(), {}};
    if (!b.empty()) out.B = stack(b, 0).contiguous();
    return out;
}

std::vector<nn::RecurrentBase::Weights> from_onnx_recurrent(const std::string& type, const Tensor& W, const Tensor& R,
                                                            const Tensor& B) {
    const std::vector<std::int64_t> order = inverse(onnx_from_torch(type));
    std::vector<nn::RecurrentBase::Weights> out;
    for (std::int64_t d = 0; d < W.size(0); ++d) {
        nn::RecurrentBase::Weights w;
        w.weight_ih = take_gates(W.select(0, d), order);
        w.weight_hh = take_gates(R.select(0, d), order);
        if (B.defined()) {
            const Tensor bd = B.select(0, d);
            const std::int64_t half = bd.size(0) / 2;
            w.bias_ih = take_gates(bd.narrow(0, 0, half), order);
            w.bias_hh = take_gates(bd.narrow(0, half, half), order);
        }
        out.push_back(std::move(w));
    }
    return out;
}

}  // namespace neura::onnx
