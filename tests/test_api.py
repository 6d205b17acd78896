"""The top-level Python API as the README promises it."""

from __future__ import annotations

import pytest

import symrnn


def test_derive_is_the_function_and_returns_the_document() -> None:
    assert callable(symrnn.derive)
    document = symrnn.derive(symrnn.RNNSpec(z=1, e=1, n=1, m=1), expand=False, appendix=False)
    latex, markdown = document.latex(), document.markdown()
    assert latex.startswith("\\documentclass") and "\\end{document}" in latex
    assert markdown.startswith("# ") and document.ok


def test_every_public_name_resolves() -> None:
    for name in symrnn.__all__:
        assert getattr(symrnn, name) is not None, name
    assert set(symrnn.__all__) <= set(dir(symrnn))
    with pytest.raises(AttributeError, match="no attribute 'deriv'"):
        symrnn.deriv  # noqa: B018


def test_formula_error_is_one_family_and_bad_input() -> None:
    assert issubclass(symrnn.FormulaError, symrnn.SymRNNError)
    assert issubclass(symrnn.FormulaError, ValueError)
    with pytest.raises(symrnn.SymRNNError) as caught:
        symrnn.verify("\\input{/etc/passwd}")
    assert isinstance(caught.value, ValueError) and isinstance(caught.value, symrnn.FormulaError)
