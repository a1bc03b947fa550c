"""The op table's cases (tests/reference/make_fixtures.py, the same cases tests/engine/OpTable.h runs in C++)
run through the Python module against PyTorch itself: values and gradients, float64 within 1e-6, float32
within 1e-5, int64 exactly.

Each case's function is PyTorch code (`lambda x: torch.clamp(x, min=0)`, `lambda x: x[1:5:2]`,
`F.conv2d(x, w, b, stride=(2, 1))`). The case table is loaded twice: once as it is, once with `torch`
meaning `neura` and `F` meaning `neura.nn.functional`; so each case runs the same code on both, which
checks the API's names and semantics as much as the values. The few calls that have no neura spelling
(PyTorch internals, bool tensors) are in NEURA_SPELLING below, each with its reason."""
import importlib.util
import math
import os
import sys
import types
import zlib

import numpy as np
import pytest
import torch

import neura

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "reference", "make_fixtures.py")


def load_cases(as_neura):
    name = "cases_neura" if as_neura else "cases_torch"
    spec = importlib.util.spec_from_file_location(name, FIXTURES)
    mod = importlib.util.module_from_spec(spec)
    if as_neura:
        saved = sys.modules["torch"]
        fake = types.ModuleType("torch")
        fake.__dict__.update({k: getattr(neura, k) for k in dir(neura) if not k.startswith("__")})
        fake.nn = types.SimpleNamespace(functional=neura.nn.functional)
        fake.optim = neura.optim
        fake.Generator = torch.Generator
        sys.modules["torch"] = fake
        try:
            spec.loader.exec_module(mod)
        finally:
            sys.modules["torch"] = saved
    else:
        spec.loader.exec_module(mod)
    return mod


T = load_cases(False)
N = load_cases(True)
NF = neura.nn.functional

# Calls with no neura spelling of their own: PyTorch internals (torch.ops.aten) and sdpa's helper, which
# builds PyTorch bool tensors (~mask); neura has the fused op PyTorch 2 has.
NEURA_SPELLING = {
    "slice_backward": lambda g: neura.slice_backward(g, [5, 4], 0, 1, 5, 2),
    "slice_backward_dim1": lambda g: neura.slice_backward(g, [3, 6], 1, 2, 5, 1),
    "sdpa": lambda q, k, v: NF.scaled_dot_product_attention(q, k, v),
    "sdpa_causal": lambda q, k, v: NF.scaled_dot_product_attention(q, k, v, is_causal=True),
    "sdpa_bool_mask": lambda q, k, v, m: NF.scaled_dot_product_attention(q, k, v, m),
    "sdpa_float_mask": lambda q, k, v, m: NF.scaled_dot_product_attention(q, k, v, m),
    "sdpa_scale": lambda q, k, v: NF.scaled_dot_product_attention(q, k, v, scale=0.3),
    "sdpa_dropout_p1": lambda q, k, v: NF.scaled_dot_product_attention(q, k, v, dropout_p=1.0),
}

TOL = {torch.float64: 1e-6, torch.float32: 1e-5}
DTYPE_KEY = {torch.float64: "f64", torch.float32: "f32", torch.int64: "i64"}


def known_failures():
    """The engine's documented differences from PyTorch, read from the C++ op test's one list
    (kKnownFailures in tests/engine/tst_ops.cpp): {(key, stage)}. As there, such a check must still fail:
    a fixed difference fails this test until its entry is removed."""
    import re
    with open(os.path.join(HERE, "..", "engine", "tst_ops.cpp")) as f:
        text = f.read()
    body = text[text.index("kKnownFailures[] = {"):]
    body = body[:body.index("};")]
    return set(re.findall(r'\{"([^"]+)", "([a-z_]+)",', body))


KNOWN = known_failures()


def known(name, si, dtype, stage):
    return (("%s/s%d" % (name, si), stage) in KNOWN or
            ("%s/s%d/%s" % (name, si, DTYPE_KEY[dtype]), stage) in KNOWN)


def check(expected_to_fail, fn, *args):
    """Runs one comparison; a known difference must still differ."""
    if not expected_to_fail:
        fn(*args)
        return
    try:
        fn(*args)
    except AssertionError:
        return
    raise AssertionError("%s now matches PyTorch: remove its entry from kKnownFailures in tests/engine/tst_ops.cpp"
                         % args[-1])
NEURA_DTYPE = {torch.float64: neura.float64, torch.float32: neura.float32, torch.int64: neura.int64}


def samples(name):
    """The case's inputs exactly as make_fixtures.py draws them (same generator, same seed)."""
    case = T.CASES[name]
    g = torch.Generator().manual_seed(zlib.crc32(name.encode()) % (2**31) + 1000)
    out = []
    for s in case.samples:
        xs = [spec.t if isinstance(spec, (T.L, T.I)) else T.draw(spec[0], spec[1], g) for spec in s.inputs]
        out.append(xs)
    return out


def assert_close(got, want, dtype, what):
    assert tuple(got.shape) == tuple(want.shape), "%s: shape %s, PyTorch %s" % (what, got.shape, want.shape)
    g = np.asarray(got.detach().numpy(), dtype=np.float64)
    w = want.detach().double().numpy()
    if dtype == torch.int64:
        assert np.array_equal(g, w), "%s: %s, PyTorch %s" % (what, g, w)
        return
    tol = TOL[dtype]
    same_nan = np.isnan(g) == np.isnan(w)
    assert same_nan.all(), "%s: NaN at different places: %s vs PyTorch %s" % (what, g, w)
    fin = np.isfinite(w)
    assert np.array_equal(g[~fin & ~np.isnan(w)], w[~fin & ~np.isnan(w)]), "%s: infinities differ" % what
    err = np.abs(g[fin] - w[fin]) / np.maximum(1.0, np.abs(w[fin]))
    assert err.size == 0 or err.max() <= tol, "%s: worst error %g > %g\n%s\nPyTorch\n%s" % (what, err.max(), tol, g, w)


def run_case(name, dtype):
    case = T.CASES[name]
    fn_torch = case.fn
    fn_neura = NEURA_SPELLING.get(name, N.CASES[name].fn)
    ran = 0
    for si, xs in enumerate(samples(name)):
        floats = [x.is_floating_point() for x in xs]
        if dtype == torch.int64:
            xs = [T.to_int(x) if f else x for x, f in zip(xs, floats)]
            if any(x is None for x in xs):
                continue
            floats = [False] * len(xs)
        elif not any(floats):
            continue
        tx = [x.to(dtype).requires_grad_(True) if f else x.clone() for x, f in zip(xs, floats)]
        nx = [neura.tensor(x.detach().numpy(), dtype=NEURA_DTYPE[x.dtype]).requires_grad_(f)
              for x, f in zip(tx, floats)]
        want = fn_torch(*tx)
        got = fn_neura(*nx)
        what = "%s[%d] %s" % (name, si, dtype)
        assert got.dtype == NEURA_DTYPE[want.dtype], "%s: dtype %s, PyTorch %s" % (what, got.dtype, want.dtype)
        check(known(name, si, dtype, "output"), assert_close, got, want,
              want.dtype if want.is_floating_point() else torch.int64, what)
        ran += 1
        if known(name, si, dtype, "output"):
            continue  # as the C++ test, a known difference in the values ends the sample's checks
        if not (want.is_floating_point() and want.requires_grad):
            continue
        w = torch.randn(want.shape, generator=torch.Generator().manual_seed(si + 17), dtype=torch.float64)
        inputs_t = [x for x in tx if x.requires_grad]
        inputs_n = [x for x, f in zip(nx, floats) if f]
        gt = torch.autograd.grad(want, inputs_t, w.to(want.dtype), allow_unused=True)
        gn = neura.autograd.grad(got, inputs_n, neura.tensor(w.numpy(), dtype=got.dtype), allow_unused=True)
        def compare_grads(gn, gt, what):
            for i, (a, b) in enumerate(zip(gn, gt)):
                if b is None:
                    assert a is None or not np.any(a.numpy()), "%s: gradient %d where PyTorch has none" % (what, i)
                    continue
                assert a is not None, "%s: no gradient for input %d" % (what, i)
                assert_close(a, b, dtype, what + " grad %d" % i)
        check(known(name, si, dtype, "grad"), compare_grads, gn, gt, what)
    return ran


@pytest.mark.parametrize("name", list(T.CASES))
def test_case_against_torch(name):
    case = T.CASES[name]
    dtypes = [torch.float64, torch.float32] + ([torch.int64] if "i" in case.dtypes else [])
    if case.dtypes == "i":
        dtypes = [torch.int64]
    ran = sum(run_case(name, dt) for dt in dtypes)
    assert ran > 0, "%s: no sample ran" % name


def test_every_case_runs_through_neura_code():
    """The neura copy of the table holds neura callables: a case silently running PyTorch on both sides
    would prove nothing."""
    x = neura.tensor([1.0, -2.0])
    for name in ("exp", "relu", "gelu", "sum", "matmul"):
        fn = N.CASES[name].fn
        args = [x] if name not in ("matmul",) else [x, x]
        assert isinstance(fn(*args), neura.Tensor), name
