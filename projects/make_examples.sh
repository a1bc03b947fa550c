#!/usr/bin/env bash
# Builds the example projects (projects/*.neura) from their text form in projects/src/:
# NAME.model.json (the model), NAME.config.json (training settings), NAME.dataset (the dataset, as
# `neura create --dataset` takes it).
#   projects/make_examples.sh [NEURA_BINARY]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
neura=${1:-$here/../build/engine/neura}
for model in "$here"/src/*.model.json; do
  name=$(basename "$model" .model.json)
  "$neura" create "$here/$name.neura" --force --model "$model" \
    --config "$here/src/$name.config.json" --dataset "$(cat "$here/src/$name.dataset")"
done
