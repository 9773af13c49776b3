"""Holdout AUC and fit time of optbinning's scorecard on microscore's synthetic data.

Run in a throwaway virtualenv (optbinning is never a dependency of microscore):

    python3 -m venv /tmp/peer && /tmp/peer/bin/pip install optbinning pandas scikit-learn
    microscore synth --rows 100000 --seed 1 --out /tmp/train.csv
    microscore synth --rows 100000 --seed 2 --out /tmp/holdout.csv
    /tmp/peer/bin/python benches/peers/optbinning_holdout.py /tmp/train.csv /tmp/holdout.csv

It fits BinningProcess + LogisticRegression (the optbinning Scorecard pipeline, default
settings) on the training file and prints the holdout AUC and the median fit time of 3 runs.
"""
import sys
import time

import pandas as pd
from optbinning import BinningProcess, Scorecard
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

train = pd.read_csv(sys.argv[1])
holdout = pd.read_csv(sys.argv[2])
target = "default_12m"
features = [c for c in train.columns if c not in ("application_id", "gender", target)]
categorical = ["province", "business_type", "education"]

times = []
for _ in range(3):
    start = time.perf_counter()
    binning = BinningProcess(features, categorical_variables=categorical)
    card = Scorecard(binning_process=binning, estimator=LogisticRegression(), scaling_method="pdo_odds",
                     scaling_method_params={"pdo": 20, "odds": 50, "scorecard_points": 600})
    card.fit(train[features], train[target])
    times.append(time.perf_counter() - start)
times.sort()
pd_holdout = card.predict_proba(holdout[features])[:, 1]
print(f"optbinning {__import__('optbinning').__version__}: holdout AUC {roc_auc_score(holdout[target], pd_holdout):.4f}, "
      f"fit median {times[1]:.2f} s (runs {', '.join(f'{t:.2f}' for t in times)})")
