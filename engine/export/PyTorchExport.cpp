// PyTorch export (neura/export/PyTorchExport.h): model.py from the layers' PyTorch mappings, the
// weights and the dataset in PyTorch's file format, and train.py / data.py / README.md from the project's
// settings. The Python is written to be read: one line per layer, names from the graph.
#include "neura/export/PyTorchExport.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <algorithm>
#include <map>
#include <set>

#include "neura/autograd/GradMode.h"
#include "neura/core/Error.h"
#include "neura/data/DatasetRegistry.h"
#include "neura/data/Split.h"
#include "neura/export/PyTorchLayer.h"
#include "neura/graph/ModelJson.h"
#include "neura/nn/Loss.h"
#include "neura/train/Experiment.h"
#include "neura/train/TrainConfig.h"
#include "neura/train/TrainedModel.h"

namespace neura::pytorch {

using detail::concat;

namespace {

// ---------------------------------------------------------------- names

bool is_python_keyword(const std::string& s) {
    static const std::set<std::string> kWords = {
        "False", "None",   "True",  "and",      "as",   "assert", "async",  "await",    "break", "class",
        "continue", "def", "del",   "elif",     "else", "except", "finally", "for",     "from",  "global",
        "if",    "import", "in",    "is",       "lambda", "nonlocal", "not", "or",      "pass",  "raise",
        "return", "try",   "while", "with",     "yield", "match",  "case"};
    return kWords.count(s) != 0;
}

// Names an attribute of Model may not take: nn.Module's own members, the names forward() uses and
// the modules model.py imports.
bool is_reserved(const std::string& s) {
    static const std::set<std::string> kNames = {
        "x", "self", "torch", "nn", "math", "os", "Model", "load", "forward", "training", "train", "eval",
        "parameters", "named_parameters", "buffers", "named_buffers", "children", "modules", "state_dict",
        "load_state_dict", "to", "cuda", "cpu", "float", "double", "half", "type", "apply", "zero_grad",
        "register_buffer", "register_parameter", "register_module", "add_module", "get_submodule",
        "requires_grad_", "extra_repr", "input_mean", "input_scale", "dump_patches", "call_super_init",
        "T_destination", "share_memory", "bfloat16", "ipu", "xpu"};
    return kNames.count(s) != 0 || is_python_keyword(s);
}

// A Python identifier for a node name: other characters become '_', a leading digit gets "layer_", a
// reserved name gets a trailing '_'; unique among `taken` (then "_2", "_3", ...).
std::string identifier(const std::string& name, std::set<std::string>& taken) {
    std::string s;
    for (const unsigned char c : name) s += std::isalnum(c) || c == '_' ? static_cast<char>(c) : '_';
    if (s.empty()) s = "layer";
    if (std::isdigit(static_cast<unsigned char>(s[0]))) s = "layer_" + s;
    if (is_reserved(s)) s += '_';
    std::string unique = s;
    for (int k = 2; taken.count(unique); ++k) unique = concat(s, "_", k);
    taken.insert(unique);
    return unique;
}

std::string batched(const Shape& per_sample, const char* batch = "batch") {
    std::string s = concat("[", batch);
    for (const std::int64_t d : per_sample) s += concat(", ", d);
    return s + "]";
}

// `call` with {self}, {inputs} and {0}, {1}, ... replaced.
std::string substitute(const std::string& call, const std::string& self, const std::vector<std::string>& inputs) {
    std::string out;
    for (std::size_t i = 0; i < call.size();) {
        if (call[i] == '{') {
            const std::size_t close = call.find('}', i);
            if (close != std::string::npos) {
                const std::string key = call.substr(i + 1, close - i - 1);
                bool digits = !key.empty();
                for (const char c : key) digits &= std::isdigit(static_cast<unsigned char>(c)) != 0;
                if (key == "self") {
                    out += self;
                    i = close + 1;
                    continue;
                }
                if (key == "inputs") {
                    for (std::size_t k = 0; k < inputs.size(); ++k) out += (k ? ", " : "") + inputs[k];
                    i = close + 1;
                    continue;
                }
                if (digits && std::stoul(key) < inputs.size()) {
                    out += inputs[std::stoul(key)];
                    i = close + 1;
                    continue;
                }
            }
        }
        out += call[i++];
    }
    return out;
}

// ---------------------------------------------------------------- files

void write_text(const std::filesystem::path& path, const std::string& text) {
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    NEURA_CHECK(f, "cannot write '", path.string(), "': ", std::strerror(errno));
    f << text;
    f.flush();
    NEURA_CHECK(f, "cannot write '", path.string(), "': ", std::strerror(errno));
}

// Replaces every @KEY@ of `text` by its value.
std::string fill(std::string text, const std::map<std::string, std::string>& values) {
    for (const auto& [key, value] : values) {
        const std::string marker = "@" + key + "@";
        for (std::size_t at = text.find(marker); at != std::string::npos; at = text.find(marker, at + value.size()))
            text.replace(at, marker.size(), value);
    }
    return text;
}

// ---------------------------------------------------------------- train.py pieces

// "name=value" when value is not PyTorch's default, else "".
std::string py_kw_value(const char* name, const std::string& value, const std::string& pytorch_default) {
    return value == pytorch_default ? std::string() : concat(name, "=", value);
}

// The non-empty arguments joined by ", ".
std::string join_args(const std::vector<std::string>& args) {
    std::string s;
    for (const std::string& a : args)
        if (!a.empty()) s += (s.empty() ? "" : ", ") + a;
    return s;
}

std::string loss_expression(const graph::AttributeMap& a) {
    const std::string type = graph::choice_attribute(a, "type");
    const std::string reduction = py_kw_value("reduction", py_str(graph::choice_attribute(a, "reduction")), "\"mean\"");
    if (type == "CrossEntropyLoss")
        return concat("nn.CrossEntropyLoss(", join_args({reduction,
                      py_kw_value("label_smoothing", py_float(graph::float_attribute(a, "label_smoothing")), "0.0"),
                      py_kw_value("ignore_index", std::to_string(graph::int_attribute(a, "ignore_index")), "-100")}), ")");
    if (type == "NLLLoss")
        return concat("nn.NLLLoss(", join_args({reduction,
                      py_kw_value("ignore_index", std::to_string(graph::int_attribute(a, "ignore_index")), "-100")}), ")");
    if (type == "HuberLoss")
        return concat("nn.HuberLoss(", join_args({reduction,
                      py_kw_value("delta", py_float(graph::float_attribute(a, "delta")), "1.0")}), ")");
    return concat("nn.", type, "(", reduction, ")");
}


std::string optimizer_expression(const train::TrainConfig& c) {
    const std::string lr = concat("lr=", py_float(c.lr));
    const std::string betas = concat("betas=(", py_float(c.beta1), ", ", py_float(c.beta2), ")");
    const std::string decay = concat("weight_decay=", py_float(std::max(c.weight_decay, 0.0)));
    if (c.optimizer == "SGD")
        return concat("torch.optim.SGD(parameters, ", lr, ", momentum=", py_float(c.momentum), ", nesterov=",
                      py_bool(c.nesterov), ", ", decay, ")");
    if (c.optimizer == "Adam") return concat("torch.optim.Adam(parameters, ", lr, ", ", betas, ", ", decay, ")");
    if (c.optimizer == "AdamW")  // a negative weight_decay: AdamW's default
        return concat("torch.optim.AdamW(parameters, ", lr, ", ", betas, ", weight_decay=",
                      py_float(c.weight_decay >= 0.0 ? c.weight_decay : 0.01), ")");
    if (c.optimizer == "RMSprop")
        return concat("torch.optim.RMSprop(parameters, ", lr, ", momentum=", py_float(c.momentum), ", ", decay, ")");
    throw Error(concat("PyTorch export: unknown optimizer '", c.optimizer, "'"));
}

// Stepped once per epoch, after validation, as the engine's trainer does.
std::string scheduler_expression(const train::SchedulerConfig& s) {
    if (s.type == "StepLR")
        return concat("torch.optim.lr_scheduler.StepLR(optimizer, step_size=", s.step_size, ", gamma=", py_float(s.gamma), ")");
    if (s.type == "ExponentialLR")
        return concat("torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=", py_float(s.gamma), ")");
    if (s.type == "CosineAnnealingLR")
        return concat("torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=",
                      s.t_max > 0 ? std::to_string(s.t_max) : std::string("epochs"), ", eta_min=", py_float(s.eta_min), ")");
    return "None";
}

// ---------------------------------------------------------------- templates

const char* kModelHeader = R"PY("""@TITLE@: the network of NeuraStudio's project @TITLE@, in PyTorch.

    from model import load
    net = load()              # Model() with the trained weights of weights.pt, in eval mode
    y = net(x)                # x: @INPUT@ -> y: @OUTPUT@

Exported by NeuraStudio @VERSION@ (neura export-torch).
"""
import math
import os

import torch
from torch import nn
)PY";

const char* kModelFooter = R"PY(

def load(path=None, map_location="cpu"):
    """Model() with the weights of `path` (default: weights.pt beside this file), in eval mode."""
    if path is None:
        path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "weights.pt")
    model = Model()
    model.load_state_dict(torch.load(path, map_location=map_location))
    return model.eval()
)PY";

const char* kDataPy = R"PY("""The dataset of NeuraStudio's project @TITLE@: @DATASET@.

@DESCRIPTION@

data.pt holds the samples as NeuraStudio built them (features @FEATURES@, targets @TARGETS@) and the
indices of its training/validation split, so that train.py trains and validates on the very samples
`neura train` does. The split: @SPLIT@.

    import data
    train_set, val_set = data.load()   # TensorDatasets of (features, target); val_set None without a split
"""
import os

import torch
from torch.utils.data import TensorDataset

HERE = os.path.dirname(os.path.abspath(__file__))

DATASET = @DATASET_DICT@
TASK = "@TASK@"
NUM_CLASSES = @NUM_CLASSES@  # classification: the classes; 0 for regression
# Standardize the features with the training split's statistics (Model's input_mean and input_scale);
# never token indices, nor features an Embedding reads.
NORMALIZE = @NORMALIZE@


def load(path=os.path.join(HERE, "data.pt")):
    """(train_set, val_set): the training and validation samples as TensorDatasets of (features, target)."""
    d = torch.load(path)
    features, targets = d["features"], d["targets"]
    train_set = TensorDataset(features[d["train_index"]], targets[d["train_index"]])
    val_index = d["val_index"]
    val_set = TensorDataset(features[val_index], targets[val_index]) if len(val_index) > 0 else None
    return train_set, val_set


def standardization(features):
    """Per-feature (mean, scale) of `features` [N, ...] as NeuraStudio computes them: in float64, the
    population standard deviation as the scale; a constant feature keeps scale 1 (as scikit-learn)."""
    x = features.double().reshape(len(features), -1)
    mean = x.mean(0)
    std = ((x - mean) ** 2).mean(0).sqrt()
    constant = ~torch.isfinite(std) | (std <= 10 * torch.finfo(torch.float64).eps * mean.abs())
    scale = torch.where(constant, torch.ones_like(std), std)
    shape = features.shape[1:]
    return mean.float().reshape(shape), scale.float().reshape(shape)
)PY";

// data.py's generators of the synthetic datasets (engine/data/Synthetic.cpp and data/Random.h, line by
// line): the same random stream (mt19937_64 behind a SplitMix64 seed), so the samples are bit-identical.
const char* kSyntheticPy = R"PY(

# ---- the dataset's definition, regenerated in Python ----
# NeuraStudio's generator written out (engine/data/Synthetic.cpp): the same random stream, so
# regenerate() gives the samples of data.pt bit for bit.

MASK64 = (1 << 64) - 1


def mix_seed(x):
    """SplitMix64's finaliser: spreads nearby seeds over unrelated generator states."""
    x = (x + 0x9E3779B97F4A7C15) & MASK64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & MASK64
    return x ^ (x >> 31)


class Rng:
    """std::mt19937_64 seeded with mix_seed(seed); uniform [0, 1) from 53 bits; Box-Muller normals."""

    def __init__(self, seed):
        self.mt = [mix_seed(seed)]
        for i in range(1, 312):
            prev = self.mt[-1]
            self.mt.append((6364136223846793005 * (prev ^ (prev >> 62)) + i) & MASK64)
        self.index = 312
        self.spare = None

    def next64(self):
        if self.index >= 312:
            mt = self.mt
            for i in range(312):
                y = (mt[i] & 0xFFFFFFFF80000000) | (mt[(i + 1) % 312] & 0x7FFFFFFF)
                mt[i] = mt[(i + 156) % 312] ^ (y >> 1) ^ (0xB5026F5AA96619E9 if y & 1 else 0)
            self.index = 0
        y = self.mt[self.index]
        self.index += 1
        y ^= (y >> 29) & 0x5555555555555555
        y ^= (y << 17) & 0x71D67FFFEDA60000
        y ^= (y << 37) & 0xFFF7EEE000000000
        return y ^ (y >> 43)

    def uniform(self, low=0.0, high=1.0):
        return low + (high - low) * ((self.next64() >> 11) * 2.0 ** -53)

    def normal(self):
        if self.spare is not None:
            value, self.spare = self.spare, None
            return value
        u1 = 0.0
        while u1 <= 0.0:
            u1 = self.uniform()
        u2 = self.uniform()
        r = math.sqrt(-2.0 * math.log(u1))
        self.spare = r * math.sin(2.0 * math.pi * u2)
        return r * math.cos(2.0 * math.pi * u2)

    def below(self, n):
        limit = MASK64 - (MASK64 % n)
        x = self.next64()
        while x >= limit:
            x = self.next64()
        return x % n

    def shuffle(self, items):
        for i in range(len(items), 1, -1):
            j = self.below(i)
            items[i - 1], items[j] = items[j], items[i - 1]


def linspace_at(start, stop, num, i, endpoint=True):
    div = num - 1 if endpoint else num
    return start if div <= 0 else start + (stop - start) * i / div


def finish(rows, labels, rng, classification):
    """The rows in a shuffled order (scikit-learn's shuffle=True), as (features, targets) tensors."""
    order = list(range(len(rows)))
    rng.shuffle(order)
    features = torch.tensor([rows[k] for k in order], dtype=torch.float64).float()
    if classification:
        return features, torch.tensor([labels[k] for k in order], dtype=torch.int64)
    return features, torch.tensor([[labels[k]] for k in order], dtype=torch.float64).float()


def spiral(n=300, noise=0.2, seed=0, classes=3):
    """`classes` interleaved spiral arms in 2-D; the class is the arm."""
    rng, rows, labels = Rng(seed), [], []
    for j in range(classes):
        m = n // classes + (1 if j < n % classes else 0)
        for i in range(m):
            r = linspace_at(0.0, 1.0, m, i)
            t = linspace_at(4.0 * j, 4.0 * (j + 1), m, i) + noise * rng.normal()
            rows.append([r * math.sin(t), r * math.cos(t)])
            labels.append(j)
    return finish(rows, labels, rng, True)


def moons(n=200, noise=0.1, seed=0):
    """Two interleaving half circles (scikit-learn's make_moons)."""
    rng, n_out = Rng(seed), n // 2
    n_in = n - n_out
    rows = [[math.cos(a), math.sin(a)] for a in (linspace_at(0.0, math.pi, n_out, i) for i in range(n_out))]
    rows += [[1.0 - math.cos(a), 1.0 - math.sin(a) - 0.5] for a in (linspace_at(0.0, math.pi, n_in, i) for i in range(n_in))]
    rows = [[v + noise * rng.normal() for v in row] for row in rows]
    return finish(rows, [0] * n_out + [1] * n_in, rng, True)


def circles(n=200, noise=0.05, seed=0, factor=0.5):
    """A small circle inside a large one (scikit-learn's make_circles)."""
    rng, n_out = Rng(seed), n // 2
    n_in = n - n_out
    rows = [[math.cos(a), math.sin(a)] for a in (linspace_at(0.0, 2 * math.pi, n_out, i, False) for i in range(n_out))]
    rows += [[factor * math.cos(a), factor * math.sin(a)]
             for a in (linspace_at(0.0, 2 * math.pi, n_in, i, False) for i in range(n_in))]
    rows = [[v + noise * rng.normal() for v in row] for row in rows]
    return finish(rows, [0] * n_out + [1] * n_in, rng, True)


def xor(n=200, noise=0.1, seed=0):
    """Four quadrants in turn (I, II, III, IV); the class is sign(x) xor sign(y)."""
    rng, rows, labels = Rng(seed), [], []
    signs = [(1.0, 1.0), (-1.0, 1.0), (-1.0, -1.0), (1.0, -1.0)]
    for i in range(n):
        sx, sy = signs[i % 4]
        x = sx * rng.uniform()
        y = sy * rng.uniform()
        rows.append([x, y])
        labels.append(0 if sx * sy > 0 else 1)
    rows = [[v + noise * rng.normal() for v in row] for row in rows]
    return finish(rows, labels, rng, True)


def sine(n=200, noise=0.1, seed=0):
    """Regression: x uniform in [-pi, pi], y = sin x + noise."""
    rng, rows, targets = Rng(seed), [], []
    for _ in range(n):
        x = rng.uniform(-math.pi, math.pi)
        rows.append([x])
        targets.append(math.sin(x) + noise * rng.normal())
    return finish(rows, targets, rng, False)


def regenerate():
    """(features, targets) of DATASET made again by the definition above: data.pt's samples."""
    p = DATASET["params"]
    number = {"n": int, "seed": int, "classes": int, "noise": float, "factor": float}
    return globals()[DATASET["name"]](**{k: number[k](v) for k, v in p.items()})
)PY";

const char* kTrainPy = R"PY(#!/usr/bin/env python3
"""Trains model.py's Model on data.py's dataset with the settings of NeuraStudio's project @TITLE@:
@LOSS@, @OPTIMIZER_NAME@ (lr @LR@), batch size @BATCH@, seed @SEED@, @EPOCHS@ epochs, validation
fraction @VAL_FRACTION@@SCHEDULE_NOTE@. Prints one JSON line per epoch, as `neura train --json` names the
figures; saves the trained state_dict to --out (default trained.pt).

    python3 train.py [--epochs N] [--device cpu|cuda] [--out trained.pt]
    python3 train.py --nproc N                           # N processes on this machine (DDP)
    torchrun --nproc_per_node=N --nnodes=M train.py      # one process per rank (RANK, WORLD_SIZE, LOCAL_RANK)

Distributed runs use DistributedDataParallel with a DistributedSampler (gloo on the CPU, nccl on CUDA);
the batch size is per process, only rank 0 prints and saves.
"""
import argparse
import json
import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import torch  # noqa: E402
import torch.distributed as dist  # noqa: E402
import torch.multiprocessing as mp  # noqa: E402
from torch import nn  # noqa: E402
from torch.nn.parallel import DistributedDataParallel  # noqa: E402
from torch.utils.data import DataLoader, DistributedSampler  # noqa: E402

import data  # noqa: E402
from model import Model  # noqa: E402

EPOCHS = @EPOCHS@
BATCH_SIZE = @BATCH@
SEED = @SEED@
EVAL_BATCH = 256  # validation batches, as NeuraStudio's trainer
IGNORE_LABEL = -100  # a padding step's label: accuracy leaves it out
CLASS_SCORES = @CLASS_SCORES@  # the loss takes a score per class


def make_loss():
    return @LOSS_EXPR@


def make_optimizer(parameters):
    return @OPTIMIZER_EXPR@


def make_scheduler(optimizer, epochs):
    """Stepped once per epoch, after validation."""
    return @SCHEDULER_EXPR@


def compute_loss(criterion, output, target):
    # The model keeps features last, so a sequence model's scores are [B, T, C] for targets [B, T];
    # PyTorch's losses take the classes at dim 1.
    if CLASS_SCORES and output.dim() >= 3 and target.dtype == torch.long and output.shape[:-1] == target.shape:
        output = output.movedim(-1, 1)
    return criterion(output, target)


def accuracy(output, target):
    """The fraction of labelled targets predicted right (one logit: positive when > 0), or None when the
    targets are not class labels."""
    if target.dtype != torch.long or output.dim() != target.dim() + 1:
        return None
    predicted = (output[..., 0] > 0).long() if output.size(-1) == 1 else output.argmax(-1)
    labelled = target != IGNORE_LABEL
    count = int(labelled.sum())
    return float((predicted[labelled] == target[labelled]).sum()) / count if count else None


@torch.no_grad()
def evaluate(model, dataset, criterion, device):
    """(loss, accuracy) over `dataset` in eval mode, each batch weighted by its size."""
    model.eval()
    loss_sum = acc_sum = 0.0
    seen = 0
    classification = True
    for x, y in DataLoader(dataset, batch_size=EVAL_BATCH):
        x, y = x.to(device), y.to(device)
        out = model(x)
        loss_sum += compute_loss(criterion, out, y).item() * len(x)
        acc = accuracy(out, y)
        classification = acc is not None
        acc_sum += (acc or 0.0) * len(x)
        seen += len(x)
    model.train()
    return loss_sum / max(seen, 1), (acc_sum / max(seen, 1) if classification else None)


def run(rank, world_size, local_rank, args):
    distributed = world_size > 1
    use_cuda = args.device == "cuda"
    device = torch.device(f"cuda:{local_rank}" if use_cuda else "cpu")
    if use_cuda:
        torch.cuda.set_device(device)
    if distributed:
        dist.init_process_group("nccl" if use_cuda else "gloo", rank=rank, world_size=world_size)  # env://
        if not use_cuda:
            torch.set_num_threads(max(1, (os.cpu_count() or 1) // min(world_size, os.cpu_count() or 1)))
    torch.manual_seed(SEED)  # the same initial weights on every rank

    train_set, val_set = data.load()
    model = Model()
    if data.NORMALIZE:
        mean, scale = data.standardization(train_set.tensors[0])
        model.input_mean.copy_(mean)
        model.input_scale.copy_(scale)
    model.to(device)
    net = DistributedDataParallel(model, device_ids=[local_rank] if use_cuda else None) if distributed else model

    shuffle = torch.Generator()
    shuffle.manual_seed(SEED)
    sampler = DistributedSampler(train_set, num_replicas=world_size, rank=rank, shuffle=True, seed=SEED) if distributed else None
    loader = DataLoader(train_set, batch_size=BATCH_SIZE, shuffle=sampler is None, sampler=sampler,
                        generator=shuffle if sampler is None else None)
    criterion = make_loss()
    optimizer = make_optimizer(net.parameters())
    scheduler = make_scheduler(optimizer, args.epochs)

    for epoch in range(args.epochs):
        started = time.time()
        if sampler is not None:
            sampler.set_epoch(epoch)
        net.train()
        totals = torch.zeros(3, dtype=torch.float64)  # loss sum, accuracy sum, samples
        classification = True
        lr = optimizer.param_groups[0]["lr"]
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            out = net(x)
            loss = compute_loss(criterion, out, y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            acc = accuracy(out.detach(), y)
            classification = acc is not None
            totals += torch.tensor([loss.item() * len(x), (acc or 0.0) * len(x), len(x)], dtype=torch.float64)
        if distributed:  # the epoch's figures over every rank's batches
            summed = totals.to(device)
            dist.all_reduce(summed)
            totals = summed.cpu()
        record = {"epoch": epoch + 1, "train_loss": totals[0].item() / max(totals[2].item(), 1), "lr": lr}
        if classification:
            record["train_accuracy"] = totals[1].item() / max(totals[2].item(), 1)
        if val_set is not None:
            val_loss, val_accuracy = evaluate(model, val_set, criterion, device)
            record["val_loss"] = val_loss
            if val_accuracy is not None:
                record["val_accuracy"] = val_accuracy
        if scheduler is not None:
            scheduler.step()
        record["seconds"] = time.time() - started
        if rank == 0:
            print(json.dumps(record), flush=True)

    if distributed:
        # Every rank must hold the same weights after DDP's averaged steps: compare them on rank 0.
        flat = torch.cat([t.detach().double().reshape(-1).cpu() for t in model.state_dict().values()])
        gathered = [torch.zeros_like(flat) for _ in range(world_size)] if rank == 0 else None
        if use_cuda:  # nccl has no gather; every rank gets every copy
            everything = [torch.zeros_like(flat).to(device) for _ in range(world_size)]
            dist.all_gather(everything, flat.to(device))
            gathered = [t.cpu() for t in everything]
        else:
            dist.gather(flat, gathered, dst=0)
        if rank == 0:
            difference = max((g - flat).abs().max().item() if len(flat) else 0.0 for g in gathered)
            print(json.dumps({"world_size": world_size, "backend": dist.get_backend(),
                              "max_weight_difference_between_ranks": difference}), flush=True)
    if rank == 0:
        torch.save(model.state_dict(), args.out)
    if distributed:
        dist.barrier()
        dist.destroy_process_group()


def spawned(local_rank, world_size, args):
    run(local_rank, world_size, local_rank, args)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=EPOCHS, help=f"epochs to train (the project's: {EPOCHS})")
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--nproc", type=int, default=1, help="processes to start on this machine (DistributedDataParallel)")
    parser.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "trained.pt"),
                        help="where rank 0 saves the trained state_dict")
    args = parser.parse_args()
    if args.epochs < 1 or args.nproc < 1:
        parser.error("--epochs and --nproc must be at least 1")
    if args.device == "cuda" and not torch.cuda.is_available():
        parser.error("--device cuda: torch sees no CUDA device")
    if "RANK" in os.environ and "WORLD_SIZE" in os.environ:  # torchrun (or another env:// launcher)
        rank, world_size = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
        run(rank, world_size, int(os.environ.get("LOCAL_RANK", rank)), args)
    elif args.nproc > 1:
        if args.device == "cuda" and args.nproc > torch.cuda.device_count():
            parser.error(f"--nproc {args.nproc} with --device cuda: torch sees {torch.cuda.device_count()} GPU(s)")
        os.environ["MASTER_ADDR"] = "127.0.0.1"
        os.environ["MASTER_PORT"] = str(free_port())
        mp.spawn(spawned, args=(args.nproc, args), nprocs=args.nproc, join=True)
    else:
        run(0, 1, 0, args)


if __name__ == "__main__":
    main()
)PY";

const char* kReadme = R"MD(# @TITLE@ in PyTorch

Exported from NeuraStudio @VERSION@ (`neura export-torch`). Needs Python 3 and PyTorch (1.13 or later);
nothing of NeuraStudio.

| file | holds |
|---|---|
| `model.py` | `Model`, an `nn.Module` with one attribute per layer of the graph (named after its node), and `load()` |
| `weights.pt` | the trained weights: `Model`'s `state_dict` (`torch.load`) |
@DATA_ROWS@
## Use the trained network

```python
from model import load
net = load()          # eval mode
y = net(x)            # x: @INPUT@ -> y: @OUTPUT@
```
@NORMALIZATION_NOTE@
@TRAIN_SECTION@)MD";

const char* kTrainSection = R"MD(## Train it again

```sh
python3 train.py                      # the project's settings: @EPOCHS@ epochs, batch size @BATCH@, seed @SEED@
python3 train.py --epochs 5           # fewer epochs
python3 train.py --device cpu         # default: cuda when torch sees a GPU
```

Each epoch prints one JSON line (`epoch`, `train_loss`, `train_accuracy`, `val_loss`, `val_accuracy`,
`lr`, `seconds`); the trained weights go to `trained.pt` (`--out`), which `load("trained.pt")` reads.

### Distributed (DistributedDataParallel)

```sh
python3 train.py --nproc 2                            # 2 processes on this machine
torchrun --nproc_per_node=4 --nnodes=2 --node_rank=0 --master_addr=HOST --master_port=29500 train.py
```

`--nproc N` starts N processes itself (torch.multiprocessing, `MASTER_ADDR`/`MASTER_PORT` set by the
script); under `torchrun` each process reads `RANK`, `WORLD_SIZE` and `LOCAL_RANK` from the environment.
The backend is gloo on the CPU and nccl on CUDA (one GPU per process); a `DistributedSampler` gives each
process its share of the training set, the batch size is per process, and only rank 0 prints and saves.
At the end rank 0 prints how far the ranks' weights differ (0.0: in sync).
)MD";

}  // namespace

// ---------------------------------------------------------------- model.py

ModelCode model_code(const graph::ModelGraph& graph, const graph::Network& network,
                     const std::optional<data::Standardizer>& normalization, const std::string& title,
                     const graph::LayerRegistry& registry) {
    NoGradGuard ng;
    const auto& steps = network.steps();
    NEURA_CHECK(!steps.empty(), "PyTorch export: the network is empty (not compiled)");
    ModelCode code;
    std::set<std::string> taken;
    std::vector<std::string> definitions;  // distinct, in first-use order
    std::string init, forward;
    if (normalization) {
        NEURA_CHECK(normalization->num_features() == shape_numel(network.input_shape()),
                    "PyTorch export: the project's normalization statistics have ", normalization->num_features(),
                    " features but the model's Input takes ", shape_numel(network.input_shape()), " values per sample ",
                    shape_str(network.input_shape()));
        const std::string shape = py_ints(network.input_shape());
        init += concat("        # Raw features in, standardized with the training split's statistics, as NeuraStudio trains.\n",
                       "        self.register_buffer(\"input_mean\", torch.zeros(", shape, "))\n",
                       "        self.register_buffer(\"input_scale\", torch.ones(", shape, "))\n");
        const Shape& s = network.input_shape();
        std::vector<double> mean(normalization->mean().begin(), normalization->mean().end());
        std::vector<double> scale(normalization->scale().begin(), normalization->scale().end());
        code.state_dict.emplace_back("input_mean", Tensor::from_vector(mean, s).to(DType::F32));
        code.state_dict.emplace_back("input_scale", Tensor::from_vector(scale, s).to(DType::F32));
        forward += "        x = (x - self.input_mean) / self.input_scale\n";
    }

    // Each step's value lives in `x` when the next step alone reads it (a chain) and `x` is free (its
    // value read for the last time), else in a variable named after its node. The input is `x` first.
    std::vector<std::vector<std::size_t>> consumers(steps.size());
    for (std::size_t i = 1; i < steps.size(); ++i)
        for (const std::size_t j : steps[i].input_steps) consumers[j].push_back(i);
    std::vector<std::string> value(steps.size());
    value[0] = "x";
    std::size_t x_last_read = consumers[0].empty() ? 0 : *std::max_element(consumers[0].begin(), consumers[0].end());

    for (std::size_t i = 1; i < steps.size(); ++i) {
        const graph::Network::Step& s = steps[i];
        const graph::Node& node = graph.node(s.node);
        const graph::LayerDescriptor& d = registry.at(node.type);
        auto fail = [&](const std::string& why) {
            throw Error(concat("cannot export node '", node.name, "' (", node.type, ") to PyTorch: ", why));
        };
        if (!d.pytorch)
            fail(d.plugin.empty() ? "the layer type has no PyTorch mapping"
                                  : concat("the layer type has no PyTorch mapping (plugin '", d.plugin,
                                           "' gives none: LayerDescriptor::pytorch)"));
        PyTorchNode n;
        n.name = node.name;
        n.type = node.type;
        n.attributes = d.resolve(node.attributes);
        for (const std::size_t j : s.input_steps) n.input_shapes.push_back(steps.at(j).output_shape);
        n.output_shape = s.output_shape;
        n.module = s.module.get();
        PyTorchLayer layer;
        try {
            layer = d.pytorch(n);
        } catch (const Error& e) {
            fail(e.what());
        }
        std::vector<std::string> ins;
        for (const std::size_t j : s.input_steps) ins.push_back(value.at(j));
        const std::string attr = identifier(node.name, taken);
        const bool chained = (i + 1 == steps.size() || (consumers[i].size() == 1 && consumers[i][0] == i + 1)) &&
                             i >= x_last_read;
        value[i] = chained ? "x" : attr;
        if (chained) x_last_read = i + 1;
        for (const std::string& def : layer.definitions)
            if (std::find(definitions.begin(), definitions.end(), def) == definitions.end()) definitions.push_back(def);
        const std::string renamed = attr == node.name ? std::string() : concat("  # node \"", node.name, "\"");
        if (!layer.module.empty()) {
            init += concat("        self.", attr, " = ", layer.module, renamed, "\n");
            if (s.module) {
                for (const auto& [name, t] : s.module->named_parameters()) code.state_dict.emplace_back(attr + "." + name, t.detach());
                for (const auto& [name, t] : s.module->named_buffers()) code.state_dict.emplace_back(attr + "." + name, t.detach());
            }
        } else if (s.module && (!s.module->named_parameters().empty() || !s.module->named_buffers().empty())) {
            fail("its PyTorch mapping builds no module, but the layer holds weights");
        }
        forward += concat("        ", value[i], " = ", substitute(layer.call, "self." + attr, ins),
                          layer.module.empty() ? renamed : "", "\n");
    }
    forward += concat("        return ", value.back(), "\n");

    std::map<std::string, std::string> header_values = {{"TITLE", title}, {"VERSION", NEURA_VERSION},
                                                        {"INPUT", batched(network.input_shape())},
                                                        {"OUTPUT", batched(network.output_shape())}};
    std::string src = fill(kModelHeader, header_values);
    for (const std::string& def : definitions) src += "\n\n" + def + "\n";
    src += concat("\n\nclass Model(nn.Module):\n    \"\"\"", title, ": ", batched(network.input_shape()),
                  normalization ? " raw features" : "", " -> ", batched(network.output_shape()), ".",
                  normalization ? "\n\n    The features are standardized inside (input_mean, input_scale), so it takes them as the\n"
                                  "    dataset gives them, as `neura run` does."
                                : "",
                  "\n    \"\"\"\n\n    def __init__(self):\n        super().__init__()\n", init.empty() ? "        pass\n" : init,
                  "\n    def forward(self, x):\n", forward);
    src += kModelFooter;
    code.source = std::move(src);
    return code;
}

// ---------------------------------------------------------------- the folder

ExportResult export_pytorch(const project::Project& project, const std::string& dir, const std::string& title,
                            const graph::LayerRegistry& registry) {
    NoGradGuard ng;
    namespace fs = std::filesystem;
    const train::TrainConfig cfg = train::TrainConfig::from_json(project.train_config_json);
    train::TrainedModel m = train::load_trained_model(project);

    // The dataset (as Experiment builds it): samples, split and whether features are standardized.
    data::DatasetPtr full;
    std::vector<std::int64_t> train_index, val_index;
    bool normalize = false;
    std::optional<train::DatasetSpec> spec;
    if (!project.dataset_json.empty()) {
        spec = train::DatasetSpec::from_json(project.dataset_json);
        full = data::make_dataset(spec->name, spec->params);
        NEURA_CHECK(!full->variable_length(), "PyTorch export: dataset '", spec->name,
                    "' has sequences of different lengths (padded); the exported code has no padding masks yet");
        NEURA_CHECK(m.network.input_shape() == full->feature_shape(), "the model's Input has shape ",
                    shape_str(m.network.input_shape()), " but dataset '", spec->name, "' gives samples of shape ",
                    shape_str(full->feature_shape()));
        if (cfg.val_fraction > 0.0) {
            const data::Split split = data::train_val_split(full, cfg.val_fraction, cfg.seed);
            train_index = split.train->indices();
            val_index = split.val->indices();
        } else {
            train_index.resize(static_cast<std::size_t>(full->size()));
            for (std::int64_t i = 0; i < full->size(); ++i) train_index[static_cast<std::size_t>(i)] = i;
        }
        bool indices = full->token_features();
        for (const auto& step : m.network.steps())
            for (std::size_t p = 0; p < step.input_steps.size(); ++p)
                indices |= step.input_steps[p] == 0 && step.input_kinds[p] == graph::PortKind::Indices;
        normalize = cfg.normalize && !indices;
    }
    // The weights' normalization: the one training stored; an untrained project's the training split's.
    std::optional<data::Standardizer> normalization = m.normalization;
    if (!normalization && normalize)
        normalization = data::Standardizer::fitted_on(data::Subset(full, train_index));

    const ModelCode code = model_code(m.graph, m.network, normalization, title, registry);

    std::error_code ec;
    fs::create_directories(dir, ec);
    NEURA_CHECK(!ec && fs::is_directory(dir), "cannot create the output folder '", dir, "': ",
                ec ? ec.message() : std::string("a file of that name exists"));
    const fs::path out(dir);
    ExportResult result;
    result.trained = m.trained;
    write_text(out / "model.py", code.source);
    result.files.push_back("model.py");
    torch_save(code.state_dict, (out / "weights.pt").string());
    result.files.push_back("weights.pt");

    const std::string input = batched(m.network.input_shape()), output = batched(m.network.output_shape());
    std::map<std::string, std::string> v = {{"TITLE", title}, {"VERSION", NEURA_VERSION}, {"INPUT", input},
                                            {"OUTPUT", output}};
    v["NORMALIZATION_NOTE"] =
        normalization ? "\n`x` holds raw features, as the dataset gives them: `Model` standardizes them itself with the\n"
                        "training split's mean and scale (its buffers `input_mean` and `input_scale`).\n"
                      : "";
    if (!full) {
        v["DATA_ROWS"] = "";
        v["TRAIN_SECTION"] = "The project names no dataset, so there is no `data.py` or `train.py`.\n";
        result.note = "the project names no dataset: model.py and weights.pt only";
        write_text(out / "README.md", fill(kReadme, v));
        result.files.push_back("README.md");
        return result;
    }

    // data.pt and data.py
    std::vector<std::int64_t> all(static_cast<std::size_t>(full->size()));
    for (std::int64_t i = 0; i < full->size(); ++i) all[static_cast<std::size_t>(i)] = i;
    const data::Batch b = full->get_batch(all);
    const auto as_tensor = [](const std::vector<std::int64_t>& idx) {
        return Tensor::from_vector(idx, {static_cast<std::int64_t>(idx.size())});
    };
    torch_save({{"features", b.features}, {"targets", b.targets}, {"train_index", as_tensor(train_index)},
                {"val_index", as_tensor(val_index)}},
               (out / "data.pt").string());
    result.files.push_back("data.pt");

    std::string params, dict = concat("{\"name\": ", py_str(spec->name), ", \"params\": {");
    bool first = true;
    for (const auto& [k, value] : spec->params) {
        params += concat(first ? "" : ", ", k, "=", value);
        dict += concat(first ? "" : ", ", py_str(k), ": ", py_str(value));
        first = false;
    }
    dict += "}}";
    const data::DatasetInfo& info = data::dataset_info(spec->name);
    const bool classification = full->is_classification();
    const bool time_ordered = full->size() > 0 && full->time_steps(0).has_value();
    std::string split_text =
        cfg.val_fraction <= 0.0 ? std::string("no validation split: every sample trains")
        : time_ordered ? concat("the last ", val_index.size(), " samples in time order validate (val_fraction ",
                                py_float(cfg.val_fraction), "); training windows end before the first step they read")
                       : concat(train_index.size(), " training and ", val_index.size(), " validation samples, val_fraction ",
                                py_float(cfg.val_fraction), ", seed ", cfg.seed);
    v["DATASET"] = params.empty() ? spec->name : concat(spec->name, " (", params, ")");
    v["DESCRIPTION"] = info.description;
    v["FEATURES"] = batched(full->feature_shape(), "N");
    Shape ts(b.targets.shape().begin() + 1, b.targets.shape().end());
    v["TARGETS"] = concat(batched(ts, "N"), " ", dtype_name(b.targets.dtype()));
    v["SPLIT"] = split_text;
    v["DATASET_DICT"] = dict;
    v["TASK"] = classification ? "classification" : "regression";
    v["NUM_CLASSES"] = std::to_string(classification ? full->num_classes() : 0);
    v["NORMALIZE"] = py_bool(normalize);
    std::string data_py = fill(kDataPy, v);
    static const std::set<std::string> kSynthetic = {"spiral", "moons", "circles", "xor", "sine"};
    if (kSynthetic.count(spec->name)) {
        data_py.replace(data_py.find("import os\n"), 10, "import math\nimport os\n");
        data_py += kSyntheticPy;
    }
    write_text(out / "data.py", data_py);
    result.files.push_back("data.py");

    // train.py
    const graph::AttributeMap loss_attrs = registry.at("Loss").resolve(m.graph.node(m.network.loss_node()).attributes);
    const nn::LossKind* kind = nn::find_loss_kind(graph::choice_attribute(loss_attrs, "type"));
    v["LOSS"] = graph::choice_attribute(loss_attrs, "type");
    v["LOSS_EXPR"] = loss_expression(loss_attrs);
    v["CLASS_SCORES"] = py_bool(kind && kind->class_scores);
    v["OPTIMIZER_NAME"] = cfg.optimizer;
    v["OPTIMIZER_EXPR"] = optimizer_expression(cfg);
    v["SCHEDULER_EXPR"] = scheduler_expression(cfg.scheduler);
    v["SCHEDULE_NOTE"] = cfg.scheduler.type == "none" ? "" : concat(", ", cfg.scheduler.type, " per epoch");
    v["LR"] = py_float(cfg.lr);
    v["BATCH"] = std::to_string(cfg.batch_size);
    v["SEED"] = std::to_string(cfg.seed);
    v["EPOCHS"] = std::to_string(cfg.epochs);
    v["VAL_FRACTION"] = py_float(cfg.val_fraction);
    write_text(out / "train.py", fill(kTrainPy, v));
    fs::permissions(out / "train.py", fs::perms::owner_exec | fs::perms::group_exec | fs::perms::others_exec,
                    fs::perm_options::add, ec);
    result.files.push_back("train.py");

    v["DATA_ROWS"] = concat("| `data.py` | the dataset, ", v["DATASET"], ": `load()` gives the training and validation sets |\n",
                            "| `data.pt` | its samples and the training/validation split, as NeuraStudio made them |\n",
                            "| `train.py` | training with the project's settings, single process or distributed |\n");
    v["TRAIN_SECTION"] = fill(kTrainSection, v);
    write_text(out / "README.md", fill(kReadme, v));
    result.files.push_back("README.md");
    return result;
}

}  // namespace neura::pytorch
