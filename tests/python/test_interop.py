"""Memory shared with NumPy and PyTorch (no copies, both ways), tensor basics with PyTorch's semantics,
and engine errors as the right Python exceptions."""
import gc
import os

import numpy as np
import pytest
import torch

import neura


# ------------------------------------------------------------------ NumPy
def test_from_numpy_shares_memory_both_ways():
    a = np.arange(12, dtype=np.float32).reshape(3, 4)
    t = neura.from_numpy(a)
    assert t.data_ptr() == a.ctypes.data
    a[1, 2] = 100.0                      # NumPy writes, the tensor sees it
    assert t[1, 2].item() == 100.0
    t[0, 0] = -5.0                       # the tensor writes, NumPy sees it
    assert a[0, 0] == -5.0
    t.mul_(2.0)                          # an engine op in place
    assert a[2, 3] == 22.0


def test_from_numpy_strided_array_is_a_strided_view():
    base = np.arange(24, dtype=np.float64).reshape(4, 6)
    view = base[::2, 1::3]               # strides (96, 24) bytes
    t = neura.from_numpy(view)
    assert t.shape == (2, 2) and t.stride() == (12, 3)
    assert not t.is_contiguous()
    assert t.tolist() == view.tolist()
    base[2, 4] = -1.0
    assert t[1, 1].item() == -1.0        # still the array's memory
    tt = neura.from_numpy(base.T)        # a transposed (Fortran-ordered) array
    assert tt.stride() == (1, 6) and tt.tolist() == base.T.tolist()


def test_from_numpy_keeps_the_array_alive():
    a = np.ones(1000, dtype=np.float64) * 3.0
    t = neura.from_numpy(a)
    del a
    gc.collect()
    assert t.sum().item() == 3000.0


def test_numpy_shares_memory_and_keeps_the_tensor_alive():
    t = neura.arange(6, dtype=neura.float32).reshape(2, 3)
    a = t.numpy()
    assert a.ctypes.data == t.data_ptr()
    t.add_(1.0)
    assert a.tolist() == [[1, 2, 3], [4, 5, 6]]
    a[0, 0] = 42.0
    assert t[0, 0].item() == 42.0
    col = t[:, 1].numpy()                # a strided view
    assert col.strides == (12,) and col.tolist() == [2.0, 5.0]
    del t
    gc.collect()
    assert a.sum() == 42 + 2 + 3 + 4 + 5 + 6
    assert np.asarray(neura.ones(2, 2)).sum() == 4.0  # __array__


def test_numpy_refuses_what_pytorch_refuses():
    x = neura.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="requires grad"):
        x.numpy()
    assert x.detach().numpy().tolist() == [1.0, 1.0, 1.0]
    with pytest.raises(TypeError, match="float32, float64 or int64"):
        neura.from_numpy(np.ones(3, dtype=np.int8))


# ------------------------------------------------------------------ DLPack with PyTorch
def test_dlpack_from_torch_shares_memory():
    src = torch.arange(12, dtype=torch.float64).reshape(3, 4)
    t = neura.from_dlpack(src)
    assert t.data_ptr() == src.data_ptr()
    assert t.dtype == neura.float64 and t.shape == (3, 4)
    src[2, 3] = 99.0
    assert t[2, 3].item() == 99.0
    t[0, 1] = -7.0
    assert src[0, 1].item() == -7.0
    st = neura.from_dlpack(src.t())      # a transposed view stays strided
    assert st.stride() == (1, 4) and st.tolist() == src.t().tolist()
    del src
    gc.collect()
    assert t.sum().item() == pytest.approx(sum(range(12)) - 11 + 99 - 1 - 7)


def test_dlpack_to_torch_shares_memory():
    t = neura.randn(4, 5)
    u = torch.from_dlpack(t)
    assert u.data_ptr() == t.data_ptr() and u.dtype == torch.float32 and tuple(u.shape) == (4, 5)
    u.mul_(0.0)
    assert t.abs().sum().item() == 0.0
    t.fill_(2.5)
    assert u.sum().item() == 50.0
    i = neura.arange(10)[::3]
    ui = torch.from_dlpack(i)
    assert ui.tolist() == [0, 3, 6, 9] and ui.stride() == (3,)
    del t
    gc.collect()
    assert u.sum().item() == 50.0        # the capsule keeps the engine's storage alive


# ------------------------------------------------------------------ basics with PyTorch's semantics
def test_creation_dtypes_and_printing():
    assert neura.tensor([1, 2]).dtype == neura.int64
    assert neura.tensor([1.0, 2]).dtype == neura.float32
    assert neura.tensor(np.zeros(2)).dtype == neura.float64
    assert neura.zeros(2, 3).shape == (2, 3) and neura.zeros((2, 3)).shape == (2, 3)
    assert neura.arange(5).tolist() == [0, 1, 2, 3, 4]
    assert neura.arange(0, 1, 0.25).tolist() == [0.0, 0.25, 0.5, 0.75]
    assert repr(neura.tensor([[1.0, 2.0], [3.0, 4.0]])) == repr(torch.tensor([[1.0, 2.0], [3.0, 4.0]]))
    assert repr(neura.tensor([1, 2, 3])) == repr(torch.tensor([1, 2, 3]))
    x = neura.tensor([1.0, 2.0], requires_grad=True)
    assert repr(x) == "tensor([1., 2.], requires_grad=True)"
    assert repr(x * 2).startswith("tensor([2., 4.], grad_fn=<")
    assert "<table>" in neura.ones(2, 2)._repr_html_()


def test_methods_operators_and_indexing_match_torch():
    a = np.random.default_rng(1).standard_normal((4, 6))
    n, t = neura.tensor(a), torch.tensor(a)
    cases = [
        lambda x: x.sum(1, keepdim=True), lambda x: x.mean(), lambda x: x.relu(), lambda x: x.tanh(),
        lambda x: x.pow(2), lambda x: x ** 2, lambda x: 2 ** x, lambda x: x @ x.T, lambda x: x.T,
        lambda x: x.transpose(0, 1), lambda x: x.view(6, 4), lambda x: x.view(-1), lambda x: x[1:, ::2],
        lambda x: x[..., 1], lambda x: x[None, 2], lambda x: x[-1], lambda x: x[:, [0, 2, 2]],
        lambda x: x.max(1).values, lambda x: x.max(1).indices, lambda x: x.argmax(), lambda x: -x + 1 - x / 3,
        lambda x: (x > 0).long(), lambda x: x.clamp(min=0), lambda x: x.softmax(-1), lambda x: x.std(0),
        lambda x: x.unsqueeze(0).expand(2, 4, 6), lambda x: x.reshape(2, -1).flatten(), lambda x: x.exp().log(),
    ]
    for i, f in enumerate(cases):
        got, want = f(n), f(t)
        assert tuple(got.shape) == tuple(want.shape), i
        assert np.allclose(got.numpy(), want.numpy(), rtol=1e-12, atol=1e-12), i
    assert n[2, 3].item() == pytest.approx(a[2, 3])
    assert len(n) == 4 and [r.shape for r in n] == [(6,)] * 4
    with pytest.raises(IndexError):
        n[4]


def test_autograd_api():
    x = neura.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    (x ** 2).sum().backward()
    assert x.grad.tolist() == [[2.0, 4.0], [6.0, 8.0]]
    x.grad = None
    with neura.no_grad():
        y = x * 3
    assert not y.requires_grad and y.grad_fn is None
    z = x.sin().sum()
    (g,) = neura.autograd.grad(z, x, create_graph=True)
    (gg,) = neura.autograd.grad(g.sum(), x)      # second derivative: -sin
    assert np.allclose(gg.numpy(), -np.sin(x.detach().numpy()))
    w = neura.randn(3, 3, dtype=neura.float64, requires_grad=True)
    assert neura.autograd.gradcheck(lambda m: (m @ m).tanh(), (w,))
    with pytest.raises(RuntimeError, match="gradcheck failed"):
        neura.autograd.gradcheck(lambda m: m.detach() * m, (w,))  # a wrong gradient is caught

    @neura.no_grad()
    def f(v):
        return v * 2
    assert not f(x).requires_grad and neura.is_grad_enabled()


# ------------------------------------------------------------------ errors
def test_errors_map_to_python_exceptions():
    with pytest.raises(ValueError, match="matmul: shapes"):
        neura.ones(2, 3) @ neura.ones(2, 3)
    with pytest.raises(ValueError, match="Linear expects 3 input features"):
        neura.nn.Linear(3, 2)(neura.ones(4, 5))
    with pytest.raises(ValueError, match="view"):
        neura.ones(6).view(4, 2)
    with pytest.raises(TypeError, match="int64"):
        neura.nn.functional.embedding(neura.ones(3), neura.ones(5, 2))
    with pytest.raises(TypeError, match="floating-point"):
        neura.arange(3).requires_grad_()
    with pytest.raises(RuntimeError, match="not-a-project.neura"):
        neura.Project.open(os.path.join(os.path.dirname(__file__), "not-a-project.neura"))
    with pytest.raises(RuntimeError, match="unknown dataset|Unknown dataset|no dataset"):
        neura.data.load("no-such-dataset")
