#!/usr/bin/env bash
# Regenerates the screenshots in docs/images with the app's own --screenshot (offscreen, no display).
#   tools/make-screenshots.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
root=$(pwd)
app="$(realpath "$build")/gui/neurastudio"
export QT_QPA_PLATFORM=offscreen
# A fresh settings folder: screenshots show the default layout, not whatever this machine saved.
export XDG_CONFIG_HOME
XDG_CONFIG_HOME=$(mktemp -d)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp" "$XDG_CONFIG_HOME"' EXIT
"$build/engine/neura" create "$tmp/spiral.neura" --model projects/src/spiral.model.json \
  --config projects/src/spiral.config.json --dataset "spiral,n=600,classes=3,noise=0.1,seed=1" > /dev/null
"$app" --screenshot docs/images/studio-untrained.png "$tmp/spiral.neura"
"$app" --screenshot docs/images/studio-trained.png --train-epochs 60 "$tmp/spiral.neura"
"$build/engine/neura" create "$tmp/cnn.neura" --model projects/src/digits-cnn.model.json \
  --config projects/src/digits-cnn.config.json --dataset "digits,image=true" > /dev/null
"$app" --screenshot docs/images/studio-digits-cnn.png "$tmp/cnn.neura"
"$app" --screenshot docs/images/gradcheck-digits-cnn.png --gradcheck --dock "Gradient Check" "$tmp/cnn.neura"
"$app" --screenshot docs/images/inspector-digits-cnn.png --train-epochs 3 --dock Inspector --select conv2 "$tmp/cnn.neura"
"$app" --screenshot docs/images/inspector-spiral.png --train-epochs 20 --dock Inspector --select fc2 "$tmp/spiral.neura"
# The tutorial's pictures: its steps, run as a user would take them (docs/tutorial/first-network.script).
(cd "$tmp" && "$app" --script "$root/docs/tutorial/first-network.script")
(cd "$tmp" && "$app" --script "$root/docs/tutorial/attention.script")
rm -rf docs/images/tutorial
cp -r "$tmp/docs/images/tutorial" docs/images/
echo "wrote docs/images/tutorial/*.png"
echo "wrote docs/images/studio-untrained.png, studio-trained.png, studio-digits-cnn.png, gradcheck-digits-cnn.png,"
echo "      inspector-digits-cnn.png, inspector-spiral.png"
# The user guide's pictures (docs/user-guide.md): its script (docs/guide/guide.script) opens the spiral
# and cnn projects made above and an iris project in the same folder; dark.png is one --screenshot.
"$build/engine/neura" create "$tmp/iris.neura" --model projects/src/iris.model.json \
  --config projects/src/iris.config.json --dataset iris > /dev/null
(cd "$tmp" && "$app" --script "$root/docs/guide/guide.script")
# Evaluation (docs/guide/evaluation.script): the cnn and iris projects above and a sine regression.
"$build/engine/neura" create "$tmp/sine.neura" --model projects/src/sine-regression.model.json \
  --config projects/src/sine-regression.config.json --dataset "$(cat projects/src/sine-regression.dataset)" > /dev/null
(cd "$tmp" && "$app" --script "$root/docs/guide/evaluation.script")
# Sweeps, the Runs dock and model comparison (docs/guide/runs.script): a sweep of the spiral project made
# above, its runs, and the canvas comparing two runs' models and the edited model with spiral.neura.
(cd "$tmp" && "$app" --script "$root/docs/guide/runs.script")
rm -rf docs/images/guide
cp -r "$tmp/docs/images/guide" docs/images/
"$app" --dark --screenshot docs/images/guide/dark.png --train-epochs 40 "$tmp/spiral.neura"
echo "wrote docs/images/guide/*.png"
