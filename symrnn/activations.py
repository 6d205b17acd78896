"""The activation rule table: function, derivative, and derivative written through the output."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

import sympy

Expr = sympy.Expr


@dataclass(frozen=True)
class Activation:
    """One row of the table.

    Attributes:
        name: table key.
        function: ``u -> f(u)``.
        derivative: ``u -> f'(u)``, equal to ``sympy.diff(function(u), u)`` (relu'(0) = 0, as in PyTorch).
        derivative_of_output: ``y -> f'(u)`` written through ``y = f(u)``, when such a form exists.
        latex_derivative_of_output: that form as the notes write it, with ``f`` for the output.
    """

    name: str
    function: Callable[[Expr], Expr]
    derivative: Callable[[Expr], Expr]
    derivative_of_output: Callable[[Expr], Expr] | None
    latex_derivative_of_output: str | None


def _relu(u: Expr) -> Expr:
    return sympy.Piecewise((u, u > 0), (0, True))


def _step(u: Expr) -> Expr:
    return sympy.Piecewise((1, u > 0), (0, True))


def _sigmoid(u: Expr) -> Expr:
    return 1 / (1 + sympy.exp(-u))


ACTIVATIONS: Mapping[str, Activation] = MappingProxyType(
    {
        "tanh": Activation(
            "tanh", sympy.tanh, lambda u: 1 - sympy.tanh(u) ** 2, lambda y: 1 - y**2, "1 - f^2"
        ),
        "sigmoid": Activation(
            "sigmoid", _sigmoid, lambda u: _sigmoid(u) * (1 - _sigmoid(u)), lambda y: y * (1 - y), "f (1 - f)"
        ),
        "relu": Activation("relu", _relu, _step, None, None),
        "identity": Activation(
            "identity", lambda u: u, lambda u: sympy.Integer(1), lambda y: sympy.Integer(1), "1"
        ),
    }
)


def activation_rule(activation: str | sympy.Lambda) -> Activation:
    """The row for a table name, or a row made from a one-argument ``sympy.Lambda``."""
    if isinstance(activation, sympy.Lambda):
        (v,) = activation.variables
        derivative = sympy.Lambda(v, sympy.diff(activation.expr, v))
        return Activation("custom", lambda u: activation(u), lambda u: derivative(u), None, None)
    try:
        return ACTIVATIONS[activation]
    except (KeyError, TypeError):
        raise ValueError(
            f"unknown activation {activation!r}; choose one of {', '.join(ACTIVATIONS)}"
        ) from None
