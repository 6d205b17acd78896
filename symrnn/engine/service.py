"""One derivative service for documents and the verifier: d(any quantity)/d(any other), total or immediate."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sympy

from ..unroll import Graph
from .adjoint import step_partials


@dataclass(frozen=True)
class Quantity:
    """A node of the unrolled graph: ``Quantity("s", 2)`` is s_2, ``Quantity("J")`` the total loss,
    ``Quantity("J", 3)`` is J_3, ``Quantity("W")`` a parameter. ``Quantity("s", 0)`` is s_0; any
    equation of the cell (``Quantity("c", 2)``, ``Quantity("f", 1)`` for the LSTM) is a quantity too."""

    role: str
    t: int | None = None

    def __str__(self) -> str:
        return self.role if self.t is None else f"{self.role}_{self.t}"


def shape_of(graph: Graph, quantity: Quantity) -> tuple[int, ...]:
    """Tensor shape of a quantity: () for J and J_t, (n,) for a state, a parameter's own shape (b: (n,))."""
    if quantity.role == "J":
        return ()
    if quantity.t is None and quantity.role in graph.parameters:
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
    if quantity.t is None and quantity.role != "J":
        if quantity.role not in graph.parameters:
            raise ValueError(f"{quantity} is not a parameter of this model ({', '.join(graph.parameters)})")
        return
    if quantity == Quantity("J"):
        return
    if quantity.role not in (*graph.roles, "x", "y"):
        raise ValueError(
            f"unknown quantity role {quantity.role!r}; this model has {', '.join(graph.roles)}, x, y"
        )
    low = 0 if quantity.role in graph.initial_states else 1
    if not isinstance(quantity.t, int) or isinstance(quantity.t, bool) or not low <= quantity.t <= z:
        raise ValueError(f"{quantity.role} needs a time index in {low}..{z}, got {quantity.t!r}")


def _owners(graph: Graph) -> dict[sympy.Symbol, Quantity]:
    """Which quantity each symbol belongs to (built once per graph)."""
    owners = graph._cache.get("owners")
    if owners is None:
        owners = {}
        for name, matrix in graph.parameters.items():
            owners.update({symbol: Quantity(name) for symbol in matrix})
        for state, matrix in graph.initial_states.items():
            owners.update({symbol: Quantity(state, 0) for symbol in matrix})
        for t in range(1, graph.spec.z + 1):
            owners.update({symbol: Quantity("x", t) for symbol in graph.xs[t - 1]})
            owners.update({symbol: Quantity("y", t) for symbol in graph.ys[t - 1]})
        for step in graph.steps:
            owners.update({symbol: Quantity(step.role, step.t) for symbol in step.symbols})
        graph._cache["owners"] = owners
    return owners


def dependencies(graph: Graph, quantity: Quantity) -> tuple[Quantity, ...]:
    """The quantities that ``quantity``'s own definition reads (one edge of the unrolled graph)."""
    if quantity == Quantity("J"):
        return tuple(Quantity("J", k) for k in range(1, graph.spec.z + 1))
    if (
        quantity.t is None
        or quantity.role in ("x", "y")
        or (quantity.t == 0 and quantity.role in graph.initial_states)
    ):
        return ()
    owners, found = _owners(graph), []
    for symbol in sorted(graph.step(quantity.role, quantity.t).expression.free_symbols, key=str):
        owner = owners[symbol]
        if owner not in found:
            found.append(owner)
    return tuple(found)


def local_jacobian(graph: Graph, of: Quantity, wrt: Quantity) -> np.ndarray:
    """∂ of / ∂ wrt for a direct edge, shape ``shape_of(of) + shape_of(wrt)``, from the local definitions."""
    if of == Quantity("J"):
        return np.array(sympy.Integer(1), dtype=object)
    if of.role == "J" and wrt.role == "yhat":
        yhat_t, y_t = graph.symbols("yhat", of.t), graph.symbols("y", of.t)
        return np.array(graph.loss.gradient(list(yhat_t), list(y_t)), dtype=object)
    step = graph.step(of.role, of.t)
    variables = list(as_tensor(graph, wrt).ravel())
    wanted = set(variables)
    entries = []
    for i in range(step.symbols.rows):
        partials = step_partials(step, i, wanted)
        entries += [sympy.Add(*partials.get(v, [])) for v in variables]
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
    states = set(graph.spec.state_names)
    target_shape = shape_of(graph, wrt)

    def visit(node: Quantity) -> np.ndarray | None:
        if node in memo:
            return memo[node]
        if node == wrt:
            size = int(np.prod(target_shape, dtype=int))
            eye = np.array(
                [[sympy.Integer(int(i == j)) for j in range(size)] for i in range(size)], dtype=object
            )
            memo[node] = eye.reshape(target_shape + target_shape)
            return memo[node]
        frozen = immediate and node.role in states and node != of
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
