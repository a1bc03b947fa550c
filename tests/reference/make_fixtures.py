#!/usr/bin/python3
"""Writes ops_reference.json: inputs, outputs and gradients of every case in the op table, computed
by PyTorch (Debian's python3-torch) in float64 and float32. The C++ op table (tests/engine/OpTable.h)
uses the same case names. Run with Debian's own python3:  /usr/bin/python3 tests/reference/make_fixtures.py
"""
import json, math, os, sys, zlib
import torch

F = torch.nn.functional

# Input kinds: how values are drawn so every case stays away from kinks and outside its domain edges.
def draw(kind, shape, g):
    if kind == "float":      # N(0,1)
        return torch.randn(shape, generator=g, dtype=torch.float64)
    if kind == "positive":   # [0.5, 2]
        return torch.rand(shape, generator=g, dtype=torch.float64) * 1.5 + 0.5
    if kind == "nonzero":    # |x| in [0.2, 2], random sign: away from the kinks of abs/relu
        mag = torch.rand(shape, generator=g, dtype=torch.float64) * 1.8 + 0.2
        sgn = torch.randint(0, 2, shape, generator=g).double() * 2 - 1
        return mag * sgn
    if kind == "distinct":   # a permutation of well separated values (no ties for max/min)
        n = math.prod(shape)
        perm = torch.randperm(n, generator=g).double()
        return ((perm - n / 2) * 0.37).reshape(shape)
    if kind == "distinct2":  # as distinct, shifted off the first grid: never ties with a "distinct" input
        return draw("distinct", shape, g) + 0.123
    if kind == "clampsafe":  # stays 0.1 away from the clamp bounds ±0.5
        x = torch.rand(shape, generator=g, dtype=torch.float64) * 3 - 1.5
        x = torch.where((x - 0.5).abs() < 0.1, x + 0.25, x)
        x = torch.where((x + 0.5).abs() < 0.1, x - 0.25, x)
        return x
    if kind.startswith("index"):  # index<N>: ints in [0, N)
        n = int(kind[5:])
        return torch.randint(0, n, shape, generator=g)
    if kind == "mask":
        return torch.randint(0, 2, shape, generator=g)
    raise ValueError(kind)

# name: ([(kind, shape)], fn)  -- fn takes the input tensors. Same names as the C++ table.
CASES = {
    # unary
    "neg": ([("float", [3, 4])], lambda x: -x),
    "exp": ([("float", [3, 4])], torch.exp),
    "log": ([("positive", [3, 4])], torch.log),
    "sqrt": ([("positive", [3, 4])], torch.sqrt),
    "abs": ([("nonzero", [3, 4])], torch.abs),
    "sin": ([("float", [3, 4])], torch.sin),
    "cos": ([("float", [3, 4])], torch.cos),
    "erf": ([("float", [3, 4])], torch.erf),
    "relu": ([("nonzero", [3, 4])], torch.relu),
    "leaky_relu": ([("nonzero", [3, 4])], lambda x: F.leaky_relu(x, 0.1)),
    "sigmoid": ([("float", [3, 4])], torch.sigmoid),
    "tanh": ([("float", [3, 4])], torch.tanh),
    "gelu": ([("float", [3, 4])], F.gelu),
    "clamp": ([("clampsafe", [3, 4])], lambda x: torch.clamp(x, -0.5, 0.5)),
    "clamp_min": ([("clampsafe", [3, 4])], lambda x: torch.clamp(x, min=-0.5)),
    "pow_scalar": ([("positive", [3, 4])], lambda x: torch.pow(x, 2.5)),
    "pow_int": ([("float", [3, 4])], lambda x: torch.pow(x, 3)),
    "softmax_dim1": ([("float", [3, 4])], lambda x: torch.softmax(x, 1)),
    "softmax_dim0": ([("float", [3, 4])], lambda x: torch.softmax(x, 0)),
    "log_softmax": ([("float", [2, 3, 4])], lambda x: torch.log_softmax(x, -1)),
    "log_softmax_dim1": ([("float", [2, 3, 4])], lambda x: torch.log_softmax(x, 1)),
    # binary, with every broadcast pattern
    "add": ([("float", [3, 4]), ("float", [3, 4])], torch.add),
    "add_row": ([("float", [3, 4]), ("float", [4])], torch.add),
    "add_outer": ([("float", [3, 1]), ("float", [1, 4])], torch.add),
    "add_3d": ([("float", [2, 3, 4]), ("float", [3, 1])], torch.add),
    "add_scalar_tensor": ([("float", []), ("float", [3])], torch.add),
    "add_alpha": ([("float", [3, 4]), ("float", [4])], lambda a, b: torch.add(a, b, alpha=-2.5)),
    "sub": ([("float", [3, 4]), ("float", [4])], torch.sub),
    "mul": ([("float", [3, 4]), ("float", [3, 1])], torch.mul),
    "mul_3d": ([("float", [2, 1, 4]), ("float", [3, 1])], torch.mul),
    "div": ([("float", [3, 4]), ("positive", [4])], torch.div),
    "div_col": ([("positive", [3, 1]), ("nonzero", [3, 4])], torch.div),
    "pow": ([("positive", [3, 4]), ("float", [3, 4])], torch.pow),
    "pow_bcast": ([("positive", [3, 4]), ("float", [4])], torch.pow),
    "maximum": ([("distinct", [3, 4]), ("distinct2", [3, 4])], torch.maximum),
    "minimum": ([("distinct", [3, 1]), ("distinct2", [1, 4])], torch.minimum),
    "where": ([("mask", [3, 4]), ("float", [3, 4]), ("float", [4])], lambda c, a, b: torch.where(c.bool(), a, b)),
    # comparisons (forward only, int output)
    "gt": ([("distinct", [3, 4]), ("distinct2", [4])], lambda a, b: torch.gt(a, b).long()),
    "le": ([("distinct", [3, 4]), ("distinct", [3, 1])], lambda a, b: torch.le(a, b).long()),
    "eq": ([("index3", [3, 4]), ("index3", [4])], lambda a, b: torch.eq(a, b).long()),
    # reductions
    "sum": ([("float", [3, 4])], torch.sum),
    "sum_dim1": ([("float", [3, 4])], lambda x: torch.sum(x, 1)),
    "sum_dims_keepdim": ([("float", [2, 3, 4])], lambda x: torch.sum(x, [0, 2], keepdim=True)),
    "mean": ([("float", [3, 4])], torch.mean),
    "mean_dim0": ([("float", [3, 4])], lambda x: torch.mean(x, 0)),
    "var": ([("float", [3, 4])], torch.var),
    "var_dim1": ([("float", [3, 4])], lambda x: torch.var(x, 1)),
    "var_dim1_biased": ([("float", [3, 4])], lambda x: torch.var(x, 1, unbiased=False)),
    "max": ([("distinct", [3, 4])], torch.max),
    "min": ([("distinct", [3, 4])], torch.min),
    "max_dim1": ([("distinct", [3, 4])], lambda x: torch.max(x, 1)[0]),
    "min_dim0_keepdim": ([("distinct", [3, 4])], lambda x: torch.min(x, 0, keepdim=True)[0]),
    "argmax_dim1": ([("distinct", [3, 4])], lambda x: torch.argmax(x, 1)),
    "argmin_dim0": ([("distinct", [3, 4])], lambda x: torch.argmin(x, 0)),
    # matmul
    "matmul_2d": ([("float", [3, 4]), ("float", [4, 5])], torch.matmul),
    "matmul_vec_mat": ([("float", [4]), ("float", [4, 5])], torch.matmul),
    "matmul_mat_vec": ([("float", [3, 4]), ("float", [4])], torch.matmul),
    "matmul_dot": ([("float", [4]), ("float", [4])], torch.matmul),
    "matmul_batched_2d": ([("float", [2, 3, 4]), ("float", [4, 5])], torch.matmul),
    "matmul_batched": ([("float", [2, 3, 4]), ("float", [2, 4, 5])], torch.matmul),
    "matmul_broadcast": ([("float", [2, 1, 3, 4]), ("float", [3, 4, 2])], torch.matmul),
    # joining and indexing
    "cat_dim0": ([("float", [2, 3]), ("float", [4, 3])], lambda a, b: torch.cat([a, b], 0)),
    "cat_dim1": ([("float", [2, 3]), ("float", [2, 2])], lambda a, b: torch.cat([a, b], 1)),
    "stack_dim1": ([("float", [2, 3]), ("float", [2, 3])], lambda a, b: torch.stack([a, b], 1)),
    "index_select_dim0": ([("float", [5, 3]), ("index5", [6])], lambda x, i: torch.index_select(x, 0, i)),
    "index_select_dim1": ([("float", [2, 4]), ("index4", [3])], lambda x, i: torch.index_select(x, 1, i)),
    "gather_dim1": ([("float", [3, 4]), ("index4", [3, 2])], lambda x, i: torch.gather(x, 1, i)),
    "gather_dim0": ([("float", [3, 4]), ("index3", [2, 4])], lambda x, i: torch.gather(x, 0, i)),
    "one_hot": ([("index5", [4])], lambda i: F.one_hot(i, 5)),
    # views
    "transpose": ([("float", [2, 3, 4])], lambda x: x.transpose(0, 2)),
    "permute": ([("float", [2, 3, 4])], lambda x: x.permute(2, 0, 1)),
    "slice_step2": ([("float", [5, 4])], lambda x: x[1:5:2]),
    "narrow": ([("float", [3, 5])], lambda x: x.narrow(1, 1, 3)),
    "select": ([("float", [3, 4])], lambda x: x.select(1, 2)),
    "expand": ([("float", [3, 1])], lambda x: x.expand(2, 3, 4)),
    "squeeze": ([("float", [3, 1, 4])], lambda x: x.squeeze(1)),
    "unsqueeze": ([("float", [3, 4])], lambda x: x.unsqueeze(1)),
    "flatten": ([("float", [2, 3, 4])], lambda x: x.flatten(1)),
    "reshape": ([("float", [3, 4])], lambda x: x.reshape(2, 6)),
    "t": ([("float", [3, 4])], lambda x: x.t()),
    "clone": ([("float", [3, 4])], lambda x: x.clone()),
    "to_f32_and_back": ([("float", [3, 4])], lambda x: x.float().double() if x.dtype == torch.float64 else x.double().float()),
    # ---- neural-network ops (appended: the cases above keep their seeds) ----
    # conv2d: stride, padding, dilation, groups, no bias, rows a stride leaves unused
    "conv2d": ([("float", [2, 3, 5, 5]), ("float", [4, 3, 3, 3]), ("float", [4])], F.conv2d),
    "conv2d_stride_padding": ([("float", [2, 3, 6, 7]), ("float", [4, 3, 3, 2]), ("float", [4])],
                              lambda x, w, b: F.conv2d(x, w, b, stride=(2, 1), padding=(1, 2))),
    "conv2d_dilation": ([("float", [1, 2, 7, 6]), ("float", [3, 2, 3, 3]), ("float", [3])],
                        lambda x, w, b: F.conv2d(x, w, b, padding=(2, 1), dilation=(2, 1))),
    "conv2d_groups": ([("float", [2, 4, 5, 5]), ("float", [6, 2, 3, 3]), ("float", [6])],
                      lambda x, w, b: F.conv2d(x, w, b, stride=2, padding=1, groups=2)),
    "conv2d_depthwise_nobias": ([("float", [1, 3, 5, 4]), ("float", [3, 1, 2, 2])],
                                lambda x, w: F.conv2d(x, w, None, stride=(1, 2), groups=3)),
    "conv2d_stride3_unused": ([("float", [1, 2, 8, 7]), ("float", [2, 2, 3, 2]), ("float", [2])],
                              lambda x, w, b: F.conv2d(x, w, b, stride=3)),
    # pooling
    "max_pool2d": ([("distinct", [2, 3, 4, 4])], lambda x: F.max_pool2d(x, 2)),
    "max_pool2d_stride_padding": ([("distinct", [1, 2, 7, 6])], lambda x: F.max_pool2d(x, 3, stride=2, padding=1)),
    "max_pool2d_rect": ([("distinct", [2, 2, 5, 7])], lambda x: F.max_pool2d(x, (2, 3), stride=(1, 2))),
    "avg_pool2d": ([("float", [2, 3, 4, 4])], lambda x: F.avg_pool2d(x, 2)),
    "avg_pool2d_stride_padding": ([("float", [1, 2, 7, 6])], lambda x: F.avg_pool2d(x, 3, stride=2, padding=1)),
    "avg_pool2d_rect": ([("float", [2, 2, 5, 7])], lambda x: F.avg_pool2d(x, (2, 3), stride=(1, 2), padding=(1, 1))),
    "adaptive_avg_pool2d_divisible": ([("float", [2, 3, 6, 4])], lambda x: F.adaptive_avg_pool2d(x, (3, 2))),
    "adaptive_avg_pool2d_nondivisible": ([("float", [1, 2, 7, 5])], lambda x: F.adaptive_avg_pool2d(x, (3, 4))),
    "adaptive_avg_pool2d_global": ([("float", [2, 3, 5, 5])], lambda x: F.adaptive_avg_pool2d(x, 1)),
    # batch norm (running stats are checked by tst_layers): training uses batch statistics
    "batch_norm_train_2d": ([("float", [4, 3, 3, 3]), ("positive", [3]), ("float", [3])],
                            lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True)),
    "batch_norm_train_1d": ([("float", [5, 4]), ("positive", [4]), ("float", [4])],
                            lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True, eps=1e-3)),
    "batch_norm_train_3d_noaffine": ([("float", [3, 2, 4])], lambda x: F.batch_norm(x, None, None, training=True)),
    "batch_norm_eval": ([("float", [2, 3, 2, 2]), ("positive", [3]), ("float", [3])],
                        lambda x, w, b: F.batch_norm(x, torch.tensor([0.1, -0.2, 0.3], dtype=x.dtype),
                                                     torch.tensor([0.5, 1.5, 2.0], dtype=x.dtype), w, b,
                                                     training=False)),
    # layer norm
    "layer_norm": ([("float", [3, 4, 5]), ("positive", [5]), ("float", [5])],
                   lambda x, w, b: F.layer_norm(x, [5], w, b)),
    "layer_norm_2d": ([("float", [2, 3, 4]), ("positive", [3, 4]), ("float", [3, 4])],
                      lambda x, w, b: F.layer_norm(x, [3, 4], w, b, eps=1e-3)),
    "layer_norm_noaffine": ([("float", [4, 6])], lambda x: F.layer_norm(x, [6])),
    # embedding and dropout (the random mask is tested by tst_layers)
    "embedding": ([("float", [6, 3]), ("index6", [2, 4])], lambda w, i: F.embedding(i, w)),
    "dropout_eval": ([("float", [3, 4])], lambda x: F.dropout(x, 0.5, training=False)),
    "dropout_p0": ([("float", [3, 4])], lambda x: F.dropout(x, 0.0, training=True)),
}

def tolist(t):
    return t.detach().reshape(-1).tolist()

def run(case_name, specs, fn, dtype, inputs64):
    xs = []
    for (kind, _), x in zip(specs, inputs64):
        if x.is_floating_point():
            xs.append(x.to(dtype).requires_grad_(True))
        else:
            xs.append(x)
    out = fn(*xs)
    rec = {"output": {"shape": list(out.shape), "values": tolist(out.double() if out.is_floating_point() else out)}}
    if out.is_floating_point() and out.requires_grad:
        g = torch.Generator().manual_seed(zlib.crc32(case_name.encode()) % (2**31) + 7)
        w = torch.randn(out.shape, generator=g, dtype=torch.float64)
        rec["grad_output"] = tolist(w)
        grads = torch.autograd.grad(out, [x for x in xs if x.requires_grad], w.to(dtype), allow_unused=True)
        it = iter(grads)
        rec["grads"] = [tolist(next(it).double()) if x.requires_grad else None for x in xs]
    return rec

def main():
    torch.set_num_threads(1)
    result = {"generator": "tests/reference/make_fixtures.py", "torch_version": torch.__version__, "cases": {}}
    for idx, (name, (specs, fn)) in enumerate(CASES.items()):
        g = torch.Generator().manual_seed(1000 + idx)
        inputs = [draw(kind, shape, g) for kind, shape in specs]
        case = {
            "inputs": [{"kind": kind, "shape": shape,
                        "dtype": "float" if x.is_floating_point() else "int", "values": tolist(x)}
                       for (kind, shape), x in zip(specs, inputs)],
            "f64": run(name, specs, fn, torch.float64, inputs),
            "f32": run(name, specs, fn, torch.float32, inputs),
        }
        result["cases"][name] = case
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "ops_reference.json")
    # One case per line: diffs of a regenerated file show which cases changed.
    with open(out, "w") as f:
        f.write('{"generator": %s, "torch_version": %s, "cases": {\n' % (
            json.dumps(result["generator"]), json.dumps(result["torch_version"])))
        f.write(",\n".join("%s: %s" % (json.dumps(k), json.dumps(v)) for k, v in result["cases"].items()))
        f.write("\n}}\n")
    print(f"wrote {len(CASES)} cases to {out}")

if __name__ == "__main__":
    main()
