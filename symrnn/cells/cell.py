"""A recurrent cell as data: named parameters and an ordered list of named equations, checked for shapes."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from ..activations import ACTIVATIONS
from .expression import (
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
    referenced_names,
)

_DIM = re.compile(r"^([1-9][0-9]?)?([ne])$")
RESERVED = frozenset({"x", "y", "yhat", "J", "delta", "s0"})
# The output layer's parameters and the activation table's names cannot be cell names.
OUTPUT_PARAMETERS = ("V", "c")


@dataclass(frozen=True)
class Dim:
    """A size that is linear in the state size n and the input size e: ``4n`` is ``Dim(4, 0)``."""

    n: int
    e: int

    @staticmethod
    def parse(text: str) -> Dim:
        match = _DIM.match(text) if isinstance(text, str) else None
        if match is None:
            raise ValueError(f"bad size {text!r}: write n, e or a multiple such as 4n")
        factor = int(match.group(1) or 1)
        return Dim(factor, 0) if match.group(2) == "n" else Dim(0, factor)

    def value(self, e: int, n: int) -> int:
        return self.n * n + self.e * e

    def divide(self, count: int) -> Dim | None:
        if self.n % count or self.e % count:
            return None
        return Dim(self.n // count, self.e // count)

    def __str__(self) -> str:
        parts = [f"{k if k != 1 else ''}{name}" for k, name in ((self.n, "n"), (self.e, "e")) if k]
        return " + ".join(parts) or "0"


Shape = tuple[Dim, ...]


def shape_text(shape: Shape) -> str:
    return "(" + ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"


@dataclass(frozen=True)
class Parameter:
    """A trainable tensor of the cell: ``Parameter("W", ("4n", "e"))``; ``bias=True`` drops it when bias is off."""

    name: str
    shape: tuple[str, ...]
    bias: bool = False

    def dims(self) -> Shape:
        return tuple(Dim.parse(text) for text in self.shape)


@dataclass(frozen=True)
class Definition:
    """``name = expression`` for one step, e.g. ``Definition("u", W @ x + U @ s_prev + b)``."""

    name: str
    expression: Tensor


@dataclass(frozen=True)
class Cell:
    """One step of a recurrent network as equations; the output layer ``ŷ_t = V h_t + c`` and the loss are shared.

    Attributes:
        name: the cell's name (``"rnn"``, ``"lstm"``, ...).
        parameters: the cell's own parameters (not V, c of the output layer).
        equations: evaluated in order each step; they may read parameters, ``x``, ``<state>_prev`` and
            earlier equations.
        states: the equations carried to the next step (each of size n); ``<state>_prev`` reads the last value.
        output: the state that feeds the output layer.
        description: one line for documents.
        sizes: every equation's symbolic shape, filled in by validation.
    """

    name: str
    parameters: tuple[Parameter, ...]
    equations: tuple[Definition, ...]
    states: tuple[str, ...]
    output: str
    description: str = ""
    sizes: Mapping[str, Dim] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "parameters", tuple(self.parameters))
        object.__setattr__(self, "equations", tuple(self.equations))
        object.__setattr__(self, "states", tuple(self.states))
        object.__setattr__(self, "sizes", _validate(self))

    @property
    def parameter_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.parameters)

    def parameter(self, name: str) -> Parameter:
        for parameter in self.parameters:
            if parameter.name == name:
                return parameter
        raise KeyError(name)

    def equation(self, name: str) -> Definition:
        for equation in self.equations:
            if equation.name == name:
                return equation
        raise KeyError(name)


def _validate(cell: Cell) -> dict[str, Dim]:
    """Check names and shapes before any SymPy work; a ValueError names the equation and the shapes."""
    if not isinstance(cell.name, str) or not re.match(r"^[A-Za-z][A-Za-z0-9_]{0,23}$", cell.name):
        raise ValueError(f"bad cell name {cell.name!r}")
    if not cell.parameters:
        raise ValueError(f"cell {cell.name!r} has no parameters: there is nothing to differentiate")
    if not cell.equations:
        raise ValueError(f"cell {cell.name!r} has no equations")
    shapes: dict[str, Shape] = {"x": (Dim(0, 1),)}
    for parameter in cell.parameters:
        Name(parameter.name)  # the same identifier rule as every name
        if parameter.name in RESERVED or parameter.name in OUTPUT_PARAMETERS or parameter.name in shapes:
            raise ValueError(f"cell {cell.name!r}: parameter name {parameter.name!r} is reserved or repeated")
        if not 1 <= len(parameter.shape) <= 2:
            raise ValueError(
                f"parameter {parameter.name!r} must be a vector or a matrix, got shape {parameter.shape}"
            )
        shapes[parameter.name] = parameter.dims()
    for state in cell.states:
        if state not in {eq.name for eq in cell.equations}:
            raise ValueError(f"cell {cell.name!r}: state {state!r} has no equation")
        shapes[f"{state}_prev"] = (Dim(1, 0),)
    if cell.output not in cell.states:
        raise ValueError(
            f"cell {cell.name!r}: the output {cell.output!r} must be one of the states {cell.states}"
        )
    sizes: dict[str, Dim] = {}
    for equation in cell.equations:
        Name(equation.name)
        if equation.name in shapes or equation.name.endswith("_prev") or equation.name in RESERVED:
            raise ValueError(f"equation {equation.name!r}: the name is already used or reserved")
        unknown = sorted(referenced_names(equation.expression) - set(shapes))
        if unknown:
            raise ValueError(
                f"equation {equation.name!r} reads undefined name(s) {', '.join(unknown)}; "
                f"defined here: {', '.join(sorted(shapes))}"
            )
        shape = _shape(equation.name, equation.expression, shapes)
        if len(shape) != 1:
            raise ValueError(
                f"equation {equation.name!r} must define a vector, got shape {shape_text(shape)}"
            )
        shapes[equation.name] = shape
        sizes[equation.name] = shape[0]
    read = set().union(*(referenced_names(eq.expression) for eq in cell.equations))
    for state in cell.states:
        if sizes[state] != Dim(1, 0):
            raise ValueError(f"state {state!r} must have size n, got {sizes[state]}")
        if f"{state}_prev" not in read:
            raise ValueError(f"state {state!r} never feeds back: no equation reads {state}_prev")
    unused = [p.name for p in cell.parameters if p.name not in read]
    if unused:
        raise ValueError(f"cell {cell.name!r}: parameter(s) {', '.join(unused)} appear in no equation")
    return sizes


def _shape(equation: str, node: Tensor, shapes: Mapping[str, Shape]) -> Shape:
    def fail(message: str) -> ValueError:
        return ValueError(f"equation {equation!r}: {message}")

    if isinstance(node, Name):
        return shapes[node.name]
    if isinstance(node, Constant):
        return ()
    if isinstance(node, (Scale, Elementwise)):
        inner = _shape(equation, node.operand, shapes)
        if isinstance(node, Elementwise) and node.function != "f" and node.function not in ACTIVATIONS:
            raise fail(f"unknown function {node.function!r}; use f or one of {', '.join(ACTIVATIONS)}")
        if isinstance(node, Elementwise) and len(inner) != 1:
            raise fail(f"{node.function}(...) applies to a vector, got shape {shape_text(inner)}")
        return inner
    if isinstance(node, (TensorSum, Hadamard)):
        found = [_shape(equation, child, shapes) for child in children(node)]
        vectors = {shape for shape in found if shape != ()}
        if len(vectors) > 1:
            symbol = "+" if isinstance(node, TensorSum) else "⊙"
            raise fail(f"cannot combine shapes {f' {symbol} '.join(shape_text(s) for s in found)}")
        if not vectors:
            raise fail("an expression of constants only has no shape")
        return vectors.pop()
    if isinstance(node, MatVec):
        matrix, vector = _shape(equation, node.matrix, shapes), _shape(equation, node.vector, shapes)
        if len(matrix) != 2 or len(vector) != 1 or matrix[1] != vector[0]:
            raise fail(f"cannot multiply {shape_text(matrix)} by {shape_text(vector)}")
        return (matrix[0],)
    if isinstance(node, Block):
        inner = _shape(equation, node.operand, shapes)
        if not inner:
            raise fail("a block of a scalar")
        rows = inner[0].divide(node.count)
        if rows is None:
            raise fail(f"cannot split {inner[0]} rows into {node.count} equal blocks")
        return (rows, *inner[1:])
    raise fail(f"unknown expression node {type(node).__name__}")


def make_cell(
    name: str,
    *,
    parameters: Mapping[str, Sequence[str]],
    equations: Sequence[tuple[str, Tensor]],
    states: Sequence[str],
    output: str | None = None,
    biases: Sequence[str] = (),
    description: str = "",
) -> Cell:
    """Define a cell in a few lines (the public way to add one).

    Args:
        name: the cell's name.
        parameters: name -> shape in sizes n and e, e.g. ``{"W": ("n", "e"), "U": ("n", "n"), "b": ("n",)}``.
        equations: ``[(name, expression), ...]`` evaluated in order each step.
        states: the equations carried to the next step (read back as ``<name>_prev``).
        output: the state feeding ``ŷ_t = V h_t + c`` (default: the first state).
        biases: the parameters dropped when the spec has ``bias=False``.
        description: one line for documents.
    """
    unknown = sorted(set(biases) - set(parameters))
    if unknown:
        raise ValueError(f"biases {unknown} are not parameters")
    return Cell(
        name,
        tuple(Parameter(key, tuple(shape), key in biases) for key, shape in parameters.items()),
        tuple(Definition(key, expression) for key, expression in equations),
        tuple(states),
        output if output is not None else next(iter(states)),
        description,
    )
