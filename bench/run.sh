#!/usr/bin/env bash
# Runs the engine's benchmarks and PyTorch's on the same machine, one after the other.
#   bench/run.sh [THREADS]   (build first: tools/setup-debian.sh)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
threads=${1:-2}
build=${NEURA_BUILD_DIR:-$here/../build}
echo "== NeuraStudio engine"
OMP_NUM_THREADS=$threads "$build/bench/neura_bench" "$threads"
echo "== PyTorch (Debian python3-torch)"
# OpenBLAS core-type overrides slow PyTorch down; unset them for this command only (see WORKLOADS.md).
env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 "$here/torch_ref.py" "$threads"
