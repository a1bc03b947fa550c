#!/usr/bin/python3
"""Writes layers_reference.json for tests/engine/tst_layers.cpp, computed by PyTorch (Debian's
python3-torch 1.13): each layer's parameter and buffer names/shapes and output shape, BatchNorm running
statistics after two training steps (and the eval output that follows), and forward outputs of layers
with given parameters. Run:  /usr/bin/python3 tests/reference/make_layer_fixtures.py
"""
import json, os
import torch

nn = torch.nn
g = torch.Generator().manual_seed(4321)


def randn(*shape):
    return torch.randn(shape, generator=g, dtype=torch.float64)


def flat(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


# name: (module, input shape) -- the same names build the same layers in tst_layers.cpp.
SHAPES = {
    "linear": (nn.Linear(4, 3), [2, 4]),
    "linear_3d_input": (nn.Linear(4, 3), [2, 5, 4]),
    "linear_nobias": (nn.Linear(4, 3, bias=False), [2, 4]),
    "conv2d": (nn.Conv2d(4, 6, (3, 2), stride=2, padding=1, groups=2), [2, 4, 7, 6]),
    "conv2d_nobias_dilation": (nn.Conv2d(3, 5, 3, bias=False, dilation=2), [1, 3, 9, 9]),
    "maxpool2d": (nn.MaxPool2d(3, stride=2, padding=1), [2, 3, 7, 6]),
    "avgpool2d": (nn.AvgPool2d((2, 3)), [2, 3, 7, 6]),
    "adaptiveavgpool2d": (nn.AdaptiveAvgPool2d((3, 4)), [2, 3, 7, 5]),
    "batchnorm1d": (nn.BatchNorm1d(5), [4, 5]),
    "batchnorm1d_3d": (nn.BatchNorm1d(5), [4, 5, 3]),
    "batchnorm2d": (nn.BatchNorm2d(3), [2, 3, 4, 4]),
    "batchnorm2d_noaffine": (nn.BatchNorm2d(3, affine=False), [2, 3, 4, 4]),
    "layernorm": (nn.LayerNorm([4, 5]), [3, 4, 5]),
    "layernorm_noaffine": (nn.LayerNorm(6, elementwise_affine=False), [2, 6]),
    "dropout": (nn.Dropout(0.3), [4, 5]),
    "flatten": (nn.Flatten(), [2, 3, 4, 5]),
    "embedding": (nn.Embedding(10, 3), [2, 7]),
    "relu": (nn.ReLU(), [2, 3]),
    "leakyrelu": (nn.LeakyReLU(0.2), [2, 3]),
    "sigmoid": (nn.Sigmoid(), [2, 3]),
    "tanh": (nn.Tanh(), [2, 3]),
    "gelu": (nn.GELU(), [2, 3]),
    "softmax": (nn.Softmax(dim=1), [2, 3]),
}


def shapes():
    out = {}
    for name, (m, in_shape) in SHAPES.items():
        x = torch.randint(0, 10, in_shape) if isinstance(m, nn.Embedding) else torch.randn(in_shape)
        y = m(x)
        out[name] = {
            "input_shape": in_shape,
            "output_shape": list(y.shape),
            "parameters": [[n, list(p.shape)] for n, p in m.named_parameters()],
            "buffers": [[n, list(b.shape)] for n, b in m.named_buffers()],
            "parameter_count": sum(p.numel() for p in m.parameters()),
        }
    return out


def running_stats():
    out = {}
    for name, m, shape in [("batchnorm2d", nn.BatchNorm2d(3, momentum=0.2), [4, 3, 3, 2]),
                           ("batchnorm1d", nn.BatchNorm1d(4), [6, 4]),
                           ("batchnorm1d_3d", nn.BatchNorm1d(4, eps=1e-3), [3, 4, 5])]:
        m = m.double()
        with torch.no_grad():
            m.weight.copy_(torch.rand(m.weight.shape, generator=g, dtype=torch.float64) + 0.5)
            m.bias.copy_(randn(*m.bias.shape))
        xs = [randn(*shape) * 2 + 1 for _ in range(3)]
        m.train()
        y1 = m(xs[0])
        y2 = m(xs[1])
        m.eval()
        y3 = m(xs[2])
        out[name] = {
            "momentum": m.momentum, "eps": m.eps, "shape": shape,
            "weight": flat(m.weight), "bias": flat(m.bias),
            "inputs": [flat(x) for x in xs],
            "train_outputs": [flat(y1), flat(y2)],
            "running_mean": flat(m.running_mean), "running_var": flat(m.running_var),
            "num_batches_tracked": int(m.num_batches_tracked),
            "eval_output": flat(y3),
        }
    return out


def forwards():
    out = {}
    cases = [("linear", nn.Linear(4, 3), [2, 5, 4]),
             ("conv2d", nn.Conv2d(4, 6, (3, 2), stride=2, padding=1, groups=2), [2, 4, 7, 6]),
             ("layernorm", nn.LayerNorm([4, 5]), [3, 4, 5])]
    for name, m, shape in cases:
        m = m.double()
        with torch.no_grad():
            for p in m.parameters():
                p.copy_(randn(*p.shape))
        x = randn(*shape)
        y = m(x)
        out[name] = {"parameters": {n: flat(p) for n, p in m.named_parameters()},
                     "input": flat(x), "input_shape": shape, "output": flat(y), "output_shape": list(y.shape)}
    return out


def main():
    torch.manual_seed(0)
    result = {"generator": "tests/reference/make_layer_fixtures.py", "torch_version": torch.__version__,
              "shapes": shapes(), "running_stats": running_stats(), "forward": forwards()}
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "layers_reference.json")
    with open(path, "w") as f:
        json.dump(result, f, indent=1)
        f.write("\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
