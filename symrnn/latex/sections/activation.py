"""Section: f' written as a function of f, step by step (tanh, sigmoid), and ReLU (Eqs. 28-29)."""

from __future__ import annotations

from collections.abc import Callable

import sympy

from ...activations import activation_rule
from ..blocks import Equation, Paragraph, Section
from ..checks import Check, identity
from ..context import Context

x = sympy.Symbol("x", real=True)
_E, _EM = sympy.exp(x), sympy.exp(-x)


def _step(
    label: str, lhs: str, rhs: str, left: sympy.Expr, right: sympy.Expr, what: str, note: str = ""
) -> Equation:
    return Equation(label, lhs, rhs, identity([(left, right)], what=what), note=note)


def _tanh() -> tuple:
    p, q = _E - _EM, _E + _EM
    f = p / q
    dp, dq = sympy.diff(p, x), sympy.diff(q, x)
    return (
        Paragraph(r"Express the derivative $f'(x)$ of $f(x) = \tanh(x)$ as a function of $f(x)$."),
        _step(
            "(T1)",
            "f(x)",
            r"\tanh(x) = \frac{e^{x} - e^{-x}}{e^{x} + e^{-x}}",
            sympy.tanh(x),
            f,
            r"$\tanh(x)$ against $p(x)/q(x)$",
            note=r"The notes label this formula “SIGMOID FORM”; it is the hyperbolic tangent, not the logistic "
            r"sigmoid $\sigma(x) = 1/(1 + e^{-x})$. The two are related by (T1$'$).",
        ),
        _step(
            "(T1')",
            r"\tanh(x)",
            r"2\sigma(2x) - 1",
            sympy.tanh(x),
            2 / (1 + sympy.exp(-2 * x)) - 1,
            r"$\tanh(x)$ against $2\sigma(2x) - 1$",
        ),
        Paragraph(
            r"Let $p(x) = e^{x} - e^{-x}$ and $q(x) = e^{x} + e^{-x}$, so that $f(x) = p(x)/q(x)$. Then"
        ),
        _step("(i)", "p'(x)", r"e^{x} + e^{-x} = q(x)", dp, q, r"$p'(x)$ against $q(x)$"),
        _step("(ii)", "q'(x)", r"e^{x} - e^{-x} = p(x)", dq, p, r"$q'(x)$ against $p(x)$"),
        _step(
            "(T2)",
            "f'(x)",
            r"\frac{p'(x)\, q(x) - p(x)\, q'(x)}{q^{2}(x)}",
            sympy.diff(f, x),
            (dp * q - p * dq) / q**2,
            r"SymPy's $f'(x)$ against the quotient rule",
        ),
        _step(
            "(T3)",
            "f'(x)",
            r"\frac{q^{2}(x) - p^{2}(x)}{q^{2}(x)}",
            (dp * q - p * dq) / q**2,
            (q**2 - p**2) / q**2,
            r"(T2) with $p' = q$ and $q' = p$",
        ),
        _step(
            "(T4)",
            "f'(x)",
            r"1 - \frac{p^{2}(x)}{q^{2}(x)}",
            (q**2 - p**2) / q**2,
            1 - p**2 / q**2,
            "(T3) split into two fractions",
        ),
        _step(
            "(T5)",
            "f'(x)",
            r"1 - \left(\frac{p(x)}{q(x)}\right)^{2}",
            1 - p**2 / q**2,
            1 - (p / q) ** 2,
            "(T4) regrouped",
        ),
        _step(
            "(T6)",
            "f'(x)",
            r"1 - f^{2}(x)",
            sympy.diff(sympy.tanh(x), x),
            1 - sympy.tanh(x) ** 2,
            r"SymPy's derivative of $\tanh(x)$ against $1 - \tanh^{2}(x)$",
            note=r"This is the boxed result of the notes: $f' = 1 - f^{2}$.",
        ),
    )


def _sigmoid() -> tuple:
    f = 1 / (1 + _EM)
    return (
        Paragraph(
            r"Express the derivative of the logistic sigmoid $f(x) = \sigma(x)$ as a function of $f(x)$."
        ),
        _step(
            "(S1)",
            "f(x)",
            r"\frac{1}{1 + e^{-x}}",
            activation_rule("sigmoid").function(x),
            f,
            r"the rule table's sigmoid against $1/(1 + e^{-x})$",
        ),
        _step(
            "(S2)",
            "f'(x)",
            r"\frac{e^{-x}}{\left(1 + e^{-x}\right)^{2}}",
            sympy.diff(f, x),
            _EM / (1 + _EM) ** 2,
            r"SymPy's $f'(x)$ against (S2)",
        ),
        _step(
            "(S3)",
            "f'(x)",
            r"\frac{1}{1 + e^{-x}} \cdot \frac{e^{-x}}{1 + e^{-x}}",
            _EM / (1 + _EM) ** 2,
            f * (_EM / (1 + _EM)),
            "(S2) factored",
        ),
        _step(
            "(S4)",
            r"\frac{e^{-x}}{1 + e^{-x}}",
            r"1 - \frac{1}{1 + e^{-x}} = 1 - f(x)",
            _EM / (1 + _EM),
            1 - f,
            r"$e^{-x}/(1 + e^{-x})$ against $1 - f(x)$",
        ),
        _step(
            "(S5)",
            "f'(x)",
            r"f(x)\left(1 - f(x)\right)",
            sympy.diff(f, x),
            f * (1 - f),
            r"SymPy's $f'(x)$ against $f(x)(1 - f(x))$",
        ),
    )


def _relu() -> tuple:
    relu, step = activation_rule("relu").function, activation_rule("relu").derivative
    samples = [sympy.Integer(v) for v in (-2, -1, 0, 1, 2)] + [sympy.Rational(1, 3), sympy.Rational(-1, 3)]
    f28 = identity(
        [(sympy.Max(0, x), relu(x))] + [(sympy.Max(0, v), relu(v)) for v in samples],
        what=r"$\max(0, x)$ against the two cases, symbolically and at 7 points including $x = 0$",
    )
    f29 = identity(
        [(sympy.diff(relu(x), x), step(x))] + [(sympy.diff(relu(x), x).subs(x, v), step(v)) for v in samples],
        what=r"SymPy's derivative of [28] against [29], each case and at 7 points (at $x = 0$ the case $x \leq 0$ gives $0$)",
    )
    positive, negative = sympy.Symbol("x_p", positive=True), sympy.Symbol("x_n", negative=True)
    indicator = lambda v: sympy.Piecewise((1, relu(v) > 0), (0, True))
    through_f = identity(
        [(indicator(v), step(v)) for v in (positive, negative, *samples)],
        what=r"$\mathbf{1}[f(x) > 0]$ against [29] for $x > 0$, $x < 0$ and at 7 points including $x = 0$",
    )
    return (
        Paragraph(r"The rectified linear unit and its derivative, as the notes write them:"),
        Equation(
            "[28]", "f(x)", r"\max(0, x) = \begin{cases} x, & x > 0; \\ 0, & x \leq 0. \end{cases}", f28
        ),
        Equation(
            "[29]",
            "f'(x)",
            r"\begin{cases} 1, & x > 0; \\ 0, & x \leq 0. \end{cases}",
            f29,
            note=r"$f$ has no derivative at $x = 0$; [29] takes $f'(0) = 0$, as PyTorch does.",
        ),
        Equation(
            "[29']",
            "f'(x)",
            r"\mathbf{1}[f(x) > 0]",
            through_f,
            note=r"Like $\tanh$ and $\sigma$, ReLU's derivative is a function of its output: $f(x) > 0$ exactly "
            r"when $x > 0$, and at $x = 0$ both sides are $0$ (the convention $f'(0) = 0$). The sections "
            r"below write it this way.",
        ),
    )


def _identity_activation() -> tuple:
    return (_step("(I1)", "f'(x)", "1", sympy.diff(x, x), sympy.Integer(1), r"$dx/dx$ against $1$"),)


def _custom(context: Context) -> tuple:
    rule = activation_rule(context.spec.activation)
    return (
        _step(
            "(C1)",
            "f'(x)",
            sympy.latex(rule.derivative(x)),
            sympy.diff(rule.function(x), x),
            rule.derivative(x),
            r"SymPy's derivative of $f$ against the rule table's $f'$",
        ),
    )


BUILDERS: dict[str, Callable[[], tuple]] = {
    "tanh": _tanh,
    "sigmoid": _sigmoid,
    "relu": _relu,
    "identity": _identity_activation,
}

# f'(a) written through f, as a LaTeX template of the argument a (the notes' Eq. 27 form), bare.
DERIVATIVE_THROUGH_F: dict[str, Callable[[str], str]] = {
    "tanh": lambda a: rf"1 - f^{{2}}({a})",
    "sigmoid": lambda a: rf"f({a})\bigl(1 - f({a})\bigr)",
    "relu": lambda a: rf"\mathbf{{1}}[f({a}) > 0]",
    "identity": lambda a: "1",
}
# Forms that are sums and need parentheses when a factor of a product.
_SUMS = frozenset({"tanh"})


def derivative_through_f(name: str, argument: str, *, factor: bool = False) -> str:
    """f'(argument) through f; ``factor`` adds the parentheses a product needs (only around a sum)."""
    if name not in DERIVATIVE_THROUGH_F:
        return f"f'({argument})"
    text = DERIVATIVE_THROUGH_F[name](argument)
    return rf"\bigl({text}\bigr)" if factor and name in _SUMS else text


def activation_section(context: Context) -> Section:
    """The derivative of the spec's activation written through the activation itself."""
    name = context.spec.activation_name
    blocks = BUILDERS[name]() if name in BUILDERS else _custom(context)
    rule = activation_rule(context.spec.activation)
    if rule.derivative_of_output is not None:
        u, y = sympy.Symbol("u", real=True), sympy.Symbol("y", real=True)
        table = identity(
            [(rule.derivative(u), rule.derivative_of_output(y).subs(y, rule.function(u)))],
            what=r"the rule table's $f'(u)$ against its form through $f$",
        )
        blocks = blocks + (
            Paragraph(
                r"The sections below use this form of $f'$ "
                + ("(checked: " + ("passed" if table.ok else "FAILED") + ")."),
            ),
        )
        if not table.ok:
            blocks = blocks + (Equation("(T*)", "f'(u)", "f'(u)", Check("identity", False, table.detail)),)
    return Section(r"The derivative of the activation as a function of itself", blocks)
