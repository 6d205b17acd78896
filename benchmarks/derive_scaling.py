"""Time to derive every gradient: the structured route vs naive sympy.diff of the substituted loss.

Run: python benchmarks/derive_scaling.py [--limit SECONDS]
Each cell runs in a child process killed at the limit (60 s by default). Once naive differentiation
times out for some (z, n), larger z with the same n is reported as over the limit without running.
"""
from __future__ import annotations

import argparse
import multiprocessing as mp
import time

import sympy

LENGTHS = (1, 2, 4, 8, 16, 32, 64)
SIZES = (1, 2, 4, 8, 16)


def _structured(z: int, n: int, queue: mp.Queue) -> None:
    import symrnn

    start = time.perf_counter()
    gradients = symrnn.gradients(symrnn.RNNSpec(z=z, e=n, n=n, m=n))
    assert set(gradients) == {"W", "U", "V", "b", "c"}
    queue.put(time.perf_counter() - start)


def _naive(z: int, n: int, queue: mp.Queue) -> None:
    import symrnn
    from symrnn.unroll import unroll

    start = time.perf_counter()
    graph = unroll(symrnn.RNNSpec(z=z, e=n, n=n, m=n))
    J = graph.substituted(graph.J)
    for matrix in graph.parameters.values():
        for parameter in matrix:
            sympy.diff(J, parameter)
    queue.put(time.perf_counter() - start)


def timed(target, z: int, n: int, limit: float) -> float | None:
    """Seconds taken by ``target(z, n)`` in a child process, or None past ``limit``."""
    queue: mp.Queue = mp.Queue()
    process = mp.Process(target=target, args=(z, n, queue))
    process.start()
    process.join(limit)
    if process.is_alive():
        process.kill()
        process.join()
        return None
    return queue.get() if not queue.empty() else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=float, default=60.0, help="seconds before a cell is stopped")
    parser.add_argument("--sizes", type=int, nargs="*", default=list(SIZES))
    parser.add_argument("--lengths", type=int, nargs="*", default=list(LENGTHS))
    arguments = parser.parse_args()
    print(f"| n | z | structured (s) | naive sympy.diff (s) | naive / structured |")
    print("|---|---|---|---|---|")
    for n in arguments.sizes:
        naive_over = structured_over = False
        for z in arguments.lengths:
            structured = None if structured_over else timed(_structured, z, n, arguments.limit)
            structured_over = structured is None
            naive = None if naive_over else timed(_naive, z, n, arguments.limit)
            naive_over = naive is None
            show = lambda value: f"> {arguments.limit:.0f}" if value is None else f"{value:.3f}"
            ratio = f"{naive / structured:.0f}×" if naive and structured else ("> " + f"{arguments.limit / structured:.0f}×" if structured else "")
            print(f"| {n} | {z} | {show(structured)} | {show(naive)} | {ratio} |", flush=True)


if __name__ == "__main__":
    main()
