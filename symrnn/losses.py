"""The loss rule table: per-step loss J_t(ŷ_t, y_t) and its gradient with respect to ŷ_t."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

import sympy

Vector = Sequence[sympy.Expr]


@dataclass(frozen=True)
class Loss:
    """One row: ``value(ŷ, y) -> J_t`` and ``gradient(ŷ, y) -> ∂J_t/∂ŷ_t`` (a list, one entry per output)."""

    name: str
    value: Callable[[Vector, Vector], sympy.Expr]
    gradient: Callable[[Vector, Vector], list]
    latex: str


def _sse(yhat: Vector, y: Vector) -> sympy.Expr:
    return sympy.Rational(1, 2) * sympy.Add(*[(a - b) ** 2 for a, b in zip(yhat, y)])


def _ce(yhat: Vector, y: Vector) -> sympy.Expr:
    log_normaliser = sympy.log(sympy.Add(*[sympy.exp(a) for a in yhat]))
    return -sympy.Add(*[b * (a - log_normaliser) for a, b in zip(yhat, y)])


def _ce_gradient(yhat: Vector, y: Vector) -> list:
    # d/dŷ_i of -Σ_j y_j log softmax_j = softmax_i Σ_j y_j - y_i (Σ y = 1 for a probability vector).
    normaliser = sympy.Add(*[sympy.exp(a) for a in yhat])
    total = sympy.Add(*y)
    return [sympy.exp(a) / normaliser * total - b for a, b in zip(yhat, y)]


def _shift(yhat: Vector) -> sympy.Expr:
    return sympy.Max(*yhat)


def _ce_shifted(yhat: Vector, y: Vector) -> sympy.Expr:
    # log Σ exp(ŷ_j) = M + log Σ exp(ŷ_j − M) with M = max ŷ: the same function, no overflow.
    M = _shift(yhat)
    log_normaliser = M + sympy.log(sympy.Add(*[sympy.exp(a - M) for a in yhat]))
    return -sympy.Add(*[b * (a - log_normaliser) for a, b in zip(yhat, y)])


def _ce_shifted_gradient(yhat: Vector, y: Vector) -> list:
    M = _shift(yhat)
    normaliser = sympy.Add(*[sympy.exp(a - M) for a in yhat])
    total = sympy.Add(*y)
    return [sympy.exp(a - M) / normaliser * total - b for a, b in zip(yhat, y)]


LOSSES: Mapping[str, Loss] = MappingProxyType(
    {
        "sse": Loss(
            "sse",
            _sse,
            lambda yhat, y: [a - b for a, b in zip(yhat, y)],
            r"\tfrac{1}{2}\lVert \hat{y}_t - y_t \rVert^2",
        ),
        "ce": Loss("ce", _ce, _ce_gradient, r"-\sum_i y_{t,i} \log \operatorname{softmax}(\hat{y}_t)_i"),
    }
)


# The same functions written for floating point (used by numeric compilation only).
NUMERIC_LOSSES: Mapping[str, Loss] = MappingProxyType(
    {
        "sse": LOSSES["sse"],
        "ce": Loss("ce", _ce_shifted, _ce_shifted_gradient, LOSSES["ce"].latex),
    }
)


def loss_rule(name: str, *, numeric: bool = False) -> Loss:
    """The row for a loss name; ``numeric=True`` gives the overflow-free form of the same function."""
    try:
        return (NUMERIC_LOSSES if numeric else LOSSES)[name]
    except (KeyError, TypeError):
        raise ValueError(f"unknown loss {name!r}; choose one of {', '.join(LOSSES)}") from None
