#!/usr/bin/python3
# PyTorch-exported ONNX models for the import test: for each model, DIR/<name>/model.onnx and the
# backend-test data (test_data_set_0/input_0.pb, output_0.pb: PyTorch's output in eval mode).
# usage: /usr/bin/python3 torch_models.py DIR   (Debian's python3 with python3-torch and python3-onnx)
import os
import sys

try:
    import torch
    from onnx import numpy_helper
except ImportError as e:
    sys.exit(f"torch_models: {e}; run tools/setup-debian.sh (python3-torch, python3-onnx)")

torch.manual_seed(0)
nn = torch.nn
models = {
    # Conv2d + BatchNorm2d (fused into the Conv by the exporter), pooling, Flatten, Linear (Gemm), GELU, LayerNorm
    "cnn": (nn.Sequential(nn.Conv2d(2, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(4, 6, (3, 2), stride=(1, 2), padding=(1, 0), groups=2), nn.Tanh(),
                          nn.AvgPool2d(3, stride=1, padding=1), nn.Flatten(), nn.Linear(6 * 4 * 2, 16), nn.GELU(),
                          nn.LayerNorm(16), nn.Dropout(), nn.Linear(16, 3)), (2, 8, 8)),
    "mlp": (nn.Sequential(nn.Linear(5, 12), nn.BatchNorm1d(12), nn.LeakyReLU(0.1), nn.Linear(12, 8), nn.Sigmoid(),
                          nn.Linear(8, 4), nn.Softmax(dim=1)), (5,)),
    "global_pool": (nn.Sequential(nn.Conv2d(3, 5, 3), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                                  nn.Linear(5, 2)), (3, 6, 6)),
}
root = sys.argv[1]
for name, (model, shape) in models.items():
    # Non-trivial BatchNorm statistics: a few train-mode passes, then eval.
    model.train()
    with torch.no_grad():
        for _ in range(3):
            model(torch.randn(16, *shape) * 2 + 0.5)
    model.eval()
    x = torch.randn(4, *shape)
    with torch.no_grad():
        y = model(x)
    d = os.path.join(root, name)
    os.makedirs(os.path.join(d, "test_data_set_0"), exist_ok=True)
    torch.onnx.export(model, x, os.path.join(d, "model.onnx"), opset_version=17, input_names=["input"],
                      output_names=["output"], dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}})
    for kind, t in (("input", x), ("output", y)):
        with open(os.path.join(d, "test_data_set_0", f"{kind}_0.pb"), "wb") as f:
            f.write(numpy_helper.from_array(t.numpy(), kind).SerializeToString())
    print(name)
