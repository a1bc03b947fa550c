#!/usr/bin/python3
"""Trains the example projects' architectures in PyTorch (Debian's python3-torch) with the same
hyper-parameters (projects/src/NAME.config.json), the same dataset definitions and split fraction,
and prints their final accuracies, to put next to `neura train`'s. Data are drawn by PyTorch's RNG, so
samples differ from the engine's; the definitions (and the real UCI files) are the same.
    /usr/bin/python3 bench/torch_examples.py
"""
import csv, gzip, json, math, os, sys
import torch

here = os.path.dirname(os.path.abspath(__file__))
src = os.path.join(here, "..", "projects", "src")
data_dir = os.path.join(here, "..", "resources", "datasets")
g = torch.Generator().manual_seed(1)

def spiral(n=600, classes=3, noise=0.1):
    xs, ys = [], []
    for j in range(classes):
        m = n // classes + (1 if j < n % classes else 0)
        r = torch.linspace(0, 1, m)
        t = torch.linspace(4 * j, 4 * (j + 1), m) + noise * torch.randn(m, generator=g)
        xs.append(torch.stack([r * torch.sin(t), r * torch.cos(t)], 1)); ys += [j] * m
    return torch.cat(xs).double(), torch.tensor(ys)

def moons(n=400, noise=0.15):
    n_out = n // 2; n_in = n - n_out
    a = torch.linspace(0, math.pi, n_out); b = torch.linspace(0, math.pi, n_in)
    x = torch.cat([torch.stack([a.cos(), a.sin()], 1), torch.stack([1 - b.cos(), 1 - b.sin() - 0.5], 1)])
    return (x + noise * torch.randn(x.shape, generator=g)).double(), torch.tensor([0] * n_out + [1] * n_in)

def xor(n=400):
    sx = torch.tensor([1., -1., -1., 1.]); sy = torch.tensor([1., 1., -1., -1.])
    q = torch.arange(n) % 4
    x = torch.stack([sx[q] * torch.rand(n, generator=g), sy[q] * torch.rand(n, generator=g)], 1)
    return x.double(), (sx[q] * sy[q] < 0).long()

def uci(name):
    with open(os.path.join(data_dir, name)) as f:
        rows = list(csv.reader(f))[1:]
    x = torch.tensor([[float(v) for v in r[:-1]] for r in rows]); y = torch.tensor([int(float(r[-1])) for r in rows])
    return x.double(), y

def digits(image=False):
    with gzip.open(os.path.join(data_dir, "digits.csv.gz"), "rt") as f:
        rows = list(csv.reader(f))
    x = torch.tensor([[float(v) for v in r[:-1]] for r in rows]); y = torch.tensor([int(float(r[-1])) for r in rows])
    return (x.reshape(-1, 1, 8, 8) if image else x).double(), y

def sine(n=400, noise=0.05):
    x = (torch.rand(n, 1, generator=g) * 2 - 1) * math.pi
    return x.double(), (x.sin() + noise * torch.randn(n, 1, generator=g)).double()

DATA = {"xor": xor, "spiral": spiral, "moons": moons, "iris": lambda: uci("iris.csv"),
        "digits-mlp": digits, "digits-cnn": lambda: digits(True), "sine-regression": sine}

def build(model):
    nodes = {n["id"]: n for n in model["nodes"]}
    order = [0]; nxt = {e["from"]["node"]: e["to"]["node"] for e in model["edges"]}
    while order[-1] in nxt: order.append(nxt[order[-1]])
    layers, shape = [], nodes[0]["attributes"]["shape"]
    for i in order[1:]:
        n = nodes[i]; t, a = n["type"], n["attributes"]
        if t == "Linear":
            layers.append(torch.nn.Linear(math.prod(shape), a["out_features"])); shape = [a["out_features"]]
        elif t == "Conv2d":
            layers.append(torch.nn.Conv2d(shape[0], a["out_channels"], a["kernel_size"], padding=a.get("padding", 0)))
            shape = [a["out_channels"], shape[1], shape[2]]
        elif t == "MaxPool2d":
            layers.append(torch.nn.MaxPool2d(a["kernel_size"])); shape = [shape[0], shape[1] // 2, shape[2] // 2]
        elif t == "Flatten": layers.append(torch.nn.Flatten()); shape = [math.prod(shape)]
        elif t in ("ReLU", "Tanh"): layers.append(getattr(torch.nn, t)())
        elif t == "Loss": loss = a["type"]
    return torch.nn.Sequential(*layers).double(), getattr(torch.nn, loss)()

def main():
    torch.manual_seed(1)
    for name in ["xor", "spiral", "moons", "iris", "digits-mlp", "digits-cnn", "sine-regression"]:
        cfg = json.load(open(os.path.join(src, name + ".config.json")))
        model, lossf = build(json.load(open(os.path.join(src, name + ".model.json"))))
        x, y = DATA[name]()
        perm = torch.randperm(len(x), generator=g); nval = round(cfg["val_fraction"] * len(x))
        xv, yv, xt, yt = x[perm[:nval]], y[perm[:nval]], x[perm[nval:]], y[perm[nval:]]
        mu = xt.mean(0, keepdim=True); sd = xt.std(0, unbiased=False, keepdim=True); sd[sd == 0] = 1
        xt, xv = (xt - mu) / sd, (xv - mu) / sd
        opt = torch.optim.Adam(model.parameters(), lr=cfg["lr"])
        for _ in range(cfg["epochs"]):
            p = torch.randperm(len(xt), generator=g)
            for i in range(0, len(xt), cfg["batch_size"]):
                b = p[i:i + cfg["batch_size"]]
                opt.zero_grad(); lossf(model(xt[b]), yt[b]).backward(); opt.step()
        with torch.no_grad():
            if name == "sine-regression":
                print(f"{name:16s} train_loss {lossf(model(xt), yt).item():.4f}  val_loss {lossf(model(xv), yv).item():.4f}")
            else:
                acc = lambda xx, yy: (model(xx).argmax(1) == yy).double().mean().item()
                print(f"{name:16s} train_acc {acc(xt, yt):.3f}  val_acc {acc(xv, yv):.3f}")

if __name__ == "__main__":
    main()
