#!/usr/bin/env bash
# Runs the whole test suite on a fresh Debian 12 machine: installs what is missing, builds, runs
# CTest and builds the packages.
#   ./test.sh              every test (what CI runs; about 15 minutes on a fresh 2-core machine)
#   ./test.sh --sanitize   then the sanitizer passes CI runs too (tools/sanitize.sh: ASan + UBSan on
#                          everything with the fuzzers, ThreadSanitizer on the threaded code;
#                          NEURA_SANITIZE_PASS=1 too)
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
  tools/sanitize.sh asan tsan
fi
