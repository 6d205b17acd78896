"""The exception family of symrnn: SymRNNError for limits of the tool, FormulaError for bad formulas."""

from __future__ import annotations


class SymRNNError(Exception):
    """A limit of the tool was reached (size, time, missing optional backend)."""


class FormulaError(SymRNNError, ValueError):
    """A formula could not be read: malformed, unsupported or unsafe.

    Both a :class:`SymRNNError` (one family for everything symrnn raises on purpose) and a
    ``ValueError`` (the formula is bad input), so either ``except`` clause catches it.

    Attributes:
        position: zero-based character offset of the problem, or None.
    """

    def __init__(self, message: str, *, position: int | None = None) -> None:
        super().__init__(message if position is None else f"{message} (at position {position})")
        self.position = position
