#!/usr/bin/python3
"""Writes ops_reference.json: for every case of the op table (tests/engine/OpTable.h, same case names),
several sample inputs and PyTorch's outputs and gradients for each dtype the case declares.
Run with Debian's own python3 (it has torch):  /usr/bin/python3 tests/reference/make_fixtures.py

A case is  "name": C(dtypes, fn, samples...)  where
  dtypes   "f" (float64 + float32) or "fi" (also int64: float inputs rounded, see to_int),
  fn       takes the input tensors, as the C++ row does,
  samples  each S(input, input, ...): an input is a drawn (kind, shape) or a literal L([...]) (float) /
           I([...]) (int64: indices, masks). Drawn samples are gradchecked; literal ones ("reference
           inputs": 0, ties, +-inf, NaN, empty, ...) are compared with PyTorch (values and gradients)
           but not gradchecked (pass gradcheck=True to S to do so).
Every value here is computed by PyTorch; nothing is copied from the engine.
"""
import json, math, os, zlib
import torch

F = torch.nn.functional
inf, nan = math.inf, math.nan


# ------------------------------------------------------------------ drawing inputs
def draw(kind, shape, g):
    if kind == "float":      # N(0,1)
        return torch.randn(shape, generator=g, dtype=torch.float64)
    if kind == "positive":   # [0.5, 2]
        return torch.rand(shape, generator=g, dtype=torch.float64) * 1.5 + 0.5
    if kind == "offgrid":    # [-2.4, 2.4], at least 0.1 from every multiple of 0.5: away from the kinks
        k = torch.randint(-5, 5, shape, generator=g).double()  # of abs/relu/sign/clamp(+-1, 0, 2)
        return 0.5 * k + 0.1 + 0.3 * torch.rand(shape, generator=g, dtype=torch.float64)
    if kind == "distinct":   # a permutation of well separated values (no ties for max/min)
        n = math.prod(shape)
        perm = torch.randperm(n, generator=g).double()
        return ((perm - n / 2) * 0.37).reshape(shape)
    if kind == "distinct2":  # as distinct, shifted off the first grid: never ties with a "distinct" input
        return draw("distinct", shape, g) + 0.123
    if kind == "ties":       # values from {-1, 0, 1}: many ties (comparisons)
        return torch.randint(-1, 2, shape, generator=g).double()
    if kind.startswith("index"):  # index<N>: ints in [0, N)
        return torch.randint(0, int(kind[5:]), shape, generator=g)
    if kind == "mask":
        return torch.randint(0, 2, shape, generator=g)
    raise ValueError(kind)


class L:  # a literal float input (reference values)
    def __init__(self, values, shape=None):
        t = torch.tensor(values, dtype=torch.float64)
        self.t = t.reshape(shape) if shape is not None else t


class I:  # a literal int64 input
    def __init__(self, values, shape=None):
        t = torch.tensor(values, dtype=torch.int64)
        self.t = t.reshape(shape) if shape is not None else t


class S:
    def __init__(self, *inputs, gradcheck=None, label=None):
        self.inputs = inputs
        literal = any(isinstance(i, (L, I)) for i in inputs)
        self.gradcheck = (not literal) if gradcheck is None else gradcheck
        self.label = label


class C:
    def __init__(self, dtypes, fn, *samples, grad_inputs=None):
        self.dtypes, self.fn, self.samples = dtypes, fn, samples


def to_int(x):
    """The int64 form of a float input: 2x rounded (so drawn values give small, varied integers), or the
    literal values themselves when they are integral; None when the sample has no int64 form."""
    if not torch.isfinite(x).all():
        return None
    return x.long() if (x == x.round()).all() else torch.round(x * 2).long()


# ------------------------------------------------------------------ common sample sets
M = [3, 4]
def unary(kind, *refs):
    """Drawn [3, 4], 0-d, [2, 1, 3] and empty [0, 3], then the reference inputs."""
    return (S((kind, M)), S((kind, [])), S((kind, [2, 1, 3])), S((kind, [0, 3]))) + tuple(S(r) for r in refs)

SPECIAL = L([0.0, -0.0, inf, -inf, nan, 1.0, -1.0])
def binary(ka, kb, *refs):
    """Same shape, row broadcast, outer (size-1 dims both sides), 0-d with 3-D, empty, then references."""
    return (S((ka, M), (kb, M)), S((ka, M), (kb, [4])), S((ka, [3, 1]), (kb, [1, 4])),
            S((ka, [2, 3, 4]), (kb, [3, 1])), S((ka, []), (kb, [2, 3])), S((ka, [0, 3]), (kb, [3]))) + refs

EDGE_A = L([inf, -inf, nan, 0.0, inf, 2.0, -0.0, 3.0])
EDGE_B = L([-inf, -inf, 1.0, 0.0, 1.0, nan, 0.0, 3.0])


def cmp(f):
    return C("fi", lambda a, b: f(a, b).long(),
             *binary("ties", "ties", S(EDGE_A, EDGE_B), S(L([nan, 1.0, -0.0]), L([nan, nan, 0.0]))))


def optim_step(make):
    """Two steps of an optimizer on a parameter with a fixed gradient; returns the parameter."""
    def fn(p, g):
        p = p.detach().clone().requires_grad_()
        opt = make([p])
        for _ in range(2):
            p.grad = g.clone()
            opt.step()
        return p.detach()
    return fn


def sdpa(q, k, v, mask=None, dropout_p=0.0, is_causal=False, scale=None):
    """torch.nn.functional.scaled_dot_product_attention's documented math (PyTorch 2; Debian's torch 1.13 has
    no such function). An int64 mask: nonzero = may attend (PyTorch 2's bool mask); a float mask is added."""
    s = 1.0 / math.sqrt(q.size(-1)) if scale is None else scale
    scores = q @ k.transpose(-2, -1) * s
    if is_causal:
        allowed = torch.ones(q.size(-2), k.size(-2), dtype=torch.bool).tril()
        scores = scores.masked_fill(~allowed, -inf)
    elif mask is not None and not mask.is_floating_point():
        scores = scores.expand(torch.broadcast_shapes(scores.shape, mask.shape)).masked_fill(mask == 0, -inf)
    elif mask is not None:
        scores = scores + mask
    w = torch.softmax(scores, -1)
    if dropout_p > 0:
        w = F.dropout(w, dropout_p)
    return w @ v


# name: C(...)  -- fn takes the input tensors. Same names as the C++ table.
CASES = {
    # ---- unary pointwise
    "neg": C("fi", lambda x: -x, *unary("float", SPECIAL)),
    "exp": C("fi", torch.exp, *unary("float", L([0.0, inf, -inf, nan, 710.0, -1000.0, 88.0]))),
    "log": C("fi", torch.log, *unary("positive", L([0.0, -0.0, -1.0, inf, nan, 1.0]), I([0, 1, 2]))),
    "sqrt": C("fi", torch.sqrt, *unary("positive", L([0.0, -1.0, inf, nan, 4.0]), I([0, 4, 9]))),
    "abs": C("fi", torch.abs, *unary("offgrid", SPECIAL, L([-3.0, 0.0, 5.0]))),
    "sign": C("fi", torch.sign, *unary("offgrid", SPECIAL, L([-3.0, 0.0, 5.0]))),
    "sin": C("fi", torch.sin, *unary("float", SPECIAL, L([1e10, -3.0]))),
    "cos": C("fi", torch.cos, *unary("float", SPECIAL)),
    "erf": C("fi", torch.erf, *unary("float", SPECIAL, L([6.0, -6.0]))),
    "relu": C("fi", torch.relu, *unary("offgrid", SPECIAL, L([-3.0, 0.0, 5.0]))),
    "leaky_relu": C("f", lambda x: F.leaky_relu(x, 0.1), *unary("offgrid", SPECIAL)),
    "sigmoid": C("fi", torch.sigmoid, *unary("float", SPECIAL, L([800.0, -800.0, 40.0, -40.0]))),
    "tanh": C("fi", torch.tanh, *unary("float", SPECIAL, L([30.0, -30.0]))),
    "gelu": C("f", F.gelu, *unary("float", SPECIAL, L([-10.0, 10.0, -40.0]))),
    "softplus": C("f", F.softplus, *unary("float", SPECIAL, L([-30.0, 19.0, 20.0, 21.0, 30.0, -800.0]))),
    "softplus_beta": C("f", lambda x: F.softplus(x, beta=2.0, threshold=5.0),
                       *unary("float", SPECIAL, L([2.4, 2.5, 2.6, -40.0]))),
    "clamp": C("fi", lambda x: torch.clamp(x, -1, 1),
               *unary("offgrid", SPECIAL, L([-inf, -1.0, 0.0, 1.0, inf, nan, -3.0, 3.0]))),
    "clamp_min": C("fi", lambda x: torch.clamp(x, min=0),
                   *unary("offgrid", SPECIAL, I([-3, 0, 5, 7]), L([-3.0, 0.0, 5.0, 7.0]))),
    "clamp_max": C("fi", lambda x: torch.clamp(x, max=0), *unary("offgrid", SPECIAL, I([-3, 0, 5, 7]))),
    "clamp_min_gt_max": C("fi", lambda x: torch.clamp(x, 2, 1),
                          S(L([0.5, 3.0, 1.5])), S(("offgrid", M)), S(I([0, 1, 2, 3])), S(SPECIAL)),
    "pow_scalar": C("f", lambda x: torch.pow(x, 2.5), *unary("positive", L([0.0, inf, nan, -1.0, 1.0]))),
    "pow_int": C("fi", lambda x: torch.pow(x, 3 if not x.is_floating_point() else 3.0),
                 *unary("float", SPECIAL)),
    "pow_zero": C("f", lambda x: torch.pow(x, 0.0), *unary("float", L([0.0, -0.0, inf, -inf, nan, 2.0]))),
    "pow_negative": C("f", lambda x: torch.pow(x, -1.5), *unary("positive", L([0.0, inf, nan, 4.0]))),
    "softmax": C("f", lambda x: torch.softmax(x, 1), S(("float", M)), S(("float", [2, 3, 4])), S(("float", [3, 1])),
                 S(("float", [0, 3])), S(L([[0.0, -inf, 1.0], [inf, 0.0, 1.0], [-inf, -inf, -inf], [nan, 0.0, 1.0],
                                            [1000.0, 0.0, -1000.0]]))),
    "softmax_dim0": C("f", lambda x: torch.softmax(x, 0), S(("float", M)), S(("float", [1, 4])),
                      S(L([[0.0, -inf], [-inf, -inf], [1.0, 2.0]]))),
    "log_softmax": C("f", lambda x: torch.log_softmax(x, -1), S(("float", [2, 3, 4])), S(("float", M)),
                     S(("float", [3, 1])), S(("float", [0, 4])),
                     S(L([[0.0, -inf, 1.0], [-inf, -inf, -inf], [1000.0, 0.0, -1000.0]]))),
    "log_softmax_dim1": C("f", lambda x: torch.log_softmax(x, 1), S(("float", [2, 3, 4])), S(("float", [2, 1, 4]))),
    # ---- binary pointwise (every broadcast pattern)
    "add": C("fi", torch.add, *binary("float", "float", S(EDGE_A, EDGE_B))),
    "add_alpha": C("f", lambda a, b: torch.add(a, b, alpha=-2.5), *binary("float", "float", S(EDGE_A, EDGE_B))),
    "sub": C("fi", torch.sub, *binary("float", "float", S(EDGE_A, EDGE_B))),
    "sub_alpha": C("f", lambda a, b: torch.sub(a, b, alpha=0.5), *binary("float", "float")),
    "mul": C("fi", torch.mul, *binary("float", "float", S(EDGE_A, EDGE_B))),
    "div": C("fi", torch.div, *binary("float", "positive",
                                      S(L([1.0, -1.0, 0.0, inf, 2.0, nan]), L([0.0, 0.0, 0.0, inf, -0.0, 1.0])),
                                      S(I([1, -1, 0, 7]), I([0, 0, 0, 2])))),
    "pow": C("f", torch.pow, *binary("positive", "float",
                                     S(L([0.0, 0.0, 0.0, 2.0, -2.0, inf, nan, 1.0, 0.0]),
                                       L([0.0, 2.0, -1.0, 0.0, 2.0, 0.0, 0.0, nan, 0.5])))),
    "maximum": C("fi", torch.maximum, *binary("distinct", "distinct2",
                                              S(L([1.0, 2.0, 3.0, nan, nan, inf, -0.0]),
                                                L([1.0, 3.0, 2.0, 1.0, nan, -inf, 0.0])))),
    "minimum": C("fi", torch.minimum, *binary("distinct", "distinct2",
                                              S(L([1.0, 2.0, 3.0, nan, nan, inf, -0.0]),
                                                L([1.0, 3.0, 2.0, 1.0, nan, -inf, 0.0])))),
    "where": C("fi", lambda c, a, b: torch.where(c.bool(), a, b),
               S(("mask", M), ("float", M), ("float", M)), S(("mask", M), ("float", M), ("float", [4])),
               S(("mask", [3, 1]), ("float", [1, 4]), ("float", [])), S(("mask", [0, 2]), ("float", [2]), ("float", [2])),
               S(I([1, 0, 1, 0]), L([nan, 1.0, inf, 2.0]), L([3.0, nan, 4.0, -inf])),
               S(I([2, -1, 0]), L([1.0, 2.0, 3.0]), L([4.0, 5.0, 6.0]))),
    "eq": cmp(torch.eq), "ne": cmp(torch.ne), "gt": cmp(torch.gt), "ge": cmp(torch.ge), "lt": cmp(torch.lt),
    "le": cmp(torch.le),
    # ---- reductions
    "sum": C("fi", torch.sum, S(("float", M)), S(("float", [])), S(("float", [0, 3])), S(("float", [1]))
             , S(L([inf, -inf, 1.0])), S(L([nan, 1.0])), S(L([inf, 1.0]))),
    "sum_dim1": C("fi", lambda x: torch.sum(x, 1), S(("float", M)), S(("float", [3, 1])), S(("float", [2, 0])),
                  S(("float", [0, 3])), S(L([[inf, 1.0], [nan, 2.0]]))),
    "sum_dims_keepdim": C("fi", lambda x: torch.sum(x, [0, 2], keepdim=True), S(("float", [2, 3, 4])),
                          S(("float", [1, 3, 1])), S(("float", [2, 0, 3]))),
    "sum_dims_negative": C("fi", lambda x: torch.sum(x, [-1]), S(("float", [2, 3, 4])), S(("float", [5]))),
    "mean": C("f", torch.mean, S(("float", M)), S(("float", [])), S(("float", [0, 3])), S(L([inf, 1.0])),
              S(L([nan, 1.0]))),
    "mean_dim0": C("f", lambda x: torch.mean(x, 0), S(("float", M)), S(("float", [1, 4])), S(("float", [0, 2])),
                   S(("float", [2, 3, 2]))),
    "mean_dims_keepdim": C("f", lambda x: torch.mean(x, [0, 2], keepdim=True), S(("float", [2, 3, 4]))),
    "var": C("f", torch.var, S(("float", M)), S(("float", [5])), S(L([2.0, 2.0, 2.0])), S(L([1.0, inf]))),
    "var_dim1": C("f", lambda x: torch.var(x, 1), S(("float", M)), S(("float", [2, 3, 4])),
                  S(("float", [3, 1]), gradcheck=False)),  # one element, unbiased: NaN
    "var_dim1_biased": C("f", lambda x: torch.var(x, 1, unbiased=False), S(("float", M)), S(("float", [3, 1]))),
    "var_dims_keepdim": C("f", lambda x: torch.var(x, [0, 2], keepdim=True), S(("float", [2, 3, 4]))),
    "max": C("fi", torch.max, S(("distinct", M)), S(("distinct", [])), S(("distinct", [1, 5])),
             S(L([[1.0, 3.0, 3.0], [0.0, 3.0, -1.0]])), S(L([1.0, nan, 2.0])), S(L([-inf, 2.0, inf]))),
    "min": C("fi", torch.min, S(("distinct", M)), S(("distinct", [])), S(("distinct", [1, 5])),
             S(L([[1.0, -3.0, -3.0], [0.0, -3.0, 1.0]])), S(L([1.0, nan, 2.0])), S(L([-inf, 2.0, inf]))),
    "max_dim1": C("fi", lambda x: torch.max(x, 1)[0], S(("distinct", M)), S(("distinct", [2, 3, 4])),
                  S(("distinct", [4, 1])), S(("distinct", [0, 3])), S(L([[1.0, 3.0, 3.0], [2.0, 2.0, -1.0]])),
                  S(L([[1.0, nan, 2.0], [inf, -inf, 0.0]]))),
    "max_dim1_indices": C("fi", lambda x: torch.max(x, 1)[1], S(("distinct", M)), S(("distinct", [4, 1])),
                          S(L([[1.0, 3.0, 3.0], [2.0, 2.0, -1.0]])), S(L([[1.0, nan, 2.0], [inf, -inf, 0.0]]))),
    "min_dim0_keepdim": C("fi", lambda x: torch.min(x, 0, keepdim=True)[0], S(("distinct", M)),
                          S(("distinct", [1, 3])), S(("distinct", [3, 0])),
                          S(L([[1.0, -3.0], [1.0, 2.0], [4.0, -3.0]]))),
    "min_dim0_indices": C("fi", lambda x: torch.min(x, 0)[1], S(("distinct", M)),
                          S(L([[1.0, -3.0], [1.0, 2.0], [4.0, -3.0]])), S(L([[nan, 0.0], [-inf, 1.0]]))),
    "argmax_dim1": C("fi", lambda x: torch.argmax(x, 1), S(("distinct", M)), S(("distinct", [2, 3, 4])),
                     S(("distinct", [3, 1])), S(L([[1.0, 3.0, 3.0], [2.0, 2.0, -1.0]])),
                     S(L([[1.0, nan, 2.0], [-inf, -inf, -inf]]))),
    "argmax_dim0_keepdim": C("fi", lambda x: torch.argmax(x, 0, keepdim=True), S(("distinct", M))),
    "argmin_dim0": C("fi", lambda x: torch.argmin(x, 0), S(("distinct", M)), S(("distinct", [1, 3])),
                     S(L([[1.0, -3.0], [1.0, 2.0], [4.0, -3.0]])), S(L([[nan, 0.0], [inf, inf]]))),
    # ---- matmul
    "matmul": C("fi", torch.matmul, S(("float", M), ("float", [4, 5])), S(("float", [4]), ("float", [4, 5])),
                S(("float", M), ("float", [4])), S(("float", [4]), ("float", [4])),
                S(("float", [2, 3, 4]), ("float", [4, 5])), S(("float", [2, 3, 4]), ("float", [2, 4, 5])),
                S(("float", [2, 1, 3, 4]), ("float", [3, 4, 2])), S(("float", [1, 1]), ("float", [1, 3])),
                S(("float", [3, 0]), ("float", [0, 4])), S(("float", [0, 3]), ("float", [3, 2])),
                S(L([[1.0, inf], [0.0, 1.0]]), L([[0.0, 1.0], [1.0, nan]])), S(L([[inf, 1.0]]), L([[0.0], [1.0]])),
                S(L([[1.0, -2.0], [3.0, 4.0]]), L([[2.0, 0.0], [-1.0, 5.0]]))),
    "bmm": C("fi", torch.bmm, S(("float", [2, 3, 4]), ("float", [2, 4, 5])), S(("float", [1, 1, 1]), ("float", [1, 1, 3])),
             S(("float", [0, 3, 4]), ("float", [0, 4, 2])), S(("float", [2, 3, 0]), ("float", [2, 0, 2])),
             S(L([[[1.0, inf], [0.0, 1.0]]]), L([[[0.0, 1.0], [1.0, nan]]]))),
    # ---- masks
    "masked_fill": C("fi", lambda x, m: x.masked_fill(m.bool(), 2.0), S(("float", M), ("mask", M)),
                     S(("float", M), ("mask", [4])), S(("float", [2, 3, 4]), ("mask", [3, 1])),
                     S(("float", []), ("mask", [])), S(("float", [0, 3]), ("mask", [3])),
                     S(L([nan, inf, 1.0, -inf]), I([1, 1, 0, 0])), S(L([1.0, 2.0, 3.0]), I([2, -1, 0]))),
    "masked_fill_neg_inf": C("f", lambda x, m: x.masked_fill(m.bool(), -inf), S(("float", M), ("mask", M)),
                             S(("float", [2, 3, 4]), ("mask", [3, 4]))),
    "masked_fill_fraction": C("fi", lambda x, m: x.masked_fill(m.bool(), -2.5), S(("float", M), ("mask", M)),
                              S(L([1.0, 2.0, 3.0]), I([1, 0, 1]))),
    "tril": C("fi", torch.tril, S(("float", M)), S(("float", [4, 3])), S(("float", [2, 3, 4])), S(("float", [1, 1])),
              S(("float", [0, 3])), S(("float", [3, 0])), S(L([[nan, inf], [1.0, -inf]]))),
    "tril_diag1": C("fi", lambda x: torch.tril(x, 1), S(("float", M)), S(("float", [2, 4, 3]))),
    "tril_diag_neg": C("fi", lambda x: torch.tril(x, -2), S(("float", M)), S(("float", [4, 3]))),
    "triu": C("fi", torch.triu, S(("float", M)), S(("float", [4, 3])), S(("float", [2, 3, 4])), S(("float", [1, 1])),
              S(("float", [0, 3])), S(("float", [3, 0])), S(L([[nan, inf], [-inf, nan]]))),
    "triu_diag1": C("fi", lambda x: torch.triu(x, 1), S(("float", M)), S(("float", [2, 4, 3]))),
    "triu_diag_neg": C("fi", lambda x: torch.triu(x, -1), S(("float", M)), S(("float", [4, 3]))),
    "triu_far": C("fi", lambda x: torch.triu(x, 10), S(("float", M))),
    # ---- joining and indexing
    "cat": C("fi", lambda a, b: torch.cat([a, b], 0), S(("float", [2, 3]), ("float", [4, 3])),
             S(("float", [0, 3]), ("float", [2, 3])), S(("float", [2]), ("float", [3])), S(SPECIAL, L([1.0]))),
    "cat_dim1": C("fi", lambda a, b: torch.cat([a, b], 1), S(("float", [2, 3]), ("float", [2, 2])),
                  S(("float", [2, 1, 2]), ("float", [2, 3, 2])), S(("float", [2, 0]), ("float", [2, 2]))),
    "stack": C("fi", lambda a, b: torch.stack([a, b], 0), S(("float", [2, 3]), ("float", [2, 3])),
               S(("float", []), ("float", [])), S(("float", [0, 2]), ("float", [0, 2]))),
    "stack_dim1": C("fi", lambda a, b: torch.stack([a, b], 1), S(("float", [2, 3]), ("float", [2, 3])),
                    S(("float", [3]), ("float", [3]))),
    "index_select": C("fi", lambda x, i: torch.index_select(x, 0, i), S(("float", [5, 3]), ("index5", [6])),
                      S(("float", [5]), ("index5", [2])), S(("float", [5, 3]), I([], [0])),
                      S(L([[inf, 1.0], [nan, 2.0]]), I([1, 1, 0]))),
    "index_select_dim1": C("fi", lambda x, i: torch.index_select(x, 1, i), S(("float", [2, 4]), ("index4", [3])),
                           S(("float", [2, 4, 2]), ("index4", [5]))),
    "index_add": C("fi", lambda x, i, s: torch.index_add(x, 0, i, s),
                   S(("float", [5, 3]), ("index5", [6]), ("float", [6, 3])),
                   S(("float", [4]), ("index4", [3]), ("float", [3])),
                   S(("float", [3, 2]), I([1, 1, 1]), ("float", [3, 2])),
                   S(("float", [3, 2]), I([], [0]), ("float", [0, 2])),
                   S(L([1.0, 2.0, 3.0]), I([0, 0, 2]), L([inf, -inf, nan]))),
    "index_add_dim1": C("fi", lambda x, i, s: torch.index_add(x, 1, i, s),
                        S(("float", [2, 4]), ("index4", [5]), ("float", [2, 5]))),
    "gather": C("fi", lambda x, i: torch.gather(x, 1, i), S(("float", M), ("index4", [3, 2])),
                S(("float", M), ("index4", [2, 6])), S(("float", M), I([], [3, 0])),
                S(L([[inf, nan], [1.0, 2.0]]), I([[0, 0, 1], [1, 1, 1]]))),
    "gather_dim0": C("fi", lambda x, i: torch.gather(x, 0, i), S(("float", M), ("index3", [2, 4])),
                     S(("float", [3, 4, 2]), ("index3", [2, 4, 2]))),
    "scatter_add": C("fi", lambda x, i, s: torch.scatter_add(x, 1, i, s),
                     S(("float", M), ("index4", [3, 2]), ("float", [3, 2])),
                     S(("float", M), ("index4", [2, 6]), ("float", [2, 6])),
                     S(L([[1.0, 2.0], [3.0, 4.0]]), I([[0, 0, 0], [1, 0, 1]]), L([[inf, 1.0, 2.0], [nan, 1.0, 1.0]]))),
    "scatter_add_dim0": C("fi", lambda x, i, s: torch.scatter_add(x, 0, i, s),
                          S(("float", M), ("index3", [5, 4]), ("float", [5, 4]))),
    "one_hot": C("i", lambda i: F.one_hot(i, 5), S(("index5", [4])), S(("index5", [2, 3])), S(I([], [0])),
                 S(I([4, 4, 0]))),
    "one_hot_inferred": C("i", lambda i: F.one_hot(i), S(I([0, 2, 1])), S(I([[3], [0]]))),
    "sum_to": C("fi", lambda x: x.sum_to_size(1, 4), S(("float", [3, 4])), S(("float", [1, 4])),
                S(("float", [2, 3, 4]))),
    "sum_to_col": C("fi", lambda x: x.sum_to_size(3, 1), S(("float", [3, 4])), S(("float", [2, 3, 4]))),
    "slice_backward": C("f", lambda g: torch.ops.aten.slice_backward(g, [5, 4], 0, 1, 5, 2),
                        S(("float", [2, 4])), S(L([inf, nan, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0], [2, 4]))),
    "slice_backward_dim1": C("f", lambda g: torch.ops.aten.slice_backward(g, [3, 6], 1, 2, 5, 1),
                             S(("float", [3, 3]))),
    # ---- scalars and operators
    "scalar_like": C("fi", lambda x: x * 2.5, *unary("float", SPECIAL)),
    "scalar_like_integral": C("fi", lambda x: x * (3 if not x.is_floating_point() else 3.0), *unary("float")),
    "operator_add": C("fi", lambda a, b: a + b, *binary("float", "float")),
    "operator_sub": C("fi", lambda a, b: a - b, *binary("float", "float")),
    "operator_mul": C("fi", lambda a, b: a * b, *binary("float", "float")),
    "operator_div": C("fi", lambda a, b: a / b, *binary("float", "positive")),
    "operator_neg": C("fi", lambda x: -x, *unary("float", SPECIAL)),
    "operator_add_scalar": C("f", lambda x: x + 1.5, *unary("float", SPECIAL)),
    "operator_sub_scalar": C("f", lambda x: x - 1.5, *unary("float", SPECIAL)),
    "operator_mul_scalar": C("f", lambda x: x * -1.5, *unary("float", SPECIAL)),
    "operator_div_scalar": C("f", lambda x: x / 0.5, *unary("float", SPECIAL)),
    "operator_scalar_add": C("f", lambda x: 1.5 + x, *unary("float")),
    "operator_scalar_sub": C("f", lambda x: 1.5 - x, *unary("float", SPECIAL)),
    "operator_scalar_mul": C("f", lambda x: -1.5 * x, *unary("float")),
    "operator_scalar_div": C("f", lambda x: 1.5 / x, *unary("positive", SPECIAL)),
    "operator_scalar_int": C("i", lambda x: (2 + x) * 3 - 1 - (7 - x), *unary("float")),
    # ---- Tensor methods (views and copies)
    "transpose": C("fi", lambda x: x.transpose(0, 2), S(("float", [2, 3, 4])), S(("float", [1, 3, 1])),
                   S(("float", [2, 0, 3]))),
    "permute": C("fi", lambda x: x.permute(2, 0, 1), S(("float", [2, 3, 4])), S(("float", [2, 1, 0]))),
    "slice": C("fi", lambda x: x[1:5:2], S(("float", [5, 4])), S(("float", [6])), S(("float", [2, 3]))),
    "slice_dim1": C("fi", lambda x: x[:, 2:9], S(("float", [2, 5])), S(("float", [2, 1]))),
    "narrow": C("fi", lambda x: x.narrow(1, 1, 3), S(("float", [3, 5])), S(("float", [1, 4, 2]))),
    "select": C("fi", lambda x: x.select(1, 2), S(("float", M)), S(("float", [2, 3, 4]))),
    "select_negative": C("fi", lambda x: x.select(-1, -1), S(("float", M)), S(("float", [1]))),
    # unbind: the slices 2 and 0 restacked, slice 1 unused (its gradient is zero)
    "unbind": C("fi", lambda x: (lambda p: torch.stack([p[2], p[0]], 0))(torch.unbind(x, 1)), S(("float", M)),
                S(("float", [2, 3, 4]))),
    "unbind_last": C("fi", lambda x: torch.unbind(x, -1)[0], S(("float", [3, 2])), S(("float", [2, 3, 1]))),
    "expand": C("fi", lambda x: x.expand(2, 3, 4), S(("float", [3, 1])), S(("float", [])), S(("float", [1, 4]))),
    "expand_keep": C("fi", lambda x: x.expand(-1, 4), S(("float", [3, 1])), S(("float", [2, 4]))),
    "expand_as": C("fi", lambda x, y: x.expand_as(y), S(("float", [3, 1]), ("float", [2, 3, 4])),
                   S(("float", [0, 1]), ("float", [0, 5]))),
    "squeeze": C("fi", lambda x: x.squeeze(), S(("float", [3, 1, 4])), S(("float", [1, 1])),
                 S(("float", [2, 3]))),
    "squeeze_dim": C("fi", lambda x: x.squeeze(1), S(("float", [3, 1, 4])), S(("float", M))),
    "unsqueeze": C("fi", lambda x: x.unsqueeze(1), S(("float", M)), S(("float", [3])), S(("float", [0, 2]))),
    "unsqueeze_last": C("fi", lambda x: x.unsqueeze(-1), S(("float", M)), S(("float", [])))
    ,
    "flatten": C("fi", lambda x: x.flatten(1), S(("float", [2, 3, 4])), S(("float", [2, 0, 3]))),
    "flatten_all": C("fi", lambda x: x.flatten(), S(("float", [2, 3, 4])), S(("float", [])), S(("float", [5]))),
    "reshape": C("fi", lambda x: x.reshape(2, 6), S(("float", M)), S(("float", [12])), S(("float", [2, 2, 3]))),
    "reshape_infer": C("fi", lambda x: x.reshape(-1, 3), S(("float", M)), S(("float", [0, 3]))),
    "view": C("fi", lambda x: x.view(4, 3), S(("float", M)), S(("float", [12]))),
    "t": C("fi", lambda x: x.t(), S(("float", M)), S(("float", [1, 5])), S(("float", [3]))),
    "contiguous": C("fi", lambda x: x.contiguous(), S(("float", M)), S(SPECIAL)),
    "clone": C("fi", lambda x: x.clone(), S(("float", M)), S(("float", [])), S(SPECIAL)),
    "detach": C("fi", lambda x: x.detach(), S(("float", M)), S(SPECIAL)),
    "to_dtype": C("fi", lambda x: x.float().double() if x.dtype == torch.float64 else x.double().float()
                  if x.dtype == torch.float32 else x.double(), S(("float", M)), S(SPECIAL), S(L([0.1, 1e-50, 1e300]))),
    "to_int": C("f", lambda x: x.long(), S(L([2.7, -2.7, 0.5, -0.0, 1e9]))),
    "to_device": C("fi", lambda x: x.to("cpu"), S(("float", M)), S(SPECIAL)),
    # ---- ops as Tensor methods (x.sum(), x.relu(), ...: each forwards to the function of the same name)
    "method_sum": C("fi", lambda x: x.sum(), S(("float", M)), S(("float", [2, 3, 4]))),
    "method_sum_dims": C("fi", lambda x: x.sum([0], keepdim=True), S(("float", M)), S(("float", [2, 3, 4]))),
    "method_mean": C("f", lambda x: x.mean(), S(("float", M)), S(("float", [2, 3, 4]))),
    "method_mean_dims": C("f", lambda x: x.mean([1]), S(("float", M)), S(("float", [2, 3, 4]))),
    "method_var": C("f", lambda x: x.var([1]), S(("float", M)), S(("float", [2, 3, 4]))),
    "method_max": C("fi", lambda x: x.max(), S(("distinct", M)), S(("distinct", [2, 3, 4]))),
    "method_min": C("fi", lambda x: x.min(), S(("distinct", M)), S(("distinct", [2, 3, 4]))),
    "method_argmax": C("fi", lambda x: x.argmax(1), S(("distinct", M)), S(("distinct", [2, 3, 4]))),
    "method_argmin": C("fi", lambda x: x.argmin(0), S(("distinct", M)), S(("distinct", [2, 3, 4]))),
    "method_neg": C("fi", lambda x: x.neg(), *unary("float")[:2]),
    "method_abs": C("fi", lambda x: x.abs(), *unary("offgrid")[:2]),
    "method_sign": C("fi", lambda x: x.sign(), *unary("offgrid")[:2]),
    "method_exp": C("fi", lambda x: x.exp(), *unary("float")[:2]),
    "method_log": C("fi", lambda x: x.log(), *unary("positive")[:2]),
    "method_sqrt": C("fi", lambda x: x.sqrt(), *unary("positive")[:2]),
    "method_sin": C("fi", lambda x: x.sin(), *unary("float")[:2]),
    "method_cos": C("fi", lambda x: x.cos(), *unary("float")[:2]),
    "method_erf": C("fi", lambda x: x.erf(), *unary("float")[:2]),
    "method_tanh": C("fi", lambda x: x.tanh(), *unary("float")[:2]),
    "method_sigmoid": C("fi", lambda x: x.sigmoid(), *unary("float")[:2]),
    "method_relu": C("fi", lambda x: x.relu(), *unary("offgrid")[:2]),
    "method_pow_scalar": C("f", lambda x: x.pow(2.5), *unary("positive")[:2]),
    "method_pow_tensor": C("f", lambda x, y: x.pow(y), *binary("positive", "float")[:2]),
    "method_clamp": C("fi", lambda x: x.clamp(-1, 1), *unary("offgrid")[:2]),
    "method_softmax": C("f", lambda x: x.softmax(1), S(("float", M)), S(("float", [2, 3, 4]))),
    "method_log_softmax": C("f", lambda x: x.log_softmax(1), S(("float", M)), S(("float", [2, 3, 4]))),
    "method_add": C("fi", lambda a, b: a.add(b, alpha=2), *binary("float", "float")[:2]),
    "method_sub": C("fi", lambda a, b: a.sub(b), *binary("float", "float")[:2]),
    "method_mul": C("fi", lambda a, b: a.mul(b), *binary("float", "float")[:2]),
    "method_div": C("fi", lambda a, b: a.div(b), *binary("float", "positive")[:2]),
    "method_matmul": C("fi", lambda a, b: a.matmul(b), S(("float", M), ("float", [4, 5])),
                       S(("float", [2, 3, 4]), ("float", [4, 2]))),
    "method_masked_fill": C("fi", lambda x, m: x.masked_fill(m.bool(), 2.0), S(("float", M), ("mask", M)),
                            S(("float", [2, 3, 4]), ("mask", [3, 1]))),
    "method_tril": C("fi", lambda x: x.tril(1), S(("float", M)), S(("float", [2, 4, 3]))),
    "method_triu": C("fi", lambda x: x.triu(-1), S(("float", M)), S(("float", [2, 4, 3]))),
    "method_index_select": C("fi", lambda x, i: x.index_select(0, i), S(("float", [5, 3]), ("index5", [4])),
                             S(("float", [5]), ("index5", [2]))),
    "method_gather": C("fi", lambda x, i: x.gather(1, i), S(("float", M), ("index4", [3, 2])),
                       S(("float", M), ("index4", [2, 6]))),
    "method_sum_to_size": C("fi", lambda x: x.sum_to_size(1, 4), S(("float", [3, 4])), S(("float", [2, 3, 4]))),
    # ---- neural-network ops (NnOps.h)
    "conv2d": C("f", F.conv2d, S(("float", [2, 3, 5, 5]), ("float", [4, 3, 3, 3]), ("float", [4])),
                S(("float", [3, 4, 4]), ("float", [2, 3, 2, 2]), ("float", [2])),
                S(("float", [1, 1, 3, 3]), ("float", [1, 1, 3, 3]), ("float", [1])),
                S(L([[[[1.0, inf, 0.0], [0.0, 1.0, 2.0], [nan, 1.0, 1.0]]]]), L([[[[1.0, 0.0], [0.0, 1.0]]]]),
                  L([0.5]))),
    "conv2d_stride_padding": C("f", lambda x, w, b: F.conv2d(x, w, b, stride=(2, 1), padding=(1, 2)),
                               S(("float", [2, 3, 6, 7]), ("float", [4, 3, 3, 2]), ("float", [4])),
                               S(("float", [1, 1, 2, 2]), ("float", [2, 1, 3, 3]), ("float", [2]))),
    "conv2d_dilation": C("f", lambda x, w, b: F.conv2d(x, w, b, padding=(2, 1), dilation=(2, 1)),
                         S(("float", [1, 2, 7, 6]), ("float", [3, 2, 3, 3]), ("float", [3]))),
    "conv2d_groups": C("f", lambda x, w, b: F.conv2d(x, w, b, stride=2, padding=1, groups=2),
                       S(("float", [2, 4, 5, 5]), ("float", [6, 2, 3, 3]), ("float", [6]))),
    "conv2d_depthwise_nobias": C("f", lambda x, w: F.conv2d(x, w, None, stride=(1, 2), groups=3),
                                 S(("float", [1, 3, 5, 4]), ("float", [3, 1, 2, 2]))),
    "conv2d_stride3_unused": C("f", lambda x, w, b: F.conv2d(x, w, b, stride=3),
                               S(("float", [1, 2, 8, 7]), ("float", [2, 2, 3, 2]), ("float", [2]))),
    "max_pool2d": C("f", lambda x: F.max_pool2d(x, 2), S(("distinct", [2, 3, 4, 4])), S(("distinct", [2, 3, 3]))
                    , S(L([[[[1.0, 1.0], [1.0, 0.0]], [[nan, 1.0], [2.0, 3.0]], [[-inf, -inf], [-inf, -inf]]]]))),
    "max_pool2d_stride_padding": C("f", lambda x: F.max_pool2d(x, 3, stride=2, padding=1),
                                   S(("distinct", [1, 2, 7, 6])), S(("distinct", [1, 1, 3, 3]))),
    "max_pool2d_rect": C("f", lambda x: F.max_pool2d(x, (2, 3), stride=(1, 2)), S(("distinct", [2, 2, 5, 7]))),
    "avg_pool2d": C("f", lambda x: F.avg_pool2d(x, 2), S(("float", [2, 3, 4, 4])), S(("float", [1, 5, 5])),
                    S(L([[[[1.0, inf], [1.0, 0.0]], [[nan, 1.0], [2.0, 3.0]]]]))),
    "avg_pool2d_stride_padding": C("f", lambda x: F.avg_pool2d(x, 3, stride=2, padding=1),
                                   S(("float", [1, 2, 7, 6])), S(("float", [1, 1, 2, 2]))),
    "avg_pool2d_rect": C("f", lambda x: F.avg_pool2d(x, (2, 3), stride=(1, 2), padding=(1, 1)),
                         S(("float", [2, 2, 5, 7]))),
    "adaptive_avg_pool2d": C("f", lambda x: F.adaptive_avg_pool2d(x, (3, 2)), S(("float", [2, 3, 6, 4])),
                             S(("float", [1, 7, 5])), S(("float", [1, 1, 3, 2]))),
    "adaptive_avg_pool2d_nondivisible": C("f", lambda x: F.adaptive_avg_pool2d(x, (3, 4)),
                                          S(("float", [1, 2, 7, 5])), S(("float", [1, 1, 2, 2]))),
    "adaptive_avg_pool2d_global": C("f", lambda x: F.adaptive_avg_pool2d(x, 1), S(("float", [2, 3, 5, 5])),
                                    S(L([[[[1.0, inf], [nan, 0.0]]]]))),
    "batch_norm_train": C("f", lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True),
                          S(("float", [4, 3, 3, 3]), ("positive", [3]), ("float", [3])),
                          S(("float", [5, 3]), ("positive", [3]), ("float", [3])),
                          S(("float", [2, 3, 4]), ("positive", [3]), ("float", [3])),
                          S(L([[1.0, 2.0], [1.0, 5.0]]), L([1.0, 2.0]), L([0.0, 1.0]))),
    "batch_norm_train_eps": C("f", lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True, eps=1e-3),
                              S(("float", [5, 4]), ("positive", [4]), ("float", [4]))),
    "batch_norm_train_noaffine": C("f", lambda x: F.batch_norm(x, None, None, training=True),
                                   S(("float", [3, 2, 4])), S(("float", [2, 2, 2, 2]))),
    "batch_norm_eval": C("f", lambda x, w, b: F.batch_norm(x, torch.tensor([0.1, -0.2, 0.3], dtype=x.dtype),
                                                           torch.tensor([0.5, 1.5, 2.0], dtype=x.dtype), w, b,
                                                           training=False),
                         S(("float", [2, 3, 2, 2]), ("positive", [3]), ("float", [3])),
                         S(("float", [4, 3]), ("positive", [3]), ("float", [3]))),
    "layer_norm": C("f", lambda x, w, b: F.layer_norm(x, [5], w, b),
                    S(("float", [3, 4, 5]), ("positive", [5]), ("float", [5])),
                    S(("float", [5]), ("positive", [5]), ("float", [5])),
                    S(L([[1.0, 1.0, 1.0, 1.0, 1.0], [0.0, inf, 0.0, 0.0, 0.0]]), L([1.0] * 5), L([0.0] * 5)),
                    S(("float", [0, 5]), ("positive", [5]), ("float", [5]))),
    "layer_norm_2d": C("f", lambda x, w, b: F.layer_norm(x, [3, 4], w, b, eps=1e-3),
                       S(("float", [2, 3, 4]), ("positive", [3, 4]), ("float", [3, 4]))),
    "layer_norm_noaffine": C("f", lambda x: F.layer_norm(x, [6]), S(("float", [4, 6])), S(("float", [2, 1, 6]))),
    "embedding": C("f", lambda w, i: F.embedding(i, w), S(("float", [6, 3]), ("index6", [2, 4])),
                   S(("float", [6, 3]), I([5, 5, 0])), S(("float", [6, 3]), I([], [0])),
                   S(("float", [6, 3]), I(2))),
    # attention: q, k, v (and a mask)
    "sdpa": C("f", sdpa, S(("float", [2, 3, 4]), ("float", [2, 5, 4]), ("float", [2, 5, 6])),
              S(("float", [2, 2, 3, 4]), ("float", [2, 2, 3, 4]), ("float", [2, 2, 3, 4])),
              S(("float", [1, 4]), ("float", [1, 4]), ("float", [1, 2])),
              S(("float", [3, 4]), ("float", [2, 1, 5, 4]), ("float", [5, 2])),
              S(("float", [2, 0, 4]), ("float", [2, 5, 4]), ("float", [2, 5, 6])),
              S(L([[1.0, 0.0], [0.0, 1.0]]), L([[1.0, 0.0], [inf, 0.0]]), L([[1.0, 2.0], [3.0, 4.0]]))),
    "sdpa_causal": C("f", lambda q, k, v: sdpa(q, k, v, is_causal=True),
                     S(("float", [2, 4, 3]), ("float", [2, 4, 3]), ("float", [2, 4, 3])),
                     S(("float", [3, 4]), ("float", [5, 4]), ("float", [5, 2])),
                     S(("float", [5, 4]), ("float", [3, 4]), ("float", [3, 2]))),
    "sdpa_bool_mask": C("f", lambda q, k, v, m: sdpa(q, k, v, m),
                        S(("float", [2, 3, 4]), ("float", [2, 5, 4]), ("float", [2, 5, 2]),
                          I([[1, 0, 1, 1, 0], [0, 1, 1, 0, 0], [1, 1, 1, 1, 1]]), gradcheck=True),
                        S(("float", [2, 3, 4]), ("float", [2, 5, 4]), ("float", [2, 5, 2]), I([1, 1, 0, 0, 1]),
                          gradcheck=True),
                        S(("float", [3, 4]), ("float", [5, 4]), ("float", [5, 2]), I([[2, 0, 0, 0, 0]] * 3),
                          gradcheck=True)),
    "sdpa_float_mask": C("f", lambda q, k, v, m: sdpa(q, k, v, m),
                         S(("float", [2, 3, 4]), ("float", [2, 5, 4]), ("float", [2, 5, 2]), ("float", [3, 5])),
                         S(("float", [3, 4]), ("float", [5, 4]), ("float", [5, 2]), ("float", [2, 3, 5])),
                         S(("float", [3, 4]), ("float", [5, 4]), ("float", [5, 2]),
                           L([[0.0, -inf, 1.0, -inf, 0.5]] * 3))),
    "sdpa_scale": C("f", lambda q, k, v: sdpa(q, k, v, scale=0.3),
                    S(("float", [2, 3, 4]), ("float", [2, 5, 4]), ("float", [2, 5, 6]))),
    "sdpa_dropout_p1": C("f", lambda q, k, v: sdpa(q, k, v, dropout_p=1.0),
                         S(("float", [2, 3, 4]), ("float", [2, 5, 4]), ("float", [2, 5, 6]))),
    "dropout_eval": C("f", lambda x: F.dropout(x, 0.5, training=False), S(("float", M)), S(SPECIAL)),
    "dropout_p0": C("f", lambda x: F.dropout(x, 0.0, training=True), S(("float", M)), S(("float", [0])),
                    S(SPECIAL)),
    "dropout_p1": C("f", lambda x: F.dropout(x, 1.0, training=True), S(("float", M)), S(L([1.0, inf, -2.0]))),
    # the random mask, checked without its randomness: kept elements are exactly 2x (p = 0.5), dropped ones 0,
    # so where(y != 0, y * 0.5, x) is x whatever the mask (and its gradient is the identity)
    "dropout_train": C("f", lambda x: (lambda y: torch.where(y != 0, y * 0.5, x))(F.dropout(x, 0.5, training=True)),
                       S(("offgrid", [4, 5])), S(("offgrid", [0, 2])), S(L([1.0, -2.0, 3.0]))),
    # ---- optimizer steps (their kernel slots are in the registry too): two steps, a fixed gradient
    "sgd_step": C("f", optim_step(lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, weight_decay=0.01)),
                  S(("float", M), ("float", M)), S(("float", [0]), ("float", [0])),
                  S(L([1.0, -1.0, 0.0]), L([0.0, 1e-3, -2.0]))),
    "adam_step": C("f", optim_step(lambda p: torch.optim.Adam(p, lr=0.1, weight_decay=0.01)),
                   S(("float", M), ("float", M)), S(L([1.0, -1.0, 0.0]), L([0.0, 1e-3, -2.0]))),
    "rmsprop_step": C("f", optim_step(lambda p: torch.optim.RMSprop(p, lr=0.01, momentum=0.5, centered=True)),
                      S(("float", M), ("float", M)), S(L([1.0, -1.0, 0.0]), L([0.0, 1e-3, -2.0]))),
}


# ------------------------------------------------------------------ running and writing
def enc(t, f32=False):
    """Values as JSON: non-finite floats as the strings "nan", "inf", "-inf"; float32 with 9 digits."""
    out = []
    for v in t.detach().reshape(-1).tolist():
        if isinstance(v, float):
            if math.isnan(v):
                v = "nan"
            elif math.isinf(v):
                v = "inf" if v > 0 else "-inf"
            elif f32:
                v = float("%.9g" % v)
        out.append(v)
    return out


DTYPES = {"f64": torch.float64, "f32": torch.float32, "i64": torch.int64}
DTYPE_NAMES = {torch.float64: "f64", torch.float32: "f32", torch.int64: "i64"}


def run(case_name, si, fn, dtype, inputs, float_mask):
    xs = []
    for x, is_float in zip(inputs, float_mask):
        if is_float and dtype.is_floating_point:
            xs.append(x.to(dtype).requires_grad_(True))
        elif is_float:
            xs.append(x.to(dtype))
        else:
            xs.append(x)
    out = fn(*xs)
    rec = {"dtype": DTYPE_NAMES[out.dtype], "shape": list(out.shape),
           "values": enc(out, out.dtype == torch.float32)}
    if out.is_floating_point() and out.requires_grad:
        g = torch.Generator().manual_seed(zlib.crc32(("%s/%d" % (case_name, si)).encode()) % (2**31) + 7)
        w = torch.randn(out.shape, generator=g, dtype=torch.float64)
        grads = torch.autograd.grad(out, [x for x in xs if x.requires_grad], w.to(out.dtype), allow_unused=True)
        it = iter(grads)
        gl = []
        for x in xs:
            if not x.requires_grad:
                gl.append(None)
                continue
            gr = next(it)
            gl.append(None if gr is None else enc(gr, dtype == torch.float32))  # None: no gradient
        rec["grad_output"] = enc(w)
        rec["grads"] = gl
    return rec


def main():
    torch.set_num_threads(1)
    cases = {}
    for name, case in CASES.items():
        # Seeded by the case's name, not its position: a new case leaves every other case's inputs as they were.
        g = torch.Generator().manual_seed(zlib.crc32(name.encode()) % (2**31) + 1000)
        samples = []
        for si, s in enumerate(case.samples):
            inputs, float_mask = [], []
            for spec in s.inputs:
                if isinstance(spec, (L, I)):
                    x = spec.t
                else:
                    x = draw(spec[0], spec[1], g)
                inputs.append(x)
                float_mask.append(x.is_floating_point())
            rec = {"gradcheck": s.gradcheck,
                   "inputs": [{"shape": list(x.shape), "int": not f, "values": enc(x)}
                              for x, f in zip(inputs, float_mask)]}
            for dt in case.dtypes.replace("f", "f64 f32 ").replace("i", "i64").split():
                if dt == "i64":
                    ints = [to_int(x) if f else x for x, f in zip(inputs, float_mask)]
                    if any(v is None for v in ints):
                        continue
                    rec["i64_inputs"] = [enc(v) for v in ints]
                    rec["i64"] = run(name, si, case.fn, torch.int64, ints, [False] * len(ints))
                    continue
                if not any(float_mask):
                    continue  # an int-only sample (e.g. clamp of I([..])) runs as int64 only
                rec[dt] = run(name, si, case.fn, DTYPES[dt], inputs, float_mask)
            samples.append(rec)
        cases[name] = {"dtypes": case.dtypes, "samples": samples}
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "ops_reference.json")
    # One case per line: diffs of a regenerated file show which cases changed.
    with open(out, "w") as f:
        f.write('{"generator": "tests/reference/make_fixtures.py", "torch_version": %s, "cases": {\n'
                % json.dumps(torch.__version__))
        f.write(",\n".join("%s: %s" % (json.dumps(k), json.dumps(v, allow_nan=False, separators=(",", ":")))
                           for k, v in cases.items()))
        f.write("\n}}\n")
    n = sum(len(c["samples"]) for c in cases.values())
    print(f"wrote {len(cases)} cases, {n} samples to {out} ({os.path.getsize(out)} bytes)")


if __name__ == "__main__":
    main()
