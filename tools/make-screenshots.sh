#!/usr/bin/env bash
# Regenerates the screenshots in docs/images with the app's own --screenshot (offscreen, no display).
#   tools/make-screenshots.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
app="$build/gui/neurastudio"
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
echo "wrote docs/images/studio-untrained.png, studio-trained.png, studio-digits-cnn.png"
