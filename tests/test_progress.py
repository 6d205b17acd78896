"""Progress on stderr: a tqdm bar only on a terminal, nothing on pipes, nothing at all with --quiet."""

from __future__ import annotations

import io

import pytest

from symrnn import progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def loud() -> None:
    progress.set_quiet(False)
    yield
    progress.set_quiet(False)


def test_on_a_pipe_the_bar_is_the_iterable_itself(capsys: pytest.CaptureFixture) -> None:
    items = [1, 2, 3]
    assert progress.bar(items, description="x") is items
    with progress.working("deriving"):
        pass
    assert capsys.readouterr() == ("", "")


def test_on_a_terminal_a_bar_is_drawn_on_stderr(monkeypatch: pytest.MonkeyPatch) -> None:
    terminal = Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    assert progress.enabled()
    assert list(progress.bar(range(3), description="auditing")) == [0, 1, 2]
    with progress.working("deriving"):
        pass
    drawn = terminal.getvalue()
    assert "auditing" in drawn and "deriving" in drawn


def test_quiet_turns_bars_and_summaries_off(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    terminal = Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    progress.set_quiet(True)
    items = [1]
    assert not progress.enabled() and progress.bar(items) is items
    progress.summary("derivation: 1 equation")
    assert terminal.getvalue() == ""


def test_summary_is_one_line_on_stderr_after_stdout(capsys: pytest.CaptureFixture) -> None:
    print("result", end="")
    progress.summary("check: every route agrees")
    out, err = capsys.readouterr()
    assert out == "result" and err == "check: every route agrees\n"
