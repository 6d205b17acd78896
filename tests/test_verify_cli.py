"""Tests of `symrnn verify` as a program: exit codes, standard input, hostile input answered in one line."""

from __future__ import annotations

import subprocess
import sys

import pytest

GUARD_SECONDS = 2.0
"""Each hostile input must be refused within this wall time (startup included); measured loosely."""
STARTUP_ALLOWANCE = 30.0
"""The subprocess timeout: a generous guard, since interpreter start-up on a busy machine varies."""


def _run(*arguments: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "symrnn", "verify", *arguments],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=STARTUP_ALLOWANCE,
    )


def test_holds_exits_0() -> None:
    result = _run(r"\frac{\partial J}{\partial V} = \sum_{t=1}^{z} (\hat{y}_t - y_t) s_t^T", "--z-max", "2")
    assert result.returncode == 0 and result.stdout.startswith("holds")


def test_fails_exits_1_with_a_diagnosis() -> None:
    result = _run(
        r"\frac{\partial J}{\partial V} = \sum_{t=1}^{z} (\hat{y}_t - y_t) s_{t-1}^T", "--z-max", "2"
    )
    assert result.returncode == 1 and "diagnosis: wrong index" in result.stdout


def test_dash_reads_standard_input_and_json() -> None:
    result = _run("-", "--json", "--z-max", "2", stdin=r"J = \sum_{t=1}^{z} J_t")
    assert result.returncode == 0 and '"verdict": "holds"' in result.stdout


def test_notation_option() -> None:
    result = _run(r"\nabla_{h_\tau} L = V^\top \nabla_{o_\tau} L", "--notation", "goodfellow", "--z-max", "2")
    assert result.returncode == 0


HOSTILE = {
    "import": "__import__('os').system('x')",
    "dunder": "().__class__.__bases__",
    "input": r"\input{/etc/passwd}",
    "def": r"\def\x{}",
    "megabyte": "J" * 1_000_000,
    "braces": "{" * 100_000 + "}" * 100_000,
}


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_input_exits_2_with_one_line(name: str) -> None:
    payload = HOSTILE[name]
    via_stdin = len(payload) > 100_000  # beyond the size of one command-line argument (MAX_ARG_STRLEN)
    result = _run("-", stdin=payload) if via_stdin else _run(payload)
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("symrnn verify: error:")


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_input_is_refused_quickly(name: str) -> None:
    import time

    from symrnn.errors import FormulaError
    from symrnn.formula.verify import verify

    start = time.perf_counter()
    with pytest.raises(FormulaError):
        verify(HOSTILE[name])
    assert time.perf_counter() - start < GUARD_SECONDS


def test_bad_z_max_exits_2() -> None:
    assert _run(r"J = \sum_t J_t", "--z-max", "0").returncode == 2
    assert _run(r"J = \sum_t J_t", "--z-max", "50").returncode == 2
