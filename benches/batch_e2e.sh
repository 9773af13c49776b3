#!/usr/bin/env bash
# End-to-end batch scoring benchmark (not a test): generate ROWS synthetic applications, score
# them with 4 reason codes in every format pair, and report wall time, rows/s and peak memory
# (GNU time), next to the time to merely parse the CSV with the csv crate.
#   bash benches/batch_e2e.sh [ROWS]     (default 2000000; try 20000000 for the memory bound)
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${1:-2000000}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cargo build --release --quiet --bin microscore --example csv_parse_only
bin=target/release/microscore
timeit() { /usr/bin/time -f "%e s wall, peak %M KB" "$@"; }
echo "== generate $rows applications"
$bin synth --rows "$rows" --seed 5 --no-label --out "$dir/apps.csv" --quiet
$bin synth --rows "$rows" --seed 5 --no-label --out "$dir/apps.parquet" --quiet
$bin synth --rows "$rows" --seed 5 --no-label --out "$dir/apps.jsonl" --quiet
ls -la "$dir"
echo "== csv crate, parse only (1 thread)"
target/release/examples/csv_parse_only "$dir/apps.csv"
for pair in "apps.csv out.csv" "apps.csv out.parquet" "apps.parquet out.csv" "apps.parquet out.parquet" "apps.jsonl out.jsonl"; do
  set -- $pair
  rm -f "$dir/$2"
  echo "== score $1 -> $2 (4 reasons)"
  timeit $bin score --data "$dir/$1" --out "$dir/$2" --reasons 4
done
