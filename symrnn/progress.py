"""Progress on stderr for long work: a tqdm bar only when stderr is a terminal, silent otherwise.

The whole API::

    from symrnn import progress
    for item in progress.bar(items, description="audit"):   # a bar, or the plain iterable
        ...
    with progress.working("deriving"):                       # elapsed time while one long call runs
        document = derive(spec)
    progress.summary("derivation: 52 equations, every one checked")  # one line on stderr

``progress.set_quiet(True)`` (the command line's ``--quiet``) turns bars and summaries off. Nothing here
writes to stdout, so results stay clean for pipes.
"""

from __future__ import annotations

import contextlib
import sys
import threading
from collections.abc import Iterable, Iterator
from typing import TypeVar

Item = TypeVar("Item")

REFRESH_SECONDS = 0.5  # how often the elapsed-time display of ``working`` is redrawn

_state = {"quiet": False}


def set_quiet(quiet: bool) -> None:
    """Turn progress bars and summary lines off (True) or back on (False)."""
    _state["quiet"] = bool(quiet)


def is_quiet() -> bool:
    """Whether ``--quiet`` (or ``set_quiet(True)``) is in force."""
    return _state["quiet"]


def enabled() -> bool:
    """Whether bars are drawn: not quiet, stderr is a terminal and tqdm is installed."""
    if _state["quiet"]:
        return False
    try:
        if not sys.stderr.isatty():
            return False
    except (AttributeError, ValueError):  # replaced or closed stderr
        return False
    try:
        import tqdm  # noqa: F401
    except ImportError:
        return False
    return True


def bar(iterable: Iterable[Item], *, total: int | None = None, description: str = "") -> Iterable[Item]:
    """``iterable`` itself, or wrapped in a tqdm bar on stderr when :func:`enabled`.

    Args:
        iterable: what to iterate over.
        total: the number of items when ``len(iterable)`` is not available.
        description: a few words shown before the bar.
    """
    if not enabled():
        return iterable
    from tqdm import tqdm

    return tqdm(
        iterable, total=total, desc=description or None, file=sys.stderr, leave=False, dynamic_ncols=True
    )


@contextlib.contextmanager
def working(description: str) -> Iterator[None]:
    """Show ``description`` and the elapsed time on stderr while the block runs (when :func:`enabled`)."""
    if not enabled():
        yield
        return
    from tqdm import tqdm

    display = tqdm(
        total=None,
        desc=description,
        file=sys.stderr,
        leave=False,
        bar_format="{desc}: {elapsed}",
        dynamic_ncols=True,
    )
    finished = threading.Event()

    def refresh() -> None:
        while not finished.wait(REFRESH_SECONDS):
            display.refresh()

    thread = threading.Thread(target=refresh, name="symrnn-progress", daemon=True)
    thread.start()
    try:
        yield
    finally:
        finished.set()
        thread.join()
        display.close()


def summary(line: str) -> None:
    """Print one closing line on stderr (unless quiet), e.g. ``derivation: 52 equations, ...``.

    Standard output is flushed first, so the line comes after the results on a terminal.
    """
    if sys.stdout is not None:
        sys.stdout.flush()  # results first; a closed stdout raises BrokenPipeError here, for the caller
    if _state["quiet"]:
        return
    try:
        print(line, file=sys.stderr, flush=True)
    except (OSError, ValueError):  # stderr closed: the summary is a courtesy, never an error
        pass
