"""microscore: credit scorecards for unsecured rural microloans.

Train a scorecard (optimal monotone binning, weight of evidence, logistic regression, points
scaling), score applications with reason codes and a lending decision, and save the same model
file the ``microscore`` command line and the C library use. Every number comes from the Rust
core: scores from Python are bit-identical to the CLI's and the C ABI's.

Quick start::

    import microscore
    card = microscore.default_model()                  # the built-in scorecard
    scores = card.score_points(df)                     # pandas, pyarrow, dict or 2-D array
    why = card.explain(df, top_k=4)                    # reason codes and points per feature

    card = microscore.Scorecard(max_bins=8).fit(X_train, y_train)
    card.predict_proba(X_test)[:, 1]                   # PD, scikit-learn style
    card.save("model.json")

Data: numeric columns as numbers (NaN/None = missing), categorical columns as strings or pandas
categoricals. Contiguous float64 columns are read without copying; the GIL is released while the
core trains and scores, which uses every core.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from . import _microscore
from ._columns import Columns, column_names, force_categorical, target_array, to_columns
from ._errors import (
    InputError,
    MicroscoreError,
    MicroscoreFileExistsError,
    MicroscoreFileNotFoundError,
    MicroscoreOSError,
    MicroscorePermissionError,
    ModelFileError,
    ParameterError,
    TrainingError,
)
from ._microscore import Model

__version__: str = _microscore.VERSION

__all__ = [
    "Scorecard",
    "Model",
    "default_model",
    "load",
    "score_file",
    "read_table",
    "evaluate",
    "monitor",
    "strategy",
    "MicroscoreError",
    "InputError",
    "ParameterError",
    "ModelFileError",
    "TrainingError",
    "MicroscoreOSError",
    "MicroscoreFileNotFoundError",
    "MicroscorePermissionError",
    "MicroscoreFileExistsError",
    "FLAG_NAMES",
    "DECISIONS",
    "MAX_REASONS",
]

#: Names of the flag bits, in bit order (bit 0 = ``missing``).
FLAG_NAMES: tuple[str, ...] = tuple(_microscore.FLAG_NAMES)
#: Decision names by code (0 approve, 1 refer, 2 decline).
DECISIONS: tuple[str, ...] = tuple(_microscore.DECISIONS)
#: Largest number of reason codes per application.
MAX_REASONS: int = _microscore.MAX_REASONS

#: The training defaults, read from the Rust core (the one place they are set).
_DEFAULTS: dict[str, Any] = json.loads(_microscore.TRAIN_DEFAULTS)

_PARAMS: dict[str, Any] = {
    "max_bins": _DEFAULTS["max_bins"],
    "prebins": _DEFAULTS["prebins"],
    "prebinning": _DEFAULTS["prebinning"],
    "min_bin_share": _DEFAULTS["min_bin_share"],
    "min_bin_count": _DEFAULTS["min_bin_count"],
    "small_bin_z": _DEFAULTS["small_bin_z"],
    "detect_specials": _DEFAULTS["detect_specials"],
    "min_bin_goods": _DEFAULTS["min_bin_goods"],
    "min_bin_bads": _DEFAULTS["min_bin_bads"],
    "default_trend": _DEFAULTS["default_trend"],
    "shape_significance": _DEFAULTS["shape_significance"],
    "trends": None,
    "specials": None,
    "prebin_edges": None,
    "min_iv": _DEFAULTS["min_iv"],
    "min_iv_significance": _DEFAULTS["min_iv_significance"],
    "max_iv": _DEFAULTS["max_iv"],
    "sign_significance": _DEFAULTS["sign_significance"],
    "max_correlation": _DEFAULTS["max_correlation"],
    "l2": _DEFAULTS["l2"],
    "solver": _DEFAULTS["solver"],
    "max_iterations": _DEFAULTS["max_iterations"],
    "pdo": _DEFAULTS["pdo"],
    "base_score": _DEFAULTS["base_score"],
    "base_odds": _DEFAULTS["base_odds"],
    "round_points": _DEFAULTS["round_points"],
    "calibration_folds": _DEFAULTS["calibration_folds"],
    "grade_pds": None,
    "include": None,
    "exclude": None,
    "protected": None,
    "categorical": None,
    "id_column": None,
    "policy": None,
    "feature_names": None,
}


def _pandas() -> Any:
    try:
        import pandas

        return pandas
    except ImportError:
        return None


def _frame(data: dict[str, Any], as_frame: bool | None) -> Any:
    pd = _pandas()
    if as_frame is False or (as_frame is None and pd is None):
        return data
    if pd is None:
        raise ImportError("as_frame=True needs pandas")
    return pd.DataFrame(data)


class Scorecard:
    """A credit scorecard as a scikit-learn style classifier (class 1 = default).

    Parameters (all keyword-only; the same settings as ``microscore train``):

    - ``max_bins`` (10), ``prebins`` (50), ``min_bin_share`` (0.05), ``min_bin_goods`` (5),
      ``min_bin_bads`` (5): binning limits. ``min_bin_count`` (50), ``small_bin_z`` (1.96):
      a bin below the share stands when it holds at least ``min_bin_count`` rows and its default
      rate differs from each neighbour's by that z statistic. ``detect_specials`` (True): an
      interior value spike whose risk differs from both sides of it (an imputed missing code) is
      binned apart as a special value. ``prebinning`` ("tree"): how the candidate cut points
      are found, the leaves of a decision tree on the target (each at least 1/``prebins`` of
      the rows and ``min_bin_count``) or ``quantile`` (equal shares of the rows).
    - ``default_trend`` ("auto-shape"): WoE trend of numeric features: ``ascending``,
      ``descending``, ``peak``, ``valley``, ``auto`` (the better monotone one) or
      ``auto-shape`` (also peak or valley, when the likelihood-ratio test against the monotone
      bins gives p at most ``shape_significance``, 0.01); ``trends``: per-feature overrides
      (dict); ``specials``: per-feature special values binned on their own (dict of lists);
      ``prebin_edges``: per-feature pre-bin edges used instead of the feature's own quantiles
      (dict of lists; what :func:`microscore.spark.train` computed, to reproduce its bins).
    - ``min_iv`` (0.005), ``min_iv_significance`` (0.01: a feature below ``min_iv`` is kept
      when its bins' association with the outcome is significant at that level, a sure weak
      signal on a large book; 0 turns it off), ``max_correlation`` (0.7): selection filters;
      ``max_iv`` (None, no
      limit): when set, a feature above that IV is refused as a leak of the outcome. Copies of
      the target are refused whatever it is: a feature whose values determine the outcome, or
      one that alone orders at least 97.5% of (default, repayment) pairs; features above IV 0.5
      are kept and noted. ``include`` / ``exclude``: features forced in / never used.
    - ``sign_significance`` (0.01): the sign check. A feature whose coefficient runs against
      its WoE is dropped and the card refitted, unless the likelihood-ratio test of dropping
      it gives p at most this: its effect at equal values of the other features is real and
      the reverse of its effect alone (students default more than others, but less than
      others of the same balance). Such a feature is kept and noted in ``training_notes``
      (``"against_woe"``); 0 drops every wrong-signed feature.
    - ``l2`` (3.0), ``solver`` ("newton", exact IRLS; "lbfgs" is linfa-logistic),
      ``max_iterations`` (500): the logistic fit.
    - ``pdo`` (20), ``base_score`` (600), ``base_odds`` (50), ``round_points`` (False),
      ``grade_pds``: points scaling and grade bands.
    - ``calibration_folds`` (0): recalibrate the PDs on out-of-fold predictions from that many
      folds (5 is usual; the intercept and slope are folded into the points and recorded in
      ``model_.training_json()``).
    - ``protected``: protected attributes, never features (recorded for fairness reports);
      ``id_column``: carried, never a feature (default ``application_id`` when present);
      ``categorical``: numeric columns to treat as categories; ``policy``: the decision policy,
      a dict or the path of a policy file (keys as ``microscore train --policy``:
      ``approve_pd``, ``decline_pd``, ``amount_column``, ``revenue_column``,
      ``thin_file_column``, ...), checked against the training data. Without one the model
      gets PD cut-offs only (approve at PD <= 5%, decline above 15%).
    - ``feature_names``: column names for 2-D array input.

    After ``fit``: ``model_`` (a :class:`Model`), ``classes_``, ``feature_names_in_``,
    ``n_features_in_``.
    """

    _estimator_type = "classifier"

    def __init__(
        self,
        *,
        max_bins: int = _DEFAULTS["max_bins"],
        prebins: int = _DEFAULTS["prebins"],
        prebinning: str = _DEFAULTS["prebinning"],
        min_bin_share: float = _DEFAULTS["min_bin_share"],
        min_bin_count: float = _DEFAULTS["min_bin_count"],
        small_bin_z: float = _DEFAULTS["small_bin_z"],
        detect_specials: bool = _DEFAULTS["detect_specials"],
        min_bin_goods: float = _DEFAULTS["min_bin_goods"],
        min_bin_bads: float = _DEFAULTS["min_bin_bads"],
        default_trend: str = _DEFAULTS["default_trend"],
        shape_significance: float = _DEFAULTS["shape_significance"],
        trends: Mapping[str, str] | None = None,
        specials: Mapping[str, Sequence[float]] | None = None,
        prebin_edges: Mapping[str, Sequence[float]] | None = None,
        min_iv: float = _DEFAULTS["min_iv"],
        min_iv_significance: float = _DEFAULTS["min_iv_significance"],
        max_iv: float | None = _DEFAULTS["max_iv"],
        sign_significance: float = _DEFAULTS["sign_significance"],
        max_correlation: float = _DEFAULTS["max_correlation"],
        l2: float = _DEFAULTS["l2"],
        solver: str = _DEFAULTS["solver"],
        max_iterations: int = _DEFAULTS["max_iterations"],
        pdo: float = _DEFAULTS["pdo"],
        base_score: float = _DEFAULTS["base_score"],
        base_odds: float = _DEFAULTS["base_odds"],
        round_points: bool = _DEFAULTS["round_points"],
        calibration_folds: int = _DEFAULTS["calibration_folds"],
        grade_pds: Sequence[float] | None = None,
        include: Sequence[str] | None = None,
        exclude: Sequence[str] | None = None,
        protected: Sequence[str] | None = None,
        categorical: Sequence[str] | None = None,
        id_column: str | None = None,
        policy: Mapping[str, Any] | str | os.PathLike[str] | None = None,
        feature_names: Sequence[str] | None = None,
    ) -> None:
        self.max_bins = max_bins
        self.prebins = prebins
        self.prebinning = prebinning
        self.min_bin_share = min_bin_share
        self.min_bin_count = min_bin_count
        self.small_bin_z = small_bin_z
        self.detect_specials = detect_specials
        self.min_bin_goods = min_bin_goods
        self.min_bin_bads = min_bin_bads
        self.default_trend = default_trend
        self.shape_significance = shape_significance
        self.trends = trends
        self.specials = specials
        self.prebin_edges = prebin_edges
        self.min_iv = min_iv
        self.min_iv_significance = min_iv_significance
        self.max_iv = max_iv
        self.sign_significance = sign_significance
        self.max_correlation = max_correlation
        self.l2 = l2
        self.solver = solver
        self.max_iterations = max_iterations
        self.pdo = pdo
        self.base_score = base_score
        self.base_odds = base_odds
        self.round_points = round_points
        self.calibration_folds = calibration_folds
        self.grade_pds = grade_pds
        self.include = include
        self.exclude = exclude
        self.protected = protected
        self.categorical = categorical
        self.id_column = id_column
        self.policy = policy
        self.feature_names = feature_names

    # -- scikit-learn protocol -----------------------------------------------------------------

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The constructor parameters (scikit-learn convention)."""
        return {name: getattr(self, name) for name in _PARAMS}

    def set_params(self, **params: Any) -> Scorecard:
        """Set constructor parameters; unknown names raise :class:`ParameterError`."""
        for name, value in params.items():
            if name not in _PARAMS:
                raise ParameterError(f"unknown parameter '{name}' (one of {', '.join(_PARAMS)})")
            setattr(self, name, value)
        return self

    def __sklearn_tags__(self) -> Any:
        from sklearn.utils import ClassifierTags, InputTags, Tags, TargetTags

        return Tags(
            estimator_type="classifier",
            target_tags=TargetTags(required=True),
            classifier_tags=ClassifierTags(multi_class=False),
            input_tags=InputTags(allow_nan=True, categorical=True, string=True),
        )

    def __repr__(self) -> str:
        changed = {k: v for k, v in self.get_params().items() if v is not _PARAMS[k] and v != _PARAMS[k]}
        inner = ", ".join(f"{k}={v!r}" for k, v in changed.items())
        return f"Scorecard({inner})"

    # -- training -----------------------------------------------------------------------------

    def _config(self, weight_column: str | None, id_column: str | None) -> str:
        def listed(v: Iterable[str] | None) -> list[str]:
            return [str(x) for x in v] if v is not None else []

        config: dict[str, Any] = {
            "max_bins": self.max_bins,
            "prebins": self.prebins,
            "prebinning": self.prebinning,
            "min_bin_share": self.min_bin_share,
            "min_bin_count": self.min_bin_count,
            "small_bin_z": self.small_bin_z,
            "detect_specials": bool(self.detect_specials),
            "min_bin_goods": self.min_bin_goods,
            "min_bin_bads": self.min_bin_bads,
            "default_trend": self.default_trend,
            "shape_significance": self.shape_significance,
            "trends": dict(self.trends or {}),
            "specials": {k: [float(x) for x in v] for k, v in (self.specials or {}).items()},
            "prebin_edges": {k: [float(x) for x in v] for k, v in (self.prebin_edges or {}).items()},
            "min_iv": self.min_iv,
            "min_iv_significance": self.min_iv_significance,
            "max_iv": self.max_iv,
            "sign_significance": self.sign_significance,
            "max_correlation": self.max_correlation,
            "l2": self.l2,
            "solver": self.solver,
            "max_iterations": self.max_iterations,
            "pdo": self.pdo,
            "base_score": self.base_score,
            "base_odds": self.base_odds,
            "round_points": bool(self.round_points),
            "calibration_folds": int(self.calibration_folds),
            "include": listed(self.include),
            "exclude": listed(self.exclude),
            "protected": listed(self.protected),
            "id_column": id_column,
            "weight_column": weight_column,
        }
        if self.grade_pds is not None:
            config["grade_pds"] = [float(x) for x in self.grade_pds]
        if self.policy is not None:
            config["policy"] = _policy_spec(self.policy)
        try:
            return json.dumps(config, allow_nan=False)
        except (TypeError, ValueError) as e:
            raise ParameterError(f"settings are not plain numbers, strings and lists: {e}") from None

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> Scorecard:
        """Train on ``X`` (applications) and ``y`` (1 = default, 0 = repaid; booleans too).

        ``sample_weight`` (finite, >= 0) weights rows. The GIL is released while training.
        Returns ``self``.
        """
        cols, n = to_columns(X, self.feature_names)
        names = [c for c, _ in cols]
        if self.categorical:
            missing = [c for c in self.categorical if c not in names]
            if missing:
                raise InputError(f"categorical column(s) not in the data: {', '.join(missing)}")
            cols = force_categorical(cols, self.categorical)
        target = getattr(y, "name", None)
        target = str(target) if isinstance(target, str) and target else "default"
        if target in names:
            raise InputError(f"X has a column named like the target '{target}'; drop it from X")
        full: Columns = list(cols)
        full.append((target, target_array(y, n)))
        weight_column = None
        if sample_weight is not None:
            weight_column = "sample_weight"
            if weight_column in names:
                raise InputError("X has a column named 'sample_weight'; rename it to pass weights")
            full.append((weight_column, target_array(sample_weight, n, "sample_weight")))
        id_column = self.id_column
        if id_column is None and "application_id" in names:
            id_column = "application_id"
        self.model_ = _microscore.train(full, target, self._config(weight_column, id_column))
        self.classes_ = np.array([0, 1])
        self.feature_names_in_ = np.array(names, dtype=object)
        self.n_features_in_ = len(names)
        return self

    # -- scoring ------------------------------------------------------------------------------

    def _model(self) -> Model:
        model: Model | None = getattr(self, "model_", None)
        if model is None:
            try:
                from sklearn.exceptions import NotFittedError
            except ImportError:
                raise MicroscoreError("this Scorecard is not fitted yet: call fit() or load()") from None
            raise NotFittedError("this Scorecard is not fitted yet: call fit() or load()")
        return model

    def _score(
        self, X: Any, outputs: list[str], reasons: int = 0, missing_columns: str = "error"
    ) -> dict[str, np.ndarray]:
        model = self._model()
        names = self.feature_names
        if names is None and getattr(self, "feature_names_in_", None) is not None:
            names = list(self.feature_names_in_)
        wanted = {c for c, _ in model.input_columns} | {c for c, _ in model.needed_columns(True)}
        cols, n = to_columns(X, names, only=wanted)
        if self.categorical:
            cols = force_categorical(cols, self.categorical)
        return model.score(cols, n, outputs, reasons, missing_columns, column_names(X, names))

    def score_points(self, X: Any, *, missing_columns: str = "error") -> np.ndarray:
        """The credit score of each row (higher is safer), as float64.

        Every feature of the model must be a column of ``X`` (exact names): an absent one
        raises :class:`InputError` naming it, with "did you mean" for a near miss.
        ``missing_columns="as_missing"`` scores absent columns as missing instead, flagging
        every row ``absent_column``; the same holds for every scoring method."""
        return self._score(X, ["score"], missing_columns=missing_columns)["score"]

    def predict_proba(self, X: Any, *, missing_columns: str = "error") -> np.ndarray:
        """``n x 2`` probabilities: column 0 repaid, column 1 default (the PD)."""
        pd_ = self._score(X, ["pd"], missing_columns=missing_columns)["pd"]
        return np.column_stack([1.0 - pd_, pd_])

    def predict(self, X: Any, *, missing_columns: str = "error") -> np.ndarray:
        """1 where the PD is at least one half, else 0 (use :meth:`decide` for lending)."""
        return (self._score(X, ["pd"], missing_columns=missing_columns)["pd"] >= 0.5).astype(np.int64)

    def decision_function(self, X: Any, *, missing_columns: str = "error") -> np.ndarray:
        """Log-odds of default, ``log(pd / (1 - pd))`` (higher is riskier)."""
        pd_ = self._score(X, ["pd"], missing_columns=missing_columns)["pd"]
        with np.errstate(divide="ignore"):
            logit: np.ndarray = np.log(pd_) - np.log1p(-pd_)
        return logit

    def score(self, X: Any, y: Any, sample_weight: Any = None) -> float:
        """AUC of the PD against ``y`` (scikit-learn's default metric hook)."""
        pd_ = self._score(X, ["pd"])["pd"]
        yv = target_array(y, len(pd_))
        w = None if sample_weight is None else target_array(sample_weight, len(pd_), "sample_weight")
        return _microscore.auc(np.ascontiguousarray(yv, dtype=np.float64), pd_, w)

    def decide(self, X: Any, as_frame: bool | None = None, *, missing_columns: str = "error") -> Any:
        """The policy outcome per row: score, PD, grade, decision (approve/refer/decline),
        recommended limit, annual rate (the price), expected loss and flags.

        The columns the policy reads (amount, revenue, thin-file indicator, required columns)
        must be in ``X`` as well as the features. Without loan sizing in the policy the limit
        and expected loss are NaN; a row whose amount is negative or infinite raises
        :class:`InputError` naming it, unless the policy refers such rows
        (``invalid_amount: "refer"``). See :attr:`policy_summary`.

        A DataFrame when pandas is installed (or ``as_frame=True``), else a dict of arrays.
        """
        model = self._model()
        out = self._score(
            X,
            [*_microscore.RESULT_COLUMNS, "flags"],
            missing_columns=missing_columns,
        )
        grades = np.array(model.grades, dtype=object)
        names = {"grade": grades, "decision": np.array(DECISIONS, dtype=object)}
        data = {
            c: names[c][out[c]] if c in names else out[c] for c in _microscore.RESULT_COLUMNS
        }
        data["flags"] = _flag_text(out["flags"])
        return _frame(data, as_frame)

    def explain(
        self,
        X: Any,
        top_k: int = 4,
        as_frame: bool | None = None,
        *,
        missing_columns: str = "error",
        language: str | None = None,
    ) -> Any:
        """Why each row scored as it did: score, PD, grade, the ``top_k`` reason codes (the
        features that lost the most points against their maximum, most first; None when fewer
        lost any), and the points and bin of every feature (``points:<feature>``,
        ``bin:<feature>``). With ``language`` (``"en"``, ``"zh"``, any the model has: see
        ``languages``), each reason's statement too (``reason_<j>_text``).

        A DataFrame when pandas is installed (or ``as_frame=True``), else a dict of arrays.
        """
        model = self._model()
        if isinstance(top_k, bool) or not isinstance(top_k, (int, np.integer)):
            raise ParameterError(f"top_k must be a whole number in 0..={MAX_REASONS}, got {top_k!r}")
        if top_k < 0 or top_k > MAX_REASONS:
            raise ParameterError(f"top_k must be in 0..={MAX_REASONS}, got {top_k}")
        k = min(int(top_k), len(model.features))
        out = self._score(
            X, ["score", "pd", "grade", "flags", "reasons", "points", "bins"], k, missing_columns
        )
        codes = np.array(list(model.reason_codes) + [None], dtype=object)
        data: dict[str, Any] = {
            "score": out["score"],
            "pd": out["pd"],
            "grade": np.array(model.grades, dtype=object)[out["grade"]],
        }
        reasons = out["reasons"]
        for j in range(k):
            data[f"reason_{j + 1}"] = codes[reasons[:, j]]
        if language is not None:
            texts = np.array(list(model.statements(language)) + [None], dtype=object)
            for j in range(k):
                data[f"reason_{j + 1}_text"] = texts[reasons[:, j]]
        labels = model.bin_labels
        for j, name in enumerate(model.features):
            data[f"points:{name}"] = out["points"][:, j]
            data[f"bin:{name}"] = np.array(labels[j], dtype=object)[out["bins"][:, j]]
        data["flags"] = _flag_text(out["flags"])
        return _frame(data, as_frame)

    def adverse_action(
        self,
        X: Any,
        *,
        language: str = "en",
        date: str | None = None,
        ids: Any = None,
        missing_columns: str = "error",
    ) -> list[dict[str, Any]]:
        """Adverse-action notice records for the declined and referred rows of ``X``: for each,
        the decision, the score and the model's score range, the up-to-four principal reasons
        (code, statement in ``language``, points lost), the date (``date`` as ``YYYY-MM-DD``,
        default today, UTC), the model's checksum and ``record`` (the row, counted from 1).
        ``ids`` (one per row) fills ``id``; by default the model's id column of ``X`` when it
        has one. The same records as ``microscore score --adverse-action`` (docs/reasons.md)."""
        model = self._model()
        nf = len(model.features)
        k = min(4, nf)
        out = self._score(X, ["score", "decision", "reasons", "points"], k, missing_columns)
        n = len(out["score"])
        if ids is None and model.id_column is not None:
            try:
                ids = X[model.id_column]
            except (KeyError, IndexError, TypeError, ValueError):
                ids = None
        id_list = None if ids is None else [None if v is None else str(v) for v in list(ids)]
        if id_list is not None and len(id_list) != n:
            raise ParameterError(f"ids has {len(id_list)} entries for {n} rows")
        texts = model.notices(
            out["decision"].tolist(),
            out["score"].tolist(),
            out["reasons"].tolist(),
            out["points"].tolist(),
            id_list,
            language,
            date,
        )
        return [json.loads(t) for t in texts if t is not None]

    @property
    def languages(self) -> list[str]:
        """The languages the model has reason statements in (``"en"`` at least)."""
        return list(self._model().languages) or ["en"]

    def reason_statements(self, language: str = "en") -> dict[str, str]:
        """Each feature's reason statement in ``language``, by reason code."""
        model = self._model()
        return dict(zip(model.reason_codes, model.statements(language)))

    def with_reason_statements(self, reasons: str | os.PathLike[str] | Sequence[Mapping[str, str]]) -> Scorecard:
        """A copy whose model carries the lender's reason statements: a reasons file
        (``code,language,statement``) or rows with those keys; every language given needs a
        statement for every feature, and a protected attribute can never have one."""
        if isinstance(reasons, (str, os.PathLike)):
            path = os.fspath(reasons)
            with open(path, encoding="utf-8", newline="") as f:
                text, source = f.read(), path
        else:
            import csv
            import io

            buf = io.StringIO()
            w = csv.writer(buf)
            w.writerow(["code", "language", "statement"])
            for r in reasons:
                w.writerow([r["code"], r["language"], r["statement"]])
            text, source = buf.getvalue(), "reason statements"
        return Scorecard.from_model(self._model().with_statements(text, source))

    # -- the model ----------------------------------------------------------------------------

    def table(self, as_frame: bool | None = None) -> Any:
        """The scorecard table: every bin of every feature with count, share, bad rate, WoE,
        IV and points."""
        rows = json.loads(self._model().scorecard_json())
        keys = ["feature", "bin", "count", "share", "bad_rate", "woe", "iv", "points"]
        data = {k: [r[k] if r[k] is not None else float("nan") for r in rows] for k in keys}
        return _frame({k: np.array(v, dtype=object if k in ("feature", "bin") else np.float64) for k, v in data.items()}, as_frame)

    @property
    def policy_(self) -> dict[str, Any]:
        """The decision policy recorded in the model (cut-offs as scores)."""
        policy: dict[str, Any] = json.loads(self._model().policy_json())
        return policy

    @property
    def policy_summary(self) -> list[str]:
        """The parts of the decision policy and whether each is active (cut-offs, loan sizing,
        thin-file rule, pricing, required columns), one line each."""
        return list(self._model().policy_summary())

    @property
    def training_summary(self) -> dict[str, Any]:
        """Training facts recorded in the model: rows, bad rate, AUC, KS, every candidate
        feature with its IV and why it was kept or dropped, and the settings."""
        summary: dict[str, Any] = json.loads(self._model().training_json())
        return summary

    @property
    def training_notes(self) -> list[dict[str, Any]]:
        """What to look at before signing the scorecard off (the CLI's ``train`` prints the
        same notes): kept features with IV above 0.5 (``kind`` ``"strong_iv"``: check they are
        known at application) and neighbouring bins whose order of default rates a resample of
        the rows would reverse more than 20% of the time (``kind`` ``"unstable_neighbours"``:
        raise ``min_bin_share`` or lower ``max_bins`` to merge them, or accept the noise), and
        kept features whose points run against their bins' default rates (``kind``
        ``"against_woe"``: kept because dropping them fails the likelihood-ratio test at
        ``sign_significance``; their effect at equal values of the other features is the
        reverse of their effect alone). Each note has its fields and a ``message``."""
        notes: list[dict[str, Any]] = json.loads(self._model().training_notes_json())
        return notes

    def to_sql(self, dialect: str = "duckdb", table: str = "applications", reasons: int = 4) -> str:
        """The scorecard as one SQL ``SELECT`` over ``table`` in ``dialect`` (``"postgres"``,
        ``"duckdb"``, ``"sqlite"`` or ``"spark"``): per row the id, every feature's points, the
        score, PD, grade, decision, limit, rate, expected loss, ``reasons`` reason codes, and
        ``reject_column``/``reject_reason`` for a row the policy rejects. It gives the numbers
        this library gives (docs/export.md)."""
        return self._model().to_sql(dialect, table, _reason_count(reasons))

    def to_pmml(self, reasons: int = 4) -> str:
        """The scorecard as a PMML 4.4 ``<Scorecard>`` with ``pointsBelow`` reason codes and the
        PD and grade as output fields (docs/export.md)."""
        return self._model().to_pmml(_reason_count(reasons))

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the model file (the same JSON the CLI and the C library load)."""
        self._model().save(os.fspath(path))

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Scorecard:
        """A fitted Scorecard from a model file (validated, checksum checked)."""
        return cls.from_model(Model.load(os.fspath(path)))

    @classmethod
    def from_model(cls, model: Model) -> Scorecard:
        """A fitted Scorecard around a :class:`Model`."""
        card = cls()
        card.model_ = model
        card.classes_ = np.array([0, 1])
        card.feature_names_in_ = np.array([c for c, _ in model.input_columns], dtype=object)
        card.n_features_in_ = len(card.feature_names_in_)
        return card

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        model = state.pop("model_", None)
        if model is not None:
            state["model_json_"] = model.to_json()
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        state = dict(state)
        text = state.pop("model_json_", None)
        self.__dict__.update(state)
        if text is not None:
            self.model_ = Model.from_json(text)


def _reason_count(k: Any) -> int:
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 0 <= k <= MAX_REASONS:
        raise ParameterError(f"reasons must be a whole number in 0..={MAX_REASONS}, got {k!r}")
    return int(k)


def _policy_spec(policy: Mapping[str, Any] | str | os.PathLike[str]) -> dict[str, Any]:
    """A policy given as a dict, or as the path of a policy file (JSON)."""
    if isinstance(policy, (str, os.PathLike)):
        path = os.fspath(policy)
        try:
            with open(path, encoding="utf-8") as f:
                spec = json.load(f)
        except FileNotFoundError:
            raise MicroscoreFileNotFoundError(f"{path}: policy file not found") from None
        except json.JSONDecodeError as e:
            raise ParameterError(f"{path}: not a JSON policy file: {e}") from None
        if not isinstance(spec, dict):
            raise ParameterError(f"{path}: a policy file holds one JSON object")
        return spec
    if isinstance(policy, Mapping):
        return dict(policy)
    raise ParameterError(f"policy must be a dict or the path of a policy file, got {type(policy).__name__}")


def _flag_text(bits: np.ndarray) -> np.ndarray:
    """Flag bits as the CLI writes them (the core's ``flags::text``), as an object array."""
    out = np.empty(len(bits), dtype=object)
    out[:] = _microscore.flag_text(np.ascontiguousarray(bits, dtype=np.uint32))
    return out


def default_model() -> Scorecard:
    """The built-in scorecard (trained on synthetic rural microloan applications)."""
    return Scorecard.from_model(Model.default())


def load(path: str | os.PathLike[str]) -> Scorecard:
    """Load a model file as a fitted :class:`Scorecard`."""
    return Scorecard.load(path)


def score_file(
    model: Scorecard | Model | str | os.PathLike[str],
    input: str | os.PathLike[str],
    output: str | os.PathLike[str],
    *,
    rejects: str | os.PathLike[str] | None = None,
    reasons: int = 4,
    keep: Sequence[str] | None = None,
    strict: bool = False,
    force: bool = False,
    input_format: str | None = None,
    output_format: str | None = None,
    threads: int | None = None,
    missing_columns: str = "error",
    reason_text: bool = False,
    language: str = "en",
    adverse_action: str | os.PathLike[str] | None = None,
    notice_date: str | None = None,
    delimiter: str | None = None,
    decimal_comma: bool = False,
) -> dict[str, Any]:
    """Score a CSV, JSON Lines or Parquet file into another with the streaming batch scorer
    (the engine of ``microscore score``): bounded memory, every core, rows that cannot be scored
    written to ``rejects`` with their line, column, value and reason. A column the model or its
    policy reads that the file lacks is an error, unless ``missing_columns="as_missing"``.
    ``reason_text`` adds each reason's statement in ``language``; ``adverse_action`` writes a
    notice record (JSON Lines) for every declined or referred row, dated ``notice_date``
    (default today, UTC). Returns the summary (``rows_read == rows_scored + rows_rejected``;
    ``read_as`` says how the input was read).

    Files are read by the rules every command shares: the format from the name (``.csv``,
    ``.tsv``, ``.jsonl``, ``.parquet``, text optionally ``.gz``), then the content, or
    ``format``; CSV by RFC 4180 (quoted line breaks included), its ``delimiter`` (``,`` ``;``
    ``|`` or ``tab``) detected from the header line unless given, numbers with a decimal comma
    (``1.234,5``) when ``decimal_comma``."""
    text = _microscore.score_file(
        _native_model(model),
        os.fspath(input),
        os.fspath(output),
        None if rejects is None else os.fspath(rejects),
        reasons,
        list(keep or []),
        strict,
        force,
        input_format,
        output_format,
        threads,
        missing_columns,
        language if reason_text else None,
        None if adverse_action is None else os.fspath(adverse_action),
        notice_date,
        language,
        delimiter,
        decimal_comma,
    )
    summary: dict[str, Any] = json.loads(text)
    return summary


def _native_model(model: Scorecard | Model | str | os.PathLike[str]) -> Model:
    if isinstance(model, Scorecard):
        return model._model()
    if isinstance(model, Model):
        return model
    return Model.load(os.fspath(model))


def evaluate(
    model: Scorecard | Model | str | os.PathLike[str],
    data: str | os.PathLike[str],
    *,
    target: str | None = None,
    protected: Sequence[str] | None = None,
    html: str | os.PathLike[str] | None = None,
    markdown: str | os.PathLike[str] | None = None,
    format: str | None = None,
    delimiter: str | None = None,
    decimal_comma: bool = False,
) -> dict[str, Any]:
    """The validation pack of ``microscore evaluate`` on a labelled file (CSV, JSON Lines or
    Parquet, read as :func:`score_file` reads it, with the same rejects): discrimination
    (AUC with a DeLong interval, Gini, KS), calibration (Brier, log loss, Jeffreys test per grade,
    Hosmer-Lemeshow), gains, cut-offs, characteristics and fairness by ``protected`` attribute
    (default: the model's) and thin file. Returns the figures as a dict; writes the HTML page
    and/or Markdown summary when paths are given.

    Files are read by the rules every command shares: the format from the name (``.csv``,
    ``.tsv``, ``.jsonl``, ``.parquet``, text optionally ``.gz``), then the content, or
    ``format``; CSV by RFC 4180 (quoted line breaks included), its ``delimiter`` (``,`` ``;``
    ``|`` or ``tab``) detected from the header line unless given, numbers with a decimal comma
    (``1.234,5``) when ``decimal_comma``."""
    text = _microscore.evaluate(
        _native_model(model),
        os.fspath(data),
        target,
        None if protected is None else list(protected),
        None if html is None else os.fspath(html),
        None if markdown is None else os.fspath(markdown),
        format,
        delimiter,
        decimal_comma,
    )
    report: dict[str, Any] = json.loads(text)
    return report


def monitor(
    model: Scorecard | Model | str | os.PathLike[str],
    baseline: str | os.PathLike[str],
    current: str | os.PathLike[str],
    *,
    target: str | None = None,
    html: str | os.PathLike[str] | None = None,
    markdown: str | os.PathLike[str] | None = None,
    format: str | None = None,
    delimiter: str | None = None,
    decimal_comma: bool = False,
) -> dict[str, Any]:
    """The stability report of ``microscore monitor``: score PSI over the baseline's deciles and
    each feature's PSI over the model's bins (smoothed, so empty bins count). Returns the figures
    as a dict; writes HTML and/or Markdown when paths are given. Both files are read with the
    same ``format``, ``delimiter`` and ``decimal_comma`` (see :func:`evaluate`)."""
    text = _microscore.monitor(
        _native_model(model),
        os.fspath(baseline),
        os.fspath(current),
        target,
        None if html is None else os.fspath(html),
        None if markdown is None else os.fspath(markdown),
        format,
        delimiter,
        decimal_comma,
    )
    report: dict[str, Any] = json.loads(text)
    return report


def strategy(
    model: Scorecard | Model | str | os.PathLike[str],
    data: str | os.PathLike[str],
    *,
    target: str | None = None,
    step: float | None = None,
    approve_rate: float | None = None,
    max_bad_rate: float | None = None,
    refer_band: float | None = None,
    out: str | os.PathLike[str] | None = None,
    force: bool = False,
    as_frame: bool | None = None,
    format: str | None = None,
    delimiter: str | None = None,
    decimal_comma: bool = False,
) -> Any:
    """The strategy table of ``microscore strategy`` on a file (CSV, JSON Lines or Parquet, read
    as :func:`evaluate` reads it): per score cut-off (every
    grade boundary, the current cut-offs and a grid of ``step`` points), the applications
    approved at or above it, the approval rate, the expected bad rate (mean PD), the observed
    and marginal bad rates (labelled data), and the exposure and expected loss (when the policy
    sizes loans).

    With ``approve_rate`` (e.g. 0.7) or ``max_bad_rate`` (e.g. 0.03) it also chooses the
    cut-offs (decline ``refer_band`` points below the approval cut-off, default the model's
    PDO): the policy spec is in ``table.attrs["policy"]`` (a DataFrame) and written to ``out``
    when given, ready for ``Scorecard(policy=...)`` or ``microscore score --policy``.

    A DataFrame when pandas is installed (or ``as_frame=True``), else a dict of arrays."""
    text, policy = _microscore.strategy(
        _native_model(model),
        os.fspath(data),
        target,
        step,
        approve_rate,
        max_bad_rate,
        refer_band,
        format,
        delimiter,
        decimal_comma,
    )
    if out is not None and policy is None:
        raise ParameterError("out writes the chosen cut-offs: give approve_rate or max_bad_rate")
    result = json.loads(text)
    keys = [
        "cutoff",
        "pd",
        "grade",
        "approved",
        "approval_rate",
        "expected_bad_rate",
        "bad_rate",
        "marginal_bad_rate",
        "exposure",
        "expected_loss",
    ]
    rows = result["rows"]

    def column(k: str) -> np.ndarray:
        if k == "grade":
            return np.array([r[k] for r in rows], dtype=object)
        return np.array([np.nan if r[k] is None else r[k] for r in rows], dtype=np.float64)

    table = _frame({k: column(k) for k in keys}, as_frame)
    if policy is not None:
        spec = json.loads(policy)
        if out is not None:
            path = os.fspath(out)
            if os.path.exists(path) and not force:
                raise MicroscoreFileExistsError(f"{path}: already exists; pass force=True to replace it")
            with open(path, "w", encoding="utf-8") as f:
                f.write(policy)
        if hasattr(table, "attrs"):
            table.attrs["policy"] = spec
            table.attrs["chosen"] = result["chosen"]
    if hasattr(table, "attrs"):
        table.attrs["data"] = result["data"]
    return table


def read_table(
    path: str | os.PathLike[str],
    *,
    categorical: Sequence[str] | None = None,
    numeric: Sequence[str] | None = None,
    as_frame: bool | None = None,
    format: str | None = None,
    delimiter: str | None = None,
    decimal_comma: bool = False,
) -> Any:
    """Read a CSV, JSON Lines or Parquet file with the reader ``microscore train`` uses (the
    same type inference and missing-value tokens), as a DataFrame (categorical columns as pandas
    categoricals) or, without pandas, a dict of arrays (text columns as object arrays).

    Files are read by the rules every command shares: the format from the name (``.csv``,
    ``.tsv``, ``.jsonl``, ``.parquet``, text optionally ``.gz``), then the content, or
    ``format``; CSV by RFC 4180 (quoted line breaks included), its ``delimiter`` (``,`` ``;``
    ``|`` or ``tab``) detected from the header line unless given, numbers with a decimal comma
    (``1.234,5``) when ``decimal_comma``."""
    cols = _microscore.read_table(
        os.fspath(path),
        list(categorical or []),
        list(numeric or []),
        format,
        delimiter,
        decimal_comma,
    )
    pd = _pandas() if as_frame is not False else None
    if as_frame and pd is None:
        raise ImportError("as_frame=True needs pandas")
    data: dict[str, Any] = {}
    for name, payload in cols:
        if isinstance(payload, tuple):
            codes, levels = payload
            signed = np.where(codes == _microscore.MISSING_CODE, -1, codes.astype(np.int64))
            if pd is not None:
                data[name] = pd.Categorical.from_codes(signed, categories=levels)
            else:
                values = np.array(list(levels) + [None], dtype=object)
                data[name] = values[signed]
        else:
            data[name] = payload
    return pd.DataFrame(data) if pd is not None else data
