"""Golden LaTeX of the notation printer (hand-checked expectations)."""

from __future__ import annotations

import pytest
import sympy

from symrnn import RNNSpec
from symrnn.latex.printer import Names, notation_profile, scalar_roles_of, to_latex

S = sympy.Symbol


@pytest.mark.parametrize(
    "expression, notation, expected",
    [
        (S("s_2_0"), "notes", "s_{2,1}"),  # time 2, element 0 -> 1-based 1
        (S("s_0_1"), "notes", "s_{0,2}"),
        (S("W_0_1"), "notes", "W_{1,2}"),
        (S("U_1_1"), "notes", "U_{2,2}"),
        (S("yhat_1_0"), "notes", r"\hat{y}_{1,1}"),
        (S("delta_1_0"), "notes", r"\delta_{1,1}"),
        (S("J_3"), "notes", "J_3"),  # one-character subscripts need no braces
        (S("b_1"), "notes", "b_2"),
        (S("s_2_0"), "d2l", "h_{2,1}"),
        (S("W_0_1"), "d2l", "(W_{xh})_{1,2}"),
        (S("U_0_0"), "d2l", "(W_{hh})_{1,1}"),
        (S("V_0_1"), "d2l", "(W_{hy})_{1,2}"),
        (S("J_1"), "d2l", "L_1"),
        (S("W_0_1"), "goodfellow", "U_{1,2}"),  # Goodfellow swaps W and U
        (S("u_1_0"), "goodfellow", "a_{1,1}"),
        (S("yhat_1_0"), "goodfellow", "o_{1,1}"),
        (1 - S("s_2_0") ** 2, "notes", "1 - s_{2,1}^{2}"),
        (S("other_name"), "notes", r"other_{name}"),  # names symrnn did not make: SymPy's own rule
        (sympy.Transpose(sympy.MatrixSymbol("A", 2, 2)), "notes", r"A^{\top}"),
    ],
)
def test_golden_symbols(expression, notation, expected):
    assert to_latex(expression, notation=notation) == expected


@pytest.mark.parametrize(
    "symbol, expected",
    [
        ("s_2_0", "h_2"),
        ("W_0_1", "(W_{xh})_2"),
        ("U_0_0", "W_{hh}"),
        ("yhat_1_0", r"\hat{y}_1"),
    ],
)
def test_single_neuron_drops_size_one_indices(symbol, expected):
    spec = RNNSpec(z=2, e=2, n=1, m=1, bias=False, notation="d2l")
    assert to_latex(S(symbol), notation="d2l", scalar_roles=scalar_roles_of(spec)) == expected


def test_matrix_and_names():
    assert (
        to_latex(sympy.Matrix([[S("W_0_0"), S("W_0_1")]]))
        == r"\left(\begin{matrix}W_{1,1} & W_{1,2}\end{matrix}\right)"
    )
    N = Names(notation_profile("notes"))
    assert N.q("s", "t-1") == "s_{t-1}"
    assert N.partial("J_t", "W") == r"\frac{\partial J_t}{\partial W}"
    assert N.partial("s_k", "W", immediate=True) == r"\frac{\partial^{+} s_k}{\partial W}"
    assert N.total("s_2", "W") == r"\frac{d s_2}{d W}"
    assert Names(notation_profile("d2l")).q("yhat", 2) == r"\hat{y}_2"


@pytest.mark.parametrize("bad", ["latex", "", None, 3])
def test_unknown_notation(bad):
    with pytest.raises(ValueError, match="unknown notation"):
        to_latex(S("s_1_0"), notation=bad)
