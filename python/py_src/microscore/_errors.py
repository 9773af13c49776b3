"""The exceptions microscore raises.

Every error is a :class:`MicroscoreError`. Where bad input is the cause the class is also a
:class:`ValueError`, and file errors are also the matching built-in :class:`OSError`
subclass, so ``except ValueError`` and ``except FileNotFoundError`` work as usual. Messages are
the Rust core's, naming the file, row, column and value at fault.

The classes are created by the native module (``python/src/errors.rs``), which raises them;
this module only gives them their public home.
"""

from __future__ import annotations

from ._microscore import (
    MicroscoreError,
    InputError,
    ParameterError,
    ModelFileError,
    TrainingError,
    MicroscoreOSError,
    MicroscoreFileNotFoundError,
    MicroscorePermissionError,
    MicroscoreFileExistsError,
)

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
