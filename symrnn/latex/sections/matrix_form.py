"""Section: the matrix form a person would write (δ recurrence, diag(f'), transposes), checked element-wise."""

from __future__ import annotations

import numpy as np
import sympy

from ...engine.exact import EXACT_DIGITS
from ...engine.service import Quantity
from ...engine.structured import backward
from ...engine.vjp import matrix_program
from ..blocks import Equation, Line, Paragraph, Section
from ..checks import combine, compare, flat, identity
from ..context import Context
from ..layout import ordered_terms
from ..matrix_program import MatrixLatex

# f'(u_t) through the state, as the argument of diag (element-wise square and product).
_F_PRIME = {
    "tanh": lambda N, t: rf"1 - {N.q('s', t)}^{{2}}",
    "sigmoid": lambda N, t: rf"{N.q('s', t)} \odot (1 - {N.q('s', t)})",
    "relu": lambda N, t: rf"\mathbf{{1}}[{N.q('s', t)} > 0]",
}


def diag_form(context: Context, t: str) -> str:
    """``diag(f'(u_t))`` written through ``s_t``; a plain factor when n = 1 and nothing for the identity."""
    N, name = context.names, context.spec.activation_name
    if name == "identity":
        return ""
    inner = _F_PRIME[name](N, t) if name in _F_PRIME else rf"f'({N.q('u', t)})"
    if context.spec.n == 1:
        return rf"\bigl({inner}\bigr)\, " if name in ("tanh", "sigmoid") else rf"{inner}\, "
    return rf"\operatorname{{diag}}\bigl({inner}\bigr)\, "


def _entries(context: Context, name: str, matrix: sympy.Matrix) -> tuple[Line, ...]:
    """One line per entry, ``∂J/∂P_{ij} = Σ_t ...``, the terms in time order and broken into rows."""
    N, P = context.names, context.graph.parameters[name]
    return tuple(
        Line(N.partial(N["J"], context.tex(symbol)), tuple(ordered_terms(entry, context.tex)))
        for symbol, entry in zip(P, matrix)
    )


def matrix_section(context: Context) -> Section:
    """g_t, the δ recurrence and every gradient as Σ_t of outer products, equal to the (t, k) sums."""
    N, spec, graph, point = context.names, context.spec, context.graph, context.point
    gradients = backward(graph)
    D = lambda t: diag_form(context, t)
    T = r"^{\top}"
    eq_g = _loss_gradient(context)
    delta = lambda t: N.q("delta", t)
    z = context.z
    # δ_t = ∂J/∂s_t, computed independently as Σ_{τ ≥ t} g_τᵀ V ∂s_τ/∂s_t from the Jacobian products.
    adjoint = dict(point.values)
    for sym, expression in gradients.adjoint_definitions.items():
        adjoint[sym] = sympy.N(expression.xreplace(adjoint), EXACT_DIGITS)
    rows = {}
    for t in range(1, z + 1):
        rows[t] = sum(
            np.asarray(
                point.immediate(Quantity("J", tau), Quantity("yhat", tau)).dot(
                    point.immediate(Quantity("yhat", tau), Quantity("s", tau))
                ),
                dtype=object,
            ).dot(point.jacobian_product(tau, t))
            for tau in range(t, z + 1)
        )
    checks = [
        compare(
            flat(rows[t]),
            [adjoint[d] for d in gradients.deltas[t - 1]],
            method="chain rule",
            what=rf"${delta(t)}$ of the recurrence and $\sum_{{t \geq {t}}}$ of "
            rf"${N.partial(N.q('J', 't'), N.q('s', 't'))} {N.partial(N.q('s', 't'), N.q('s', t))}$",
        )
        for t in range(1, z + 1)
    ]
    blocks: list = [
        Paragraph(
            r"Collecting the $(t, k)$ terms of each gradient by $k$ instead of by $t$ turns the "
            r"double sum (9), (16) into one backward pass. Squares and $\odot$ are element-wise."
        )
    ]
    blocks += _swap_of_sums(context, rows)
    shown = range(1, z + 1) if context.expand else sorted({z - 1, z} - {0})
    delta_lines = tuple(
        Line(context.tex(sym), tuple(ordered_terms(gradients.adjoint_definitions[sym], context.tex)))
        for t in reversed(list(shown))
        for sym in gradients.deltas[t - 1]
    )
    # The right sides are printed from the engine's matrix-level program, derived from the cell's equations.
    program = matrix_program(spec)
    printed = MatrixLatex(context, D)
    eq_delta = Equation(
        "(M2)",
        rf"{delta('t')} = {N.partial(N['J'], N.q('s', 't'))}",
        rf"{printed(program.inlined('s'))}, \quad {delta('z+1')} = 0",
        combine(checks),
        instance=delta_lines,
        caption="Element by element (the recurrence runs backwards from $t = z$):"
        if context.expand
        else rf"Element by element for $t = {z}$ and $t = {z - 1}$:"
        if z > 1
        else "Element by element:",
        note=rf"(D4) transposed: ${N.partial(N.q('J', 'k'), N.q('s', 'k'))}^{{\top}} = {N['V']}{T} g_k$ by (B), "
        rf"and $\bigl({N.partial(N.q('s', 'k+1'), N.q('s', 'k'))}\bigr)^{{\top}} = {N['U']}{T} "
        rf"{D('k+1')}$ by [21].",
    )
    blocks += [eq_g, eq_delta]
    forms = {
        name: rf"\sum_{{t=1}}^{{z}} {printed(program.inline(contribution))}"
        for name, contribution in program.parameters.items()
    }
    for number, P in enumerate(spec.parameter_names, start=3):
        reference = point.reference_gradients[P]
        elementwise = sum((point.chain(P, t) for t in range(1, z + 1)), start=point.zeros(P))
        check = compare(
            flat(reference),
            flat(elementwise),
            method="element-wise terms",
            what=rf"the matrix form of ${N.partial(N['J'], N[P])}$ and the sum of its $(t, k)$ terms",
        )
        blocks.append(
            Equation(
                f"(M{number})",
                N.partial(N["J"], N[P]),
                forms[P],
                check,
                instance=_entries(context, P, gradients[P]),
                caption="Entry by entry:",
            )
        )
    return Section(r"From the double sum to the $\delta$ recurrence: the matrix form", tuple(blocks))


def _loss_gradient(context: Context) -> Equation:
    """(M1) g_t, checked as displayed: SymPy's derivative of J_1 against ŷ − y or softmax(ŷ) − y written out."""
    N, graph, spec = context.names, context.graph, context.spec
    yhat, y = list(graph.symbols("yhat", 1)), list(graph.symbols("y", 1))
    J_1 = graph.step("J", 1).expression[0]
    yhat_t, y_t = N.q("yhat", "t"), N.q("y", "t")
    if spec.loss == "sse":
        displayed = [a - b for a, b in zip(yhat, y)]
        pairs = list(zip([sympy.diff(J_1, a) for a in yhat], displayed))
        rhs, what = (
            rf"{yhat_t} - {y_t}",
            rf"SymPy's derivative of ${N.q('J', 1)}$ against ${N.q('yhat', 1)} - {N.q('y', 1)}$",
        )
    else:
        # y_t is a probability vector: its last entry is 1 minus the others (else the gradient is softmax·Σy − y)
        last = {y[-1]: 1 - sum(y[:-1])}
        total = sum(sympy.exp(a) for a in yhat)
        displayed = [sympy.exp(a) / total - b for a, b in zip(yhat, y)]
        pairs = [(sympy.diff(J_1, a).xreplace(last), d.xreplace(last)) for a, d in zip(yhat, displayed)]
        rhs = rf"\operatorname{{softmax}}({yhat_t}) - {y_t}"
        what = (
            rf"SymPy's derivative of ${N.q('J', 1)}$ against $\operatorname{{softmax}}({N.q('yhat', 1)}) - {N.q('y', 1)}$ "
            rf"with $\operatorname{{softmax}}$ written out, for $y$ a probability vector"
        )
    return Equation(
        "(M1)",
        rf"g_t = \nabla_{{{yhat_t}}} {N.q('J', 't')}",
        rhs,
        identity(pairs, what=what),
        note=r"For cross-entropy, $y_t$ is a probability vector (its entries sum to 1); otherwise the gradient "
        r"is $\operatorname{softmax}(\hat{y}_t) \sum_i y_{t,i} - y_t$."
        if spec.loss == "ce"
        else "",
    )


def _swap_of_sums(context: Context, rows: dict[int, np.ndarray]) -> list:
    """(D1)-(D4): swap Σ_t Σ_{k≤t} into Σ_k Σ_{t≥k}, define δ_k, and split off its t = k term."""
    N, z, point = context.names, context.z, context.point
    a = {(t, k): sympy.Symbol(f"a_{{{t},{k}}}") for t in range(1, z + 1) for k in range(1, t + 1)}
    by_t = sympy.Add(*[a[t, k] for t in range(1, z + 1) for k in range(1, t + 1)])
    by_k = sympy.Add(*[a[t, k] for k in range(1, z + 1) for t in range(k, z + 1)])
    d1 = Equation(
        "(D1)",
        r"\sum_{t=1}^{z} \sum_{k=1}^{t} a_{t,k}",
        r"\sum_{k=1}^{z} \sum_{t=k}^{z} a_{t,k}",
        identity([(by_t, by_k)], what=rf"both double sums over ${len(a)}$ symbols $a_{{t,k}}$ for $z = {z}$"),
        note=r"Both run over the same pairs $1 \leq k \leq t \leq z$: first by the output $t$, then by the "
        r"state $k$ at which the parameter acts.",
    )
    J_t, yhat_t, s_t, s_k = N.q("J", "t"), N.q("yhat", "t"), N.q("s", "t"), N.q("s", "k")
    W, delta = N["W"], (lambda t: N.q("delta", t))
    gradient_W = sum(
        (
            np.tensordot(
                np.asarray(rows[k], dtype=object), point.immediate(Quantity("s", k), Quantity("W")), axes=1
            )
            for k in range(1, z + 1)
        ),
        start=point.zeros("W"),
    )
    d2 = Equation(
        "(D2)",
        N.partial(N["J"], W),
        rf"\sum_{{k=1}}^{{z}} \Bigl(\sum_{{t=k}}^{{z}} {N.partial(J_t, yhat_t)} {N.partial(yhat_t, s_t)} "
        rf"{N.partial(s_t, s_k)}\Bigr) {N.partial(s_k, W, immediate=True)} = \sum_{{k=1}}^{{z}} {delta('k')}^{{\top}} "
        rf"{N.partial(s_k, W, immediate=True)}",
        compare(
            flat(gradient_W),
            flat(point.reference_gradients["W"]),
            method="delta recurrence",
            what=rf"$\sum_k {delta('k')}^{{\top}} {N.partial(s_k, W, immediate=True)}$ and ${N.partial(N['J'], W)}$",
        ),
        note=r"(9) summed over $t$, with (D1): the factor $"
        + N.partial(s_k, W, immediate=True)
        + r"$ does not depend on "
        r"$t$ and leaves the inner sum, which defines $" + delta("k") + "$ in (D3).",
    )
    dJ_s = lambda t: N.partial(N.q("J", t), N.q("s", t))
    d3 = Equation(
        "(D3)",
        rf"{delta('k')}^{{\top}}",
        rf"\sum_{{t=k}}^{{z}} {dJ_s('t')} {N.partial(s_t, s_k)} = "
        rf"{N.partial(N['J'], s_k)}",
        compare(
            flat(rows[z]),
            flat(
                point.immediate(Quantity("J", z), Quantity("yhat", z)).dot(
                    point.immediate(Quantity("yhat", z), Quantity("s", z))
                )
            ),
            method="chain rule",
            what=rf"${delta(z)}^{{\top}}$ (one term) and ${dJ_s(z)}$",
        ),
        note=rf"The total effect of ${s_k}$ on the loss: through its own output and every later state.",
    )
    step = point.step_jacobians
    checks = [
        compare(
            flat(rows[k]),
            flat(
                np.asarray(
                    point.immediate(Quantity("J", k), Quantity("yhat", k)).dot(
                        point.immediate(Quantity("yhat", k), Quantity("s", k))
                    ),
                    dtype=object,
                )
                + (np.asarray(rows[k + 1], dtype=object).dot(step[k + 1]) if k < z else 0)
            ),
            method="chain rule",
            what=rf"both sides of (D4) for $k = {k}$",
        )
        for k in range(1, z + 1)
    ]
    d4 = Equation(
        "(D4)",
        rf"{delta('k')}^{{\top}}",
        rf"{dJ_s('k')} + \Bigl(\sum_{{t=k+1}}^{{z}} {dJ_s('t')} {N.partial(s_t, N.q('s', 'k+1'))}\Bigr) "
        rf"{N.partial(N.q('s', 'k+1'), s_k)} = {dJ_s('k')} + {delta('k+1')}^{{\top}} "
        rf"{N.partial(N.q('s', 'k+1'), s_k)}",
        combine(checks),
        note=rf"The $t = k$ term split off (${N.partial(s_k, s_k)} = I$), and (17) factored: "
        rf"${N.partial(s_t, s_k)} = {N.partial(s_t, N.q('s', 'k+1'))} {N.partial(N.q('s', 'k+1'), s_k)}$; "
        rf"${delta('z+1')} = 0$ (an empty sum).",
    )
    return [d1, d2, d3, d4]
