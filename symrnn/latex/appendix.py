"""Appendix: small NumPy functions of the reference BPTT rendered by latexify-py, checked against it."""

from __future__ import annotations

import sys

import numpy as np

from ..spec import RNNSpec
from .blocks import Equation, Paragraph, Section
from .checks import Check

# latexify's identifiers option renames Python identifiers (its values must be identifiers too, so
# W_hh cannot become W_{hh}); the functions therefore use the notes' one-letter names.
IDENTIFIERS = {"activation_prime": "f_prime", "activation": "f"}
TOLERANCE = 1e-12


def activation(u):
    return np.tanh(u)


def activation_prime(s):
    return 1 - s**2


def step(W, x, U, s, b):
    return np.tanh(W @ x + U @ s + b)


def adjoint(V, g, U, r):
    return np.transpose(V) @ g + np.transpose(U) @ r


def gradient_step(r, x):
    return np.outer(r, x)


FUNCTIONS = (activation, activation_prime, step, adjoint, gradient_step)


def agreement() -> float:
    """Worst relative error of these functions, composed into BPTT, against numeric/reference.py."""
    from ..numeric import reference

    rng = np.random.default_rng(0)
    n, e, m, z = 3, 2, 2, 4
    W, U, V, b = (
        rng.normal(size=(n, e)),
        rng.normal(size=(n, n)) * 0.5,
        rng.normal(size=(m, n)),
        rng.normal(size=n),
    )
    xs, ys = rng.normal(size=(z, e)), rng.normal(size=(z, m))
    states = [np.zeros(n)]
    for t in range(z):
        states.append(step(W, xs[t], U, states[-1], b))
    r_next, grad_W = np.zeros(n), np.zeros((n, e))
    for t in range(z, 0, -1):
        g_t = V @ states[t] - ys[t - 1]
        r_next = activation_prime(states[t]) * adjoint(V, g_t, U, r_next)
        grad_W += gradient_step(r_next, xs[t - 1])
    _, grads = reference.loss_and_gradients({"W": W, "U": U, "V": V, "b": b}, xs, ys)
    forward = reference.forward({"W": W, "U": U, "V": V, "b": b}, xs, ys)
    return max(
        reference.relative_error(grad_W, grads["W"]),
        reference.relative_error(np.array(states[1:]), forward["s"][1:]),
        reference.relative_error(activation(xs), np.tanh(xs)),
    )


def appendix_section(spec: RNNSpec) -> Section:
    """The reference functions as LaTeX (latexify-py), or a note when latexify is unavailable."""
    title = "Appendix: the reference code (rendered by latexify-py)"
    if sys.version_info >= (3, 14):
        return Section(
            title, (Paragraph("latexify-py does not support Python 3.14 or later; the appendix is omitted."),)
        )
    try:
        import latexify
    except ImportError:
        return Section(title, (Paragraph("latexify-py is not installed; the appendix is omitted."),))
    error = agreement()
    check = Check(
        "reference",
        error <= TOLERANCE,
        "composed into backpropagation through time (tanh, squared error, no output bias), these functions "
        "compared with an independent NumPy implementation of it",
        error=error,
        how="an independent NumPy implementation",
    )
    blocks: list = [
        Paragraph(
            r"Small NumPy functions, rendered from their Python source by latexify-py; composed into "
            r"backpropagation through time they reproduce an independent NumPy implementation "
            r"($s$ is the previous state in step, $r = f'(u) \odot \delta$ in the last two)."
        )
    ]
    for number, function in enumerate(FUNCTIONS, start=1):
        text = str(latexify.get_latex(function, identifiers=IDENTIFIERS, use_math_symbols=True))
        lhs, _, rhs = text.partition(" = ")
        blocks.append(Equation(f"(P{number})", lhs, rhs, check))
    return Section(title, tuple(blocks))
