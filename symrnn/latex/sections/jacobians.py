"""Sections: Jacobian products (Eqs. 17-21) and the single neuron with x_t in R^p (Eqs. 22-27)."""
from __future__ import annotations

import sympy

from ...engine.service import Quantity
from ...engine.structured import step_jacobian
from ...spec import RNNSpec
from ...unroll import unroll
from ..blocks import Equation, Line, Paragraph, Section
from ..checks import combine, compare, flat, identity
from ..context import Context
from .activation import DERIVATIVE_THROUGH_F


def _product(N, t: str, k: str) -> str:
    return rf"\prod_{{m={k}+1}}^{{{t}}} {N.partial(N.q('s', 'm'), N.q('s', 'm-1'))}"


def jacobian_section(context: Context) -> Section:
    """∂s_t/∂s_k as a product of one-step Jacobians, checked against the service's total Jacobians."""
    N, point, z, graph = context.names, context.point, context.z, context.graph
    s = lambda i: N.q("s", i)  # noqa: E731
    T = min(z, 3)
    checks = []
    for t in range(1, T + 1):
        for k in range(0, t):
            method, total = ("brute force", point.brute(graph.symbols("s", t), graph.s0, horizon=t)) if k == 0 else (None, None)
            if total is None:
                method, total = "derivative service", point.total(Quantity("s", t), Quantity("s", k))
            checks.append(compare(flat(point.jacobian_product(t, k)), flat(total), method=method,
                                  what=f"the product for t={t}, k={k} and ds_{t}/ds_{k} by {method}"))
    eq17 = Equation("(17), [20]", N.partial(s("t"), s("k")), _product(N, "t", "k"), combine(checks),
                    note=rf"Checked for every $0 \leq k < t \leq {T}$; an empty product ($k = t$) is the identity matrix.")
    chain2 = rf"{N.partial(s(2), s(1))} {N.partial(s(1), s(0))}"
    eq18 = Equation("[18]", N.partial(s(2), s(0)), chain2, checks[2] if len(checks) > 2 else checks[0])
    factors = [N.partial(s(m), s(m - 1)) for m in range(z, 0, -1)]
    shown = factors if len(factors) <= 4 or context.expand else factors[:2] + [r"\cdots"] + factors[-2:]
    z_check = compare(flat(point.jacobian_product(z, 0)), flat(point.jacobian_product(z, 1).dot(point.step_jacobians[1])),
                      method="structured", what=f"the product of all {z} one-step Jacobians, split off at m = 1")
    eq19 = Equation("[19]", N.partial(s("t"), s(0)),
                    rf"{N.partial(s('t'), s('t-1'))} {N.partial(s('t-1'), s('t-2'))} \cdots {N.partial(s(2), s(1))} {N.partial(s(1), s(0))}",
                    z_check, instance=(Line(N.partial(s(z), s(0)), (" ".join(shown),)),), caption=rf"For $t = z = {z}$:")
    name = context.spec.activation_name
    f_prime = (DERIVATIVE_THROUGH_F[name](N.q("u", "t")) if name in DERIVATIVE_THROUGH_F else rf"f'({N.q('u', 't')})")
    u1 = graph.step("u", 1).expression
    s_of_u = graph.activation.function
    lhs = sympy.Matrix([s_of_u(u) for u in u1]).jacobian(graph.s0)
    rhs = step_jacobian(graph, 1).xreplace({**dict(zip(graph.symbols("s", 1), [s_of_u(u) for u in u1])),
                                            **dict(zip(graph.symbols("u", 1), u1))})
    eq21 = Equation("[21]", N.partial(s("t"), s("t-1")), rf"\operatorname{{diag}}\bigl({f_prime}\bigr)\, {N['U']}",
                    identity(list(zip(lhs, rhs)), what="d f(u_1)/d s_0 and diag(f'(u_1)) U, entry by entry"),
                    instance=(Line(N.partial(s(1), s(0)), (context.tex(step_jacobian(graph, 1)),)),),
                    caption=r"For $t = 1$, with $f'$ written through $f$ as in the previous section:",
                    note=r"Every factor of (17) has this form; if all of them are small, their product vanishes.")
    return Section(r"Jacobian products (Eqs. 17-21)", (eq17, eq18, eq19, eq21))


def single_neuron_section(context: Context) -> Section:
    """Eqs. [22]-[27]: one neuron (n = m = 1, no bias), x_t in R^p with p = the spec's e."""
    spec = RNNSpec(z=2, e=context.spec.e, n=1, m=1, activation=context.spec.activation, loss=context.spec.loss,
                   bias=False, notation=context.spec.notation)
    graph = unroll(spec)
    sub = Context(spec, graph, True)
    N = sub.names
    h, W, U, V = (lambda i: N.q("s", i)), N["W"], N["U"], N["V"]
    u_expr, h_prev = graph.step("u", 2).expression[0], graph.symbols("s", 1)[0]
    f, f_prime = graph.activation.function, graph.activation.derivative
    name = spec.activation_name
    argument = rf"{W} {N.q('x', 't')} + {U} {h('t-1')}"
    through_f = DERIVATIVE_THROUGH_F[name](argument) if name in DERIVATIVE_THROUGH_F else rf"f'({argument})"
    rule_of_output = graph.activation.derivative_of_output
    d27 = (rule_of_output(f(u_expr)) if rule_of_output is not None else f_prime(u_expr)) * graph.parameters["U"][0]
    blocks = (
        Paragraph(rf"A single neuron: $n = m = 1$, no biases, ${N.q('x', 't')} \in \mathbb{{R}}^{{{spec.e}}}$ "
                  rf"($p = {spec.e}$). Here ${W}$ is a $1 \times {spec.e}$ row: the notes write it $W_{{xh}}^{{\top}}$ with a column $W_{{xh}} \in \mathbb{{R}}^{{p \times 1}}$."),
        Equation("[22]", h("t"), rf"f({W} {N.q('x', 't')} + {U} {h('t-1')})",
                 identity([(graph.step("s", 2).expression[0], f(graph.symbols("u", 2)[0]))], what="the unrolled h_2 against f(u_2)"),
                 instance=(Line(sub.tex(graph.symbols("u", 2)[0]), (sub.tex(u_expr),)),), caption=r"The pre-activation at $t = 2$:"),
        Equation("[23]", N.q("yhat", "t"), rf"{V} {h('t')}",
                 identity([(graph.step("yhat", 2).expression[0], graph.parameters["V"][0] * graph.symbols("s", 2)[0])], what="yhat_2 against V h_2"),
                 note=r"The notes write $y_t$ for the prediction $\hat{y}_t$."),
        Equation("[24]", N.partial(h("t"), h("t-1")), rf"\frac{{\partial f}}{{\partial u}} \frac{{\partial u}}{{\partial {h('t-1')}}}",
                 identity([(sympy.diff(f(u_expr), h_prev), f_prime(u_expr) * sympy.diff(u_expr, h_prev))], what="the chain rule on f(u(h_1))")),
        Equation("[25]", rf"\frac{{\partial u}}{{\partial {h('t-1')}}}", U,
                 identity([(sympy.diff(u_expr, h_prev), graph.parameters["U"][0])], what="du/dh_1 - U")),
        Equation("[26]", N.partial(h("t"), h("t-1")), rf"f'(u)\, {U}",
                 identity([(sympy.diff(f(u_expr), h_prev), f_prime(u_expr) * graph.parameters["U"][0])], what="dh_2/dh_1 - f'(u) U")),
        Equation("[27]", N.partial(h("t"), h("t-1")), rf"{through_f}\, {U}",
                 identity([(sympy.diff(f(u_expr), h_prev), d27)], what="dh_2/dh_1 - the form through f"),
                 instance=(Line(N.partial(h(2), h(1)), (sub.tex(d27),)),), caption=r"At $t = 2$:"),
    )
    return Section(r"A single neuron (Eqs. 22-27)", blocks)
