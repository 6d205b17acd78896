"""``python -m symrnn`` and the ``symrnn`` command: Ctrl-C is handled from the first import on."""

from __future__ import annotations

import sys


def run() -> None:
    """Entry point: import the command line, run it, exit with its code (130 on Ctrl-C, one line)."""
    try:
        from .cli import main
    except KeyboardInterrupt:  # interrupted while Python was still importing the command line
        words = [word for word in sys.argv[1:] if not word.startswith("-")]
        command = words[0] if words else ""
        sys.stderr.write(f"symrnn{' ' + command if command else ''}: interrupted\n")
        sys.exit(130)
    sys.exit(main())


if __name__ == "__main__":
    run()
