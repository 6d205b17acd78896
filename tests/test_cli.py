"""The command line: POSIX exit codes, results on stdout, one-line errors on stderr."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

import pytest

import symrnn
from symrnn import cli, files
from symrnn.cli import build_parser, main


def run(*arguments: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "symrnn", *arguments], capture_output=True, text=True, input=stdin, timeout=300
    )


def test_check_defaults_to_the_notes_worked_example_and_succeeds() -> None:
    result = run("check", "--json", "--quiet")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] is True
    assert report["max_rel_error"]["structured_vs_brute"] < 1e-45
    assert report["max_rel_error"]["compiled_vs_reference"] < 1e-10
    assert result.stderr == ""


@pytest.mark.parametrize(
    "arguments",
    [
        ["--help"],
        ["check", "--help"],
        ["derive", "--help"],
        ["verify", "--help"],
        ["audit", "--help"],
        ["codegen", "--help"],
    ],
)
def test_help_everywhere(arguments: list[str], capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(arguments)
    assert exit_info.value.code == 0
    assert "usage: symrnn" in capsys.readouterr().out


@pytest.mark.parametrize(
    "arguments, words",
    [
        (["check", "--z", "0"], "--z: expected a positive integer"),
        (["check", "--n", "two"], "--n: expected a positive integer"),
        (["check", "--activation", "softsign"], "invalid choice"),
        (["check", "--cell", "lstm", "--activation", "relu"], "fixed activations"),
        (["check", "--e", "-1"], "--e: expected an integer >= 0"),
        (["frobnicate"], "invalid choice"),
        ([], "required"),
    ],
)
def test_bad_input_exits_2_with_one_line(
    arguments: list[str], words: str, capsys: pytest.CaptureFixture
) -> None:
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


@pytest.mark.parametrize(
    "arguments, words",
    [
        (["derive", "--z", "9", "--expand", "all"], "--expand all lists every (t, k) term only up to --z 6"),
        (["derive", "--notation", "bishop"], "invalid choice"),
    ],
)
def test_derive_bad_input_exits_2_and_leaves_no_file(
    tmp_path, arguments: list[str], words: str, capsys: pytest.CaptureFixture
) -> None:
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


def test_derive_writes_markdown_file_and_says_so(tmp_path, capsys: pytest.CaptureFixture) -> None:
    target = tmp_path / "doc.md"
    assert main(["derive", "--z", "1", "--format", "markdown", "--expand", "none", "-o", str(target)]) == 0
    text = target.read_text()
    assert text.startswith("# ") and "```math" in text and "FAILED" not in text
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("derivation: ") and err.endswith(
        f"equations, every one checked, written to {target}\n"
    )
    assert main(["derive", "--z", "1", "--expand", "none", "-q", "-o", str(target)]) == 0
    assert capsys.readouterr() == ("", "")


def _subparsers():
    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return action.choices


@pytest.mark.parametrize("command", ["check", "derive", "verify", "audit", "codegen", "gradflow"])
def test_every_option_has_help_with_its_default(command: str) -> None:
    sub = _subparsers()[command]
    text = " ".join(sub.format_help().split())
    for action in sub._actions:
        if not action.option_strings or action.help == argparse.SUPPRESS:
            continue
        assert action.help, f"{command} {action.option_strings[0]} has no help text"
        if action.default not in (None, False, argparse.SUPPRESS) and not isinstance(action.default, bool):
            assert f"(default: {action.default})" in text, f"{command} {action.option_strings[0]}"


def test_a_mistyped_choice_gets_a_suggestion(capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["derive", "--activation", "tnah"])
    assert exit_info.value.code == 2
    assert capsys.readouterr().err.endswith("; did you mean 'tanh'?\n")


def test_z_max_out_of_range_names_the_option(capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit):
        main(["verify", "J = J", "--z-max", "20"])
    assert "argument --z-max: expected an integer in 1..12, got 20" in capsys.readouterr().err


def test_a_failed_write_after_the_work_is_one_line_exit_2(tmp_path, monkeypatch, capsys) -> None:
    def full(source, destination):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files.os, "replace", full)
    target = tmp_path / "module.py"
    assert main(["codegen", "-o", str(target)]) == 2
    assert (
        capsys.readouterr().err == f"symrnn codegen: error: cannot write {target}: No space left on device\n"
    )
    assert list(tmp_path.iterdir()) == []


def test_ctrl_c_inside_a_command_is_one_line_exit_130(monkeypatch, capsys: pytest.CaptureFixture) -> None:
    def interrupted(arguments):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "_audit", interrupted)
    assert main(["audit"]) == 130
    assert capsys.readouterr() == ("", "symrnn audit: interrupted\n")


def test_version_at_the_top(capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out == f"symrnn {symrnn.__version__}\n"
