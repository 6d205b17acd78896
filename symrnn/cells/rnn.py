"""The notes' vanilla RNN cell: one pure step on SymPy matrices."""
from __future__ import annotations

from typing import Mapping

import sympy

from ..activations import Activation
from ..algebra import matvec


def rnn_preactivation(s_prev: sympy.Matrix, x_t: sympy.Matrix, params: Mapping[str, sympy.Matrix]) -> sympy.Matrix:
    """``u_t = W x_t + U s_{t-1} + b``.

    Args:
        s_prev: previous state, shape (n, 1).
        x_t: input, shape (e, 1).
        params: ``W (n,e)``, ``U (n,n)`` and optionally ``b (n,1)``.

    Returns:
        The pre-activation, shape (n, 1).
    """
    u_t = matvec(params["W"], x_t) + matvec(params["U"], s_prev)
    return u_t + params["b"] if "b" in params else u_t


def rnn_state(u_t: sympy.Matrix, activation: Activation) -> sympy.Matrix:
    """``s_t = f(u_t)`` element-wise; shape (n, 1)."""
    return u_t.applyfunc(activation.function)


def rnn_output(s_t: sympy.Matrix, params: Mapping[str, sympy.Matrix]) -> sympy.Matrix:
    """``ŷ_t = V s_t + c``; shape (m, 1)."""
    yhat_t = matvec(params["V"], s_t)
    return yhat_t + params["c"] if "c" in params else yhat_t


def rnn_step(
    s_prev: sympy.Matrix, x_t: sympy.Matrix, params: Mapping[str, sympy.Matrix], activation: Activation
) -> sympy.Matrix:
    """One step ``s_t = f(W x_t + U s_{t-1} + b)``; shape (n, 1)."""
    return rnn_state(rnn_preactivation(s_prev, x_t, params), activation)
