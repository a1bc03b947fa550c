"""NeuraStudio's engine in Python, with PyTorch's names and semantics.

    >>> import neura
    >>> x = neura.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    >>> (x ** 2).sum().backward()
    >>> x.grad
    tensor([[2., 4.],
            [6., 8.]])

The tensors are the engine's own (neura._C); this package adapts PyTorch's calling conventions (keyword
names, *sizes, Python scalars, indexing) and adds neura.nn, neura.optim, neura.data and neura.Project.
"""
import builtins as _builtins
import collections as _collections
import math as _math
import numbers as _numbers

import os as _os
import sys as _sys

import numpy as _np

# The engine's CUDA module and layer plugins resolve the engine's symbols against the program that opens
# them; here that is this extension, so it is loaded with RTLD_GLOBAL. Beside it (the build tree's
# build/lib/neurastudio, or /usr/lib/neurastudio from the .deb) are the CUDA module and the plugins.
_flags = _sys.getdlopenflags()
_sys.setdlopenflags(_flags | _os.RTLD_GLOBAL)
try:
    from . import _C
finally:
    _sys.setdlopenflags(_flags)
_HERE = _os.path.dirname(_os.path.abspath(__file__))
_LIBDIR = next((_os.path.normpath(d) for d in (_os.path.join(_HERE, "..", "..", "lib", "neurastudio"),
                                                _os.path.join(_HERE, "..", "..", "..", "neurastudio"))
                if _os.path.isdir(d)), None)
if _LIBDIR and _os.path.isfile(_os.path.join(_LIBDIR, "libneura_cuda.so")):
    _os.environ.setdefault("NEURA_CUDA_MODULE", _os.path.join(_LIBDIR, "libneura_cuda.so"))
_plugins = None


def load_plugins():
    """Loads the layer plugins as the CLI does (NEURA_PLUGIN_PATH, the user's plugin folder, the
    installation's), once; returns (names loaded, [(path, reason refused)]). Project.open calls it."""
    global _plugins
    if _plugins is None:
        extra = [_os.path.join(_LIBDIR, "plugins")] if _LIBDIR and _os.path.isdir(_os.path.join(_LIBDIR, "plugins")) else []
        _plugins = _C._load_plugins(extra)
    return _plugins

from ._C import (Tensor, dtype, device, from_numpy, from_dlpack, manual_seed, initial_seed, is_grad_enabled,
                 add, sub, mul, div, maximum, minimum, eq, ne, gt, ge, lt, le, neg, exp, log, sqrt, abs, sign, sin,
                 cos, erf, relu, sigmoid, tanh, clamp, softmax, log_softmax, matmul, bmm, tril, triu, cat, stack,
                 unbind, index_select, index_add, gather, scatter_add, slice_backward)

__version__ = _C.__version__
__all__ = ["Tensor", "tensor", "zeros", "ones", "full", "empty", "arange", "linspace", "eye", "rand", "randn",
           "randint", "zeros_like", "ones_like", "full_like", "from_numpy", "from_dlpack", "no_grad", "enable_grad",
           "set_grad_enabled", "float32", "float64", "int64", "Project"]

float32 = float = dtype.float32
float64 = double = dtype.float64
int64 = long = dtype.int64
negative = neg
clip = clamp
absolute = abs

_NP_DTYPES = {float32: _np.float32, float64: _np.float64, int64: _np.int64}


# ------------------------------------------------------------------ creation
def _sizes(size):
    """PyTorch takes sizes as zeros(2, 3) and zeros((2, 3)) and zeros([2, 3])."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = size[0]
    return [int(s) for s in size]


def _dtype_of_data(data):
    """PyTorch's inference: Python floats give float32 (the default dtype), ints and bools int64."""
    a = _np.asarray(data)
    if a.dtype.kind in "biu":
        return int64
    if a.dtype == _np.float64 and not isinstance(data, _np.ndarray):
        return float32
    return {_np.dtype(_np.float32): float32, _np.dtype(_np.float64): float64}.get(a.dtype, float32)


def tensor(data, dtype=None, device=None, requires_grad=False):
    """A new tensor holding a copy of `data` (nested lists, numbers, a NumPy array or a tensor)."""
    if isinstance(data, Tensor):
        t = data.detach().clone()
        if dtype is not None:
            t = t.to(dtype)
    else:
        if dtype is None:
            dtype = _dtype_of_data(data)
        # from_numpy shares the array's memory and clone() copies it into engine memory (cached allocator,
        # 64-byte alignment): one copy, and the tensor owns its data as PyTorch's does.
        t = from_numpy(_np.require(data, dtype=_NP_DTYPES[_C.dtype(dtype) if isinstance(dtype, str)
                                                             else dtype], requirements="C")).clone()
    if device is not None:
        t = t.to(device)
    if requires_grad:
        t.requires_grad_(True)
    return t


as_tensor = tensor


def empty(*size, dtype=float32, device="cpu", requires_grad=False):
    return _C._empty(_sizes(size), dtype, device).requires_grad_(requires_grad)


def zeros(*size, dtype=float32, device="cpu", requires_grad=False):
    return _C._zeros(_sizes(size), dtype, device).requires_grad_(requires_grad)


def ones(*size, dtype=float32, device="cpu", requires_grad=False):
    return _C._ones(_sizes(size), dtype, device).requires_grad_(requires_grad)


def full(size, fill_value, dtype=None, device="cpu", requires_grad=False):
    if dtype is None:
        dtype = int64 if isinstance(fill_value, (bool, int)) else float32
    return _C._full(_sizes([size]), fill_value, dtype, device).requires_grad_(requires_grad)


def zeros_like(t, dtype=None, device=None, requires_grad=False):
    return zeros(*t.shape, dtype=dtype or t.dtype, device=device or t.device, requires_grad=requires_grad)


def ones_like(t, dtype=None, device=None, requires_grad=False):
    return ones(*t.shape, dtype=dtype or t.dtype, device=device or t.device, requires_grad=requires_grad)


def full_like(t, fill_value, dtype=None, device=None, requires_grad=False):
    return full(t.shape, fill_value, dtype=dtype or t.dtype, device=device or t.device, requires_grad=requires_grad)


def empty_like(t, dtype=None, device=None, requires_grad=False):
    return empty(*t.shape, dtype=dtype or t.dtype, device=device or t.device, requires_grad=requires_grad)


def arange(start, end=None, step=1, dtype=None, device="cpu", requires_grad=False):
    if end is None:
        start, end = 0, start
    if dtype is None:
        dtype = int64 if all(isinstance(v, int) for v in (start, end, step)) else float32
    t = _C._arange(start, end, step, dtype)
    return (t.to(device) if device != "cpu" else t).requires_grad_(requires_grad)


def linspace(start, end, steps, dtype=float32, device="cpu", requires_grad=False):
    t = _C._linspace(start, end, steps, dtype)
    return (t.to(device) if device != "cpu" else t).requires_grad_(requires_grad)


def eye(n, dtype=float32, device="cpu", requires_grad=False):
    t = _C._eye(n, dtype)
    return (t.to(device) if device != "cpu" else t).requires_grad_(requires_grad)


def rand(*size, dtype=float32, device="cpu", requires_grad=False):
    t = _C._rand(_sizes(size), dtype)
    return (t.to(device) if device != "cpu" else t).requires_grad_(requires_grad)


def randn(*size, dtype=float32, device="cpu", requires_grad=False):
    t = _C._randn(_sizes(size), dtype)
    return (t.to(device) if device != "cpu" else t).requires_grad_(requires_grad)


def randint(low, high=None, size=None, dtype=int64, device="cpu"):
    if high is None:
        low, high = 0, low
    t = _C._randint(low, high, _sizes([size]))
    if dtype != int64:
        t = t.to(dtype)
    return t.to(device) if device != "cpu" else t


def manual_seed_all(seed):
    manual_seed(seed)


# ------------------------------------------------------------------ ops with PyTorch's signatures
def _as_tensor_like(v, like):
    """A Python number as a 0-d tensor in `like`'s dtype (PyTorch: x * 2 keeps x's dtype), on its device."""
    if isinstance(v, Tensor):
        return v
    if isinstance(v, bool):
        v = int(v)
    if isinstance(v, _numbers.Integral) or (isinstance(v, _numbers.Real) and like.dtype != int64):
        return _C.scalar_like(_builtins.float(v), like)
    # a float with an int64 tensor: PyTorch promotes to the default float dtype
    return tensor(_builtins.float(v), dtype=float32, device=like.device)


def _binary(fn):
    def op(input, other, *args, **kwargs):
        if not isinstance(input, Tensor):
            input = _as_tensor_like(input, other)
        return fn(input, _as_tensor_like(other, input), *args, **kwargs)
    op.__name__ = fn.__name__
    op.__doc__ = fn.__doc__
    return op


add, sub, mul, div, maximum, minimum = map(_binary, (add, sub, mul, div, maximum, minimum))
eq, ne, gt, ge, lt, le = map(_binary, (eq, ne, gt, ge, lt, le))
subtract, multiply, divide, true_divide = sub, mul, div, div


def pow(input, exponent):
    if isinstance(exponent, Tensor):
        if not isinstance(input, Tensor):
            input = _as_tensor_like(input, exponent)
        return _C._pow(input, exponent)
    return _C._pow_scalar(input, _builtins.float(exponent))


def square(input):
    return mul(input, input)


def where(condition, input, other):
    if not isinstance(input, Tensor):
        input = _as_tensor_like(input, other)
    return _C._where(condition, input, _as_tensor_like(other, input))


def masked_fill(input, mask, value):
    return _C._masked_fill(input, mask, _builtins.float(value))


def _dims(dim):
    if dim is None:
        return None
    return [dim] if isinstance(dim, int) else list(dim)


def sum(input, dim=None, keepdim=False, dtype=None):
    if dtype is not None:
        input = input.to(dtype)
    return _C._sum(input) if dim is None else _C._sum_dims(input, _dims(dim), keepdim)


def mean(input, dim=None, keepdim=False, dtype=None):
    if dtype is not None:
        input = input.to(dtype)
    return _C._mean(input) if dim is None else _C._mean_dims(input, _dims(dim), keepdim)


def var(input, dim=None, unbiased=None, keepdim=False, correction=None):
    if correction is None:
        correction = 0.0 if unbiased is False else 1.0
    return _C._var(input, _dims(dim) or [], _builtins.float(correction), keepdim)


def std(input, dim=None, unbiased=None, keepdim=False, correction=None):
    return sqrt(var(input, dim, unbiased, keepdim, correction))


_values_indices = _collections.namedtuple("return_types", ["values", "indices"])


def max(input, dim=None, keepdim=False, other=None):
    if isinstance(dim, Tensor):  # torch.max(a, b): elementwise
        return maximum(input, dim)
    if dim is None:
        return _C._max(input)
    return _values_indices(*_C._max_dim(input, dim, keepdim))


def min(input, dim=None, keepdim=False):
    if isinstance(dim, Tensor):
        return minimum(input, dim)
    if dim is None:
        return _C._min(input)
    return _values_indices(*_C._min_dim(input, dim, keepdim))


def argmax(input, dim=None, keepdim=False):
    if dim is None:
        return _C._argmax(input.reshape(-1), 0, False)
    return _C._argmax(input, dim, keepdim)


def argmin(input, dim=None, keepdim=False):
    if dim is None:
        return _C._argmin(input.reshape(-1), 0, False)
    return _C._argmin(input, dim, keepdim)


def mm(input, mat2):
    if input.dim() != 2 or mat2.dim() != 2:
        raise ValueError("mm: expects two 2-D tensors, got shapes %s and %s" % (list(input.shape), list(mat2.shape)))
    return matmul(input, mat2)


def transpose(input, dim0, dim1):
    return input.transpose(dim0, dim1)


def reshape(input, shape):
    return input.reshape(shape)


def flatten(input, start_dim=0, end_dim=-1):
    return input.flatten(start_dim, end_dim)


def squeeze(input, dim=None):
    return input.squeeze(dim)


def unsqueeze(input, dim):
    return input.unsqueeze(dim)


def permute(input, dims):
    return input.permute(*dims)


def narrow(input, dim, start, length):
    return input.narrow(dim, start, length)


def select(input, dim, index):
    return input.select(dim, index)


def broadcast_shapes(*shapes):
    out = []
    for shape in shapes:
        shape = list(shape)
        if len(shape) > len(out):
            out = [1] * (len(shape) - len(out)) + out
        for i, s in enumerate(shape):
            j = len(out) - len(shape) + i
            if s != 1 and out[j] != 1 and s != out[j]:
                raise ValueError("shapes cannot be broadcast: %s" % (shapes,))
            out[j] = s if out[j] == 1 else out[j]
    return tuple(out)


def is_tensor(obj):
    return isinstance(obj, Tensor)


def numel(input):
    return input.numel()


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    return bool(_np.allclose(input.detach().cpu().numpy(), other.detach().cpu().numpy(), rtol, atol, equal_nan))


def equal(input, other):
    return tuple(input.shape) == tuple(other.shape) and bool(_np.array_equal(input.detach().cpu().numpy(),
                                                                             other.detach().cpu().numpy()))


# ------------------------------------------------------------------ autograd mode
class _GradMode:
    def __init__(self, mode):
        self.mode = bool(mode)

    def __enter__(self):
        self._prev = _C.is_grad_enabled()
        _C._set_grad_enabled(self.mode)

    def __exit__(self, *exc):
        _C._set_grad_enabled(self._prev)
        return False

    def __call__(self, fn):
        import functools
        mode = self.mode

        @functools.wraps(fn)
        def wrapped(*args, **kwargs):
            with _GradMode(mode):
                return fn(*args, **kwargs)
        return wrapped


class no_grad(_GradMode):
    """Turns recording off in its block (or for a decorated function), as torch.no_grad."""

    def __init__(self):
        super().__init__(False)


class enable_grad(_GradMode):
    def __init__(self):
        super().__init__(True)


class set_grad_enabled(_GradMode):
    """set_grad_enabled(False) switches at once (as a call) or for a block (as a context manager)."""

    def __init__(self, mode):
        super().__init__(mode)
        self._prev = _C.is_grad_enabled()
        _C._set_grad_enabled(self.mode)

    def __enter__(self):
        pass


inference_mode = no_grad


# ------------------------------------------------------------------ devices
class cuda:
    """neura.cuda.is_available(), device_count(): the engine opens its CUDA module on first use."""

    @staticmethod
    def is_available():
        return _C._cuda_device_count() > 0

    @staticmethod
    def device_count():
        return _C._cuda_device_count()

    @staticmethod
    def unavailable_reason():
        return _C._cuda_unavailable_reason()


from . import _tensor  # noqa: E402  (Tensor's methods and operators)
from . import autograd, nn, optim, data  # noqa: E402
from .project import Project  # noqa: E402
