"""Short reprs and notebook display of the public result types."""

from __future__ import annotations

import pytest

import symrnn
from symrnn import display
from symrnn.check import COMPILED_VS_REFERENCE_TOLERANCE, CheckReport
from symrnn.formula.verify import Counterexample, Verdict

SPEC = symrnn.RNNSpec(z=2, e=2, n=2, m=1, activation="tanh", loss="sse", bias=True)


def assert_short(text: str) -> None:
    assert "\n" not in text and len(text) <= display.REPR_LIMIT and " at 0x" not in text


@pytest.mark.parametrize("compiled_error, ok", [(1e-15, True), (10 * COMPILED_VS_REFERENCE_TOLERANCE, False)])
def test_check_report_repr_shows_ok(compiled_error: float, ok: bool) -> None:
    report = CheckReport(SPEC, 0.0, compiled_error, 1e-9)
    assert report.ok is ok
    assert_short(repr(report))
    assert f"ok={ok}" in repr(report) and "z=2" in repr(report)
    table = report._repr_markdown_()
    assert table.count("\n|") == 5  # header, rule, three comparisons and f"{compiled_error:.3e}" in table


def test_verdict_repr_and_markdown() -> None:
    holds = Verdict("holds", "denominator", checked=16, formula="J = \\sum_t J_t")
    assert repr(holds) == "<Verdict holds (denominator layout, 16 cases)>"
    assert "$$J = \\sum_t J_t$$" in holds._repr_markdown_()
    fails = Verdict(
        "fails",
        "numerator",
        Counterexample(1, {"t": 1}, {"e": 2}, [0.5], [0.0]),
        "the k = t term is missing",
        checked=1,
    )
    assert_short(repr(fails))
    assert "missing" in repr(fails)
    assert "z = 1, t = 1" in fails._repr_markdown_() and "diagnosis:" in fails._repr_markdown_()


def test_derive_returns_a_document_with_a_short_repr() -> None:
    document = symrnn.derive(symrnn.RNNSpec(z=1, e=1, n=1, m=1), appendix=False)
    assert type(document).__name__ == "Derivation" and document.ok
    assert_short(repr(document))
    assert f"{len(document.equations)} equations, every one checked" in repr(document)
    assert document._repr_markdown_().startswith("# ")


def test_graph_gradients_and_compiled_reprs_are_short() -> None:
    graph = symrnn.unroll(SPEC)
    gradients = symrnn.gradients(SPEC)
    compiled = symrnn.compile(SPEC)
    for text in (
        display.graph_repr(graph),
        display.gradients_repr(gradients),
        display.compiled_repr(compiled),
    ):
        assert_short(text)
    assert f"{len(graph.steps)} steps" in display.graph_repr(graph)
    assert "W 2×2" in display.gradients_repr(gradients) and "V 1×2" in display.gradients_repr(gradients)
    assert "J, grads = fn(params, xs, ys, s0=None)" in display.compiled_repr(compiled)
    assert "`W` (2, 2)" in display.compiled_markdown(compiled) and "`b` (2,)" in display.compiled_markdown(
        compiled
    )


def test_rich_display_of_a_long_program_is_elided() -> None:
    graph = symrnn.unroll(symrnn.RNNSpec(z=12, e=1, n=1, m=1))
    latex = display.graph_latex(graph)
    assert latex.count(r"\vdots") == 1 and latex.count("&=") == 2 * display.SHOWN_STEPS
    gradients = symrnn.gradients(symrnn.RNNSpec(z=12, e=1, n=1, m=1))
    assert display.gradients_latex(gradients).count("&=") == 2 * display.SHOWN_STEPS
    assert display.graph_markdown(graph).startswith("**Graph** rnn z=12")


def test_spec_markdown_lists_the_shapes() -> None:
    text = display.spec_markdown(SPEC)
    assert text.startswith("**RNNSpec** rnn z=2 e=2 n=2 m=1 tanh sse")
    assert "`W` (2, 2)" in text and "`xs` (2, 2)" in text and "`c` (1,)" in text


def test_custom_activation_is_named_custom() -> None:
    import sympy

    v = sympy.Symbol("v", real=True)
    spec = symrnn.RNNSpec(z=1, e=1, n=1, m=1, activation=sympy.Lambda(v, v**3))
    assert display.spec_text(spec) == "rnn z=1 e=1 n=1 m=1 custom sse"
