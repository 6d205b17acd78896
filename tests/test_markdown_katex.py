"""The committed Markdown renders in a real headless browser with KaTeX (skipped, with the reason, elsewhere)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location("katex_render", HERE / "katex_render.py")
katex_render = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(katex_render)

DERIVATIONS = sorted((HERE.parent / "derivations").glob("*.md"))


def test_formulas_are_found_as_a_markdown_pipeline_sees_them():
    text = "Prose $a_t$ and $b$.\n\n```math\n\\begin{aligned} x &= 1 \\\\\n y &= 2 \\end{aligned}\n```\n"
    assert katex_render.formulas(text) == [
        (True, "\\begin{aligned} x &= 1 \\\\\n y &= 2 \\end{aligned}"),
        (False, "a_t"),
        (False, "b"),
    ]


def test_markdown_renders_in_headless_chromium_with_katex():
    program, script = katex_render.browser(), katex_render.katex_script()
    if program is None:
        pytest.skip(
            "SKIPPED: chromium not found (apt-get install -y chromium); the KaTeX rendering was not tested"
        )
    if script is None:
        pytest.skip(
            "SKIPPED: KaTeX not found (npm pack katex; set SYMRNN_KATEX to package/dist/katex.min.js)"
        )
    results = katex_render.render(DERIVATIONS, program, script)
    for name, result in results.items():
        assert result["count"] > 50, f"{name}: only {result['count']} formulas found"
        assert not result["errors"], f"{name}: {result['errors'][:3]}"
