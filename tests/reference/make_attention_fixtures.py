#!/usr/bin/python3
"""Writes attention_reference.json for tests/nn/tst_attention.cpp, computed by PyTorch (Debian's
python3-torch 1.13, float64): nn.MultiheadAttention and nn.TransformerEncoderLayer outputs, attention
weights and gradients for given parameters, inputs and masks, and the sinusoidal positional encoding of
PyTorch's transformer tutorial. Run:  /usr/bin/python3 tests/reference/make_attention_fixtures.py
Masks are stored as int64 (PyTorch's bool: 1 = masked out) or float (added to the scores).
"""
import json, math, os
import torch

nn = torch.nn
torch.set_default_dtype(torch.float64)
g = torch.Generator().manual_seed(2468)


def randn(*shape):
    return torch.randn(shape, generator=g, dtype=torch.float64)


def enc(t):
    return {"shape": list(t.shape), "int": not t.is_floating_point(),
            "values": [float(v) if t.is_floating_point() else int(v) for v in t.detach().reshape(-1).tolist()]}


def randomize(m):
    with torch.no_grad():  # biases start at 0 in PyTorch: give every parameter values that show in the output
        for _, p in m.named_parameters():
            p.copy_(randn(*p.shape) * 0.5)


def record(m, inputs, call, kind, options, masks=None):
    randomize(m)
    xs = [x.clone().requires_grad_(True) for x in inputs]
    out, weights = call(m, xs)
    w_out = randn(*out.shape)
    loss = (out * w_out).sum()
    rec = {"module": kind, "options": options, "inputs": [enc(x) for x in xs],
           "masks": {k: enc(v) for k, v in (masks or {}).items()},
           "parameters": {n: enc(p) for n, p in m.named_parameters()},
           "output": enc(out), "grad_output": enc(w_out)}
    if weights is not None:
        w_w = randn(*weights.shape)
        loss = loss + (weights * w_w).sum()
        rec["weights"] = enc(weights)
        rec["grad_weights"] = enc(w_w)
    params = [p for _, p in m.named_parameters()]
    grads = torch.autograd.grad(loss, xs + params)
    rec["input_grads"] = [enc(gr) for gr in grads[:len(xs)]]
    rec["parameter_grads"] = {n: enc(gr) for (n, _), gr in zip(m.named_parameters(), grads[len(xs):])}
    return rec


def mha_case(E, heads, L, S, N, bias=True, batch_first=False, kpm=None, attn_mask=None, average=True,
             need_weights=True, self_attention=False):
    m = nn.MultiheadAttention(E, heads, bias=bias, batch_first=batch_first)
    m.train()
    def shape(length):
        if N is None:
            return (length, E)
        return (N, length, E) if batch_first else (length, N, E)
    inputs = [randn(*shape(L))] if self_attention else [randn(*shape(L)), randn(*shape(S)), randn(*shape(S))]
    masks = {}
    if kpm is not None:
        masks["key_padding_mask"] = kpm
    if attn_mask is not None:
        masks["attn_mask"] = attn_mask
    def as_torch(t):
        return t.bool() if t is not None and not t.is_floating_point() else t
    def call(m, xs):
        q, k, v = (xs[0], xs[0], xs[0]) if self_attention else xs
        out, w = m(q, k, v, key_padding_mask=as_torch(kpm), need_weights=need_weights, attn_mask=as_torch(attn_mask),
                   average_attn_weights=average)
        return out, w
    options = {"embed_dim": E, "num_heads": heads, "bias": bias, "batch_first": batch_first,
               "need_weights": need_weights, "average_attn_weights": average, "self_attention": self_attention}
    return record(m, inputs, call, "MultiheadAttention", options, masks)


def encoder_case(d, nhead, dff, L, N, activation="relu", norm_first=False, batch_first=False, kpm=None,
                 causal=False, src_mask=None):
    m = nn.TransformerEncoderLayer(d, nhead, dff, dropout=0.0, activation=activation, norm_first=norm_first,
                                   batch_first=batch_first)
    m.train()
    x = randn(*((N, L, d) if batch_first else (L, N, d))) if N is not None else randn(L, d)
    mask = torch.triu(torch.ones(L, L, dtype=torch.bool), 1) if causal else src_mask
    def call(m, xs):
        return m(xs[0], src_mask=mask if mask is None or mask.is_floating_point() else mask.bool(),
                 src_key_padding_mask=None if kpm is None else kpm.bool()), None
    masks = {}
    if kpm is not None:
        masks["src_key_padding_mask"] = kpm
    if src_mask is not None:
        masks["src_mask"] = src_mask
    options = {"d_model": d, "nhead": nhead, "dim_feedforward": dff, "activation": activation,
               "norm_first": norm_first, "batch_first": batch_first, "causal": causal}
    return record(m, [x], call, "TransformerEncoderLayer", options, masks)


def positional_encoding(d, T, N, batch_first):
    """The tutorial's PositionalEncoding (dropout 0): x + pe[:T]."""
    position = torch.arange(T).unsqueeze(1).double()
    div_term = torch.exp(torch.arange(0, d, 2).double() * (-math.log(10000.0) / d))
    pe = torch.zeros(T, d)
    pe[:, 0::2] = torch.sin(position * div_term)
    pe[:, 1::2] = torch.cos(position * div_term)[:, : d // 2]
    x = randn(*((N, T, d) if batch_first else (T, N, d)))
    y = x + (pe.unsqueeze(0) if batch_first else pe.unsqueeze(1))
    return {"module": "PositionalEncoding", "options": {"d_model": d, "batch_first": batch_first},
            "inputs": [enc(x)], "output": enc(y)}


def main():
    I = lambda rows: torch.tensor(rows, dtype=torch.int64)
    cases = {
        "mha": mha_case(8, 2, 3, 3, 2),
        "mha_cross": mha_case(8, 2, 3, 5, 2),
        "mha_self": mha_case(6, 3, 4, 4, 2, self_attention=True),
        "mha_batch_first": mha_case(8, 4, 3, 5, 2, batch_first=True),
        "mha_nobias": mha_case(8, 2, 3, 5, 2, bias=False),
        "mha_one_head": mha_case(4, 1, 2, 3, 3),
        "mha_unbatched": mha_case(8, 2, 3, 5, None),
        "mha_per_head_weights": mha_case(8, 2, 3, 5, 2, average=False),
        "mha_no_weights": mha_case(8, 2, 3, 5, 2, need_weights=False),
        "mha_key_padding": mha_case(8, 2, 3, 5, 2, kpm=I([[0, 0, 0, 1, 1], [0, 1, 0, 0, 0]])),
        "mha_bool_mask": mha_case(8, 2, 3, 5, 2, attn_mask=I([[0, 1, 0, 0, 1], [0, 0, 1, 1, 0], [1, 0, 0, 0, 0]])),
        "mha_float_mask": mha_case(8, 2, 3, 5, 2, attn_mask=randn(3, 5)),
        "mha_per_head_mask": mha_case(8, 2, 3, 5, 2, attn_mask=(torch.rand(4, 3, 5, generator=g) > 0.7).long()
                                      * I([[1, 1, 1, 1, 0]])),  # the last key never masked: no empty row
        "mha_both_masks": mha_case(8, 2, 3, 5, 2, kpm=I([[0, 0, 0, 0, 1], [1, 0, 0, 0, 0]]),
                                   attn_mask=I([[0, 1, 0, 0, 0], [0, 0, 1, 0, 0], [0, 0, 0, 1, 0]])),
        "encoder": encoder_case(8, 2, 16, 4, 2),
        "encoder_gelu_norm_first": encoder_case(8, 2, 16, 4, 2, activation="gelu", norm_first=True),
        "encoder_batch_first": encoder_case(8, 4, 12, 5, 3, batch_first=True),
        "encoder_unbatched": encoder_case(6, 2, 10, 4, None),
        "encoder_key_padding": encoder_case(8, 2, 16, 4, 2, kpm=I([[0, 0, 0, 1], [0, 0, 0, 0]])),
        "encoder_causal": encoder_case(8, 2, 16, 5, 2, causal=True, batch_first=True),
        "encoder_float_mask": encoder_case(8, 2, 16, 4, 2, src_mask=randn(4, 4)),
        "pe_batch_first": positional_encoding(6, 7, 2, True),
        "pe_seq_first": positional_encoding(5, 4, 3, False),
    }
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "attention_reference.json")
    with open(out, "w") as f:
        json.dump({"generator": "tests/reference/make_attention_fixtures.py", "torch_version": torch.__version__,
                   "cases": cases}, f, separators=(",", ":"))
        f.write("\n")
    print("wrote %d cases to %s" % (len(cases), out))


if __name__ == "__main__":
    main()
