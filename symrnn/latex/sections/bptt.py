"""Sections: ds_2/dW (Eqs. 3-8), dJ_t/dW (9), dJ/dV (10-12), dJ/dU (13-16), and the biases."""
from __future__ import annotations

import numpy as np
import sympy

from ...engine.service import Quantity, derivative
from ...engine.structured import jacobian_product
from ..blocks import Equation, Line, Paragraph, Section
from ...engine.service import dependencies
from ..checks import Check, combine, compare, flat, identity
from ..context import Context


def chain(context: Context, P: str, t: str | int, k: str | int | None) -> str:
    """LaTeX of one chain-rule term ``∂J_t/∂ŷ_t ∂ŷ_t/∂s_t ∂s_t/∂s_k ∂⁺s_k/∂P`` (k None: ``∂J_t/∂ŷ_t ∂ŷ_t/∂P``)."""
    N = context.names
    J_t, yhat_t, s_t = N.q("J", t), N.q("yhat", t), N.q("s", t)
    if k is None:
        return rf"{N.partial(J_t, yhat_t)} {N.partial(yhat_t, N[P])}"
    s_k = N.q("s", k)
    return rf"{N.partial(J_t, yhat_t)} {N.partial(yhat_t, s_t)} {N.partial(s_t, s_k)} {N.partial(s_k, N[P], immediate=True)}"


def _row(context: Context, t: int) -> np.ndarray:
    point = context.point
    return np.asarray(point.immediate(Quantity("J", t), Quantity("yhat", t)).dot(
        point.immediate(Quantity("yhat", t), Quantity("s", t))), dtype=object)


def per_step_equation(context: Context, label: str, P: str, *, note: str = "") -> Equation:
    """``∂J_t/∂P`` as its (t, k) terms: listed for every t when expanding, else the double sum for z."""
    N, z, point = context.names, context.z, context.point
    sums_k = P not in ("V", "c")
    general = (rf"\sum_{{k=1}}^{{t}} {chain(context, P, 't', 'k')}" if sums_k else chain(context, P, "t", None))
    lhs = N.partial(N.q("J", "t"), N[P])
    if context.expand:
        lines = tuple(Line(N.partial(N.q("J", t), N[P]),
                           tuple(chain(context, P, t, k) for k in range(1, t + 1)) if sums_k else (chain(context, P, t, None),))
                      for t in range(1, z + 1))
        checks = []
        for t in range(1, z + 1):
            method, reference = point.step_gradient(P, t)
            checks.append(compare(flat(point.chain(P, t)), flat(reference), method=method,
                                  what=f"the {t if sums_k else 1} chain-rule term(s) of dJ_{t}/d{P} and dJ_{t}/d{P} by {method}"))
        caption = rf"Every $(t, k)$ term for $z = {z}$:" if sums_k else rf"Every term for $z = {z}$:"
        return Equation(label, lhs, general, combine(checks), instance=lines, caption=caption, note=note)
    summed = sum((point.chain(P, t) for t in range(1, z + 1)), start=point.zeros(P))
    method, reference = point.total_gradient(P)
    check = compare(flat(summed), flat(reference), method=method,
                    what=f"the sum over t of the chain-rule dJ_t/d{P} and dJ/d{P} by {method}")
    body = (rf"\sum_{{t=1}}^{{{z}}} \sum_{{k=1}}^{{t}} {chain(context, P, 't', 'k')}" if sums_k
            else rf"\sum_{{t=1}}^{{{z}}} {chain(context, P, 't', None)}")
    return Equation(label, lhs, general, check, instance=(Line(N.partial(N["J"], N[P]), (body,)),),
                    caption=rf"Summed over $t$ for $z = {z}$ (the terms are not listed one by one for $z > $ the expansion limit):",
                    note=note)


def _dependency(context: Context, t: int, P: str) -> Check:
    graph = context.graph
    s0 = derivative(graph, Quantity("s", 0), Quantity(P))
    reads = {str(q) for q in dependencies(graph, Quantity("u", t))}
    ok = all(v == 0 for v in s0.ravel()) and f"s_{t - 1}" in reads and P in reads
    return Check("dependency", ok, f"in the unrolled graph u_{t} reads {', '.join(sorted(reads))}; "
                                   f"ds_0/d{P} is {'zero' if ok else 'NOT zero'} (s_0 is given)")


def state_total_section(context: Context) -> Section:
    """Eqs. (3)-(8): the total derivative of s_2 with respect to W, the notes' worked time step."""
    N, point, graph = context.names, context.point, context.graph
    if context.z < 2:
        return Section(rf"The total derivative of ${N.q('s', 2)}$", (Paragraph("Eqs. (3)-(8) need $z \\geq 2$."),))
    W, s2, s1, s0 = N["W"], N.q("s", 2), N.q("s", 1), N.q("s", 0)
    J2, yhat2 = N.q("J", 2), N.q("yhat", 2)
    method, dJ2 = point.step_gradient("W", 2)
    method_s, ds2 = point.state_derivative(2, Quantity("W"))
    via_total = np.tensordot(_row(context, 2), point.total(Quantity("s", 2), Quantity("W")), axes=1)
    eq3 = Equation("(3)", N.partial(J2, W), rf"{N.partial(J2, yhat2)} {N.partial(yhat2, s2)} {N.total(s2, W)}",
                   compare(flat(via_total), flat(dJ2), method=method, what=f"the chain with the service's ds_2/dW and dJ_2/dW by {method}"),
                   note=rf"The notes write ${N.partial(s2, W)}$ for the last factor; it must be the total derivative "
                        rf"${N.total(s2, W)}$, since ${s1}$ depends on ${W}$ too.")
    eq5 = Equation("(5)", s2, rf"{s2}\bigl({s1}({W});\, {W}\bigr)", _dependency(context, 2, "W"),
                   note=rf"The notes also list ${s0}({W})$; the initial state ${s0}$ is given and does not depend on ${W}$.")
    terms = {k: np.tensordot(point.jacobian_product(2, k), point.immediate(Quantity("s", k), Quantity("W")), axes=1)
             for k in (0, 1, 2)}
    six = sum(terms.values())
    eq6 = Equation("(6)", N.total(s2, W),
                   rf"{N.partial(s2, W, immediate=True)} + {N.partial(s2, s1)} {N.partial(s1, W, immediate=True)} "
                   rf"+ {N.partial(s2, s0)} \underbrace{{{N.partial(s0, W)}}}_{{= 0}}",
                   compare(flat(six), flat(ds2), method=method_s, what=f"the three paths and ds_2/dW by {method_s}"),
                   note=r"$\partial^{+}$ is the immediate partial derivative: the previous state held fixed.")
    eq7 = Equation("(7)", N.total(s2, W), rf"\sum_{{k=0}}^{{2}} {N.partial(s2, N.q('s', 'k'))} {N.partial(N.q('s', 'k'), W, immediate=True)}",
                   compare(flat(six), flat(ds2), method=method_s, what=f"the sum over k = 0..2 and ds_2/dW by {method_s}"))
    eye = jacobian_product(graph, 2, 2)
    eq7b = Equation("(7')", rf"{N.partial(s2, s2)} {N.partial(s2, W, immediate=True)}", N.partial(s2, W, immediate=True),
                    identity([(eye[i], sympy.eye(context.spec.n)[i]) for i in range(len(eye))],
                             what="the Jacobian product for t = k = 2 against the identity matrix"),
                    note="The $k = 2$ term of (7), as the notes observe.")
    eight = point.chain("W", 2)
    eq8 = Equation("(8)", N.partial(J2, W), rf"\sum_{{k=1}}^{{2}} {chain(context, 'W', 2, 'k')}",
                   compare(flat(eight), flat(dJ2), method=method, what=f"the k = 1, 2 terms and dJ_2/dW by {method}"),
                   instance=(Line(N.partial(J2, W), (chain(context, "W", 2, 1), chain(context, "W", 2, 2))),),
                   caption="Its two terms:",
                   note=rf"Corrected. The notes write ${N.partial(s2, W)}$ on the left and $\sum_{{k=0}}^{{1}}$: the left side is "
                        rf"${N.partial(J2, W)}$, the $k = 2$ term (the immediate effect of ${W}$ on ${s2}$) must be included, "
                        rf"and the $k = 0$ term vanishes because ${s0}$ does not depend on ${W}$.")
    return Section(rf"The total derivative of ${s2}$ with respect to ${W}$ (Eqs. 3-8)", (eq3, eq5, eq6, eq7, eq7b, eq8))


def gradients_section(context: Context) -> Section:
    """Eqs. (9)-(16) and the biases: every gradient as its sum of (t, k) terms."""
    N, spec, point = context.names, context.spec, context.point
    W, U, V = N["W"], N["U"], N["V"]
    s_t, J_t = N.q("s", "t"), N.q("J", "t")
    blocks: list = [per_step_equation(context, "(9)", "W",
                                      note=rf"The sum starts at $k = 1$: the notes' $k = 0$ term is zero because ${N.q('s', 0)}$ does not depend on ${W}$.")]
    for label, P in (("(10)", "V"), ("(11)", "U")):
        method, reference = point.total_gradient(P)
        summed = sum((point.chain(P, t) for t in range(1, context.z + 1)), start=point.zeros(P))
        blocks.append(Equation(label, N.partial(N["J"], N[P]), rf"\sum_{{t=1}}^{{z}} {N.partial(J_t, N[P])}",
                               compare(flat(summed), flat(reference), method=method, what=f"the sum over t and dJ/d{P} by {method}")))
    blocks.append(Paragraph(rf"The state ${s_t}$ does not depend on ${V}$, but it does depend on ${U}$ "
                            rf"(the notes' (i) and (ii) print both as $v$). Hence no sum over $k$ for ${V}$:"))
    blocks.append(per_step_equation(context, "(12)", "V"))
    T = min(context.z, 3)
    checks13, checks15 = [], []
    for t in range(1, T + 1):
        method, reference = point.step_gradient("U", t)
        via_total = np.tensordot(_row(context, t), point.total(Quantity("s", t), Quantity("U")), axes=1)
        checks13.append(compare(flat(via_total), flat(reference), method=method, what=f"the chain with ds_{t}/dU and dJ_{t}/dU by {method}"))
        method_s, ds = point.state_derivative(t, Quantity("U"))
        summed = sum(np.tensordot(point.jacobian_product(t, k), point.immediate(Quantity("s", k), Quantity("U")), axes=1)
                     for k in range(0, t + 1))
        checks15.append(compare(flat(summed), flat(ds), method=method_s, what=f"the sum over k and ds_{t}/dU by {method_s}"))
    blocks.append(Equation("(13)", N.partial(J_t, U), rf"{N.partial(J_t, N.q('yhat', 't'))} {N.partial(N.q('yhat', 't'), s_t)} {N.total(s_t, U)}",
                           combine(checks13), note=rf"Checked for $t = 1, \dots, {T}$. As in (3), the last factor is the total derivative."))
    arguments = ", ".join(rf"{N.q('s', k)}({U})" for k in ("t-1", "t-2")) + rf", \dots, {N.q('s', 1)}({U})"
    blocks.append(Equation("(14)", s_t, rf"{s_t}\bigl({arguments};\, {U}\bigr)",
                           _dependency(context, context.z, "U"),
                           note=rf"The notes also list ${N.q('s', 0)}({U})$; ${N.q('s', 0)}$ is given and does not depend on ${U}$."))
    blocks.append(Equation("(15)", N.total(s_t, U), rf"\sum_{{k=1}}^{{t}} {N.partial(s_t, N.q('s', 'k'))} {N.partial(N.q('s', 'k'), U, immediate=True)}",
                           combine(checks15), note=rf"Checked for $t = 1, \dots, {T}$. The notes' $k = 0$ term is zero."))
    blocks.append(per_step_equation(context, "(16)", "U"))
    if spec.bias:
        blocks.append(Paragraph(rf"The biases follow the same pattern: ${N['b']}$ enters every state like ${W}$ and ${U}$, "
                                rf"${N['c']}$ only the output, like ${V}$."))
        blocks.append(per_step_equation(context, "(16b)", "b"))
        blocks.append(per_step_equation(context, "(12c)", "c"))
    return Section(r"The gradients of every parameter (Eqs. 9-16)", tuple(blocks))
