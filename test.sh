#!/usr/bin/env bash
# Runs the whole test suite on a fresh Debian 12 machine: installs what is missing, builds, runs
# CTest, then the same suite again under AddressSanitizer + UndefinedBehaviorSanitizer.
#   ./test.sh                 (NEURA_SKIP_SANITIZE=1 skips the sanitizer pass)
set -euo pipefail
cd "$(dirname "$0")"
export QT_QPA_PLATFORM=offscreen
jobs=$(nproc)

tools/setup-debian.sh
echo "== tests (RelWithDebInfo)"
(cd build && ctest --output-on-failure -j"$jobs")
echo "== packages (.deb and .tar.gz)"
(cd build && cpack -G "DEB;TGZ" > cpack.log && ls -l ./*.deb ./*.tar.gz)

if [ "${NEURA_SKIP_SANITIZE:-0}" != "1" ]; then
  echo "== tests under ASan + UBSan"
  NEURA_BUILD_DIR=build-sanitize NEURA_BUILD_TYPE=RelWithDebInfo tools/setup-debian.sh -DNEURA_SANITIZE=ON \
    -DNEURA_BUILD_BENCH=OFF -DNEURA_BUILD_GUI=OFF
  # The crash-kill test SIGKILLs children on purpose; everything else must be sanitizer-clean.
  (cd build-sanitize && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
     ctest --output-on-failure -j"$jobs")
fi
