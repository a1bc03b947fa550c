"""neura.optim.lr_scheduler: StepLR, ExponentialLR, CosineAnnealingLR (the engine's), stepped once per epoch."""
from neura import _C


class _Scheduler:
    def __init__(self, native, optimizer):
        self._native = native
        self.optimizer = optimizer

    def step(self):
        self._native.step()

    def get_last_lr(self):
        return self._native.get_last_lr()

    @property
    def last_epoch(self):
        return self._native.last_epoch


class StepLR(_Scheduler):
    def __init__(self, optimizer, step_size, gamma=0.1):
        super().__init__(_C.StepLR(optimizer._native, step_size, gamma), optimizer)


class ExponentialLR(_Scheduler):
    def __init__(self, optimizer, gamma):
        super().__init__(_C.ExponentialLR(optimizer._native, gamma), optimizer)


class CosineAnnealingLR(_Scheduler):
    def __init__(self, optimizer, T_max, eta_min=0.0):
        super().__init__(_C.CosineAnnealingLR(optimizer._native, T_max, eta_min), optimizer)
