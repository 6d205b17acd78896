"""The closing chapter: vanishing and exploding gradients ([26]-[29]) and the remedies (Solutions I-III)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import sympy

from ...engine.service import Quantity, derivative
from ...spec import RNNSpec
from ...unroll import unroll
from ..blocks import Equation, Figure, Line, Paragraph, Section
from ..checks import combine, compare, flat, identity, numeric
from ..context import Context

# Random draws for the sampled bounds (kept small: a document must stay fast), and the slack a float
# product may exceed its bound by (rounding only).
BOUND_SAMPLES = 64
BOUND_STEPS = 12
BOUND_SLACK = 1e-12
SEED = 0
# The truncation window of the truncated-BPTT example: keep the k = t term only.
TRUNCATION = 1

u = sympy.Symbol("u", real=True)


@dataclass(frozen=True)
class ClosingFacts:
    """The numbers the chapter states, each computed (SymPy or sampling), never typed."""

    probability_below_one: sympy.Expr  # P(|W_hh| < 1) for W_hh ~ N(0, 1), exact
    probability_inactive: sympy.Expr  # P(u <= 0) for u ~ N(0, 1), exact
    gamma: dict  # max f' for tanh and sigmoid, exact
    tanh_derivative_at_zero: sympy.Expr
    tanh_derivative_limit: sympy.Expr
    tanh_derivative_positive: bool


def _maximum_through_output(
    derivative_of_output: sympy.Expr, y: sympy.Symbol, low: int, high: int
) -> sympy.Expr:
    """max f' over u, with f' written through y = f(u) ranging over the open interval (low, high)."""
    critical = [c for c in sympy.solve(sympy.diff(derivative_of_output, y), y) if low < c < high]
    ends = [derivative_of_output.subs(y, low), derivative_of_output.subs(y, high)]
    return sympy.Max(*[derivative_of_output.subs(y, c) for c in critical], *ends)


@lru_cache(maxsize=1)
def closing_facts() -> ClosingFacts:
    """P(|W_hh| < 1) = erf(1/√2), P(u ≤ 0) = 1/2, γ = max f' (1 for tanh, 1/4 for sigmoid), f' ∈ (0, 1].

    The probabilities come from the normal density's antiderivative (checked by differentiating it); the
    maxima from f' written through the output (1 − y² for tanh, y(1 − y) for the sigmoid, y in the range).
    """
    x, y = sympy.Symbol("x", real=True), sympy.Symbol("y", real=True)
    density = sympy.exp(-(x**2) / 2) / sympy.sqrt(2 * sympy.pi)
    F = sympy.erf(x / sympy.sqrt(2)) / 2
    if sympy.simplify(sympy.diff(F, x) - density) != 0:  # pragma: no cover - SymPy itself would be wrong
        raise ArithmeticError("the normal density's antiderivative does not differentiate back")
    tanh_prime = 1 - y**2  # y = tanh(u) in (-1, 1)
    return ClosingFacts(
        probability_below_one=F.subs(x, 1) - F.subs(x, -1),
        probability_inactive=F.subs(x, 0) - F.subs(x, -sympy.oo),
        gamma={
            "tanh": _maximum_through_output(tanh_prime, y, -1, 1),
            "sigmoid": _maximum_through_output(y * (1 - y), y, 0, 1),
            "relu": sympy.Integer(1),
            "identity": sympy.Integer(1),
        },
        tanh_derivative_at_zero=tanh_prime.subs(y, sympy.tanh(0)),
        tanh_derivative_limit=tanh_prime.subs(y, sympy.tanh(sympy.oo)),
        tanh_derivative_positive=bool(sympy.solve([tanh_prime <= 0, y > -1, y < 1], y) == sympy.false),
    )


def sampled_bound(
    activation: str, n: int, *, samples: int = BOUND_SAMPLES, steps: int = BOUND_STEPS, seed: int = SEED
) -> tuple[float, int]:
    """The largest ‖∂s_t/∂s_0‖₂ / (γ σ_max(U))^t over random U, W, inputs and t = 1..steps, and the count.

    The products come from the engine's symbolic step Jacobian diag(f'(u_t)) U (lambdified); U ~ N(0, 1/n) scaled
    by a random factor in [0.5, 2], so both the shrinking and the growing regime are sampled.
    """
    from ...engine.step import state_jacobian_function
    from ...spec import RNNSpec

    gamma = float(closing_facts().gamma[activation])
    step = state_jacobian_function(RNNSpec(z=1, e=n, n=n, m=1, activation=activation, bias=False))
    rng = np.random.default_rng(seed)
    worst, count = 0.0, 0
    for _ in range(samples):
        U = rng.standard_normal((n, n)) / np.sqrt(n) * rng.uniform(0.5, 2.0)
        W = rng.standard_normal((n, n)) / np.sqrt(n)
        sigma = np.linalg.norm(U, 2)
        s, product = np.zeros(n), np.eye(n)
        for t in range(1, steps + 1):
            s, jacobian = step({"W": W, "U": U}, s, rng.standard_normal(n))
            product = jacobian @ product
            bound = (gamma * sigma) ** t
            worst = max(worst, float(np.linalg.norm(product, 2) / bound) if bound > 0 else 0.0)
            count += 1
    return worst, count


def evaluate_at(graph, values: dict, expressions: list) -> list:
    """Exact values of expressions in named intermediates, the graph run forward at rational leaf values."""
    known = dict(values)
    for symbol, expression in graph.definitions.items():
        known[symbol] = expression.xreplace(known)
    return [sympy.nsimplify(sympy.sympify(e, strict=True).xreplace(known)) for e in expressions]


def _single_neuron(z: int, activation: str) -> tuple:
    spec = RNNSpec(z=z, e=1, n=1, m=1, activation=activation, bias=False)
    graph = unroll(spec)
    return spec, graph


def _scalar_product(context: Context) -> list:
    """∂h_t/∂h_k = Π f'(u_m) W_hh for the single neuron, checked through every path for t = 3, k = 0."""
    N = context.names
    h, U = (lambda i: N.q("s", i)), N["U"]
    name = (
        context.spec.activation_name
        if context.spec.activation_name in ("tanh", "sigmoid", "relu", "identity")
        else "tanh"
    )
    _, graph = _single_neuron(3, name)
    from ..adapter import f_prime as activation_derivative

    f_prime = {m: activation_derivative(graph, m)[0] for m in (1, 2, 3)}
    Usym = graph.parameters["U"][0]
    product = sympy.Mul(*[sympy.Mul(f_prime[m], Usym, evaluate=False) for m in (3, 2, 1)], evaluate=False)
    total = derivative(graph, Quantity("s", 3), Quantity("s", 0))[0, 0]
    from ..printer import to_latex

    shown = to_latex(
        product,
        notation=context.spec.notation,
        scalar_roles={"s": (True,), "U": (True, True), "u": (True,)},
        as_built=True,
    )
    f_form = {
        "tanh": rf"\bigl(1 - {h('m')}^{{2}}\bigr)",
        "sigmoid": rf"{h('m')}\bigl(1 - {h('m')}\bigr)",
        "relu": rf"\mathbf{{1}}[{h('m')} > 0]",
        "identity": "",
    }[name]
    return [
        Equation(
            "[26]$'$",
            N.partial(h("t"), h("k")),
            rf"\prod_{{m=k+1}}^{{t}} {f_form}\, {U}",
            identity(
                [(total, product)],
                what=rf"${N.partial(h(3), h(0))}$ of a single neuron through every path against "
                rf"the product of three factors",
            ),
            instance=(Line(N.partial(h(3), h(0)), (shown,)),),
            caption=r"For the single neuron, $t = 3$, $k = 0$:",
            note=rf"[26] at every step of (17): one factor $f'({N.q('u', 'm')})\, {U}$ per step between $k$ and $t$. "
            rf"Every (t, k) term of (9) and (16) carries this product.",
        )
    ]


def _derivative_range(context: Context, facts: ClosingFacts) -> list:
    N = context.names
    U = N["U"]
    ok = (
        facts.tanh_derivative_at_zero == 1
        and facts.tanh_derivative_limit == 0
        and facts.tanh_derivative_positive
        and facts.gamma["tanh"] == 1
    )
    range_check = numeric(
        ok,
        method="exact value",
        what=r"with $f' = 1 - y^{2}$, $y = \tanh(u) \in (-1, 1)$: $f'(0) = "
        + sympy.latex(facts.tanh_derivative_at_zero)
        + r"$, $f' \to "
        + sympy.latex(facts.tanh_derivative_limit)
        + r"$ as $y \to \pm 1$, no $y \in (-1, 1)$ with "
        r"$f' \leq 0$, $\max f' = " + sympy.latex(facts.gamma["tanh"]) + "$",
    )
    worst, count = sampled_bound("tanh", 1)
    bound_check = numeric(
        worst <= 1 + BOUND_SLACK,
        method="sampling",
        what=rf"${count}$ products of a tanh neuron ($t \leq {BOUND_STEPS}$, random ${U}$ and inputs): "
        rf"the largest ratio to the bound is ${worst:.4f}$",
        error=None,
    )
    p = facts.probability_below_one
    p_value = float(sympy.N(p))
    probability = numeric(
        abs(p_value - 0.6826894921370859) < 1e-12 and p == sympy.erf(1 / sympy.sqrt(2)),
        method="exact value",
        what=rf"SymPy's $P(\lvert X \rvert < 1) = {sympy.latex(p)} = {p_value:.4f}$ for $X \sim N(0, 1)$",
    )
    one_sided = float(sympy.N((1 + p) / 2))
    return [
        Equation(
            "[26](i)",
            r"f'(u) = 1 - \tanh^{2}(u)",
            r"\in (0, 1]",
            range_check,
            relation=r"\;",
            note=r"Corrected: the notes write $f'(u) \in [0, 1]$. The value $0$ is never reached (only approached as "
            r"$\lvert u \rvert \to \infty$), and $1$ only at $u = 0$. So each factor $f'$ can only shrink the "
            r"product, never stop it, for $\tanh$.",
        ),
        Equation(
            "(V1)",
            rf"\left\lvert {N.partial(N.q('s', 't'), N.q('s', 'k'))} \right\rvert",
            rf"\prod_{{m=k+1}}^{{t}} f'({N.q('u', 'm')}) \lvert {U} \rvert \leq \lvert {U} \rvert^{{t-k}}",
            bound_check,
            relation="=",
            note=r"The single neuron's bound, from [26](i). It decays geometrically when $\lvert "
            + U
            + r" \rvert < 1$.",
        ),
        Equation(
            "[26](ii)",
            rf"P\bigl(\lvert {U} \rvert < 1\bigr)",
            rf"\operatorname{{erf}}\bigl(1/\sqrt{{2}}\bigr) "
            rf"\approx {p_value:.4f}",
            probability,
            note=rf"Corrected: the notes say ${U}$ is drawn from $N(0, 1)$ “so that ${U} < 1$”. A standard normal "
            rf"draw is below $1$ in absolute value only with probability ${p_value:.4f}$ (and below $1$ at all "
            rf"with ${one_sided:.4f}$); in about a third of the draws $\lvert {U} \rvert > 1$ and the bound (V1) "
            rf"grows instead of decaying.",
        ),
    ]


def _consequences(context: Context) -> list:
    N = context.names
    U = N["U"]
    _, graph = _single_neuron(3, "tanh")
    Usym, s0 = graph.parameters["U"][0], graph.s0[0]
    values = {Usym: sympy.Rational(1, 2), graph.parameters["W"][0]: sympy.Rational(1, 3), s0: 0}
    for t in (1, 2, 3):
        values[graph.symbols("x", t)[0]] = 0
    total = derivative(graph, Quantity("s", 3), Quantity("s", 0))[0, 0]
    (shrink,) = evaluate_at(graph, values, [total])
    (grow,) = evaluate_at(graph, {**values, Usym: 2}, [total])
    vanish = numeric(
        shrink == sympy.Rational(1, 8),
        method="exact value",
        what=rf"${N.partial(N.q('s', 3), N.q('s', 0))}$ of a tanh neuron with ${U} = 1/2$, zero inputs and "
        rf"${N['s0']} = 0$: ${sympy.latex(shrink)}$",
    )
    explode = numeric(
        grow == 8, method="exact value", what=rf"the same with ${U} = 2$: ${sympy.latex(grow)}$"
    )
    return [
        Paragraph(
            r"(I) Errors from further back reach the parameters through longer products, each factor of size at most "
            rf"$\lvert {U} \rvert$: their contributions to (9) and (16) shrink geometrically with $t - k$. "
            r"(II) So the gradient is dominated by the short-range terms $k \approx t$, and the weights learn "
            r"short-term dependencies first."
        ),
        Equation(
            "(V2)",
            rf"{N.partial(N.q('s', 3), N.q('s', 0))}\Big\rvert_{{{U} = 1/2}} = \frac{{1}}{{8}}, \quad "
            rf"{N.partial(N.q('s', 3), N.q('s', 0))}\Big\rvert_{{{U} = 2}}",
            "8",
            combine([vanish, explode]),
            note=r"The notes stop at vanishing. With $\lvert "
            + U
            + r" \rvert > 1$ and small states ($f' \approx 1$) "
            r"the same product grows geometrically: the exploding gradient. Here the states stay at $0$, "
            r"so $f' = 1$ at every step and the product is exactly $" + U + r"^{3}$.",
        ),
    ]


def _matrix_case(context: Context, facts: ClosingFacts) -> list:
    N = context.names
    U = N["U"]
    n = max(context.spec.n, 2)
    checks = []
    for activation in ("tanh", "sigmoid"):
        worst, count = sampled_bound(activation, n)
        checks.append(
            numeric(
                worst <= 1 + BOUND_SLACK,
                method="sampling",
                what=rf"{count} products for {activation} ($n = {n}$, $t \leq {BOUND_STEPS}$, random "
                rf"${U}$, ${N['W']}$ and inputs): the largest ratio to the bound is ${worst:.4f}$",
            )
        )
    gamma = facts.gamma
    gamma_check = numeric(
        gamma["tanh"] == 1 and gamma["sigmoid"] == sympy.Rational(1, 4),
        method="exact value",
        what=rf"SymPy's maxima: $\max \tanh' = {sympy.latex(gamma['tanh'])}$, "
        rf"$\max \sigma' = {sympy.latex(gamma['sigmoid'])}$",
    )
    s_t, s_k = N.q("s", "t"), N.q("s", "k")
    blocks = [
        Equation(
            "(V3)",
            rf"\left\lVert {N.partial(s_t, s_k)} \right\rVert",
            rf"\left\lVert \prod_{{m=k+1}}^{{t}} \operatorname{{diag}}\bigl(f'({N.q('u', 'm')})\bigr)\, {U} \right\rVert "
            rf"\leq \bigl(\gamma\, \sigma_{{\max}}({U})\bigr)^{{t-k}}",
            combine([gamma_check, *checks]),
            note=r"The matrix case (Pascanu, Mikolov and Bengio, 2013): $\lVert \cdot \rVert$ is the spectral norm, "
            r"$\sigma_{\max}$ the largest singular value and $\gamma = \max f'$, which is $1$ for $\tanh$ and "
            r"$1/4$ for the sigmoid. If $\sigma_{\max}(" + U + r") < 1/\gamma$ every long product vanishes; "
            r"$\sigma_{\max}(" + U + r") > 1/\gamma$ is necessary (not sufficient) for exploding.",
        ),
        Figure(
            "gradient_flow",
            rf"Median $\lVert \partial {N.q('s', 't')} / \partial {N.q('s', 0)} \rVert_2$ over random draws, "
            r"$n = 8$: $\tanh$ with $N(0, 1)$ and $N(0, 1/n)$ weights, ReLU with identity initialisation, "
            r"the sigmoid, and a linear cell with an orthogonal matrix.",
            graphic=True,
        ),
    ]
    return blocks


def _relu(context: Context, facts: ClosingFacts) -> list:
    N = context.names
    U = N["U"]
    x = sympy.Symbol("x", real=True)
    relu = sympy.Piecewise((x, x > 0), (0, True))
    step = sympy.Piecewise((1, x > 0), (0, True))
    samples = [sympy.Integer(v) for v in (-2, -1, 0, 1, 2)] + [sympy.Rational(1, 3), sympy.Rational(-1, 3)]
    through_f = identity(
        [(sympy.Piecewise((1, relu.subs(x, v) > 0), (0, True)), step.subs(x, v)) for v in samples],
        what=r"$\mathbf{1}[f(x) > 0]$ against [29] at 7 points including $x = 0$",
    )
    half = numeric(
        facts.probability_inactive == sympy.Rational(1, 2),
        method="exact value",
        what=rf"SymPy's $P(u \leq 0) = {sympy.latex(facts.probability_inactive)}$ for $u \sim N(0, 1)$",
    )
    _, graph = _single_neuron(3, "relu")
    values = {graph.parameters["U"][0]: sympy.Rational(1, 2), graph.parameters["W"][0]: 1, graph.s0[0]: 1}
    for t in (1, 2, 3):
        values[graph.symbols("x", t)[0]] = 1
    total = derivative(graph, Quantity("s", 3), Quantity("s", 0))[0, 0]
    (active,) = evaluate_at(graph, values, [total])
    still = numeric(
        active == sympy.Rational(1, 8),
        method="exact value",
        what=rf"${N.partial(N.q('s', 3), N.q('s', 0))}$ of an always-active ReLU neuron with ${U} = 1/2$: "
        rf"${sympy.latex(active)}$",
    )
    return [
        Paragraph(
            r"Solution I, the choice of activation. The notes conclude from [28] and [29] that ReLU prevents "
            r"$f'$ from shrinking. That is half of the truth."
        ),
        Equation(
            "[29]$'$",
            "f'(x)",
            r"\mathbf{1}[f(x) > 0], \quad f'(0) = 0",
            through_f,
            note=r"ReLU's derivative written through $f$, like $\tanh$'s: $f(x) > 0$ exactly when $x > 0$.",
        ),
        Equation(
            "(R1)",
            r"P\bigl(f'(u) = 0\bigr)",
            r"P(u \leq 0) = \tfrac{1}{2}",
            combine([half, still]),
            note=r"Where a unit is active, $f' = 1$ exactly and the factor $f'$ does not shrink anything. But $f'$ is "
            r"$0$ on half of the inputs (for a pre-activation symmetric about $0$): an inactive unit cuts every "
            r"path through it, and the product of (17) becomes $\prod \operatorname{diag}(\mathbf{1}["
            + N.q("s", "m")
            + r" > 0])\, "
            + U
            + r"$, which still vanishes or explodes with the size of $"
            + U
            + r"$ (here $(1/2)^{3}$).",
        ),
    ]


def _identity_init(context: Context) -> list:
    N = context.names
    spec = RNNSpec(z=3, e=2, n=2, m=1, activation="relu")
    graph = unroll(spec)
    P = graph.parameters
    values = {sym: int(i == j) for (i, j), sym in zip([(i, j) for i in range(2) for j in range(2)], P["U"])}
    values.update(dict.fromkeys(P["b"], 0))
    values.update({sym: sympy.Rational(1, 2) for sym in P["W"]})
    values.update(dict.fromkeys(graph.s0, 1))
    for t in (1, 2, 3):
        values.update(dict.fromkeys(graph.symbols("x", t), 1))
    jac = derivative(graph, Quantity("s", 3), Quantity("s", 0))
    evaluated = evaluate_at(graph, values, list(jac.ravel()))
    keeps = numeric(
        evaluated == [1, 0, 0, 1],
        method="exact value",
        what=rf"${N.partial(N.q('s', 3), N.q('s', 0))}$ of a ReLU network ($n = 2$) with ${N['U']} = I$, "
        rf"${N['b']} = 0$ and positive inputs: $I$ exactly",
    )
    memory = dict(values)
    for t in (1, 2, 3):
        memory.update(dict.fromkeys(graph.symbols("x", t), 0))
    s3 = evaluate_at(graph, memory, list(graph.symbols("s", 3)))
    remember = numeric(
        s3 == [1, 1], method="exact value", what=rf"with zero inputs, ${N.q('s', 3)} = {N['s0']}$"
    )
    return [
        Equation(
            "(R2)",
            rf"{N.partial(N.q('s', 't'), N.q('s', 'k'))}\Big\rvert_{{{N['U']} = I,\ {N['b']} = 0}}",
            rf"\prod_{{m=k+1}}^{{t}} \operatorname{{diag}}\bigl(\mathbf{{1}}[{N.q('s', 'm')} > 0]\bigr) = I",
            combine([keeps, remember]),
            note=r"Solution II (Le, Jaitly and Hinton, 2015): with $"
            + N["U"]
            + r" = I$ and zero biases a ReLU "
            r"network starts as an exact memory while its states stay positive: every Jacobian is the identity, "
            r"so nothing vanishes or explodes in the first steps. With $\tanh$ the factors "
            r"$\operatorname{diag}(1 - "
            + N.q("s", "m")
            + r"^{2})$ still shrink the product unless the states stay near $0$. "
            r"Zero biases keep the fixed point: with zero input the state does not drift.",
        ),
    ]


def lstm_cell_path(n: int = 2) -> tuple | None:
    """The LSTM's ∂⁺c_t/∂c_{t−1} from the engine, when RNNSpec accepts cell="lstm"; None until then.

    This is the only adapter to the gated-cell engine: (graph, derivative tensor, f_t symbols) or None.
    """
    try:
        spec = RNNSpec(cell="lstm", z=2, e=1, n=n, m=1)
    except (TypeError, ValueError):
        return None
    graph = unroll(spec)
    path = derivative(graph, Quantity("c", 2), Quantity("c", 1), immediate=True)
    return graph, path, graph.symbols("f", 2)


def _gated(context: Context) -> list:
    N = context.names
    n_shown = min(context.spec.n, 2)
    found = lstm_cell_path(n_shown)
    h_t, h_prev = N.q("s", "t"), N.q("s", "t-1")  # the LSTM's hidden state, in this document's letter
    intro = Paragraph(
        r"Solution III, gated cells. The LSTM (Hochreiter and Schmidhuber, 1997) adds a cell state "
        r"$c_t = f_t \odot c_{t-1} + i_t \odot g_t$ next to $" + h_t + r"$, with gates $f_t, i_t, o_t \in "
        r"(0, 1)^{n}$ computed from $x_t$ and $"
        + h_prev
        + r"$. Along $c$ the step Jacobian (the other inputs held fixed) is "
        r"$\operatorname{diag}(f_t)$: no $f'$ and no weight matrix, so the gradient along $c$ is kept as "
        r"long as the forget gates stay near $1$."
    )
    if found is None:
        return [
            intro,
            Paragraph(
                r"This document does not derive it yet: the derivation engine does not build gated "
                r"cells in this version, and the equation above is stated, not checked."
            ),
        ]
    _, path, f_t = found
    n = len(f_t)
    pairs = [(path[i, j], f_t[i] if i == j else sympy.Integer(0)) for i in range(n) for j in range(n)]
    from ..printer import to_latex

    matrix = sympy.Matrix(path.tolist())
    shown = to_latex(matrix[0, 0] if n == 1 else matrix, notation=context.spec.notation)
    return [
        intro,
        Equation(
            "(G1)",
            r"\frac{\partial^{+} c_t}{\partial c_{t-1}}",
            r"\operatorname{diag}(f_t)",
            identity(
                pairs,
                what=r"the immediate derivative of $c_2$ with respect to $c_1$ from the "
                rf"unrolled LSTM ($n = {n}$) against $\operatorname{{diag}}(f_2)$",
            ),
            instance=(Line(r"\frac{\partial^{+} c_2}{\partial c_1}", (shown,)),),
            caption=rf"Derived from the unrolled LSTM with $n = {n}$:",
            note=r"The additive path of the LSTM: $" + h_prev + r"$ (and so the gates) held fixed. The "
            r"total derivative adds the paths through $" + h_prev + r"$ and the gates; along this "
            r"one nothing but the forget gate multiplies the gradient.",
        ),
    ]


def _percent(fraction: float) -> str:
    """A fraction as a percentage in LaTeX: two decimals, or scientific notation when smaller."""
    value = 100 * fraction
    if value >= 0.01 or value == 0:
        return f"{value:.2f}"
    mantissa, exponent = f"{value:.1e}".split("e")
    return rf"{mantissa} \times 10^{{{int(exponent)}}}"


def _truncated(context: Context) -> list:
    N, z, point = context.names, context.z, context.point
    W = N["W"]
    tau = TRUNCATION
    if z <= tau:
        return []
    dropped = sum(
        (point.term("W", t, k) for t in range(tau + 1, z + 1) for k in range(1, t - tau + 1)),
        start=point.zeros("W"),
    )
    kept = sum(
        (point.term("W", t, k) for t in range(1, z + 1) for k in range(max(1, t - tau + 1), t + 1)),
        start=point.zeros("W"),
    )
    full = point.reference_gradients["W"]
    check = compare(
        flat(full - kept),
        flat(dropped),
        method="delta recurrence",
        what=rf"${N.partial(N['J'], W)}$ minus the kept terms, and the sum of the dropped terms",
    )
    size = float(sympy.sqrt(sum(v**2 for v in flat(dropped))) / sympy.sqrt(sum(v**2 for v in flat(full))))
    term = (
        rf"{N.partial(N.q('J', 't'), N.q('yhat', 't'))} {N.partial(N.q('yhat', 't'), N.q('s', 't'))} "
        rf"{N.partial(N.q('s', 't'), N.q('s', 'k'))} {N.partial(N.q('s', 'k'), W, immediate=True)}"
    )
    return [
        Equation(
            "(TB)",
            rf"{N.partial(N['J'], W)} - \Bigl({N.partial(N['J'], W)}\Bigr)_{{\tau}}",
            rf"\sum_{{t=\tau+1}}^{{z}} \sum_{{k=1}}^{{t-\tau}} {term}",
            check,
            note=rf"Truncated BPTT keeps, for each output $t$, only the terms with $t - k < \tau$ (backpropagates $\tau$ "
            rf"steps). What it drops is exactly the double sum above. For this document's model at its rational check "
            rf"point, with $\tau = {tau}$, the dropped terms are ${_percent(size)}\,\%$ of "
            rf"$\lVert {N.partial(N['J'], W)} \rVert$: the long-range terms that vanishing gradients make small "
            rf"anyway, and that truncation removes even when they are not small.",
        )
    ]


def closing_section(context: Context) -> Section:
    """[26]-[29] and Solutions I-III, every claim computed."""
    facts = closing_facts()
    blocks = (
        _scalar_product(context)
        + _derivative_range(context, facts)
        + _consequences(context)
        + _matrix_case(context, facts)
        + _relu(context, facts)
        + _identity_init(context)
        + _gated(context)
        + _truncated(context)
    )
    return Section(
        r"Why RNNs are hard to train, and the remedies ([26]--[29], Solutions I--III)", tuple(blocks)
    )


__all__ = ["ClosingFacts", "closing_facts", "closing_section", "lstm_cell_path", "sampled_bound"]
