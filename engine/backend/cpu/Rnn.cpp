// oneDNN's RNN primitives for one layer and direction (backend/cpu/Rnn.h).
#include "backend/cpu/Rnn.h"

#include <cstring>
#include <type_traits>
#include <variant>

#include "backend/cpu/Dnnl.h"

namespace neura::cpu {

using dnnl::memory;
using tag = memory::format_tag;

struct RnnState {
    RnnCell cell = RnnCell::LSTM;
    bool reverse = false;
    std::variant<dnnl::vanilla_rnn_forward::primitive_desc, dnnl::lstm_forward::primitive_desc,
                 dnnl::lbr_gru_forward::primitive_desc>
        forward;
    LayoutBlocks workspace_block;  // holds `workspace`
    memory workspace;
};

namespace {

struct Descs {
    memory::desc src_layer, iter, w_layer, w_iter, bias, dst_layer;  // as the tensors hold them
    memory::desc w_layer_any, w_iter_any;                            // for the primitive to choose
};

std::int64_t gates_of(RnnCell cell) { return cell == RnnCell::LSTM ? 4 : cell == RnnCell::GRU ? 3 : 1; }

Descs descs_of(RnnCell cell, const Tensor& x, const Tensor& w_hh) {
    const std::int64_t steps = x.size(0), batch = x.size(1), input = x.size(2), hidden = w_hh.size(1);
    const std::int64_t gates = gates_of(cell), biases = cell == RnnCell::GRU ? gates + 1 : gates;
    const auto f32 = memory::data_type::f32;
    Descs d;
    d.src_layer = memory::desc({steps, batch, input}, f32, tag::tnc);
    d.iter = memory::desc({1, 1, batch, hidden}, f32, tag::ldnc);
    d.w_layer = memory::desc({1, 1, input, gates, hidden}, f32, tag::ldgoi);  // [G*H, I]
    d.w_iter = memory::desc({1, 1, hidden, gates, hidden}, f32, tag::ldgoi);  // [G*H, H]
    d.bias = memory::desc({1, 1, biases, hidden}, f32, tag::ldgo);
    d.dst_layer = memory::desc({steps, batch, hidden}, f32, tag::tnc);
    d.w_layer_any = memory::desc({1, 1, input, gates, hidden}, f32, tag::any);
    d.w_iter_any = memory::desc({1, 1, hidden, gates, hidden}, f32, tag::any);
    return d;
}

dnnl::rnn_direction direction(bool reverse) {
    return reverse ? dnnl::rnn_direction::unidirectional_right2left : dnnl::rnn_direction::unidirectional_left2right;
}

dnnl::algorithm activation(RnnCell cell) {
    return cell == RnnCell::Relu ? dnnl::algorithm::eltwise_relu : dnnl::algorithm::eltwise_tanh;
}

// Memory of the primitive's choosing, zero-filled (oneDNN adds the weights' gradients into it).
memory zeroed(const memory::desc& md, LayoutBlocks& blocks) {
    memory m = blocks.memory(md);
    std::memset(m.get_data_handle(), 0, md.get_size());
    return m;
}

// The primitive of a primitive descriptor.
template <class Pd>
dnnl::primitive primitive_of(const Pd& pd) {
    using namespace dnnl;
    if constexpr (std::is_same_v<Pd, lstm_forward::primitive_desc>) return lstm_forward(pd);
    else if constexpr (std::is_same_v<Pd, lbr_gru_forward::primitive_desc>) return lbr_gru_forward(pd);
    else if constexpr (std::is_same_v<Pd, vanilla_rnn_forward::primitive_desc>) return vanilla_rnn_forward(pd);
    else if constexpr (std::is_same_v<Pd, lstm_backward::primitive_desc>) return lstm_backward(pd);
    else if constexpr (std::is_same_v<Pd, lbr_gru_backward::primitive_desc>) return lbr_gru_backward(pd);
    else return vanilla_rnn_backward(pd);
}

// The arguments forward and backward share: the inputs, the weights in the primitive's layouts (copies held
// by `blocks`), the outputs (the backward reads them) and the workspace.
template <class Pd>
std::unordered_map<int, memory> shared_args(const Pd& pd, const Descs& d, bool lstm, const Tensor& x, const Tensor& h0,
                                            const Tensor& c0, const Tensor& w_ih, const Tensor& w_hh,
                                            const Tensor& bias, const Tensor& y, const Tensor& h_n, const Tensor& c_n,
                                            const memory& workspace, LayoutBlocks& blocks) {
    std::unordered_map<int, memory> args{
        {DNNL_ARG_SRC_LAYER, as_memory(x, d.src_layer)},
        {DNNL_ARG_SRC_ITER, as_memory(h0, d.iter)},
        {DNNL_ARG_WEIGHTS_LAYER, blocks.to_layout(as_memory(w_ih, d.w_layer), pd.weights_layer_desc())},
        {DNNL_ARG_WEIGHTS_ITER, blocks.to_layout(as_memory(w_hh, d.w_iter), pd.weights_iter_desc())},
        {DNNL_ARG_BIAS, as_memory(bias, d.bias)},
        {DNNL_ARG_DST_LAYER, as_memory(y, d.dst_layer)},
        {DNNL_ARG_DST_ITER, as_memory(h_n, d.iter)},
        {DNNL_ARG_WORKSPACE, workspace}};
    if (lstm) {
        args.emplace(DNNL_ARG_SRC_ITER_C, as_memory(c0, d.iter));
        args.emplace(DNNL_ARG_DST_ITER_C, as_memory(c_n, d.iter));
    }
    return args;
}

// oneDNN's backward primitive descriptor matching the forward one `fwd` (its hint).
template <class ForwardPd>
auto backward_pd(const ForwardPd& fwd, RnnCell cell, bool reverse, const Descs& d) {
    const auto bwd = dnnl::prop_kind::backward;
    const auto dir = direction(reverse);
    if constexpr (std::is_same_v<ForwardPd, dnnl::lstm_forward::primitive_desc>) {
        const dnnl::lstm_backward::desc bd(bwd, dir, d.src_layer, d.iter, d.iter, d.w_layer_any, d.w_iter_any, d.bias,
                                           d.dst_layer, d.iter, d.iter, d.src_layer, d.iter, d.iter, d.w_layer_any,
                                           d.w_iter_any, d.bias, d.dst_layer, d.iter, d.iter);
        return dnnl::lstm_backward::primitive_desc(bd, dnnl_engine(), fwd);
    } else if constexpr (std::is_same_v<ForwardPd, dnnl::lbr_gru_forward::primitive_desc>) {
        const dnnl::lbr_gru_backward::desc bd(bwd, dir, d.src_layer, d.iter, d.w_layer_any, d.w_iter_any, d.bias,
                                              d.dst_layer, d.iter, d.src_layer, d.iter, d.w_layer_any, d.w_iter_any,
                                              d.bias, d.dst_layer, d.iter);
        return dnnl::lbr_gru_backward::primitive_desc(bd, dnnl_engine(), fwd);
    } else {
        const dnnl::vanilla_rnn_backward::desc bd(bwd, activation(cell), dir, d.src_layer, d.iter, d.w_layer_any,
                                                  d.w_iter_any, d.bias, d.dst_layer, d.iter, d.src_layer, d.iter,
                                                  d.w_layer_any, d.w_iter_any, d.bias, d.dst_layer, d.iter);
        return dnnl::vanilla_rnn_backward::primitive_desc(bd, dnnl_engine(), fwd);
    }
}

}  // namespace

RnnForward rnn_forward(RnnCell cell, const Tensor& x, const Tensor& h0, const Tensor& c0, const Tensor& w_ih,
                       const Tensor& w_hh, const Tensor& bias, bool reverse) {
    const bool lstm = cell == RnnCell::LSTM;
    return dnnl_call(lstm ? "LSTM" : cell == RnnCell::GRU ? "GRU" : "RNN", [&] {
        const Descs d = descs_of(cell, x, w_hh);
        const std::int64_t steps = x.size(0), batch = x.size(1), hidden = w_hh.size(1);
        const auto train = dnnl::prop_kind::forward_training;
        const auto dir = direction(reverse);
        auto state = std::make_shared<RnnState>();
        state->cell = cell;
        state->reverse = reverse;
        if (lstm)
            state->forward = dnnl::lstm_forward::primitive_desc(
                {train, dir, d.src_layer, d.iter, d.iter, d.w_layer_any, d.w_iter_any, d.bias, d.dst_layer, d.iter,
                 d.iter},
                dnnl_engine());
        else if (cell == RnnCell::GRU)
            state->forward = dnnl::lbr_gru_forward::primitive_desc(
                {train, dir, d.src_layer, d.iter, d.w_layer_any, d.w_iter_any, d.bias, d.dst_layer, d.iter},
                dnnl_engine());
        else
            state->forward = dnnl::vanilla_rnn_forward::primitive_desc(
                {train, activation(cell), dir, d.src_layer, d.iter, d.w_layer_any, d.w_iter_any, d.bias, d.dst_layer,
                 d.iter},
                dnnl_engine());
        RnnForward r{Tensor::empty({steps, batch, hidden}), Tensor::empty({batch, hidden}),
                     lstm ? Tensor::empty({batch, hidden}) : Tensor(), state};
        LayoutBlocks blocks;
        std::visit(
            [&](const auto& pd) {
                state->workspace = state->workspace_block.memory(pd.workspace_desc());
                execute(primitive_of(pd), shared_args(pd, d, lstm, x, h0, c0, w_ih, w_hh, bias, r.y, r.h_n, r.c_n,
                                                      state->workspace, blocks));
            },
            state->forward);
        return r;
    });
}

RnnGrads rnn_backward(const RnnState& state, const Tensor& x, const Tensor& h0, const Tensor& c0, const Tensor& w_ih,
                      const Tensor& w_hh, const Tensor& bias, const Tensor& y, const Tensor& h_n, const Tensor& c_n,
                      const Tensor& gy, const Tensor& gh, const Tensor& gc) {
    const bool lstm = state.cell == RnnCell::LSTM;
    return dnnl_call(lstm ? "LSTM backward" : state.cell == RnnCell::GRU ? "GRU backward" : "RNN backward", [&] {
        const Descs d = descs_of(state.cell, x, w_hh);
        RnnGrads g{Tensor::empty(x.shape()),    Tensor::empty(h0.shape()),   lstm ? Tensor::empty(c0.shape()) : Tensor(),
                   Tensor::empty(w_ih.shape()), Tensor::empty(w_hh.shape()), Tensor::zeros(bias.shape())};
        std::visit(
            [&](const auto& fwd) {
                const auto pd = backward_pd(fwd, state.cell, state.reverse, d);
                LayoutBlocks blocks;
                const memory gw_layer = zeroed(pd.diff_weights_layer_desc(), blocks);
                const memory gw_iter = zeroed(pd.diff_weights_iter_desc(), blocks);
                auto args = shared_args(pd, d, lstm, x, h0, c0, w_ih, w_hh, bias, y, h_n, c_n, state.workspace, blocks);
                args.insert({{DNNL_ARG_DIFF_DST_LAYER, as_memory(gy, d.dst_layer)},
                             {DNNL_ARG_DIFF_DST_ITER, as_memory(gh, d.iter)},
                             {DNNL_ARG_DIFF_SRC_LAYER, as_memory(g.x, d.src_layer)},
                             {DNNL_ARG_DIFF_SRC_ITER, as_memory(g.h0, d.iter)},
                             {DNNL_ARG_DIFF_WEIGHTS_LAYER, gw_layer},
                             {DNNL_ARG_DIFF_WEIGHTS_ITER, gw_iter},
                             {DNNL_ARG_DIFF_BIAS, as_memory(g.bias, d.bias)}});
                if (lstm) {
                    args.emplace(DNNL_ARG_DIFF_DST_ITER_C, as_memory(gc, d.iter));
                    args.emplace(DNNL_ARG_DIFF_SRC_ITER_C, as_memory(g.c0, d.iter));
                }
                execute(primitive_of(pd), args);
                from_layout(gw_layer, as_memory(g.w_ih, d.w_layer));
                from_layout(gw_iter, as_memory(g.w_hh, d.w_iter));
            },
            state.forward);
        return g;
    });
}

}  // namespace neura::cpu
