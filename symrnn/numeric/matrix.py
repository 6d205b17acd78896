"""Matrix-level NumPy source for one spec: batched matmuls, the δ recurrence, outer products over t."""
from __future__ import annotations

from typing import Callable

import sympy
from sympy.printing.numpy import NumPyPrinter

from ..activations import activation_rule
from ..losses import loss_rule
from ..notation import symbol_name
from ..spec import RNNSpec

INDENT = "    "


class _Printer(NumPyPrinter):
    """NumPy printing with Max/Min as one ``numpy.amax``/``amin`` over the stacked arguments (no functools)."""

    def _print_Max(self, expr: sympy.Max) -> str:
        return f"numpy.amax([{', '.join(map(self._print, expr.args))}], axis=0)"

    def _print_Min(self, expr: sympy.Min) -> str:
        return f"numpy.amin([{', '.join(map(self._print, expr.args))}], axis=0)"


def _printer() -> NumPyPrinter:
    return _Printer({"fully_qualified_modules": True, "inline": True, "allow_unknown_functions": False})


def activation_source(spec: RNNSpec) -> str:
    """``f(u)`` and ``f_prime(u, s)`` as elementwise NumPy functions, printed from the activation rule table."""
    rule, printer = activation_rule(spec.activation), _printer()
    u = sympy.Symbol(symbol_name("u"), real=True)
    s = sympy.Symbol(symbol_name("s"), real=True)
    if rule.derivative_of_output is not None:
        prime, through = rule.derivative_of_output(s), "written through the output s = f(u)"
    else:
        prime, through = rule.derivative(u), "as a function of u"
    name = spec.activation_name
    return (
        f"def f(u):\n{INDENT}\"\"\"The activation ({name}), elementwise.\"\"\"\n"
        f"{INDENT}return {printer.doprint(rule.function(u))}\n\n\n"
        f"def f_prime(u, s):\n{INDENT}\"\"\"f'(u) ({through}), elementwise.\"\"\"\n"
        f"{INDENT}return {printer.doprint(prime)}\n"
    )


# Beyond this many outputs, printing the loss component by component costs O(m) NumPy calls per
# step (155 of 240 µs at m = 32, B = 1); the whole-vector forms below are the same functions
# (tests/test_backends.py compares them with the printed rule-table form).
VECTOR_LOSS_ABOVE = 4
VECTOR_LOSSES = {
    "sse": '''def loss_terms(yhat, y):
    """J_t = ½‖ŷ_t − y_t‖² and g_t = ŷ_t − y_t over the last axis."""
    g = yhat - y
    return 0.5 * numpy.einsum("...i,...i->...", g, g), g
''',
    "ce": '''def loss_terms(yhat, y):
    """J_t = −Σ_i y_i log softmax(ŷ_t)_i and g_t = softmax(ŷ_t) Σ_i y_i − y_t, shifted by max ŷ_t."""
    shifted = yhat - yhat.max(axis=-1, keepdims=True)
    exponentials = numpy.exp(shifted)
    normaliser = exponentials.sum(axis=-1, keepdims=True)
    total = y.sum(axis=-1, keepdims=True)
    J_t = -(y * (shifted - numpy.log(normaliser))).sum(axis=-1)
    return J_t, exponentials / normaliser * total - y
''',
}


def loss_source(spec: RNNSpec, *, vectorised: bool | None = None) -> str:
    """``loss_terms(yhat, y) -> (J_t, g_t)`` over the last axis.

    Printed from the loss rule table (with CSE) for small m; for m > VECTOR_LOSS_ABOVE (or
    ``vectorised=True``) the whole-vector NumPy form of the same loss.
    """
    if vectorised is None:
        vectorised = spec.m > VECTOR_LOSS_ABOVE
    if vectorised:
        return VECTOR_LOSSES[spec.loss]
    rule, printer, m = loss_rule(spec.loss, numeric=True), _printer(), spec.m
    yhat = [sympy.Symbol(symbol_name("yhat", i), real=True) for i in range(m)]
    y = [sympy.Symbol(symbol_name("y", i), real=True) for i in range(m)]
    outputs = [rule.value(yhat, y), *rule.gradient(yhat, y)]
    replacements, reduced = sympy.cse(outputs, symbols=sympy.numbered_symbols("common_"), order="none")
    lines = [
        "def loss_terms(yhat, y):",
        f"{INDENT}\"\"\"J_t = {spec.loss} loss and g_t = ∂J_t/∂ŷ_t, acting on the last axis (size m = {m}).\"\"\"",
        f"{INDENT}{', '.join(map(str, yhat))}, = numpy.moveaxis(yhat, -1, 0)",
        f"{INDENT}{', '.join(map(str, y))}, = numpy.moveaxis(y, -1, 0)",
    ]
    lines += [f"{INDENT}{symbol} = {printer.doprint(expression)}" for symbol, expression in replacements]

    def array(entry: sympy.Expr) -> str:  # a constant entry still needs the batch shape
        return printer.doprint(entry) + (" + 0 * yhat_0" if entry.is_number else "")

    components = ", ".join(array(entry) for entry in reduced[1:])
    lines.append(f"{INDENT}J_t = {array(reduced[0])}")
    lines.append(f"{INDENT}return J_t, numpy.stack([{components}], axis=-1)")
    return "\n".join(lines) + "\n"


def core_parameters(spec: RNNSpec) -> list[str]:
    """The argument names of the core function: W, U, V, (b, c,) xs, ys, s0."""
    return ["W", "U", "V", *(("b", "c") if spec.bias else ()), "xs", "ys", "s0"]


def core_source(spec: RNNSpec) -> str:
    """``forward_backward(W, U, V, b, c, xs, ys, s0)`` on batched arrays: the structured BPTT as matmuls."""
    arguments = ", ".join(core_parameters(spec))
    plus_b, plus_c = (" + b", " + c") if spec.bias else ("", "")
    body = f'''def forward_backward({arguments}):
    """Loss and gradients for a batch: xs (B, z, e), ys (B, z, m), s0 (B, n) -> (J (B,), gradients).

    Forward u_t = W x_t + U s_(t-1) + b, s_t = f(u_t), ŷ_t = V s_t + c; backward
    δ_t = Vᵀ g_t + Uᵀ r_(t+1), r_t = f'(u_t) ⊙ δ_t; each gradient is a sum over t of outer products.
    """
    z, B = xs.shape[1], xs.shape[0]
    u = xs.transpose(1, 0, 2) @ W.T{plus_b}  # (z, B, n): W x_t + b for every t at once
    s = numpy.empty((z + 1, B, U.shape[0]))
    s[0] = s0
    U_T = U.T
    for t in range(z):
        u[t] += s[t] @ U_T
        s[t + 1] = f(u[t])
    yhat = s[1:] @ V.T{plus_c}  # (z, B, m)
    J_t, g = loss_terms(yhat, ys.transpose(1, 0, 2))  # g_t = ∂J_t/∂ŷ_t, (z, B, m)
    f_prime_u = f_prime(u, s[1:])
    r = g @ V  # Vᵀ g_t for every t, then the recurrence adds Uᵀ r_(t+1) and multiplies by f'(u_t)
    r[z - 1] *= f_prime_u if numpy.ndim(f_prime_u) == 0 else f_prime_u[z - 1]
    for t in range(z - 2, -1, -1):
        r[t] += r[t + 1] @ U
        r[t] *= f_prime_u if numpy.ndim(f_prime_u) == 0 else f_prime_u[t]
    r_by_sequence = r.transpose(1, 2, 0)  # (B, n, z)
    g_by_sequence = g.transpose(1, 2, 0)  # (B, m, z)
    gradients = {{
        "W": r_by_sequence @ xs,  # Σ_t r_t x_tᵀ
        "U": r_by_sequence @ s[:-1].transpose(1, 0, 2),  # Σ_t r_t s_(t-1)ᵀ
        "V": g_by_sequence @ s[1:].transpose(1, 0, 2),  # Σ_t g_t s_tᵀ
    }}
'''
    if spec.bias:
        body += f'{INDENT}gradients["b"] = r.sum(axis=0)\n{INDENT}gradients["c"] = g.sum(axis=0)\n'
    if spec.initial_state_parameter:
        body += f'{INDENT}gradients["s0"] = r[0] @ U  # Uᵀ r_1\n'
    body += f"{INDENT}return J_t.sum(axis=0), gradients\n"
    return body


def module_body(spec: RNNSpec) -> str:
    """The computational part of a generated module (needs only ``import numpy``)."""
    return "\n\n".join([activation_source(spec), loss_source(spec), core_source(spec)])


def compile_matrix(spec: RNNSpec) -> tuple[Callable, str]:
    """``(forward_backward, source)``: the matrix-level code of ``spec`` executed in a fresh namespace."""
    import numpy

    source = "import numpy\n\n\n" + module_body(spec)
    namespace: dict = {"numpy": numpy, "__name__": f"symrnn_matrix_{spec.activation_name}_{spec.loss}"}
    exec(compile(source, "<symrnn matrix backend>", "exec"), namespace)  # noqa: S102 - our own printed code
    return namespace["forward_backward"], source
