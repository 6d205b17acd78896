"""Recurrent cells as data: the expression language, the built-in cells and the way to define new ones."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from .cell import Cell, Definition, Dim, Parameter, make_cell
from .expression import Name, Tensor, apply, f, names, sigmoid, tanh
from .gru import GRU
from .lstm import LSTM
from .rnn import RNN

CELLS: Mapping[str, Cell] = MappingProxyType({"rnn": RNN, "lstm": LSTM, "gru": GRU})

__all__ = [
    "CELLS",
    "GRU",
    "LSTM",
    "RNN",
    "Cell",
    "Definition",
    "Dim",
    "Name",
    "Parameter",
    "Tensor",
    "apply",
    "f",
    "make_cell",
    "names",
    "sigmoid",
    "tanh",
]
