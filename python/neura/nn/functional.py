"""neura.nn.functional: the engine's neural-network ops with torch.nn.functional's signatures."""
import neura
from neura import _C
from neura._C import relu, sigmoid, tanh  # noqa: F401


def _pair(v):
    return [int(v), int(v)] if isinstance(v, int) else [int(v[0]), int(v[1])]


def gelu(input, approximate="none"):
    if approximate != "none":
        raise ValueError("gelu: only approximate='none' (the exact erf form) is supported")
    return _C._gelu(input)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    return _C._leaky_relu(input, negative_slope)


def softplus(input, beta=1.0, threshold=20.0):
    return _C._softplus(input, beta, threshold)


def softmax(input, dim, dtype=None):
    return _C.softmax(input if dtype is None else input.to(dtype), dim)


def log_softmax(input, dim, dtype=None):
    return _C.log_softmax(input if dtype is None else input.to(dtype), dim)


def linear(input, weight, bias=None):
    out = neura.matmul(input, weight.t())
    return out if bias is None else out + bias


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    if isinstance(padding, str):
        raise ValueError("conv2d: give padding as numbers (padding='%s' is not supported)" % padding)
    return _C._conv2d(input, weight, bias, _pair(stride), _pair(padding), _pair(dilation), groups)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    if dilation != 1 or ceil_mode or return_indices:
        raise ValueError("max_pool2d: dilation, ceil_mode and return_indices are not supported")
    return _C._max_pool2d(input, _pair(kernel_size), _pair(stride or 0), _pair(padding))


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    if ceil_mode or not count_include_pad:
        raise ValueError("avg_pool2d: ceil_mode and count_include_pad=False are not supported")
    return _C._avg_pool2d(input, _pair(kernel_size), _pair(stride or 0), _pair(padding))


def adaptive_avg_pool2d(input, output_size):
    h, w = _pair(output_size)
    return _C._adaptive_avg_pool2d(input, h, w)


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5):
    return _C._batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    shape = [normalized_shape] if isinstance(normalized_shape, int) else list(normalized_shape)
    return _C._layer_norm(input, shape, weight, bias, eps)


def dropout(input, p=0.5, training=True, inplace=False):
    if not 0.0 <= p <= 1.0:
        raise ValueError("dropout probability has to be between 0 and 1, but got %s" % p)
    return _C._dropout(input, p, training)


def embedding(input, weight, padding_idx=None):
    if padding_idx is not None:
        raise ValueError("embedding: padding_idx is not supported")
    return _C._embedding(weight, input)


def one_hot(tensor, num_classes=-1):
    return _C._one_hot(tensor, num_classes)


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None):
    """softmax(q kᵀ · scale + mask) v. An int64 mask: nonzero = may attend (PyTorch 2's bool mask); a float
    mask is added to the scores."""
    return _C._sdpa(query, key, value, attn_mask, dropout_p, is_causal, scale)


def mse_loss(input, target, reduction="mean"):
    return _C._mse_loss(input, target, reduction)


def l1_loss(input, target, reduction="mean"):
    return _C._l1_loss(input, target, reduction)


def huber_loss(input, target, reduction="mean", delta=1.0):
    return _C._huber_loss(input, target, reduction, delta)


def cross_entropy(input, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    return _C._cross_entropy(input, target, weight, ignore_index, reduction, label_smoothing)


def nll_loss(input, target, weight=None, ignore_index=-100, reduction="mean"):
    return _C._nll_loss(input, target, weight, ignore_index, reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, reduction="mean", pos_weight=None):
    return _C._bce_with_logits(input, target, weight, pos_weight, reduction)

