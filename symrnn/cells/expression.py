"""The cell expression language: matrix-vector products, sums, Hadamard products, element-wise functions, gate blocks."""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

Number = int | Fraction

_IDENTIFIER = re.compile(r"^(?=.{1,16}$)[A-Za-z][A-Za-z0-9]*(_[A-Za-z][A-Za-z0-9]*)*$")


class Tensor:
    """A tensor-level expression; operators build the tree (``W @ x + U @ s_prev + b``, ``z * h_prev``)."""

    def __add__(self, other: Tensor | Number) -> Tensor:
        return TensorSum((self, as_node(other)))

    def __radd__(self, other: Tensor | Number) -> Tensor:
        return TensorSum((as_node(other), self))

    def __sub__(self, other: Tensor | Number) -> Tensor:
        return TensorSum((self, Scale(-1, as_node(other))))

    def __rsub__(self, other: Tensor | Number) -> Tensor:
        return TensorSum((as_node(other), Scale(-1, self)))

    def __neg__(self) -> Tensor:
        return Scale(-1, self)

    def __mul__(self, other: Tensor | Number) -> Tensor:
        if isinstance(other, (int, Fraction)) and not isinstance(other, bool):
            return Scale(other, self)
        return Hadamard(self, as_node(other))

    def __rmul__(self, other: Tensor | Number) -> Tensor:
        return self.__mul__(other)

    def __matmul__(self, other: Tensor) -> Tensor:
        return MatVec(self, as_node(other))

    def block(self, index: int, count: int) -> Tensor:
        """Rows ``index·len/count .. (index+1)·len/count`` of a stacked vector or matrix (a gate block)."""
        return Block(self, index, count)


@dataclass(frozen=True)
class Name(Tensor):
    """A parameter, the input ``x``, a previous state ``s_prev`` or an earlier equation of the step."""

    name: str

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not _IDENTIFIER.match(self.name):
            raise ValueError(
                f"bad name {self.name!r}: use letters, digits and inner underscores (at most 16), e.g. W, b_U, s_prev"
            )


@dataclass(frozen=True)
class Constant(Tensor):
    """A scalar broadcast over a vector, e.g. the 1 in ``1 - z``."""

    value: Number


@dataclass(frozen=True)
class TensorSum(Tensor):
    """``a + b + ...`` (all of one shape; constants broadcast)."""

    terms: tuple[Tensor, ...]

    def __post_init__(self) -> None:
        flat: list[Tensor] = []
        for term in self.terms:
            flat.extend(term.terms if isinstance(term, TensorSum) else (term,))
        object.__setattr__(self, "terms", tuple(flat))


@dataclass(frozen=True)
class Scale(Tensor):
    """``k a`` for a rational constant ``k``."""

    factor: Number
    operand: Tensor


@dataclass(frozen=True)
class Hadamard(Tensor):
    """``a ⊙ b``, element-wise."""

    left: Tensor
    right: Tensor


@dataclass(frozen=True)
class MatVec(Tensor):
    """``A v``: a matrix (a parameter or a block of one) times a vector."""

    matrix: Tensor
    vector: Tensor


@dataclass(frozen=True)
class Elementwise(Tensor):
    """``φ(a)`` element-wise; ``function`` is ``"f"`` (the spec's activation) or a row of the activation table."""

    function: str
    operand: Tensor


@dataclass(frozen=True)
class Block(Tensor):
    """Block ``index`` of ``count`` equal row blocks of a stacked vector or matrix (PyTorch's gate stacking)."""

    operand: Tensor
    index: int
    count: int

    def __post_init__(self) -> None:
        if isinstance(self.count, bool) or not isinstance(self.count, int) or self.count < 1:
            raise ValueError(f"a block count must be a positive integer, got {self.count!r}")
        if (
            isinstance(self.index, bool)
            or not isinstance(self.index, int)
            or not 0 <= self.index < self.count
        ):
            raise ValueError(f"block index must be in 0..{self.count - 1}, got {self.index!r}")


def as_node(value: Tensor | Number) -> Tensor:
    """A node, or a rational constant as a :class:`Constant`."""
    if isinstance(value, Tensor):
        return value
    if isinstance(value, (int, Fraction)) and not isinstance(value, bool):
        return Constant(value)
    raise TypeError(
        f"cannot use {type(value).__name__} in a cell equation (use names, numbers and operators)"
    )


def names(text: str) -> tuple[Name, ...]:
    """``names("W U b x s_prev")``: several :class:`Name` nodes at once (split on white space)."""
    return tuple(Name(word) for word in text.split())


def apply(function: str, operand: Tensor) -> Elementwise:
    """``φ(a)`` for a function of the activation table (``"tanh"``, ``"sigmoid"``, ...) or ``"f"``."""
    return Elementwise(function, as_node(operand))


def f(operand: Tensor) -> Elementwise:
    """The spec's activation ``f`` applied element-wise."""
    return Elementwise("f", as_node(operand))


def sigmoid(operand: Tensor) -> Elementwise:
    """``σ(a)`` element-wise."""
    return Elementwise("sigmoid", as_node(operand))


def tanh(operand: Tensor) -> Elementwise:
    """``tanh(a)`` element-wise."""
    return Elementwise("tanh", as_node(operand))


def children(node: Tensor) -> tuple[Tensor, ...]:
    """The operands of a node, in order."""
    if isinstance(node, TensorSum):
        return node.terms
    if isinstance(node, (Scale, Elementwise, Block)):
        return (node.operand,)
    if isinstance(node, Hadamard):
        return (node.left, node.right)
    if isinstance(node, MatVec):
        return (node.matrix, node.vector)
    return ()


def referenced_names(node: Tensor) -> set[str]:
    """Every :class:`Name` read by the expression."""
    if isinstance(node, Name):
        return {node.name}
    found: set[str] = set()
    for child in children(node):
        found |= referenced_names(child)
    return found
