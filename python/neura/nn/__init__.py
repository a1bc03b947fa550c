"""neura.nn: modules as in torch.nn. A Module holds Parameters, buffers and child modules, registered by
assigning them as attributes; layers with parameters run the engine's own layers (neura._C.nn), whose
tensors they expose under PyTorch's names, so state_dict() keys are PyTorch's."""
import collections
import itertools

import neura
from neura import _C
from neura._C import Tensor
from . import functional
from . import functional as F


class Parameter(Tensor):
    """A tensor that is a module's parameter (requires grad). Shares data and gradient with the tensor it
    is made from."""

    def __init__(self, data=None, requires_grad=True):
        if data is None:
            data = neura.empty(0)
        if not data.is_leaf:
            data = data.detach()
        super().__init__(data)
        if data.is_floating_point():
            self.requires_grad_(requires_grad)

    def __repr__(self):
        return "Parameter containing:\n" + Tensor.__repr__(self)


class Module:
    """Base class of every layer and model, as torch.nn.Module: subclass it, assign layers and Parameters
    in __init__, write forward()."""

    def __init__(self):
        object.__setattr__(self, "_parameters", collections.OrderedDict())
        object.__setattr__(self, "_buffers", collections.OrderedDict())
        object.__setattr__(self, "_modules", collections.OrderedDict())
        object.__setattr__(self, "training", True)

    # ---- registration
    def __setattr__(self, name, value):
        if "_parameters" not in self.__dict__:
            raise AttributeError("cannot assign to '%s' before Module.__init__() has run" % name)
        for d in (self._parameters, self._buffers, self._modules):
            d.pop(name, None)
        if isinstance(value, Parameter):
            self._parameters[name] = value
        elif isinstance(value, Module):
            self._modules[name] = value
        else:
            object.__setattr__(self, name, value)

    def __getattr__(self, name):
        d = self.__dict__
        for key in ("_parameters", "_buffers", "_modules"):
            if key in d and name in d[key]:
                return d[key][name]
        raise AttributeError("'%s' object has no attribute '%s'" % (type(self).__name__, name))

    def __delattr__(self, name):
        for d in (self._parameters, self._buffers, self._modules):
            if name in d:
                del d[name]
                return
        object.__delattr__(self, name)

    def register_parameter(self, name, param):
        self._parameters[name] = param

    def register_buffer(self, name, tensor, persistent=True):
        self._buffers[name] = tensor

    def add_module(self, name, module):
        self._modules[name] = module

    register_module = add_module

    # ---- calling
    def forward(self, *args, **kwargs):
        raise NotImplementedError("%s has no forward()" % type(self).__name__)

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    # ---- traversal
    def named_modules(self, memo=None, prefix=""):
        memo = set() if memo is None else memo
        if id(self) in memo:
            return
        memo.add(id(self))
        yield prefix, self
        for name, m in self._modules.items():
            yield from m.named_modules(memo, prefix + ("." if prefix else "") + name)

    def modules(self):
        return (m for _, m in self.named_modules())

    def named_children(self):
        return iter(self._modules.items())

    def children(self):
        return iter(self._modules.values())

    def named_parameters(self, prefix="", recurse=True):
        seen = set()
        mods = self.named_modules(prefix=prefix) if recurse else [(prefix, self)]
        for mp, m in mods:
            for name, p in m._parameters.items():
                if p is None or id(p) in seen:
                    continue
                seen.add(id(p))
                yield mp + ("." if mp else "") + name, p

    def parameters(self, recurse=True):
        return (p for _, p in self.named_parameters(recurse=recurse))

    def named_buffers(self, prefix="", recurse=True):
        mods = self.named_modules(prefix=prefix) if recurse else [(prefix, self)]
        for mp, m in mods:
            for name, b in m._buffers.items():
                if b is not None:
                    yield mp + ("." if mp else "") + name, b

    def buffers(self, recurse=True):
        return (b for _, b in self.named_buffers(recurse=recurse))

    # ---- state
    def state_dict(self):
        """Parameters and buffers by their dotted names (detached, sharing memory), as PyTorch's."""
        out = collections.OrderedDict()
        for mp, m in self.named_modules():
            for name, t in itertools.chain(m._parameters.items(), m._buffers.items()):
                if t is not None:
                    out[mp + ("." if mp else "") + name] = t.detach()
        return out

    def load_state_dict(self, state_dict, strict=True):
        """Copies values into the module's tensors (shapes must match). With strict, missing and unexpected
        keys are an error (RuntimeError naming them), as in PyTorch; returns (missing, unexpected)."""
        own = self.state_dict()
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        if strict and (missing or unexpected):
            raise RuntimeError("Error(s) in loading state_dict for %s: missing keys %s, unexpected keys %s"
                               % (type(self).__name__, missing, unexpected))
        with neura.no_grad():
            for k, t in own.items():
                if k not in state_dict:
                    continue
                v = state_dict[k]
                if not isinstance(v, Tensor):
                    v = neura.tensor(v)
                if tuple(v.shape) != tuple(t.shape):
                    raise ValueError("load_state_dict: '%s' has shape %s in the state, %s in the module"
                                     % (k, list(v.shape), list(t.shape)))
                t.copy_(v.to(t.dtype))
        return collections.namedtuple("IncompatibleKeys", "missing_keys unexpected_keys")(missing, unexpected)

    # ---- mode, dtype, device
    def train(self, mode=True):
        for m in self.modules():
            object.__setattr__(m, "training", mode)
            if isinstance(m, _EngineLayer):
                m._layer.train(mode)
        return self

    def eval(self):
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none=True):
        for p in self.parameters():
            p.grad = None

    def to(self, *args, **kwargs):
        dtype, device = neura._tensor._to_args(args, kwargs)
        for m in self.modules():
            m._apply(dtype, device)
        return self

    def _apply(self, dtype, device):
        """Converts own parameters and buffers in place: every handle (an optimizer's) sees the result."""
        for d in (self._parameters, self._buffers):
            for name, t in list(d.items()):
                if t is None:
                    continue
                new = t.detach().to(dtype=dtype, device=device)
                if new._same(t.detach()):
                    continue
                if isinstance(t, Parameter):
                    d[name] = Parameter(new, t.requires_grad)
                else:
                    d[name] = new

    def double(self):
        return self.to(neura.float64)

    def float(self):
        return self.to(neura.float32)

    def cpu(self):
        return self.to("cpu")

    def cuda(self, device=None):
        return self.to("cuda" if device is None else "cuda:%d" % device)

    def apply(self, fn):
        for m in self.children():
            m.apply(fn)
        fn(self)
        return self

    # ---- printing
    def extra_repr(self):
        return ""

    def __repr__(self):
        lines = []
        for name, m in self._modules.items():
            sub = repr(m).replace("\n", "\n  ")
            lines.append("(%s): %s" % (name, sub))
        head = type(self).__name__ + "(" + self.extra_repr()
        if not lines:
            return head + ")"
        return head + "\n  " + "\n  ".join(lines) + "\n)"

    def __dir__(self):
        return list(super().__dir__()) + list(self._parameters) + list(self._modules) + list(self._buffers)


class _EngineLayer(Module):
    """A layer run by the engine (neura._C.nn.Layer): its parameters and buffers are the engine layer's
    own tensors under PyTorch's names ("weight", "self_attn.in_proj_weight", ...)."""

    def __init__(self, layer):
        super().__init__()
        object.__setattr__(self, "_layer", layer)
        for name, t in layer.named_parameters():
            self._parameters[name] = Parameter(t)
        for name, t in layer.named_buffers():
            self._buffers[name] = t

    def __getattr__(self, name):
        try:
            return Module.__getattr__(self, name)
        except AttributeError:
            pass
        prefix = name + "."
        sub = {k[len(prefix):]: v for k, v in self._parameters.items() if k.startswith(prefix)}
        if sub:  # layer.out_proj.weight: a read-only view of a part of the engine layer
            return _Namespace(sub)
        raise AttributeError("'%s' object has no attribute '%s'" % (type(self).__name__, name))

    def _apply(self, dtype, device):
        if dtype is not None:
            self._layer.to_dtype(dtype)
        if device is not None:
            self._layer.to_device(str(device))
        # the engine converts in place; take its tensors again
        for name, t in self._layer.named_parameters():
            self._parameters[name] = Parameter(t) if not self._parameters[name]._same(t) else self._parameters[name]
        for name, t in self._layer.named_buffers():
            self._buffers[name] = t

    def forward(self, x):
        return self._layer.forward(x)


class _Namespace:
    def __init__(self, items):
        self.__dict__.update(items)


# ------------------------------------------------------------------ layers with parameters
class Linear(_EngineLayer):
    def __init__(self, in_features, out_features, bias=True):
        super().__init__(_C.nn.Linear(in_features, out_features, bias))
        self.in_features, self.out_features = in_features, out_features

    def extra_repr(self):
        return "in_features=%d, out_features=%d, bias=%s" % (self.in_features, self.out_features,
                                                            "bias" in self._parameters)


class Conv2d(_EngineLayer):
    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True):
        p = F._pair
        super().__init__(_C.nn.Conv2d(in_channels, out_channels, p(kernel_size), p(stride), p(padding), p(dilation),
                                      groups, bias))
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size, self.stride, self.padding = tuple(p(kernel_size)), tuple(p(stride)), tuple(p(padding))

    def extra_repr(self):
        return "%d, %d, kernel_size=%s, stride=%s, padding=%s" % (self.in_channels, self.out_channels,
                                                                  self.kernel_size, self.stride, self.padding)


class _BatchNorm(_EngineLayer):
    _dims = 1

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True):
        if not track_running_stats:
            raise ValueError("BatchNorm: track_running_stats=False is not supported")
        super().__init__(_C.nn.BatchNorm(self._dims, num_features, eps, momentum, affine))
        self.num_features = num_features

    def extra_repr(self):
        return str(self.num_features)


class BatchNorm1d(_BatchNorm):
    _dims = 1


class BatchNorm2d(_BatchNorm):
    _dims = 2


class LayerNorm(_EngineLayer):
    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True):
        shape = [normalized_shape] if isinstance(normalized_shape, int) else list(normalized_shape)
        super().__init__(_C.nn.LayerNorm(shape, eps, elementwise_affine))
        self.normalized_shape = tuple(shape)

    def extra_repr(self):
        return str(self.normalized_shape)


class Embedding(_EngineLayer):
    def __init__(self, num_embeddings, embedding_dim):
        super().__init__(_C.nn.Embedding(num_embeddings, embedding_dim))
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim

    def extra_repr(self):
        return "%d, %d" % (self.num_embeddings, self.embedding_dim)


class _Recurrent(_EngineLayer):
    _type = "RNN"

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, nonlinearity="tanh"):
        super().__init__(_C.nn.Recurrent(self._type, input_size, hidden_size, num_layers, nonlinearity, bias,
                                         batch_first, dropout, bidirectional))
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.batch_first, self.bidirectional = batch_first, bidirectional

    def forward(self, input, hx=None):
        """(output, h_n), or (output, (h_n, c_n)) for an LSTM, as PyTorch's."""
        if self._type == "LSTM":
            h0, c0 = hx if hx is not None else (None, None)
            out, h, c = self._layer.forward_with_state(input, h0, c0)
            return out, (h, c)
        out, h, _ = self._layer.forward_with_state(input, hx, None)
        return out, h

    def extra_repr(self):
        return "%d, %d, num_layers=%d, batch_first=%s, bidirectional=%s" % (
            self.input_size, self.hidden_size, self.num_layers, self.batch_first, self.bidirectional)


class RNN(_Recurrent):
    _type = "RNN"


class LSTM(_Recurrent):
    _type = "LSTM"


class GRU(_Recurrent):
    _type = "GRU"


class MultiheadAttention(_EngineLayer):
    def __init__(self, embed_dim, num_heads, dropout=0.0, bias=True, batch_first=False):
        super().__init__(_C.nn.MultiheadAttention(embed_dim, num_heads, dropout, bias, batch_first))
        self.embed_dim, self.num_heads, self.batch_first = embed_dim, num_heads, batch_first

    def forward(self, query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
                average_attn_weights=True):
        return self._layer.attend(query, key, value, key_padding_mask, need_weights, attn_mask, average_attn_weights)


class TransformerEncoderLayer(_EngineLayer):
    def __init__(self, d_model, nhead, dim_feedforward=2048, dropout=0.1, activation="relu", layer_norm_eps=1e-5,
                 batch_first=False, norm_first=False):
        super().__init__(_C.nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward, dropout, activation,
                                                       layer_norm_eps, batch_first, norm_first))
        self.d_model, self.nhead, self.batch_first = d_model, nhead, batch_first

    def forward(self, src, src_mask=None, src_key_padding_mask=None, is_causal=False):
        if is_causal and src_mask is None:
            n = src.shape[1] if self.batch_first and src.dim() == 3 else src.shape[0]
            src_mask = neura.triu(neura.full((n, n), float("-inf")), 1)
        return self._layer.encode(src, src_mask, src_key_padding_mask)


class PositionalEncoding(_EngineLayer):
    """Sinusoidal positions added to [N, T, d] inputs (not a torch.nn layer; the studio's)."""

    def __init__(self, d_model, max_len=5000, dropout=0.0, batch_first=True):
        super().__init__(_C.nn.PositionalEncoding(d_model, max_len, dropout, batch_first))


class Dropout(Module):
    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        self.p = p

    def forward(self, x):
        return F.dropout(x, self.p, self.training)

    def extra_repr(self):
        return "p=%s" % self.p


# ------------------------------------------------------------------ layers without parameters
def _simple(name, fn, repr_fn=None, init=None):
    def __init__(self, *args, **kwargs):
        Module.__init__(self)
        if init:
            init(self, *args, **kwargs)

    cls = type(name, (Module,), {"__init__": __init__, "forward": fn,
                                 "extra_repr": repr_fn or (lambda self: "")})
    return cls


ReLU = _simple("ReLU", lambda self, x: neura.relu(x))
Sigmoid = _simple("Sigmoid", lambda self, x: neura.sigmoid(x))
Tanh = _simple("Tanh", lambda self, x: neura.tanh(x))
Identity = _simple("Identity", lambda self, x: x)


def _init_attr(**defaults):
    def init(self, *args, **kwargs):
        values = dict(defaults)
        values.update(zip(defaults, args))
        values.update(kwargs)
        for k, v in values.items():
            object.__setattr__(self, k, v)
    return init


GELU = _simple("GELU", lambda self, x: F.gelu(x, self.approximate), init=_init_attr(approximate="none"))
LeakyReLU = _simple("LeakyReLU", lambda self, x: F.leaky_relu(x, self.negative_slope),
                    lambda self: "negative_slope=%s" % self.negative_slope, _init_attr(negative_slope=0.01))
Softplus = _simple("Softplus", lambda self, x: F.softplus(x, self.beta, self.threshold),
                   init=_init_attr(beta=1.0, threshold=20.0))
Softmax = _simple("Softmax", lambda self, x: F.softmax(x, self.dim), lambda self: "dim=%s" % self.dim,
                  _init_attr(dim=None))
LogSoftmax = _simple("LogSoftmax", lambda self, x: F.log_softmax(x, self.dim), lambda self: "dim=%s" % self.dim,
                     _init_attr(dim=None))
Flatten = _simple("Flatten", lambda self, x: x.flatten(self.start_dim, self.end_dim),
                  lambda self: "start_dim=%d, end_dim=%d" % (self.start_dim, self.end_dim),
                  _init_attr(start_dim=1, end_dim=-1))
MaxPool2d = _simple("MaxPool2d", lambda self, x: F.max_pool2d(x, self.kernel_size, self.stride, self.padding),
                    lambda self: "kernel_size=%s, stride=%s" % (self.kernel_size, self.stride),
                    _init_attr(kernel_size=2, stride=None, padding=0))
AvgPool2d = _simple("AvgPool2d", lambda self, x: F.avg_pool2d(x, self.kernel_size, self.stride, self.padding),
                    lambda self: "kernel_size=%s, stride=%s" % (self.kernel_size, self.stride),
                    _init_attr(kernel_size=2, stride=None, padding=0))
AdaptiveAvgPool2d = _simple("AdaptiveAvgPool2d", lambda self, x: F.adaptive_avg_pool2d(x, self.output_size),
                            lambda self: "output_size=%s" % (self.output_size,), _init_attr(output_size=1))


# ------------------------------------------------------------------ containers
class _Container(Module):
    """Children in order, named "0", "1", ...: indexing, len, iteration and append (Sequential, ModuleList)."""

    def __getitem__(self, i):
        return list(self._modules.values())[i]

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def append(self, module):
        self.add_module(str(len(self._modules)), module)
        return self


class Sequential(_Container):
    def __init__(self, *modules):
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], collections.OrderedDict):
            for name, m in modules[0].items():
                self.add_module(name, m)
        else:
            for m in modules:
                self.append(m)

    def forward(self, x):
        for m in self._modules.values():
            x = m(x)
        return x


class ModuleList(_Container):
    def __init__(self, modules=()):
        super().__init__()
        for m in modules:
            self.append(m)


# ------------------------------------------------------------------ losses
class _Loss(Module):
    def __init__(self, reduction="mean", **kwargs):
        super().__init__()
        self.reduction = reduction
        for k, v in kwargs.items():
            object.__setattr__(self, k, v)


class MSELoss(_Loss):
    def forward(self, input, target):
        return F.mse_loss(input, target, self.reduction)


class L1Loss(_Loss):
    def forward(self, input, target):
        return F.l1_loss(input, target, self.reduction)


class HuberLoss(_Loss):
    def __init__(self, reduction="mean", delta=1.0):
        super().__init__(reduction, delta=delta)

    def forward(self, input, target):
        return F.huber_loss(input, target, self.reduction, self.delta)


class CrossEntropyLoss(_Loss):
    def __init__(self, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
        super().__init__(reduction, weight=weight, ignore_index=ignore_index, label_smoothing=label_smoothing)

    def forward(self, input, target):
        return F.cross_entropy(input, target, self.weight, self.ignore_index, self.reduction, self.label_smoothing)


class NLLLoss(_Loss):
    def __init__(self, weight=None, ignore_index=-100, reduction="mean"):
        super().__init__(reduction, weight=weight, ignore_index=ignore_index)

    def forward(self, input, target):
        return F.nll_loss(input, target, self.weight, self.ignore_index, self.reduction)


class BCEWithLogitsLoss(_Loss):
    def __init__(self, weight=None, reduction="mean", pos_weight=None):
        super().__init__(reduction, weight=weight, pos_weight=pos_weight)

    def forward(self, input, target):
        return F.binary_cross_entropy_with_logits(input, target, self.weight, self.reduction, self.pos_weight)
