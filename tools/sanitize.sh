#!/usr/bin/env bash
# The sanitizer passes that CI runs after ./test.sh (see .ci/run). Each builds into its own folder with
# clang (installed when missing, like tools/setup-debian.sh installs the rest) and runs CTest there.
#   tools/sanitize.sh asan   AddressSanitizer + UndefinedBehaviorSanitizer: everything, the studio
#                            included; every CTest test, then each libFuzzer target (tests/fuzz) for
#                            NEURA_FUZZ_SECONDS (default 60) from its committed seeds
#   tools/sanitize.sh tsan   ThreadSanitizer: the threaded code's tests (the training thread and its
#                            stop/pause/step token, the studio's training session and background jobs,
#                            insight captures, evaluations and sweeps, the data loader's prefetch workers). Qt is not built with
#                            TSan, so worker results reach the GUI thread through gui/session/Mailbox (a
#                            std::mutex queue TSan sees), never as queued-signal arguments.
#   tools/sanitize.sh        both
# NEURA_SANITIZE_JOBS sets the build's parallel jobs (default: the number of cores).
set -euo pipefail
cd "$(dirname "$0")/.."
export QT_QPA_PLATFORM=offscreen
jobs=${NEURA_SANITIZE_JOBS:-$(nproc)}
passes=("$@")
[ ${#passes[@]} -eq 0 ] && passes=(asan tsan)

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
missing=()
# libomp-14-dev: clang's OpenMP (the engine's find_package(OpenMP) fails without it; clang-14 only
# recommends it, and recommends are not installed).
for p in clang-14 libclang-rt-14-dev libomp-14-dev; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "sanitize: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
tools/setup-debian.sh --deps-only

# -O1 keeps the instrumented tests fast enough and the stacks readable; asserts stay on.
# The Python module is left out: an instrumented extension needs the sanitizer runtime preloaded into
# python3 (and then instruments nothing of NumPy or PyTorch it is tested against); the engine code it
# calls is covered by the C++ suites here.
common=(-G Ninja -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14 -DCMAKE_BUILD_TYPE=Sanitize
        "-DCMAKE_C_FLAGS_SANITIZE=-O1 -g" "-DCMAKE_CXX_FLAGS_SANITIZE=-O1 -g"
        -DNEURA_WITH_CUDA=OFF -DNEURA_BUILD_BENCH=OFF -DNEURA_BUILD_PYTHON=OFF)
supp="$(pwd)/tests/sanitizers"

for pass in "${passes[@]}"; do
  case "$pass" in
    asan)
      echo "== ASan + UBSan (build-asan: everything, the studio included, and the fuzzers)"
      t0=$(date +%s)
      mkdir -p build-asan
      cmake -S . -B build-asan "${common[@]}" -DNEURA_SANITIZE=ON -DNEURA_FUZZ=ON > build-asan/configure.log
      cmake --build build-asan -j"$jobs"
      t1=$(date +%s)
      echo "   built in $((t1 - t0)) s"
      projects/make_examples.sh build-asan/engine/neura > /dev/null
      # Leaks are errors, except the few that system libraries keep on purpose (tests/sanitizers/lsan.supp).
      export ASAN_OPTIONS="detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1"
      export LSAN_OPTIONS="suppressions=$supp/lsan.supp:print_suppressions=0"
      export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
      (cd build-asan && ctest --output-on-failure -j"$jobs" -LE fuzz)
      (cd build-asan && ctest --output-on-failure -j"$jobs" -L fuzz)
      echo "   ASan + UBSan pass: $(( $(date +%s) - t0 )) s"
      ;;
    tsan)
      echo "== ThreadSanitizer (build-tsan: the threaded code and its tests)"
      t0=$(date +%s)
      mkdir -p build-tsan
      cmake -S . -B build-tsan "${common[@]}" -DNEURA_TSAN=ON -DNEURA_BUILD_GUI=ON > build-tsan/configure.log
      tests=(train_tst_trainer train_tst_insight train_tst_sweep data_tst_dataloader gui_tst_training gui_tst_insight
             gui_tst_studio gui_tst_gradcheck_panel gui_tst_evaluation gui_tst_sweep_dialog)
      cmake --build build-tsan -j"$jobs" --target neura "${tests[@]}"
      t1=$(date +%s)
      echo "   built in $((t1 - t0)) s"
      export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$supp/tsan.supp"
      # The CTest names of those targets: suite_tst_name → suite\.name
      names=$(printf '%s\n' "${tests[@]}" | sed 's/_tst_/\\./' | paste -sd '|')
      (cd build-tsan && ctest --output-on-failure -j"$jobs" -R "^($names)\$")
      echo "   ThreadSanitizer pass: $(( $(date +%s) - t0 )) s"
      ;;
    *) echo "usage: tools/sanitize.sh [asan] [tsan]" >&2; exit 2 ;;
  esac
done
