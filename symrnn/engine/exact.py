"""Exact comparison at rational points: random rational leaves carried with many digits through both routes."""

from __future__ import annotations

import random

import sympy

from ..unroll import Graph

# Digits carried when both exact routes are evaluated at a rational point; agreement demanded to
# EXACT_TOLERANCE, far below any float64 effect, so only a true identity passes.
EXACT_DIGITS = 60
EXACT_TOLERANCE = 1e-45
# Denominator floor, as in numeric.reference.relative_error: two zero results agree.
RELATIVE_ERROR_FLOOR = 1e-12


def rational_point(graph: Graph, seed: int) -> dict[sympy.Symbol, sympy.Rational]:
    """Random exact values in [-1, 1] (denominators up to 7) for every leaf symbol."""
    rng = random.Random(seed)
    return {sym: sympy.Rational(rng.randint(-7, 7), rng.randint(1, 7)) for sym in graph.inputs}


def exact_relative_error(a: list[sympy.Expr], b: list[sympy.Expr]) -> float:
    """Worst |a − b| over the largest magnitude (floored), for high-precision values."""
    difference = max((abs(x - y) for x, y in zip(a, b)), default=sympy.Integer(0))
    scale = max([abs(x) for x in a] + [abs(y) for y in b] + [sympy.Float(RELATIVE_ERROR_FLOOR)])
    return float(difference / scale)
