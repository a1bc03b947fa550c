#!/usr/bin/env bash
# Runs one libFuzzer target for a bounded time from its seed corpus (the CTest tests fuzz.<name>).
#   run_fuzzer.sh FUZZER SECONDS CORPUS_DIR SEED_DIR -- [SEED_MAKER ARGS...]
# SEED_MAKER, when not `true`, writes the seeds first. Exit status: the fuzzer's (non-zero on a crash,
# a leak, a timeout of one input or running out of memory; the input is saved as crash-*/leak-*/...).
# The random seed is fixed (NEURA_FUZZ_SEED, default 1) so that CI explores the same inputs each run and
# a failure reproduces; for a search of new ground, run the fuzzer by hand with another seed and longer.
set -euo pipefail
fuzzer=$1 seconds=$2 corpus=$3 seeds=$4
shift 4
[ "${1:-}" = "--" ] && shift
if [ "$#" -gt 0 ] && [ "$1" != "true" ]; then mkdir -p "$seeds"; "$@" > /dev/null; fi
mkdir -p "$corpus"
cd "$(dirname "$corpus")"
# -rss_limit_mb: no input may make a loader allocate more than this; -timeout: nor spin on one input.
exec "$fuzzer" -seed="${NEURA_FUZZ_SEED:-1}" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=20 -print_final_stats=1 \
  -artifact_prefix="$(pwd)/$(basename "$corpus")-" "$corpus" "$seeds"
