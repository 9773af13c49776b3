#!/usr/bin/env bash
# End-to-end batch scoring benchmark (not a test): generate ROWS synthetic applications, score
# them with 4 reason codes in every format pair, RUNS times each (the output removed before each
# run, so no run pays for deleting the last one's file), and report the median wall time,
# rows/s and the largest peak memory (GNU time), next to the time to merely parse the CSV with
# the csv crate on one thread.
#   bash benches/batch_e2e.sh [ROWS] [RUNS]   (default 2000000 rows, 3 runs; try 20000000 1)
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${1:-2000000}
runs=${2:-3}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cargo build --release --quiet --bin microscore --example csv_parse_only
bin=target/release/microscore
echo "== generate $rows applications"
$bin synth --rows "$rows" --seed 5 --no-label --out "$dir/apps.csv" --quiet
$bin synth --rows "$rows" --seed 5 --no-label --out "$dir/apps.parquet" --quiet
$bin synth --rows "$rows" --seed 5 --no-label --out "$dir/apps.jsonl" --quiet
gzip -1 -k "$dir/apps.csv"
ls -la "$dir"
echo "== csv crate, parse only (1 thread), $runs runs"
for _ in $(seq "$runs"); do target/release/examples/csv_parse_only "$dir/apps.csv"; done
printf '%-28s %10s %12s %14s\n' "score (4 reasons)" "median s" "rows/s" "max peak MB"
for pair in "apps.csv out.csv" "apps.csv out.parquet" "apps.parquet out.csv" \
  "apps.parquet out.parquet" "apps.csv.gz out.csv" "apps.jsonl out.jsonl"; do
  set -- $pair
  : > "$dir/times"
  for _ in $(seq "$runs"); do
    rm -f "$dir/$2"
    /usr/bin/time -a -o "$dir/times" -f "%e %M" $bin score --data "$dir/$1" --out "$dir/$2" \
      --reasons 4 --quiet
  done
  sort -n "$dir/times" | awk -v rows="$rows" -v name="$1 -> $2" '
    { t[NR] = $1; if ($2 > m) m = $2 }
    END { med = t[int((NR + 1) / 2)];
          printf "%-28s %10.2f %12.0f %14.1f\n", name, med, rows / med, m / 1024 }'
done
