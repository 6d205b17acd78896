"""Small helpers the documents need on top of the engine (one place, so an engine change is one edit here)."""

from __future__ import annotations

import sympy

from ..unroll import Graph


def f_prime(graph: Graph, t: int) -> sympy.Matrix:
    """``f'(u_t)`` as a column, written through ``s_t`` where the activation has that form (1 − s², s(1 − s))."""
    rule = graph.activation
    if rule.derivative_of_output is not None:
        return graph.symbols("s", t).applyfunc(rule.derivative_of_output)
    return graph.symbols("u", t).applyfunc(rule.derivative)
