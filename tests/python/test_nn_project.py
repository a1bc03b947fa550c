"""neura.nn modules, neura.optim and neura.data against PyTorch; projects trained from Python against the
CLI; Ctrl+C during training; 100,000 small ops without a leak."""
import json
import os
import signal
import subprocess
import sys
import textwrap

import numpy as np
import onnx
import onnx.numpy_helper
import pytest
import torch

import neura
import neura.nn as nn
import neura.nn.functional as F

SRC = os.path.join(os.environ.get("NEURA_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", "..")),
                   "projects", "src")
CLI = os.environ.get("NEURA_CLI", os.path.join(os.path.dirname(__file__), "..", "..", "build", "engine", "neura"))


def create_example(name, tmp_path):
    path = str(tmp_path / (name + ".neura"))
    with open(os.path.join(SRC, name + ".dataset")) as f:
        dataset = f.read().strip()
    subprocess.run([CLI, "create", path, "--force", "--model", os.path.join(SRC, name + ".model.json"),
                    "--config", os.path.join(SRC, name + ".config.json"), "--dataset", dataset],
                   check=True, capture_output=True)
    return path


# ------------------------------------------------------------------ modules
def copy_weights(src_torch, dst_neura):
    dst_neura.load_state_dict({k: neura.from_dlpack(v.detach().contiguous())
                               for k, v in src_torch.state_dict().items()})


@pytest.mark.parametrize("make", [
    lambda m: m.Linear(5, 3),
    lambda m: m.Sequential(m.Linear(5, 8), m.ReLU(), m.Linear(8, 2), m.Tanh()),
    lambda m: m.LayerNorm(5),
    lambda m: m.GELU(),
])
def test_modules_match_torch_with_the_same_weights(make):
    tm, nm = make(torch.nn).double(), make(nn).double()
    assert list(tm.state_dict()) == list(nm.state_dict())        # PyTorch's names
    copy_weights(tm, nm)
    x = np.random.default_rng(0).standard_normal((4, 5))
    tx, nx = torch.tensor(x, requires_grad=True), neura.tensor(x, requires_grad=True)
    ty, ny = tm(tx), nm(nx)
    assert np.allclose(ny.detach().numpy(), ty.detach().numpy(), atol=1e-12)
    ty.square().sum().backward()
    ny.square().sum().backward()
    assert np.allclose(nx.grad.numpy(), tx.grad.numpy(), atol=1e-10)
    for (kn, pn), (kt, pt) in zip(nm.named_parameters(), tm.named_parameters()):
        assert kn == kt and np.allclose(pn.grad.numpy(), pt.grad.numpy(), atol=1e-10), kn


def test_sequence_layers_match_torch():
    torch.manual_seed(0)
    for tl, nl, x in [
        (torch.nn.LSTM(3, 4, num_layers=2, batch_first=True), nn.LSTM(3, 4, num_layers=2, batch_first=True),
         np.random.default_rng(1).standard_normal((2, 5, 3))),
        (torch.nn.GRU(3, 4, bidirectional=True), nn.GRU(3, 4, bidirectional=True),
         np.random.default_rng(2).standard_normal((5, 2, 3))),
        (torch.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True),
         nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True),
         np.random.default_rng(3).standard_normal((2, 4, 8))),
    ]:
        tl, nl = tl.double(), nl.double()
        assert list(tl.state_dict()) == list(nl.state_dict())
        copy_weights(tl, nl)
        to, no = tl(torch.tensor(x)), nl(neura.tensor(x))
        to = to[0] if isinstance(to, tuple) else to
        no = no[0] if isinstance(no, tuple) else no
        assert np.allclose(no.detach().numpy(), to.detach().numpy(), atol=1e-10), type(nl).__name__
    mha_t, mha_n = torch.nn.MultiheadAttention(8, 2).double(), nn.MultiheadAttention(8, 2).double()
    copy_weights(mha_t, mha_n)
    q = np.random.default_rng(4).standard_normal((3, 2, 8))
    (ot, wt), (on, wn) = mha_t(*[torch.tensor(q)] * 3), mha_n(*[neura.tensor(q)] * 3)
    assert np.allclose(on.detach().numpy(), ot.detach().numpy(), atol=1e-10)
    assert np.allclose(wn.detach().numpy(), wt.detach().numpy(), atol=1e-10)


def test_user_module_trains_with_optim_and_state_dict_round_trips(tmp_path):
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = nn.Linear(2, 16)
            self.fc2 = nn.Linear(16, 3)
            self.scale = nn.Parameter(neura.ones(1))

        def forward(self, x):
            return self.fc2(F.relu(self.fc1(x))) * self.scale

    neura.manual_seed(0)
    net = Net()
    assert [k for k, _ in net.named_parameters()] == ["scale", "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
    data = neura.data.load("spiral", n=300, classes=3, noise=0.1, seed=1)
    loader = neura.data.DataLoader(data, batch_size=32, shuffle=True, seed=1)
    opt = neura.optim.Adam(net.parameters(), lr=0.02)
    sched = neura.optim.lr_scheduler.StepLR(opt, step_size=30, gamma=0.5)
    loss_fn = nn.CrossEntropyLoss()
    for epoch in range(60):
        for x, y in loader:
            opt.zero_grad()
            loss = loss_fn(net(x), y)
            loss.backward()
            opt.step()
        sched.step()
    assert sched.get_last_lr() == [0.02 * 0.25]
    x, y = data.get_batch(list(range(len(data))))
    with neura.no_grad():
        acc = (net(x).argmax(1) == y).double().mean().item()
    assert acc > 0.9, acc                       # spiral is not linearly separable (a linear model: ~0.5)
    other = Net()
    other.load_state_dict(net.state_dict())
    assert all(np.array_equal(a.numpy(), b.numpy()) for a, b in zip(other.state_dict().values(),
                                                                    net.state_dict().values()))
    with pytest.raises(RuntimeError, match="missing keys"):
        other.load_state_dict({"fc1.weight": neura.zeros(16, 2)})


def test_tensor_dataset_and_loader():
    x, y = neura.arange(10, dtype=neura.float32).reshape(5, 2), neura.arange(5)
    batches = list(neura.data.DataLoader(neura.data.TensorDataset(x, y), batch_size=2))
    assert [b[1].tolist() for b in batches] == [[0, 1], [2, 3], [4]]
    assert batches[1][0].tolist() == [[4.0, 5.0], [6.0, 7.0]]
    assert "spiral" in neura.data.datasets()


# ------------------------------------------------------------------ projects
def test_project_history_equals_the_cli(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    a, b = create_example("spiral", tmp_path / "a"), create_example("spiral", tmp_path / "b")
    cli = subprocess.run([CLI, "train", b, "--epochs", "6", "--json"], check=True, capture_output=True, text=True)
    cli_history = json.loads(cli.stdout)["history"]
    p = neura.Project.open(a)
    seen = []
    result = p.train(epochs=6, callback=seen.append)
    assert result["status"] == "completed" and len(result["history"]) == 6 and seen == result["history"]
    for mine, theirs in zip(result["history"], cli_history):
        for key in ("train_loss", "train_accuracy", "val_loss", "val_accuracy", "lr"):
            assert mine[key] == pytest.approx(theirs[key], rel=1e-6, abs=1e-9), (mine["epoch"], key)
    p.save()
    # the saved project is what the CLI would have saved: the same outputs on the same features
    x = np.random.default_rng(5).standard_normal((7, 2)).astype(np.float32)
    with open(tmp_path / "in.pb", "wb") as f:
        f.write(onnx.numpy_helper.from_array(x, "input").SerializeToString())
    subprocess.run([CLI, "run", b, "--input", str(tmp_path / "in.pb"), "-o", str(tmp_path / "out.pb")],
                   check=True, capture_output=True)
    cli_out = onnx.numpy_helper.to_array(onnx.load_tensor(str(tmp_path / "out.pb")))
    again = neura.Project.open(a)
    assert np.allclose(again.predict(x), cli_out, rtol=1e-5, atol=1e-6)
    assert isinstance(again.predict(neura.tensor(x)), neura.Tensor)
    ev = again.evaluate()
    assert ev["split"] == "validation" and ev["samples"] == 120
    assert ev["accuracy"] == pytest.approx(cli_history[-1]["val_accuracy"], abs=1e-9)
    # the figures of `neura evaluate --json` on the same file
    cli_eval = json.loads(subprocess.run([CLI, "evaluate", b, "--json"], check=True, capture_output=True,
                                         text=True).stdout)
    assert ev["confusion_matrix"] == cli_eval["confusion_matrix"]
    assert sum(map(sum, ev["confusion_matrix"])) == 120
    assert [c["support"] for c in ev["per_class"]] == [c["support"] for c in cli_eval["per_class"]]
    assert ev["macro_f1"] == pytest.approx(cli_eval["macro_f1"], abs=1e-12)
    assert again.evaluate("training")["samples"] == 480
    assert all(r["macs"] is not None for r in again.layers()) and "Total MACs per sample" in again.summary()
    assert len(again.runs()) == 1 and again.runs()[0]["status"] == "completed"
    again.export_onnx(str(tmp_path / "m.onnx"))
    onnx.checker.check_model(onnx.load(str(tmp_path / "m.onnx")))
    assert "Total params" in again.summary() and "<table>" in again._repr_html_()


def test_ctrl_c_stops_training_cleanly(tmp_path):
    path = create_example("digits-mlp", tmp_path)
    code = textwrap.dedent("""
        import sys, time, neura
        p = neura.Project.open(sys.argv[1])
        started = time.monotonic()
        try:
            p.train(epochs=100000, callback=lambda m: print("epoch", m["epoch"], flush=True))
        except KeyboardInterrupt:
            print("interrupted after %.2f s" % (time.monotonic() - started), flush=True)
            print("runs", [r["status"] for r in p.runs()], flush=True)
    """)
    proc = subprocess.Popen([sys.executable, "-c", code, path], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=os.environ)
    first = proc.stdout.readline()          # training is under way
    assert first.startswith("epoch"), first + proc.stderr.read()
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "interrupted after" in out and "runs ['stopped']" in out, out


def test_errors_from_projects_and_training(tmp_path):
    path = create_example("xor", tmp_path)
    p = neura.Project.open(path)
    with pytest.raises(RuntimeError, match="epochs"):
        p.train(epochs=0)
    with pytest.raises(ZeroDivisionError):
        p.train(epochs=3, callback=lambda m: 1 / 0)       # the callback's own error comes through
    with pytest.raises(ValueError):
        p.predict(np.zeros((2, 5), dtype=np.float32))       # xor takes 2 features


def test_small_ops_do_not_leak():
    def rss_kib():
        with open("/proc/self/status") as f:
            return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))

    a = neura.randn(8, 8, requires_grad=True)
    b = np.ones((8, 8), dtype=np.float32)

    def work(n):
        for _ in range(n):
            c = (a * 2 + neura.from_numpy(b)).relu().sum()
            c.backward()
            a.grad = None
            c.detach().numpy()
            torch.from_dlpack(a.detach())
    work(2_000)                       # warm up allocator caches and Python's free lists
    before = rss_kib()
    work(15_000)                      # 8 engine calls each: 120,000 small ops
    grown = rss_kib() - before
    assert grown < 8 * 1024, "RSS grew by %d KiB over 120,000 small ops" % grown


def test_long_calls_release_the_gil():
    """A Python thread keeps running while the engine multiplies (a held GIL would stop it for the whole
    call: at most a switch interval or two of ticks)."""
    import threading
    import time
    a = neura.randn(1800, 1800)
    ticks, stop = [0], [False]

    def spin():
        while not stop[0]:
            ticks[0] += 1
    t = threading.Thread(target=spin)
    t.start()
    time.sleep(0.1)
    t0, n0 = time.perf_counter(), ticks[0]
    time.sleep(0.1)                                  # the spinner's rate with the GIL free
    rate = (ticks[0] - n0) / (time.perf_counter() - t0)
    t1, n1 = time.perf_counter(), ticks[0]
    neura.matmul(a, a)
    during, elapsed = ticks[0] - n1, time.perf_counter() - t1
    stop[0] = True
    t.join()
    assert elapsed > 0.05, "the product was too quick to tell (%.3f s)" % elapsed
    assert during > 0.3 * rate * elapsed, "%d ticks in %.3f s; %.0f per second when free" % (during, elapsed, rate)


def test_projects_with_plugin_layers_open_train_and_predict(tmp_path):
    """A model using a plugin layer (the example Swish): the module loads the plugins as the CLI does and
    gives the CLI's outputs."""
    plugins = os.path.join(os.path.dirname(CLI), "..", "lib", "neurastudio", "plugins")
    assert os.path.isfile(os.path.join(plugins, "swish.so")), plugins
    model = json.load(open(os.path.join(SRC, "xor.model.json")))
    for n in model["nodes"]:
        if n["type"] == "Tanh":
            n["type"], n["attributes"] = "Swish", {}
    with open(tmp_path / "swish.model.json", "w") as f:
        json.dump(model, f)
    path = str(tmp_path / "swish.neura")
    subprocess.run([CLI, "create", path, "--model", str(tmp_path / "swish.model.json"), "--config",
                    os.path.join(SRC, "xor.config.json"), "--dataset", "xor"], check=True, capture_output=True,
                   env=dict(os.environ, NEURA_PLUGIN_PATH=plugins))
    code = textwrap.dedent("""
        import sys, numpy as np, neura
        p = neura.Project.open(sys.argv[1])
        print("types", sorted({l["type"] for l in p.layers()}))
        print("loaded", neura.load_plugins()[0])
        p.train(epochs=2)
        print("out", p.predict(np.zeros((1, 2), dtype=np.float32)).shape)
    """)
    # the module finds the build's (or the installation's) plugin folder by itself
    env = {k: v for k, v in os.environ.items() if k != "NEURA_PLUGIN_PATH"}
    r = subprocess.run([sys.executable, "-c", code, path], capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr
    assert "'Swish'" in r.stdout and "swish" in r.stdout and "out (1, 2)" in r.stdout, r.stdout


def test_sweep_records_each_run_with_its_settings(tmp_path):
    path = create_example("moons", tmp_path)
    p = neura.Project.open(path)
    ids = p.sweep("lr=0.1,0.01", "fc1.out_features=8,24", epochs=1)
    assert len(ids) == 4
    runs = {r["id"]: r for r in p.runs()}
    settings = [runs[i]["settings"] for i in ids]
    # the first key varies slowest, values typed as the config and the layer's schema say
    assert settings == [{"lr": 0.1, "fc1.out_features": 8}, {"lr": 0.1, "fc1.out_features": 24},
                        {"lr": 0.01, "fc1.out_features": 8}, {"lr": 0.01, "fc1.out_features": 24}]
    for i, s in zip(ids, settings):
        r = runs[i]
        assert r["config"]["lr"] == s["lr"] and r["config"]["epochs"] == 1
        fc1 = [n for n in json.loads(r["model"])["nodes"] if n["name"] == "fc1"][0]
        assert fc1["attributes"]["out_features"] == s["fc1.out_features"]
    assert not p.trained  # a sweep keeps the project's weights (none here)
    p.save()
    assert len(neura.Project.open(path).runs()) == 4
    with pytest.raises(RuntimeError, match="fc9"):
        p.sweep("fc9.out_features=4")
