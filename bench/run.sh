#!/usr/bin/env bash
# Runs the engine's benchmarks and PyTorch's on the same machine, one after the other, then prints them
# side by side: each figure both print, the ratio engine ÷ PyTorch, and issue 17's target for it.
#   bench/run.sh [THREADS]   (build first: tools/setup-debian.sh)
# neura_bench also times W2-W6 at 1 thread in the same process (THREADS threads must never be slower than
# 1); when the studio was built, this also runs bench/gui_start (W9: start to the window's first paint) and
# bench/gui_stall.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
threads=${1:-2}
build=${NEURA_BUILD_DIR:-$here/../build}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
load=$(cut -d' ' -f1-3 /proc/loadavg)  # busy cores (a build) skew every timing, 2-thread ones most

echo "== NeuraStudio engine, $threads threads"
OMP_NUM_THREADS=$threads "$build/bench/neura_bench" "$threads" | tee "$out/engine"
echo "== PyTorch (Debian python3-torch)"
# OpenBLAS core-type overrides slow PyTorch down; unset them for this command only (see WORKLOADS.md).
env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 "$here/torch_ref.py" "$threads" | tee "$out/torch"
if [[ -x $build/bench/gui_start ]]; then
  echo "== Studio: start to the main window's first paint (offscreen)"
  QT_QPA_PLATFORM=offscreen "$build/bench/gui_start" | tee "$out/gui"
fi
if [[ -x $build/bench/gui_stall ]]; then
  echo "== Studio: event-loop stall while training (offscreen)"
  QT_QPA_PLATFORM=offscreen "$build/bench/gui_stall" | tee "$out/stall"
  # Its `training ticks N max X ms p99 Y ms ...` line, as figures.
  awk '$1 == "training" { print "GUI_stall_training_max", $5, "ms"; print "GUI_stall_training_p99", $8, "ms" }' \
    "$out/stall" >> "$out/gui"
fi
touch "$out/gui"

echo
echo "== Side by side, $threads threads (ratio = engine ÷ PyTorch; for GFLOP/s, higher is better)"
echo "# load average at the start: $load; at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
awk -v threads="$threads" '
  { file = FILENAME == ARGV[1] ? 1 : FILENAME == ARGV[2] ? 2 : 3 }
  /^#/ || NF != 3 || $2 !~ /^[0-9.]+$/ { next }
  # neura_bench measures each workload at THREADS and at 1 thread in alternating rounds: <name>_1thread.
  file == 1 && $1 ~ /_1thread$/ { one[substr($1, 1, length($1) - 8)] = $2; next }
  file == 1 { if (!($1 in eng)) order[++n] = $1; eng[$1] = $2; unit[$1] = $3 }
  file == 2 { ref[$1] = $2 }
  file == 3 { gui[++g] = $1; eng[$1] = $2; unit[$1] = $3 }
  # The issue-17 target of a figure: "ratio" (engine ÷ PyTorch) or "abs" (the engine figure), a bound, and
  # whether the bound itself is allowed.
  function target(name) {
    kind = ""; inclusive = 1
    if (name == "W2_mlp_b64_step") { kind = "ratio"; bound = 0.5 }
    else if (name == "W3_tiny_mlp_b32_adam_step") { kind = "ratio"; bound = 0.1 }
    else if (name ~ /^W[4568]_/) { kind = "ratio"; bound = 0.5 }
    else if (name == "W7_start_up_wall") { kind = "abs"; bound = 30 }
    else if (name == "W7_start_up_peak_rss") { kind = "abs"; bound = 40 }
    else if (name == "W9_window_painted") { kind = "abs"; bound = 500 }
    else if (name == "GUI_stall_training_p99") { kind = "abs"; bound = 5; inclusive = 0 }
    else if (name == "GUI_stall_training_max") { kind = "abs"; bound = 16; inclusive = 0 }
  }
  function verdict(v) { return (inclusive ? v <= bound : v < bound) ? "yes" : "NO" }
  function bound_text(what) { return what (inclusive ? " <= " : " < ") bound }
  function row(name, e, r, ratio, tgt, holds) {
    printf "%-28s %16s %16s %-28s %-18s %s\n", name, e, r, ratio, tgt, holds
  }
  END {
    row("figure", "engine", "PyTorch", "engine/PyTorch", "target", "holds")
    for (i = 1; i <= n; ++i) {
      name = order[i]
      if (!(name in ref)) continue
      u = unit[name]; e = eng[name]; r = ref[name]
      ratio = r > 0 ? e / r : 0
      note = u == "GFLOP/s" ? "x PyTorch\047s speed" : u == "MiB" ? "x PyTorch\047s memory" : "x PyTorch\047s time"
      target(name)
      tgt = kind == "ratio" ? bound_text("ratio") : kind == "abs" ? bound_text("engine") " " u : "-"
      holds = kind == "ratio" ? verdict(ratio) : kind == "abs" ? verdict(e) : ""
      row(name, e " " u, r " " u, sprintf("%.3f %s", ratio, note), tgt, holds)
    }
    for (i = 1; i <= g; ++i) {
      name = gui[i]; target(name)
      if (kind == "") continue
      row(name, eng[name] " " unit[name], "-", "-", bound_text("engine") " " unit[name], verdict(eng[name]))
    }
    if (threads == 1) exit
    printf "\n%-36s %16s %16s %s\n", "workload (same process, alternating)", threads " threads", "1 thread",
           threads " threads never slower than 1"
    for (i = 1; i <= n; ++i) {
      name = order[i]
      if (!(name in one)) continue
      printf "%-36s %16s %16s %s\n", name, eng[name] " " unit[name], one[name] " " unit[name],
             eng[name] + 0 <= one[name] + 0 ? "yes" : sprintf("NO (%.2f x the 1-thread time)", eng[name] / one[name])
    }
  }
' "$out/engine" "$out/torch" "$out/gui"
