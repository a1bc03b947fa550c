#!/usr/bin/python3
"""Writes nn_reference.json: losses (value and input gradient, float64 and float32), optimizer
trajectories (parameters after each of 3 steps, float64) and LR scheduler sequences, computed by
PyTorch (Debian's python3-torch 1.13). The C++ suites tests/nn/tst_losses.cpp and
tests/optim/tst_optimizers.cpp read it by case name. Run:  /usr/bin/python3 tests/reference/make_nn_fixtures.py
"""
import json, os
import torch

F = torch.nn.functional
torch.use_deterministic_algorithms(True)
g = torch.Generator().manual_seed(1234)


def randn(*shape):
    return torch.randn(shape, generator=g, dtype=torch.float64)


def rand(*shape):
    return torch.rand(shape, generator=g, dtype=torch.float64)


def flat(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


def tensor_json(t):
    if t is None:
        return None
    kind = "float" if t.is_floating_point() else "int"
    vals = flat(t) if kind == "float" else [int(v) for v in t.reshape(-1).tolist()]
    return {"shape": list(t.shape), "dtype": kind, "values": vals}


# ---------------------------------------------------------------- losses
# name: (loss type, options, input, target). Options use the C++ names; "reduction" defaults to mean.
def class_targets(n, c, *extra):
    return torch.randint(0, c, (n,) + extra, generator=g)


def with_ignored(t, positions, value=-100):
    t = t.clone()
    for p in positions:
        t.view(-1)[p] = value
    return t


def huber_input():  # keeps |x - y| away from the kink at delta
    x, y = randn(4, 3), randn(4, 3)
    return x, y


def bce_input(*shape):
    x = randn(*shape) * 2
    x.view(-1)[0] = 0.0  # the gradient at exactly 0 must come out right
    return x


def probs(n, c):
    return torch.softmax(randn(n, c), 1)


LOSSES = {
    "mse_mean": ("MSELoss", {}, randn(4, 3), randn(4, 3)),
    "mse_sum": ("MSELoss", {"reduction": "sum"}, randn(5), randn(5)),
    "mse_none": ("MSELoss", {"reduction": "none"}, randn(2, 3, 2), randn(2, 3, 2)),
    "l1_mean": ("L1Loss", {}, randn(4, 3), randn(4, 3)),
    "l1_sum": ("L1Loss", {"reduction": "sum"}, randn(6), randn(6)),
    "l1_none": ("L1Loss", {"reduction": "none"}, randn(3, 2), randn(3, 2)),
    "huber_mean": ("HuberLoss", {}, randn(4, 3), randn(4, 3)),
    "huber_delta05_sum": ("HuberLoss", {"reduction": "sum", "delta": 0.5}, randn(4, 3), randn(4, 3)),
    "huber_delta2_none": ("HuberLoss", {"reduction": "none", "delta": 2.0}, randn(3, 4) * 2, randn(3, 4)),
    "ce_mean": ("CrossEntropyLoss", {}, randn(5, 4), class_targets(5, 4)),
    "ce_sum": ("CrossEntropyLoss", {"reduction": "sum"}, randn(5, 4), class_targets(5, 4)),
    "ce_none": ("CrossEntropyLoss", {"reduction": "none"}, randn(5, 4), class_targets(5, 4)),
    "ce_large_logits": ("CrossEntropyLoss", {}, randn(3, 4) * 400, class_targets(3, 4)),
    "ce_weight_mean": ("CrossEntropyLoss", {"weight": rand(4) + 0.2}, randn(6, 4), class_targets(6, 4)),
    "ce_weight_none": ("CrossEntropyLoss", {"weight": rand(4) + 0.2, "reduction": "none"}, randn(6, 4),
                       class_targets(6, 4)),
    "ce_smoothing_mean": ("CrossEntropyLoss", {"label_smoothing": 0.1}, randn(5, 4), class_targets(5, 4)),
    "ce_smoothing_sum": ("CrossEntropyLoss", {"label_smoothing": 0.2, "reduction": "sum"}, randn(5, 4),
                         class_targets(5, 4)),
    "ce_weight_smoothing_mean": ("CrossEntropyLoss", {"weight": rand(4) + 0.2, "label_smoothing": 0.15},
                                 randn(6, 4), class_targets(6, 4)),
    "ce_ignore_mean": ("CrossEntropyLoss", {}, randn(6, 4), with_ignored(class_targets(6, 4), [1, 4])),
    "ce_ignore_custom_none": ("CrossEntropyLoss", {"ignore_index": 2, "reduction": "none"}, randn(6, 4),
                              class_targets(6, 4)),
    "ce_ignore_smoothing_mean": ("CrossEntropyLoss", {"label_smoothing": 0.1}, randn(6, 4),
                                 with_ignored(class_targets(6, 4), [0, 3])),
    "ce_ignore_weight_smoothing_mean": ("CrossEntropyLoss", {"weight": rand(4) + 0.2, "label_smoothing": 0.1},
                                        randn(6, 4), with_ignored(class_targets(6, 4), [2])),
    "ce_3d_mean": ("CrossEntropyLoss", {}, randn(2, 3, 4), class_targets(2, 3, 4)),
    "ce_4d_weight_none": ("CrossEntropyLoss", {"weight": rand(3) + 0.2, "reduction": "none"}, randn(2, 3, 2, 2),
                          class_targets(2, 3, 2, 2)),
    "ce_unbatched": ("CrossEntropyLoss", {}, randn(5), torch.tensor(3)),
    "ce_unbatched_none": ("CrossEntropyLoss", {"reduction": "none"}, randn(5), torch.tensor(1)),
    "ce_probs_mean": ("CrossEntropyLoss", {}, randn(4, 3), probs(4, 3)),
    "ce_probs_weight_smoothing_sum": ("CrossEntropyLoss", {"weight": rand(3) + 0.2, "label_smoothing": 0.2,
                                                           "reduction": "sum"}, randn(4, 3), probs(4, 3)),
    "nll_mean": ("NLLLoss", {}, torch.log_softmax(randn(5, 4), 1), class_targets(5, 4)),
    "nll_weight_sum": ("NLLLoss", {"weight": rand(4) + 0.2, "reduction": "sum"}, randn(5, 4), class_targets(5, 4)),
    "nll_weight_mean": ("NLLLoss", {"weight": rand(4) + 0.2}, randn(5, 4), class_targets(5, 4)),
    "nll_ignore_mean": ("NLLLoss", {}, randn(6, 3), with_ignored(class_targets(6, 3), [5])),
    "nll_none": ("NLLLoss", {"reduction": "none"}, randn(4, 3), class_targets(4, 3)),
    "nll_3d_mean": ("NLLLoss", {"weight": rand(3) + 0.2}, randn(2, 3, 5), class_targets(2, 3, 5)),
    "bce_mean": ("BCEWithLogitsLoss", {}, bce_input(4, 3), rand(4, 3)),
    "bce_sum": ("BCEWithLogitsLoss", {"reduction": "sum"}, bce_input(6), (rand(6) > 0.5).double()),
    "bce_none": ("BCEWithLogitsLoss", {"reduction": "none"}, bce_input(3, 2), rand(3, 2)),
    "bce_large_logits": ("BCEWithLogitsLoss", {}, randn(5) * 300, (rand(5) > 0.5).double()),
    "bce_pos_weight_mean": ("BCEWithLogitsLoss", {"pos_weight": rand(3) * 3 + 0.1}, bce_input(4, 3), rand(4, 3)),
    "bce_weight_mean": ("BCEWithLogitsLoss", {"weight": rand(4, 1) + 0.2}, bce_input(4, 3), rand(4, 3)),
    "bce_pos_weight_weight_sum": ("BCEWithLogitsLoss", {"pos_weight": rand(3) + 0.5, "weight": rand(3) + 0.2,
                                                        "reduction": "sum"}, bce_input(2, 3), rand(2, 3)),
}


def run_loss(kind, opts, x, y, dtype):
    x = x.to(dtype).clone().requires_grad_(True)
    y = y.to(dtype) if y.is_floating_point() else y
    o = {k: (v.to(dtype) if isinstance(v, torch.Tensor) else v) for k, v in opts.items()}
    if kind == "MSELoss":
        loss = torch.nn.MSELoss(**o)(x, y)
    elif kind == "L1Loss":
        loss = torch.nn.L1Loss(**o)(x, y)
    elif kind == "HuberLoss":
        loss = torch.nn.HuberLoss(**o)(x, y)
    elif kind == "CrossEntropyLoss":
        loss = torch.nn.CrossEntropyLoss(**o)(x, y)
    elif kind == "NLLLoss":
        loss = torch.nn.NLLLoss(**o)(x, y)
    elif kind == "BCEWithLogitsLoss":
        loss = torch.nn.BCEWithLogitsLoss(**o)(x, y)
    else:
        raise ValueError(kind)
    # Reductions of "none" are weighted by a fixed grad_output so every element's gradient is checked.
    gout = torch.linspace(-1.0, 1.5, loss.numel(), dtype=dtype).reshape(loss.shape) if loss.dim() > 0 else None
    (loss * gout).sum().backward() if gout is not None else loss.backward()
    return loss, x.grad, gout


losses = {}
for name, (kind, opts, x, y) in LOSSES.items():
    case = {"type": kind, "input": tensor_json(x), "target": tensor_json(y),
            "options": {k: (tensor_json(v) if isinstance(v, torch.Tensor) else v) for k, v in opts.items()}}
    for dtype, tag in ((torch.float64, "f64"), (torch.float32, "f32")):
        loss, grad, gout = run_loss(kind, opts, x, y, dtype)
        case[tag] = {"value": tensor_json(loss), "grad": flat(grad),
                     "grad_output": flat(gout) if gout is not None else None}
    losses[name] = case

# ---------------------------------------------------------------- optimizers
# Three parameters; the third has no gradient at step 2 (skipped, as PyTorch skips grad=None). The last
# step's gradients are small so that amsgrad's running maximum matters.
P0 = [randn(3, 4), randn(5), randn(2, 2)]
GRADS = [[randn(3, 4), randn(5), randn(2, 2)],
         [randn(3, 4) * 2, randn(5), None],
         [randn(3, 4) * 0.1, randn(5) * 0.1, randn(2, 2) * 0.1]]

OPTIMIZERS = {
    "sgd_plain": ("SGD", {"lr": 0.1}),
    "sgd_momentum": ("SGD", {"lr": 0.1, "momentum": 0.9}),
    "sgd_nesterov": ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
    "sgd_weight_decay": ("SGD", {"lr": 0.1, "momentum": 0.5, "weight_decay": 0.05}),
    "sgd_dampening": ("SGD", {"lr": 0.1, "momentum": 0.9, "dampening": 0.3}),
    "sgd_maximize": ("SGD", {"lr": 0.1, "momentum": 0.9, "maximize": True}),
    "adam_default": ("Adam", {}),
    "adam": ("Adam", {"lr": 0.1}),
    "adam_betas_eps": ("Adam", {"lr": 0.05, "betas": (0.8, 0.95), "eps": 1e-3}),
    "adam_amsgrad": ("Adam", {"lr": 0.1, "amsgrad": True}),
    "adam_weight_decay": ("Adam", {"lr": 0.1, "weight_decay": 0.1}),
    "adam_amsgrad_weight_decay_maximize": ("Adam", {"lr": 0.1, "amsgrad": True, "weight_decay": 0.1,
                                                    "maximize": True}),
    "adamw": ("AdamW", {"lr": 0.1}),
    "adamw_weight_decay": ("AdamW", {"lr": 0.1, "weight_decay": 0.3}),
    "adamw_amsgrad": ("AdamW", {"lr": 0.1, "amsgrad": True, "betas": (0.85, 0.99)}),
    "rmsprop": ("RMSprop", {"lr": 0.01}),
    "rmsprop_centered": ("RMSprop", {"lr": 0.01, "centered": True}),
    "rmsprop_momentum": ("RMSprop", {"lr": 0.01, "momentum": 0.9}),
    "rmsprop_centered_momentum_wd": ("RMSprop", {"lr": 0.01, "alpha": 0.9, "eps": 1e-4, "centered": True,
                                                 "momentum": 0.5, "weight_decay": 0.1}),
    "rmsprop_maximize": ("RMSprop", {"lr": 0.01, "maximize": True, "weight_decay": 0.1}),
}

optimizers = {}
for name, (kind, opts) in OPTIMIZERS.items():
    params = [p.clone().requires_grad_(True) for p in P0]
    opt = getattr(torch.optim, kind)(params, **opts)
    trajectory = []
    for grads in GRADS:
        for p, gr in zip(params, grads):
            p.grad = None if gr is None else gr.clone()
        opt.step()
        trajectory.append([flat(p) for p in params])
    cpp_opts = dict(opts)
    if "betas" in cpp_opts:
        cpp_opts["beta1"], cpp_opts["beta2"] = cpp_opts.pop("betas")
    optimizers[name] = {"type": kind, "options": cpp_opts, "after_step": trajectory}

# ---------------------------------------------------------------- schedulers
SCHEDULERS = {
    "step_lr": ("StepLR", {"step_size": 3, "gamma": 0.5}),
    "step_lr_default_gamma": ("StepLR", {"step_size": 4}),
    "exponential_lr": ("ExponentialLR", {"gamma": 0.9}),
    "cosine_lr": ("CosineAnnealingLR", {"T_max": 5, "eta_min": 0.001}),
    "cosine_lr_long": ("CosineAnnealingLR", {"T_max": 10}),
}
schedulers = {}
for name, (kind, opts) in SCHEDULERS.items():
    p = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([p], lr=0.1)
    sched = getattr(torch.optim.lr_scheduler, kind)(opt, **opts)
    lrs = [sched.get_last_lr()[0]]
    for _ in range(12):
        opt.step()
        sched.step()
        lrs.append(sched.get_last_lr()[0])
    schedulers[name] = {"type": kind, "options": opts, "base_lr": 0.1, "lrs": lrs}

ref = {
    "_about": "written by tests/reference/make_nn_fixtures.py with torch " + torch.__version__,
    "losses": losses,
    "optimizers": {"initial": [flat(p) for p in P0],
                   "shapes": [list(p.shape) for p in P0],
                   "grads": [[None if gr is None else flat(gr) for gr in step] for step in GRADS],
                   "cases": optimizers},
    "schedulers": schedulers,
}
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "nn_reference.json")
with open(out, "w") as f:
    json.dump(ref, f, indent=0, sort_keys=True)
    f.write("\n")
print("wrote", out, len(losses), "losses,", len(optimizers), "optimizer configs,", len(schedulers), "schedulers")
