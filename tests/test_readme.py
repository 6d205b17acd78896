"""Every example of README.md runs as written: python blocks, console sessions and the symrnn commands.

- ```python blocks are executed, each in a fresh namespace, in a temporary working directory;
- ```console blocks: each ``$ command`` is run and its stdout compared with the lines below it, where a
  line ``...`` matches any number of lines;
- ```bash / ```sh blocks: every ``symrnn ...`` command (also inside ``a && b``) must exit 0 without a
  traceback; installing (``pip``) and the test suite itself (``python -m pytest``) are not run here;
- other blocks (benchmark tables, output listings) are data, not examples.

Mark an example that must not run with ``<!-- readme-test: not-run -->`` on the line before its fence
(say why next to it). Blocks are found by content, so sections may be rewritten freely.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
NOT_RUN = "<!-- readme-test: not-run -->"
PROCESS_TIMEOUT = 300.0  # seconds: a hang guard only
NOT_RUN_HERE = ("pip ", "python -m pytest", "python3 -m pytest")  # installation and the suite itself
WILDCARD = "..."

FENCE = re.compile(r"^```([^\n`]*)\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)


@dataclass(frozen=True)
class Block:
    language: str
    text: str
    line: int
    heading: str
    run: bool

    @property
    def name(self) -> str:
        return f"{self.language}@{self.line}:{self.heading}"


def blocks(text: str) -> list[Block]:
    found = []
    for match in FENCE.finditer(text):
        before = text[: match.start()]
        headings = re.findall(r"^#+ (.+)$", before, re.MULTILINE)
        previous_line = before.rstrip("\n").rsplit("\n", 1)[-1].strip()
        info = match.group(1).split()
        found.append(
            Block(
                info[0] if info else "",
                match.group(2),
                before.count("\n") + 1,
                headings[-1] if headings else "top",
                previous_line != NOT_RUN and "not-run" not in info,
            )
        )
    return found


def console_examples(text: str) -> list[tuple[str, list[str]]]:
    """``[(command, expected stdout lines)]`` of a console block."""
    examples: list[tuple[str, list[str]]] = []
    for line in text.splitlines():
        if line.startswith("$ "):
            examples.append((line[2:], []))
        elif examples:
            examples[-1][1].append(line.rstrip())
        elif line.strip():
            raise AssertionError(f"console block starts with output, not a '$ ' command: {line!r}")
    return examples


def matches(expected: list[str], actual: list[str]) -> bool:
    """Line-by-line equality where a ``...`` line stands for any number of lines."""
    if not expected:
        return not actual
    if expected[0] == WILDCARD:
        return any(matches(expected[1:], actual[start:]) for start in range(len(actual) + 1))
    return bool(actual) and actual[0] == expected[0] and matches(expected[1:], actual[1:])


def _environment() -> dict[str, str]:
    environment = dict(os.environ)
    environment["PYTHONPATH"] = os.pathsep.join([str(ROOT), environment.get("PYTHONPATH", "")])
    return environment


def run_command(command: str, cwd: Path) -> subprocess.CompletedProcess:
    words = shlex.split(command)
    if words[0] == "symrnn":
        words = [sys.executable, "-m", "symrnn", *words[1:]]
    elif words[0] in ("python", "python3"):
        words = [sys.executable, *words[1:]]
    else:
        raise AssertionError(
            f"README example runs {words[0]!r}: only symrnn and python commands are run; "
            f"mark it {NOT_RUN} if it must not run"
        )
    return subprocess.run(
        words, capture_output=True, text=True, cwd=cwd, env=_environment(), timeout=PROCESS_TIMEOUT
    )


ALL = blocks(README.read_text(encoding="utf-8"))
EXAMPLES = [block for block in ALL if block.language in ("python", "console", "bash", "sh") and block.run]


def test_the_readme_has_examples_of_each_kind() -> None:
    assert {block.language for block in EXAMPLES} >= {"python", "console", "bash"}


def test_the_collector_reads_fences_markers_and_wildcards() -> None:
    text = "# A\n```python\nx = 1\n```\n<!-- readme-test: not-run -->\n```console\n$ rm -rf /\n```\n"
    found = blocks(text)
    assert [(b.language, b.run, b.heading) for b in found] == [("python", True, "A"), ("console", False, "A")]
    assert console_examples("$ a\none\n...\nthree\n$ b\n") == [("a", ["one", "...", "three"]), ("b", [])]
    assert matches(["one", "...", "three"], ["one", "two", "2b", "three"])
    assert matches(["one", "...", "three"], ["one", "three"])
    assert not matches(["one", "...", "three"], ["one", "two"])
    assert not matches(["holds"], ["fails"])


@pytest.mark.parametrize("block", EXAMPLES, ids=[block.name for block in EXAMPLES])
def test_readme_example(block: Block, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if block.language == "python":
        monkeypatch.chdir(tmp_path)
        exec(compile(block.text, f"README.md:{block.line}", "exec"), {"__name__": "__readme__"})
    elif block.language == "console":
        for command, expected in console_examples(block.text):
            result = run_command(command, tmp_path)
            assert "Traceback" not in result.stderr, result.stderr
            actual = [line.rstrip() for line in result.stdout.splitlines()]
            assert matches(expected, actual), (
                f"$ {command}\nexpected:\n" + "\n".join(expected) + "\nactual:\n" + "\n".join(actual)
            )
    else:
        commands = [
            part.strip() for line in block.text.splitlines() for part in line.split("#")[0].split("&&")
        ]
        for command in commands:
            if not command or command.startswith(NOT_RUN_HERE):
                continue
            result = run_command(command, tmp_path)
            assert result.returncode == 0 and "Traceback" not in result.stderr, (
                f"$ {command}\n{result.stderr}"
            )
