#!/usr/bin/env bash
# Regenerate the built-in default model (src/model/default_model.json) and the shipped example file
# of applications (examples/applications.csv). tests/default_model.rs checks that both are
# exactly what these commands produce: the settings of train::default_model_params, which pins
# the settings the model was first built with (the defaults have moved since).
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cargo build --release --quiet
bin=target/release/microscore
"$bin" synth --rows 1000000 --seed 20261129 --out "$tmp/train.csv" --quiet
"$bin" train --data "$tmp/train.csv" --target default_12m --id application_id --protected gender \
  --solver newton --calibrate 5 --max-iv 3 --min-iv-significance 0 --l2 1 \
  --prebinning quantile --default-trend auto --shape-significance 1 --sign-significance 0 --policy examples/policies/microloan.json --reasons-file src/model/default_reasons.csv \
  --out src/model/default_model.json --force --quiet
"$bin" synth --rows 1000 --seed 7 --no-label --out examples/applications.csv --force --quiet
echo "regenerated src/model/default_model.json and examples/applications.csv"
