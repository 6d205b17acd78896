"""Notation profiles: the LaTeX names of every quantity, and the internal symbol names."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType


@dataclass(frozen=True)
class Notation:
    """How one text writes the RNN: LaTeX for each role (state, weights, loss, ...)."""

    name: str
    latex: Mapping[str, str] = field(default_factory=dict)

    def __getitem__(self, role: str) -> str:
        return self.latex[role]


_NOTES = {
    "x": "x",
    "y": "y",
    "yhat": r"\hat{y}",
    "s": "s",
    "u": "u",
    "J": "J",
    "delta": r"\delta",
    "W": "W",
    "U": "U",
    "V": "V",
    "b": "b",
    "c": "c",
    "s0": "s_0",
    "f": "f",
}
_D2L = dict(_NOTES, s="h", W="W_{xh}", U="W_{hh}", V="W_{hy}", b="b_h", c="b_y", s0="h_0", J="L")
# Goodfellow et al. §10.2: a_t = b + W h_{t-1} + U x_t, h_t = tanh(a_t), o_t = c + V h_t (W and U swap roles).
_GOODFELLOW = dict(_NOTES, s="h", u="a", yhat="o", W="U", U="W", s0="h_0", J="L")

NOTATIONS: Mapping[str, Notation] = MappingProxyType(
    {
        "notes": Notation("notes", MappingProxyType(_NOTES)),
        "d2l": Notation("d2l", MappingProxyType(_D2L)),
        "goodfellow": Notation("goodfellow", MappingProxyType(_GOODFELLOW)),
    }
)

# Internal symbol names are made only here, from roles and integers: never from unchecked user text.
# The notes' roles are listed; a cell's equation and parameter names pass the same identifier rule
# (letters, digits, inner underscores before a letter), so a name can never carry code into lambdify.
ROLES = ("W", "U", "V", "b", "c", "x", "y", "s", "u", "yhat", "J", "delta")
_ROLE = re.compile(r"^(?=.{1,24}$)[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z][A-Za-z0-9]*)*$")
_NAME = re.compile(r"^([A-Za-z][A-Za-z0-9]*(?:_[A-Za-z][A-Za-z0-9]*)*)((?:_\d+)*)$")


def symbol_name(role: str, *indices: int) -> str:
    """The identifier of one scalar symbol, e.g. ``symbol_name("s", 2, 0) == "s_2_0"`` (time first)."""
    if not isinstance(role, str) or not _ROLE.match(role):
        raise ValueError(f"unknown role {role!r}")
    if not all(isinstance(i, int) and not isinstance(i, bool) and i >= 0 for i in indices):
        raise ValueError("symbol indices must be non-negative integers")
    return "_".join([role, *map(str, indices)])


def parse_symbol_name(name: str) -> tuple[str, tuple[int, ...]] | None:
    """Inverse of :func:`symbol_name`; None for names symrnn did not make."""
    match = _NAME.match(name)
    if match is None:
        return None
    indices = tuple(int(i) for i in match.group(2).split("_")[1:])
    return match.group(1), indices


TIME_ROLES = frozenset({"x", "y", "s", "u", "yhat", "J", "delta"})
