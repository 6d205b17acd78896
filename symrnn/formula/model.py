"""One model at one random point: values of every intermediate and numeric derivatives through the service."""

from __future__ import annotations

from functools import lru_cache

import mpmath
import numpy as np
import sympy

from ..engine.service import Quantity as GraphQuantity
from ..engine.service import dependencies, local_jacobian, shape_of
from ..spec import RNNSpec
from ..unroll import Graph, unroll


def _mp(value: sympy.Expr) -> mpmath.mpf:
    """A SymPy number as an mpmath number (a complex value is refused: the formula left the reals)."""
    if not value.is_real:
        raise ArithmeticError(f"the value {value} is not a real number")
    return mpmath.mpf(str(value))


@lru_cache(maxsize=64)
def _unrolled(spec: RNNSpec) -> Graph:
    """One unrolled graph per spec, shared by the models at different points (seeds, scales)."""
    return unroll(spec)


POINT_RANGE = 0.9
"""Inputs, parameters and targets are drawn uniformly from [-0.9, 0.9] (times the model's scale)."""


class Model:
    """One model at one random point: numeric values of every intermediate, cached derivatives."""

    def __init__(self, spec: RNNSpec, seed: int, scale: float = 1.0, digits: int | None = None) -> None:
        self.spec, self.digits = spec, digits  # digits: None for float64 numbers, else mpmath numbers
        self.graph: Graph = _unrolled(spec)
        rng = np.random.default_rng(seed)
        values: dict[sympy.Symbol, sympy.Float] = {}
        for sym in self.graph.inputs:
            values[sym] = sympy.Float(rng.uniform(-POINT_RANGE, POINT_RANGE) * scale, 30)
        if spec.loss == "ce":
            # Cross-entropy targets live on the probability simplex (DESIGN.md): positive, summing to 1.
            for t in range(1, spec.z + 1):
                column = list(self.graph.symbols("y", t))
                weights = rng.uniform(0.1, 1.0, size=len(column))
                for sym, weight in zip(column, weights / weights.sum()):
                    values[sym] = sympy.Float(weight, 30)
        for sym, expression in self.graph.definitions.items():
            values[sym] = sympy.N(expression.xreplace(values), max(30, digits or 0))
        self.values = values
        self._derivatives: dict[tuple, np.ndarray] = {}
        self._f = sympy.Lambda(sympy.Dummy("u"), self.graph.activation.function(sympy.Dummy("v")))

    def values_of(self, role: str, t: int | None) -> np.ndarray:
        """The numbers of a quantity as a matrix (a column for vectors), computed once per model."""
        key = ("value", role, t)
        if key not in self._derivatives:
            symbols = self.graph.symbols(role, t)
            self._derivatives[key] = np.array(
                [[self.number(entry) for entry in row] for row in symbols.tolist()]
            )
        return self._derivatives[key].copy()

    def total_loss(self) -> float:
        """J at this point (computed once)."""
        key = ("value", "J", None)
        if key not in self._derivatives:
            self._derivatives[key] = self.number(self.graph.J)
        return self._derivatives[key]

    def number(self, expression: sympy.Expr) -> float | mpmath.mpf:
        value = sympy.N(
            sympy.sympify(expression, strict=True).xreplace(self.values), max(30, self.digits or 0)
        )
        return float(value) if self.digits is None else _mp(value)

    def derivative(self, of: GraphQuantity, wrt: GraphQuantity, immediate: bool) -> np.ndarray:
        """The service's derivative at this point: its chain rule over its local Jacobians, in numbers.

        Same recursion as :func:`symrnn.engine.service.derivative` (which tests compare it with), but each
        local Jacobian is evaluated once and the contractions are float ``tensordot``s, not SymPy products.
        """
        key = (of, wrt, immediate)
        if key not in self._derivatives:
            self._derivatives[key] = self._chain(of, wrt, immediate)
        return self._derivatives[key]

    def _local(self, node: GraphQuantity, dep: GraphQuantity) -> np.ndarray:
        key = ("local", node, dep)
        if key not in self._derivatives:
            tensor = local_jacobian(self.graph, node, dep)
            self._derivatives[key] = (
                np.vectorize(self.number, otypes=[float])(tensor) if tensor.size else np.zeros(tensor.shape)
            )
        return self._derivatives[key]

    def _chain(self, of: GraphQuantity, wrt: GraphQuantity, immediate: bool) -> np.ndarray:
        memo: dict[GraphQuantity, np.ndarray | None] = {}
        target = shape_of(self.graph, wrt)

        def visit(node: GraphQuantity) -> np.ndarray | None:
            if node not in memo:
                if node == wrt:
                    size = int(np.prod(target, dtype=int))
                    memo[node] = np.eye(size).reshape(target + target)
                    return memo[node]
                frozen = immediate and node.role == "s" and node != of
                total = None
                for dep in () if frozen else dependencies(self.graph, node):
                    inner = visit(dep)
                    if inner is not None:
                        term = np.tensordot(
                            self._local(node, dep), inner, axes=len(shape_of(self.graph, dep))
                        )
                        total = term if total is None else total + term
                memo[node] = total
            return memo[node]

        result = visit(of)
        return np.zeros(shape_of(self.graph, of) + target) if result is None else result

    def activation(self, x: np.ndarray, derivative_order: int) -> np.ndarray:
        rule = self.graph.activation
        function = rule.function if derivative_order == 0 else rule.derivative
        if self.digits is not None:
            return np.frompyfunc(
                lambda v: _mp(sympy.N(function(sympy.Float(str(v), self.digits)), self.digits)), 1, 1
            )(x)
        return np.vectorize(lambda v: float(sympy.N(function(sympy.Float(v, 30)), 30)), otypes=[float])(x)
