"""Tests of the formula parser: the notes' and textbooks' equations, clear errors, safety, fuzzing."""

from __future__ import annotations

import inspect
import logging
import re
import string
import time
from fractions import Fraction
from importlib import resources

import lark
import pytest
from formula_corpus import CORPUS, KINDS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symrnn.errors import FormulaError
from symrnn.formula import parse as parse_module
from symrnn.formula import tree as tree_module
from symrnn.formula.parse import MAX_DEPTH, MAX_LENGTH, MAX_NESTING, check_limits, parse
from symrnn.formula.tree import (
    INDEX_VARIABLES,
    Add,
    Apply,
    Dependence,
    Derivative,
    Diag,
    Dots,
    Equation,
    Formula,
    Identity,
    Index,
    Mul,
    Neg,
    Number,
    Power,
    Product,
    Quantity,
    Sum,
    Transpose,
    children,
    depth,
    free_variables,
    walk,
)

GUARD_SECONDS = 2.0
"""Generous bound for rejecting a hostile input (it takes milliseconds)."""
FUZZ_EXAMPLES = 1000
"""Examples per fuzz test (seeded); the three run in a few seconds."""


# Builders for expected trees; spans and raw text are not part of equality.
def ix(variable: str | None = None, offset: int = 0) -> Index:
    return Index.of(variable, offset)


def q(role: str, time: Index | int | str | None = None) -> Quantity:
    if isinstance(time, int):
        time = ix(None, time)
    elif isinstance(time, str):
        time = ix(time)
    return Quantity(role, time)


def d(of, wrt, kind: str = "partial") -> Derivative:
    return Derivative(kind, of, wrt)


def mul(*factors, op: str = "juxtapose") -> Mul:
    return Mul(tuple(factors), (op,) * (len(factors) - 1))


def eq(lhs, rhs=None) -> Formula:
    return Formula((Equation(lhs, rhs),))


def diag_one_minus_square(x) -> Diag:
    return Diag(Add((Number(1), Neg(Power(x, ix(None, 2))))))


t, k, m, T, z, tau = ix("t"), ix("k"), ix("m"), ix("T"), ix("z"), ix("tau")
W, U, V, b, c, P, J = q("W"), q("U"), q("V"), q("b"), q("c"), q("P"), q("J")
s_t, s_k, yhat_t, J_t = q("s", "t"), q("s", "k"), q("yhat", "t"), q("J", "t")
CHAIN_W = mul(d(J_t, yhat_t), d(yhat_t, s_t), d(s_t, s_k), d(s_k, W), op="cdot")
CHAIN_V = mul(d(J_t, yhat_t), d(yhat_t, s_t), d(s_t, s_k), d(s_k, V), op="cdot")
GRADIENT_L = Derivative("nabla", J, q("s", "t"))

# (label, latex, notation, expected Formula) -- the notes' equations as written, then the textbooks.
EXACT = [
    (
        "notes (1)",
        r"\frac{\partial J}{\partial P} = \sum_t \frac{\partial J_t}{\partial P}",
        "notes",
        eq(d(J, P), Sum("t", None, None, d(J_t, P))),
    ),
    (
        "notes (2)",
        r"\frac{\partial J}{\partial \underline{W}} = \sum_t \frac{\partial J_t}{\partial \underline{W}}",
        "notes",
        eq(d(J, W), Sum("t", None, None, d(J_t, W))),
    ),
    (
        "notes (3)",
        r"\frac{\partial J_2}{\partial \underline{W}} = \frac{\partial J_2}{\partial \hat{y}_2} \cdot "
        r"\frac{\partial \hat{y}_2}{\partial s_2} \cdot \frac{\partial s_2}{\partial \underline{W}}",
        "notes",
        eq(
            d(q("J", 2), W),
            mul(d(q("J", 2), q("yhat", 2)), d(q("yhat", 2), q("s", 2)), d(q("s", 2), W), op="cdot"),
        ),
    ),
    (
        "notes (5)",
        r"s_2 = s_2(s_1(\underline{w}), s_0(\underline{w}); \underline{w})",
        "notes",
        eq(q("s", 2), Dependence(q("s", 2), (Dependence(q("s", 1), (W,)), Dependence(q("s", 0), (W,)), W))),
    ),
    (
        "notes (6)",
        r"\frac{ds_2}{d\underline{w}} = \frac{\partial s_2}{\partial \underline{w}} + \frac{\partial s_2}"
        r"{\partial s_1} \cdot \frac{\partial s_1}{\partial \underline{w}} + \frac{\partial s_2}{\partial s_0} \cdot "
        r"\frac{\partial s_0}{\partial \underline{w}}",
        "notes",
        eq(
            d(q("s", 2), W, "total"),
            Add(
                (
                    d(q("s", 2), W),
                    mul(d(q("s", 2), q("s", 1)), d(q("s", 1), W), op="cdot"),
                    mul(d(q("s", 2), q("s", 0)), d(q("s", 0), W), op="cdot"),
                )
            ),
        ),
    ),
    (
        "notes (7)",
        r"\frac{ds_2}{d\underline{w}} = \sum_{k=0}^2 \frac{\partial s_2}{\partial s_k} \cdot "
        r"\frac{\partial s_k}{\partial \underline{w}}",
        "notes",
        eq(
            d(q("s", 2), W, "total"),
            Sum("k", ix(None, 0), ix(None, 2), mul(d(q("s", 2), s_k), d(s_k, W), op="cdot")),
        ),
    ),
    (
        "notes k=2 term",
        r"\frac{\partial s_2}{\partial s_2} \cdot \frac{\partial s_2}{\partial \underline{w}} = "
        r"\frac{\partial s_2}{\partial \underline{w}}",
        "notes",
        eq(mul(d(q("s", 2), q("s", 2)), d(q("s", 2), W), op="cdot"), d(q("s", 2), W)),
    ),
    (
        "notes (8)",
        r"\frac{\partial s_2}{\partial \underline{w}} = \sum_{k=0}^1 \frac{\partial s_2}{\partial \hat{y}_2}"
        r" \cdot \frac{\partial \hat{y}_2}{\partial s_2} \cdot \frac{\partial s_2}{\partial s_k} \cdot "
        r"\frac{\partial s_k}{\partial \underline{w}}",
        "notes",
        eq(
            d(q("s", 2), W),
            Sum(
                "k",
                ix(None, 0),
                ix(None, 1),
                mul(
                    d(q("s", 2), q("yhat", 2)),
                    d(q("yhat", 2), q("s", 2)),
                    d(q("s", 2), s_k),
                    d(s_k, W),
                    op="cdot",
                ),
            ),
        ),
    ),
    (
        "notes (9)",
        r"\frac{\partial J_t}{\partial \underline{w}} = \sum_{k=0}^t \frac{\partial J_t}{\partial \hat{y}_t}"
        r" \cdot \frac{\partial \hat{y}_t}{\partial s_t} \cdot \frac{\partial s_t}{\partial s_k} \cdot "
        r"\frac{\partial s_k}{\partial \underline{w}}",
        "notes",
        eq(d(J_t, W), Sum("k", ix(None, 0), t, CHAIN_W)),
    ),
    (
        "notes (10)",
        r"\frac{\partial J}{\partial \underline{v}} = \sum_t \frac{\partial J_t}{\partial \underline{v}}",
        "notes",
        eq(d(J, V), Sum("t", None, None, d(J_t, V))),
    ),
    (
        "notes (12)",
        r"\frac{\partial J_t}{\partial \underline{v}} = \frac{\partial J_t}{\partial \hat{y}_t} \cdot "
        r"\frac{\partial \hat{y}_t}{\partial \underline{v}}",
        "notes",
        eq(d(J_t, V), mul(d(J_t, yhat_t), d(yhat_t, V), op="cdot")),
    ),
    (
        "notes (13)",
        r"\frac{\partial J_t}{\partial \underline{v}} = \frac{\partial J_t}{\partial \hat{y}_t} \cdot "
        r"\frac{\partial \hat{y}_t}{\partial s_t} \cdot \frac{\partial s_t}{\partial \underline{v}}",
        "notes",
        eq(d(J_t, V), mul(d(J_t, yhat_t), d(yhat_t, s_t), d(s_t, V), op="cdot")),
    ),
    (
        "notes (14)",
        r"s_t = s_t(s_{t-1}(\underline{v}), s_{t-2}(\underline{v}), \dots, s_0(\underline{v}), "
        r"\underline{v})",
        "notes",
        eq(
            s_t,
            Dependence(
                s_t,
                (
                    Dependence(q("s", ix("t", -1)), (V,)),
                    Dependence(q("s", ix("t", -2)), (V,)),
                    Dots(),
                    Dependence(q("s", 0), (V,)),
                    V,
                ),
            ),
        ),
    ),
    (
        "notes (15)",
        r"\frac{ds_t}{d\underline{v}} = \sum_{k=0}^t \frac{\partial s_t}{\partial s_k} \cdot "
        r"\frac{\partial s_k}{\partial \underline{v}}",
        "notes",
        eq(d(s_t, V, "total"), Sum("k", ix(None, 0), t, mul(d(s_t, s_k), d(s_k, V), op="cdot"))),
    ),
    (
        "notes (16)",
        r"\frac{\partial J_t}{\partial \underline{v}} = \sum_{k=0}^t \frac{\partial J_t}{\partial "
        r"\hat{y}_t} \cdot \frac{\partial \hat{y}_t}{\partial s_t} \cdot \frac{\partial s_t}{\partial s_k} \cdot "
        r"\frac{\partial s_k}{\partial \underline{v}}",
        "notes",
        eq(d(J_t, V), Sum("k", ix(None, 0), t, CHAIN_V)),
    ),
    (
        "notes (17)",
        r"\frac{\partial s_t}{\partial s_k} = \prod_{m=k+1}^t \frac{\partial s_m}{\partial s_{m-1}}",
        "notes",
        eq(d(s_t, s_k), Product("m", ix("k", 1), t, d(q("s", m), q("s", ix("m", -1))))),
    ),
    ("notes [17]", r"\frac{\partial \underline{h}_t}{\partial \underline{h}_k}", "notes", eq(d(s_t, s_k))),
    (
        "notes [18]",
        r"\frac{\partial \underline{h}_2}{\partial \underline{h}_0} = \frac{\partial \underline{h}_2}"
        r"{\partial \underline{h}_1} \cdot \frac{\partial \underline{h}_1}{\partial \underline{h}_0}",
        "notes",
        eq(d(q("s", 2), q("s", 0)), mul(d(q("s", 2), q("s", 1)), d(q("s", 1), q("s", 0)), op="cdot")),
    ),
    (
        "notes [19]",
        r"\frac{\partial \underline{h}_t}{\partial \underline{h}_0} = \frac{\partial \underline{h}_t}"
        r"{\partial \underline{h}_{t-1}} \cdot \frac{\partial \underline{h}_{t-1}}{\partial \underline{h}_{t-2}} \cdot "
        r"\dots \cdot \frac{\partial \underline{h}_2}{\partial \underline{h}_1} \cdot \frac{\partial \underline{h}_1}"
        r"{\partial \underline{h}_0}",
        "notes",
        eq(
            d(s_t, q("s", 0)),
            mul(
                d(s_t, q("s", ix("t", -1))),
                d(q("s", ix("t", -1)), q("s", ix("t", -2))),
                Dots(),
                d(q("s", 2), q("s", 1)),
                d(q("s", 1), q("s", 0)),
                op="cdot",
            ),
        ),
    ),
    (
        "notes [20]",
        r"\frac{\partial \underline{h}_t}{\partial \underline{h}_k} = \prod_{m=k+1}^{m=t} "
        r"\frac{\partial \underline{h}_m}{\partial \underline{h}_{m-1}}",
        "notes",
        eq(d(s_t, s_k), Product("m", ix("k", 1), t, d(q("s", m), q("s", ix("m", -1))))),
    ),
    (
        "notes [21]",
        r"\frac{\partial \underline{h}_t}{\partial \underline{h}_{t-1}}",
        "notes",
        eq(d(s_t, q("s", ix("t", -1)))),
    ),
    (
        "notes [22]",
        r"h_t = f(\underline{W}_{xh}^T \cdot \underline{x}_t + W_{hh} \cdot h_{t-1})",
        "notes",
        eq(
            s_t,
            Apply(
                "f",
                (Add((mul(Transpose(W), q("x", "t"), op="cdot"), mul(U, q("s", ix("t", -1)), op="cdot"))),),
            ),
        ),
    ),
    ("notes [23]", r"y_t = W_{hy} \cdot h_t", "notes", eq(q("y", "t"), mul(V, s_t, op="cdot"))),
    (
        "notes [24]",
        r"\frac{\partial h_t}{\partial h_{t-1}} = \frac{\partial f}{\partial u} \cdot "
        r"\frac{\partial u}{\partial h_{t-1}}",
        "notes",
        eq(
            d(s_t, q("s", ix("t", -1))),
            mul(d(Apply("f", ()), q("u")), d(q("u"), q("s", ix("t", -1))), op="cdot"),
        ),
    ),
    (
        "notes [25]",
        r"\frac{\partial u}{\partial h_{t-1}} = W_{hh}",
        "notes",
        eq(d(q("u"), q("s", ix("t", -1))), U),
    ),
    (
        "notes [26]",
        r"\frac{\partial h_t}{\partial h_{t-1}} = f'(u) \cdot W_{hh}",
        "notes",
        eq(d(s_t, q("s", ix("t", -1))), mul(Apply("f_prime", (q("u"),)), U, op="cdot")),
    ),
    (
        "notes [27]",
        r"\frac{\partial h_t}{\partial h_{t-1}} = (1 - f^2(\underline{W}_{xh}^T \underline{x}_t + W_{hh} "
        r"\cdot h_{t-1})) W_{hh}",
        "notes",
        eq(
            d(s_t, q("s", ix("t", -1))),
            mul(
                Add(
                    (
                        Number(1),
                        Neg(
                            Power(
                                Apply(
                                    "f",
                                    (
                                        Add(
                                            (
                                                mul(Transpose(W), q("x", "t")),
                                                mul(U, q("s", ix("t", -1)), op="cdot"),
                                            )
                                        ),
                                    ),
                                ),
                                ix(None, 2),
                            )
                        ),
                    )
                ),
                U,
            ),
        ),
    ),
    (
        "notes (A)",
        r"\underline{s}_t = f(\underline{W} \circ \underline{x}_t + \underline{U} \circ \underline{s}_{t-1})",
        "notes",
        eq(s_t, Apply("f", (Add((mul(W, q("x", "t"), op="circ"), mul(U, q("s", ix("t", -1)), op="circ"))),))),
    ),
    (
        "notes (B)",
        r"\underline{\hat{y}}_t = \underline{V} \circ \underline{s}_t",
        "notes",
        eq(yhat_t, mul(V, s_t, op="circ")),
    ),
    (
        "notes s_1",
        r"s_1 = \text{tanh}(Wx_0 + Us_0)",
        "notes",
        eq(q("s", 1), Apply("tanh", (Add((mul(W, q("x", 0)), mul(U, q("s", 0)))),))),
    ),
    (
        "notes s(t)",
        r"s(t) = f(\underline{W}_0 x(t) + \underline{U}_0 s(t-1) + \underline{b})",
        "notes",
        eq(s_t, Apply("f", (Add((mul(W, q("x", "t")), mul(U, q("s", ix("t", -1))), b)),))),
    ),
    (
        "notes yhat(t)",
        r"\hat{y}(t) = \underline{V}_0 s(t) + \underline{c}",
        "notes",
        eq(yhat_t, Add((mul(V, s_t), c))),
    ),
    (
        "notes [28]",
        r"f(x) = \max(0, x)",
        "notes",
        eq(Apply("f", (q("x"),)), Apply("max", (Number(0), q("x")))),
    ),
    (
        "notes f'",
        r"f'(x) = 1 - f^2(x)",
        "notes",
        eq(Apply("f_prime", (q("x"),)), Add((Number(1), Neg(Power(Apply("f", (q("x"),)), ix(None, 2)))))),
    ),
    (
        "notes VIII",
        r"\underline{h}^{(t)} = f(\underline{h}^{(t-1)} + \underline{x}^{(t)})",
        "notes",
        eq(s_t, Apply("f", (Add((q("s", ix("t", -1)), q("x", "t"))),))),
    ),
    (
        "d2l dL/dW_hh",
        r"\frac{\partial L}{\partial W_{hh}} = \sum_{t=1}^T \frac{\partial L}{\partial h_t} h_{t-1}^\top",
        "d2l",
        eq(d(J, U), Sum("t", ix(None, 1), T, mul(d(J, s_t), Transpose(q("s", ix("t", -1)))))),
    ),
    (
        "d2l dL/dh_t",
        r"\frac{\partial L}{\partial h_t} = \sum_{i=t}^{T} (W_{hh}^\top)^{T-i} W_{qh}^\top "
        r"\frac{\partial L}{\partial o_{T+t-i}}",
        "d2l",
        eq(
            d(J, s_t),
            Sum(
                "i",
                t,
                T,
                mul(
                    Power(Transpose(U), Index.combine({"T": 1, "i": -1})),
                    Transpose(V),
                    d(J, q("yhat", Index.combine({"T": 1, "t": 1, "i": -1}))),
                ),
            ),
        ),
    ),
    (
        "d2l dL/dh_T",
        r"\frac{\partial L}{\partial \mathbf{h}_T} = \mathbf{W}_{qh}^\top \frac{\partial L}"
        r"{\partial \mathbf{o}_T}",
        "d2l",
        eq(d(J, q("s", T)), mul(Transpose(V), d(J, q("yhat", T)))),
    ),
    (
        "d2l braces",
        r"\frac{\partial L}{\partial \mathbf{h}_t}= \sum_{i=t}^T {\left(\mathbf{W}_{hh}^\top\right)}^{T-i}"
        r" \mathbf{W}_{qh}^\top \frac{\partial L}{\partial \mathbf{o}_{T+t-i}}",
        "d2l",
        eq(
            d(J, s_t),
            Sum(
                "i",
                t,
                T,
                mul(
                    Power(Transpose(U), Index.combine({"T": 1, "i": -1})),
                    Transpose(V),
                    d(J, q("yhat", Index.combine({"T": 1, "t": 1, "i": -1}))),
                ),
            ),
        ),
    ),
    (
        "d2l forward",
        r"h_t = W_{hx} x_t + W_{hh} h_{t-1} + b_h, \quad o_t = W_{qh} h_t + b_q",
        "d2l",
        Formula(
            (
                Equation(s_t, Add((mul(W, q("x", "t")), mul(U, q("s", ix("t", -1))), b))),
                Equation(yhat_t, Add((mul(V, s_t), c))),
            ),
            "d2l",
        ),
    ),
    (
        "Goodfellow 10.21",
        r"\nabla_{h_t} L = W^\top \operatorname{diag}(1 - h_{t+1}^2) (\nabla_{h_{t+1}} L) + "
        r"V^\top (\nabla_{o_t} L)",
        "goodfellow",
        eq(
            GRADIENT_L,
            Add(
                (
                    mul(
                        Transpose(U),
                        diag_one_minus_square(q("s", ix("t", 1))),
                        Derivative("nabla", J, q("s", ix("t", 1))),
                    ),
                    mul(Transpose(V), Derivative("nabla", J, yhat_t)),
                )
            ),
        ),
    ),
    (
        "Goodfellow 10.26",
        r"\nabla_W L = \sum_t \operatorname{diag}(1 - h_t^2)(\nabla_{h_t} L) h_{t-1}^\top",
        "goodfellow",
        eq(
            Derivative("nabla", J, U),
            Sum("t", None, None, mul(diag_one_minus_square(s_t), GRADIENT_L, Transpose(q("s", ix("t", -1))))),
        ),
    ),
    (
        "Goodfellow 10.28",
        r"\nabla_U L = \sum_t \text{diag}\left(1 - \left(h^{(t)}\right)^2\right)(\nabla_{h^{(t)}} L) "
        r"x^{(t)\top}",
        "goodfellow",
        eq(
            Derivative("nabla", J, W),
            Sum("t", None, None, mul(diag_one_minus_square(s_t), GRADIENT_L, Transpose(q("x", "t")))),
        ),
    ),
    (
        "Goodfellow 10.19",
        r"\nabla_{h^{(\tau)}} L = V^\top \nabla_{o^{(\tau)}} L",
        "goodfellow",
        eq(Derivative("nabla", J, q("s", tau)), mul(Transpose(V), Derivative("nabla", J, q("yhat", tau)))),
    ),
    (
        "Goodfellow 10.8",
        r"a^{(t)} = b + W h^{(t-1)} + U x^{(t)}",
        "goodfellow",
        eq(q("u", "t"), Add((b, mul(U, q("s", ix("t", -1))), mul(W, q("x", "t"))))),
    ),
    ("Goodfellow 10.17", r"\frac{\partial L}{\partial L^{(t)}} = 1", "goodfellow", eq(d(J, J_t), Number(1))),
    ("Goodfellow copy W^(t)", r"\nabla_{W^{(t)}} L", "goodfellow", eq(Derivative("nabla", J, q("U", "t")))),
    (
        "delta system",
        r"\delta_t = V^T (\hat{y}_t - y_t) + U^T \operatorname{diag}(1 - s_{t+1}^2) \delta_{t+1} \\ "
        r"\frac{\partial J}{\partial U} = \sum_{t=1}^{z} \operatorname{diag}(1 - s_t^2) \delta_t s_{t-1}^T",
        "notes",
        Formula(
            (
                Equation(
                    q("delta", "t"),
                    Add(
                        (
                            mul(Transpose(V), Add((yhat_t, Neg(q("y", "t"))))),
                            mul(
                                Transpose(U),
                                diag_one_minus_square(q("s", ix("t", 1))),
                                q("delta", ix("t", 1)),
                            ),
                        )
                    ),
                ),
                Equation(
                    d(J, U),
                    Sum(
                        "t",
                        ix(None, 1),
                        z,
                        mul(diag_one_minus_square(s_t), q("delta", "t"), Transpose(q("s", ix("t", -1)))),
                    ),
                ),
            )
        ),
    ),
    (
        "DESIGN example",
        r"\frac{\partial J}{\partial V} = \sum_{t=1}^{z} (\hat{y}_t - y_t) s_t^T",
        "notes",
        eq(d(J, V), Sum("t", ix(None, 1), z, mul(Add((yhat_t, Neg(q("y", "t")))), Transpose(s_t)))),
    ),
    (
        "slash and immediate",
        r"\partial J / \partial W = \frac{\partial^+ s_k}{\partial W} + \frac{\mathrm{d} J}"
        r"{\mathrm{d} W}",
        "notes",
        eq(d(J, W), Add((d(s_k, W, "immediate"), d(J, W, "total")))),
    ),
    (
        "numbers",
        r"J_t = \frac{1}{2} (\hat{y}_t - y_t)^T (\hat{y}_t - y_t) + 0.25 \mathbb{1} - 3 I",
        "notes",
        eq(
            J_t,
            Add(
                (
                    mul(
                        Number(Fraction(1, 2)),
                        Transpose(Add((yhat_t, Neg(q("y", "t"))))),
                        Add((yhat_t, Neg(q("y", "t")))),
                    ),
                    mul(Number(Fraction(1, 4)), Identity()),
                    Neg(mul(Number(3), Identity())),
                )
            ),
        ),
    ),
    (
        "chain of equalities",
        r"\nabla_c L = \sum_t \left(\frac{\partial o^{(t)}}{\partial c}\right)^\top "
        r"\nabla_{o^{(t)}} L = \sum_t \nabla_{o^{(t)}} L",
        "goodfellow",
        Formula(
            (
                Equation(
                    Derivative("nabla", J, c),
                    Sum("t", None, None, mul(Transpose(d(yhat_t, c)), Derivative("nabla", J, yhat_t))),
                ),
                Equation(
                    Sum("t", None, None, mul(Transpose(d(yhat_t, c)), Derivative("nabla", J, yhat_t))),
                    Sum("t", None, None, Derivative("nabla", J, yhat_t)),
                ),
            ),
            "goodfellow",
        ),
    ),
]


@pytest.mark.parametrize("label, latex, notation, expected", EXACT, ids=[row[0] for row in EXACT])
def test_parse_builds_the_expected_tree(label, latex, notation, expected):
    formula = parse(latex, notation=notation)
    assert formula == Formula(expected.equations, notation)
    assert formula.text == latex


def test_the_table_is_large_enough():
    assert len(EXACT) >= 40


# Spellings that must mean the same tree.
SAME = [
    (
        r"W^T",
        [
            r"W^\top",
            r"W^{T}",
            r"W^{\top}",
            r"W^{\intercal}",
            r"\mathbf{W}^\mathsf{T}",
            r"\boldsymbol{W}^T",
            r"\bar{W}^T",
            r"\vec{W}^T",
        ],
    ),
    (
        r"\frac{\partial J}{\partial W}",
        [
            r"\frac{\partial J}{\partial \underline{W}}",
            r"\partial J / \partial W",
            r"\dfrac{\partial J}{\partial W}",
            r"\frac{\partial J}{\partial W_0}",
        ],
    ),
    (
        r"\frac{dJ}{dW}",
        [
            r"\frac{d J}{d W}",
            r"\frac{\mathrm{d}J}{\mathrm{d}W}",
            r"d J / d W",
            r"\mathrm{d} J / \mathrm{d} W",
            r"\text{d}J/\text{d}W",
        ],
    ),
    (
        r"\operatorname{diag}(1 - s_t^2)",
        [
            r"\mathrm{diag}(1 - s_t^2)",
            r"\text{diag}\left(1 - s_t^2\right)",
            r"\operatorname{diag}[1 - s_t^2]",
            r"\operatorname{diag}\{1 - s_t^2\}",
        ],
    ),
    (r"\tanh(u_t)", [r"\text{tanh}(u_t)", r"\operatorname{tanh}(u_t)", r"\tanh\left(u_t\right)"]),
    (r"\sigma(u_t) + \exp(u_t) + \log(u_t)", [r"\operatorname{sigmoid}(u_t) + \exp(u_t) + \log(u_t)"]),
    (
        r"W x_t + U s_{t-1}",
        [
            r"W\,x_t + U\;s_{t-1}",
            r"W~x_t \quad + \! U s_{t - 1}",
            r"Wx_t+Us_{t-1}",
            r"\mathbf{W}\mathbf{x}_t + \mathbf{U}\mathbf{s}_{t-1}",
        ],
    ),
    (r"s_{t+1}", [r"s(t+1)", r"s^{(t+1)}", r"\underline{s}_{t+1}", r"h_{t+1}", r"\mathbf{h}^{(t+1)}"]),
    (r"\sum_{t=1}^{z} J_t", [r"\sum^{z}_{t=1} J_t", r"\sum_{t=1}^z J_t", r"\sum\limits_{t=1}^{z} J_t"]),
    (r"J", [r"L"]),
]


@pytest.mark.parametrize("reference, variants", SAME, ids=[row[0] for row in SAME])
def test_equivalent_spellings(reference, variants):
    expected = parse(reference)
    for variant in variants:
        assert parse(variant) == expected, variant


@pytest.mark.parametrize(
    "latex, notation, role",
    [
        ("W_{xh}", "notes", "W"),
        ("W_{hx}", "d2l", "W"),
        ("W_{hh}", "goodfellow", "U"),
        ("W_{hy}", "d2l", "V"),
        ("W_{hq}", "d2l", "V"),
        ("W_{qh}", "notes", "V"),
        ("b_h", "d2l", "b"),
        ("b_y", "d2l", "c"),
        ("b_q", "d2l", "c"),
        ("U", "goodfellow", "W"),
        ("W", "goodfellow", "U"),
        ("a_t", "goodfellow", "u"),
        ("o_t", "goodfellow", "yhat"),
        ("o_t", "d2l", "yhat"),
        ("L", "notes", "J"),
        ("h_t", "notes", "s"),
        (r"\delta_t", "d2l", "delta"),
        (r"\hat{y}_t", "goodfellow", "yhat"),
        ("u", "notes", "u"),
        ("x_t", "d2l", "x"),
    ],
)
def test_notation_resolution(latex, notation, role):
    (equation,) = parse(latex, notation=notation).equations
    assert equation.lhs.role == role and equation.rhs is None


def test_spans_point_into_the_text():
    text = r"\frac{\partial J}{\partial V} = \sum_{t=1}^{z} (\hat{y}_t - y_t) s_t^T"
    formula = parse(text)
    quantities = [node for node in walk(formula) if isinstance(node, Quantity)]
    assert [text[slice(*node.span)] for node in quantities] == [r"J", "V", r"\hat{y}_t", "y_t", "s_t"]
    assert [node.raw for node in quantities] == [r"J", "V", r"\hat{y}_t", "y_t", "s_t"]
    (equation,) = formula.equations
    assert text[slice(*equation.rhs.span)] == text[text.index(r"\sum") :]
    assert text[slice(*equation.rhs.body.factors[0].span)] == r"\hat{y}_t - y_t"  # inside the brackets


def test_the_tree_holds_only_whitelisted_plain_values():
    allowed_leaves = (int, Fraction, type(None))
    for entry in CORPUS:
        for node in walk(parse(entry.latex, notation=entry.notation)):
            for name, value in vars(node).items():
                values = value if isinstance(value, tuple) else (value,)
                for item in values:
                    if isinstance(item, str):
                        assert type(item) is str, (name, type(item))
                    elif isinstance(item, Index):
                        assert all(type(v) is str and type(n) is int for v, n in item.terms)
                    elif not isinstance(item, allowed_leaves) and item not in children(node):
                        pytest.fail(f"unexpected {type(item)} in {type(node).__name__}.{name}")


def test_index_letters_match_the_grammar():
    for letter in string.ascii_letters:
        try:
            (equation,) = parse(f"\\sum_{letter} x").equations
        except FormulaError:
            assert letter not in INDEX_VARIABLES, letter
        else:
            assert equation.lhs.variable == letter and letter in INDEX_VARIABLES
    assert parse(r"\sum_\tau x").equations[0].lhs.variable == "tau"


def test_tree_helpers():
    formula = parse(r"\frac{\partial J_t}{\partial W} = \sum_{k=1}^{t} \frac{\partial s_t}{\partial s_k}")
    assert free_variables(formula) == {"t"}
    assert depth(formula) == 5
    assert str(Index.combine({"T": 1, "t": 1, "i": -1}, -2)) == "T-i+t-2"
    assert ix("t", -1).evaluate({"t": 5}) == 4 and ix(None, 0).is_constant


# ---------------------------------------------------------------- the corpus used by the verifier
def test_corpus_is_complete_and_every_mutation_changes_the_tree():
    assert len(CORPUS) >= 30
    for entry in CORPUS:
        assert entry.activation in ("any", "tanh", "sigmoid", "relu", "identity") and entry.mutations
        original = parse(entry.latex, notation=entry.notation)
        for mutation in entry.mutations:
            assert mutation.kind in KINDS and mutation.change
            assert parse(mutation.latex, notation=entry.notation) != original, mutation.latex


# ---------------------------------------------------------------- clear errors
@pytest.mark.parametrize(
    "latex, position, words",
    [
        (r"\frac{\partial J}{\partial W", 28, ["expected '}'", "end of the formula"]),
        (r"J = ", 4, ["end of the formula", "a term"]),
        (r"J = (W x_t", 10, ["')'"]),
        (r"s_{t-1} ) = 1", 8, ["unexpected ')'"]),
        (r"\sum_{1 \leq 2} x_t", 4, ["limits", "index k in the middle"]),
        (r"\sum_{1 \leq k \geq t} x_k", 4, ["limits"]),
        (r"J = W_{xh", 9, ["'}'"]),
        (r"J = W x_t +", 11, ["a term"]),
        (r"s_t = Q_t", 6, ["unknown symbol Q", "known: ", "W_{hh}"]),
        (r"s_t = W x_t", 6, ["unknown symbol W in notation 'd2l'", "W_{xh}"]),
        (r"\frac{\partial J}{d W}", 0, ["d over d"]),
        (r"\hat{x}_t", 0, [r"\hat{y}"]),
        (r"W_t", 0, ["parameter", "time subscript"]),
        (r"\exp'(u)", 5, ["only f, tanh, sigma, relu may carry a prime"]),
        (r"\max(u)", 4, ["takes 2 argument"]),
        (r"\frac{1}{0}", 0, ["division by zero"]),
        (r"s_t^{(t)}", 3, ["time superscript"]),
        (r"\prod_{m=k+1}^{k=t} x", 17, ["upper limit names k"]),
        (r"\text{foo}(x)", 0, ["unknown function"]),
        ("\u00e9_t", 0, ["U+00E9", "ASCII"]),
        ("J = sum_t J_t", 4, ["plain text", "\\sum_{t=1}^{z}"]),
        ("dJ/dW = partial J", 8, ["plain text", "\\frac{\\partial J}{\\partial W}"]),
        ("J = W \\", 6, ["lone backslash"]),
        (r"\nabla_{W x} L", 10, ["unexpected 'x'", "'}'"]),
        (r"\frac{\partial J}{\partial (W x)}", 28, ["with respect to a quantity"]),
        (r"s_t = (t)", 6, ["must follow a quantity"]),
        (r"s_{t,k}", 4, ["unexpected ','"]),
    ],
)
def test_errors_name_the_position_and_what_was_expected(latex, position, words):
    notation = "d2l" if "W x_t" in latex and "s_t =" in latex else "notes"
    with pytest.raises(FormulaError) as caught:
        parse(latex, notation=notation)
    message = str(caught.value)
    assert caught.value.position == position, message
    assert f"(at position {position})" in message
    for word in words:
        assert word in message, message
    assert "\n" not in message


def test_bad_arguments():
    with pytest.raises(TypeError):
        parse(b"J")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown notation"):
        parse("J", notation="bishop")


# ---------------------------------------------------------------- safety
HOSTILE = {
    "python call": "__import__('os').system('x')",
    "python attributes": "().__class__.__bases__",
    "input": r"\input{/etc/passwd}",
    "include": r"J = \include{x}",
    "def": r"\def\x{}",
    "newcommand": r"\newcommand{\J}{x}",
    "catcode": r"\catcode`\^^M=13",
    "csname": r"\csname foo\endcsname",
    "write": r"\immediate\write18{rm -rf /}",
    "one megabyte": "x" * 1_000_000,
    "nested braces": "{" * 100_000 + "}" * 100_000,
    "nested within the length": "(" * 2000 + "x" + ")" * 2000,
    "deep sums": r"\sum_t " * 700 + "x_t",
    "deep transposes": "W" + "^T" * 2400,
}


@pytest.mark.parametrize("payload", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_input_fails_fast_with_one_clear_message(payload):
    start = time.perf_counter()
    with pytest.raises(FormulaError) as caught:
        parse(payload)
    assert time.perf_counter() - start < GUARD_SECONDS
    assert "\n" not in str(caught.value) and len(str(caught.value)) < 400


def test_limits_are_checked_before_the_grammar_and_named():
    with pytest.raises(FormulaError, match=f"limit is {MAX_LENGTH:,}"):
        check_limits("x" * (MAX_LENGTH + 1))
    with pytest.raises(FormulaError, match=f"deeper than {MAX_NESTING}"):
        check_limits("{" * (MAX_NESTING + 1))
    with pytest.raises(FormulaError, match=r"\\input"):
        check_limits(r"\input")
    with pytest.raises(FormulaError, match=f"deeper than {MAX_DEPTH}"):
        parse(r"\sum_t " * (MAX_DEPTH + 1) + "x_t")
    parse("(" * MAX_NESTING + "x" + ")" * MAX_NESTING)


def test_the_parser_never_evaluates_text():
    source = inspect.getsource(parse_module) + inspect.getsource(tree_module)
    for forbidden in (
        r"\beval\(",
        r"\bexec\(",
        "sympify",
        "parse_expr",
        "sympy",
        "__import__",
        r"(?<![.\w])compile\(",
    ):
        assert not re.search(forbidden, source), forbidden


def test_grammar_is_lalr_without_conflicts():
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    grammar = resources.files("symrnn.formula").joinpath("grammar.lark").read_text(encoding="utf-8")
    lark.logger.addHandler(handler)
    level = lark.logger.level
    lark.logger.setLevel(logging.DEBUG)
    try:
        lark.Lark(grammar, parser="lalr", lexer="contextual", debug=True)
    finally:
        lark.logger.setLevel(level)
        lark.logger.removeHandler(handler)
    assert not [r.getMessage() for r in records if "conflict" in r.getMessage().lower()]


def test_no_two_tokens_allowed_in_one_state_match_the_same_text():
    # lark's strict mode needs the optional interegular package; this checks the overlaps that matter.
    parser = parse_module._parser()
    terminals = {terminal.name: terminal for terminal in parser.terminals}
    samples = [
        "d",
        r"\mathrm{d}",
        r"\mathrm{T}",
        r"\mathrm{diag}",
        "+",
        "1",
        "12",
        "2.5",
        r"\cdots",
        r"\cdot",
        "T",
        "t",
        r"\tau",
        r"\top",
        "'",
        "\\\\",
        r"\{",
        "f",
        "x",
        r"\dots",
    ]
    overlaps = set()
    for actions in parser.parser.parser.parser.parse_table.states.values():
        names = [name for name in actions if name in terminals]
        for sample in samples:
            hits = tuple(sorted(n for n in names if re.fullmatch(terminals[n].pattern.to_regexp(), sample)))
            if len(hits) > 1:
                overlaps.add((sample, hits))
    assert overlaps <= {("d", ("D", "NAME"))}  # resolved by D's priority: d is the differential there


# ---------------------------------------------------------------- fuzzing
VALID = [entry.latex for entry in CORPUS[:20]] + [row[1] for row in EXACT[:20]]
PIECES = [
    r"\frac",
    r"\partial",
    r"\sum",
    r"\prod",
    r"\nabla",
    r"\hat",
    r"\underline",
    r"\operatorname{diag}",
    r"\tanh",
    r"\cdot",
    r"\top",
    r"\dots",
    r"\left(",
    r"\right)",
    r"\\",
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    "_",
    "^",
    "=",
    "+",
    "-",
    "/",
    ",",
    ";",
    "'",
    "t",
    "k",
    "T",
    "W",
    "U",
    "x",
    "s",
    "y",
    "J",
    "f",
    "d",
    "0",
    "1",
    "2",
    " ",
]


def _check_outcome(text: str) -> None:
    try:
        result = parse(text)
    except FormulaError:
        return
    assert isinstance(result, Formula)


@settings(derandomize=True, max_examples=FUZZ_EXAMPLES, deadline=None, database=None)
@given(st.text(max_size=200))
def test_fuzz_random_text(text):
    _check_outcome(text)


@settings(derandomize=True, max_examples=FUZZ_EXAMPLES, deadline=None, database=None)
@given(st.lists(st.sampled_from(PIECES), max_size=40).map("".join))
def test_fuzz_random_pieces(text):
    _check_outcome(text)


@settings(
    derandomize=True,
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    st.sampled_from(VALID),
    st.lists(
        st.tuples(st.sampled_from(["delete", "insert", "replace"]), st.floats(0, 1), st.sampled_from(PIECES)),
        min_size=1,
        max_size=4,
    ),
)
def test_fuzz_edited_formulas(formula, edits):
    for action, where, piece in edits:
        at = int(where * len(formula))
        if action == "delete":
            formula = formula[:at] + formula[at + 1 :]
        elif action == "insert":
            formula = formula[:at] + piece + formula[at:]
        else:
            formula = formula[:at] + piece + formula[at + len(piece) :]
    _check_outcome(formula)
