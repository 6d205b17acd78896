"""The work of a verdict, estimated from the formula tree before anything is evaluated, and its limits."""

from __future__ import annotations

from ..errors import SymRNNError
from . import tree as T

MAX_SIZE = 8
"""Largest size e, n or m a verdict checks (a relation of this language that holds for sizes up to 3
holds for all; larger sizes only cost time: SymPy unrolls every entry)."""
MAX_WORK = 2_000_000
"""Most node evaluations (terms of every Σ/Π, over every case, layout and index value) of one verdict."""
MAX_EXPONENT = 64
"""Largest exponent of a power (``U^{k}``, ``s_t^{k}``): beyond it float64 under- or overflows."""
MAX_SUM_TERMS = 10_000
"""Most terms of one Σ or Π."""


def _magnitude(index: T.Index | None, z_max: int) -> int:
    """An upper bound of |index| when every variable lies in 0..z_max."""
    if index is None:
        return z_max
    return abs(index.constant) + sum(abs(c) for _, c in index.terms) * z_max


def _span(node: T.Sum | T.Product, z_max: int) -> int:
    """An upper bound of the number of terms of a Σ/Π (nothing is evaluated)."""
    if node.lower is None or node.upper is None:
        return z_max + 1
    return max(_magnitude(node.upper, z_max) + _magnitude(node.lower, z_max) + 1, 1)


def node_work(node: T.Node, z_max: int) -> int:
    """Node evaluations of one evaluation of ``node`` (an upper bound, refusing a power or Σ/Π over the limits)."""
    if isinstance(node, (T.Sum, T.Product)):
        terms = _span(node, z_max)
        if terms > MAX_SUM_TERMS:
            kind = "\\sum" if isinstance(node, T.Sum) else "\\prod"
            raise SymRNNError(
                f"a {kind} over {node.variable} has up to {terms:,} terms; the limit is "
                f"{MAX_SUM_TERMS:,} (a sum over time has at most z terms)"
            )
        return 1 + terms * node_work(node.body, z_max)
    if isinstance(node, T.Power):
        exponent = _magnitude(node.exponent, z_max)
        if exponent > MAX_EXPONENT:
            raise SymRNNError(
                f"the exponent {node.exponent} can reach {exponent:,}; the limit is {MAX_EXPONENT} "
                "(float64 under- or overflows beyond it, so no verdict would be honest)"
            )
        return 1 + node_work(node.base, z_max)
    return 1 + sum(node_work(child, z_max) for child in T.children(node))


def check_sizes(sizes: tuple[tuple[int, int, int], ...], lengths: tuple[int, ...]) -> None:
    """Refuse sizes or lengths beyond what a verdict can afford."""
    for size in sizes:
        for name, value in zip(("e", "n", "m"), size):
            if value > MAX_SIZE:
                raise SymRNNError(
                    f"--{name} {value} is over the verify limit of {MAX_SIZE} "
                    "(the formula's truth does not depend on size; try --n 3)"
                )


def estimate(formula: T.Formula, *, lengths: tuple[int, ...], cases: int, layouts: int) -> int:
    """The work of a verdict, refused with SymRNNError when it exceeds MAX_WORK."""
    z_max = max(lengths)
    total = 0
    for equation in formula.equations:
        free = len(T.free_variables(equation) - T.LENGTH_VARIABLES)
        per_case = node_work(equation, z_max) * (z_max + 1) ** free
        total += per_case * cases * layouts * 5  # 5: the generic P is checked for each parameter
    if total > MAX_WORK:
        raise SymRNNError(
            f"the formula needs about {total:,} evaluations; the limit is {MAX_WORK:,} "
            "(lower --z-max or split the formula)"
        )
    return total
