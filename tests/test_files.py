"""The shared output writer: stdout for '-', umask, symlinks, devices, atomic replace, one clear error."""

from __future__ import annotations

import contextlib
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from symrnn import files


@contextlib.contextmanager
def umask(mask: int):
    previous = os.umask(mask)
    try:
        yield
    finally:
        os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.mark.parametrize("mask, expected", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_a_new_file_respects_the_umask(tmp_path: Path, mask: int, expected: int) -> None:
    target = tmp_path / "doc.tex"
    with umask(mask):
        assert files.write_text(target, "x") == str(target)
    assert mode(target) == expected
    assert target.read_text() == "x\n"


def test_an_existing_file_keeps_its_mode_and_is_replaced(tmp_path: Path) -> None:
    target = tmp_path / "doc.tex"
    target.write_text("old")
    target.chmod(0o640)
    files.write_text(target, "new", newline=False)
    assert target.read_text() == "new" and mode(target) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["doc.tex"]  # no temporary left behind


def test_a_symlink_is_followed_and_stays_a_symlink(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    real = tmp_path / "real" / "doc.md"
    real.write_text("old")
    link = tmp_path / "link.md"
    link.symlink_to(real)
    files.write_text(link, "new")
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert real.read_text() == "new\n"


def test_a_dangling_symlink_creates_its_target(tmp_path: Path) -> None:
    link = tmp_path / "link.md"
    link.symlink_to(tmp_path / "target.md")
    files.write_text(link, "made")
    assert link.is_symlink() and (tmp_path / "target.md").read_text() == "made\n"


def test_dash_and_none_mean_stdout(capsys: pytest.CaptureFixture) -> None:
    assert files.write_text("-", "one") == "stdout"
    assert files.write_text(None, "two\n") == "stdout"
    assert capsys.readouterr().out == "one\ntwo\n"


def test_a_device_is_written_in_place() -> None:
    files.write_text(os.devnull, "discarded")
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode)


def test_dev_stdout_works_in_a_real_process() -> None:
    code = (
        "from symrnn.files import write_bytes, write_text; write_text('/dev/stdout', 'text'); "
        "write_bytes('/dev/stdout', b'bytes')"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout == b"text\nbytes"


def test_a_failure_inside_the_block_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "doc.tex"
    target.write_text("old")
    with pytest.raises(RuntimeError), files.open_output(target) as stream:
        stream.write("half")
        raise RuntimeError("stopped halfway")
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["doc.tex"]


def test_a_failed_rename_is_an_output_error_naming_the_path(tmp_path: Path, monkeypatch) -> None:
    def refuse(source, destination):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files.os, "replace", refuse)
    with pytest.raises(files.OutputError) as caught:
        files.write_text(tmp_path / "doc.tex", "x")
    assert str(caught.value) == f"cannot write {tmp_path / 'doc.tex'}: No space left on device"
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "make, reason",
    [
        (lambda root: root / "missing" / "out.tex", "does not exist"),
        (lambda root: root / "a-file" / "out.tex", "is not a directory"),
        (lambda root: root, "Is a directory"),
    ],
)
def test_unwritable_targets_are_refused_early_and_late(tmp_path: Path, make, reason: str) -> None:
    (tmp_path / "a-file").write_text("")
    target = make(tmp_path)
    with pytest.raises(files.OutputError, match=reason) as early:
        files.check_writable(str(target))
    assert early.value.filename == str(target) and isinstance(early.value, OSError)
    with pytest.raises(files.OutputError):
        files.write_text(str(target), "x")


def test_check_writable_accepts_stdout_devices_and_new_files(tmp_path: Path) -> None:
    for target in ("-", None, os.devnull, str(tmp_path / "new.tex")):
        files.check_writable(target)
