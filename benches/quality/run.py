"""The quality harness: microscore's default scorecard against the peers, on every labelled
dataset of ../shared/data and on generated data, on fixed splits.

Run it with `benches/quality/run.sh` (which builds microscore and makes a throwaway virtualenv
holding the peers; they are never dependencies of microscore), or directly:

    python benches/quality/run.py [--tools microscore,optbinning,...] [--datasets a,b]
                                  [--out DIR] [--microscore-args "--min-iv 0.01"]

Tools (each with its own defaults):
- microscore: `microscore train` (the CLI, defaults, the target and the dropped columns only),
  then `microscore score` of the test rows; PD from the `pd` column. Fit time is the whole
  `train` process, CSV read included.
- optbinning: `BinningProcess` (every feature, its defaults) + scikit-learn `LogisticRegression()`.
- toad: the scorecard recipe of toad's tutorial: `selection.select` (empty 0.9, IV 0.02,
  corr 0.7), chi-merge `Combiner` (min_samples 0.05), `WOETransformer`, stepwise AIC selection,
  `LogisticRegression()`.
- sklearn_lr: median imputation with missing flags, standardised numbers, one-hot categories
  (min frequency 20), `LogisticRegression(max_iter=3000)`.
- lightgbm: `LGBMClassifier` defaults, categories as pandas categoricals. Not a scorecard: the
  reference for how much signal a free-form model finds.

Splits (benches/quality/datasets.json): 'cv5' = 5-fold stratified (small sets; the figures are
fold means), 'holdout' = 70/30 stratified, 'given' = separate generated train and test files.
Both use scikit-learn's StratifiedKFold / train_test_split with random_state 20261201.
Metrics on the test rows: AUC, KS, Brier score (from each tool's PD); fit seconds per fit.
Writes DIR/quality.json and DIR/quality.md, and the split of each real dataset to
benches/quality/splits/NAME.txt (--splits): one character per row of the file, in file order,
the fold that tests the row ('0'-'4' for cv5; '0' test and '-' train for holdout). The Rust
test `tests/quality_table.rs` reads them to train microscore on the very same rows and hold
its figures against the peers' in results.json.
"""
import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time
import traceback
import warnings

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score, roc_curve

warnings.filterwarnings("ignore")
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SHARED = os.environ.get("MICROSCORE_SHARED", os.path.join(os.path.dirname(ROOT), "shared", "data"))
SEED = 20261201
TOOLS = ["microscore", "optbinning", "toad", "sklearn_lr", "lightgbm"]
SCORECARDS = ["optbinning", "toad"]


def metrics(y, pd_):
    y = np.asarray(y, dtype=int)
    pd_ = np.asarray(pd_, dtype=float)
    fpr, tpr, _ = roc_curve(y, pd_)
    return {
        "auc": float(roc_auc_score(y, pd_)),
        "ks": float(np.max(tpr - fpr)),
        "brier": float(np.mean((pd_ - y) ** 2)),
    }


# ---------------------------------------------------------------- data


def load_text(spec, workdir, microscore):
    """The dataset as text (every cell as written), the 0/1 target, and the split."""
    if "generated" in spec:
        g = spec["generated"]
        frames = []
        for rows, seed, name in ((g["train_rows"], g["train_seed"], "train"), (g["test_rows"], g["test_seed"], "test")):
            path = os.path.join(workdir, f"generated_{name}.csv")
            subprocess.run([microscore, "synth", "--rows", str(rows), "--seed", str(seed), "--out", path, "--force"],
                           check=True, capture_output=True)
            frames.append(pd.read_csv(path, dtype=str, keep_default_na=False))
        text = pd.concat(frames, ignore_index=True)
        n_train = len(frames[0])
        folds = [(np.arange(n_train), np.arange(n_train, len(text)))]
    else:
        text = pd.read_csv(os.path.join(SHARED, spec["file"]), dtype=str, keep_default_na=False)
        folds = None
    label = text[spec["target"]].str.strip()
    as_number = pd.to_numeric(label, errors="coerce")
    if as_number.notna().all():  # a numeric label written as 1 or 1.0
        y = as_number.isin([float(b) for b in spec["bad_values"]]).astype(int).to_numpy()
    else:
        y = label.isin(spec["bad_values"]).astype(int).to_numpy()
    text = text.drop(columns=[c for c in spec["drop"] if c in text.columns])
    text[spec["target"]] = y.astype(str)
    if folds is None:
        from sklearn.model_selection import StratifiedKFold, train_test_split

        if spec["split"] == "cv5":
            folds = list(StratifiedKFold(5, shuffle=True, random_state=SEED).split(np.zeros(len(y)), y))
        else:
            idx = np.arange(len(y))
            tr, te = train_test_split(idx, test_size=0.3, stratify=y, random_state=SEED)
            folds = [(np.sort(tr), np.sort(te))]
    return text, y, folds


def write_split(path, n, folds):
    """The split as one character per row: the fold that tests it, '-' for never tested."""
    marks = np.full(n, "-", dtype="<U1")
    for k, (_, te) in enumerate(folds):
        marks[te] = str(k)
    with open(path, "w") as f:
        f.write("".join(marks) + "\n")


def typed(path, target):
    """A split file as the Python tools read it: pandas' own type inference, and a missing
    category as the text "(missing)" (the peers need one type per column)."""
    frame = pd.read_csv(path, low_memory=False)
    for c in frame.columns:
        if c != target and not pd.api.types.is_numeric_dtype(frame[c]):
            frame[c] = frame[c].astype(object).where(frame[c].notna(), "(missing)").astype(str)
    return frame


def categorical_columns(frame, features):
    return [c for c in features if not pd.api.types.is_numeric_dtype(frame[c])]


# ---------------------------------------------------------------- tools


def fit_microscore(train_path, test_path, target, features, workdir, microscore, extra):
    model = os.path.join(workdir, "model.json")
    scores = os.path.join(workdir, "scores.csv")
    start = time.perf_counter()
    subprocess.run([microscore, "train", "--data", train_path, "--target", target, "--id", "__row",
                    "--out", model, "--force", *extra], check=True, capture_output=True)
    seconds = time.perf_counter() - start
    subprocess.run([microscore, "score", "--model", model, "--data", test_path, "--out", scores, "--force",
                    "--reasons", "0"], check=True, capture_output=True)
    out = pd.read_csv(scores, dtype={"__row": str})
    test = pd.read_csv(test_path, usecols=["__row"], dtype={"__row": str})
    if len(out) != len(test):
        raise RuntimeError(f"microscore scored {len(out)} of {len(test)} test rows")
    out = out.set_index("__row").loc[test["__row"]]
    m = json.load(open(model))
    refused = [c["name"] for c in m["training"]["candidates"] if (c.get("reason") or "").startswith("leak")]
    return out["pd"].to_numpy(), seconds, {"features": len(m["features"]), "refused": refused}


def fit_optbinning(train, test, target, features, cats):
    from optbinning import BinningProcess
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    start = time.perf_counter()
    pipe = make_pipeline(BinningProcess(features, categorical_variables=cats), LogisticRegression())
    pipe.fit(train[features], train[target])
    seconds = time.perf_counter() - start
    return pipe.predict_proba(test[features])[:, 1], seconds, {}


def fit_toad(train, test, target, features, cats):
    import toad
    from sklearn.linear_model import LogisticRegression

    # toad's Rust core cannot sort NaN: missing numbers get a value below every other, as its
    # tutorial does with -999.
    nums = [c for c in features if c not in cats]
    low = {c: min(train[c].min(), test[c].min()) - 1e6 for c in nums}
    train, test = train.fillna(low), test.fillna(low)
    start = time.perf_counter()
    data = train[features + [target]]
    selected = toad.selection.select(data, target=target, empty=0.9, iv=0.02, corr=0.7)
    if isinstance(selected, tuple):
        selected = selected[0]
    combiner = toad.transform.Combiner()
    combiner.fit(selected, y=target, method="chi", min_samples=0.05)
    binned = combiner.transform(selected)
    woe = toad.transform.WOETransformer()
    train_woe = woe.fit_transform(binned, binned[target], exclude=[target])
    final = toad.selection.stepwise(train_woe, target=target, estimator="ols", direction="both", criterion="aic")
    if isinstance(final, tuple):
        final = final[0]
    cols = [c for c in final.columns if c != target]
    lr = LogisticRegression()
    lr.fit(final[cols], final[target])
    seconds = time.perf_counter() - start
    test_woe = woe.transform(combiner.transform(test[features + [target]]))
    return lr.predict_proba(test_woe[cols])[:, 1], seconds, {"features": len(cols)}


def fit_sklearn_lr(train, test, target, features, cats):
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    nums = [c for c in features if c not in cats]
    start = time.perf_counter()
    pipe = make_pipeline(
        ColumnTransformer([
            ("num", make_pipeline(SimpleImputer(strategy="median", add_indicator=True), StandardScaler()), nums),
            ("cat", make_pipeline(SimpleImputer(strategy="constant", fill_value="(missing)"),
                                  OneHotEncoder(handle_unknown="infrequent_if_exist", min_frequency=20,
                                                sparse_output=False)), cats),
        ]),
        LogisticRegression(max_iter=3000),
    )
    pipe.fit(train[features].astype({c: str for c in cats}), train[target])
    seconds = time.perf_counter() - start
    return pipe.predict_proba(test[features].astype({c: str for c in cats}))[:, 1], seconds, {}


def fit_lightgbm(train, test, target, features, cats):
    import lightgbm as lgb

    def frame(df, levels):
        x = df[features].copy()
        for c in cats:
            x[c] = pd.Categorical(x[c].astype(str), categories=levels[c])
        return x

    levels = {c: sorted(train[c].astype(str).unique()) for c in cats}
    start = time.perf_counter()
    model = lgb.LGBMClassifier(random_state=0, verbose=-1, n_jobs=2)
    model.fit(frame(train, levels), train[target])
    seconds = time.perf_counter() - start
    return model.predict_proba(frame(test, levels))[:, 1], seconds, {}


PY_TOOLS = {"optbinning": fit_optbinning, "toad": fit_toad, "sklearn_lr": fit_sklearn_lr, "lightgbm": fit_lightgbm}


# ---------------------------------------------------------------- the run


def run_dataset(spec, tools, microscore, extra, splits):
    target = spec["target"]
    out = {}
    with tempfile.TemporaryDirectory() as workdir:
        text, y, folds = load_text(spec, workdir, microscore)
        if splits and "generated" not in spec:
            os.makedirs(splits, exist_ok=True)
            write_split(os.path.join(splits, spec["name"] + ".txt"), len(text), folds)
        text.insert(0, "__row", [str(i) for i in range(len(text))])
        features = [c for c in text.columns if c not in ("__row", target)]
        per_tool = {t: [] for t in tools}
        forced = []
        for k, (tr, te) in enumerate(folds):
            train_path = os.path.join(workdir, f"train{k}.csv")
            test_path = os.path.join(workdir, f"test{k}.csv")
            text.iloc[tr].to_csv(train_path, index=False)
            text.iloc[te].to_csv(test_path, index=False)
            train, test = typed(train_path, target), typed(test_path, target)
            cats = categorical_columns(train, features)
            for tool in tools:
                try:
                    if tool == "microscore":
                        pd_, secs, info = fit_microscore(train_path, test_path, target, features, workdir,
                                                         microscore, extra)
                        refused = info.pop("refused")
                        if refused:
                            # The features refused as leaks, forced in: what a user who judges
                            # them legitimate gets (reported beside the default, never instead).
                            pdf, _, _ = fit_microscore(train_path, test_path, target, features, workdir,
                                                       microscore, extra + ["--include", ",".join(refused)])
                            forced.append({**metrics(y[te], pdf), "refused": refused})
                    else:
                        pd_, secs, info = PY_TOOLS[tool](train, test, target, features, cats)
                    m = metrics(y[te], pd_)
                    m["seconds"] = secs
                    m.update(info)
                    per_tool[tool].append(m)
                except (KeyboardInterrupt, SystemExit):
                    raise
                except BaseException as e:  # a peer that fails (or panics: toad_core) is recorded
                    per_tool[tool].append({"error": f"{type(e).__name__}: {e}".splitlines()[0][:300]})
                    if os.environ.get("QUALITY_DEBUG"):
                        traceback.print_exc()
        for tool, runs in per_tool.items():
            errors = [r["error"] for r in runs if "error" in r]
            if errors:
                out[tool] = {"error": errors[0]}
                continue
            keys = [k for k in runs[0] if isinstance(runs[0][k], (int, float))]
            out[tool] = {k: float(np.mean([r[k] for r in runs])) for k in keys}
            out[tool]["folds"] = len(runs)
        if forced:
            out["microscore_leaks_forced_in"] = {
                "auc": float(np.mean([f["auc"] for f in forced])),
                "refused": sorted({r for f in forced for r in f["refused"]}),
                "folds_with_refusals": len(forced),
            }
        out["_rows"] = int(len(text))
        out["_bad_rate"] = float(y.mean())
        out["_split"] = spec["split"]
    return out


def markdown(results, tools):
    lines = ["| dataset | rows | split | " + " | ".join(tools) + " | best peer scorecard | microscore - best |",
             "|---|---:|---|" + "---:|" * len(tools) + "---|---:|"]
    for name, r in results.items():
        cells = []
        for t in tools:
            v = r.get(t, {})
            cells.append(f"{v['auc']:.4f}" if "auc" in v else "error")
        peers = [(r[t]["auc"], t) for t in SCORECARDS if t in r and "auc" in r[t]]
        best = max(peers) if peers else None
        diff = (f"{r['microscore']['auc'] - best[0]:+.4f}" if best and "auc" in r.get("microscore", {}) else "")
        lines.append(f"| {name} | {r['_rows']:,} | {r['_split']} | " + " | ".join(cells)
                     + f" | {best[1] + ' ' + format(best[0], '.4f') if best else ''} | {diff} |")
    lines += ["", "KS / Brier / fit seconds per fit:", "",
              "| dataset | " + " | ".join(tools) + " |", "|---|" + "---|" * len(tools)]
    for name, r in results.items():
        cells = []
        for t in tools:
            v = r.get(t, {})
            cells.append(f"{v['ks']:.3f} / {v['brier']:.4f} / {v['seconds']:.2f}s" if "auc" in v
                         else v.get("error", "")[:60])
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    notes = [(name, r["microscore_leaks_forced_in"]) for name, r in results.items()
             if "microscore_leaks_forced_in" in r]
    if notes:
        lines += ["", "Features microscore refused as leaks (determining the outcome, a near-copy of it, "
                  "or IV above a --max-iv given), "
                  "and its AUC with them forced in by --include:", ""]
        for name, f in notes:
            lines.append(f"- {name}: {', '.join(f['refused'])} refused in {f['folds_with_refusals']} fit(s); "
                         f"forced in: AUC {f['auc']:.4f}")
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tools", default=",".join(TOOLS))
    ap.add_argument("--datasets", default="")
    ap.add_argument("--out", default=os.path.join(ROOT, "target", "quality"))
    ap.add_argument("--microscore", default=os.path.join(ROOT, "target", "release", "microscore"))
    ap.add_argument("--microscore-args", default="", help="extra `microscore train` flags (experiments)")
    ap.add_argument("--merge", default="",
                    help="a previous quality.json (e.g. benches/quality/results.json): the tools not run now "
                         "keep their results from it, so microscore can be rerun alone against the peers")
    ap.add_argument("--splits", default=os.path.join(HERE, "splits"),
                    help="where to write each dataset's split (empty: not written)")
    args = ap.parse_args()
    tools = [t for t in args.tools.split(",") if t]
    specs = json.load(open(os.path.join(HERE, "datasets.json")))["datasets"]
    if args.datasets:
        wanted = args.datasets.split(",")
        specs = [s for s in specs if s["name"] in wanted]
    extra = shlex.split(args.microscore_args)
    os.makedirs(args.out, exist_ok=True)
    results = {}
    for spec in specs:
        t = time.time()
        results[spec["name"]] = run_dataset(spec, tools, args.microscore, extra, args.splits)
        r = results[spec["name"]]
        print(f"{spec['name']:32s} " + "  ".join(
            f"{tool} {r[tool]['auc']:.4f}" if "auc" in r[tool] else f"{tool} ERROR({r[tool]['error'][:80]})"
            for tool in tools) + f"  ({time.time() - t:.0f} s)", flush=True)
    if args.merge:
        previous = json.load(open(args.merge))["results"]
        for name, r in results.items():
            for key, value in previous.get(name, {}).items():
                owner = next((t for t in TOOLS if key == t or key.startswith(t + "_")), None)
                if owner not in tools:
                    r.setdefault(key, value)
        tools = [t for t in TOOLS if any(t in r for r in results.values())]
    json.dump({"seed": SEED, "microscore_args": extra, "results": results},
              open(os.path.join(args.out, "quality.json"), "w"), indent=1)
    md = markdown(results, tools)
    open(os.path.join(args.out, "quality.md"), "w").write(md)
    print(md)


if __name__ == "__main__":
    sys.exit(main())
