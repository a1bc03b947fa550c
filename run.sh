#!/usr/bin/env bash
# Sets up NeuraStudio on a fresh Debian 12 machine and runs it: the studio on the default example
# project, or, with no display, the command-line trainer on the same project.
#   ./run.sh [PROJECT]
set -euo pipefail
cd "$(dirname "$0")"
tools/setup-debian.sh
project=${1:-projects/spiral.neura}
if [ -x build/gui/neurastudio ] && [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  exec build/gui/neurastudio "$project"
elif [ -x build/engine/neura ]; then
  [ -f "$project" ] || build/engine/neura create "$project" --model "${project%.neura}.json"
  exec build/engine/neura train "$project"
else
  echo "run.sh: the studio and the neura CLI are not built yet in this version; the engine benchmarks run instead."
  exec bench/run.sh
fi
