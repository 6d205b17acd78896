"""Time to derive every gradient: the structured route vs naive sympy.diff of the substituted loss.

Run: python benchmarks/derive_scaling.py [--limit SECONDS]
Each cell runs in a child process killed at the limit (60 s by default). Once naive differentiation
times out for some (z, n), larger z with the same n is reported as over the limit without running.
"""

from __future__ import annotations

import argparse
import math
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
    print("| n | z | structured (s) | naive sympy.diff (s) | naive / structured |")
    print("|---|---|---|---|---|")
    structured_times: dict[tuple[int, int], float] = {}
    for n in arguments.sizes:
        naive_over = structured_over = False
        for z in arguments.lengths:
            structured = None if structured_over else timed(_structured, z, n, arguments.limit)
            structured_over = structured is None
            if structured is not None:
                structured_times[(z, n)] = structured
            naive = None if naive_over else timed(_naive, z, n, arguments.limit)
            naive_over = naive is None
            show = lambda value: f"> {arguments.limit:.0f}" if value is None else f"{value:.3f}"
            ratio = (
                f"{naive / structured:.0f}×"
                if naive and structured
                else ("> " + f"{arguments.limit / structured:.0f}×" if structured else "")
            )
            print(f"| {n} | {z} | {show(structured)} | {show(naive)} | {ratio} |", flush=True)
    _print_growth(structured_times)


def _slope(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of log(time) against log(size)."""
    xs, ys = [math.log(a) for a, _ in points], [math.log(b) for _, b in points]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)


def _print_growth(times: dict[tuple[int, int], float]) -> None:
    # Growth exponents of the structured route over the larger cells (small ones are import noise).
    z_top = max(z for z, _ in times)
    n_top = max(n for _, n in times if (z_top, n) in times)
    along_z = [(z, t) for (z, n), t in times.items() if n == n_top and z >= 8]
    along_n = [(n, t) for (z, n), t in times.items() if z == z_top and n >= 4]
    if len(along_z) >= 2:
        print(f"structured time ~ z^{_slope(along_z):.2f} at n = {n_top} (z >= 8)")
    if len(along_n) >= 2:
        print(f"structured time ~ n^{_slope(along_n):.2f} at z = {z_top} (n >= 4)")


if __name__ == "__main__":
    main()
