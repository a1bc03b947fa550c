#!/usr/bin/python3
# PyTorch-exported ONNX models for the import test: for each model, DIR/<name>/model.onnx and the
# backend-test data (test_data_set_0/input_0.pb, output_0.pb: PyTorch's output in eval mode).
# Also layout-1 (batch-first) RNN/LSTM/GRU models, which torch.onnx does not write and ONNX Runtime does not
# run: packed here from torch.nn modules' weights (PyTorch's gate order to ONNX's, written anew in numpy),
# with PyTorch's output as the expected one.
# usage: /usr/bin/python3 torch_models.py DIR   (Debian's python3 with python3-torch and python3-onnx)
import os
import sys

try:
    import numpy as np
    import onnx
    import torch
    from onnx import helper, numpy_helper
except ImportError as e:
    sys.exit(f"torch_models: {e}; run tools/setup-debian.sh (python3-torch, python3-onnx)")

torch.manual_seed(0)
nn = torch.nn


class LastStepHead(nn.Module):
    """A batch-first recurrent layer, its last step, a Linear: the usual sequence classifier."""

    def __init__(self, rnn, out_features):
        super().__init__()
        self.rnn = rnn
        self.fc = nn.Linear(rnn.hidden_size * (2 if rnn.bidirectional else 1), out_features)

    def forward(self, x):
        y, _ = self.rnn(x)
        return self.fc(y[:, -1, :])


class Sequence(nn.Module):
    """The recurrent layer's whole output sequence."""

    def __init__(self, rnn):
        super().__init__()
        self.rnn = rnn

    def forward(self, x):
        return self.rnn(x)[0]


class SelfAttention(nn.Module):
    """A batch-first nn.MultiheadAttention on one sequence (query = key = value), its output only."""

    def __init__(self, embed_dim, num_heads, **kw):
        super().__init__()
        self.attn = nn.MultiheadAttention(embed_dim, num_heads, batch_first=True, **kw)

    def forward(self, x):
        return self.attn(x, x, x, need_weights=False)[0]


class EncoderHead(nn.Module):
    """A stack of batch-first encoder layers (causal: GPT-style, the square subsequent mask), then a Linear
    per step."""

    def __init__(self, layer, num_layers, steps, out_features, causal=False):
        super().__init__()
        self.encoder = nn.TransformerEncoder(layer, num_layers, enable_nested_tensor=False)
        self.fc = nn.Linear(layer.linear1.in_features, out_features)
        self.register_buffer("mask", nn.Transformer.generate_square_subsequent_mask(steps) if causal else None)

    def forward(self, x):
        return self.fc(self.encoder(x, mask=self.mask))


def encoder_layer(d_model, nhead, dim_feedforward, **kw):
    return nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward, batch_first=True, **kw)


# name: (model, per-sample input shape[, opset]); opset 17 unless given.
models = {
    # Conv2d + BatchNorm2d (fused into the Conv by the exporter), pooling, Flatten, Linear (Gemm), GELU, LayerNorm
    "cnn": (nn.Sequential(nn.Conv2d(2, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(4, 6, (3, 2), stride=(1, 2), padding=(1, 0), groups=2), nn.Tanh(),
                          nn.AvgPool2d(3, stride=1, padding=1), nn.Flatten(), nn.Linear(6 * 4 * 2, 16), nn.GELU(),
                          nn.LayerNorm(16), nn.Dropout(), nn.Linear(16, 3)), (2, 8, 8)),
    "mlp": (nn.Sequential(nn.Linear(5, 12), nn.BatchNorm1d(12), nn.LeakyReLU(0.1), nn.Linear(12, 8), nn.Sigmoid(),
                          nn.Linear(8, 4), nn.Softmax(dim=1)), (5,)),
    "global_pool": (nn.Sequential(nn.Conv2d(3, 5, 3), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                                  nn.Linear(5, 2)), (3, 6, 6)),
    # Sequence layers: torch.onnx writes Transpose (batch first), one op per layer, Squeeze or
    # Transpose + Reshape, and a zero initial state built from the batch size (Shape, Gather, Concat, ...).
    "lstm": (LastStepHead(nn.LSTM(3, 6, batch_first=True), 2), (7, 3), 13),
    "lstm_2_layers_bidirectional": (Sequence(nn.LSTM(3, 5, num_layers=2, bidirectional=True, batch_first=True)),
                                    (6, 3), 14),
    "gru": (LastStepHead(nn.GRU(4, 5, batch_first=True), 3), (6, 4), 17),
    "gru_bidirectional_no_bias": (Sequence(nn.GRU(3, 4, bidirectional=True, bias=False, batch_first=True)), (5, 3), 15),
    "rnn_relu_2_layers": (LastStepHead(nn.RNN(3, 5, num_layers=2, nonlinearity="relu", batch_first=True), 2),
                          (6, 3), 16),
    "rnn_tanh_bidirectional": (Sequence(nn.RNN(2, 4, bidirectional=True, batch_first=True)), (5, 2), 17),
    # Attention: torch.onnx writes F.multi_head_attention_forward time-major, with the packed projection cut
    # by Slices whose ends come from Shape arithmetic; below opset 17 LayerNorm is ReduceMean, Sub, Pow, ...
    "multihead_attention": (SelfAttention(8, 2), (5, 8), 16),
    "multihead_attention_no_bias": (SelfAttention(6, 3, bias=False), (4, 6), 13),
    "encoder": (EncoderHead(encoder_layer(8, 2, 16), 1, 5, 3), (5, 8), 17),
    "encoder_pre_norm_gelu": (EncoderHead(encoder_layer(8, 4, 12, norm_first=True, activation="gelu"), 1, 6, 2),
                              (6, 8), 14),
    "encoder_2_layers_causal": (EncoderHead(encoder_layer(6, 2, 10), 2, 4, 5, causal=True), (4, 6), 13),
    "layer_norm": (nn.Sequential(nn.Linear(5, 7), nn.LayerNorm(7), nn.ReLU(), nn.Linear(7, 2)), (5,), 13),
}
root = sys.argv[1]
for name, (model, shape, *opset) in models.items():
    # Non-trivial BatchNorm statistics: a few train-mode passes, then eval.
    model.train()
    with torch.no_grad():
        for _ in range(3):
            model(torch.randn(16, *shape) * 2 + 0.5)
    model.eval()
    x = torch.randn(4, *shape)
    with torch.no_grad():
        y = model(x)
    d = os.path.join(root, name)
    os.makedirs(os.path.join(d, "test_data_set_0"), exist_ok=True)
    torch.onnx.export(model, x, os.path.join(d, "model.onnx"), opset_version=opset[0] if opset else 17, input_names=["input"],
                      output_names=["output"], dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}})
    for kind, t in (("input", x), ("output", y)):
        with open(os.path.join(d, "test_data_set_0", f"{kind}_0.pb"), "wb") as f:
            f.write(numpy_helper.from_array(t.numpy(), kind).SerializeToString())
    print(name)


# ONNX gate k is PyTorch gate ORDER[k] (LSTM: i, o, f, c from i, f, g, o; GRU: z, r, h from r, z, n).
ORDER = {"LSTM": [0, 3, 1, 2], "GRU": [1, 0, 2], "RNN": [0]}


def onnx_gates(kind, t):
    blocks = np.split(t.detach().numpy(), len(ORDER[kind]), axis=0)
    return np.concatenate([blocks[k] for k in ORDER[kind]], axis=0)


def layout1_model(rnn, steps):
    """One single-layer batch-first torch.nn recurrent module as an ONNX op with layout=1; its Y [B, T, D, H]
    squeezed (one direction) or reshaped (two) to [B, T, D*H]."""
    kind = type(rnn).__name__
    dirs = 2 if rnn.bidirectional else 1
    sfx = ["_l0", "_l0_reverse"][:dirs]
    W = np.stack([onnx_gates(kind, getattr(rnn, "weight_ih" + s)) for s in sfx])
    R = np.stack([onnx_gates(kind, getattr(rnn, "weight_hh" + s)) for s in sfx])
    inits = [numpy_helper.from_array(W, "W"), numpy_helper.from_array(R, "R")]
    ins = ["input", "W", "R"]
    if rnn.bias:
        B = np.stack([np.concatenate([onnx_gates(kind, getattr(rnn, "bias_ih" + s)),
                                      onnx_gates(kind, getattr(rnn, "bias_hh" + s))]) for s in sfx])
        inits.append(numpy_helper.from_array(B, "B"))
        ins.append("B")
    attrs = {"hidden_size": rnn.hidden_size, "layout": 1, "direction": "bidirectional" if dirs == 2 else "forward"}
    if kind == "GRU":
        attrs["linear_before_reset"] = 1
    if kind == "RNN":
        attrs["activations"] = ["Relu" if rnn.nonlinearity == "relu" else "Tanh"] * dirs
    nodes = [helper.make_node(kind, ins, ["y"], name="rec", **attrs)]
    if dirs == 1:
        inits.append(numpy_helper.from_array(np.array([2], dtype=np.int64), "axes"))
        nodes.append(helper.make_node("Squeeze", ["y", "axes"], ["output"], name="squeeze"))
    else:
        inits.append(numpy_helper.from_array(np.array([0, 0, -1], dtype=np.int64), "shape"))
        nodes.append(helper.make_node("Reshape", ["y", "shape"], ["output"], name="merge"))
    g = helper.make_graph(nodes, "layout1", [helper.make_tensor_value_info("input", onnx.TensorProto.FLOAT,
                                                                           ["batch", steps, rnn.input_size])],
                          [helper.make_tensor_value_info("output", onnx.TensorProto.FLOAT,
                                                         ["batch", steps, dirs * rnn.hidden_size])], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 14)])
    m.ir_version = 8
    return m


layout1 = {
    "layout1_lstm_bidirectional": (nn.LSTM(3, 4, bidirectional=True, batch_first=True), (5, 3)),
    "layout1_gru": (nn.GRU(2, 5, batch_first=True), (6, 2)),
    "layout1_rnn_relu_no_bias": (nn.RNN(3, 4, nonlinearity="relu", bias=False, batch_first=True), (5, 3)),
}
for name, (rnn, shape) in layout1.items():
    rnn.eval()
    x = torch.randn(4, *shape)
    with torch.no_grad():
        y = rnn(x)[0]
    d = os.path.join(root, name)
    os.makedirs(os.path.join(d, "test_data_set_0"), exist_ok=True)
    onnx.save(layout1_model(rnn, shape[0]), os.path.join(d, "model.onnx"))
    for kind, t in (("input", x), ("output", y)):
        with open(os.path.join(d, "test_data_set_0", f"{kind}_0.pb"), "wb") as f:
            f.write(numpy_helper.from_array(t.numpy(), kind).SerializeToString())
    print(name)
