// oneDNN's LSTM primitive for one layer and direction (backend/cpu/Rnn.h).
#include "backend/cpu/Rnn.h"

#include <cstring>

#include "backend/cpu/Dnnl.h"

namespace neura::cpu {

using dnnl::memory;
using tag = memory::format_tag;

struct LstmState {
    dnnl::lstm_forward::primitive_desc forward;
    Tensor workspace_block;  // holds `workspace`
    memory workspace;
    bool reverse = false;
};

namespace {

struct Descs {
    memory::desc src_layer, iter, w_layer, w_iter, bias, dst_layer;  // as the tensors hold them
    memory::desc w_layer_any, w_iter_any;                            // for the primitive to choose
};

Descs descs_of(std::int64_t steps, std::int64_t batch, std::int64_t input, std::int64_t hidden) {
    const auto f32 = memory::data_type::f32;
    Descs d;
    d.src_layer = memory::desc({steps, batch, input}, f32, tag::tnc);
    d.iter = memory::desc({1, 1, batch, hidden}, f32, tag::ldnc);
    d.w_layer = memory::desc({1, 1, input, 4, hidden}, f32, tag::ldgoi);  // PyTorch's [4H, I]
    d.w_iter = memory::desc({1, 1, hidden, 4, hidden}, f32, tag::ldgoi);  // PyTorch's [4H, H]
    d.bias = memory::desc({1, 1, 4, hidden}, f32, tag::ldgo);
    d.dst_layer = memory::desc({steps, batch, hidden}, f32, tag::tnc);
    d.w_layer_any = memory::desc({1, 1, input, 4, hidden}, f32, tag::any);
    d.w_iter_any = memory::desc({1, 1, hidden, 4, hidden}, f32, tag::any);
    return d;
}

dnnl::rnn_direction direction(bool reverse) {
    return reverse ? dnnl::rnn_direction::unidirectional_right2left : dnnl::rnn_direction::unidirectional_left2right;
}

Descs descs_of(const Tensor& x, const Tensor& w_hh) { return descs_of(x.size(0), x.size(1), x.size(2), w_hh.size(1)); }

// Memory of the primitive's choosing, zero-filled (oneDNN adds the weights' gradients into it).
memory zeroed(const memory::desc& md, Tensor& owner) {
    memory m = cached_memory(md, owner);
    std::memset(m.get_data_handle(), 0, md.get_size());
    return m;
}

}  // namespace

LstmForward lstm_forward(const Tensor& x, const Tensor& h0, const Tensor& c0, const Tensor& w_ih, const Tensor& w_hh,
                         const Tensor& bias, bool reverse) {
    return dnnl_call("LSTM", [&] {
        const Descs d = descs_of(x, w_hh);
        const std::int64_t steps = x.size(0), batch = x.size(1), hidden = w_hh.size(1);
        const dnnl::lstm_forward::desc fd(dnnl::prop_kind::forward_training, direction(reverse), d.src_layer, d.iter,
                                          d.iter, d.w_layer_any, d.w_iter_any, d.bias, d.dst_layer, d.iter, d.iter);
        auto state = std::make_shared<LstmState>();
        state->reverse = reverse;
        state->forward = dnnl::lstm_forward::primitive_desc(fd, dnnl_engine());
        state->workspace = cached_memory(state->forward.workspace_desc(), state->workspace_block);
        LstmForward r{Tensor::empty({steps, batch, hidden}), Tensor::empty({batch, hidden}),
                      Tensor::empty({batch, hidden}), state};
        Tensor blocks[2];
        const memory w_layer = to_layout(as_memory(w_ih, d.w_layer), state->forward.weights_layer_desc(), blocks[0]);
        const memory w_iter = to_layout(as_memory(w_hh, d.w_iter), state->forward.weights_iter_desc(), blocks[1]);
        execute(dnnl::lstm_forward(state->forward), {{DNNL_ARG_SRC_LAYER, as_memory(x, d.src_layer)},
                                                     {DNNL_ARG_SRC_ITER, as_memory(h0, d.iter)},
                                                     {DNNL_ARG_SRC_ITER_C, as_memory(c0, d.iter)},
                                                     {DNNL_ARG_WEIGHTS_LAYER, w_layer},
                                                     {DNNL_ARG_WEIGHTS_ITER, w_iter},
                                                     {DNNL_ARG_BIAS, as_memory(bias, d.bias)},
                                                     {DNNL_ARG_DST_LAYER, as_memory(r.y, d.dst_layer)},
                                                     {DNNL_ARG_DST_ITER, as_memory(r.h_n, d.iter)},
                                                     {DNNL_ARG_DST_ITER_C, as_memory(r.c_n, d.iter)},
                                                     {DNNL_ARG_WORKSPACE, state->workspace}});
        return r;
    });
}

LstmGrads lstm_backward(const LstmState& state, const Tensor& x, const Tensor& h0, const Tensor& c0,
                        const Tensor& w_ih, const Tensor& w_hh, const Tensor& bias, const Tensor& y,
                        const Tensor& h_n, const Tensor& c_n, const Tensor& gy, const Tensor& gh, const Tensor& gc) {
    return dnnl_call("LSTM backward", [&] {
        const Descs d = descs_of(x, w_hh);
        const dnnl::lstm_backward::desc bd(dnnl::prop_kind::backward, direction(state.reverse),
                                           d.src_layer, d.iter, d.iter, d.w_layer_any, d.w_iter_any, d.bias,
                                           d.dst_layer, d.iter, d.iter, d.src_layer, d.iter, d.iter, d.w_layer_any,
                                           d.w_iter_any, d.bias, d.dst_layer, d.iter, d.iter);
        const dnnl::lstm_backward::primitive_desc pd(bd, dnnl_engine(), state.forward);
        LstmGrads g{Tensor::empty(x.shape()),    Tensor::empty(h0.shape()),   Tensor::empty(c0.shape()),
                    Tensor::empty(w_ih.shape()), Tensor::empty(w_hh.shape()), Tensor::zeros(bias.shape())};
        Tensor blocks[4];
        const memory w_layer = to_layout(as_memory(w_ih, d.w_layer), pd.weights_layer_desc(), blocks[0]);
        const memory w_iter = to_layout(as_memory(w_hh, d.w_iter), pd.weights_iter_desc(), blocks[1]);
        const memory gw_layer = zeroed(pd.diff_weights_layer_desc(), blocks[2]);
        const memory gw_iter = zeroed(pd.diff_weights_iter_desc(), blocks[3]);
        execute(dnnl::lstm_backward(pd), {{DNNL_ARG_SRC_LAYER, as_memory(x, d.src_layer)},
                                          {DNNL_ARG_SRC_ITER, as_memory(h0, d.iter)},
                                          {DNNL_ARG_SRC_ITER_C, as_memory(c0, d.iter)},
                                          {DNNL_ARG_WEIGHTS_LAYER, w_layer},
                                          {DNNL_ARG_WEIGHTS_ITER, w_iter},
                                          {DNNL_ARG_BIAS, as_memory(bias, d.bias)},
                                          {DNNL_ARG_DST_LAYER, as_memory(y, d.dst_layer)},
                                          {DNNL_ARG_DST_ITER, as_memory(h_n, d.iter)},
                                          {DNNL_ARG_DST_ITER_C, as_memory(c_n, d.iter)},
                                          {DNNL_ARG_DIFF_DST_LAYER, as_memory(gy, d.dst_layer)},
                                          {DNNL_ARG_DIFF_DST_ITER, as_memory(gh, d.iter)},
                                          {DNNL_ARG_DIFF_DST_ITER_C, as_memory(gc, d.iter)},
                                          {DNNL_ARG_WORKSPACE, state.workspace},
                                          {DNNL_ARG_DIFF_SRC_LAYER, as_memory(g.x, d.src_layer)},
                                          {DNNL_ARG_DIFF_SRC_ITER, as_memory(g.h0, d.iter)},
                                          {DNNL_ARG_DIFF_SRC_ITER_C, as_memory(g.c0, d.iter)},
                                          {DNNL_ARG_DIFF_WEIGHTS_LAYER, gw_layer},
                                          {DNNL_ARG_DIFF_WEIGHTS_ITER, gw_iter},
                                          {DNNL_ARG_DIFF_BIAS, as_memory(g.bias, d.bias)}});
        from_layout(gw_layer, as_memory(g.w_ih, d.w_layer));
        from_layout(gw_iter, as_memory(g.w_hh, d.w_iter));
        return g;
    });
}

}  // namespace neura::cpu
