"""Render every formula of Markdown files with KaTeX in a headless Chromium; report the errors.

Usage: ``python tests/katex_render.py [FILE.md ...]`` (default: derivations/*.md). Needs ``chromium`` (or
``chromium-browser``/``google-chrome``) on PATH and KaTeX's ``katex.min.js``: set ``SYMRNN_KATEX`` to it, e.g.
``npm pack katex && tar xzf katex-*.tgz && export SYMRNN_KATEX=$PWD/package/dist/katex.min.js``. Exit 0 when
every formula renders, 1 on errors, 77 (skipped) when the browser or KaTeX is missing.

The formulas are taken as a "Markdown, then KaTeX" pipeline sees them: fenced ``math`` blocks verbatim (display
mode, as GitHub renders them) and ``$...$`` in prose (inline).
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
SKIPPED = 77
_FENCE = re.compile(r"```math\n(.*?)\n```", re.DOTALL)
_INLINE = re.compile(r"(?<![\\$])\$(?!\$)(.+?)(?<![\\$])\$")


def browser() -> str | None:
    """The first headless-capable browser on PATH."""
    return next((path for name in BROWSERS if (path := shutil.which(name))), None)


def katex_script() -> Path | None:
    """katex.min.js from SYMRNN_KATEX, or node_modules/katex in the working directory."""
    candidates = [
        os.environ.get("SYMRNN_KATEX", ""),
        "node_modules/katex/dist/katex.min.js",
        "package/dist/katex.min.js",
    ]
    return next((Path(c).resolve() for c in candidates if c and Path(c).is_file()), None)


def formulas(markdown: str) -> list[tuple[bool, str]]:
    """(display, tex) for every fenced math block and every inline $...$ of the prose."""
    items = [(True, block) for block in _FENCE.findall(markdown)]
    prose = _FENCE.sub("", markdown)
    prose = re.sub(r"```.*?```", "", prose, flags=re.DOTALL)
    items += [(False, inline) for inline in _INLINE.findall(prose)]
    return items


_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><script src="{script}"></script></head><body>
<pre id="out">not run</pre><script>
const items = {items};
const errors = [];
for (const [display, tex] of items) {{
  try {{ katex.renderToString(tex, {{displayMode: display, throwOnError: true, strict: "ignore"}}); }}
  catch (e) {{ errors.push(String(e.message).slice(0, 300) + " | in: " + tex.slice(0, 200)); }}
}}
document.getElementById("out").textContent = JSON.stringify({{count: items.length, errors: errors}});
</script></body></html>"""


def render(paths: list[Path], program: str, script: Path) -> dict[str, dict]:
    """{file name: {"count": formulas rendered, "errors": [...]}} from one headless browser run per file."""
    results = {}
    with tempfile.TemporaryDirectory(prefix="symrnn-katex-") as directory:
        for path in paths:
            page = Path(directory) / "page.html"
            items = formulas(path.read_text(encoding="utf-8"))
            page.write_text(_PAGE.format(script=script.as_uri(), items=json.dumps(items)), encoding="utf-8")
            output = subprocess.run(
                [
                    program,
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--dump-dom",
                    "--allow-file-access-from-files",
                    page.as_uri(),
                ],
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            ).stdout
            match = re.search(r'<pre id="out">(.*?)</pre>', output, re.DOTALL)
            if match is None:
                results[path.name] = {"count": 0, "errors": ["the browser returned no result"]}
            else:
                results[path.name] = json.loads(html.unescape(match.group(1)))
    return results


def main(argv: list[str]) -> int:
    program, script = browser(), katex_script()
    if program is None or script is None:
        missing = "chromium (apt-get install -y chromium)" if program is None else "KaTeX (set SYMRNN_KATEX)"
        print(f"SKIPPED: {missing} not found")
        return SKIPPED
    root = Path(__file__).resolve().parents[1]
    paths = [Path(a) for a in argv] or sorted((root / "derivations").glob("*.md"))
    failed = 0
    for name, result in render(paths, program, script).items():
        print(f"{name}: {result['count']} formulas, {len(result['errors'])} errors")
        for error in result["errors"]:
            print(f"  {error}")
        failed += bool(result["errors"]) or result["count"] == 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
