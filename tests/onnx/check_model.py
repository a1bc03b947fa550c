#!/usr/bin/python3
# onnx.checker.check_model(full_check=True) on an exported model, plus the export's contract: IR version 8,
# opset 17, one input "input" and one output "output" with a symbolic batch dimension.
# --checker-only: just the checker (models from other exporters). Run with Debian's /usr/bin/python3
# (python3-onnx); exits 0 when the model passes, 1 with the reason.
import sys

try:
    import onnx
except ImportError as e:
    sys.exit(f"check_model: python3-onnx is not installed ({e}); run tools/setup-debian.sh")

args = [a for a in sys.argv[1:] if a != "--checker-only"]
checker_only = len(args) != len(sys.argv) - 1
if len(args) != 1:
    sys.exit("usage: check_model.py [--checker-only] MODEL.onnx")
sys.argv[1:] = args
model = onnx.load(sys.argv[1])
try:
    onnx.checker.check_model(model, full_check=True)
except Exception as e:  # onnx.checker.ValidationError, onnx.shape_inference.InferenceError
    sys.exit(f"check_model: {sys.argv[1]}: {e}")
problems = []
if checker_only:
    print(f"{sys.argv[1]}: ok (onnx.checker, full_check)")
    sys.exit(0)
if model.ir_version != 8:
    problems.append(f"ir_version {model.ir_version}, expected 8")
opsets = {o.domain: o.version for o in model.opset_import}
if opsets.get("", opsets.get("ai.onnx")) != 17:
    problems.append(f"opset imports {opsets}, expected 17")
g = model.graph
if [i.name for i in g.input] != ["input"] or [o.name for o in g.output] != ["output"]:
    problems.append(f"inputs {[i.name for i in g.input]}, outputs {[o.name for o in g.output]}")
for v in list(g.input) + list(g.output):
    d0 = v.type.tensor_type.shape.dim[0]
    if d0.dim_param != "batch":
        problems.append(f"{v.name}'s first dimension is not the symbolic 'batch'")
if model.producer_name != "NeuraStudio":
    problems.append(f"producer_name {model.producer_name!r}")
if problems:
    sys.exit(f"check_model: {sys.argv[1]}: " + "; ".join(problems))
print(f"{sys.argv[1]}: ok ({len(g.node)} nodes, {len(g.initializer)} initializers)")
