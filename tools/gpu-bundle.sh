#!/usr/bin/env bash
# Packs what tools/gpu-check.sh needs to run on a GPU machine that lacks the build's libraries (Qt,
# oneDNN, protobuf, ONNX): the four programs of the check and the CUDA module they open, the build
# folder's CTest files, and every shared library they load except the C library, the C++ runtime, the
# CUDA driver and cuBLAS (the GPU machine's own CUDA toolkit of the same major version provides cuBLAS).
#
#   tools/gpu-bundle.sh [BUILD_DIR] [OUT.tar.xz]      (defaults: build, .gpu/bundle.tar.xz)
#
# On the GPU machine, from a checkout of the same commit at the same absolute path as here (the CTest
# files and the tests name the sources and the build folder by absolute path; a symbolic link will do):
#   tar -xJf .gpu/bundle.tar.xz -C .          # unpacks into BUILD_DIR/ (its name here)
#   LD_LIBRARY_PATH=$PWD/BUILD_DIR/lib:/usr/local/cuda/lib64 NEURA_GPU_CHECK_PREBUILT=1 \
#     NEURA_GPU_CHECK_BUILD_DIR=BUILD_DIR tools/gpu-check.sh
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
out=${2:-.gpu/bundle.tar.xz}
programs=(engine/neura tests/cuda_tst_parity tests/cuda_tst_training bench/neura_bench_gpu)
# The CUDA backend is a module the programs open on first use (docs/gpu.md): it travels beside them.
module=lib/neurastudio/libneura_cuda.so
for p in "${programs[@]}" "$module"; do
  [ -e "$build/$p" ] || { echo "gpu-bundle: $build/$p is missing: build it first" >&2; exit 1; }
done

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
dest="$stage/$build"
mkdir -p "$dest/lib"
for p in "${programs[@]}" "$module"; do
  mkdir -p "$dest/$(dirname "$p")"
  strip --strip-debug -o "$dest/$p" "$build/$p"
done
# The CTest files, as they are (they name the build folder by its absolute path).
while IFS= read -r f; do
  rel=${f#"$build"/}
  mkdir -p "$dest/$(dirname "$rel")"
  cp "$f" "$dest/$rel"
done < <(find "$build" -name CTestTestfile.cmake -not -path '*/CMakeFiles/*')

# Shared libraries: everything ldd resolves, less what the GPU machine must bring itself.
skip='^(linux-vdso|ld-linux|libc\.so|libm\.so|libdl\.so|librt\.so|libpthread\.so|libstdc\+\+|libgcc_s|libcuda\.so|libcublas)'
for p in "${programs[@]}" "$module"; do
  ldd "$build/$p" | awk '$2 == "=>" && $3 ~ /^\// {print $1, $3}'
done | sort -u | while read -r name path; do
  if ! [[ $name =~ $skip ]]; then
    cp -L "$path" "$dest/lib/$name"
  fi
done
mkdir -p "$(dirname "$out")"
tar -C "$stage" -cJf "$out" "$build"
echo "gpu-bundle: $out ($(du -h "$out" | cut -f1)): ${programs[*]}, $(ls "$dest/lib" | wc -l) libraries"
