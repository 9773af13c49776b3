"""Turning user data (pandas, pyarrow, any frame with the Arrow PyCapsule interface such as
polars or DuckDB, dicts of arrays, 2-D NumPy arrays) into the columns the native module takes: a contiguous float64 array per numeric column (passed without copying when
it already is one) or ``(uint32 codes, [levels])`` per categorical column.

No scoring logic lives here: which column is which feature, how a category is binned, what a
missing value means, all happen in the Rust core.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any, Union

import numpy as np

from . import _microscore
from ._errors import InputError

Payload = Union[np.ndarray, tuple[np.ndarray, list[str]]]
Columns = list[tuple[str, Payload]]

MISSING_CODE = np.uint32(_microscore.MISSING_CODE)


def _is_pandas_frame(x: Any) -> bool:
    return type(x).__module__.startswith("pandas") and hasattr(x, "columns") and hasattr(x, "dtypes")


def _is_arrow_table(x: Any) -> bool:
    return type(x).__module__.startswith("pyarrow") and hasattr(x, "column_names")


def _is_arrow_stream(x: Any) -> bool:
    """A frame that exports the Arrow C stream interface (polars, DuckDB, ...), read natively."""
    return hasattr(type(x), "__arrow_c_stream__") and not isinstance(x, (Mapping, np.ndarray))


def _is_missing(v: Any) -> bool:
    if v is None:
        return True
    if isinstance(v, float) and v != v:
        return True
    # pandas.NA and pandas.NaT, without importing pandas.
    return type(v).__name__ in ("NAType", "NaTType")


def _codes(codes: np.ndarray) -> np.ndarray:
    """Integer codes with negatives for missing, as uint32 with MISSING_CODE."""
    codes = np.asarray(codes)
    out = codes.astype(np.uint32)
    out[codes < 0] = MISSING_CODE
    return out


def _factorize_objects(name: str, values: Sequence[Any] | np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Categories of an object array: each distinct text is a level; None/NaN/pd.NA missing."""
    index: dict[str, int] = {}
    levels: list[str] = []
    codes = np.empty(len(values), dtype=np.uint32)
    for i, v in enumerate(values):
        if _is_missing(v):
            codes[i] = MISSING_CODE
            continue
        if isinstance(v, bytes):
            try:
                v = v.decode("utf-8")
            except UnicodeDecodeError:
                raise InputError(f"column '{name}', row {i + 1}: value {v!r} is not valid UTF-8") from None
        if isinstance(v, (float, np.floating)):
            text = _number_levels(np.array([float(v)]))[0]
        elif isinstance(v, (bool, np.bool_)):
            text = "true" if v else "false"
        elif isinstance(v, (int, np.integer)):
            text = str(int(v))
        else:
            text = str(v)
        code = index.get(text)
        if code is None:
            code = index[text] = len(levels)
            levels.append(text)
        codes[i] = code
    return codes, levels


def _number_levels(values: np.ndarray) -> list[str]:
    """The text a file would hold for each number (3.0 -> "3"), from the Rust formatter."""
    _, levels = _microscore.categories_from_numbers(np.ascontiguousarray(values, dtype=np.float64))
    return levels


def _numeric_or_text(name: str, values: np.ndarray) -> Payload:
    """An object array: numbers (None/NaN missing; Decimal included) when every present value is
    a number, otherwise categories. Complex numbers are an error (no part of one is dropped)."""
    for i, v in enumerate(values):
        if isinstance(v, (complex, np.complexfloating)):
            raise InputError(f"column '{name}', row {i + 1}: value {v!r} is a complex number; give real numbers")
    if all(
        _is_missing(v)
        or (isinstance(v, (int, float, Decimal, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_)))
        for v in values
    ):
        return np.array([np.nan if _is_missing(v) else float(v) for v in values], dtype=np.float64)
    return _factorize_objects(name, values)


def _from_numpy(name: str, values: Any) -> Payload:
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise InputError(f"column '{name}': expected a 1-D array, got shape {arr.shape}")
    kind = arr.dtype.kind
    if kind == "c":
        raise InputError(f"column '{name}': dtype {arr.dtype} holds complex numbers; give real numbers")
    if kind == "f":
        return np.ascontiguousarray(arr, dtype=np.float64)
    if kind in "iub":
        return arr.astype(np.float64)
    if kind in "US":
        return _factorize_objects(name, arr.tolist())
    if kind == "O":
        return _numeric_or_text(name, arr)
    raise InputError(
        f"column '{name}': dtype {arr.dtype} is not supported (use numbers, strings or categories)"
    )


def _from_pandas_series(name: str, s: Any) -> Payload:
    import pandas as pd

    dtype = s.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        cats = dtype.categories
        if cats.dtype.kind in "iuf":
            levels = _number_levels(np.asarray(cats, dtype=np.float64))
        else:
            levels = [str(c) for c in cats]
        return _codes(s.cat.codes.to_numpy()), levels
    if isinstance(dtype, np.dtype) and dtype.kind in "fiubc":
        return _from_numpy(name, s.to_numpy())
    if pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_numeric_dtype(dtype):
        # Nullable extension types (Int64, Float64, boolean): pd.NA becomes NaN.
        return np.asarray(s.to_numpy(dtype=np.float64, na_value=np.nan), dtype=np.float64)
    if pd.api.types.is_string_dtype(dtype) or dtype == object:
        inferred = pd.api.types.infer_dtype(s, skipna=True)
        if inferred in ("floating", "integer", "mixed-integer-float", "decimal", "complex", "empty"):
            return _numeric_or_text(name, s.to_numpy(dtype=object))
        codes, uniques = pd.factorize(s, use_na_sentinel=True)
        if inferred == "string":
            levels = [str(u) for u in uniques]
        else:
            _, levels = _factorize_objects(name, list(uniques))
            if len(levels) != len(uniques):
                return _factorize_objects(name, s.to_numpy(dtype=object))
        return _codes(codes), levels
    raise InputError(
        f"column '{name}': dtype {dtype} is not supported (use numbers, strings or categories)"
    )


def _from_arrow_column(name: str, col: Any) -> Payload:
    import pyarrow as pa
    import pyarrow.compute as pc

    t = col.type
    if pa.types.is_dictionary(t) or pa.types.is_string(t) or pa.types.is_large_string(t):
        if not pa.types.is_dictionary(t):
            col = pc.dictionary_encode(col)
        # One dictionary array (combining chunks unifies their dictionaries).
        arr = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
        if arr.dictionary.type.id in (pa.float64().id, pa.int64().id, pa.int32().id):
            levels = _number_levels(arr.dictionary.to_numpy(zero_copy_only=False).astype(np.float64))
        else:
            levels = [str(v) for v in arr.dictionary.to_pylist()]
        codes = pc.fill_null(arr.indices, -1).to_numpy(zero_copy_only=False)
        return _codes(np.asarray(codes, dtype=np.int64)), levels
    if pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_boolean(t) or pa.types.is_decimal(t):
        as_float = pc.cast(col, pa.float64())
        return np.ascontiguousarray(as_float.to_numpy(zero_copy_only=False), dtype=np.float64)
    if pa.types.is_null(t):
        return np.full(len(col), np.nan)
    raise InputError(
        f"column '{name}': Arrow type {t} is not supported (use numbers, strings or dictionaries)"
    )


def to_columns(
    X: Any, feature_names: Sequence[str] | None = None, only: Container[str] | None = None
) -> tuple[Columns, int]:
    """The named columns of ``X`` and its number of rows; with ``only``, just those columns
    (the others are neither converted nor checked)."""

    def wanted(name: str) -> bool:
        return only is None or name in only

    if _is_pandas_frame(X):
        names = [str(c) for c in X.columns]
        if len(set(names)) != len(names):
            raise InputError("the DataFrame has duplicate column names")
        cols = [(n, _from_pandas_series(n, X.iloc[:, j])) for j, n in enumerate(names) if wanted(n)]
        return cols, len(X)
    if _is_arrow_table(X):
        cols = [
            (str(n), _from_arrow_column(str(n), X.column(j)))
            for j, n in enumerate(X.column_names)
            if wanted(str(n))
        ]
        return cols, X.num_rows
    if _is_arrow_stream(X):
        # The Arrow PyCapsule interface: read in Rust, no pandas or pyarrow round trip.
        every = column_names(X)
        subset = None if only is None or every is None else [c for c in every if wanted(c)]
        streamed, rows = _microscore.arrow_stream_columns(X, subset)
        return [(str(c), p) for c, p in streamed if wanted(str(c))], rows
    if isinstance(X, Mapping):
        cols = []
        lengths = [len(v) for v in X.values() if hasattr(v, "__len__")]
        for name, values in X.items():
            if not wanted(str(name)):
                continue
            if type(values).__module__.startswith("pandas"):
                cols.append((str(name), _from_pandas_series(str(name), values)))
            else:
                cols.append((str(name), _from_numpy(str(name), values)))
        n = _length(cols[0][1]) if cols else (lengths[0] if lengths else 0)
        return cols, n
    if isinstance(X, np.ndarray) or (isinstance(X, Iterable) and not isinstance(X, (str, bytes))):
        arr = np.asarray(X)
        if arr.ndim != 2:
            raise InputError(
                f"expected a DataFrame, a pyarrow Table, a dict of arrays or a 2-D array; got an array of shape {arr.shape}"
            )
        if feature_names is None:
            raise InputError(
                "a 2-D array has no column names: pass feature_names (one per column), or use a DataFrame or a dict"
            )
        names = [str(n) for n in feature_names]
        if len(names) != arr.shape[1]:
            raise InputError(f"{len(names)} feature names given for an array of {arr.shape[1]} columns")
        if arr.dtype.kind in "fiub":
            # One transposing copy makes every column contiguous.
            t = np.ascontiguousarray(arr.T, dtype=np.float64)
            return [(n, t[j]) for j, n in enumerate(names) if wanted(n)], arr.shape[0]
        return [(n, _from_numpy(n, arr[:, j])) for j, n in enumerate(names) if wanted(n)], arr.shape[0]
    raise InputError(
        f"expected a DataFrame (pandas, polars or any with __arrow_c_stream__), a pyarrow Table, a dict of arrays or a 2-D array; got {type(X).__name__}"
    )


def column_names(X: Any, feature_names: Sequence[str] | None = None) -> list[str] | None:
    """The names of every column of ``X`` (for "did you mean" in errors), or None when they
    cannot be told without converting it."""
    if _is_pandas_frame(X):
        return [str(c) for c in X.columns]
    if _is_arrow_table(X):
        return [str(c) for c in X.column_names]
    if isinstance(X, Mapping):
        return [str(k) for k in X.keys()]
    if _is_arrow_stream(X) and hasattr(X, "columns"):
        return [str(c) for c in X.columns]
    if feature_names is not None:
        return [str(n) for n in feature_names]
    return None


def _length(payload: Payload) -> int:
    if isinstance(payload, tuple):
        return len(payload[0])
    return len(payload)


def force_categorical(cols: Columns, names: Iterable[str]) -> Columns:
    """Numeric columns listed in ``names`` as categories (their numbers' text as levels)."""
    wanted = set(names)
    out: Columns = []
    for name, payload in cols:
        if name in wanted and not isinstance(payload, tuple):
            codes, levels = _microscore.categories_from_numbers(payload)
            out.append((name, (codes, levels)))
        else:
            out.append((name, payload))
    return out


def target_array(y: Any, n: int, what: str = "y") -> np.ndarray:
    """The target (or weights) as float64: booleans and 0/1 numbers; NaN is left for the core to
    reject with the row number."""
    if type(y).__module__.startswith("pandas"):
        import pandas as pd

        numeric = pd.api.types.is_numeric_dtype(y.dtype) or pd.api.types.is_bool_dtype(y.dtype)
        y = y.to_numpy(dtype=np.float64, na_value=np.nan) if numeric else y.to_numpy()
    arr = np.asarray(y)
    if arr.ndim != 1:
        raise InputError(f"{what} must be 1-D, got shape {arr.shape}")
    if len(arr) != n:
        raise InputError(f"{what} has {len(arr)} values, but X has {n} rows")
    if arr.dtype.kind in "fiub":
        return np.ascontiguousarray(arr, dtype=np.float64)
    if arr.dtype.kind == "O":
        out = np.empty(n, dtype=np.float64)
        for i, v in enumerate(arr):
            if _is_missing(v):
                out[i] = np.nan
            elif isinstance(v, (int, float, np.integer, np.floating, bool, np.bool_)):
                out[i] = float(v)
            else:
                raise InputError(f"{what}, row {i + 1}: value {v!r} is not 0 or 1")
        return out
    raise InputError(f"{what} must hold 0/1 numbers or booleans, got dtype {arr.dtype}")
