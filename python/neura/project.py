"""neura.Project: a NeuraStudio project file (.neura) opened from Python: train it, evaluate it, run it on
new data, export it, save it, with the same engine calls as the studio and the `neura` CLI."""
import json

import numpy as np

import neura
from neura import _C


class Project:
    """p = neura.Project.open("spiral.neura"); p.train(epochs=20); p.save()

    train() and the others work on the project in memory; save() writes it back (to its file, or another).
    """

    def __init__(self, path):
        neura.load_plugins()  # a model may use plugin layers
        self._p = _C.Project(str(path))

    @classmethod
    def open(cls, path):
        return cls(path)

    @property
    def path(self):
        return self._p.path

    @property
    def config(self):
        """The training configuration (epochs, batch_size, optimizer, lr, seed, val_fraction, ...)."""
        return json.loads(self._p.train_config_json or "{}")

    @property
    def dataset(self):
        """The dataset choice: {"name": ..., "params": {...}}."""
        return json.loads(self._p.dataset_json or "{}")

    @property
    def model(self):
        """The model graph in its JSON form."""
        return json.loads(self._p.model_json)

    @property
    def trained(self):
        return self._p.trained

    def layers(self):
        """One dict per node: name, type, output_shape (per sample), parameters."""
        return self._p.layers()

    def state_dict(self):
        """The trained weights and buffers by name (copies)."""
        return self._p.weights()

    def runs(self):
        """Every training run recorded in the project: id, status, times, config (the training setup it used),
        settings (what a sweep varied: {"lr": 0.01, "fc1.out_features": 32}, else {}), final (its summary),
        model (the model JSON text it trained, None for runs saved before projects kept it) and its
        (epoch, step, name, value) metrics."""
        runs = []
        for r in self._p.runs():
            r["config"] = json.loads(r.pop("config_json") or "{}")
            r["final"] = json.loads(r.pop("final_json") or "{}")
            r["settings"] = json.loads(r.pop("settings_json") or "{}")
            r["model"] = r.pop("model_json") or None
            runs.append(r)
        return runs

    def sweep(self, *grid, random=None, epochs=None, seed=0):
        """p.sweep("lr=0.1,0.01", "fc1.out_features=16,32", epochs=5): one run per combination (random=N: N of
        them drawn with seed), each added to runs() with its settings, as `neura sweep`; the model, training
        setup and weights stay. Returns the new runs' ids. Ctrl+C stops after the run in flight."""
        return self._p.sweep(list(grid), random or 0, epochs or 0, seed)

    def train(self, epochs=None, callback=None, batch_size=None, lr=None, seed=None, optimizer=None, device=None,
              threads=None):
        """Trains the model (from its current weights' initialization, as `neura train`) and returns
        {"status", "message", "history"}: one dict per epoch (epoch, train_loss, train_accuracy, val_loss,
        val_accuracy, lr, seconds). callback(epoch_dict) runs after each epoch; returning False stops.
        Ctrl+C stops after the current batch (the finished epochs are kept) and raises KeyboardInterrupt."""
        return self._p.train(dict(epochs=epochs, batch_size=batch_size, lr=lr, seed=seed, optimizer=optimizer,
                                  device=device, threads=threads), callback)

    def evaluate(self, split=None):
        """The trained model on the validation split (the training split without one, or split="training"), as
        `neura evaluate --json`: loss, samples and, for classification, accuracy, confusion_matrix (rows: true
        class), per_class [{precision, recall, f1, support}], macro_f1, macro, weighted, roc_auc, average_precision,
        warnings; for regression mse, mae, r2."""
        return self._p.evaluate({}, split or "")

    def predict(self, features):
        """Raw features [batch, ...input shape] → the model's outputs, as `neura run` (normalization applied).
        A NumPy array or list in gives a NumPy array out; a tensor in, a tensor out."""
        if isinstance(features, neura.Tensor):
            return self._p.predict(features.to(neura.float32))
        x = neura.from_numpy(np.ascontiguousarray(features, dtype=np.float32))
        return self._p.predict(x).numpy()

    def export_onnx(self, path):
        self._p.export_onnx(str(path))

    def save(self, path=None):
        self._p.save(None if path is None else str(path))

    def summary(self):
        rows = self.layers()
        lines = ["%-20s %-22s %-16s %10s %12s" % ("Layer (name)", "Type", "Output shape", "Param #", "MACs"), "=" * 84]
        for r in rows:
            shape = "?" if r["output_shape"] is None else str(r["output_shape"])
            macs = "?" if r["macs"] is None else str(r["macs"])
            lines.append("%-20s %-22s %-16s %10d %12s" % (r["name"], r["type"], shape, r["parameters"], macs))
        lines.append("=" * 84)
        lines.append("Total params: %d" % sum(r["parameters"] for r in rows))
        lines.append("Total MACs per sample: %d" % sum(r["macs"] or 0 for r in rows))
        lines.append("Dataset: %s   Trained: %s   Runs: %d" % (self.dataset.get("name", "(none)"),
                                                              "yes" if self.trained else "no", len(self.runs())))
        return "\n".join(lines)

    def __repr__(self):
        return "<neura.Project %s>\n%s" % (self.path, self.summary())

    def _repr_html_(self):
        import html
        layers = self.layers()
        rows = "".join("<tr><td>%s</td><td>%s</td><td>%s</td><td style='text-align:right'>%d</td></tr>" % (
            html.escape(r["name"]), html.escape(r["type"]),
            "?" if r["output_shape"] is None else r["output_shape"], r["parameters"]) for r in layers)
        total = sum(r["parameters"] for r in layers)
        return ("<div><b>%s</b> &mdash; dataset %s, %s<table><tr><th>Layer</th><th>Type</th><th>Output shape</th>"
                "<th>Param #</th></tr>%s<tr><td colspan=3><b>Total</b></td><td style='text-align:right'><b>%d</b>"
                "</td></tr></table></div>") % (html.escape(self.path), html.escape(self.dataset.get("name", "(none)")),
                                               "trained" if self.trained else "not trained", rows, total)
