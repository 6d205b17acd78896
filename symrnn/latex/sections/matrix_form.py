"""Section: the matrix form a person would write (δ recurrence, diag(f'), transposes), checked element-wise."""
from __future__ import annotations

import numpy as np
import sympy

from ...engine.service import Quantity
from ...engine.structured import backward
from ..blocks import Equation, Line, Paragraph, Section
from ...engine.exact import EXACT_DIGITS
from ..checks import combine, compare, flat, identity
from ..context import Context

_DIAG = {
    "tanh": lambda N, t: rf"\operatorname{{diag}}\bigl(1 - {N.q('s', t)}^{{2}}\bigr)",
    "sigmoid": lambda N, t: rf"\operatorname{{diag}}\bigl({N.q('s', t)} \odot (1 - {N.q('s', t)})\bigr)",
    "relu": lambda N, t: rf"\operatorname{{diag}}\bigl(\mathbf{{1}}[{N.q('u', t)} > 0]\bigr)",
    "identity": lambda N, t: "I",
}


def _entries(context: Context, name: str, matrix: sympy.Matrix) -> tuple[Line, ...]:
    """One line per entry, ``∂J/∂P_{ij} = Σ_t ...`` with one printed row per time step."""
    N, P = context.names, context.graph.parameters[name]
    lines = []
    for symbol, entry in zip(P, matrix):
        parts = sympy.Add.make_args(entry) if context.expand else (entry,)
        lines.append(Line(N.partial(N["J"], context.tex(symbol)), tuple(context.tex(part) for part in parts)))
    return tuple(lines)


def matrix_section(context: Context) -> Section:
    """g_t, the δ recurrence and every gradient as Σ_t of outer products, equal to the (t, k) sums."""
    N, spec, graph, point = context.names, context.spec, context.graph, context.point
    gradients = backward(graph)
    name = spec.activation_name
    D = (lambda t: _DIAG[name](N, t)) if name in _DIAG else (lambda t: rf"\operatorname{{diag}}\bigl(f'({N.q('u', t)})\bigr)")
    T = r"^{\top}"
    yhat_t, y_t = N.q("yhat", "t"), N.q("y", "t")
    g_pairs = []
    for t in (1,):
        yhat, y = list(graph.symbols("yhat", t)), list(graph.symbols("y", t))
        J_t = graph.step("J", t).expression[0]
        g_pairs += list(zip([sympy.diff(J_t, a) for a in yhat], graph.loss.gradient(yhat, y)))
    rhs_g = rf"{yhat_t} - {y_t}" if spec.loss == "sse" else rf"\operatorname{{softmax}}({yhat_t}) - {y_t}"
    eq_g = Equation("(M1)", rf"g_t = \nabla_{{{yhat_t}}} {N.q('J', 't')}", rhs_g,
                    identity(g_pairs, what="d J_1/d yhat_1 and the loss table's gradient"),
                    note=r"For cross-entropy, $y_t$ is a probability vector (its entries sum to 1)." if spec.loss == "ce" else "")
    delta = lambda t: N.q("delta", t)  # noqa: E731
    # δ_t = ∂J/∂s_t, computed independently as Σ_{τ ≥ t} g_τᵀ V ∂s_τ/∂s_t from the Jacobian products.
    checks = []
    adjoint = dict(point.values)
    for sym, expression in gradients.adjoint_definitions.items():
        adjoint[sym] = sympy.N(expression.xreplace(adjoint), EXACT_DIGITS)
    for t in range(1, context.z + 1):
        row = sum(np.asarray(point.immediate(Quantity("J", tau), Quantity("yhat", tau)).dot(
            point.immediate(Quantity("yhat", tau), Quantity("s", tau))), dtype=object).dot(point.jacobian_product(tau, t))
            for tau in range(t, context.z + 1))
        checks.append(compare(flat(row), [adjoint[d] for d in gradients.deltas[t - 1]],
                              method="chain rule", what=f"delta_{t} and the sum over tau >= {t} of g_tau^T V ds_tau/ds_{t}"))
    shown = range(1, context.z + 1) if context.expand else sorted({context.z - 1, context.z} - {0})
    delta_lines = tuple(Line(context.tex(sym), tuple(context.tex(part) for part in
                                                     sympy.Add.make_args(gradients.adjoint_definitions[sym])))
                        for t in reversed(list(shown)) for sym in gradients.deltas[t - 1])
    eq_delta = Equation("(M2)", rf"{delta('t')} = {N.partial(N['J'], N.q('s', 't'))}",
                        rf"{N['V']}{T} g_t + {N['U']}{T} {D('t+1')}\, {delta('t+1')}, \quad {delta('z+1')} = 0",
                        combine(checks), instance=delta_lines,
                        caption="Element by element (the recurrence runs backwards from $t = z$):" if context.expand else
                        rf"Element by element for $t = {context.z}$ and $t = {context.z - 1}$:" if context.z > 1 else "Element by element:")
    blocks: list = [Paragraph(r"Collecting the $(t, k)$ terms of each gradient by $k$ gives the reverse-mode "
                              r"recurrence: the sums over $k$ become one backward pass over $\delta_t$, the gradients sums "
                              r"over $t$ of outer products. Squares and $\odot$ are element-wise."), eq_g, eq_delta]
    forms = {"V": rf"\sum_{{t=1}}^{{z}} g_t\, {N.q('s', 't')}{T}", "c": r"\sum_{t=1}^{z} g_t",
             "W": rf"\sum_{{t=1}}^{{z}} {D('t')}\, {delta('t')}\, {N.q('x', 't')}{T}",
             "U": rf"\sum_{{t=1}}^{{z}} {D('t')}\, {delta('t')}\, {N.q('s', 't-1')}{T}",
             "b": rf"\sum_{{t=1}}^{{z}} {D('t')}\, {delta('t')}"}
    for number, P in enumerate(spec.parameter_names, start=3):
        reference = point.reference_gradients[P]
        elementwise = sum((point.chain(P, t) for t in range(1, context.z + 1)), start=point.zeros(P))
        check = compare(flat(reference), flat(elementwise), method="element-wise terms",
                        what=f"the matrix form of dJ/d{P} (delta recurrence) and the sum of its (t, k) terms")
        blocks.append(Equation(f"(M{number})", N.partial(N["J"], N[P]), forms[P], check,
                               instance=_entries(context, P, gradients[P]), caption="Entry by entry:"))
    return Section(r"The matrix form", tuple(blocks))
