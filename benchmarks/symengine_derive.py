"""Time to derive every gradient with SymEngine (symrnn.engine.fast) against SymPy's structured route."""

from __future__ import annotations

import sys
import time

from symrnn import RNNSpec
from symrnn.engine.fast import backward_fast, symengine_available
from symrnn.engine.structured import backward
from symrnn.unroll import unroll

CASES = ((16, 8), (64, 8), (128, 16))
SYMPY_LIMIT = 64 * 8 * 8  # z·n²: the SymPy structured route is timed up to this size
TARGET_SECONDS = 10.0  # issue 5: every gradient for z = 128, n = 16 in under 10 s with SymEngine


def main() -> int:
    if not symengine_available():
        print("symengine is not installed: pip install symrnn[fast]")
        return 1
    print("| z | n | SymEngine derive s | SymEngine + nested (leaf-only DAG) s | SymPy structured s |")
    print("|---|---|---|---|---|")
    worst = 0.0
    for z, n in CASES:
        spec = RNNSpec(z=z, e=n, n=n, m=n)
        started = time.perf_counter()
        gradients = backward_fast(spec)
        derive = time.perf_counter() - started
        gradients.nested()
        nested = time.perf_counter() - started
        if z * n * n <= SYMPY_LIMIT:
            started = time.perf_counter()
            backward(unroll(spec))
            sympy_time = f"{time.perf_counter() - started:.2f}"
        else:
            sympy_time = "not run"
        if (z, n) == (128, 16):
            worst = derive
        print(f"| {z} | {n} | {derive:.2f} | {nested:.2f} | {sympy_time} |", flush=True)
    print(
        f"\ntarget: z = 128, n = 16 derived in {worst:.2f} s (< {TARGET_SECONDS} s: {'met' if worst < TARGET_SECONDS else 'missed'})"
    )
    return 0 if worst < TARGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
