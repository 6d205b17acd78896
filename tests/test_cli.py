"""The command line: POSIX exit codes, results on stdout, one-line errors on stderr."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from symrnn.cli import main


def run(*arguments: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "symrnn", *arguments], capture_output=True, text=True,
                          input=stdin, timeout=300)


def test_check_defaults_to_the_notes_worked_example_and_succeeds() -> None:
    result = run("check", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] is True
    assert report["max_rel_error"]["structured_vs_brute"] < 1e-45
    assert report["max_rel_error"]["compiled_vs_reference"] < 1e-10
    assert result.stderr == ""


@pytest.mark.parametrize("arguments", [["--help"], ["check", "--help"], ["derive", "--help"], ["verify", "--help"],
                                       ["audit", "--help"], ["codegen", "--help"]])
def test_help_everywhere(arguments: list[str], capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(arguments)
    assert exit_info.value.code == 0
    assert "usage: symrnn" in capsys.readouterr().out


@pytest.mark.parametrize("arguments, words", [
    (["check", "--z", "0"], "--z: expected a positive integer"),
    (["check", "--n", "two"], "--n: expected a positive integer"),
    (["check", "--activation", "softsign"], "invalid choice"),
    (["check", "--cell", "lstm"], "not implemented yet"),
    (["frobnicate"], "invalid choice"),
    ([], "required"),
])
def test_bad_input_exits_2_with_one_line(arguments: list[str], words: str, capsys: pytest.CaptureFixture) -> None:
    try:
        code = main(arguments)
    except SystemExit as exit_info:
        code = exit_info.code
    error = capsys.readouterr().err
    assert code == 2
    assert words in error
    assert error.count("\n") == 1 if words != "required" else error.strip()


def test_check_human_output(capsys: pytest.CaptureFixture) -> None:
    assert main(["check", "--z", "1", "--activation", "relu", "--loss", "ce", "--m", "2"]) == 0
    out = capsys.readouterr().out
    assert "all routes agree" in out and "compiled_vs_reference" in out


@pytest.mark.parametrize("arguments, words", [
    (["derive", "--z", "9", "--expand", "all"], "expand"),
    (["derive", "--notation", "bishop"], "invalid choice"),
])
def test_derive_bad_input_exits_2_and_leaves_no_file(tmp_path, arguments: list[str], words: str,
                                                    capsys: pytest.CaptureFixture) -> None:
    target = tmp_path / "doc.tex"
    try:
        code = main([*arguments, "-o", str(target)])
    except SystemExit as exit_info:
        code = exit_info.code
    error = capsys.readouterr().err
    assert code == 2 and words in error and error.count("\n") == 1
    assert not target.exists() and list(tmp_path.iterdir()) == []


def test_derive_unwritable_output_exits_2(tmp_path, capsys: pytest.CaptureFixture) -> None:
    assert main(["derive", "--z", "1", "-o", str(tmp_path / "missing" / "doc.tex")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_derive_writes_markdown_file(tmp_path) -> None:
    target = tmp_path / "doc.md"
    assert main(["derive", "--z", "1", "--format", "markdown", "--expand", "none", "-o", str(target)]) == 0
    text = target.read_text()
    assert text.startswith("# ") and "```math" in text and "FAILED" not in text
