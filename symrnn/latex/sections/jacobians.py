"""Sections: Jacobian products (Eqs. 17-21) and the single neuron with x_t in R^p (Eqs. 22-27)."""

from __future__ import annotations

import sympy

from ...engine.service import Quantity, derivative
from ...engine.structured import step_jacobian
from ...spec import RNNSpec
from ...unroll import unroll
from ..adapter import f_prime as activation_derivative
from ..blocks import Equation, Line, Paragraph, Section
from ..checks import Check, combine, compare, flat, identity
from ..context import Context
from ..layout import ordered_terms
from .activation import derivative_through_f


def step_jacobian_display(graph, m: int) -> sympy.Matrix:
    """``diag(f'(u_m)) U`` entry by entry as a person writes it: ``f'(u_{m,i}) U_{i,j}`` in that order."""
    f_prime, U = activation_derivative(graph, m), graph.parameters["U"]
    return sympy.Matrix(U.rows, U.cols, lambda i, j: sympy.Mul(f_prime[i], U[i, j], evaluate=False))


def _product(N, t: str, k: str) -> str:
    return rf"\prod_{{m={k}+1}}^{{{t}}} {N.partial(N.q('s', 'm'), N.q('s', 'm-1'))}"


def jacobian_section(context: Context) -> Section:
    """∂s_t/∂s_k as a product of one-step Jacobians, checked against the service's total Jacobians."""
    N, point, z, graph = context.names, context.point, context.z, context.graph
    s = lambda i: N.q("s", i)
    T = min(z, 3)
    checks = []
    for t in range(1, T + 1):
        for k in range(t):
            method, total = (
                ("brute force", point.brute(graph.symbols("s", t), graph.s0, horizon=t))
                if k == 0
                else (None, None)
            )
            if total is None:
                method, total = "derivative service", point.total(Quantity("s", t), Quantity("s", k))
            checks.append(
                compare(
                    flat(point.jacobian_product(t, k)),
                    flat(total),
                    method=method,
                    what=rf"the product for $(t, k) = ({t}, {k})$ and ${N.partial(s(t), s(k))}$ through every path",
                )
            )
    eq17 = Equation(
        "(17), [20]",
        N.partial(s("t"), s("k")),
        _product(N, "t", "k"),
        combine(checks),
        note=rf"Checked for every $0 \leq k < t \leq {T}$; an empty product ($k = t$) is the identity matrix.",
    )
    chain2 = rf"{N.partial(s(2), s(1))} {N.partial(s(1), s(0))}"
    if z >= 2:  # the (t, k) = (2, 0) comparison above: the product of the two factors against ∂s_2/∂s_0
        first = checks[1]
        check18 = Check(
            first.method,
            first.ok,
            rf"${chain2}$ and ${N.partial(s(2), s(0))}$ of the unrolled graph",
            error=first.error,
            how=first.how,
        )
    else:
        check18 = Check("dependency", True, r"needs $z \geq 2$; nothing to compare", how="")
    eq18 = Equation("[18]", N.partial(s(2), s(0)), chain2, check18)
    factors = [N.partial(s(m), s(m - 1)) for m in range(z, 0, -1)]
    shown = factors if len(factors) <= 4 or context.expand else factors[:2] + [r"\cdots"] + factors[-2:]
    z_check = compare(
        flat(point.jacobian_product(z, 0)),
        flat(point.jacobian_product(z, 1).dot(point.step_jacobians[1])),
        method="structured",
        what=rf"the product of all {z} one-step Jacobians and the product split off at $m = 1$",
    )
    eq19 = Equation(
        "[19]",
        N.partial(s("t"), s(0)),
        rf"{N.partial(s('t'), s('t-1'))} {N.partial(s('t-1'), s('t-2'))} \cdots {N.partial(s(2), s(1))} {N.partial(s(1), s(0))}",
        z_check,
        instance=(Line(N.partial(s(z), s(0)), (" ".join(shown),)),),
        caption=rf"For $t = z = {z}$:",
    )
    name = context.spec.activation_name
    if context.spec.n == 1:  # a scalar: no diag
        rhs21 = rf"{derivative_through_f(name, N.q('u', 't'), factor=True)}\, {N['U']}"
    else:
        rhs21 = rf"\operatorname{{diag}}\bigl({derivative_through_f(name, N.q('u', 't'))}\bigr)\, {N['U']}"
    u1 = graph.step("u", 1).expression
    s_of_u = graph.activation.function
    lhs = sympy.Matrix([s_of_u(u) for u in u1]).jacobian(graph.s0)
    rhs = step_jacobian(graph, 1).xreplace(
        {**dict(zip(graph.symbols("s", 1), [s_of_u(u) for u in u1])), **dict(zip(graph.symbols("u", 1), u1))}
    )
    eq21 = Equation(
        "[21]",
        N.partial(s("t"), s("t-1")),
        rhs21,
        identity(
            list(zip(lhs, rhs)),
            what=rf"SymPy's ${N.partial(s(1), s(0))}$ of the unrolled $f({N.q('u', 1)})$ and the formula, entry by entry",
        ),
        instance=(
            Line(N.partial(s(1), s(0)), (context.tex(step_jacobian_display(graph, 1), as_built=True),)),
        ),
        caption=r"For $t = 1$, with $f'$ written through $f$ as in the previous section:",
        note=r"Every factor of (17) has this form; if all of them are small, their product vanishes.",
    )
    return Section(r"Jacobian products (Eqs. 17-21)", (eq17, eq18, eq19, eq21))


def single_neuron_section(context: Context) -> Section:
    """Eqs. [22]-[27]: one neuron (n = m = 1, no bias), x_t in R^p with p = the spec's e; scalar results written out."""
    spec = RNNSpec(
        z=2,
        e=context.spec.e,
        n=1,
        m=1,
        activation=context.spec.activation,
        loss="sse",
        bias=False,
        notation=context.spec.notation,
    )
    graph = unroll(spec)
    sub = Context(spec, graph, True)
    N = sub.names
    h, W, U, V = (lambda i: N.q("s", i)), N["W"], N["U"], N["V"]
    u_expr, h_prev = graph.step("u", 2).expression[0], graph.symbols("s", 1)[0]
    f, f_prime = graph.activation.function, graph.activation.derivative
    name = spec.activation_name
    argument = rf"{W} {N.q('x', 't')} + {U} {h('t-1')}"
    through_f = derivative_through_f(name, argument, factor=True)
    rule_of_output = graph.activation.derivative_of_output
    d27 = (rule_of_output(f(u_expr)) if rule_of_output is not None else f_prime(u_expr)) * graph.parameters[
        "U"
    ][0]
    u_t = N.q("u", "t")
    blocks = [
        Paragraph(
            rf"A single neuron: $n = m = 1$, no biases, ${N.q('x', 't')} \in \mathbb{{R}}^{{{spec.e}}}$ "
            rf"($p = {spec.e}$), squared error. Here ${W}$ is a $1 \times {spec.e}$ row: the notes write it "
            rf"$W_{{xh}}^{{\top}}$ with a column $W_{{xh}} \in \mathbb{{R}}^{{p \times 1}}$."
            + (
                " (This document's cross-entropy needs $m \\geq 2$; over one output it is identically $0$.)"
                if context.spec.loss == "ce"
                else ""
            )
        ),
        Equation(
            "[22]",
            h("t"),
            rf"f({W} {N.q('x', 't')} + {U} {h('t-1')})",
            identity(
                [(graph.step("s", 2).expression[0], f(graph.symbols("u", 2)[0]))],
                what=rf"the unrolled ${h(2)}$ against $f({N.q('u', 2)})$",
            ),
            instance=(Line(sub.tex(graph.symbols("u", 2)[0]), tuple(ordered_terms(u_expr, sub.tex))),),
            caption=r"The pre-activation at $t = 2$:",
        ),
        Equation(
            "[23]",
            N.q("yhat", "t"),
            rf"{V} {h('t')}",
            identity(
                [(graph.step("yhat", 2).expression[0], graph.parameters["V"][0] * graph.symbols("s", 2)[0])],
                what=rf"the unrolled ${N.q('yhat', 2)}$ against ${V} {h(2)}$",
            ),
            note=r"The notes write $y_t$ for the prediction $\hat{y}_t$.",
        ),
        Equation(
            "[24]",
            N.partial(h("t"), h("t-1")),
            rf"\frac{{\partial f}}{{\partial u}} \frac{{\partial u}}{{\partial {h('t-1')}}}",
            identity(
                [(sympy.diff(f(u_expr), h_prev), f_prime(u_expr) * sympy.diff(u_expr, h_prev))],
                what=rf"SymPy's derivative of $f(u)$ with respect to ${h(1)}$ against the chain rule",
            ),
        ),
        Equation(
            "[25]",
            rf"\frac{{\partial u}}{{\partial {h('t-1')}}}",
            U,
            identity(
                [(sympy.diff(u_expr, h_prev), graph.parameters["U"][0])],
                what=rf"SymPy's ${{\partial {N.q('u', 2)}}}/{{\partial {h(1)}}}$ against ${U}$",
            ),
        ),
        Equation(
            "[26]",
            N.partial(h("t"), h("t-1")),
            rf"f'({u_t})\, {U}",
            identity(
                [(sympy.diff(f(u_expr), h_prev), f_prime(u_expr) * graph.parameters["U"][0])],
                what=rf"SymPy's ${N.partial(h(2), h(1))}$ against $f'({N.q('u', 2)})\, {U}$",
            ),
        ),
        Equation(
            "[27]",
            N.partial(h("t"), h("t-1")),
            rf"{through_f}\, {U}",
            identity(
                [(sympy.diff(f(u_expr), h_prev), d27)],
                what=rf"SymPy's ${N.partial(h(2), h(1))}$ against the form through $f$",
            ),
            instance=(
                Line(N.partial(h(2), h(1)), (sub.tex(step_jacobian_display(graph, 2), as_built=True),)),
            ),
            caption=r"At $t = 2$:",
        ),
    ]
    blocks += _single_neuron_results(sub)
    return Section(r"A single neuron (Eqs. 22-27)", tuple(blocks))


def _single_neuron_results(sub: Context) -> list:
    """The scalar results a student writes by hand: ∂h_2/∂h_0, ∂J_2/∂W_xh and ∂J_2/∂W_hh, each checked."""
    N, graph, point = sub.names, sub.graph, sub.point
    h = lambda i: N.q("s", i)
    W, U, V = N["W"], N["U"], N["V"]
    Usym, Vsym = graph.parameters["U"][0], graph.parameters["V"][0]
    fp = {m: activation_derivative(graph, m)[0] for m in (1, 2)}
    g2 = graph.loss.gradient(list(graph.symbols("yhat", 2)), list(graph.symbols("y", 2)))[0]
    # ∂h_2/∂h_0 = f'(u_2) W_hh f'(u_1) W_hh, against the total derivative through every path
    product = sympy.Mul(fp[2], Usym, fp[1], Usym, evaluate=False)
    total = derivative(graph, Quantity("s", 2), Quantity("s", 0))[0, 0]
    eq_a = Equation(
        "(27a)",
        N.partial(h("t"), h(0)),
        rf"\prod_{{m=1}}^{{t}} f'({N.q('u', 'm')})\, {U}",
        identity(
            [(total, product)], what=rf"${N.partial(h(2), h(0))}$ through every path against the product"
        ),
        instance=(Line(N.partial(h(2), h(0)), (sub.tex(product, as_built=True),)),),
        caption=r"At $t = 2$:",
        note=r"One factor $f'\, " + U + r"$ per step: the scalar form of (17) that [26] discusses.",
    )
    # ∂J_2/∂W_xh = g_2 W_hy f'(u_2) (x_2^T + W_hh f'(u_1) x_1^T), entry by entry
    x1, x2 = graph.symbols("x", 1), graph.symbols("x", 2)
    method_W, truth_W = sub.point.step_gradient("W", 2)
    left = [
        point.evaluate(g2 * Vsym * fp[2] * (x2[j] + Usym * fp[1] * x1[j])).item() for j in range(sub.spec.e)
    ]
    x_row = lambda t: rf"{N.q('x', t)}^{{\top}}"
    g_tex = sub.tex(g2)
    inner_factor = sub.tex(sympy.Mul(Usym, fp[1], evaluate=False), as_built=True)
    outer = rf"\bigl({g_tex}\bigr)\, {sub.tex(sympy.Mul(Vsym, fp[2], evaluate=False), as_built=True)}"
    eq_b = Equation(
        "(27b)",
        N.partial(N.q("J", 2), W),
        rf"\frac{{\partial {N.q('J', 2)}}}{{\partial {N.q('yhat', 2)}}}\, {V}\, f'({N.q('u', 2)})"
        rf"\bigl({x_row(2)} + {U}\, f'({N.q('u', 1)})\, {x_row(1)}\bigr)",
        compare(
            left,
            list(truth_W.ravel()),
            method=method_W,
            what=rf"the written-out ${N.partial(N.q('J', 2), W)}$ and its value",
        ),
        instance=(Line("", (rf"{outer} \bigl({x_row(2)} + {inner_factor}\, {x_row(1)}\bigr)",)),),
        caption=r"Written out: the $k = 2$ term, then the $k = 1$ term reached through one factor of (27a):",
    )
    h0, h1 = graph.symbols("s", 0)[0], graph.symbols("s", 1)[0]
    truth_U = sub.point.step_gradient("U", 2)
    left_U = point.evaluate(g2 * Vsym * fp[2] * (h1 + Usym * fp[1] * h0)).item()
    eq_c = Equation(
        "(27c)",
        N.partial(N.q("J", 2), U),
        rf"\frac{{\partial {N.q('J', 2)}}}{{\partial {N.q('yhat', 2)}}}\, {V}\, f'({N.q('u', 2)})"
        rf"\bigl({h(1)} + {U}\, f'({N.q('u', 1)})\, {h(0)}\bigr)",
        compare(
            [left_U],
            [truth_U[1].item()],
            method=truth_U[0],
            what=rf"the written-out ${N.partial(N.q('J', 2), U)}$ and its value",
        ),
        instance=(Line("", (rf"{outer} \bigl({h(1)} + {inner_factor}\, {h(0)}\bigr)",)),),
        caption=rf"Written out (with ${h(0)}$ the given initial state; it is $0$ by default):",
    )
    return [eq_a, eq_b, eq_c]
