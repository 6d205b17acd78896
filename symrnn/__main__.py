"""``python -m symrnn`` and the ``symrnn`` command: Ctrl-C is handled from the first import on."""

from __future__ import annotations

import os
import signal
import sys


def run() -> None:
    """Entry point: import the command line, run it, exit with its code (130 on Ctrl-C, one line)."""
    try:
        from .cli import main
    except KeyboardInterrupt:  # interrupted while Python was still importing the command line
        _interrupted(say=True)
    try:
        code = main()
        if code == 130:
            _interrupted(say=False)  # main has written its one line
    except KeyboardInterrupt:  # a second Ctrl-C while the first one's line was being written
        _interrupted(say=False)
    sys.exit(code)


def _interrupted(*, say: bool) -> None:
    """Exit 130 at once: no second interrupt, and no interpreter shutdown that could turn it into a signal."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if say:
        words = [word for word in sys.argv[1:] if not word.startswith("-")]
        command = words[0] if words else ""
        sys.stderr.write(f"symrnn{' ' + command if command else ''}: interrupted\n")
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError, AttributeError):
            pass
    os._exit(130)


if __name__ == "__main__":
    run()
