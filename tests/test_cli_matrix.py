"""Every subcommand x {--help, --version, unknown option, unwritable -o, -o -, SIGINT, closed stdout}.

Each cell runs ``python -m symrnn`` as a user would and checks the documented exit code, what reaches
stderr (one line, never a traceback) and stdout. The 42 processes run concurrently, a few at a time.
"""

from __future__ import annotations

import concurrent.futures
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

import symrnn
from symrnn.cli import EXIT_BAD_INPUT, EXIT_BROKEN_PIPE, EXIT_INTERRUPTED, EXIT_OK

PARALLEL_PROCESSES = 6
PROCESS_TIMEOUT = 240.0  # seconds: a hang guard, not a measurement
INTERRUPT_DELAY = 0.2  # seconds after the package has loaded (the "SIGINT after 0.2 s")
UNWRITABLE = "/nonexistent-symrnn-directory/out"

# A short real run of each command, its documented exit code, and a typo with the option it suggests.
QUICK = {
    "check": (["check", "--z", "1", "--n", "1", "--e", "1"], 0),
    "derive": (["derive", "--z", "1", "--expand", "none"], 0),
    "verify": (["verify", r"J = \sum_{t=1}^{z} J_t", "--z-max", "1"], 0),
    "audit": (["audit", "--json"], 1),  # the notes have slips: audit exits 1 by design (documented)
    "codegen": (["codegen", "-o", os.devnull], 0),
    "gradflow": (["gradflow", "--n", "2", "--z", "3", "--samples", "2"], 0),
}
TYPOS = {
    "check": ("--jsn", "--json"),
    "derive": ("--fromat", "--format"),
    "verify": ("--z-mx", "--z-max"),
    "audit": ("--jsn", "--json"),
    "codegen": ("--backnd", "--backend"),
    "gradflow": ("--smaples", "--samples"),
}
# Runs long enough to be interrupted.
LONG = {
    "check": ["check", "--z", "4", "--n", "3"],
    "derive": ["derive", "--z", "6", "--n", "3"],
    "verify": [
        "verify",
        r"\frac{\partial J}{\partial W} = \sum_{t=1}^{z} \frac{\partial J_t}{\partial W}",
        "--z-max",
        "8",
    ],
    "audit": ["audit"],
    "codegen": ["codegen", "--z", "12", "--n", "6", "-o", os.devnull],
    "gradflow": ["gradflow", "--n", "64", "--z", "400", "--samples", "64"],
}
SUFFIX = {"codegen": ".py", "gradflow": ".png"}
CASES = ("help", "version", "unknown option", "unwritable -o", "-o -", "SIGINT", "closed stdout")


@dataclass
class Outcome:
    returncode: int
    stdout: bytes
    stderr: str


def _command(arguments: list[str], *, importtime: bool = False) -> list[str]:
    return [sys.executable, *(["-X", "importtime"] if importtime else []), "-m", "symrnn", *arguments]


def _environment() -> dict[str, str]:
    environment = dict(os.environ)
    environment["PYTHONPATH"] = os.pathsep.join(
        [str(Path(symrnn.__file__).parents[1]), environment.get("PYTHONPATH", "")]
    )
    return environment


def _interrupted(arguments: list[str]) -> Outcome:
    """Start, wait until the package has loaded (seen through -X importtime), then SIGINT after 0.2 s."""
    process = subprocess.Popen(
        _command(arguments, importtime=True),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_environment(),
    )
    early = []
    for raw in process.stderr:
        line = raw.decode()
        early.append(line)
        if line.rstrip().endswith("| symrnn"):
            break
    time.sleep(INTERRUPT_DELAY)
    running = process.poll() is None
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=PROCESS_TIMEOUT)
    lines = [
        line
        for line in ("".join(early) + stderr.decode()).splitlines()
        if not line.startswith("import time:")
    ]
    note = "" if running else "(the process had ended before the interrupt: make the LONG run longer)\n"
    return Outcome(process.returncode, stdout, note + "\n".join(lines) + ("\n" if lines else ""))


def _closed_stdout(arguments: list[str]) -> Outcome:
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the first byte, like `symrnn audit --json | head -0`
    try:
        result = subprocess.run(
            _command(arguments),
            stdout=write_end,
            stderr=subprocess.PIPE,
            env=_environment(),
            timeout=PROCESS_TIMEOUT,
        )
    finally:
        os.close(write_end)
    return Outcome(result.returncode, b"", result.stderr.decode())


def _plain(arguments: list[str]) -> Outcome:
    result = subprocess.run(
        _command(arguments), capture_output=True, env=_environment(), timeout=PROCESS_TIMEOUT
    )
    return Outcome(result.returncode, result.stdout, result.stderr.decode())


def _run_case(command: str, case: str) -> Outcome:
    quick, _ = QUICK[command]
    if case == "help":
        return _plain([command, "--help"])
    if case == "version":
        return _plain([command, "--version"])
    if case == "unknown option":
        return _plain([*quick, TYPOS[command][0], "1"])
    if case == "unwritable -o":
        return _plain([*quick, "-o", UNWRITABLE + SUFFIX.get(command, ".txt")])
    if case == "-o -":
        return _plain([*quick, "-o", "-"])
    if case == "SIGINT":
        return _interrupted(LONG[command])
    if case == "closed stdout":
        return _closed_stdout([*quick, "-o", "-"])
    raise AssertionError(case)


@pytest.fixture(scope="module")
def outcomes() -> dict[tuple[str, str], Outcome]:
    with concurrent.futures.ThreadPoolExecutor(PARALLEL_PROCESSES) as pool:
        futures = {
            (command, case): pool.submit(_run_case, command, case) for command in QUICK for case in CASES
        }
        return {key: future.result() for key, future in futures.items()}


def _one_line(stderr: str) -> str:
    assert "Traceback" not in stderr, stderr
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    return lines[0]


@pytest.mark.parametrize("command", QUICK)
def test_help(outcomes, command: str) -> None:
    outcome = outcomes[command, "help"]
    assert outcome.returncode == EXIT_OK and outcome.stderr == ""
    text = outcome.stdout.decode()
    assert text.startswith(f"usage: symrnn {command}")
    for code in ("0", str(EXIT_BAD_INPUT), str(EXIT_INTERRUPTED), str(EXIT_BROKEN_PIPE)):
        assert f"\n  {code} " in text.split("exit codes:")[1]


@pytest.mark.parametrize("command", QUICK)
def test_version(outcomes, command: str) -> None:
    outcome = outcomes[command, "version"]
    assert outcome.returncode == EXIT_OK and outcome.stderr == ""
    assert outcome.stdout.decode() == f"symrnn {symrnn.__version__}\n"


@pytest.mark.parametrize("command", QUICK)
def test_unknown_option_is_reported_by_the_subcommand_with_a_suggestion(outcomes, command: str) -> None:
    outcome = outcomes[command, "unknown option"]
    typo, meant = TYPOS[command]
    line = _one_line(outcome.stderr)
    assert outcome.returncode == EXIT_BAD_INPUT and outcome.stdout == b""
    assert line.startswith(f"symrnn {command}: error: unrecognized arguments: {typo}")
    assert f"(did you mean {meant}?)" in line


@pytest.mark.parametrize("command", QUICK)
def test_unwritable_output(outcomes, command: str) -> None:
    outcome = outcomes[command, "unwritable -o"]
    line = _one_line(outcome.stderr)
    assert outcome.returncode == EXIT_BAD_INPUT and outcome.stdout == b""
    assert line.startswith(f"symrnn {command}: error: cannot write {UNWRITABLE}")
    assert "does not exist" in line


@pytest.mark.parametrize("command", QUICK)
def test_dash_writes_to_stdout_and_summarises_on_stderr(outcomes, command: str) -> None:
    outcome = outcomes[command, "-o -"]
    line = _one_line(outcome.stderr)
    assert outcome.returncode == QUICK[command][1], outcome.stderr
    assert line.split(":")[0] == {"derive": "derivation"}.get(command, command)
    assert "written to" not in line  # nothing was written to a file
    if command == "gradflow":
        assert outcome.stdout.startswith(b"\x89PNG\r\n")  # the plot itself, instead of the table
    else:
        assert len(outcome.stdout.decode().strip()) > 0


@pytest.mark.parametrize("command", QUICK)
def test_interrupt_exits_130_with_one_line(outcomes, command: str) -> None:
    outcome = outcomes[command, "SIGINT"]
    assert _one_line(outcome.stderr) == f"symrnn {command}: interrupted"
    assert outcome.returncode == EXIT_INTERRUPTED


@pytest.mark.parametrize("command", QUICK)
def test_closed_stdout_is_quiet(outcomes, command: str) -> None:
    outcome = outcomes[command, "closed stdout"]
    assert outcome.stderr == ""
    assert outcome.returncode == EXIT_BROKEN_PIPE
