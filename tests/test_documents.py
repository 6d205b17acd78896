"""Derivation documents: every equation checked, committed files current, sizes linear, TeX compiles."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import sympy

from symrnn import RNNSpec, SymRNNError
from symrnn.engine.service import Quantity, dependencies, derivative
from symrnn.latex import appendix
from symrnn.latex.blocks import Derivation, Equation, Section
from symrnn.latex.checks import Point, compare, flat, identity
from symrnn.latex.documents import EXPANSION_LIMIT, derive
from symrnn.latex.layout import ROW_BUDGET, tex_width
from symrnn.latex.regenerate import DIRECTORY, DOCUMENTS, render
from symrnn.unroll import unroll

NOTES_LABELS = [
    "(A)",
    "(B)",
    "(1)",
    "(2)",
    "(3)",
    "(5)",
    "(6)",
    "(7)",
    "(8)",
    "(9)",
    "(10)",
    "(11)",
    "(12)",
    "(13)",
    "(14)",
    "(15)",
    "(16)",
    "(17), [20]",
    "[18]",
    "[19]",
    "[21]",
    "[22]",
    "[23]",
    "[24]",
    "[25]",
    "[26]",
    "[27]",
]


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
    committed = {
        path.relative_to(DIRECTORY).as_posix()
        for path in DIRECTORY.rglob("*")
        if path.suffix in (".tex", ".md", ".svg")
    }
    assert committed == set(rendered), "run: python -m symrnn.latex.regenerate"
    for name, text in rendered.items():
        assert (DIRECTORY / name).read_text(encoding="utf-8") == text, (
            f"{name} is stale: python -m symrnn.latex.regenerate"
        )


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
        point.jacobian_product(2, 0), point.immediate(Quantity("s", 0), Quantity("W")), axes=1
    )
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
    assert (
        markdown.count("$$") % 2 == 0 and r"\begin{equation" not in markdown and r"\checkmark" not in markdown
    )
    assert example._repr_markdown_() == markdown
    assert example._repr_latex_().startswith("$$")
    fragment = example.latex(standalone=False)
    assert r"\documentclass" not in fragment and fragment in example.latex()


def test_d2l_notation(rendered):
    text = rendered["d2l_notation.tex"]
    assert "W_{hh}" in text and "h_{t-1}" in text and "s_{t-1}" not in text


def test_appendix_functions_agree_with_reference():
    assert appendix.agreement() <= appendix.TOLERANCE


# pdflatex's overfull-box limit for a page we call clean.
OVERFULL_LIMIT_PT = 1.0
_OVERFULL = re.compile(r"Overfull \\hbox \(([0-9.]+)pt too wide\)")


def compile_latex(directory: Path, name: str, text: str) -> list[float]:
    """Compile one document with pdflatex -halt-on-error; returns the widths of its overfull hboxes (pt)."""
    (directory / name).write_text(text, encoding="utf-8")
    result = subprocess.run(
        ["pdflatex", "-halt-on-error", "-interaction=nonstopmode", name],
        cwd=directory,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    log = (directory / name).with_suffix(".log").read_text(encoding="utf-8", errors="replace")
    assert result.returncode == 0, f"{name}: {result.stdout[-2000:]}"
    assert (directory / name).with_suffix(".pdf").stat().st_size > 0
    return [float(width) for width in _OVERFULL.findall(log)]


def _need_pdflatex() -> None:
    if shutil.which("pdflatex") is None:
        if os.environ.get("CI"):
            pytest.fail("pdflatex is not installed but CI is set")
        pytest.skip("pdflatex not installed")


def test_pdflatex_compiles_without_overfull_boxes(tmp_path, rendered):
    """Every committed .tex compiles, and no line sticks out by more than OVERFULL_LIMIT_PT."""
    _need_pdflatex()
    for name, text in rendered.items():
        if name.endswith(".tex"):
            widths = compile_latex(tmp_path, name, text)
            assert all(width <= OVERFULL_LIMIT_PT for width in widths), f"{name}: overfull hboxes {widths} pt"


VARIANTS = {
    "z10": RNNSpec(z=10),
    "z3_n3": RNNSpec(z=3, n=3),
    "ce_m3": RNNSpec(loss="ce", m=3),
    "relu": RNNSpec(activation="relu"),
    "d2l": RNNSpec(notation="d2l"),
    "goodfellow": RNNSpec(notation="goodfellow"),
}


@pytest.mark.slow
@pytest.mark.parametrize("checks", ["margin", "inline"])
def test_variants_compile_without_overfull_boxes(tmp_path, checks):
    """derive --z 10, --z 3 --n 3, --loss ce --m 3, --activation relu, --notation d2l and goodfellow."""
    _need_pdflatex()
    for stem, spec in VARIANTS.items():
        document = derive(spec)
        assert document.ok, stem
        widths = compile_latex(tmp_path, f"{stem}.tex", document.latex(checks=checks))
        assert all(width <= OVERFULL_LIMIT_PT for width in widths), f"{stem}: overfull hboxes {widths} pt"


def test_z10_breaks_long_sums_into_rows_in_time_order():
    document = derive(RNNSpec(z=10, e=1, n=1, m=1), appendix=False)
    rows = document.equation("(M3)").instance_math().split("\\\\")
    assert len(rows) > 2
    assert all(tex_width(row) <= ROW_BUDGET + 2 for row in rows)
    text = document.equation("(M3)").instance_math()
    positions = [re.search(rf"\\delta_\{{?{t}\}}?(?![0-9])", text).start() for t in range(1, 11)]
    assert positions == sorted(positions), "terms must run delta_1, delta_2, ..., delta_10"


@pytest.mark.parametrize("stem", ["notes_example", "relu", "sigmoid_ce", "single_neuron", "d2l_notation"])
def test_written_as_a_person_writes(rendered, stem):
    text = rendered[f"{stem}.tex"]
    assert "+ -" not in text and "+ \\left(-" not in text
    assert "diag}\\bigl(\\left(" not in text and "diag((" not in text
    assert "\\begin{cases}" not in text.split("[29]")[-1] or stem != "relu"
    assert "V.T" not in text and "U.T" not in text


def test_single_neuron_has_no_diag_and_no_one_by_one_matrix(rendered):
    text = rendered["single_neuron.tex"]
    assert (
        "\\operatorname{diag}" not in text.split("Why RNNs are hard")[0]
    )  # the closing chapter's matrix case may
    assert "\\left(\\begin{matrix}" not in text


_INTERNAL = re.compile(r"dJ_|ds_\d|yhat|derivative service|numeric/|symrnn\.|\bservice\b")


@pytest.mark.parametrize("suffix", [".tex", ".md"])
def test_no_internal_names_or_ascii_derivatives(rendered, suffix):
    for name, text in rendered.items():
        if name.endswith(suffix):
            found = _INTERNAL.findall(text.split("Appendix")[0])
            assert not found, f"{name}: {found[:5]}"


@pytest.mark.parametrize("checks", ["margin", "table", "inline", "none"])
def test_check_modes(example, checks):
    latex, markdown = example.latex(checks=checks), example.markdown(checks=checks)
    has_table = checks in ("margin", "table")
    assert ("\\section*{Checks}" in latex) == has_table and ("## Checks" in markdown) == has_table
    assert ("\\hyperlink{check:" in latex) == (checks == "margin")
    assert ("Check (" in latex) == (checks == "inline")
    if has_table:  # one row per equation, each with its relative error or exactness
        assert latex.count("\\hypertarget{check:") == len(example.equations)


def test_unknown_check_mode(example):
    with pytest.raises(ValueError, match="checks mode"):
        example.latex(checks="footnote")


def test_markdown_uses_fenced_math_and_lbrace(rendered):
    for name, text in rendered.items():
        if name.endswith(".md"):
            assert "$$" not in text and "```math" in text
            prose = re.sub(r"```math.*?```", "", text, flags=re.DOTALL)
            assert "\\{" not in prose and "\\}" not in prose, name


def test_cross_entropy_over_one_output_is_refused():
    spec = RNNSpec(loss="ce", m=1)
    graph = unroll(spec)
    zero = sympy.simplify(graph.step("J", 1).expression[0])  # computed: softmax of one number is 1
    assert zero == 0
    with pytest.raises(ValueError, match="identically 0"):
        derive(spec)


def test_cross_entropy_gradient_check_tests_the_displayed_form():
    document = derive(RNNSpec(loss="ce", m=3, z=2), appendix=False)
    g = document.equation("(M1)")
    assert g.check.ok and "softmax" in g.rhs and "softmax" in g.check.detail
    # the displayed softmax(ŷ) − y is the derivative only for a probability vector y: without Σy = 1 it differs
    graph = unroll(RNNSpec(loss="ce", m=3, z=1))
    yhat, y = list(graph.symbols("yhat", 1)), list(graph.symbols("y", 1))
    J_1 = graph.step("J", 1).expression[0]
    total = sum(sympy.exp(a) for a in yhat)
    unconstrained = identity([(sympy.diff(J_1, yhat[0]), sympy.exp(yhat[0]) / total - y[0])], what="x")
    assert not unconstrained.ok


def test_relu_derivative_written_through_f(rendered):
    x = sympy.Symbol("x", real=True)
    relu = sympy.Piecewise((x, x > 0), (0, True))
    for v in (-2, -sympy.Rational(1, 3), 0, sympy.Rational(1, 3), 2):
        through_f = 1 if relu.subs(x, v) > 0 else 0
        assert through_f == sympy.diff(relu, x).subs(x, v)  # f'(0) = 0 by the x <= 0 case
    text = rendered["relu.tex"]
    assert "[29']" in text and "not written through" not in text


def test_eq18_check_compares_ds2_ds0(example):
    point = Point(unroll(DOCUMENTS["notes_example"][0]))
    product = point.step_jacobians[2].dot(point.step_jacobians[1])
    truth = point.brute(point.graph.symbols("s", 2), point.graph.s0, horizon=2)
    assert compare(flat(product), flat(truth), method="brute force", what="[18]").ok
    wrong = point.step_jacobians[2]  # what the old check compared: ∂s_2/∂s_1
    assert not compare(flat(wrong), flat(truth), method="brute force", what="[18] old").ok
    check = example.equation("[18]").check
    assert check.ok and "s_0" in check.detail and check.error is not None


def test_eq8_first_factor_slip_makes_it_zero():
    """The notes' first factor ∂s_2/∂ŷ_2 is zero (s_2 does not depend on ŷ_2): (8) as written would vanish."""
    graph = unroll(RNNSpec())
    factor = derivative(graph, Quantity("s", 2), Quantity("yhat", 2))
    assert all(entry == 0 for entry in factor.ravel())
    assert any(entry != 0 for entry in derivative(graph, Quantity("J", 2), Quantity("yhat", 2)).ravel())


def test_v_read_as_U_in_10_to_16(example):
    graph = unroll(RNNSpec(z=3))
    assert all(
        entry == 0 for t in (1, 2, 3) for entry in derivative(graph, Quantity("s", t), Quantity("V")).ravel()
    )
    point = Point(graph)
    assert any(entry != 0 for entry in point.total(Quantity("s", 2), Quantity("U")).ravel())
    assert example.equation("(11)(ii)").check.ok and example.equation("(11)(i)").check.ok


def test_ix_first_input_is_x_1_and_there_is_no_J_0():
    graph = unroll(RNNSpec())
    assert Quantity("x", 1) in dependencies(graph, Quantity("u", 1))
    for quantity in (Quantity("x", 0), Quantity("J", 0)):
        with pytest.raises(ValueError):
            derivative(graph, quantity, Quantity("W"))


def test_sigmoid_form_label_is_tanh(example):
    x = sympy.Symbol("x", real=True)
    sigma = lambda v: 1 / (1 + sympy.exp(-v))
    assert sympy.simplify((sympy.tanh(x) - (2 * sigma(2 * x) - 1)).rewrite(sympy.exp)) == 0
    assert sympy.tanh(0) - sigma(0) == -sympy.Rational(1, 2)  # tanh is not the sigmoid
    assert example.equation("(T1')").check.ok and "SIGMOID FORM" in example.equation("(T1)").note


def test_each_t_k_term_written_out(example):
    a, b = example.equation("(9a)"), example.equation("(9b)")
    assert a.check.ok and b.check.ok and len(a.instance) == 4  # n = 2, e = 2: the four entries with l = i
    swap = [example.equation(label) for label in ("(D1)", "(D2)", "(D3)", "(D4)")]
    assert all(equation.check.ok for equation in swap)


def test_single_neuron_scalar_results(rendered):
    document = derive(DOCUMENTS["single_neuron"][0], appendix=False)
    for label in ("(27a)", "(27b)", "(27c)"):
        assert document.equation(label).check.ok
    assert "W_{hh} \\left(1 - h_1^{2}\\right)" in document.equation("(27b)").instance_math()


def test_format_pdf_needs_pdflatex(tmp_path, monkeypatch, capsys):
    from symrnn.cli import main
    from symrnn.latex import output

    monkeypatch.setattr(output.shutil, "which", lambda name: None)
    assert main(["derive", "--z", "1", "--format", "pdf", "-o", str(tmp_path / "notes.pdf")]) == 2
    error = capsys.readouterr().err
    assert "pdflatex not found" in error and error.count("\n") == 1
    assert not (tmp_path / "notes.pdf").exists()


@pytest.mark.slow
def test_format_pdf_writes_a_pdf(tmp_path):
    from symrnn.cli import main

    _need_pdflatex()
    assert main(["derive", "--z", "2", "--format", "pdf", "-o", str(tmp_path / "notes.pdf")]) == 0
    assert (tmp_path / "notes.pdf").read_bytes().startswith(b"%PDF")


def test_cli_checks_option(tmp_path):
    from symrnn.cli import main

    target = tmp_path / "doc.md"
    assert main(["derive", "--z", "1", "--format", "markdown", "--checks", "table", "-o", str(target)]) == 0
    text = target.read_text(encoding="utf-8")
    assert "## Checks" in text and "<sub>" not in text
    assert (tmp_path / "figures" / "cell_notes.svg").exists()


@pytest.mark.parametrize(
    "stem, foreign",
    [
        ("d2l_notation", r"(?<![a-zA-Z\\])s_[{0-9tkm]"),
        ("single_neuron", r"(?<![a-zA-Z\\])s_[{0-9tkm]"),
        ("notes_example", r"(?<![a-zA-Z\\])h_[{0-9tkm]|W_\{hh\}"),
    ],
)
def test_each_document_speaks_its_own_notation(rendered, stem, foreign):
    """Checks, notes and captions in the document's notation (the notes' own IX and the LSTM aside)."""
    for suffix in (".tex", ".md"):
        text = rendered[stem + suffix]
        text = re.sub(r"The notes' IX writes.*?\(xii\)", "", text)
        text = re.sub(r"Solution III, gated cells\..*?near \$1\$\.", "", text, flags=re.DOTALL)
        assert not re.findall(foreign, text), f"{stem}{suffix}: {re.findall(foreign, text)[:5]}"
