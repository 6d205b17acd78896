"""The ``auto`` backend: straight-line LLVM code for small programs and batches, matrix code otherwise."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..engine.fast import symengine_available
from ..spec import RNNSpec
from .base import CompiledRNN, estimated_compile_seconds
from .llvm import compile_llvm
from .matrix import compile_matrix_backend
from .scan import compile_scan

# auto compiles LLVM straight-line code only while that takes about a second at most ...
LLVM_AUTO_SECONDS = 1.0
# ... and uses it up to this many sequences per call, where it beats matmuls over the batch.
LLVM_AUTO_BATCH = 16


@dataclass(frozen=True, eq=False, repr=False)
class AutoCompiled(CompiledRNN):
    """Per call: straight-line code for small batches, matrix-level code for large ones."""

    small: CompiledRNN | None = None
    large: CompiledRNN | None = None

    def evaluate(self, params: Mapping[str, Any], xs: Any, ys: Any, s0: Any = None) -> tuple[Any, dict, bool]:
        if self.small is not None and (np.ndim(xs) == 2 or len(xs) <= LLVM_AUTO_BATCH):
            return self.small.evaluate(params, xs, ys, s0)
        return self.large.evaluate(params, xs, ys, s0)


def compile_auto(spec: RNNSpec, *, reduce: str = "none") -> AutoCompiled:
    """``auto``: for small batches LLVM straight-line code when it compiles quickly, else the scan backend
    (one step compiled) when that does; the matrix backend for large batches and everything else.

    Measured (benchmarks/cells.py): at B = 1 the matrix backend pays NumPy's per-call overhead at every
    step, so LLVM code (12–25 µs) or the compiled step (100–350 µs) beat it (300–1,700 µs).
    """
    large = compile_matrix_backend(spec)
    small, chosen = None, "matrix"
    if symengine_available():
        if estimated_compile_seconds(spec, "llvm") <= LLVM_AUTO_SECONDS:
            small, chosen = compile_llvm(spec), "llvm+matrix"
        elif estimated_compile_seconds(spec.replace(z=1), "llvm") <= LLVM_AUTO_SECONDS:
            small, chosen = compile_scan(spec), "scan+matrix"
    return AutoCompiled(spec, large.function, large.source, f"auto ({chosen})", reduce, small, large)
