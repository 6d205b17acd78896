"""Derivation documents: every equation checked, committed files current, sizes linear, TeX compiles."""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import sympy

from symrnn import RNNSpec, SymRNNError
from symrnn.engine.service import Quantity
from symrnn.latex import appendix
from symrnn.latex.blocks import Derivation, Equation, Section
from symrnn.latex.checks import Point, compare, flat, identity
from symrnn.latex.documents import EXPANSION_LIMIT, derive
from symrnn.latex.regenerate import DIRECTORY, DOCUMENTS, render
from symrnn.unroll import unroll

NOTES_LABELS = ["(A)", "(B)", "(1)", "(2)", "(3)", "(5)", "(6)", "(7)", "(8)", "(9)", "(10)", "(11)", "(12)",
                "(13)", "(14)", "(15)", "(16)", "(17), [20]", "[18]", "[19]", "[21]", "[22]", "[23]", "[24]",
                "[25]", "[26]", "[27]"]


@pytest.fixture(scope="module")
def rendered() -> dict[str, str]:
    texts: dict[str, str] = {}
    for stem in DOCUMENTS:
        texts.update(render(stem))  # render raises if any equation's check fails
    return texts


@pytest.fixture(scope="module")
def example() -> Derivation:
    return derive(DOCUMENTS["notes_example"][0])


def test_committed_documents_are_current(rendered):
    committed = {path.name for path in DIRECTORY.iterdir() if path.suffix in (".tex", ".md")}
    assert committed == set(rendered), "run: python -m symrnn.latex.regenerate"
    for name, text in rendered.items():
        assert (DIRECTORY / name).read_text(encoding="utf-8") == text, f"{name} is stale: python -m symrnn.latex.regenerate"


def test_every_equation_of_the_example_is_numbered_and_checked(example):
    assert example.ok
    labels = [equation.label for equation in example.equations]
    for label in NOTES_LABELS:
        assert label in labels
    assert len(labels) == len(set(labels))
    assert all(equation.check.ok and equation.check.detail for equation in example.equations)


def test_notes_errors_are_corrected(example):
    eight = example.equation("(8)")
    assert r"\sum_{k=1}^{2}" in eight.rhs and eight.lhs == r"\frac{\partial J_2}{\partial W}"
    assert "k = 2" in eight.note
    assert example.equation("(3)").rhs.endswith(r"\frac{d s_2}{d W}")
    # the (t, k) terms for t = 2: k = 1 and k = 2, the s_0 term absent
    assert [len(line.parts) for line in example.equation("(9)").instance] == [1, 2]


def test_notes_eq8_as_written_fails_its_check():
    """The uncorrected (8) (k = 0..1, without the k = 2 term) is caught by the same comparison."""
    spec = RNNSpec()
    point = Point(unroll(spec))
    as_written = sum(point.term("W", 2, k) for k in (1,)) + np.tensordot(
        point.jacobian_product(2, 0), point.immediate(Quantity("s", 0), Quantity("W")), axes=1)
    method, truth = point.step_gradient("W", 2)
    assert method == "brute force"
    assert not compare(flat(as_written), flat(truth), method=method, what="(8) as written").ok
    assert compare(flat(point.chain("W", 2)), flat(truth), method=method, what="(8) corrected").ok


def test_a_wrong_identity_fails_and_is_reported():
    x = sympy.Symbol("x", real=True)
    wrong = identity([(sympy.diff(sympy.tanh(x), x), 1 + sympy.tanh(x) ** 2)], what="f' = 1 + f^2")
    assert not wrong.ok
    document = Derivation(RNNSpec(), "wrong", (Section("s", (Equation("(X)", "f'", "1 + f^2", wrong),)),))
    assert not document.ok
    assert r"\textbf{FAILED}" in document.latex() and "**FAILED**" in document.markdown()


@pytest.mark.parametrize("activation, labels", [("relu", ["[28]", "[29]"]), ("sigmoid", ["(S1)", "(S5)"])])
def test_activation_sections(activation, labels):
    document = derive(RNNSpec(z=2, n=1, e=1, activation=activation), appendix=False)
    assert document.ok
    for label in labels:
        document.equation(label)


def test_latex_grows_linearly_and_keeps_sigma_notation():
    sizes = {z: len(derive(RNNSpec(z=z, e=1, n=1, m=1), appendix=False).latex()) for z in (16, 32)}
    assert sizes[32] / sizes[16] <= 2.2
    big = derive(RNNSpec(z=32, e=1, n=1, m=1), appendix=False)
    assert r"\sum_{t=1}^{32} \sum_{k=1}^{t}" in big.equation("(9)").instance[0].parts[0]
    assert big.ok


def test_expansion_limit():
    with pytest.raises(SymRNNError, match=f"z <= {EXPANSION_LIMIT}.*expand=None"):
        derive(RNNSpec(z=EXPANSION_LIMIT + 1), expand=True)
    with pytest.raises(TypeError):
        derive("z=2")  # type: ignore[arg-type]


def test_unknown_notation_is_a_value_error():
    with pytest.raises(ValueError, match="unknown notation"):
        RNNSpec(notation="klingon")


def test_markdown_and_jupyter(example):
    markdown = example.markdown()
    assert markdown.count("$$") % 2 == 0 and r"\begin{equation" not in markdown and r"\checkmark" not in markdown
    assert example._repr_markdown_() == markdown
    assert example._repr_latex_().startswith("$$")
    fragment = example.latex(standalone=False)
    assert r"\documentclass" not in fragment and fragment in example.latex()


def test_d2l_notation(rendered):
    text = rendered["d2l_notation.tex"]
    assert "W_{hh}" in text and "h_{t-1}" in text and "s_{t-1}" not in text


def test_appendix_functions_agree_with_reference():
    assert appendix.agreement() <= appendix.TOLERANCE


def test_pdflatex_compiles(tmp_path, rendered):
    if shutil.which("pdflatex") is None:
        if os.environ.get("CI"):
            pytest.fail("pdflatex is not installed but CI is set")
        pytest.skip("pdflatex not installed")
    for name, text in rendered.items():
        if not name.endswith(".tex"):
            continue
        (tmp_path / name).write_text(text, encoding="utf-8")
        result = subprocess.run(["pdflatex", "-halt-on-error", "-interaction=nonstopmode", name], cwd=tmp_path,
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, f"{name}: {result.stdout[-2000:]}"
        assert (tmp_path / name).with_suffix(".pdf").stat().st_size > 0
