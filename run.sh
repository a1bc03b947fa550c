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
else
  echo "run.sh: no display: training $project with the neura command-line tool"
  exec build/engine/neura train "$project"
fi
