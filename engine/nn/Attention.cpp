// MultiheadAttention, TransformerEncoderLayer and PositionalEncoding, written as PyTorch 1.13's
// F.multi_head_attention_forward and nn.TransformerEncoderLayer compute them, on
// scaled_dot_product_attention (neura/ops/NnOps.h).
#include "neura/nn/Attention.h"

#include <cmath>
#include <limits>
#include <vector>

#include "neura/autograd/GradMode.h"
#include "neura/nn/Padding.h"
#include "neura/ops/NnOps.h"
#include "neura/ops/Ops.h"

namespace neura::nn {

namespace {

void check_positive(std::int64_t v, const char* layer, const char* what) {
    NEURA_CHECK(v > 0, layer, ": ", what, " must be positive, got ", v);
}

// A user's mask as scores to add: an int64 mask (nonzero = masked out) becomes -inf there and 0
// elsewhere; a floating one is added as it is.
Tensor additive_mask(const Tensor& mask, DType dtype) {
    if (mask.dtype() != DType::I64) return mask.to(dtype);
    const Tensor zeros = Tensor::zeros(mask.shape(), dtype, mask.device());
    return masked_fill(zeros, ne(mask, scalar_like(0, mask)), -std::numeric_limits<double>::infinity());
}

std::string shape_or_undefined(const Tensor& t) { return t.defined() ? shape_str(t.shape()) : "an undefined tensor"; }

}  // namespace

// ------------------------------------------------------------------------------ MultiheadAttention
ParameterSpecs MultiheadAttention::parameter_specs(const MultiheadAttentionOptions& o) {
    const std::int64_t e = o.embed_dim;
    ParameterSpecs specs = {{"in_proj_weight", {3 * e, e}}};
    if (o.bias) specs.push_back({"in_proj_bias", {3 * e}});
    specs.push_back({"out_proj.weight", {e, e}});
    if (o.bias) specs.push_back({"out_proj.bias", {e}});
    return specs;
}

MultiheadAttention::MultiheadAttention(const MultiheadAttentionOptions& o, Generator* gen) : options(o), gen_(gen) {
    check_positive(o.embed_dim, "MultiheadAttention", "embed_dim");
    check_positive(o.num_heads, "MultiheadAttention", "num_heads");
    NEURA_CHECK(o.embed_dim % o.num_heads == 0, "MultiheadAttention: embed_dim (", o.embed_dim,
                ") must be divisible by num_heads (", o.num_heads, ")");
    NEURA_CHECK(o.dropout >= 0.0 && o.dropout <= 1.0, "MultiheadAttention: dropout must be in [0, 1], got ", o.dropout);
    const std::int64_t e = o.embed_dim;
    // PyTorch's _reset_parameters: xavier_uniform_ for the input projection, zero biases, and the output
    // projection's weight as a Linear's.
    const double bound = std::sqrt(6.0 / static_cast<double>(e + 3 * e));
    in_proj_weight = register_parameter("in_proj_weight", Tensor::uniform({3 * e, e}, -bound, bound, DType::F32, gen));
    if (o.bias) in_proj_bias = register_parameter("in_proj_bias", Tensor::zeros({3 * e}));
    out_proj = register_module("out_proj", std::make_shared<Linear>(e, e, o.bias, gen));
    if (o.bias) {
        NoGradGuard no_grad;
        out_proj->bias.fill_(0.0);
    }
}

namespace {
// The padding of a batched sequence inside a SequenceLengthsScope (nn/Padding.h), as a key_padding_mask.
Tensor scope_padding(const Tensor& x, bool batch_first) {
    if (!x.defined() || x.dim() != 3) return {};
    return batch_first ? padding_mask(x.size(0), x.size(1), x.device()) : padding_mask(x.size(1), x.size(0), x.device());
}
}  // namespace

Tensor MultiheadAttention::forward(const Tensor& x) {
    return forward(x, x, x, scope_padding(x, options.batch_first), false).output;
}

AttentionResult MultiheadAttention::forward(const Tensor& query, const Tensor& key, const Tensor& value,
                                            const Tensor& key_padding_mask, bool need_weights,
                                            const Tensor& attn_mask, bool average_attn_weights) {
    const std::int64_t e = options.embed_dim, heads = options.num_heads, d = e / heads;
    const char* layout = options.batch_first ? "[N, L, E]" : "[L, N, E]";
    for (const Tensor* t : {&query, &key, &value})
        NEURA_CHECK_SHAPE(t->defined() && (t->dim() == 3 || t->dim() == 2) && t->size(-1) == e, "MultiheadAttention expects ",
                    layout, " (or unbatched [L, E]) with E = ", e, ", gets ", shape_or_undefined(*t));
    NEURA_CHECK_SHAPE(query.dim() == key.dim() && key.dim() == value.dim(),
                "MultiheadAttention: query, key and value must all be batched or all unbatched, gets ",
                shape_str(query.shape()), ", ", shape_str(key.shape()), " and ", shape_str(value.shape()));
    const bool unbatched = query.dim() == 2;
    // To [N, L, E] whatever the layout.
    auto batch_major = [&](const Tensor& t) {
        if (unbatched) return t.unsqueeze(0);
        return options.batch_first ? t : t.transpose(0, 1);
    };
    const Tensor q_in = batch_major(query), k_in = batch_major(key), v_in = batch_major(value);
    const std::int64_t n = q_in.size(0), l = q_in.size(1), s = k_in.size(1);
    NEURA_CHECK_SHAPE(k_in.size(0) == n && v_in.size(0) == n && v_in.size(1) == s,
                "MultiheadAttention: query, key and value disagree on batch or key length (", shape_str(query.shape()),
                ", ", shape_str(key.shape()), ", ", shape_str(value.shape()), ")");

    auto project = [&](const Tensor& x, std::int64_t part) {
        Tensor y = matmul(x, in_proj_weight.narrow(0, part * e, e).t());
        if (in_proj_bias.defined()) y = y + in_proj_bias.narrow(0, part * e, e);
        return y.reshape({n, -1, heads, d}).transpose(1, 2);  // [N, heads, len, d]
    };
    Tensor q, k, v;
    if (query.is_same(key) && key.is_same(value)) {
        // Self-attention: one product with the whole in_proj_weight ([N, L, 3E]) and one bias add, split
        // into q, k and v by one unbind (whose backward is one stack), as PyTorch's packed in-projection.
        Tensor y = matmul(q_in, in_proj_weight.t());
        if (in_proj_bias.defined()) y = y + in_proj_bias;
        const std::vector<Tensor> qkv = unbind(y.reshape({n, l, 3, heads, d}).permute({2, 0, 3, 1, 4}), 0);
        q = qkv[0];
        k = qkv[1];
        v = qkv[2];
    } else {
        q = project(q_in, 0);
        k = project(k_in, 1);
        v = project(v_in, 2);
    }

    Tensor mask;  // additive, broadcasting to [N, heads, L, S]
    if (attn_mask.defined()) {
        const bool per_head = attn_mask.dim() == 3;
        NEURA_CHECK_SHAPE((attn_mask.dim() == 2 && attn_mask.shape() == Shape{l, s}) ||
                        (per_head && attn_mask.shape() == Shape{n * heads, l, s}),
                    "MultiheadAttention: attn_mask must be [L, S] = [", l, ", ", s, "] or [N * heads, L, S] = [",
                    n * heads, ", ", l, ", ", s, "], gets ", shape_str(attn_mask.shape()));
        mask = additive_mask(per_head ? attn_mask.reshape({n, heads, l, s}) : attn_mask, q.dtype());
    }
    if (key_padding_mask.defined()) {
        const Shape want = unbatched ? Shape{s} : Shape{n, s};
        NEURA_CHECK_SHAPE(key_padding_mask.shape() == want, "MultiheadAttention: key_padding_mask must be ", shape_str(want),
                    " (batch, key length), gets ", shape_str(key_padding_mask.shape()));
        const Tensor padding = additive_mask(key_padding_mask.reshape({n, 1, 1, s}), q.dtype());
        mask = mask.defined() ? mask + padding : padding;
    }

    const double p = is_training() ? options.dropout : 0.0;
    Tensor weights;
    Tensor out = scaled_dot_product_attention(q, k, v, mask, p, false, std::nullopt, gen_,
                                              need_weights || keep_weights ? &weights : nullptr);  // [N, heads, L, d]
    if (keep_weights) kept_weights = unbatched ? weights.detach().squeeze(0) : weights.detach();
    out = out.transpose(1, 2).reshape({n, l, e});
    out = (*out_proj)(out);
    if (unbatched) out = out.squeeze(0);
    else if (!options.batch_first) out = out.transpose(0, 1);
    if (!need_weights) return {out, Tensor{}};
    if (average_attn_weights) weights = mean(weights, {1});
    if (unbatched) weights = weights.squeeze(0);
    return {out, weights};
}

// ------------------------------------------------------------------------- TransformerEncoderLayer
ParameterSpecs TransformerEncoderLayer::parameter_specs(const TransformerEncoderLayerOptions& o) {
    ParameterSpecs specs;
    auto add = [&](const std::string& child, const ParameterSpecs& sub) {
        for (const ParameterSpec& p : sub) specs.push_back({child + "." + p.name, p.shape});
    };
    add("self_attn", MultiheadAttention::parameter_specs({o.d_model, o.nhead, o.dropout, true, o.batch_first}));
    add("linear1", Linear::parameter_specs(o.d_model, o.dim_feedforward, true));
    add("linear2", Linear::parameter_specs(o.dim_feedforward, o.d_model, true));
    add("norm1", LayerNorm::parameter_specs({o.d_model}, o.layer_norm_eps, true));
    add("norm2", LayerNorm::parameter_specs({o.d_model}, o.layer_norm_eps, true));
    return specs;
}

TransformerEncoderLayer::TransformerEncoderLayer(const TransformerEncoderLayerOptions& o, Generator* gen) : options(o) {
    check_positive(o.d_model, "TransformerEncoderLayer", "d_model");
    check_positive(o.nhead, "TransformerEncoderLayer", "nhead");
    check_positive(o.dim_feedforward, "TransformerEncoderLayer", "dim_feedforward");
    NEURA_CHECK(o.activation == "relu" || o.activation == "gelu",
                "TransformerEncoderLayer: activation must be relu or gelu, got ", o.activation);
    NEURA_CHECK(o.dropout >= 0.0 && o.dropout <= 1.0, "TransformerEncoderLayer: dropout must be in [0, 1], got ",
                o.dropout);
    self_attn = register_module("self_attn", std::make_shared<MultiheadAttention>(
                                                 MultiheadAttentionOptions{o.d_model, o.nhead, o.dropout, true,
                                                                           o.batch_first},
                                                 gen));
    linear1 = register_module("linear1", std::make_shared<Linear>(o.d_model, o.dim_feedforward, true, gen));
    dropout = register_module("dropout", std::make_shared<Dropout>(o.dropout, gen));
    linear2 = register_module("linear2", std::make_shared<Linear>(o.dim_feedforward, o.d_model, true, gen));
    norm1 = register_module("norm1", std::make_shared<LayerNorm>(Shape{o.d_model}, o.layer_norm_eps));
    norm2 = register_module("norm2", std::make_shared<LayerNorm>(Shape{o.d_model}, o.layer_norm_eps));
    dropout1 = register_module("dropout1", std::make_shared<Dropout>(o.dropout, gen));
    dropout2 = register_module("dropout2", std::make_shared<Dropout>(o.dropout, gen));
}

Tensor TransformerEncoderLayer::forward(const Tensor& src) {
    return forward(src, {}, scope_padding(src, options.batch_first));
}

Tensor TransformerEncoderLayer::forward(const Tensor& src, const Tensor& src_mask, const Tensor& src_key_padding_mask) {
    NEURA_CHECK_SHAPE(src.defined() && (src.dim() == 3 || src.dim() == 2) && src.size(-1) == options.d_model,
                "TransformerEncoderLayer expects ", options.batch_first ? "[N, L, E]" : "[L, N, E]",
                " (or unbatched [L, E]) with E = d_model = ", options.d_model, ", gets ", shape_or_undefined(src));
    Tensor mask = src_mask;
    if (options.causal) {
        NEURA_CHECK(!src_mask.defined(), "TransformerEncoderLayer: causal builds its own mask; give no src_mask");
        const std::int64_t len = src.dim() == 2 || options.batch_first ? src.size(-2) : src.size(0);
        mask = triu(Tensor::ones({len, len}, DType::I64, src.device()), 1);  // nonzero = a later position
    }
    auto self_attention = [&](const Tensor& x) {
        return (*dropout1)(self_attn->forward(x, x, x, src_key_padding_mask, false, mask).output);
    };
    auto feed_forward = [&](const Tensor& x) {
        const Tensor h = (*linear1)(x);
        const Tensor a = options.activation == "gelu" ? gelu(h) : relu(h);
        return (*dropout2)((*linear2)((*dropout)(a)));
    };
    Tensor x = src;
    if (options.norm_first) {
        x = x + self_attention((*norm1)(x));
        x = x + feed_forward((*norm2)(x));
    } else {
        x = (*norm1)(x + self_attention(x));
        x = (*norm2)(x + feed_forward(x));
    }
    return x;
}

// ------------------------------------------------------------------------------ PositionalEncoding
PositionalEncoding::PositionalEncoding(std::int64_t d, std::int64_t max_len, double dropout, bool batch_first,
                                       Generator* gen)
    : d_model(d), max_len(max_len), p(dropout), batch_first(batch_first), gen_(gen) {
    check_positive(d, "PositionalEncoding", "d_model");
    check_positive(max_len, "PositionalEncoding", "max_len");
    NEURA_CHECK(dropout >= 0.0 && dropout <= 1.0, "PositionalEncoding: dropout must be in [0, 1], got ", dropout);
}

Tensor PositionalEncoding::forward(const Tensor& x) {
    NEURA_CHECK_SHAPE(x.defined() && x.dim() == 3 && x.size(-1) == d_model, "PositionalEncoding expects ",
                batch_first ? "[N, T, " : "[T, N, ", d_model, "], gets ", shape_or_undefined(x));
    const std::int64_t t = batch_first ? x.size(1) : x.size(0);
    NEURA_CHECK(t <= max_len, "PositionalEncoding: sequence of ", t, " steps is longer than max_len ", max_len);
    std::vector<double> pe(static_cast<std::size_t>(t * d_model));
    for (std::int64_t pos = 0; pos < t; ++pos)
        for (std::int64_t i = 0; i < d_model; ++i) {
            const double freq = std::exp(-std::log(10000.0) * static_cast<double>(i - i % 2) / static_cast<double>(d_model));
            const double angle = static_cast<double>(pos) * freq;
            pe[static_cast<std::size_t>(pos * d_model + i)] = i % 2 == 0 ? std::sin(angle) : std::cos(angle);
        }
    Tensor table = Tensor::from_vector(pe, {t, d_model}).to(x.dtype()).to(x.device());
    if (!batch_first) table = table.unsqueeze(1);  // [T, 1, d]
    return dropout(x + table, p, is_training(), gen_);
}

}  // namespace neura::nn
