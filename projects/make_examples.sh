#!/usr/bin/env bash
# Builds the example projects (projects/*.neura) from their text form in projects/src/:
# NAME.model.json (the model), NAME.config.json (training settings) and the dataset named below.
#   projects/make_examples.sh [NEURA_BINARY]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
neura=${1:-$here/../build/engine/neura}
declare -A dataset=(
  [xor]="xor,n=400,noise=0,seed=1"
  [spiral]="spiral,n=600,classes=3,noise=0.1,seed=1"
  [moons]="moons,n=400,noise=0.15,seed=1"
  [iris]="iris"
  [digits-mlp]="digits"
  [digits-cnn]="digits,image=true"
  [sine-regression]="sine,n=400,noise=0.05,seed=1"
)
for name in xor spiral moons iris digits-mlp digits-cnn sine-regression; do
  "$neura" create "$here/$name.neura" --force --model "$here/src/$name.model.json" \
    --config "$here/src/$name.config.json" --dataset "${dataset[$name]}"
done
