"""Specifications of the recurrent models: frozen, validated configuration."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sympy

from .activations import ACTIVATIONS
from .cells import CELLS, Cell
from .losses import LOSSES
from .notation import NOTATIONS

PARAMETER_NAMES = ("W", "U", "V", "b", "c")


def _check_size(name: str, value: Any, low: int = 1) -> None:
    kind = "a positive integer" if low == 1 else f"an integer >= {low}"
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be {kind}, got {value!r}")
    if value < low:
        raise ValueError(f"{name} must be {kind} (>= {low}), got {value}")


@dataclass(frozen=True)
class RNNSpec:
    """A recurrent model: a cell (the notes' ``s_t = f(W x_t + U s_{t-1} + b)`` by default), ``ŷ_t = V s_t + c``.

    Attributes:
        z: sequence length (time steps t = 1..z).
        e: input size, ``x_t ∈ R^e``; 0 is the autonomous system ``s_t = f(U s_{t-1} + b)``.
        n: state size, ``s_t ∈ R^n``.
        m: output size, ``ŷ_t, y_t ∈ R^m``.
        activation: ``"tanh" | "sigmoid" | "relu" | "identity"`` or a one-argument ``sympy.Lambda``.
        loss: ``"sse"`` (½‖ŷ_t − y_t‖²) or ``"ce"`` (softmax cross-entropy against a probability vector).
        bias: whether the biases ``b`` and ``c`` exist.
        notation: ``"notes"`` (s, W, U, V) or ``"d2l"`` (h, W_xh, W_hh, W_hy).
        initial_state_parameter: also differentiate with respect to ``s_0``.
        cell: ``"rnn"``, ``"lstm"``, ``"gru"`` (PyTorch's equations and stacking) or a
            :class:`symrnn.cells.Cell` of your own.
        truncation: truncated BPTT: drop every (t, k) term with t − k ≥ truncation (None: full BPTT).
    """

    z: int = 2
    e: int = 2
    n: int = 2
    m: int = 1
    activation: str | sympy.Lambda = "tanh"
    loss: str = "sse"
    bias: bool = True
    notation: str = "notes"
    initial_state_parameter: bool = False
    cell: str | Cell = "rnn"
    truncation: int | None = None

    def __post_init__(self) -> None:
        for name in ("z", "n", "m"):
            _check_size(name, getattr(self, name))
        _check_size("e", self.e, low=0)
        if isinstance(self.cell, str):
            if self.cell not in CELLS:
                raise ValueError(f"unknown cell {self.cell!r}; choose one of {', '.join(CELLS)} or a Cell")
        elif not isinstance(self.cell, Cell):
            raise TypeError(
                f"cell must be a name ({', '.join(CELLS)}) or a symrnn.cells.Cell, got {self.cell!r}"
            )
        if self.truncation is not None:
            _check_size("truncation", self.truncation)
        if isinstance(self.activation, sympy.Lambda):
            if len(self.activation.variables) != 1:
                raise ValueError("activation Lambda must take exactly one argument, e.g. Lambda(x, x**3)")
            if self.activation.expr.free_symbols - set(self.activation.variables):
                raise ValueError("activation Lambda may not contain free symbols other than its argument")
        elif not isinstance(self.activation, str) or self.activation not in ACTIVATIONS:
            raise ValueError(
                f"unknown activation {self.activation!r}; choose one of {', '.join(ACTIVATIONS)} or a sympy.Lambda"
            )
        if not isinstance(self.loss, str) or self.loss not in LOSSES:
            raise ValueError(f"unknown loss {self.loss!r}; choose one of {', '.join(LOSSES)}")
        if not isinstance(self.bias, bool):
            raise TypeError(f"bias must be True or False, got {self.bias!r}")
        if not isinstance(self.notation, str) or self.notation not in NOTATIONS:
            raise ValueError(f"unknown notation {self.notation!r}; choose one of {', '.join(NOTATIONS)}")
        if not isinstance(self.initial_state_parameter, bool):
            raise TypeError("initial_state_parameter must be True or False")
        if not (isinstance(self.activation, str) and self.activation == "tanh") and not _uses_activation(
            self.cell_definition
        ):
            raise ValueError(
                f"the {self.cell_name} cell has fixed activations (sigmoid and tanh, as in PyTorch); "
                "an activation applies only to cells that use f"
            )

    @property
    def cell_definition(self) -> Cell:
        """The cell's equations."""
        return CELLS[self.cell] if isinstance(self.cell, str) else self.cell

    @property
    def cell_name(self) -> str:
        """``"rnn"``, ``"lstm"``, ``"gru"`` or a user cell's name."""
        return self.cell_definition.name

    @property
    def state_names(self) -> tuple[str, ...]:
        """The recurrent states: ("s",) for the vanilla cell, ("h", "c") for the LSTM, ("h",) for the GRU."""
        return self.cell_definition.states

    @property
    def state_size(self) -> int:
        """Entries of the whole state (every state has n entries)."""
        return self.n * len(self.state_names)

    def cell_parameter_present(self, name: str) -> bool:
        """Whether a cell parameter exists for these sizes (bias off drops biases; e = 0 drops input weights)."""
        parameter = self.cell_definition.parameter(name)
        if parameter.bias and not self.bias:
            return False
        return all(dim.value(self.e, self.n) > 0 for dim in parameter.dims())

    @property
    def parameter_names(self) -> tuple[str, ...]:
        """Names of the differentiated parameters, in the fixed argument order."""
        cell = self.cell_definition
        present = [p for p in cell.parameters if self.cell_parameter_present(p.name)]
        names = [p.name for p in present if not p.bias] + ["V"] + [p.name for p in present if p.bias]
        names += ["c"] if self.bias else []
        return tuple(names) + (("s0",) if self.initial_state_parameter else ())

    @property
    def shapes(self) -> dict[str, tuple[int, ...]]:
        """Shapes of parameters and per-sequence data: W (n,e), U (n,n), V (m,n), b (n,), c (m,) for the notes' cell."""
        e, n, m, z = self.e, self.n, self.m, self.z
        shapes = {p.name: tuple(d.value(e, n) for d in p.dims()) for p in self.cell_definition.parameters}
        return {**shapes, "V": (m, n), "c": (m,), "s0": (self.state_size,), "xs": (z, e), "ys": (z, m)}

    @property
    def activation_name(self) -> str:
        """The activation's table name, or ``"custom"`` for a user Lambda."""
        return self.activation if isinstance(self.activation, str) else "custom"

    def replace(self, **changes: Any) -> RNNSpec:
        """A copy with some fields changed (validated again)."""
        from dataclasses import replace

        return replace(self, **changes)


def _uses_activation(cell: Cell) -> bool:
    from .cells.expression import Elementwise, children

    def walk(node) -> bool:
        return (isinstance(node, Elementwise) and node.function == "f") or any(
            walk(c) for c in children(node)
        )

    return any(walk(equation.expression) for equation in cell.equations)
