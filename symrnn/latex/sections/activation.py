"""Section: f' written as a function of f, step by step (tanh, sigmoid), and ReLU (Eqs. 28-29)."""
from __future__ import annotations

from typing import Callable

import sympy

from ...activations import activation_rule
from ..blocks import Equation, Paragraph, Section
from ..checks import Check, identity
from ..context import Context

x = sympy.Symbol("x", real=True)
_E, _EM = sympy.exp(x), sympy.exp(-x)


def _step(label: str, lhs: str, rhs: str, left: sympy.Expr, right: sympy.Expr, what: str, note: str = "") -> Equation:
    return Equation(label, lhs, rhs, identity([(left, right)], what=what), note=note)


def _tanh() -> tuple:
    p, q = _E - _EM, _E + _EM
    f = p / q
    dp, dq = sympy.diff(p, x), sympy.diff(q, x)
    return (
        Paragraph(r"Express the derivative $f'(x)$ of $f(x) = \tanh(x)$ as a function of $f(x)$."),
        _step("(T1)", "f(x)", r"\tanh(x) = \frac{e^{x} - e^{-x}}{e^{x} + e^{-x}}", sympy.tanh(x), f, "tanh(x) - p/q"),
        Paragraph(r"Let $p(x) = e^{x} - e^{-x}$ and $q(x) = e^{x} + e^{-x}$, so that $f(x) = p(x)/q(x)$. Then"),
        _step("(i)", "p'(x)", r"e^{x} + e^{-x} = q(x)", dp, q, "p' - q"),
        _step("(ii)", "q'(x)", r"e^{x} - e^{-x} = p(x)", dq, p, "q' - p"),
        _step("(T2)", "f'(x)", r"\frac{p'(x)\, q(x) - p(x)\, q'(x)}{q^{2}(x)}", sympy.diff(f, x),
              (dp * q - p * dq) / q**2, "the quotient rule"),
        _step("(T3)", "f'(x)", r"\frac{q^{2}(x) - p^{2}(x)}{q^{2}(x)}", (dp * q - p * dq) / q**2, (q**2 - p**2) / q**2,
              "(T2) with p' = q and q' = p"),
        _step("(T4)", "f'(x)", r"1 - \frac{p^{2}(x)}{q^{2}(x)}", (q**2 - p**2) / q**2, 1 - p**2 / q**2, "(T3) split"),
        _step("(T5)", "f'(x)", r"1 - \left(\frac{p(x)}{q(x)}\right)^{2}", 1 - p**2 / q**2, 1 - (p / q) ** 2, "(T4) regrouped"),
        _step("(T6)", "f'(x)", r"1 - f^{2}(x)", sympy.diff(sympy.tanh(x), x), 1 - sympy.tanh(x) ** 2,
              "d tanh(x)/dx - (1 - tanh(x)^2)", note=r"This is the boxed result of the notes: $f' = 1 - f^{2}$."),
    )


def _sigmoid() -> tuple:
    f = 1 / (1 + _EM)
    return (
        Paragraph(r"Express the derivative of the logistic sigmoid $f(x) = \sigma(x)$ as a function of $f(x)$."),
        _step("(S1)", "f(x)", r"\frac{1}{1 + e^{-x}}", activation_rule("sigmoid").function(x), f, "the table's sigmoid - 1/(1+e^-x)"),
        _step("(S2)", "f'(x)", r"\frac{e^{-x}}{\left(1 + e^{-x}\right)^{2}}", sympy.diff(f, x), _EM / (1 + _EM) ** 2,
              "the chain rule"),
        _step("(S3)", "f'(x)", r"\frac{1}{1 + e^{-x}} \cdot \frac{e^{-x}}{1 + e^{-x}}", _EM / (1 + _EM) ** 2,
              f * (_EM / (1 + _EM)), "(S2) factored"),
        _step("(S4)", r"\frac{e^{-x}}{1 + e^{-x}}", r"1 - \frac{1}{1 + e^{-x}} = 1 - f(x)", _EM / (1 + _EM), 1 - f,
              "e^-x/(1+e^-x) - (1 - f)"),
        _step("(S5)", "f'(x)", r"f(x)\left(1 - f(x)\right)", sympy.diff(f, x), f * (1 - f), "f' - f (1 - f)"),
    )


def _relu() -> tuple:
    relu, step = activation_rule("relu").function, activation_rule("relu").derivative
    samples = [sympy.Integer(v) for v in (-2, -1, 0, 1, 2)] + [sympy.Rational(1, 3), sympy.Rational(-1, 3)]
    f28 = identity([(sympy.Max(0, x), relu(x))] + [(sympy.Max(0, v), relu(v)) for v in samples],
                   what="max(0, x) - the two cases (symbolically and at 7 points including 0)")
    f29 = identity([(sympy.diff(relu(x), x), step(x))] + [(sympy.diff(relu(x), x).subs(x, v), step(v)) for v in samples],
                   what="d/dx of [28] - [29] (SymPy differentiates each case; at x = 0 the x <= 0 case gives 0)")
    return (
        Paragraph(r"The rectified linear unit and its derivative, as the notes write them:"),
        Equation("[28]", "f(x)", r"\max(0, x) = \begin{cases} x, & x > 0; \\ 0, & x \leq 0. \end{cases}", f28),
        Equation("[29]", "f'(x)", r"\begin{cases} 1, & x > 0; \\ 0, & x \leq 0. \end{cases}", f29,
                 note=r"$f$ has no derivative at $x = 0$; [29] takes $f'(0) = 0$, as PyTorch does. "
                      r"So $f'$ is not written through $f$: it needs the sign of the pre-activation."),
    )


def _identity_activation() -> tuple:
    return (_step("(I1)", "f'(x)", "1", sympy.diff(x, x), sympy.Integer(1), "d x/dx - 1"),)


def _custom(context: Context) -> tuple:
    rule = activation_rule(context.spec.activation)
    return (_step("(C1)", "f'(x)", sympy.latex(rule.derivative(x)), sympy.diff(rule.function(x), x), rule.derivative(x),
                  "diff of the user's f - its derivative"),)


BUILDERS: dict[str, Callable[[], tuple]] = {"tanh": _tanh, "sigmoid": _sigmoid, "relu": _relu, "identity": _identity_activation}

# f'(a) written through f, as a LaTeX template of the argument a (the notes' Eq. 27 form).
DERIVATIVE_THROUGH_F: dict[str, Callable[[str], str]] = {
    "tanh": lambda a: rf"\left(1 - f^{{2}}({a})\right)",
    "sigmoid": lambda a: rf"f({a})\left(1 - f({a})\right)",
    "relu": lambda a: rf"\mathbf{{1}}[{a} > 0]",
    "identity": lambda a: "1",
}


def activation_section(context: Context) -> Section:
    """The derivative of the spec's activation written through the activation itself."""
    name = context.spec.activation_name
    blocks = BUILDERS[name]() if name in BUILDERS else _custom(context)
    rule = activation_rule(context.spec.activation)
    if rule.derivative_of_output is not None:
        u, y = sympy.Symbol("u", real=True), sympy.Symbol("y", real=True)
        table = identity([(rule.derivative(u), rule.derivative_of_output(y).subs(y, rule.function(u)))],
                         what="the rule table's f'(u) against its form through f")
        blocks = blocks + (Paragraph(r"The rule table of symrnn uses the same form "
                                     + ("(checked: " + ("passed" if table.ok else "FAILED") + ")."),),)
        if not table.ok:
            blocks = blocks + (Equation("(T*)", "f'(u)", "f'(u)", Check("identity", False, table.detail)),)
    return Section(r"The derivative of the activation as a function of itself", blocks)
