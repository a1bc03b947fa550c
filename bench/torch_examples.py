#!/usr/bin/python3
"""Trains the example projects' architectures in PyTorch (Debian's python3-torch) with the same
hyper-parameters (projects/src/NAME.config.json), the same dataset definitions and split fraction,
and prints their final accuracies, to put next to `neura train`'s. Data are drawn by PyTorch's RNG, so
samples differ from the engine's; the definitions (and the real UCI files) are the same. The sequence
examples (sine-forecast-gru, char-lstm) are the exception: their samples are the engine's own, drawn by a
port of its random source, and split as the engine splits windows of one series (the tail validates, the
windows that overlap it are dropped), so only initialization and batch order differ.
    /usr/bin/python3 bench/torch_examples.py [NAME...]
"""
import csv, gzip, json, math, os, sys, time
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

# ---- sequence examples: the engine's data drawn exactly (engine/data/Random.h, Sequence.cpp, Split.cpp)
M64 = (1 << 64) - 1

class MT19937_64:
    """std::mt19937_64, as the C++ standard defines it."""
    def __init__(self, seed):
        self.mt = [seed & M64]
        for i in range(1, 312):
            self.mt.append((6364136223846793005 * (self.mt[-1] ^ (self.mt[-1] >> 62)) + i) & M64)
        self.i = 312
    def __call__(self):
        if self.i >= 312:
            mt = self.mt
            for k in range(312):
                y = (mt[k] & 0xFFFFFFFF80000000) | (mt[(k + 1) % 312] & 0x7FFFFFFF)
                mt[k] = mt[(k + 156) % 312] ^ (y >> 1) ^ (0xB5026F5AA96619E9 if y & 1 else 0)
            self.i = 0
        y = self.mt[self.i]; self.i += 1
        y ^= (y >> 29) & 0x5555555555555555
        y ^= (y << 17) & 0x71D67FFFEDA60000
        y ^= (y << 37) & 0xFFF7EEE000000000
        return y ^ (y >> 43)

def mix_seed(x):
    x = (x + 0x9E3779B97F4A7C15) & M64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & M64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & M64
    return x ^ (x >> 31)

class Rng:
    """neura::data::internal::Rng."""
    def __init__(self, seed, stream=None):
        self.e = MT19937_64(mix_seed(seed) if stream is None else mix_seed(mix_seed(seed) ^ mix_seed(~stream & M64)))
        self.spare = None
    def uniform(self, lo=0.0, hi=1.0):
        return lo + (hi - lo) * ((self.e() >> 11) * 2.0 ** -53)
    def normal(self):
        if self.spare is not None:
            s, self.spare = self.spare, None; return s
        u1 = 0.0
        while u1 <= 0.0: u1 = self.uniform()
        u2 = self.uniform(); r = math.sqrt(-2.0 * math.log(u1))
        self.spare = r * math.sin(2.0 * math.pi * u2)
        return r * math.cos(2.0 * math.pi * u2)

def sine_forecast_series(steps, waves=3, noise=0.05, seed=0):
    rng = Rng(seed)
    w = [(rng.uniform(0.2, 1.0), rng.uniform(1 / 64, 1 / 8), rng.uniform(0.0, 2 * math.pi)) for _ in range(waves)]
    return [sum(a * math.sin(2 * math.pi * f * t + p) for a, f, p in w) + noise * rng.normal() for t in range(steps)]

def sine_forecast(n=1000, length=32, horizon=1, waves=3, noise=0.05, seed=0):
    x = torch.tensor(sine_forecast_series(n + length + horizon - 1, waves, noise, seed), dtype=torch.float32)
    idx = torch.arange(n)[:, None]
    return x[idx + torch.arange(length)].unsqueeze(-1), x[idx + length + torch.arange(horizon)]

def text(path=os.path.join(data_dir, "tinyshakespeare.txt.gz"), length=64, stride=3, max_samples=20000):
    with gzip.open(path, "rt", encoding="utf-8") as f:
        t = f.read()
    vocab = sorted(set(t)); index = {c: i for i, c in enumerate(vocab)}
    n = min(max_samples, (len(t) - length - 1) // stride + 1)
    tokens = torch.tensor([index[c] for c in t[:(n - 1) * stride + length + 1]])
    starts = torch.arange(n)[:, None] * stride
    return tokens[starts + torch.arange(length)], tokens[starts[:, 0] + length], len(vocab)

def time_split(n, val_fraction, steps):
    """train_val_split of windows of one series (Dataset::time_steps): the last round(val_fraction * n) samples
    validate, and training keeps the samples before them whose steps (steps(i) = (first, last)) all come
    before the first step the validation samples read."""
    n_val = int(math.floor(val_fraction * n + 0.5)); first_val = n - n_val
    boundary = steps(first_val)[0] if first_val < n else math.inf
    return [i for i in range(first_val) if steps(i)[1] < boundary], list(range(first_val, n))

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

class SequenceNet(torch.nn.Module):
    """Input → [Embedding] → GRU/LSTM/RNN (batch first) → LastStep → Linear, from a model.json chain."""
    def __init__(self, model):
        super().__init__()
        nodes = {n["id"]: n for n in model["nodes"]}
        order = [0]; nxt = {e["from"]["node"]: e["to"]["node"] for e in model["edges"]}
        while order[-1] in nxt: order.append(nxt[order[-1]])
        shape = nodes[0]["attributes"]["shape"]; features = shape[-1] if len(shape) == 2 else None
        self.steps = []
        for i in order[1:]:
            t, a = nodes[i]["type"], nodes[i]["attributes"]
            if t == "Embedding":
                m = torch.nn.Embedding(a["num_embeddings"], a["embedding_dim"]); features = a["embedding_dim"]
            elif t in ("RNN", "LSTM", "GRU"):
                m = getattr(torch.nn, t)(features, a["hidden_size"], a.get("num_layers", 1), bias=a.get("bias", True),
                                         batch_first=True, dropout=a.get("dropout", 0.0),
                                         bidirectional=a.get("bidirectional", False))
                features = a["hidden_size"] * (2 if a.get("bidirectional", False) else 1)
            elif t == "LastStep": m = None
            elif t == "Linear": m = torch.nn.Linear(features, a["out_features"]); features = a["out_features"]
            elif t == "Loss": self.loss = getattr(torch.nn, a["type"])(); continue
            else: raise ValueError(t)
            self.steps.append((t, m))
            if m is not None: self.add_module(f"{t}{i}", m)
    def forward(self, x):
        for t, m in self.steps:
            if t in ("RNN", "LSTM", "GRU"): x = m(x)[0]
            elif t == "LastStep": x = x[:, -1]
            else: x = m(x)
        return x

def sequence_example(name, dataset):
    """Trains a sequence example on the engine's own samples and split (seqdata above); only the weight
    initialization and the batch order come from PyTorch's RNG, seeded here by the config's seed so the
    figure does not depend on which examples ran before. Prints the last epoch's losses."""
    cfg = json.load(open(os.path.join(src, name + ".config.json")))
    seed = cfg.get("seed", 1); torch.manual_seed(seed); g = torch.Generator().manual_seed(seed)
    model = SequenceNet(json.load(open(os.path.join(src, name + ".model.json"))))
    spec = dataset.split(","); kind = spec[0]
    args = {k: (float(v) if "." in v else int(v)) for k, v in (p.split("=") for p in spec[1:])}
    if kind == "sine-forecast":
        x, y = sine_forecast(**args)
        span = args.get("length", 32) + args.get("horizon", 1)
        train, val = time_split(len(x), cfg["val_fraction"], lambda i: (i, i + span - 1))
        xt, xv = x[train], x[val]
        mu = xt.mean(0, keepdim=True); sd = xt.std(0, unbiased=False, keepdim=True)
        xt, xv = (xt - mu) / sd, (xv - mu) / sd  # the engine standardizes each feature (step) on the train split
    else:
        x, y, vocab = text(**args)
        length, stride = args.get("length", 64), args.get("stride", 3)
        train, val = time_split(len(x), cfg["val_fraction"], lambda i: (i * stride, i * stride + length))
        xt, xv = x[train], x[val]
    yt, yv = y[train], y[val]
    opt = torch.optim.Adam(model.parameters(), lr=cfg["lr"])
    start = time.time()
    for _ in range(cfg["epochs"]):
        model.train(); p = torch.randperm(len(xt), generator=g)
        for i in range(0, len(xt), cfg["batch_size"]):
            b = p[i:i + cfg["batch_size"]]
            opt.zero_grad(); model.loss(model(xt[b]), yt[b]).backward(); opt.step()
    model.eval()
    with torch.no_grad():
        extra = f"; variance of the val targets {yv.var(unbiased=False).item():.4f}" if kind == "sine-forecast" else ""
        print(f"{name:16s} train_loss {model.loss(model(xt), yt).item():.4f}  val_loss {model.loss(model(xv), yv).item():.4f}"
              f"  ({time.time() - start:.1f} s; {len(xt)} train, {len(xv)} val samples{extra})")

SEQUENCE = ["sine-forecast-gru", "char-lstm"]

def main():
    torch.manual_seed(1)
    names = sys.argv[1:] or ["xor", "spiral", "moons", "iris", "digits-mlp", "digits-cnn", "sine-regression"] + SEQUENCE
    for name in names:
        if name in SEQUENCE:
            sequence_example(name, open(os.path.join(src, name + ".dataset")).read().strip())
            continue
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
