"""The unrolled network as a straight-line program of named intermediates, built from the cell's equations."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import sympy

from .activations import ACTIVATIONS, Activation, activation_rule
from .algebra import matvec
from .cells.expression import Block, Constant, Elementwise, Hadamard, MatVec, Name, Scale, Tensor, TensorSum
from .losses import Loss, loss_rule
from .notation import symbol_name
from .spec import RNNSpec

# Entry-level values: a vector is a list of SymPy expressions, a matrix a sympy.Matrix.
Value = "list[sympy.Expr] | sympy.Matrix"


def _vector(role: str, length: int, *time: int) -> sympy.Matrix:
    return sympy.Matrix(
        length, 1, [sympy.Symbol(symbol_name(role, *time, i), real=True) for i in range(length)]
    )


def _matrix(role: str, rows: int, columns: int) -> sympy.Matrix:
    return sympy.Matrix(
        rows,
        columns,
        [sympy.Symbol(symbol_name(role, i, j), real=True) for i in range(rows) for j in range(columns)],
    )


@dataclass(frozen=True)
class Step:
    """One named intermediate: ``symbols := expression`` (column matrices), e.g. role "u" at time t.

    ``rule`` and ``argument`` are set when the definition is an element-wise function of the activation
    table applied to ``argument`` (so its derivative can be written through the output, ``1 − s²``).
    """

    role: str
    t: int
    symbols: sympy.Matrix
    expression: sympy.Matrix
    rule: Activation | None = None
    argument: tuple = ()


@dataclass(frozen=True, eq=False)
class Graph:
    """The unrolled program: the cell's equations for t = 1..z, ``ŷ_t``, ``J_t``, and ``J = Σ_t J_t``.

    Every intermediate is a vector of symbols with a defining expression in earlier symbols, so the
    program's size grows linearly in z. ``substituted`` nests the definitions on request.

    Attributes:
        spec: the model.
        parameters: every parameter's symbols (vectors as columns), in ``spec.parameter_names`` order.
        xs, ys: per-step input and target symbol columns, index t-1 for time t.
        s0: the initial value of the first state (all states: ``initial_states``).
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
    initial_states: dict[str, sympy.Matrix] = field(default_factory=dict)
    _index: dict = field(default_factory=dict, repr=False)
    _nested: dict = field(default_factory=dict, repr=False)
    _cache: dict = field(default_factory=dict, repr=False)

    def __repr__(self) -> str:
        spec = self.spec
        return (
            f"Graph(cell={spec.cell_name!r}, z={spec.z}, e={spec.e}, n={spec.n}, m={spec.m}: "
            f"{len(self.steps)} named intermediates)"
        )

    def _repr_latex_(self) -> str:
        from .display import graph_latex

        return graph_latex(self)

    def _repr_markdown_(self) -> str:
        from .display import graph_markdown

        return graph_markdown(self)

    @property
    def roles(self) -> tuple[str, ...]:
        """The roles of the program's intermediates (the cell's equations, then yhat and J)."""
        return (*(eq.name for eq in self.spec.cell_definition.equations), "yhat", "J")

    def symbols(self, role: str, t: int | None = None) -> sympy.Matrix:
        """The symbol column of ``role`` at time ``t``: an equation of the cell, yhat, J (t = 1..z; states
        also at t = 0), x, y (t = 1..z), or a parameter name (t None)."""
        if role in self.parameters and t is None:
            return self.parameters[role]
        if role in self.initial_states and t == 0:
            return self.initial_states[role]
        if role == "x" and isinstance(t, int) and 1 <= t <= self.spec.z:
            return self.xs[t - 1]
        if role == "y" and isinstance(t, int) and 1 <= t <= self.spec.z:
            return self.ys[t - 1]
        try:
            return self._index[(role, t)].symbols
        except (KeyError, TypeError):
            raise ValueError(f"the graph has no quantity {role!r} at t={t!r} (z = {self.spec.z})") from None

    def step(self, role: str, t: int) -> Step:
        """The named intermediate of ``role`` at time ``t``."""
        try:
            return self._index[(role, t)]
        except (KeyError, TypeError):
            raise ValueError(f"the graph has no intermediate {role!r} at t={t!r}") from None

    @property
    def definitions(self) -> dict[sympy.Symbol, sympy.Expr]:
        """Every intermediate symbol and its defining expression, in evaluation order."""
        return {sym: expr for step in self.steps for sym, expr in zip(step.symbols, step.expression)}

    @property
    def inputs(self) -> tuple[sympy.Symbol, ...]:
        """All leaf symbols in the fixed argument order: parameters, initial states, xs, ys."""
        leaves: list[sympy.Symbol] = []
        matrices = [self.parameters[name] for name in self.parameters]
        for matrix in (*matrices, *self.initial_states.values(), *self.xs, *self.ys):
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


def evaluate(node: Tensor, values: dict[str, Value], activation: Activation) -> Value:
    """The entry-level value of a cell expression (vectors as lists of SymPy expressions)."""
    if isinstance(node, Name):
        return values[node.name]
    if isinstance(node, Constant):
        return sympy.Rational(node.value)
    if isinstance(node, Scale):
        return [sympy.Rational(node.factor) * v for v in evaluate(node.operand, values, activation)]
    if isinstance(node, Elementwise):
        rule = activation if node.function == "f" else ACTIVATIONS[node.function]
        return [rule.function(v) for v in evaluate(node.operand, values, activation)]
    if isinstance(node, TensorSum):
        parts = [evaluate(term, values, activation) for term in node.terms]
        length = next(len(p) for p in parts if isinstance(p, list))
        return [sympy.Add(*[p[i] if isinstance(p, list) else p for p in parts]) for i in range(length)]
    if isinstance(node, Hadamard):
        left, right = evaluate(node.left, values, activation), evaluate(node.right, values, activation)
        if not isinstance(left, list):
            return [left * r for r in right]
        return [a * b for a, b in zip(left, right if isinstance(right, list) else [right] * len(left))]
    if isinstance(node, MatVec):
        matrix, vector = evaluate(node.matrix, values, activation), evaluate(node.vector, values, activation)
        return list(matvec(matrix, sympy.Matrix(len(vector), 1, vector)))
    if isinstance(node, Block):
        operand = evaluate(node.operand, values, activation)
        rows = (len(operand) if isinstance(operand, list) else operand.rows) // node.count
        start, stop = node.index * rows, (node.index + 1) * rows
        return operand[start:stop] if isinstance(operand, list) else operand[start:stop, :]
    raise TypeError(f"unknown expression node {type(node).__name__}")


def unroll(spec: RNNSpec, *, numeric: bool = False) -> Graph:
    """Build the named-intermediate program of ``spec`` from its cell's equations.

    Args:
        spec: the model and its sizes.
        numeric: write the loss in its overflow-free form (same function; for compiled code).

    Returns:
        The :class:`Graph`; its size grows linearly in ``spec.z``.
    """
    cell, activation, loss = (
        spec.cell_definition,
        activation_rule(spec.activation),
        loss_rule(spec.loss, numeric=numeric),
    )
    e, n, m, z, shapes = spec.e, spec.n, spec.m, spec.z, spec.shapes
    parameters: dict[str, sympy.Matrix] = {}
    absent: dict[str, Value] = {}
    for name in cell.parameter_names:
        shape = shapes[name]
        if spec.cell_parameter_present(name):
            parameters[name] = _matrix(name, *shape) if len(shape) == 2 else _vector(name, shape[0])
        else:  # bias off, or an input weight of the autonomous system (e = 0): the term is zero
            absent[name] = sympy.zeros(*shape) if len(shape) == 2 else [sympy.Integer(0)] * shape[0]
    parameters["V"] = _matrix("V", m, n)
    if spec.bias:
        parameters["c"] = _vector("c", m)
    ordered = {name: parameters[name] for name in spec.parameter_names if name in parameters}
    initial = {state: _vector(state, n, 0) for state in cell.states}
    xs = tuple(_vector("x", e, t) for t in range(1, z + 1))
    ys = tuple(_vector("y", m, t) for t in range(1, z + 1))
    steps: list[Step] = []
    previous = dict(initial)
    for t in range(1, z + 1):
        values: dict[str, Value] = {
            name: (parameters[name] if len(shapes[name]) == 2 else list(parameters[name]))
            for name in parameters
        }
        values.update(absent)
        values["x"] = list(xs[t - 1])
        values.update({f"{state}_prev": list(previous[state]) for state in cell.states})
        for equation in cell.equations:
            expression, rule, argument = equation.expression, None, ()
            entries = evaluate(expression, values, activation)
            if isinstance(expression, Elementwise):
                rule = activation if expression.function == "f" else ACTIVATIONS[expression.function]
                argument = tuple(evaluate(expression.operand, values, activation))
            symbols = _vector(equation.name, len(entries), t)
            steps.append(
                Step(equation.name, t, symbols, sympy.Matrix(len(entries), 1, entries), rule, argument)
            )
            values[equation.name] = list(symbols)
        for state in cell.states:
            previous[state] = sympy.Matrix(values[state])
        yhat_t, J_t = _vector("yhat", m, t), sympy.Matrix([sympy.Symbol(symbol_name("J", t), real=True)])
        output = matvec(parameters["V"], sympy.Matrix(values[cell.output]))
        if spec.bias:
            output += parameters["c"]
        steps.append(Step("yhat", t, yhat_t, output))
        steps.append(Step("J", t, J_t, sympy.Matrix([loss.value(list(yhat_t), list(ys[t - 1]))])))
    J = sympy.Add(*[step.symbols[0] for step in steps if step.role == "J"])
    index = {(step.role, step.t): step for step in steps}
    return Graph(
        spec, activation, loss, ordered, xs, ys, initial[cell.states[0]], tuple(steps), J, initial, index
    )
