"""``python -m symrnn`` and the ``symrnn`` command: Ctrl-C is handled from the first import on."""

from __future__ import annotations

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
    except KeyboardInterrupt:  # a second Ctrl-C while the first one's line was being written
        _interrupted(say=False)
    if code == 130:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # no second interrupt during shutdown
    sys.exit(code)


def _interrupted(*, say: bool) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if say:
        words = [word for word in sys.argv[1:] if not word.startswith("-")]
        command = words[0] if words else ""
        sys.stderr.write(f"symrnn{' ' + command if command else ''}: interrupted\n")
    sys.exit(130)


if __name__ == "__main__":
    run()
