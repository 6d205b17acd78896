"""Section: the model (A), (B), the losses and the total gradient (1), (2)."""

from __future__ import annotations

import sympy

from ..blocks import Equation, Line, Paragraph, Section
from ..checks import combine, compare, flat, identity
from ..context import Context
from ..figures import cell_figure, unfolded_figure
from ..layout import ordered_terms


def _preactivation(context: Context, t: int) -> sympy.Matrix:
    graph, P = context.graph, context.graph.parameters
    u = P["W"] * graph.symbols("x", t) + P["U"] * graph.symbols("s", t - 1)
    return u + P["b"] if "b" in P else u


def _preactivation_terms(context: Context, t: int, i: int) -> tuple[str, ...]:
    """Row i of ``W x_t + U s_{t-1} + b`` term by term, in the order (A) writes them."""
    graph, P, spec = context.graph, context.graph.parameters, context.spec
    x, s = graph.symbols("x", t), graph.symbols("s", t - 1)
    terms = [P["W"][i, j] * x[j] for j in range(spec.e)] + [P["U"][i, j] * s[j] for j in range(spec.n)]
    terms += [P["b"][i]] if "b" in P else []
    return tuple(context.tex(term) for term in terms)


def model_section(context: Context) -> Section:
    """The update equations (A), (B), the per-step and total loss, and Eqs. (1), (2)."""
    graph, N, spec = context.graph, context.names, context.spec
    f = graph.activation
    bias_u = f" + {N['b']}" if spec.bias else ""
    bias_y = f" + {N['c']}" if spec.bias else ""
    s_t, s_prev, x_t, yhat_t = N.q("s", "t"), N.q("s", "t-1"), N.q("x", "t"), N.q("yhat", "t")
    steps = context.steps()

    u_pairs = [
        (graph.step("u", t).expression[i], _preactivation(context, t)[i])
        for t in steps
        for i in range(spec.n)
    ]
    s_pairs = [
        (graph.step("s", t).expression[i], f.function(graph.symbols("u", t)[i]))
        for t in steps
        for i in range(spec.n)
    ]
    A = Equation(
        "(A)",
        s_t,
        rf"f({N['W']} {x_t} + {N['U']} {s_prev}{bias_u}) = f({N.q('u', 't')})",
        identity(
            u_pairs + s_pairs,
            what=rf"each unrolled ${N.q('u', 't')}$, ${s_t}$ against $f({N['W']} {x_t} + {N['U']} {s_prev}{bias_u})$",
        ),
        instance=tuple(
            Line(context.tex(sym), _preactivation_terms(context, 1, i))
            for i, sym in enumerate(graph.symbols("u", 1))
        ),
        caption=rf"Element by element for $t = 1$ (the initial state ${N['s0']}$ is given):",
        note=rf"The notes write $\circ$ for the matrix-vector product and first omit the bias; here "
        rf"${N['W']}$ is ${spec.n} \times {spec.e}$, ${N['U']}$ is ${spec.n} \times {spec.n}$. "
        rf"The notes' IX writes the first update as $s_1 = \tanh(W x_0 + U s_0)$ with $x_0$ the first word; "
        rf"the inputs are numbered ${N.q('x', 1)}, \dots, {N.q('x', 'z')}$ (xii), so the first update reads "
        rf"${N.q('x', 1)}$, and $t = 0$ carries only the initial state ${N['s0']}$.",
    )
    V, c = graph.parameters["V"], graph.parameters.get("c")
    y_pairs = [
        (
            graph.step("yhat", t).expression[i],
            (V * graph.symbols("s", t) + (c if c is not None else sympy.zeros(spec.m, 1)))[i],
        )
        for t in steps
        for i in range(spec.m)
    ]
    B = Equation(
        "(B)",
        yhat_t,
        rf"{N['V']} {s_t}{bias_y}",
        identity(y_pairs, what=rf"each unrolled ${yhat_t}$ against ${N['V']} {s_t}{bias_y}$"),
        instance=tuple(
            Line(context.tex(sym), tuple(ordered_terms(expr, context.tex)))
            for sym, expr in zip(graph.symbols("yhat", 1), graph.step("yhat", 1).expression)
        ),
        caption=r"For $t = 1$:",
    )
    loss_pairs = []
    for t in steps:
        yhat, y = list(graph.symbols("yhat", t)), list(graph.symbols("y", t))
        if spec.loss == "sse":
            written = sympy.Rational(1, 2) * sum((a - b) ** 2 for a, b in zip(yhat, y))
        else:
            written = -sum(
                b * sympy.log(sympy.exp(a) / sum(sympy.exp(c_) for c_ in yhat)) for a, b in zip(yhat, y)
            )
        loss_pairs.append((graph.step("J", t).expression[0], sympy.expand_log(written, force=True)))
    J_t = N.q("J", "t")
    written_loss = (
        rf"\tfrac{{1}}{{2}} \lVert {yhat_t} - {N.q('y', 't')} \rVert^{{2}}"
        if spec.loss == "sse"
        else rf"-\sum_{{i=1}}^{{{spec.m}}} {N.q('y', 't,i')} \log \operatorname{{softmax}}({yhat_t})_{{i}}"
    )
    loss = Equation(
        "(L)",
        J_t,
        written_loss,
        identity(
            loss_pairs, what=rf"each ${N.q('J', 't')}$ of the unrolled graph against the loss as written"
        ),
        instance=(
            Line(
                context.tex(graph.symbols("J", 1)[0]),
                tuple(ordered_terms(graph.step("J", 1).expression[0], context.tex)),
            ),
        ),
        caption=r"For $t = 1$:",
    )
    total = Equation(
        "(J)",
        N["J"],
        rf"\sum_{{t=1}}^{{z}} {J_t}",
        identity(
            [(graph.J, sum(graph.symbols("J", t)[0] for t in range(1, context.z + 1)))],
            what=rf"${N['J']}$ against the sum of the ${N.q('J', 't')}$",
        ),
        instance=(
            Line(
                N["J"],
                tuple(context.tex(graph.symbols("J", t)[0]) for t in steps)
                if context.expand or context.z <= 2
                else (
                    context.tex(graph.symbols("J", 1)[0]),
                    r"\dots",
                    context.tex(graph.symbols("J", context.z)[0]),
                ),
            ),
        ),
        caption=rf"For $z = {context.z}$:",
        note=r"The notes write $\sum_{t=0}^{z}$; there is no output at $t = 0$, so the sum starts at $t = 1$.",
    )
    dJ = lambda P: N.partial(N["J"], N[P])
    dJt = lambda P: N.partial(J_t, N[P])
    checks_1, checks_2 = [], []
    for P in spec.parameter_names:
        method, reference = context.point.total_gradient(P)
        summed = sum(
            (context.point.chain(P, t) for t in range(1, context.z + 1)), start=context.point.zeros(P)
        )
        check = compare(
            flat(summed),
            flat(reference),
            method=method,
            what=rf"$\sum_t$ of the chain-rule ${dJt(P)}$ and ${dJ(P)}$",
        )
        (checks_2 if P == "W" else checks_1).append(check)
    eq1 = Equation(
        "(1)",
        N.partial(N["J"], "P"),
        rf"\sum_{{t=1}}^{{z}} {N.partial(J_t, 'P')}",
        combine(checks_1 + checks_2),
        note=rf"For every parameter $P \in \lbrace {', '.join(N[P] for P in spec.parameter_names)} \rbrace$.",
    )
    eq2 = Equation("(2)", dJ("W"), rf"\sum_{{t=1}}^{{z}} {dJt('W')}", combine(checks_2))
    intro = Paragraph(
        rf"A sequence of $z = {context.z}$ inputs ${N.q('x', 't')} \in \mathbb{{R}}^{{{spec.e}}}$ and targets "
        rf"${N.q('y', 't')} \in \mathbb{{R}}^{{{spec.m}}}$, states ${s_t} \in \mathbb{{R}}^{{{spec.n}}}$, $t = 1, \dots, z$. "
        r"Element indices are written after the time index and start at 1."
    )
    figures = (cell_figure(N, spec.notation), unfolded_figure(N, spec.notation, context.z))
    return Section("The model and the total loss", (intro, *figures, A, B, loss, total, eq1, eq2))
