"""Reference values for the validation statistics, computed once with scikit-learn and SciPy
(independently of microscore) and stored in fixtures.json, which tests/validation_stats.rs
checks against. Regenerate (in any virtualenv with numpy, scipy and scikit-learn):

    python tests/data/stats/make_fixtures.py
"""
import json
from pathlib import Path

import numpy as np
import scipy
import sklearn
from scipy import stats
from sklearn.metrics import roc_auc_score

rng = np.random.default_rng(20261129)
# Scores on a coarse grid so that ties are common; bads score lower on average.
n = 400
bad = rng.random(n) < 0.2
score = np.round(rng.normal(600, 25, n) - 30 * bad, -1)
risk = -score

# AUC with ties (scikit-learn), KS between the score distributions of bads and goods (SciPy).
auc = roc_auc_score(bad, risk)
ks = stats.ks_2samp(score[bad], score[~bad]).statistic

# DeLong variance by its definition (O(m n) structural components).
x, y = risk[bad], risk[~bad]
psi = (x[:, None] > y[None, :]) + 0.5 * (x[:, None] == y[None, :])
v10, v01 = psi.mean(axis=1), psi.mean(axis=0)
delong = v10.var(ddof=1) / len(x) + v01.var(ddof=1) / len(y)

# Jeffreys tests: Beta(D + 1/2, N - D + 1/2) CDF at the PD, and its 2.5% / 97.5% quantiles.
jeffreys = []
for N, D, pd in [(1000, 12, 0.01), (250, 9, 0.02), (80, 0, 0.005), (40, 12, 0.15), (5000, 260, 0.05)]:
    b = stats.beta(D + 0.5, N - D + 0.5)
    jeffreys.append({"n": N, "d": D, "pd": pd, "p": b.cdf(pd), "lower": b.ppf(0.025), "upper": b.ppf(0.975)})

# Hosmer-Lemeshow on fixed groups, with SciPy's chi-square tail.
groups = [(100, 2, 1.5), (100, 4, 3.1), (100, 5, 6.0), (100, 9, 8.2), (100, 15, 12.5)]
hl = sum((o - e) ** 2 / (e * (1 - e / n_)) for n_, o, e in groups)
hl_p = stats.chi2.sf(hl, len(groups) - 2)

# PSI with empty bins, smoothed as (count + 0.5) / (total + 0.5 k).
base = np.array([120.0, 0.0, 340.0, 80.0, 60.0])
cur = np.array([100.0, 45.0, 0.0, 90.0, 70.0])
sb = (base + 0.5) / (base.sum() + 0.5 * len(base))
sc = (cur + 0.5) / (cur.sum() + 0.5 * len(cur))
psi_value = float(np.sum((sc - sb) * np.log(sc / sb)))

out = {
    "generated_with": {"numpy": np.__version__, "scipy": scipy.__version__, "scikit-learn": sklearn.__version__},
    "risk": risk.tolist(),
    "bad": bad.astype(int).tolist(),
    "auc": auc,
    "ks": ks,
    "delong_variance": delong,
    "jeffreys": jeffreys,
    "hosmer_lemeshow": {"groups": groups, "statistic": hl, "p": hl_p},
    "psi": {"baseline": base.tolist(), "current": cur.tolist(), "value": psi_value},
}
Path(__file__).with_name("fixtures.json").write_text(json.dumps(out, indent=1) + "\n")
print("wrote fixtures.json:", {k: out[k] for k in ("auc", "ks", "delong_variance")})
