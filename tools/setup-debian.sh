#!/usr/bin/env bash
# Installs everything NeuraStudio needs to build, test and benchmark on Debian 12, then builds it.
# Safe to run again: apt and npm skip what is already there; the build is incremental.
#   tools/setup-debian.sh [CMAKE_ARGS...]   install, configure, build
#   tools/setup-debian.sh --deps-only       install only
set -euo pipefail
cd "$(dirname "$0")/.."
deps_only=0
if [ "${1:-}" = "--deps-only" ]; then deps_only=1; shift; fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

PACKAGES=(
  build-essential cmake ninja-build pkg-config
  qt6-base-dev qt6-base-dev-tools qt6-svg-dev libqcustomplot-dev libqcustomplot2.1-qt6
  libdnnl-dev ocl-icd-opencl-dev libsqlite3-dev nlohmann-json3-dev
  libonnx-dev libprotobuf-dev protobuf-compiler
  xvfb xauth
  python3 python3-torch python3-onnx python3-pil libopenblas0-pthread
  python3-dev pybind11-dev libdlpack-dev python3-numpy python3-pytest
)
# Node.js may come from elsewhere with its own npm (Debian's npm would conflict): install only if absent.
command -v npm > /dev/null || PACKAGES+=(nodejs npm)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# ONNX Runtime 1.30.0 (tests/onnx/package.json) for the ONNX export tests: the CPU runtime ships inside the
# package; --ignore-scripts skips its install script, which would download GPU parts (and fails offline).
if [ ! -d tests/onnx/node_modules/onnxruntime-node ]; then
  echo "setup: installing onnxruntime-node into tests/onnx/node_modules"
  (cd tests/onnx && npm install --ignore-scripts --no-package-lock --no-audit --no-fund > /dev/null)
fi

[ "$deps_only" = "1" ] && exit 0

BUILD_DIR="${NEURA_BUILD_DIR:-build}"
BUILD_TYPE="${NEURA_BUILD_TYPE:-RelWithDebInfo}"
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE="$BUILD_TYPE" "$@"
cmake --build "$BUILD_DIR"

# The example projects are built from their text form (projects/src) so they always match this build.
projects/make_examples.sh "$BUILD_DIR/engine/neura" > /dev/null
