"""The cell expression language: matrix-vector products, sums, Hadamard products, element-wise functions, gate blocks."""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Union

Number = Union[int, Fraction]

_IDENTIFIER = re.compile(r"^(?=.{1,16}$)[A-Za-z][A-Za-z0-9]*(_[A-Za-z][A-Za-z0-9]*)*$")


class Node:
    """A tensor-level expression; operators build the tree (``W @ x + U @ s_prev + b``, ``z * h_prev``)."""

    def __add__(self, other: Node | Number) -> Node:
        return Sum((self, as_node(other)))

    def __radd__(self, other: Node | Number) -> Node:
        return Sum((as_node(other), self))

    def __sub__(self, other: Node | Number) -> Node:
        return Sum((self, Scale(-1, as_node(other))))

    def __rsub__(self, other: Node | Number) -> Node:
        return Sum((as_node(other), Scale(-1, self)))

    def __neg__(self) -> Node:
        return Scale(-1, self)

    def __mul__(self, other: Node | Number) -> Node:
        if isinstance(other, (int, Fraction)) and not isinstance(other, bool):
            return Scale(other, self)
        return Hadamard(self, as_node(other))

    def __rmul__(self, other: Node | Number) -> Node:
        return self.__mul__(other)

    def __matmul__(self, other: Node) -> Node:
        return MatVec(self, as_node(other))

    def block(self, index: int, count: int) -> Node:
        """Rows ``index·len/count .. (index+1)·len/count`` of a stacked vector or matrix (a gate block)."""
        return Block(self, index, count)


@dataclass(frozen=True)
class Name(Node):
    """A parameter, the input ``x``, a previous state ``s_prev`` or an earlier equation of the step."""

    name: str

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not _IDENTIFIER.match(self.name):
            raise ValueError(f"bad name {self.name!r}: use letters, digits and inner underscores (at most 16), e.g. W, b_U, s_prev")


@dataclass(frozen=True)
class Constant(Node):
    """A scalar broadcast over a vector, e.g. the 1 in ``1 - z``."""

    value: Number


@dataclass(frozen=True)
class Sum(Node):
    """``a + b + ...`` (all of one shape; constants broadcast)."""

    terms: tuple[Node, ...]

    def __post_init__(self) -> None:
        flat: list[Node] = []
        for term in self.terms:
            flat.extend(term.terms if isinstance(term, Sum) else (term,))
        object.__setattr__(self, "terms", tuple(flat))


@dataclass(frozen=True)
class Scale(Node):
    """``k a`` for a rational constant ``k``."""

    factor: Number
    operand: Node


@dataclass(frozen=True)
class Hadamard(Node):
    """``a ⊙ b``, element-wise."""

    left: Node
    right: Node


@dataclass(frozen=True)
class MatVec(Node):
    """``A v``: a matrix (a parameter or a block of one) times a vector."""

    matrix: Node
    vector: Node


@dataclass(frozen=True)
class Apply(Node):
    """``φ(a)`` element-wise; ``function`` is ``"f"`` (the spec's activation) or a row of the activation table."""

    function: str
    operand: Node


@dataclass(frozen=True)
class Block(Node):
    """Block ``index`` of ``count`` equal row blocks of a stacked vector or matrix (PyTorch's gate stacking)."""

    operand: Node
    index: int
    count: int

    def __post_init__(self) -> None:
        if isinstance(self.count, bool) or not isinstance(self.count, int) or self.count < 1:
            raise ValueError(f"a block count must be a positive integer, got {self.count!r}")
        if isinstance(self.index, bool) or not isinstance(self.index, int) or not 0 <= self.index < self.count:
            raise ValueError(f"block index must be in 0..{self.count - 1}, got {self.index!r}")


def as_node(value: Node | Number) -> Node:
    """A node, or a rational constant as a :class:`Constant`."""
    if isinstance(value, Node):
        return value
    if isinstance(value, (int, Fraction)) and not isinstance(value, bool):
        return Constant(value)
    raise TypeError(f"cannot use {type(value).__name__} in a cell equation (use names, numbers and operators)")


def names(text: str) -> tuple[Name, ...]:
    """``names("W U b x s_prev")``: several :class:`Name` nodes at once (split on white space)."""
    return tuple(Name(word) for word in text.split())


def apply(function: str, operand: Node) -> Apply:
    """``φ(a)`` for a function of the activation table (``"tanh"``, ``"sigmoid"``, ...) or ``"f"``."""
    return Apply(function, as_node(operand))


def f(operand: Node) -> Apply:
    """The spec's activation ``f`` applied element-wise."""
    return Apply("f", as_node(operand))


def sigmoid(operand: Node) -> Apply:
    """``σ(a)`` element-wise."""
    return Apply("sigmoid", as_node(operand))


def tanh(operand: Node) -> Apply:
    """``tanh(a)`` element-wise."""
    return Apply("tanh", as_node(operand))


def children(node: Node) -> tuple[Node, ...]:
    """The operands of a node, in order."""
    if isinstance(node, Sum):
        return node.terms
    if isinstance(node, (Scale, Apply, Block)):
        return (node.operand,)
    if isinstance(node, Hadamard):
        return (node.left, node.right)
    if isinstance(node, MatVec):
        return (node.matrix, node.vector)
    return ()


def referenced_names(node: Node) -> set[str]:
    """Every :class:`Name` read by the expression."""
    if isinstance(node, Name):
        return {node.name}
    found: set[str] = set()
    for child in children(node):
        found |= referenced_names(child)
    return found
