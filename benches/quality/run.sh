#!/usr/bin/env bash
# The quality harness: microscore's default scorecard against optbinning, toad, scikit-learn
# and LightGBM on every labelled dataset of ../shared/data and on generated data.
#
#   benches/quality/run.sh [run.py options, e.g. --datasets german_credit_statlog]
#
# The peers live in a throwaway virtualenv (target/quality-venv, or $QUALITY_VENV); they are
# never dependencies of microscore. Writes target/quality/quality.{md,json}.
set -euo pipefail
cd "$(dirname "$0")/../.."
venv=${QUALITY_VENV:-target/quality-venv}
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet optbinning toad scikit-learn lightgbm pandas
fi
cargo build --release --quiet
OMP_NUM_THREADS=${OMP_NUM_THREADS:-2} "$venv/bin/python" benches/quality/run.py "$@"
