"""Benchmark: median verdict time in-process and through the CLI (interpreter start included), and the audit."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time

from symrnn.formula.notes import audit
from symrnn.formula.verify import verify

IN_PROCESS_TARGET = 0.2
"""Issue 12: median in-process verdict time (seconds) on a quiet machine."""
CLI_TARGET = 1.0
"""Issue 12: median `symrnn verify` time with interpreter start (seconds) on a quiet machine."""
REPEATS = 5
EQUATION_9 = (
    r"\frac{\partial J_t}{\partial \underline{w}} = \sum_{k=0}^t \frac{\partial J_t}{\partial \hat{y}_t} "
    r"\cdot \frac{\partial \hat{y}_t}{\partial s_t} \cdot \frac{\partial s_t}{\partial s_k} \cdot "
    r"\frac{\partial s_k}{\partial \underline{w}}"
)
FORMULAS = {
    "dJ/dV closed form (holds)": r"\frac{\partial J}{\partial V} = \sum_{t=1}^{z} (\hat{y}_t - y_t) s_t^T",
    "Eq. (17) product of Jacobians (holds)": r"\frac{\partial s_t}{\partial s_k} = \prod_{m=k+1}^t "
    r"\frac{\partial s_m}{\partial s_{m-1}}",
    "delta recurrence (holds)": r"\nabla_{s_t} J = V^T (\hat{y}_t - y_t) + U^T \operatorname{diag}(1 - s_{t+1}^2) "
    r"\nabla_{s_{t+1}} J",
    "Eq. (9), z_max = 4 (holds)": EQUATION_9,
    "Eq. (9), k up to t-1 (fails + diagnosis)": EQUATION_9.replace(r"\sum_{k=0}^t", r"\sum_{k=0}^{t-1}"),
    "log of a negative number (undecided)": r"\log(s_t - 5) = \log(s_t - 5) + 1",
}


def _seconds(function) -> tuple[float, object]:
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def main() -> None:
    print(f"{'formula':44s} {'median s':>9s}  verdict")
    medians = []
    for label, formula in FORMULAS.items():
        runs = [_seconds(lambda formula=formula: verify(formula, z_max=4)) for _ in range(REPEATS)]
        median = statistics.median(seconds for seconds, _ in runs)
        medians.append(median)
        print(f"{label:44s} {median:9.3f}  {runs[0][1].verdict}")
    in_process = statistics.median(medians)
    environment = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    command = [sys.executable, "-m", "symrnn", "verify", FORMULAS["dJ/dV closed form (holds)"]]
    cli = statistics.median(
        _seconds(lambda: subprocess.run(command, capture_output=True, env=environment, check=False))[0]
        for _ in range(REPEATS)
    )
    audit_seconds, _ = _seconds(audit)
    print(
        f"median in-process verdict {in_process:.3f} s (target <= {IN_PROCESS_TARGET} s): "
        f"{'OK' if in_process <= IN_PROCESS_TARGET else 'SLOW'}"
    )
    print(
        f"median CLI verdict with interpreter start {cli:.3f} s (target <= {CLI_TARGET} s): "
        f"{'OK' if cli <= CLI_TARGET else 'SLOW'}"
    )
    print(f"audit of the notes (every item) {audit_seconds:.1f} s")


if __name__ == "__main__":
    main()
