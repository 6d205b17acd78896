"""One derivative service for documents and the verifier: d(any quantity)/d(any other), total or immediate."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import sympy

from ..unroll import Graph

PARAMETER_ROLES = ("W", "U", "V", "b", "c")
TIME_ROLES = ("J", "yhat", "s", "u", "x", "y")


@dataclass(frozen=True)
class Quantity:
    """A node of the unrolled graph: ``Quantity("s", 2)`` is s_2, ``Quantity("J")`` the total loss,
    ``Quantity("J", 3)`` is J_3, ``Quantity("W")`` a parameter. ``Quantity("s", 0)`` is s_0."""

    role: str
    t: int | None = None

    def __str__(self) -> str:
        return self.role if self.t is None else f"{self.role}_{self.t}"


def shape_of(graph: Graph, quantity: Quantity) -> tuple[int, ...]:
    """Tensor shape of a quantity: () for J and J_t, (n,) for a state, a parameter's own shape (b: (n,))."""
    if quantity.role == "J":
        return ()
    if quantity.role in PARAMETER_ROLES:
        return graph.spec.shapes[quantity.role]
    return (graph.symbols(quantity.role, quantity.t).rows,)


def as_tensor(graph: Graph, quantity: Quantity) -> np.ndarray:
    """The quantity's symbols as an object array of :func:`shape_of`'s shape."""
    if quantity == Quantity("J"):
        return np.array(graph.J, dtype=object)
    if quantity.role == "J":
        return np.array(graph.symbols("J", quantity.t)[0], dtype=object)
    matrix = graph.symbols(quantity.role, quantity.t)
    return np.array(matrix.tolist(), dtype=object).reshape(shape_of(graph, quantity))


def _validate(graph: Graph, quantity: Quantity) -> None:
    z = graph.spec.z
    if quantity.role in PARAMETER_ROLES:
        if quantity.t is not None or quantity.role not in graph.parameters:
            raise ValueError(f"{quantity} is not a parameter of this model ({', '.join(graph.parameters)})")
        return
    if quantity.role not in TIME_ROLES:
        raise ValueError(f"unknown quantity role {quantity.role!r}")
    low = 0 if quantity.role == "s" else 1
    if quantity == Quantity("J"):
        return
    if not isinstance(quantity.t, int) or not low <= quantity.t <= z:
        raise ValueError(f"{quantity.role} needs a time index in {low}..{z}, got {quantity.t!r}")


def dependencies(graph: Graph, quantity: Quantity) -> tuple[Quantity, ...]:
    """The quantities that ``quantity``'s own definition reads (one edge of the unrolled graph)."""
    role, t = quantity.role, quantity.t
    bias = "b" in graph.parameters
    if quantity == Quantity("J"):
        return tuple(Quantity("J", k) for k in range(1, graph.spec.z + 1))
    if role == "J":
        return (Quantity("yhat", t), Quantity("y", t))
    if role == "yhat":
        return (Quantity("V"), Quantity("s", t)) + ((Quantity("c"),) if bias else ())
    if role == "s" and t >= 1:
        return (Quantity("u", t),)
    if role == "u":
        return (Quantity("W"), Quantity("x", t), Quantity("U"), Quantity("s", t - 1)) + ((Quantity("b"),) if bias else ())
    return ()


def activation_derivative(graph: Graph, t: int) -> sympy.Matrix:
    """``f'(u_t)`` as a column, written through ``s_t`` where the rule table has that form (1 − s², ...)."""
    rule = graph.activation
    if rule.derivative_of_output is not None:
        return graph.symbols("s", t).applyfunc(rule.derivative_of_output)
    return graph.symbols("u", t).applyfunc(rule.derivative)


def local_jacobian(graph: Graph, of: Quantity, wrt: Quantity) -> np.ndarray:
    """∂ of / ∂ wrt for a direct edge, shape ``shape_of(of) + shape_of(wrt)``, from the rule tables."""
    if of.role == "s":
        return np.diag(np.array(list(activation_derivative(graph, of.t)), dtype=object))
    if of == Quantity("J"):
        return np.array(sympy.Integer(1), dtype=object)
    if of.role == "J" and wrt.role == "yhat":
        yhat_t, y_t = graph.symbols("yhat", of.t), graph.symbols("y", of.t)
        return np.array(graph.loss.gradient(list(yhat_t), list(y_t)), dtype=object)
    definition = graph.step(of.role, of.t).expression
    entries = [sympy.diff(expr, sym) for expr in definition for sym in as_tensor(graph, wrt).ravel()]
    return np.array(entries, dtype=object).reshape(shape_of(graph, of) + shape_of(graph, wrt))


def _contract(left: np.ndarray, right: np.ndarray, axes: int) -> np.ndarray:
    result = np.tensordot(left, right, axes=axes)
    return np.asarray(result, dtype=object)


def derivative(graph: Graph, of: Quantity, wrt: Quantity, *, immediate: bool = False) -> np.ndarray:
    """The derivative of one graph quantity with respect to another, exactly, in named intermediates.

    Layout: ``result[i..., j...] = ∂ of[i...] / ∂ wrt[j...]``, shape ``shape_of(of) + shape_of(wrt)``
    (numerator layout; for a scalar ``of`` it is the gradient, shaped like ``wrt``).

    Args:
        graph: the unrolled model.
        of: the differentiated quantity.
        wrt: the variable.
        immediate: if True, only paths that pass through no state other than ``of`` and ``wrt``
            (the previous state held fixed: the notes' ∂⁺s_k/∂W); otherwise the total derivative
            through every path of the unrolled graph.
    """
    _validate(graph, of)
    _validate(graph, wrt)
    return _derivative(graph, of, wrt, immediate).copy()


def _derivative(graph: Graph, of: Quantity, wrt: Quantity, immediate: bool) -> np.ndarray:
    memo: dict[Quantity, np.ndarray | None] = {}
    target_shape = shape_of(graph, wrt)

    def visit(node: Quantity) -> np.ndarray | None:
        if node in memo:
            return memo[node]
        if node == wrt:
            size = int(np.prod(target_shape, dtype=int))
            eye = np.array([[sympy.Integer(int(i == j)) for j in range(size)] for i in range(size)], dtype=object)
            memo[node] = eye.reshape(target_shape + target_shape)
            return memo[node]
        frozen = immediate and node.role == "s" and node != of
        total = None
        for dep in () if frozen else dependencies(graph, node):
            inner = visit(dep)
            if inner is None:
                continue
            term = _contract(local_jacobian(graph, node, dep), inner, len(shape_of(graph, dep)))
            total = term if total is None else total + term
        memo[node] = total
        return total

    result = visit(of)
    if result is None:
        return np.full(shape_of(graph, of) + target_shape, sympy.Integer(0), dtype=object)
    return result


def to_matrix(tensor: np.ndarray) -> sympy.Matrix:
    """A rank ≤ 2 object tensor as a SymPy Matrix (a vector becomes a column)."""
    if tensor.ndim == 0:
        return sympy.Matrix([[tensor.item()]])
    if tensor.ndim == 1:
        return sympy.Matrix(list(tensor))
    if tensor.ndim == 2:
        return sympy.Matrix(tensor.tolist())
    raise ValueError(f"a tensor of rank {tensor.ndim} has no matrix form")
