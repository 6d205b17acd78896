"""Why RNNs are hard to train, measured: ‖∂s_t/∂s_k‖ against t − k, the Pascanu bound, truncation error.

Run: ``python examples/gradient_flow.py [OUTPUT_DIRECTORY]`` (about 30 seconds). Writes gradflow.png,
gradflow.pdf and gradflow.csv and prints the median norms at t − k = 1, 10, 20, 50.
"""

from __future__ import annotations

import os
import sys

import symrnn


def main(directory: str = ".") -> None:
    stem = os.path.join(directory, "gradflow")
    report = symrnn.gradflow(
        n=8,
        lag=60,
        samples=32,
        truncation=True,
        output=[stem + ".png", stem + ".pdf"],
        csv_path=stem + ".csv",
    )
    print(report.table())


if __name__ == "__main__":
    main(*sys.argv[1:2])
