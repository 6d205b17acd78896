"""Check hand-written BPTT formulas: one that holds, one with a classic slip (the sum stops at t-1).

Run: python examples/verify_formulas.py
"""

from __future__ import annotations

import symrnn

FORMULAS = {
    "dJ/dV as a sum over time": r"\frac{\partial J}{\partial V} = \sum_{t=1}^{z} (\hat{y}_t - y_t) s_t^T",
    "dJ_t/dW with k up to t-1": (
        r"\frac{\partial J_t}{\partial W} = \sum_{k=1}^{t-1} \frac{\partial J_t}"
        r"{\partial \hat{y}_t} \frac{\partial \hat{y}_t}{\partial s_t} "
        r"\frac{\partial s_t}{\partial s_k} \frac{\partial s_k}{\partial W}"
    ),
}


def main() -> None:
    for title, formula in FORMULAS.items():
        verdict = symrnn.verify(formula, z_max=2)
        print(f"{title}: {verdict.verdict}")
        if verdict.diagnosis:
            print(f"  diagnosis: {verdict.diagnosis}")


if __name__ == "__main__":
    main()
