"""Tensor's Python face: PyTorch's methods, properties, operators, indexing and printing, each a thin call
into the engine (neura._C). Attached to neura.Tensor when the package is imported."""
import builtins
import numbers

import numpy as np

import neura
from neura import _C

Tensor = _C.Tensor


def method(fn, name=None):
    setattr(Tensor, name or fn.__name__, fn)
    return fn


def _sizes(args):
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = args[0]
    return [int(a) for a in args]


# ------------------------------------------------------------------ shape and metadata
@method
def size(self, dim=None):
    return self.shape if dim is None else self.shape[dim]


@method
def stride(self, dim=None):
    s = tuple(self._stride())
    return s if dim is None else s[dim]


Tensor.T = property(lambda self: self.permute(*reversed(range(self.dim()))))
Tensor.mT = property(lambda self: self.transpose(-2, -1))
Tensor.data = property(lambda self: self.detach(), lambda self, v: self.detach().copy_(v))
Tensor.grad_fn = property(lambda self: self._grad_fn_name)
Tensor.requires_grad = property(Tensor.requires_grad.fget, lambda self, on: self.requires_grad_(on))


@method
def view(self, *shape):
    return self._view(_sizes(shape))


@method
def reshape(self, *shape):
    return self._reshape(_sizes(shape))


@method
def view_as(self, other):
    return self._view(list(other.shape))


@method
def reshape_as(self, other):
    return self._reshape(list(other.shape))


@method
def permute(self, *dims):
    return self._permute(_sizes(dims))


@method
def expand(self, *sizes):
    return self._expand(_sizes(sizes))


@method
def expand_as(self, other):
    return self._expand(list(other.shape))


@method
def sum_to_size(self, *size):
    return _C.sum_to(self, _sizes(size))


@method
def unflatten(self, dim, sizes):
    dim = dim % self.dim()
    return self.reshape(*(list(self.shape[:dim]) + list(sizes) + list(self.shape[dim + 1:])))


@method
def chunk(self, chunks, dim=0):
    n = self.shape[dim]
    step = -(-n // chunks)
    return tuple(self.narrow(dim, s, builtins.min(step, n - s)) for s in range(0, n, step))


@method
def split(self, split_size, dim=0):
    n = self.shape[dim]
    if isinstance(split_size, int):
        sizes = [builtins.min(split_size, n - s) for s in range(0, n, split_size)]
    else:
        sizes = list(split_size)
    out, start = [], 0
    for s in sizes:
        out.append(self.narrow(dim, start, s))
        start += s
    return tuple(out)


Tensor.unbind = lambda self, dim=0: _C.unbind(self, dim)


# ------------------------------------------------------------------ dtype and device
def _to_args(args, kwargs):
    dtype, device = kwargs.get("dtype"), kwargs.get("device")
    for a in args:
        if isinstance(a, _C.dtype):
            dtype = a
        elif isinstance(a, (str, _C.device)):
            device = a
        elif isinstance(a, Tensor):
            dtype, device = a.dtype, a.device
    return dtype, device


@method
def to(self, *args, **kwargs):
    dtype, device = _to_args(args, kwargs)
    t = self
    if device is not None and _C.device(str(device)) != t.device:
        t = t._to_device(str(device))
    if dtype is not None and dtype != t.dtype:
        t = t._to_dtype(dtype)
    return t


Tensor.cpu = lambda self: self.to("cpu")
Tensor.cuda = lambda self, device=None: self.to("cuda" if device is None else
                                                 device if isinstance(device, str) else "cuda:%d" % device)
Tensor.float = lambda self: self.to(neura.float32)
Tensor.double = lambda self: self.to(neura.float64)
Tensor.long = lambda self: self.to(neura.int64)
Tensor.int = Tensor.long
Tensor.type_as = lambda self, other: self.to(other.dtype)
# PyTorch's bool tensors are the engine's int64 0/1 masks (what comparisons give).
Tensor.bool = lambda self: _C.ne(self, _C.scalar_like(0.0, self))
Tensor.new_zeros = lambda self, *size, dtype=None: neura.zeros(*size, dtype=dtype or self.dtype, device=self.device)
Tensor.new_ones = lambda self, *size, dtype=None: neura.ones(*size, dtype=dtype or self.dtype, device=self.device)
Tensor.new_full = lambda self, size, v, dtype=None: neura.full(size, v, dtype=dtype or self.dtype, device=self.device)
Tensor.new_tensor = lambda self, data, dtype=None: neura.tensor(data, dtype=dtype or self.dtype, device=self.device)


# ------------------------------------------------------------------ ops as methods
def _as_method(fn):
    """neura.f(x, ...) as x.f(...): native functions are not descriptors, so they get a Python wrapper."""
    def m(self, *args, **kwargs):
        return fn(self, *args, **kwargs)
    m.__name__, m.__doc__ = fn.__name__, fn.__doc__
    return m


for _name in ("neg", "exp", "log", "sqrt", "abs", "sign", "sin", "cos", "erf", "relu", "sigmoid", "tanh",
              "softmax", "log_softmax", "matmul", "bmm", "tril", "triu", "index_select", "index_add", "gather",
              "scatter_add", "add", "sub", "mul", "div", "pow", "maximum", "minimum", "eq", "ne", "gt", "ge",
              "lt", "le", "sum", "mean", "var", "std", "max", "min", "argmax", "argmin", "mm", "square",
              "masked_fill", "clamp", "where"):
    setattr(Tensor, _name, _as_method(getattr(neura, _name)))
Tensor.clip = Tensor.clamp
Tensor.negative = Tensor.neg
Tensor.absolute = Tensor.abs
Tensor.multiply, Tensor.divide, Tensor.subtract, Tensor.true_divide = Tensor.mul, Tensor.div, Tensor.sub, Tensor.div
Tensor.sum_to = lambda self, shape: _C.sum_to(self, list(shape))
Tensor.clamp_min = lambda self, min: _C.clamp(self, min, None)
Tensor.clamp_max = lambda self, max: _C.clamp(self, None, max)
Tensor.where = lambda self, condition, other: neura.where(condition, self, other)


@method
def add_(self, other, alpha=1):
    if isinstance(other, Tensor):
        return self._add_(other, alpha)
    return self._add_(_C.scalar_like(float(other) * alpha, self), 1.0)


@method
def sub_(self, other, alpha=1):
    return self.add_(other, -alpha)


@method
def mul_(self, other):
    return self._mul_(other) if isinstance(other, Tensor) else self._mul_scalar_(float(other))


@method
def div_(self, other):
    return self._mul_(1.0 / other) if isinstance(other, Tensor) else self._div_scalar_(float(other))


@method
def detach_(self):
    raise RuntimeError("detach_(): use detach(), which returns a tensor without history")


# ------------------------------------------------------------------ autograd
@method
def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
    if inputs is not None:
        raise NotImplementedError("backward(inputs=...) is not supported; use neura.autograd.grad")
    self._backward(gradient if gradient is not None else None, bool(retain_graph) if retain_graph is not None
                   else create_graph, create_graph)


# ------------------------------------------------------------------ operators
def _binary_op(fn, reflected=False):
    if reflected:
        return lambda self, other: fn(neura._as_tensor_like(other, self), self)
    return lambda self, other: fn(self, other)


Tensor.__add__ = _binary_op(neura.add)
Tensor.__radd__ = _binary_op(neura.add, True)
Tensor.__sub__ = _binary_op(neura.sub)
Tensor.__rsub__ = _binary_op(neura.sub, True)
Tensor.__mul__ = _binary_op(neura.mul)
Tensor.__rmul__ = _binary_op(neura.mul, True)
Tensor.__truediv__ = _binary_op(neura.div)
Tensor.__rtruediv__ = _binary_op(neura.div, True)
Tensor.__pow__ = lambda self, e: neura.pow(self, e)
Tensor.__rpow__ = lambda self, base: neura.pow(neura._as_tensor_like(base, self), self)
Tensor.__matmul__ = lambda self, other: _C.matmul(self, other)
Tensor.__rmatmul__ = lambda self, other: _C.matmul(other, self)
Tensor.__neg__ = lambda self: _C.neg(self)
Tensor.__pos__ = lambda self: self
Tensor.__abs__ = lambda self: _C.abs(self)
Tensor.__eq__ = _binary_op(neura.eq)
Tensor.__ne__ = _binary_op(neura.ne)
Tensor.__lt__ = _binary_op(neura.lt)
Tensor.__le__ = _binary_op(neura.le)
Tensor.__gt__ = _binary_op(neura.gt)
Tensor.__ge__ = _binary_op(neura.ge)
Tensor.__hash__ = lambda self: id(self)
# masks are int64 0/1: ~m, m & n, m | n as logical ops (PyTorch's bool tensors)
Tensor.__invert__ = lambda self: _C.eq(self, _C.scalar_like(0.0, self))
Tensor.__and__ = lambda self, o: _C.mul(_C.ne(self, _C.scalar_like(0.0, self)), _C.ne(o, _C.scalar_like(0.0, o)))
Tensor.__or__ = lambda self, o: _C.maximum(_C.ne(self, _C.scalar_like(0.0, self)), _C.ne(o, _C.scalar_like(0.0, o)))


def _inplace(fn):
    def op(self, other):
        return self.copy_(fn(self, other))
    return op


Tensor.__iadd__ = lambda self, o: self.add_(o)
Tensor.__isub__ = lambda self, o: self.sub_(o)
Tensor.__imul__ = lambda self, o: self.mul_(o)
Tensor.__itruediv__ = lambda self, o: self.div_(o)


@method
def __bool__(self):
    if self.numel() != 1:
        raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
    return bool(self.item())


@method
def __float__(self):
    return float(self.item())


@method
def __int__(self):
    return int(self.item())


@method
def __index__(self):
    if self.dtype != neura.int64 or self.numel() != 1:
        raise TypeError("only integer tensors of a single element can be converted to an index")
    return int(self.item())


@method
def __len__(self):
    if self.dim() == 0:
        raise TypeError("len() of a 0-d tensor")
    return self.shape[0]


@method
def __iter__(self):
    if self.dim() == 0:
        raise TypeError("iteration over a 0-d tensor")
    return iter(_C.unbind(self, 0))


@method
def tolist(self):
    return self.detach().cpu().numpy().tolist()


@method
def __array__(self, dtype=None):
    a = self.detach().cpu().numpy()
    return a if dtype is None else a.astype(dtype)


# ------------------------------------------------------------------ indexing
def _normalize_key(self, key):
    if not isinstance(key, tuple):
        key = (key,)
    n_real = builtins.sum(1 for k in key if k is not None and k is not Ellipsis)
    out = []
    for k in key:
        if k is Ellipsis:
            out.extend([slice(None)] * (self.dim() - n_real))
        else:
            out.append(k)
    return out


@method
def __getitem__(self, key):
    t, d = self, 0
    for k in _normalize_key(self, key):
        if k is None:
            t = t.unsqueeze(d)
            d += 1
        elif isinstance(k, slice):
            if d >= t.dim():
                raise IndexError("too many indices for tensor of dimension %d" % self.dim())
            start, stop, step = k.indices(t.shape[d])
            if step <= 0:
                raise ValueError("step must be greater than zero")
            if k != slice(None):
                t = t._slice(d, start, builtins.max(stop, start), step)
            d += 1
        elif isinstance(k, Tensor):
            if k.dtype != neura.int64 or k.dim() > 1:
                raise IndexError("tensors used as indices must be 1-D int64 tensors here")
            t = _C.index_select(t, d, k)
            d += 1
        elif isinstance(k, (list, np.ndarray)):
            t = _C.index_select(t, d, neura.tensor(k, dtype=neura.int64))
            d += 1
        elif isinstance(k, numbers.Integral) or (isinstance(k, Tensor) and k.numel() == 1):
            k = int(k)
            if d >= t.dim():
                raise IndexError("too many indices for tensor of dimension %d" % self.dim())
            n = t.shape[d]
            if not -n <= k < n:
                raise IndexError("index %d is out of bounds for dimension %d with size %d" % (k, d, n))
            t = t.select(d, k)
        else:
            raise TypeError("unsupported index %r" % (k,))
    return t


@method
def __setitem__(self, key, value):
    target = self[key]
    if isinstance(value, Tensor):
        target.copy_(value)
    else:
        target.fill_(float(value))


# ------------------------------------------------------------------ printing
def _body(self):
    a = self.detach().cpu().numpy()
    if self.dtype == neura.int64:
        return np.array2string(a, separator=", ", prefix="tensor(", threshold=1000)
    with np.printoptions(precision=4, suppress=False, threshold=1000, floatmode="maxprec_equal"):
        return np.array2string(a, separator=", ", prefix="tensor(")


@method
def __repr__(self):
    extras = []
    if self.device.type != "cpu":
        extras.append("device='%s'" % self.device)
    if self.dtype == neura.float64:
        extras.append("dtype=neura.float64")
    if self.numel() == 0:
        extras.append("size=%s" % (tuple(self.shape),))
        body = "[]"
    else:
        body = _body(self)
    if self.grad_fn is not None:
        extras.append("grad_fn=<%s>" % self.grad_fn)
    elif self.requires_grad:
        extras.append("requires_grad=True")
    return "tensor(%s)" % ", ".join([body] + extras)


Tensor.__str__ = Tensor.__repr__


@method
def _repr_html_(self):
    """A notebook's view: shape, dtype and device, then the values as a table (at most 20 x 12 shown)."""
    import html
    head = "<b>tensor</b> shape %s, %s, %s%s" % (list(self.shape), str(self.dtype).replace("neura.", ""),
                                                self.device, ", requires_grad" if self.requires_grad else "")
    a = self.detach().cpu().numpy()
    if a.ndim > 2 or a.size == 0:
        return "<div>%s<pre>%s</pre></div>" % (head, html.escape(repr(self)))
    a = a.reshape(1, -1) if a.ndim == 1 else a.reshape(1, 1) if a.ndim == 0 else a
    rows = []
    for r in a[:20]:
        cells = "".join("<td>%s</td>" % (("%d" % v) if a.dtype.kind == "i" else ("%.4g" % v)) for v in r[:12])
        rows.append("<tr>%s%s</tr>" % (cells, "<td>&hellip;</td>" if a.shape[1] > 12 else ""))
    if a.shape[0] > 20:
        rows.append("<tr><td>&vellip;</td></tr>")
    return "<div>%s<table>%s</table></div>" % (head, "".join(rows))
