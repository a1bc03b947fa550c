"""neura.autograd: grad and gradcheck, as torch.autograd."""
from . import _C
from ._C import Tensor


def _list(x):
    return [x] if isinstance(x, Tensor) else list(x)


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False):
    tensors = _list(tensors)
    grads = [] if grad_tensors is None else _list(grad_tensors)
    _C._backward(tensors, grads, create_graph if retain_graph is None else bool(retain_graph), create_graph)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, allow_unused=False):
    """d(outputs)/d(inputs) weighted by grad_outputs, as a tuple; .grad is left alone. An input the outputs
    do not depend on gives None with allow_unused=True (an error otherwise)."""
    outputs, inputs = _list(outputs), _list(inputs)
    go = [] if grad_outputs is None else [g for g in _list(grad_outputs)]
    retain = create_graph if retain_graph is None else bool(retain_graph)
    res = _C._grad(outputs, inputs, go, retain, create_graph, allow_unused)
    return tuple(res)


def gradcheck(func, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, check_grad_dtypes=False,
              check_double_backward=False):
    """Compares func's analytic gradients with central differences at `inputs` (float64 tensors that require
    grad are checked), as torch.autograd.gradcheck. Returns True, or raises (or returns False) naming the
    first mismatch."""
    inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    ok, message = _C._gradcheck(func, list(inputs), eps, atol, rtol, check_double_backward)
    if not ok and raise_exception:
        raise RuntimeError("gradcheck failed: " + message)
    return ok


def gradgradcheck(func, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True):
    return gradcheck(func, inputs, eps, atol, rtol, raise_exception, check_double_backward=True)
