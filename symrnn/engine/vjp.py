"""Matrix-level reverse mode: one vector-Jacobian rule per operation of the cell language, giving the per-step
backward recurrence in matrix form (what documents print and what the matrix backend compiles)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from ..cells.cell import Cell
from ..cells.expression import (
    Block,
    Constant,
    Elementwise,
    Hadamard,
    MatVec,
    Name,
    Scale,
    Tensor,
    TensorSum,
    children,
)
from ..spec import RNNSpec


@dataclass(frozen=True)
class Transposed(Tensor):
    """``Aᵀ v``."""

    matrix: Tensor
    vector: Tensor


@dataclass(frozen=True)
class ElementwiseDerivative(Tensor):
    """``φ'(a)`` element-wise; written through the output ``φ(a)`` (named ``output``) where the rule table allows."""

    function: str
    operand: Tensor
    output: str | None = None


@dataclass(frozen=True)
class Adjoint(Tensor):
    """``ē_t = ∂J/∂e_t`` of an equation (a state's adjoint is the notes' ``δ_t``)."""

    name: str


@dataclass(frozen=True)
class Next(Tensor):
    """The operand at time ``t + 1`` (zero after the last step)."""

    operand: Tensor


@dataclass(frozen=True)
class Placed(Tensor):
    """A block-sized vector or matrix placed at block ``index`` of ``count`` (zeros elsewhere)."""

    operand: Tensor
    index: int
    count: int


@dataclass(frozen=True)
class Outer(Tensor):
    """``a bᵀ``."""

    left: Tensor
    right: Tensor


@dataclass(frozen=True)
class LossGradient(Tensor):
    """``g_t = ∂J_t/∂ŷ_t`` from the loss rule table."""


def matrix_children(node: Tensor) -> tuple[Tensor, ...]:
    """Operands of any node, cell or matrix level."""
    if isinstance(node, (Transposed,)):
        return (node.matrix, node.vector)
    if isinstance(node, Outer):
        return (node.left, node.right)
    if isinstance(node, (ElementwiseDerivative, Next, Placed)):
        return (node.operand,)
    return children(node)


# One vector-Jacobian rule per operation: (node, ȳ) -> [(operand, its contribution)], as autograd's defvjp.
VJP_RULES: dict[type, Callable[[Tensor, Tensor], list[tuple[Tensor, Tensor]]]] = {
    TensorSum: lambda node, bar: [(term, bar) for term in node.terms],
    Scale: lambda node, bar: [(node.operand, Scale(node.factor, bar))],
    Hadamard: lambda node, bar: [
        (node.left, Hadamard(bar, node.right)),
        (node.right, Hadamard(node.left, bar)),
    ],
    MatVec: lambda node, bar: [
        (node.vector, Transposed(node.matrix, bar)),
        (node.matrix, Outer(bar, node.vector)),
    ],
    Elementwise: lambda node, bar: [
        (node.operand, Hadamard(ElementwiseDerivative(node.function, node.operand), bar))
    ],
    Block: lambda node, bar: [(node.operand, Placed(bar, node.index, node.count))],
    Constant: lambda node, bar: [],
}


@dataclass(frozen=True)
class AdjointEquation:
    """``ē_t = expression`` for one equation of the cell; ``state`` marks a carried state (the δ recurrence)."""

    name: str
    expression: Tensor
    state: bool


@dataclass(frozen=True)
class MatrixProgram:
    """The backward pass of one step in matrix form, derived from the cell's equations.

    Attributes:
        cell: the cell.
        equations: the forward equations with absent terms (bias off, e = 0) removed.
        adjoints: ``ē_t`` definitions in evaluation order (the equations in reverse); ``Adjoint`` nodes refer
            to later ones at the same t, ``Next`` to step t + 1.
        parameters: each parameter's contribution at step t; its gradient is the sum over t.
        initial: each state's ``∂J/∂state_0``: the contributions to ``state_prev`` of step 1.
    """

    cell: Cell
    equations: tuple[tuple[str, Tensor], ...]
    adjoints: tuple[AdjointEquation, ...]
    parameters: dict[str, Tensor]
    initial: dict[str, Tensor]

    def adjoint(self, name: str) -> AdjointEquation:
        for equation in self.adjoints:
            if equation.name == name:
                return equation
        raise KeyError(name)

    def inlined(self, name: str) -> Tensor:
        """``ē_t`` with the adjoints of non-state equations written out (how the notes print δ_t)."""
        return self.inline(self.adjoint(name).expression)

    def inline(self, node: Tensor) -> Tensor:
        """Any node (a parameter's contribution, say) with the non-state adjoints written out."""
        definitions = {eq.name: eq.expression for eq in self.adjoints if not eq.state}

        def expand(current: Tensor) -> Tensor:
            if isinstance(current, Adjoint) and current.name in definitions:
                return expand(definitions[current.name])
            return _rebuild(current, [expand(child) for child in matrix_children(current)])

        return expand(node)


def _rebuild(node: Tensor, operands: list[Tensor]) -> Tensor:
    if not operands:
        return node
    if isinstance(node, TensorSum):
        return TensorSum(tuple(operands))
    if isinstance(node, (Transposed, MatVec)):
        return type(node)(*operands)
    if isinstance(node, (Hadamard, Outer)):
        return type(node)(*operands)
    if isinstance(node, Scale):
        return Scale(node.factor, operands[0])
    if isinstance(node, Elementwise):
        return Elementwise(node.function, operands[0])
    if isinstance(node, ElementwiseDerivative):
        return ElementwiseDerivative(node.function, operands[0], node.output)
    if isinstance(node, Next):
        return Next(operands[0])
    if isinstance(node, (Placed, Block)):
        return type(node)(operands[0], node.index, node.count)
    raise TypeError(f"unknown node {type(node).__name__}")


def _prune(node: Tensor, absent: set[str]) -> Tensor | None:
    """The expression with absent names (zero) removed; None when the whole expression is zero."""
    if isinstance(node, Name):
        return None if node.name in absent else node
    if isinstance(node, Constant):
        return node
    operands = [_prune(child, absent) for child in children(node)]
    if isinstance(node, TensorSum):
        kept = [term for term in operands if term is not None]
        return None if not kept else kept[0] if len(kept) == 1 else TensorSum(tuple(kept))
    if isinstance(node, Elementwise) and operands[0] is None:
        return Elementwise(node.function, Constant(0))
    if any(operand is None for operand in operands):
        return None
    return _rebuild(node, operands)


def absent_names(spec: RNNSpec) -> set[str]:
    """Names whose value is zero for this spec: biases when bias is off, the input and its weights when e = 0."""
    cell = spec.cell_definition
    absent = {name for name in cell.parameter_names if not spec.cell_parameter_present(name)}
    return absent | ({"x"} if spec.e == 0 else set())


def matrix_program(spec: RNNSpec) -> MatrixProgram:
    """Derive the matrix-form backward step of ``spec``'s cell with :data:`VJP_RULES`."""
    cell, absent = spec.cell_definition, absent_names(spec)
    states = set(cell.states)
    equations = []
    for equation in cell.equations:
        pruned = _prune(equation.expression, absent)
        equations.append((equation.name, pruned if pruned is not None else Constant(0)))
    local: dict[str, list[Tensor]] = defaultdict(list)
    previous: dict[str, list[Tensor]] = defaultdict(list)
    parameters: dict[str, list[Tensor]] = defaultdict(list)

    def propagate(node: Tensor, bar: Tensor) -> None:
        if isinstance(node, Name):
            if node.name.endswith("_prev"):
                previous[node.name[: -len("_prev")]].append(bar)
            elif node.name in cell.parameter_names:
                parameters[node.name].append(bar)
            elif node.name != "x":
                local[node.name].append(bar)
            return
        for operand, contribution in VJP_RULES[type(node)](node, bar):
            propagate(operand, contribution)

    # The shared output layer ŷ_t = V h_t + c.
    local[cell.output].append(Transposed(Name("V"), LossGradient()))
    parameters["V"].append(Outer(LossGradient(), Name(cell.output)))
    if spec.bias:
        parameters["c"].append(LossGradient())
    for name, expression in reversed(equations):
        bar = Adjoint(name)
        if isinstance(expression, Elementwise):  # the equation names φ(a): write φ' through it
            propagate(
                expression.operand,
                Hadamard(ElementwiseDerivative(expression.function, expression.operand, name), bar),
            )
        else:
            propagate(expression, bar)
    adjoints = []
    for name, _ in reversed(equations):
        terms = list(local.get(name, []))
        if name in states and previous.get(name):
            terms.append(Next(_sum(previous[name])))
        adjoints.append(AdjointEquation(name, _sum(terms) if terms else Constant(0), name in states))
    ordered = {name: _sum(parameters[name]) for name in spec.parameter_names if name in parameters}
    initial = {state: _sum(previous[state]) if previous.get(state) else Constant(0) for state in cell.states}
    return MatrixProgram(cell, tuple(equations), tuple(adjoints), ordered, initial)


def _sum(terms: list[Tensor]) -> Tensor:
    return terms[0] if len(terms) == 1 else TensorSum(tuple(terms))
