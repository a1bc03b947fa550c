#pragma once
// Small networks covering every built-in layer type and its main options (tests/export checks that the
// registry has no type without a case): the PyTorch exporter's cases, and the training plan's
// (tests/plan), which compares each network's plan with autograd.
#include <initializer_list>
#include <string>
#include <vector>

#include "common/LayerGraphs.h"

namespace neura::test {

inline std::vector<LayerCase> layer_cases() {
    using graph::AttributeMap;
    using graph::ModelGraph;
    using graph::NodeId;
    std::vector<LayerCase> c;
    auto add = [&](std::string name, std::function<ModelGraph()> g, std::int64_t high = 0) {
        c.push_back({std::move(name), std::move(g), high});
    };
    add("Linear", [] { GraphBuilder g({5}); g.add("Linear", "fc", {{"out_features", i(3)}}); return g.done(); });
    add("Linear_3d_no_bias", [] {
        GraphBuilder g({4, 6});
        g.add("Linear", "fc", {{"out_features", i(3)}, {"bias", b(false)}});
        return g.done();
    });
    add("Conv2d", [] {
        GraphBuilder g({3, 9, 9});
        g.add("Conv2d", "conv", {{"out_channels", i(4)}, {"kernel_size", l({3, 3})}, {"stride", l({2, 2})}, {"padding", l({1, 1})}});
        return g.done();
    });
    add("Conv2d_groups_dilation_no_bias", [] {
        GraphBuilder g({4, 9, 8});
        g.add("Conv2d", "conv", {{"out_channels", i(6)}, {"kernel_size", l({3, 2})}, {"dilation", l({2, 1})},
                                 {"padding", l({2, 0})}, {"stride", l({1, 2})}, {"groups", i(2)}, {"bias", b(false)}});
        return g.done();
    });
    add("MaxPool2d", [] {
        GraphBuilder g({2, 7, 7});
        g.add("MaxPool2d", "pool", {{"kernel_size", l({3, 3})}, {"stride", l({2, 2})}, {"padding", l({1, 1})}});
        return g.done();
    });
    add("AvgPool2d", [] {
        GraphBuilder g({2, 7, 7});
        g.add("AvgPool2d", "pool", {{"kernel_size", l({3, 3})}, {"stride", l({2, 2})}, {"padding", l({1, 1})}});
        return g.done();
    });
    add("AdaptiveAvgPool2d_uneven", [] {
        GraphBuilder g({3, 7, 5});
        g.add("AdaptiveAvgPool2d", "ap", {{"output_size", l({3, 2})}});
        return g.done();
    });
    add("BatchNorm1d", [] {
        GraphBuilder g({6});
        g.add("Linear", "fc", {{"out_features", i(4)}});
        g.add("BatchNorm1d", "bn", {{"momentum", f(0.3)}});
        return g.done();
    });
    add("BatchNorm1d_channels_length_no_affine", [] {
        GraphBuilder g({3, 5});
        g.add("BatchNorm1d", "bn", {{"affine", b(false)}});
        return g.done();
    });
    add("BatchNorm2d", [] {
        GraphBuilder g({2, 5, 5});
        g.add("Conv2d", "conv", {{"out_channels", i(3)}, {"kernel_size", l({3, 3})}});
        g.add("BatchNorm2d", "bn", {{"eps", f(1e-3)}});
        return g.done();
    });
    add("LayerNorm", [] {
        GraphBuilder g({4, 6});
        g.add("Linear", "fc", {{"out_features", i(6)}});
        g.add("LayerNorm", "ln");
        return g.done();
    });
    add("LayerNorm_2d_no_affine", [] {
        GraphBuilder g({4, 6});
        g.add("LayerNorm", "ln", {{"normalized_shape", l({4, 6})}, {"elementwise_affine", b(false)}});
        return g.done();
    });
    add("Dropout", [] {
        GraphBuilder g({5});
        g.add("Linear", "fc1", {{"out_features", i(8)}});
        g.add("Dropout", "drop", {{"p", f(0.5)}});
        g.add("Linear", "fc2", {{"out_features", i(2)}});
        return g.done();
    });
    add("Flatten_middle", [] {
        GraphBuilder g({2, 3, 4});
        g.add("Flatten", "flat", {{"start_dim", i(1)}, {"end_dim", i(2)}});
        return g.done();
    });
    add("Embedding", [] {
        GraphBuilder g({6});
        g.add("Embedding", "emb", {{"num_embeddings", i(10)}, {"embedding_dim", i(4)}});
        return g.done();
    }, 10);
    for (const char* act : {"ReLU", "Sigmoid", "Tanh", "GELU"})
        add(act, [act] {
            GraphBuilder g({7});
            g.add("Linear", "fc", {{"out_features", i(5)}});
            g.add(act, "act");
            return g.done();
        });
    add("LeakyReLU", [] { GraphBuilder g({7}); g.add("LeakyReLU", "act", {{"negative_slope", f(0.2)}}); return g.done(); });
    add("Softmax_dim1", [] { GraphBuilder g({3, 4}); g.add("Softmax", "sm", {{"dim", i(1)}}); return g.done(); });
    add("Add_three_and_odd_names", [] {  // names that are no Python identifiers, or taken ones
        GraphBuilder g({5});
        const NodeId a = g.add("Linear", "fc 1", {{"out_features", i(3)}}, {g.input()});
        const NodeId c2 = g.add("Linear", "class", {{"out_features", i(3)}}, {g.input()});
        const NodeId d = g.add("Linear", "2nd", {{"out_features", i(3)}}, {g.input()});
        g.add("Add", "sum", {}, {a, c2, d});
        return g.done();
    });
    add("Concat", [] {
        GraphBuilder g({2, 4, 4});
        const NodeId a = g.add("Conv2d", "a", {{"out_channels", i(3)}, {"kernel_size", l({1, 1})}}, {g.input()});
        const NodeId b2 = g.add("Conv2d", "b", {{"out_channels", i(2)}, {"kernel_size", l({3, 3})}, {"padding", l({1, 1})}},
                                {g.input()});
        g.add("Concat", "cat", {{"dim", i(1)}}, {a, b2});
        g.add("Flatten", "flat");
        return g.done();
    });
    struct Recurrent {
        const char* name;
        const char* type;
        std::int64_t layers;
        bool bidirectional, bias;
        const char* nonlinearity;
    };
    for (const Recurrent& r : std::initializer_list<Recurrent>{
             {"LSTM", "LSTM", 1, false, true, nullptr},
             {"LSTM_2_layers_bidirectional", "LSTM", 2, true, true, nullptr},
             {"GRU", "GRU", 1, false, true, nullptr},
             {"GRU_2_layers_bidirectional_no_bias", "GRU", 2, true, false, nullptr},
             {"RNN", "RNN", 1, false, true, "tanh"},
             {"RNN_relu_bidirectional_no_bias", "RNN", 1, true, false, "relu"}}) {
        add(r.name, [r] {
            GraphBuilder g({5, 3});
            AttributeMap a = {{"hidden_size", i(4)}, {"num_layers", i(r.layers)}, {"bidirectional", b(r.bidirectional)},
                              {"bias", b(r.bias)}};
            if (r.layers > 1) a["dropout"] = f(0.3);
            if (r.nonlinearity) a["nonlinearity"] = s(r.nonlinearity);
            g.add(r.type, "rec", a);
            return g.done();
        });
    }
    add("LSTM_LastStep_Linear", [] {
        GraphBuilder g({6, 3});
        g.add("LSTM", "lstm", {{"hidden_size", i(8)}});
        g.add("LastStep", "last");
        g.add("Linear", "head", {{"out_features", i(2)}});
        return g.done();
    });
    add("GRU_MeanOverTime", [] {
        GraphBuilder g({6, 3});
        g.add("GRU", "gru", {{"hidden_size", i(5)}});
        g.add("MeanOverTime", "mean");
        return g.done();
    });
    add("MultiheadAttention", [] { GraphBuilder g({5, 8}); g.add("MultiheadAttention", "attn", {{"num_heads", i(2)}}); return g.done(); });
    add("MultiheadAttention_4_heads_no_bias", [] {
        GraphBuilder g({5, 8});
        g.add("MultiheadAttention", "attn", {{"num_heads", i(4)}, {"bias", b(false)}});
        return g.done();
    });
    struct Encoder {
        const char* name;
        std::int64_t heads;
        const char* activation;
        bool norm_first, causal;
    };
    for (const Encoder& en : std::initializer_list<Encoder>{{"TransformerEncoderLayer", 2, "relu", false, false},
                                                            {"TransformerEncoderLayer_gelu_norm_first", 2, "gelu", true, false},
                                                            {"TransformerEncoderLayer_causal", 1, "relu", false, true},
                                                            {"TransformerEncoderLayer_causal_gelu_norm_first", 4, "gelu", true, true}}) {
        add(en.name, [en] {
            GraphBuilder g({5, 8});
            g.add("PositionalEncoding", "pe", {{"max_len", i(64)}});
            g.add("TransformerEncoderLayer", "enc",
                  {{"nhead", i(en.heads)}, {"dim_feedforward", i(16)}, {"activation", s(en.activation)},
                   {"norm_first", b(en.norm_first)}, {"causal", b(en.causal)}});
            return g.done();
        });
    }
    return c;
}

}  // namespace neura::test
