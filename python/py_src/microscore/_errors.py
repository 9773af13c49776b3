"""The exceptions microscore raises.

Every error is a :class:`MicroscoreError`. Where bad input is the cause the class is also a
:class:`ValueError`, and file errors are also the matching built-in :class:`OSError`
subclass, so ``except ValueError`` and ``except FileNotFoundError`` work as usual. Messages are
the Rust core's, naming the file, row, column and value at fault.
"""

from __future__ import annotations

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
]


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
