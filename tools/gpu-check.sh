#!/usr/bin/env bash
# The GPU check (issue 8): on a machine with an NVIDIA GPU, in one run of a few minutes,
#   1. configures and builds with CUDA (only the targets it needs),
#   2. runs the backend-parity suites (tests/cuda: every op of the op table CPU vs GPU, gradients too;
#      allocator, fused optimizers, training parity),
#   3. trains projects/src/digits-cnn on cuda:0 to its accuracy target (val_accuracy >= 0.95, as
#      tests/cli/tst_cli.cpp) and, for reference, on the CPU,
#   4. times sgemm 4096^3 through the engine next to a direct cublasSgemm, and one W4 training step
#      (bench/WORKLOADS.md) on the GPU and the CPU,
# and ends with a table. Exit code 0 when every check passed.
#
#   tools/gpu-check.sh
#
# It installs nothing: a missing tool or library is named (with its Debian package) and the script stops.
# Environment:
#   NEURA_GPU_CHECK_DRY_RUN=1   no GPU needed: builds with CUDA, expects the GPU suites to report
#                               skipped, checks that a cuda:0 run fails clearly, trains digits-cnn on
#                               the CPU only, and prints the table with the GPU figures as n/a.
#   NEURA_GPU_CHECK_JOBS=N      build jobs (default: the number of cores)
#   NEURA_GPU_CHECK_BUILD_DIR   build folder (default: build-gpu)
#   NEURA_GPU_CHECK_PREBUILT=1  use the programs already in the build folder: no configure, no build
#                               (for a GPU machine without the build's libraries: tools/gpu-bundle.sh
#                               packs them on the build machine, its header says how to run there)
#   CMAKE_CUDA_ARCHITECTURES    GPU architectures to compile for (default 90: H100/H200)
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

dry=${NEURA_GPU_CHECK_DRY_RUN:-0}
nvcc=""
prebuilt=${NEURA_GPU_CHECK_PREBUILT:-0}
jobs=${NEURA_GPU_CHECK_JOBS:-$(nproc 2>/dev/null || echo 4)}
build=${NEURA_GPU_CHECK_BUILD_DIR:-build-gpu}
arch=${CMAKE_CUDA_ARCHITECTURES:-90}
target_acc=0.95
mkdir -p "$build"
logs="$root/$build/gpu-check"
mkdir -p "$logs"

rows=()        # "check|result|target|status"
failed=0
row() { rows+=("$1|$2|$3|$4"); [ "$4" = "FAIL" ] && failed=1; return 0; }
say() { echo "== $*"; }
die() {
  echo "gpu-check: $*" >&2
  print_table
  exit 1
}
print_table() {
  [ ${#rows[@]} -eq 0 ] && return 0
  echo
  echo "== GPU check summary${dry_note:-}"
  printf '%-38s | %-34s | %-10s | %s\n' "check" "result" "target" "status"
  printf '%-38s-+-%-34s-+-%-10s-+-%s\n' "$(printf '%.0s-' {1..38})" "$(printf '%.0s-' {1..34})" \
    "$(printf '%.0s-' {1..10})" "------"
  local r
  for r in "${rows[@]}"; do
    IFS='|' read -r c v t s <<< "$r"
    printf '%-38s | %-34s | %-10s | %s\n' "$c" "$v" "$t" "$s"
  done
}
[ "$dry" = "1" ] && dry_note=" (DRY RUN: no GPU used; GPU figures are n/a)"

# ------------------------------------------------------------------ 0. what the build needs
say "prerequisites"
missing=()
need_cmd() { command -v "$1" > /dev/null 2>&1 || missing+=("$1 (Debian package $2)"); }
need_file() { [ -e "$1" ] || missing+=("$1 (Debian package $2)"); }
need_glob() { compgen -G "$1" > /dev/null || missing+=("$1 (Debian package $2)"); }
need_cmd ctest cmake
if [ "$prebuilt" != "1" ]; then
need_cmd cmake cmake
need_cmd ninja ninja-build
need_cmd g++ build-essential
need_cmd protoc protobuf-compiler
need_file /usr/include/dnnl.hpp libdnnl-dev
need_file /usr/include/nlohmann/json.hpp nlohmann-json3-dev
need_file /usr/include/sqlite3.h libsqlite3-dev
need_file /usr/include/onnx/onnx_pb.h libonnx-dev
need_file /usr/include/google/protobuf/message.h libprotobuf-dev
need_file /usr/include/zlib.h zlib1g-dev
need_glob "/usr/lib/*/cmake/Qt6Test/Qt6TestConfig.cmake" qt6-base-dev
nvcc=""
if command -v nvcc > /dev/null 2>&1; then nvcc=$(command -v nvcc)
elif [ -x /usr/local/cuda/bin/nvcc ]; then nvcc=/usr/local/cuda/bin/nvcc
else missing+=("nvcc (the CUDA toolkit, 12 or newer: /usr/local/cuda/bin/nvcc or on PATH)"); fi
else
for t in engine/neura tests/cuda_tst_parity tests/cuda_tst_training bench/neura_bench_gpu CTestTestfile.cmake; do
  [ -e "$build/$t" ] || missing+=("$build/$t (NEURA_GPU_CHECK_PREBUILT=1: build it first, or unpack tools/gpu-bundle.sh's archive)")
done
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "gpu-check: missing, and this script installs nothing:" >&2
  for m in "${missing[@]}"; do echo "  - $m" >&2; done
  echo "tools/setup-debian.sh installs all of them except the CUDA toolkit." >&2
  exit 2
fi
if [ "$prebuilt" != "1" ] && command -v cmake > /dev/null; then
  cmv=$(cmake --version | head -1 | awk '{print $3}')
  if [ "$(printf '%s\n3.25\n' "$cmv" | sort -V | head -1)" != "3.25" ]; then
    echo "gpu-check: cmake $cmv is too old (3.25 or newer)" >&2
    exit 2
  fi
fi
[ -n "$nvcc" ] && echo "nvcc: $nvcc ($("$nvcc" --version | tail -1))"
if command -v nvidia-smi > /dev/null 2>&1; then
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 | sed 's/^/gpu: /'
else
  echo "gpu: nvidia-smi not found (the build's own device query below decides)"
fi

# ------------------------------------------------------------------ 1. build
if [ "$prebuilt" = "1" ]; then
  say "prebuilt programs in $build (no build)"
  row "build" "prebuilt ($build)" "" "ok"
else
say "configure ($build, CUDA architectures $arch)"
if ! cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DNEURA_REQUIRE_CUDA=ON \
     -DCMAKE_CUDA_COMPILER="$nvcc" -DCMAKE_CUDA_ARCHITECTURES="$arch" \
     -DNEURA_BUILD_GUI=OFF -DNEURA_BUILD_TESTS=ON -DNEURA_BUILD_BENCH=ON > "$logs/configure.log" 2>&1; then
  tail -30 "$logs/configure.log" >&2
  die "configure failed (log: $logs/configure.log)"
fi
targets=(neura cuda_tst_parity cuda_tst_training neura_bench_gpu)
say "build ${targets[*]} (-j$jobs)"
t0=$(date +%s)
if ! cmake --build "$build" -j"$jobs" --target "${targets[@]}" > "$logs/build.log" 2>&1; then
  grep -E "error|FAILED" "$logs/build.log" | head -30 >&2
  die "build failed (log: $logs/build.log)"
fi
t1=$(date +%s)
row "build (-j$jobs, needed targets)" "$((t1 - t0)) s" "" "ok"
fi
neura="$root/$build/engine/neura"

# ------------------------------------------------------------------ 2. devices
say "devices"
"$neura" info | tee "$logs/info.txt"
if grep -q "CUDA: none" "$logs/info.txt"; then
  reason=$(sed -n 's/.*CUDA: none (\(.*\))$/\1/p' "$logs/info.txt")
  if [ "$dry" = "1" ]; then
    row "CUDA devices" "none (dry run)" ">= 1" "n/a"
  else
    row "CUDA devices" "none: $reason" ">= 1" "FAIL"
    die "no usable GPU: $reason"
  fi
  have_gpu=0
else
  row "CUDA devices" "$(grep -o 'cuda:0 [^;]*' "$logs/info.txt" | cut -c1-30)" ">= 1" "ok"
  have_gpu=1
fi

# ------------------------------------------------------------------ 3. parity suites
say "backend-parity tests (ctest -R '^cuda\\.')"
# -V keeps each suite's Qt Test output (its "Totals:" line) in the log.
(cd "$build" && QT_QPA_PLATFORM=offscreen ctest -R '^cuda\.' -V --timeout 900) > "$logs/ctest.log" 2>&1
ctest_rc=$?
grep -E "Totals:|SKIPPED:|FAIL!|tests passed|tests failed|Test +#[0-9]+: cuda\." "$logs/ctest.log" | \
  sed 's/^[0-9]*: //' | head -40
n_total=$(grep -cE "Test +#[0-9]+: cuda\." "$logs/ctest.log")
n_pass=$(grep -E "Test +#[0-9]+: cuda\." "$logs/ctest.log" | grep -c " Passed")
n_skip=$(grep -E "Test +#[0-9]+: cuda\." "$logs/ctest.log" | grep -ciE "skipped")
if [ "$n_total" -eq 0 ]; then
  row "parity suites (tests/cuda)" "none ran" "all pass" "FAIL"
elif [ "$have_gpu" = "1" ]; then
  # On a GPU nothing may be skipped: a skip means the GPU tests did not run.
  if [ $ctest_rc -eq 0 ] && [ "$n_pass" -eq "$n_total" ]; then
    cases=$(grep -hoE "Totals: [0-9]+ passed, [0-9]+ failed, [0-9]+ skipped" "$logs/ctest.log" | \
            awk '{p+=$2; f+=$4; s+=$6} END {printf "%d cases, %d skipped", p, s}')
    row "parity suites (tests/cuda)" "$n_pass/$n_total passed ($cases)" "all pass" "PASS"
  else
    row "parity suites (tests/cuda)" "$n_pass/$n_total passed, $n_skip skipped" "all pass" "FAIL"
  fi
else
  if [ $ctest_rc -eq 0 ] && [ "$n_skip" -eq "$n_total" ]; then
    row "parity suites (tests/cuda)" "$n_total skipped (no GPU)" "all pass" "n/a"
  else
    row "parity suites (tests/cuda)" "no GPU, but not all skipped" "skipped" "FAIL"
  fi
fi

# ------------------------------------------------------------------ 4. digits-cnn
# The accuracy target is tests/cli/tst_cli.cpp's (examples_reach_their_targets: digits-cnn 0.95).
final_metric() {  # the "final" object of `neura train --json`: keys are sorted, "final" comes first
  awk -v key="\"$2\":" '/^  "final": \{/ {f = 1} f && $1 == key {gsub(/,/, "", $2); print $2; exit} f && /^  \}/ {f = 0}' "$1"
}
train_digits() {  # device -> "val_accuracy seconds" or a failure line
  local device=$1 dir
  dir=$(mktemp -d)
  "$neura" create "$dir/digits-cnn.neura" --force --model projects/src/digits-cnn.model.json \
    --config projects/src/digits-cnn.config.json --dataset "$(cat projects/src/digits-cnn.dataset)" \
    > "$logs/digits-$device.create.log" 2>&1 || { echo "create failed"; rm -rf "$dir"; return 1; }
  local s e rc
  s=$(date +%s.%N)
  "$neura" train "$dir/digits-cnn.neura" --device "$device" --json > "$logs/digits-$device.json" \
    2> "$logs/digits-$device.err"
  rc=$?
  e=$(date +%s.%N)
  rm -rf "$dir"
  if [ $rc -ne 0 ]; then echo "exit $rc: $(head -c 200 "$logs/digits-$device.err")"; return 1; fi
  local acc
  acc=$(final_metric "$logs/digits-$device.json" val_accuracy)
  [ -n "$acc" ] && acc=$(awk -v v="$acc" 'BEGIN {printf "%.4f", v}')
  echo "$acc $(awk -v a="$s" -v b="$e" 'BEGIN {print b - a}')"
}
meets() { awk -v v="$1" -v t="$2" 'BEGIN {exit !(v + 0 >= t + 0)}'; }

say "digits-cnn on cuda:0"
if [ "$have_gpu" = "1" ]; then
  if out=$(train_digits cuda:0); then
    read -r acc secs <<< "$out"
    if [ -n "$acc" ] && meets "$acc" "$target_acc"; then st=PASS; else st=FAIL; fi
    row "digits-cnn val_accuracy, cuda:0" "${acc:-?} ($(printf '%.1f' "$secs") s, 20 epochs)" ">= $target_acc" "$st"
  else
    row "digits-cnn val_accuracy, cuda:0" "$out" ">= $target_acc" "FAIL"
  fi
else
  # No GPU: the run must fail at once, naming the device and why.
  if "$neura" create "$logs/d.neura" --force --model projects/src/digits-cnn.model.json \
       --config projects/src/digits-cnn.config.json --dataset "$(cat projects/src/digits-cnn.dataset)" > /dev/null &&
     ! "$neura" train "$logs/d.neura" --device cuda:0 > /dev/null 2> "$logs/digits-cuda-nogpu.err" &&
     grep -q "cuda:0 is not available" "$logs/digits-cuda-nogpu.err"; then
    row "digits-cnn on cuda:0 (no GPU)" "clear error, exit 1" "error" "n/a"
  else
    row "digits-cnn on cuda:0 (no GPU)" "no clear error: $(head -c 80 "$logs/digits-cuda-nogpu.err")" "error" "FAIL"
  fi
  rm -f "$logs/d.neura"
fi
say "digits-cnn on the CPU (reference)"
if out=$(train_digits cpu); then
  read -r acc secs <<< "$out"
  if [ -n "$acc" ] && meets "$acc" "$target_acc"; then st=ok; else st=FAIL; fi
  row "digits-cnn val_accuracy, cpu" "${acc:-?} ($(printf '%.1f' "$secs") s, 20 epochs)" ">= $target_acc" "$st"
else
  row "digits-cnn val_accuracy, cpu" "$out" ">= $target_acc" "FAIL"
fi

# ------------------------------------------------------------------ 5. sgemm and W4
say "benchmarks (neura_bench_gpu)"
bench_args=(--cpu-threads "$(nproc 2>/dev/null || echo 1)")
[ "$have_gpu" = "1" ] || bench_args+=(--dry-run)
if "$build/bench/neura_bench_gpu" "${bench_args[@]}" > "$logs/bench.txt" 2> "$logs/bench.err"; then
  cat "$logs/bench.txt"
  get() { awk -v k="$1" '$1 == k {print $2; exit}' "$logs/bench.txt"; }
  engine=$(get sgemm4096_engine_cuda); cublas=$(get sgemm4096_cublas); ratio=$(get sgemm4096_engine_over_cublas)
  if [ "$ratio" = "n/a" ] || [ -z "$ratio" ]; then rst=n/a; elif meets "$ratio" 0.8; then rst=PASS; else rst=FAIL; fi
  row "sgemm 4096^3, engine on cuda:0" "${engine:-?} GFLOP/s" "" ""
  row "sgemm 4096^3, direct cublasSgemm" "${cublas:-?} GFLOP/s" "" ""
  row "sgemm engine / cuBLAS" "${ratio:-?} x" ">= 0.8" "$rst"
  row "W4 step (CNN 28x28, b64, Adam), cuda" "$(get W4_step_cuda) us" "" ""
  row "W4 step, cpu ($(get W4_cpu_threads) threads)" "$(get W4_step_cpu) us" "" ""
else
  cat "$logs/bench.err" >&2
  row "benchmarks" "failed: $(head -c 60 "$logs/bench.err")" "" "FAIL"
fi

print_table
echo "logs: $logs"
if [ $failed -ne 0 ]; then echo "gpu-check: FAILED"; exit 1; fi
if [ "$dry" = "1" ]; then echo "gpu-check: dry run done (the GPU checks themselves did not run)"; else echo "gpu-check: PASSED"; fi
exit 0
