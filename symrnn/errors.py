"""The exception family of symrnn."""
from __future__ import annotations


class SymRNNError(Exception):
    """A limit of the tool was reached (size, time, missing optional backend)."""


class FormulaError(ValueError):
    """A formula could not be read: malformed, unsupported or unsafe.

    Attributes:
        position: zero-based character offset of the problem, or None.
    """

    def __init__(self, message: str, *, position: int | None = None) -> None:
        super().__init__(message if position is None else f"{message} (at position {position})")
        self.position = position
