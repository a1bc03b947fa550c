"""Runs exported models against the engine's outputs (tests/export/tst_torch_export.cpp).

    check_models.py DIR...

Each DIR holds what `neura export-torch` writes (model.py, weights.pt) and the case: input.pt and
expected.pt, {"input": x} and {"output": y} written by the engine (neura/export/TorchFile.h), y being
the engine's output on x. Prints one JSON line per DIR: the state_dict's keys against Model's, and the
largest absolute difference between Model's output (eval mode) and y.
"""
import importlib.util
import json
import sys
import traceback

import torch


def check(index, folder):
    spec = importlib.util.spec_from_file_location(f"exported_model_{index}", f"{folder}/model.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    state = torch.load(f"{folder}/weights.pt")
    fresh = module.Model()
    want = set(fresh.state_dict().keys())
    got = set(state.keys())
    result = {"dir": folder, "missing": sorted(want - got), "unexpected": sorted(got - want)}
    net = module.load()  # load_state_dict(strict=True) inside
    x = torch.load(f"{folder}/input.pt")["input"]
    y = torch.load(f"{folder}/expected.pt")["output"]
    with torch.no_grad():
        out = net(x)
    result["shape"] = list(out.shape)
    result["expected_shape"] = list(y.shape)
    result["max_abs_diff"] = (out.double() - y.double()).abs().max().item() if out.shape == y.shape else None
    result["max_abs_value"] = y.abs().max().item() if y.numel() else 0.0
    return result


def main():
    for i, folder in enumerate(sys.argv[1:]):
        try:
            r = check(i, folder)
        except Exception:  # noqa: BLE001 - reported to the test, which fails naming the case
            r = {"dir": folder, "error": traceback.format_exc(limit=3)}
        print(json.dumps(r), flush=True)


if __name__ == "__main__":
    main()
