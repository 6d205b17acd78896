"""Output files written like every Unix tool: ``-`` is stdout, umask respected, symlinks followed.

One writer for every ``-o`` of the command line (and for any module that writes a file):

- ``None`` or ``"-"`` writes to standard output;
- a regular file (or a path that does not exist yet) is written to a temporary file in the same
  directory and renamed over the target, so a failure never leaves a partial file; a new file gets
  the mode ``0o666`` minus the umask, an existing one keeps its mode;
- a symbolic link is followed: the file it points to is replaced, the link stays;
- anything else that exists (``/dev/stdout``, ``/dev/null``, a FIFO, a terminal) is opened and written
  in place, since it cannot be renamed over.

Errors are :class:`OutputError` (an ``OSError``) naming the path as the user typed it.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import sys
import tempfile
from collections.abc import Iterator
from typing import IO

STDOUT = "-"
NEW_FILE_MODE = 0o666  # before the umask, as open(2) with O_CREAT in every Unix tool


class OutputError(OSError):
    """A file could not be written; ``filename`` is the path as given, ``strerror`` the reason."""

    def __str__(self) -> str:
        return f"cannot write {self.filename}: {self.strerror}"


def is_stdout(path: str | os.PathLike | None) -> bool:
    """Whether ``path`` means standard output (``None`` or ``"-"``)."""
    return path is None or os.fspath(path) == STDOUT


def describe(path: str | os.PathLike | None) -> str:
    """How to name the destination in a message: ``stdout`` or the path."""
    return "stdout" if is_stdout(path) else os.fspath(path)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _regular_target(path: str) -> tuple[str, int | None]:
    """(the real path to replace, its mode or None if new) for a regular or not yet existing file."""
    real = os.path.realpath(path)  # follows every symlink, including a dangling one
    try:
        info = os.stat(real)
    except FileNotFoundError:
        return real, None
    return real, stat.S_IMODE(info.st_mode)


def check_writable(path: str | os.PathLike | None) -> None:
    """Fail early (before long work) if ``path`` clearly cannot be written.

    Raises:
        OutputError: the directory does not exist, is not a directory, or is not writable; or the
            target is a directory.
    """
    if is_stdout(path):
        return
    name = os.fspath(path)
    if os.path.isdir(name):
        raise OutputError(errno.EISDIR, os.strerror(errno.EISDIR), name)
    if os.path.exists(name) and not os.path.isfile(name):
        return  # a device or FIFO: opened in place when the time comes
    directory = os.path.dirname(os.path.realpath(name)) or "."
    if not os.path.exists(directory):
        raise OutputError(errno.ENOENT, f"directory {directory} does not exist", name)
    if not os.path.isdir(directory):
        raise OutputError(errno.ENOTDIR, f"{directory} is not a directory", name)
    if not os.access(directory, os.W_OK | os.X_OK):
        raise OutputError(errno.EACCES, f"{directory} is not writable", name)


@contextlib.contextmanager
def open_output(
    path: str | os.PathLike | None, *, binary: bool = False, encoding: str = "utf-8"
) -> Iterator[IO]:
    """A stream to write ``path``; the file appears (atomically where it can) when the block ends.

    Args:
        path: a file name, ``"-"`` or None for standard output.
        binary: yield a binary stream instead of a text stream.
        encoding: the text encoding.

    Raises:
        OutputError: the file cannot be written (``filename`` is ``path`` as given).
    """
    if is_stdout(path):
        sys.stdout.flush()
        stream = sys.stdout.buffer if binary else sys.stdout
        yield stream
        stream.flush()
        return
    name = os.fspath(path)
    mode = "wb" if binary else "w"
    text_options = {} if binary else {"encoding": encoding, "newline": ""}
    try:
        exists = os.path.exists(name)
        if exists and not os.path.isfile(name):
            if os.path.isdir(name):
                raise OutputError(errno.EISDIR, os.strerror(errno.EISDIR), name)
            with open(name, mode, **text_options) as stream:  # /dev/stdout, a FIFO, a terminal
                yield stream
            return
        real, kept_mode = _regular_target(name)
        handle, temporary = tempfile.mkstemp(
            dir=os.path.dirname(real) or ".", prefix=".symrnn-", suffix=".tmp"
        )
    except OSError as error:
        raise _named(error, name) from None
    try:
        with os.fdopen(handle, mode, **text_options) as stream:
            yield stream
        os.chmod(temporary, kept_mode if kept_mode is not None else NEW_FILE_MODE & ~_umask())
        os.replace(temporary, real)
    except BaseException as error:  # KeyboardInterrupt too: never leave the temporary behind
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        if isinstance(error, OSError):
            raise _named(error, name) from None
        raise


def write_text(path: str | os.PathLike | None, text: str, *, newline: bool = True) -> str:
    """Write ``text`` to ``path`` (``"-"``/None: stdout); returns the destination's name for messages.

    Args:
        path: a file name, ``"-"`` or None.
        text: the content.
        newline: end the output with a newline if ``text`` does not.
    """
    if newline and not text.endswith("\n"):
        text += "\n"
    with open_output(path) as stream:
        stream.write(text)
    return describe(path)


def write_bytes(path: str | os.PathLike | None, data: bytes) -> str:
    """Write ``data`` to ``path`` (``"-"``/None: stdout); returns the destination's name for messages."""
    with open_output(path, binary=True) as stream:
        stream.write(data)
    return describe(path)


def _named(error: OSError, name: str) -> OSError:
    """The same error as an OutputError naming the path the user gave, not a temporary or resolved one."""
    if isinstance(error, (OutputError, BrokenPipeError)):
        return error
    return OutputError(error.errno, error.strerror or str(error), name)
