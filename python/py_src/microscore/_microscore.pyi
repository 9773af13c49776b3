"""Type stubs of the native module (checked against it by ``python -m mypy.stubtest``)."""

from collections.abc import Callable, Sequence
from os import PathLike
from typing import Any, Union, final

import numpy as np
import numpy.typing as npt

_Payload = Union[npt.NDArray[np.float64], tuple[npt.NDArray[np.uint32], list[str]]]
_Path = Union[str, PathLike[str]]

__all__ = [
    "MicroscoreError",
    "InputError",
    "ParameterError",
    "ModelFileError",
    "TrainingError",
    "MicroscoreOSError",
    "MicroscoreFileNotFoundError",
    "MicroscorePermissionError",
    "MicroscoreFileExistsError",
    "Model",
    "train",
    "read_table",
    "arrow_stream_columns",
    "score_file",
    "categories_from_numbers",
    "evaluate",
    "monitor",
    "strategy",
    "score_arrow",
    "train_partitioned",
    "flag_text",
    "auc",
    "PartialStats",
    "MAX_REASONS",
    "MISSING_CODE",
    "FLAG_NAMES",
    "DECISIONS",
    "RESULT_COLUMNS",
    "VERSION",
    "TRAIN_DEFAULTS",
]

# The exception hierarchy, created by the native module (python/src/errors.rs).
class MicroscoreError(Exception):
    """Base class of every microscore error."""

class InputError(MicroscoreError, ValueError):
    """The data cannot be used: a missing or wrongly typed column, ragged columns, a bad target
    or weight, a malformed file."""

class ParameterError(MicroscoreError, ValueError):
    """A setting is out of range, unknown, or inconsistent with another."""

class ModelFileError(MicroscoreError, ValueError):
    """A model file is not a valid scorecard: bad JSON, an unsupported version, an invalid
    field (named), or a checksum mismatch."""

class TrainingError(MicroscoreError, ValueError):
    """Training could not produce a model (no feature survived selection, the fit failed)."""

class MicroscoreOSError(MicroscoreError, OSError):
    """Reading or writing a file failed."""

class MicroscoreFileNotFoundError(MicroscoreOSError, FileNotFoundError):
    """A file does not exist."""

class MicroscorePermissionError(MicroscoreOSError, PermissionError):
    """A file cannot be read or written for lack of permission."""

class MicroscoreFileExistsError(MicroscoreOSError, FileExistsError):
    """An output file exists and ``force`` was not given."""

MAX_REASONS: int
MISSING_CODE: int
FLAG_NAMES: list[str]
DECISIONS: list[str]
#: The per-application results, in the order every output gives them.
RESULT_COLUMNS: list[str]
VERSION: str
#: The training settings' defaults (a JSON object, by their configuration names).
TRAIN_DEFAULTS: str

@final
class Model:
    """A loaded, validated scorecard (compiled for scoring). Immutable and thread-safe."""

    @staticmethod
    def from_json(text: str) -> Model: ...
    @staticmethod
    def load(path: _Path) -> Model: ...
    @staticmethod
    def default() -> Model: ...
    def to_json(self) -> str: ...
    def to_sql(self, dialect: str = ..., table: str = ..., reasons: int = ...) -> str: ...
    def to_pmml(self, reasons: int = ...) -> str: ...
    def statements(self, language: str = ...) -> list[str]: ...
    @property
    def languages(self) -> list[str]: ...
    def with_statements(self, text: str, source: str) -> Model: ...
    def notices(
        self,
        decision: Sequence[int],
        score: Sequence[float],
        reasons: Sequence[Sequence[int]],
        points: Sequence[Sequence[float]],
        ids: Sequence[str | None] | None,
        language: str = ...,
        date: str | None = ...,
    ) -> list[str | None]: ...
    def save(self, path: _Path) -> None: ...
    @property
    def checksum(self) -> str: ...
    @property
    def target(self) -> str: ...
    @property
    def id_column(self) -> str | None: ...
    @property
    def protected(self) -> list[str]: ...
    @property
    def features(self) -> list[str]: ...
    @property
    def reason_codes(self) -> list[str]: ...
    @property
    def bin_labels(self) -> list[list[str]]: ...
    @property
    def grades(self) -> list[str]: ...
    @property
    def input_columns(self) -> list[tuple[str, bool]]: ...
    @property
    def min_score(self) -> float: ...
    @property
    def max_score(self) -> float: ...
    def scorecard_json(self) -> str: ...
    def training_json(self) -> str: ...
    def training_notes_json(self) -> str: ...
    def needed_columns(self, decisions: bool = True) -> list[tuple[str, str]]: ...
    def policy_json(self) -> str: ...
    def policy_summary(self) -> list[str]: ...
    def with_policy(self, spec_json: str) -> Model: ...
    def score(
        self,
        columns: Sequence[tuple[str, _Payload]],
        n: int,
        outputs: Sequence[str],
        reasons: int = 0,
        missing_columns: str = "error",
        available: Sequence[str] | None = None,
    ) -> dict[str, npt.NDArray[np.generic]]: ...

def train(columns: Sequence[tuple[str, _Payload]], target: str, config: str = "{}") -> Model: ...
def categories_from_numbers(values: npt.NDArray[np.float64]) -> tuple[npt.NDArray[np.uint32], list[str]]: ...
def read_table(
    path: _Path,
    categorical: Sequence[str] = ...,
    numeric: Sequence[str] = ...,
    format: str | None = None,
    delimiter: str | None = None,
    decimal_comma: bool = False,
) -> list[tuple[str, _Payload]]: ...
def arrow_stream_columns(
    data: Any, only: Sequence[str] | None = None
) -> tuple[list[tuple[str, _Payload]], int]: ...
def score_file(
    model: Model,
    input: _Path,
    output: _Path,
    rejects: _Path | None = None,
    reasons: int = 4,
    keep: Sequence[str] = ...,
    strict: bool = False,
    force: bool = False,
    input_format: str | None = None,
    output_format: str | None = None,
    threads: int | None = None,
    missing_columns: str = "error",
    reason_text: str | None = None,
    adverse_action: _Path | None = None,
    notice_date: str | None = None,
    language: str = "en",
    delimiter: str | None = None,
    decimal_comma: bool = False,
) -> str: ...
def evaluate(
    model: Model,
    data: _Path,
    target: str | None = None,
    protected: Sequence[str] | None = None,
    html: _Path | None = None,
    markdown: _Path | None = None,
    format: str | None = None,
    delimiter: str | None = None,
    decimal_comma: bool = False,
) -> str: ...
def monitor(
    model: Model,
    baseline: _Path,
    current: _Path,
    target: str | None = None,
    html: _Path | None = None,
    markdown: _Path | None = None,
    format: str | None = None,
    delimiter: str | None = None,
    decimal_comma: bool = False,
) -> str: ...
def strategy(
    model: Model,
    data: _Path,
    target: str | None = None,
    step: float | None = None,
    approve_rate: float | None = None,
    max_bad_rate: float | None = None,
    refer_band: float | None = None,
    format: str | None = None,
    delimiter: str | None = None,
    decimal_comma: bool = False,
) -> tuple[str, str | None]: ...
def score_arrow(
    model: Model,
    data: bytes,
    keep: Sequence[str] = ...,
    reasons: int = 4,
    source: str = ...,
) -> bytes:
    """Score the record batches of an Arrow IPC stream: one output row per input row, scored or
    rejected (``reject_column``, ``reject_value``, ``reject_reason``), as an Arrow IPC stream.
    A stream without batches gives the output schema."""

def train_partitioned(
    target: str,
    columns: Sequence[tuple[str, str]],
    settings_json: str,
    run: Callable[[str], list[str]],
) -> Model:
    """Train on partitioned data: ``columns`` are ``(name, "numeric" | "categorical")``;
    ``run(request_json)`` returns every partition's partial (JSON), in partition order."""

def flag_text(bits: npt.NDArray[np.uint32]) -> list[str]:
    """The flags of each row as the output files write them (names joined by ``;``)."""

def auc(
    y: npt.NDArray[np.float64],
    risk: npt.NDArray[np.float64],
    weights: npt.NDArray[np.float64] | None = None,
) -> float:
    """Weighted AUC of ``risk`` against ``y`` (0 or 1), ties counted one half."""

@final
class PartialStats:
    """One partition's statistics for a training request: ``add`` Arrow IPC streams, then
    ``finish`` (once) gives the partial as JSON."""

    def __new__(cls, request: str) -> PartialStats: ...
    def add(self, data: bytes) -> None: ...
    def finish(self) -> str: ...
