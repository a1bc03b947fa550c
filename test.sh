#!/usr/bin/env bash
# Runs the whole test suite on a fresh Debian 12 machine: installs what is missing, builds, runs
# CTest and builds the packages.
#   ./test.sh              every test (what CI runs; about 15 minutes on a fresh 2-core machine)
#   ./test.sh --sanitize   then every engine test again under AddressSanitizer + UndefinedBehaviorSanitizer
#                          (a second full build: run before landing engine changes; NEURA_SANITIZE_PASS=1 too)
set -euo pipefail
cd "$(dirname "$0")"
export QT_QPA_PLATFORM=offscreen
jobs=$(nproc)

tools/setup-debian.sh
echo "== tests (RelWithDebInfo)"
(cd build && ctest --output-on-failure -j"$jobs")
echo "== packages (.deb and .tar.gz)"
(cd build && cpack -G "DEB;TGZ" > cpack.log && ls -l ./*.deb ./*.tar.gz)

sanitize="${NEURA_SANITIZE_PASS:-0}"
for arg in "$@"; do
  case "$arg" in
    --sanitize) sanitize=1 ;;
    *) echo "usage: ./test.sh [--sanitize]" >&2; exit 2 ;;
  esac
done

if [ "$sanitize" = "1" ]; then
  echo "== tests under ASan + UBSan"
  NEURA_BUILD_DIR=build-sanitize NEURA_BUILD_TYPE=RelWithDebInfo tools/setup-debian.sh -DNEURA_SANITIZE=ON -DNEURA_WITH_CUDA=OFF \
    -DNEURA_BUILD_BENCH=OFF -DNEURA_BUILD_GUI=OFF
  # The crash-kill test SIGKILLs children on purpose; everything else must be sanitizer-clean.
  (cd build-sanitize && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
     ctest --output-on-failure -j"$jobs")
fi
