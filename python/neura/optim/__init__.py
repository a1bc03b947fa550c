"""neura.optim: the engine's optimizers with torch.optim's constructors. They update the very tensors
the parameters are (the engine's), in one native step."""
from neura import _C
from . import lr_scheduler  # noqa: F401


class Optimizer:
    def __init__(self, native, params):
        self._native = native
        self._params = params
        self.param_groups = [_ParamGroup(self)]

    def step(self, closure=None):
        loss = None
        if closure is not None:
            loss = closure()
        self._native.step()
        return loss

    def zero_grad(self, set_to_none=True):
        self._native.zero_grad()

    @property
    def lr(self):
        return self._native.lr

    def __repr__(self):
        return "%s (lr: %g, %d parameters)" % (self._native.type_name, self._native.lr, len(self._params))


class _ParamGroup(dict):
    """param_groups[0]: 'params' and a live 'lr' (setting it changes the optimizer's, as in PyTorch)."""

    def __init__(self, opt):
        super().__init__(params=opt._params)
        self._opt = opt

    def __getitem__(self, key):
        return self._opt._native.lr if key == "lr" else super().__getitem__(key)

    def __setitem__(self, key, value):
        if key == "lr":
            self._opt._native.lr = float(value)
        else:
            super().__setitem__(key, value)


def _params(params):
    params = list(params)
    if params and isinstance(params[0], dict):
        raise ValueError("parameter groups (dicts) are not supported; pass the parameters")
    if not params:
        raise ValueError("optimizer got an empty parameter list")
    return params


class SGD(Optimizer):
    def __init__(self, params, lr=0.01, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False, maximize=False):
        params = _params(params)
        super().__init__(_C.SGD(params, lr, momentum, dampening, weight_decay, nesterov, maximize), params)


class Adam(Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False,
                 maximize=False):
        params = _params(params)
        super().__init__(_C.Adam(params, lr, betas[0], betas[1], eps, weight_decay, amsgrad, maximize, False), params)


class AdamW(Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False,
                 maximize=False):
        params = _params(params)
        super().__init__(_C.Adam(params, lr, betas[0], betas[1], eps, weight_decay, amsgrad, maximize, True), params)


class RMSprop(Optimizer):
    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False,
                 maximize=False):
        params = _params(params)
        super().__init__(_C.RMSprop(params, lr, alpha, eps, weight_decay, momentum, centered, maximize), params)
