"""Sections: ds_2/dW (Eqs. 3-8), dJ_t/dW (9), dJ/dV (10-12), dJ/dU (13-16), and the biases."""

from __future__ import annotations

import numpy as np
import sympy

from ...engine.service import Quantity, dependencies, derivative
from ...engine.structured import jacobian_product
from ..adapter import f_prime as activation_derivative
from ..blocks import Equation, Line, Paragraph, Section
from ..checks import Check, combine, compare, flat, identity
from ..context import Context
from ..figures import paths_figure


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
    return np.asarray(
        point.immediate(Quantity("J", t), Quantity("yhat", t)).dot(
            point.immediate(Quantity("yhat", t), Quantity("s", t))
        ),
        dtype=object,
    )


def per_step_equation(context: Context, label: str, P: str, *, note: str = "") -> Equation:
    """``∂J_t/∂P`` as its (t, k) terms: listed for every t when expanding, else the double sum for z."""
    N, z, point = context.names, context.z, context.point
    sums_k = P not in ("V", "c")
    general = rf"\sum_{{k=1}}^{{t}} {chain(context, P, 't', 'k')}" if sums_k else chain(context, P, "t", None)
    lhs = N.partial(N.q("J", "t"), N[P])
    if context.expand:
        lines = tuple(
            Line(
                N.partial(N.q("J", t), N[P]),
                tuple(chain(context, P, t, k) for k in range(1, t + 1))
                if sums_k
                else (chain(context, P, t, None),),
            )
            for t in range(1, z + 1)
        )
        checks = []
        for t in range(1, z + 1):
            method, reference = point.step_gradient(P, t)
            checks.append(
                compare(
                    flat(point.chain(P, t)),
                    flat(reference),
                    method=method,
                    what=rf"the chain-rule terms of ${N.partial(N.q('J', t), N[P])}$ and its value",
                )
            )
        caption = rf"Every $(t, k)$ term for $z = {z}$:" if sums_k else rf"Every term for $z = {z}$:"
        return Equation(label, lhs, general, combine(checks), instance=lines, caption=caption, note=note)
    summed = sum((point.chain(P, t) for t in range(1, z + 1)), start=point.zeros(P))
    method, reference = point.total_gradient(P)
    check = compare(
        flat(summed),
        flat(reference),
        method=method,
        what=rf"$\sum_t$ of the chain-rule terms and ${N.partial(N['J'], N[P])}$",
    )
    body = (
        rf"\sum_{{t=1}}^{{{z}}} \sum_{{k=1}}^{{t}} {chain(context, P, 't', 'k')}"
        if sums_k
        else rf"\sum_{{t=1}}^{{{z}}} {chain(context, P, 't', None)}"
    )
    return Equation(
        label,
        lhs,
        general,
        check,
        instance=(Line(N.partial(N["J"], N[P]), (body,)),),
        caption=rf"Summed over $t$ for $z = {z}$ (the terms are not listed one by one for $z > $ the expansion limit):",
        note=note,
    )


def _dependency(context: Context, t: int, P: str) -> Check:
    graph = context.graph
    s0 = derivative(graph, Quantity("s", 0), Quantity(P))
    reads = {str(q) for q in dependencies(graph, Quantity("u", t))}
    ok = all(v == 0 for v in s0.ravel()) and f"s_{t - 1}" in reads and P in reads
    N = context.names
    read = ", ".join(
        rf"${N.q(q.role, q.t) if q.t is not None else N[q.role]}$"
        for q in sorted(dependencies(graph, Quantity("u", t)), key=str)
    )
    return Check(
        "dependency",
        ok,
        rf"in the unrolled graph ${N.q('u', t)}$ reads {read}; "
        rf"${N.total(N['s0'], N[P])}$ is {'$0$' if ok else 'NOT $0$'} (${N['s0']}$ is given)",
        how="the edges of the unrolled graph",
    )


def _s0_free(context: Context, P: str) -> Check:
    """The notes' k = 0 terms vanish: the initial state does not depend on the parameter (computed)."""
    N = context.names
    value = derivative(context.graph, Quantity("s", 0), Quantity(P))
    ok = all(entry == 0 for entry in value.ravel())
    return Check(
        "derivative service",
        ok,
        rf"${N.total(N['s0'], N[P])}$ is {'$0$' if ok else 'NOT $0$'}, so the $k = 0$ term vanishes",
        error=0.0 if ok else None,
        how="the total derivative through every path of the unrolled graph",
    )


def state_total_section(context: Context) -> Section:
    """Eqs. (3)-(8): the total derivative of s_2 with respect to W, the notes' worked time step."""
    N, point, graph = context.names, context.point, context.graph
    if context.z < 2:
        return Section(
            rf"The total derivative of ${N.q('s', 2)}$", (Paragraph("Eqs. (3)-(8) need $z \\geq 2$."),)
        )
    W, s2, s1, s0 = N["W"], N.q("s", 2), N.q("s", 1), N.q("s", 0)
    J2, yhat2 = N.q("J", 2), N.q("yhat", 2)
    method, dJ2 = point.step_gradient("W", 2)
    method_s, ds2 = point.state_derivative(2, Quantity("W"))
    via_total = np.tensordot(_row(context, 2), point.total(Quantity("s", 2), Quantity("W")), axes=1)
    eq3 = Equation(
        "(3)",
        N.partial(J2, W),
        rf"{N.partial(J2, yhat2)} {N.partial(yhat2, s2)} {N.total(s2, W)}",
        compare(
            flat(via_total),
            flat(dJ2),
            method=method,
            what=rf"the chain with ${N.total(s2, W)}$ through every path, and ${N.partial(J2, W)}$",
        ),
        note=rf"The notes write ${N.partial(s2, W)}$ for the last factor; it must be the total derivative "
        rf"${N.total(s2, W)}$, since ${s1}$ depends on ${W}$ too.",
    )
    eq5 = Equation(
        "(5)",
        s2,
        rf"{s2}\bigl({s1}({W});\, {W}\bigr)",
        _dependency(context, 2, "W"),
        note=rf"The notes also list ${s0}({W})$; the initial state ${s0}$ is given and does not depend on ${W}$.",
    )
    terms = {
        k: np.tensordot(
            point.jacobian_product(2, k), point.immediate(Quantity("s", k), Quantity("W")), axes=1
        )
        for k in (0, 1, 2)
    }
    six = sum(terms.values())
    eq6 = Equation(
        "(6)",
        N.total(s2, W),
        rf"{N.partial(s2, W, immediate=True)} + {N.partial(s2, s1)} {N.partial(s1, W, immediate=True)} "
        rf"+ {N.partial(s2, s0)} \underbrace{{{N.partial(s0, W)}}}_{{= 0}}",
        compare(flat(six), flat(ds2), method=method_s, what=rf"the three paths and ${N.total(s2, W)}$"),
        note=r"$\partial^{+}$ is the immediate partial derivative: the previous state held fixed.",
    )
    eq7 = Equation(
        "(7)",
        N.total(s2, W),
        rf"\sum_{{k=0}}^{{2}} {N.partial(s2, N.q('s', 'k'))} {N.partial(N.q('s', 'k'), W, immediate=True)}",
        compare(
            flat(six), flat(ds2), method=method_s, what=rf"the sum over $k = 0, 1, 2$ and ${N.total(s2, W)}$"
        ),
    )
    eye = jacobian_product(graph, 2, 2)
    eq7b = Equation(
        "(7')",
        rf"{N.partial(s2, s2)} {N.partial(s2, W, immediate=True)}",
        N.partial(s2, W, immediate=True),
        identity(
            [(eye[i], sympy.eye(context.spec.n)[i]) for i in range(len(eye))],
            what=rf"the empty product ${N.partial(s2, s2)}$ against the identity matrix",
        ),
        note="The $k = 2$ term of (7), as the notes observe.",
    )
    eight = point.chain("W", 2)
    eq8 = Equation(
        "(8)",
        N.partial(J2, W),
        rf"\sum_{{k=1}}^{{2}} {chain(context, 'W', 2, 'k')}",
        combine(
            [
                compare(
                    flat(eight),
                    flat(dJ2),
                    method=method,
                    what=rf"the $k = 1, 2$ terms and ${N.partial(J2, W)}$",
                ),
                _s0_free(context, "W"),
            ]
        ),
        instance=(Line(N.partial(J2, W), (chain(context, "W", 2, 1), chain(context, "W", 2, 2))),),
        caption="Its two terms:",
        note=rf"Corrected: the notes' (8) has three slips. (a) Its left side is ${N.partial(s2, W)}$; it must be "
        rf"${N.partial(J2, W)}$, the quantity (3) expands. (b) Its first factor is ${N.partial(s2, yhat2)}$; "
        rf"it must be ${N.partial(J2, yhat2)}$. (c) Its sum runs over $k = 0, 1$; it must run over "
        rf"$k = 1, 2$: the $k = 2$ term (the immediate effect of ${W}$ on ${s2}$, (7$'$)) belongs to it, "
        rf"and the $k = 0$ term is $0$ because ${s0}$ does not depend on ${W}$.",
    )
    figure = paths_figure(N, context.spec.notation)
    return Section(
        rf"The total derivative of ${s2}$ with respect to ${W}$ (Eqs. 3-8)",
        (eq3, eq5, eq6, eq7, eq7b, figure, eq8),
    )


def gradients_section(context: Context) -> Section:
    """Eqs. (9)-(16) and the biases: every gradient as its sum of (t, k) terms."""
    N, spec, point = context.names, context.spec, context.point
    W, U, V = N["W"], N["U"], N["V"]
    s_t, J_t = N.q("s", "t"), N.q("J", "t")
    blocks: list = [
        per_step_equation(
            context,
            "(9)",
            "W",
            note=rf"The sum starts at $k = 1$: the notes' $k = 0$ term is zero because ${N.q('s', 0)}$ does not depend on ${W}$.",
        )
    ]
    blocks += written_out_term(context)
    blocks.append(
        Paragraph(
            rf"From (10) on, the notes print every parameter as $v$. Read as written, (10) and (11) are the same equation, "
            rf"(i) and (ii) contradict each other, and (13)--(16) are identically $0$, because no state depends on the output "
            rf"weights (checked in (11)(ii) below). We read $v$ as ${V}$ in (10), (ii) and (12), and as ${U}$ in (11), (i) and "
            rf"(13)--(16), which is what the notes mean."
        )
    )
    for label, P in (("(10)", "V"), ("(11)", "U")):
        method, reference = point.total_gradient(P)
        summed = sum((point.chain(P, t) for t in range(1, context.z + 1)), start=point.zeros(P))
        blocks.append(
            Equation(
                label,
                N.partial(N["J"], N[P]),
                rf"\sum_{{t=1}}^{{z}} {N.partial(J_t, N[P])}",
                compare(
                    flat(summed),
                    flat(reference),
                    method=method,
                    what=rf"$\sum_t$ of the ${N.partial(J_t, N[P])}$ and ${N.partial(N['J'], N[P])}$",
                ),
            )
        )
    graph = context.graph
    on_V = [derivative(graph, Quantity("s", t), Quantity("V")) for t in range(1, context.z + 1)]
    V_free = all(entry == 0 for value in on_V for entry in value.ravel())
    t_U = min(context.z, 2)
    on_U = derivative(graph, Quantity("s", t_U), Quantity("U"))  # symbolic: not identically 0
    U_moves = any(sympy.expand(entry) != 0 for entry in on_U.ravel())
    blocks.append(
        Equation(
            "(11)(i)",
            N.total(s_t, U),
            "0",
            Check(
                "derivative service",
                U_moves,
                rf"${N.total(N.q('s', t_U), U)}$ in symbols: "
                rf"{'not' if U_moves else 'NOT'} identically $0$ (the notes' (i), $v$ read as ${U}$)",
                how="the total derivative through every path of the unrolled graph",
            ),
            relation=r"\neq",
        )
    )
    blocks.append(
        Equation(
            "(11)(ii)",
            N.total(s_t, V),
            "0",
            Check(
                "derivative service",
                V_free,
                rf"${N.total(s_t, V)}$ for $t = 1, \dots, {context.z}$: every entry is "
                rf"{'exactly $0$' if V_free else 'NOT $0$'} (the notes' (ii), $v$ read as ${V}$)",
                error=0.0 if V_free else None,
                how="the total derivative through every path of the unrolled graph",
            ),
        )
    )
    blocks.append(Paragraph(rf"Hence no sum over $k$ for ${V}$:"))
    blocks.append(per_step_equation(context, "(12)", "V"))
    T = min(context.z, 3)
    checks13, checks15 = [], []
    for t in range(1, T + 1):
        method, reference = point.step_gradient("U", t)
        via_total = np.tensordot(_row(context, t), point.total(Quantity("s", t), Quantity("U")), axes=1)
        checks13.append(
            compare(
                flat(via_total),
                flat(reference),
                method=method,
                what=rf"the chain with ${N.total(N.q('s', t), U)}$ and ${N.partial(N.q('J', t), U)}$",
            )
        )
        method_s, ds = point.state_derivative(t, Quantity("U"))
        summed = sum(
            np.tensordot(
                point.jacobian_product(t, k), point.immediate(Quantity("s", k), Quantity("U")), axes=1
            )
            for k in range(t + 1)
        )
        checks15.append(
            compare(
                flat(summed),
                flat(ds),
                method=method_s,
                what=rf"the sum over $k$ and ${N.total(N.q('s', t), U)}$",
            )
        )
    blocks.append(
        Equation(
            "(13)",
            N.partial(J_t, U),
            rf"{N.partial(J_t, N.q('yhat', 't'))} {N.partial(N.q('yhat', 't'), s_t)} {N.total(s_t, U)}",
            combine(checks13),
            note=rf"Checked for $t = 1, \dots, {T}$. As in (3), the last factor is the total derivative.",
        )
    )
    arguments = ", ".join(rf"{N.q('s', k)}({U})" for k in ("t-1", "t-2")) + rf", \dots, {N.q('s', 1)}({U})"
    blocks.append(
        Equation(
            "(14)",
            s_t,
            rf"{s_t}\bigl({arguments};\, {U}\bigr)",
            _dependency(context, context.z, "U"),
            note=rf"The notes also list ${N.q('s', 0)}({U})$; ${N.q('s', 0)}$ is given and does not depend on ${U}$.",
        )
    )
    blocks.append(
        Equation(
            "(15)",
            N.total(s_t, U),
            rf"\sum_{{k=1}}^{{t}} {N.partial(s_t, N.q('s', 'k'))} {N.partial(N.q('s', 'k'), U, immediate=True)}",
            combine(checks15),
            note=rf"Checked for $t = 1, \dots, {T}$. The notes' $k = 0$ term is zero.",
        )
    )
    blocks.append(per_step_equation(context, "(16)", "U"))
    if spec.bias:
        blocks.append(
            Paragraph(
                rf"The biases follow the same pattern: ${N['b']}$ enters every state like ${W}$ and ${U}$, "
                rf"${N['c']}$ only the output, like ${V}$."
            )
        )
        blocks.append(per_step_equation(context, "(16b)", "b"))
        blocks.append(per_step_equation(context, "(12c)", "c"))
    return Section(r"The gradients of every parameter (Eqs. 9-16)", tuple(blocks))


def _g_symbols(context: Context, t: int) -> list[sympy.Symbol]:
    """Display symbols ``g_{t,i}`` for the entries of ``∂J_t/∂ŷ_t`` (just ``g_t`` when m = 1)."""
    m = context.spec.m
    return [sympy.Symbol(f"g_{{{t}}}" if m == 1 else f"g_{{{t},{i + 1}}}") for i in range(m)]


def _bracketed(parts: list[str], factor: str) -> tuple[str, ...]:
    """``(a + b + ...) factor`` as parts that may be broken across rows."""
    if len(parts) == 1:
        return (
            (rf"{parts[0]}\, {factor}",)
            if not parts[0].lstrip().startswith("-")
            else (rf"\bigl({parts[0]}\bigr)\, {factor}",)
        )
    return (rf"\Bigl({parts[0]}", *parts[1:-1], rf"{parts[-1]}\Bigr)\, {factor}")


def written_out_term(context: Context) -> list:
    """One (t, k) term written out entry by entry: ``∂⁺s_k/∂W`` and the (2, 1) term of ``∂J_2/∂W_{1,1}``."""
    N, graph, spec, point = context.names, context.graph, context.spec, context.point
    W = N["W"]
    t, k = (2, 1) if context.z >= 2 else (1, 1)
    immediate = derivative(graph, Quantity("s", k), Quantity("W"), immediate=True)  # (n, n, e)
    f_prime, x_k = activation_derivative(graph, k), graph.symbols("x", k)
    rows = range(min(spec.n, 2))
    pairs, lines = [], []
    for l in range(spec.n):
        for i in range(spec.n):
            for j in range(spec.e):
                pairs.append((immediate[l, i, j], f_prime[i] * x_k[j] if l == i else sympy.Integer(0)))
    for i in rows:
        for j in range(spec.e):
            lhs = N.partial(
                context.tex(graph.symbols("s", k)[i]),
                context.tex(graph.parameters["W"][i, j]),
                immediate=True,
            )
            lines.append(
                Line(lhs, (context.tex(sympy.Mul(f_prime[i], x_k[j], evaluate=False), as_built=True),))
            )
    shown = "every entry" if spec.n <= 2 else "the entries for $i = 1, 2$"
    eq_a = Equation(
        "(9a)",
        N.partial(N.q("s", "k,l"), N.q("W", "i,j"), immediate=True),
        rf"[l = i]\, f'({N.q('u', 'k,i')})\, {N.q('x', 'k,j')}",
        identity(
            pairs,
            what=rf"every entry of ${N.partial(N.q('s', k), W, immediate=True)}$ (taken with "
            rf"${N.q('s', k - 1)}$ held fixed) against the formula",
        ),
        instance=tuple(lines),
        caption=rf"For $k = {k}$, {shown} with $l = i$ (all others are $0$):",
        note=rf"$[l = i]$ is $1$ when $l = i$ and $0$ otherwise: ${N.q('W', 'i,j')}$ enters only the $i$-th "
        rf"state, through $f'$ of its pre-activation times the input it multiplies.",
    )
    g = _g_symbols(context, t)
    V, U_product = graph.parameters["V"], jacobian_product(graph, t, k)
    f_prime_t, U = activation_derivative(graph, t), graph.parameters["U"]
    # (∂s_t/∂s_k)_{l,1} = f'(u_{t,l}) U_{l,1} for t = k + 1 (and [l = 1] for t = k), factors in reading order
    products = [
        sympy.Mul(g[a], V[a, l], f_prime_t[l], U[l, 0], evaluate=False)
        if t > k
        else sympy.Mul(g[a], V[a, 0], evaluate=False)
        for l in range(spec.n if t > k else 1)
        for a in range(spec.m)
    ]
    inner = sympy.Add(*products, evaluate=False)
    assert (
        sympy.expand(
            inner
            - sympy.Add(*[g[a] * V[a, l] * U_product[l, 0] for l in range(spec.n) for a in range(spec.m)])
        )
        == 0
    )
    term = inner * f_prime[0] * x_k[0]
    g_values = dict(zip(g, graph.loss.gradient(list(graph.symbols("yhat", t)), list(graph.symbols("y", t)))))
    value = point.evaluate(term.xreplace(g_values))
    check = compare(
        [value.item()],
        [point.term("W", t, k)[0, 0]],
        method="chain rule",
        what=rf"the written-out term and the $(t, k) = ({t}, {k})$ entry $(1, 1)$ of the product of the four factors",
    )
    W11 = context.tex(graph.parameters["W"][0, 0])
    J_t, yhat_t, s_t, s_k = N.q("J", t), N.q("yhat", t), N.q("s", t), N.q("s", k)
    chain_tex = (
        rf"{N.partial(J_t, yhat_t)} {N.partial(yhat_t, s_t)} {N.partial(s_t, s_k)} "
        rf"{N.partial(context.tex(graph.symbols('s', k)[0]), W11, immediate=True)}"
    )
    g_name = rf"g_{{{t}}}"
    eq_b = Equation(
        "(9b)",
        chain_tex,
        rf"\Bigl(\sum_{{l=1}}^{{{spec.n}}} ({g_name}^{{\top}} {N['V']})_{{l}} "
        rf"\Bigl({N.partial(s_t, s_k)}\Bigr)_{{l,1}}\Bigr)\, f'({context.tex(graph.symbols('u', k)[0])})\, "
        rf"{context.tex(x_k[0])}",
        check,
        instance=(
            Line(
                "",
                _bracketed(
                    [context.tex(p, as_built=True) for p in products],
                    context.tex(sympy.Mul(f_prime[0], x_k[0], evaluate=False), as_built=True),
                ),
            ),
        ),
        caption=rf"The $(t, k) = ({t}, {k})$ term of ${N.partial(J_t, W11)}$, written out "
        rf"(${g_name} = {N.partial(J_t, yhat_t)}$, see (M1); ${N.partial(s_t, s_k)}$ from (17) and [21]):",
    )
    return [eq_a, eq_b]
