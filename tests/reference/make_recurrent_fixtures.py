#!/usr/bin/python3
"""Writes recurrent_reference.json for tests/nn/tst_recurrent.cpp, computed by PyTorch (Debian's
python3-torch 1.13) in float64: for torch.nn.RNN (tanh, relu), LSTM and GRU and their variants (two layers,
bidirectional, batch_first, no bias, given h0/c0, unbatched input, T=1, inter-layer dropout in eval mode)
each module's named parameters, the input, h0/c0, the outputs output, h_n, c_n and the gradients of
sum(output*w) + sum(h_n*w2) (+ sum(c_n*w3)) with respect to the input, h0, c0 and every parameter.
Run:  /usr/bin/python3 tests/reference/make_recurrent_fixtures.py
"""
import json, os, zlib
import torch

nn = torch.nn
torch.set_default_dtype(torch.float64)


def flat(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


def tensor(t):
    return {"shape": list(t.shape), "values": flat(t)}


TYPES = {
    "rnn_tanh": ("RNN", {"nonlinearity": "tanh"}),
    "rnn_relu": ("RNN", {"nonlinearity": "relu"}),
    "lstm": ("LSTM", {}),
    "gru": ("GRU", {}),
}

# variant: (options, T, B (None: unbatched), given h0/c0, training)
VARIANTS = {
    "basic": ({}, 5, 2, False),
    "layers2": ({"num_layers": 2}, 4, 3, False),
    "bidirectional": ({"bidirectional": True}, 4, 2, False),
    "batch_first": ({"batch_first": True}, 4, 3, False),
    "nobias": ({"bias": False}, 4, 2, False),
    "h0": ({}, 4, 2, True),
    "layers3_bidirectional_batch_first_h0": ({"num_layers": 3, "bidirectional": True, "batch_first": True}, 3, 2,
                                             True),
    "unbatched": ({}, 4, None, False),
    "unbatched_h0_layers2_bidirectional": ({"num_layers": 2, "bidirectional": True}, 3, None, True),
    "t1": ({}, 1, 3, True),
    "layers2_dropout_eval": ({"num_layers": 2, "dropout": 0.5}, 4, 2, False),
}

INPUT_SIZE, HIDDEN = 4, 3


def make_case(kind, type_opts, variant, var_opts, T, B, given_state):
    typ, base = TYPES[kind]
    opts = {"input_size": INPUT_SIZE, "hidden_size": HIDDEN, **base, **var_opts}
    seed = zlib.crc32(f"{kind}/{variant}".encode())  # a new case leaves the others' values unchanged
    torch.manual_seed(seed)
    g = torch.Generator().manual_seed(seed)
    m = getattr(nn, typ)(**opts).double()
    m.eval()  # dropout only between layers in training: eval ignores it
    L = opts.get("num_layers", 1)
    D = 2 if opts.get("bidirectional", False) else 1
    bf = opts.get("batch_first", False)
    if B is None:
        x_shape, s_shape = [T, INPUT_SIZE], [L * D, HIDDEN]
    else:
        x_shape = [B, T, INPUT_SIZE] if bf else [T, B, INPUT_SIZE]
        s_shape = [L * D, B, HIDDEN]
    x = torch.randn(x_shape, generator=g).requires_grad_()
    h0 = torch.randn(s_shape, generator=g).requires_grad_() if given_state else None
    c0 = torch.randn(s_shape, generator=g).requires_grad_() if given_state and typ == "LSTM" else None
    if typ == "LSTM":
        out, (hn, cn) = m(x, (h0, c0)) if given_state else m(x)
    else:
        out, hn = m(x, h0) if given_state else m(x)
        cn = None
    w = torch.randn(out.shape, generator=g)
    w2 = torch.randn(hn.shape, generator=g)
    loss = (out * w).sum() + (hn * w2).sum()
    w3 = None
    if cn is not None:
        w3 = torch.randn(cn.shape, generator=g)
        loss = loss + (cn * w3).sum()
    loss.backward()
    case = {
        "type": typ,
        "options": opts,
        "parameters": [[n, list(p.shape), flat(p)] for n, p in m.named_parameters()],
        "input": tensor(x),
        "output": tensor(out),
        "h_n": tensor(hn),
        "w": tensor(w),
        "w2": tensor(w2),
        "grads": {"input": tensor(x.grad)},
    }
    if h0 is not None:
        case["h0"] = tensor(h0)
        case["grads"]["h0"] = tensor(h0.grad)
    if c0 is not None:
        case["c0"] = tensor(c0)
        case["grads"]["c0"] = tensor(c0.grad)
    if cn is not None:
        case["c_n"] = tensor(cn)
        case["w3"] = tensor(w3)
    for n, p in m.named_parameters():
        case["grads"][n] = tensor(p.grad)
    return case


def main():
    cases = {}
    for kind in TYPES:
        for variant, (var_opts, T, B, given) in VARIANTS.items():
            cases[f"{kind}/{variant}"] = make_case(kind, TYPES[kind], variant, var_opts, T, B, given)
    # Parameter names and shapes of larger configurations (no values).
    specs = {}
    for typ in ["RNN", "LSTM", "GRU"]:
        for name, opts in {"l3_bidirectional": {"input_size": 5, "hidden_size": 7, "num_layers": 3,
                                                "bidirectional": True},
                           "l2_nobias": {"input_size": 2, "hidden_size": 6, "num_layers": 2, "bias": False}}.items():
            m = getattr(nn, typ)(**opts)
            specs[f"{typ}/{name}"] = {"type": typ, "options": opts,
                                      "parameters": [[n, list(p.shape)] for n, p in m.named_parameters()]}
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "recurrent_reference.json")
    with open(path, "w") as f:
        json.dump({"torch_version": torch.__version__, "cases": cases, "specs": specs}, f)
    print(f"wrote {path}: {len(cases)} cases, {len(specs)} spec sets")


if __name__ == "__main__":
    main()
