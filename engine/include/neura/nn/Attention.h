#pragma once
// Attention layers with PyTorch's names, options, parameters and initialization: MultiheadAttention,
// TransformerEncoderLayer (torch.nn, 1.13), and the sinusoidal PositionalEncoding of "Attention Is All
// You Need" (PyTorch's tutorial module). Masks are int64 (PyTorch's bool: nonzero = masked out) or
// floating (added to the attention scores).
#include <memory>
#include <string>

#include "neura/core/Generator.h"
#include "neura/nn/Layers.h"

namespace neura::nn {

struct MultiheadAttentionOptions {
    std::int64_t embed_dim = 8, num_heads = 1;
    double dropout = 0.0;  // on the attention weights, while training
    bool bias = true;
    bool batch_first = false;  // [N, L, E] instead of [L, N, E]
};

struct AttentionResult {
    Tensor output;   // [L, N, E] ([N, L, E] with batch_first; [L, E] unbatched)
    Tensor weights;  // [N, L, S] averaged over the heads, or [N, heads, L, S]; undefined without need_weights
};

class MultiheadAttention : public Module {
public:
    explicit MultiheadAttention(const MultiheadAttentionOptions& o, Generator* gen = nullptr);
    // in_proj_weight [3E, E], in_proj_bias [3E], out_proj.weight [E, E], out_proj.bias [E].
    static ParameterSpecs parameter_specs(const MultiheadAttentionOptions& o);
    std::string type_name() const override { return "MultiheadAttention"; }
    using Module::forward;
    Tensor forward(const Tensor& x) override;  // self-attention: forward(x, x, x).output
    // key_padding_mask [N, S]: keys to ignore; attn_mask [L, S] or [N * heads, L, S].
    AttentionResult forward(const Tensor& query, const Tensor& key, const Tensor& value,
                            const Tensor& key_padding_mask = {}, bool need_weights = true, const Tensor& attn_mask = {},
                            bool average_attn_weights = true);
    MultiheadAttentionOptions options;
    Tensor in_proj_weight, in_proj_bias;
    std::shared_ptr<Linear> out_proj;
    // Insight: while keep_weights is set, every forward keeps its attention weights per head, detached,
    // in kept_weights: [N, heads, L, S] ([heads, L, S] unbatched). What the studio draws as heatmaps.
    bool keep_weights = false;
    Tensor kept_weights;

private:
    Generator* gen_;
};

struct TransformerEncoderLayerOptions {
    std::int64_t d_model = 8, nhead = 1, dim_feedforward = 2048;
    double dropout = 0.1;
    std::string activation = "relu";  // relu or gelu
    double layer_norm_eps = 1e-5;
    bool batch_first = false;
    bool norm_first = false;
    bool causal = false;  // each position attends to itself and earlier ones only (GPT-style stacks)
};

class TransformerEncoderLayer : public Module {
public:
    explicit TransformerEncoderLayer(const TransformerEncoderLayerOptions& o, Generator* gen = nullptr);
    static ParameterSpecs parameter_specs(const TransformerEncoderLayerOptions& o);
    std::string type_name() const override { return "TransformerEncoderLayer"; }
    using Module::forward;
    Tensor forward(const Tensor& src) override;
    // src_mask [L, L] (or [N * nhead, L, L]); src_key_padding_mask [N, L]; both as MultiheadAttention's.
    Tensor forward(const Tensor& src, const Tensor& src_mask, const Tensor& src_key_padding_mask);
    TransformerEncoderLayerOptions options;
    std::shared_ptr<MultiheadAttention> self_attn;
    std::shared_ptr<Linear> linear1, linear2;
    std::shared_ptr<LayerNorm> norm1, norm2;
    std::shared_ptr<Dropout> dropout, dropout1, dropout2;
};

// x + PE[position], PE[p, 2i] = sin(p / 10000^(2i / d)), PE[p, 2i + 1] = cos(p / 10000^(2i / d)), then
// dropout. x: [N, T, d] (batch_first, the default) or [T, N, d]; T at most max_len.
class PositionalEncoding : public Module {
public:
    explicit PositionalEncoding(std::int64_t d_model, std::int64_t max_len = 5000, double dropout = 0.0,
                                bool batch_first = true, Generator* gen = nullptr);
    std::string type_name() const override { return "PositionalEncoding"; }
    Tensor forward(const Tensor& x) override;
    std::int64_t d_model, max_len;
    double p;
    bool batch_first;

private:
    Generator* gen_;
};

}  // namespace neura::nn
