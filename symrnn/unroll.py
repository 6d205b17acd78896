"""The unrolled RNN as a straight-line program of named intermediates."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator

import sympy

from .activations import Activation, activation_rule
from .cells.rnn import rnn_output, rnn_preactivation, rnn_state
from .losses import Loss, loss_rule
from .notation import symbol_name
from .spec import RNNSpec


def _vector(role: str, length: int, *time: int) -> sympy.Matrix:
    return sympy.Matrix([sympy.Symbol(symbol_name(role, *time, i), real=True) for i in range(length)])


def _matrix(role: str, rows: int, columns: int) -> sympy.Matrix:
    return sympy.Matrix([[sympy.Symbol(symbol_name(role, i, j), real=True) for j in range(columns)] for i in range(rows)])


@dataclass(frozen=True)
class Step:
    """One named intermediate: ``symbols := expression`` (both column matrices), e.g. role "u" at time t."""

    role: str
    t: int
    symbols: sympy.Matrix
    expression: sympy.Matrix


@dataclass(frozen=True, eq=False)
class Graph:
    """The unrolled program ``u_t, s_t, ŷ_t, J_t`` for t = 1..z, plus ``J = Σ_t J_t``.

    Every intermediate is a vector of symbols with a defining expression in earlier symbols, so the
    program's size grows linearly in z. ``substituted`` nests the definitions on request.

    Attributes:
        spec: the model.
        parameters: ``{"W": (n,e), "U": (n,n), "V": (m,n), "b": (n,1), "c": (m,1)}`` symbol matrices
            (b, c only with bias).
        xs, ys: per-step input and target symbol columns, index t-1 for time t.
        s0: initial-state symbols (n,1).
        steps: the program in evaluation order.
        J: the total loss as a sum of the ``J_t`` symbols.
    """

    spec: RNNSpec
    activation: Activation
    loss: Loss
    parameters: dict[str, sympy.Matrix]
    xs: tuple[sympy.Matrix, ...]
    ys: tuple[sympy.Matrix, ...]
    s0: sympy.Matrix
    steps: tuple[Step, ...]
    J: sympy.Expr
    _index: dict = field(default_factory=dict, repr=False)
    _nested: dict = field(default_factory=dict, repr=False)

    def symbols(self, role: str, t: int | None = None) -> sympy.Matrix:
        """The symbol column of ``role`` at time ``t``: roles u, s, yhat, J (t = 1..z; s also at t = 0),
        x, y (t = 1..z), or a parameter name W, U, V, b, c (t None)."""
        if role in self.parameters and t is None:
            return self.parameters[role]
        if role == "s" and t == 0:
            return self.s0
        if role == "x" and isinstance(t, int) and 1 <= t <= self.spec.z:
            return self.xs[t - 1]
        if role == "y" and isinstance(t, int) and 1 <= t <= self.spec.z:
            return self.ys[t - 1]
        try:
            return self._index[(role, t)].symbols
        except KeyError:
            raise ValueError(f"the graph has no quantity {role!r} at t={t!r} (z = {self.spec.z})") from None

    def step(self, role: str, t: int) -> Step:
        """The named intermediate of ``role`` at time ``t``."""
        try:
            return self._index[(role, t)]
        except KeyError:
            raise ValueError(f"the graph has no intermediate {role!r} at t={t!r}") from None

    @property
    def definitions(self) -> dict[sympy.Symbol, sympy.Expr]:
        """Every intermediate symbol and its defining expression, in evaluation order."""
        return {sym: expr for step in self.steps for sym, expr in zip(step.symbols, step.expression)}

    @property
    def inputs(self) -> tuple[sympy.Symbol, ...]:
        """All leaf symbols in the fixed argument order: parameters, s0, xs, ys."""
        leaves: list[sympy.Symbol] = []
        for matrix in (*self.parameters.values(), self.s0, *self.xs, *self.ys):
            leaves.extend(matrix)
        return tuple(leaves)

    def __iter__(self) -> Iterator[Step]:
        return iter(self.steps)

    def substituted(self, expression: sympy.Expr | sympy.Matrix) -> sympy.Expr | sympy.Matrix:
        """``expression`` with every intermediate replaced by its nested definition (small cases only).

        The nested tree grows like n**z; subtrees are shared in memory but any traversal sees the tree.
        """
        return expression.xreplace(self.nested_definitions())

    def nested_definitions(self) -> dict[sympy.Symbol, sympy.Expr]:
        """Each intermediate symbol mapped to its definition in leaf symbols only (built bottom-up)."""
        if not self._nested:
            for sym, expr in self.definitions.items():
                # Definitions refer only to earlier symbols, so one small xreplace per entry suffices.
                self._nested[sym] = expr.xreplace(self._nested)
        return self._nested


def unroll(spec: RNNSpec, *, numeric: bool = False) -> Graph:
    """Build the named-intermediate program of ``spec``: one step per intermediate, size linear in z.

    Args:
        spec: the model and its sizes.
        numeric: write the loss in its overflow-free form (same function; for compiled code).

    Returns:
        The :class:`Graph`; its size grows linearly in ``spec.z``.
    """
    activation, loss = activation_rule(spec.activation), loss_rule(spec.loss, numeric=numeric)
    e, n, m, z = spec.e, spec.n, spec.m, spec.z
    parameters = {"W": _matrix("W", n, e), "U": _matrix("U", n, n), "V": _matrix("V", m, n)}
    if spec.bias:
        parameters["b"] = _vector("b", n)
        parameters["c"] = _vector("c", m)
    s0 = _vector("s", n, 0)
    xs = tuple(_vector("x", e, t) for t in range(1, z + 1))
    ys = tuple(_vector("y", m, t) for t in range(1, z + 1))
    steps: list[Step] = []
    s_prev = s0
    for t in range(1, z + 1):
        u_t, s_t, yhat_t = _vector("u", n, t), _vector("s", n, t), _vector("yhat", m, t)
        J_t = sympy.Matrix([sympy.Symbol(symbol_name("J", t), real=True)])
        steps += [
            Step("u", t, u_t, rnn_preactivation(s_prev, xs[t - 1], parameters)),
            Step("s", t, s_t, rnn_state(u_t, activation)),
            Step("yhat", t, yhat_t, rnn_output(s_t, parameters)),
            Step("J", t, J_t, sympy.Matrix([loss.value(list(yhat_t), list(ys[t - 1]))])),
        ]
        s_prev = s_t
    J = sympy.Add(*[step.symbols[0] for step in steps if step.role == "J"])
    index = {(step.role, step.t): step for step in steps}
    return Graph(spec, activation, loss, parameters, xs, ys, s0, tuple(steps), J, index)
