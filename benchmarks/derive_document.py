"""Time of derive + LaTeX for z = 8, n = 4 (target < 5 s), and LaTeX size against z."""

from __future__ import annotations

import time

from symrnn import RNNSpec
from symrnn.latex.documents import derive


def timed(spec: RNNSpec) -> tuple[float, int, bool]:
    start = time.perf_counter()
    document = derive(spec)
    text = document.latex()
    return time.perf_counter() - start, len(text), document.ok


def timed_cpu(spec: RNNSpec) -> tuple[float, float]:
    """Wall and CPU seconds of derive + LaTeX (the CPU time does not count other processes' load)."""
    wall, cpu = time.perf_counter(), time.process_time()
    derive(spec).latex()
    return time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    start = time.process_time()
    from symrnn.latex.sections.closing import closing_facts

    closing_facts()  # the closing chapter's exact facts, computed once per process
    print(f"closing chapter facts (once per process): {time.process_time() - start:.2f} s CPU")
    wall, cpu = timed_cpu(RNNSpec(z=8, e=2, n=4, m=1))
    print(f"derive + latex, z = 8, n = 4, first call: {wall:.2f} s wall, {cpu:.2f} s CPU (target < 5 s)")
    seconds, size, ok = timed(RNNSpec(z=8, e=2, n=4, m=1))
    print(f"again: {seconds:.2f} s wall, {size:,} characters, checks ok: {ok}")
    print(f"{'z':>4} {'n':>3} {'seconds':>8} {'LaTeX chars':>12} {'ratio':>6}")
    for n in (1, 2):
        previous = None
        for z in (4, 8, 16, 32):
            seconds, size, ok = timed(RNNSpec(z=z, e=2, n=n, m=1))
            ratio = "" if previous is None else f"{size / previous:.2f}"
            print(f"{z:>4} {n:>3} {seconds:>8.2f} {size:>12,} {ratio:>6}{'' if ok else '  CHECK FAILED'}")
            previous = size


if __name__ == "__main__":
    main()
