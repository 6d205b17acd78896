"""Benchmark: time of a verdict on the notes' double-sum chain rule (Eq. (9)) and of the whole notes audit."""
from __future__ import annotations

import time

from symrnn.formula.notes import audit
from symrnn.formula.verify import verify

TARGET_SECONDS = 2.0
"""The target for one verdict on a double-sum chain-rule formula with z_max = 4."""
EQUATION_9 = (r"\frac{\partial J_t}{\partial \underline{w}} = \sum_{k=0}^t \frac{\partial J_t}{\partial \hat{y}_t} "
              r"\cdot \frac{\partial \hat{y}_t}{\partial s_t} \cdot \frac{\partial s_t}{\partial s_k} \cdot "
              r"\frac{\partial s_k}{\partial \underline{w}}")
DOUBLE_SUM = r"\frac{\partial J}{\partial \underline{W}} = \sum_{t=1}^{z} \sum_{k=0}^t " + EQUATION_9.split("^t ", 1)[1]
WRONG = EQUATION_9.replace(r"\sum_{k=0}^t", r"\sum_{k=0}^{t-1}")


def _time(label: str, function) -> float:
    start = time.perf_counter()
    result = function()
    seconds = time.perf_counter() - start
    print(f"{label:58s} {seconds:7.2f} s   {getattr(result, 'verdict', '')}")
    return seconds


def main() -> None:
    timings = [
        _time("Eq. (9), z_max = 4 (holds)", lambda: verify(EQUATION_9, z_max=4)),
        _time("sum_t sum_k chain for dJ/dW, z_max = 4 (holds)", lambda: verify(DOUBLE_SUM, z_max=4)),
        _time("Eq. (9) with k up to t-1, z_max = 4 (fails + diagnosis)", lambda: verify(WRONG, z_max=4)),
    ]
    total = _time("audit of the notes (every item)", audit)
    verdicts = max(timings[:2])
    print(f"slowest holding verdict {verdicts:.2f} s (target < {TARGET_SECONDS} s): "
          f"{'OK' if verdicts < TARGET_SECONDS else 'SLOW'}; audit {total:.1f} s")


if __name__ == "__main__":
    main()
