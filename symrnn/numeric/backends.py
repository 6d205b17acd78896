"""Compiled backends: SymEngine LLVM straight-line code, matrix-level NumPy, and auto by size."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import numpy as np

from ..engine.fast import backward_fast, require_symengine, symengine_available
from ..spec import RNNSpec
from .arrays import argument_layout, flat_arguments, validate_call
from .compile import CompiledRNN, overflow_error
from .matrix import compile_matrix

# auto: LLVM straight-line code while it compiles in about a second (z·n² scalar entries) ...
LLVM_AUTO_SIZE = 1024
# ... and is faster than matmuls over the batch up to this many sequences per call (benchmarks/numeric.py).
LLVM_AUTO_BATCH = 16


def output_layout(spec: RNNSpec) -> list[tuple[str, int, int, tuple[int, ...]]]:
    """``(name, start, stop, shape)`` of each gradient in the flat output ``[J, ∂J/∂P entries...]``."""
    layout, position = [], 1
    for name in spec.parameter_names:
        shape = spec.shapes[name]
        size = int(np.prod(shape))
        layout.append((name, position, position + size, shape))
        position += size
    return layout


def unpack(spec: RNNSpec, layout: list, out: np.ndarray, batched: bool) -> tuple[Any, dict[str, np.ndarray]]:
    """Split flat outputs ``(K,)`` or ``(B, K)`` into ``(J, {name: gradient})``, each shaped like its parameter."""
    if not (math.isfinite(out.sum()) or np.isfinite(out).all()):
        raise overflow_error("a non-finite result")
    if not batched:
        row = out if out.ndim == 1 else out[0]
        return float(row[0]), {name: row[start:stop].reshape(shape) for name, start, stop, shape in layout}
    out = out.reshape(1, -1) if out.ndim == 1 else out
    B = out.shape[0]
    return out[:, 0].copy(), {name: out[:, start:stop].reshape((B, *shape)) for name, start, stop, shape in layout}


@dataclass(frozen=True, eq=False)
class LLVMCompiled(CompiledRNN):
    """The unrolled straight-line program compiled to machine code by SymEngine's LLVM ``Lambdify``."""

    layout: list = field(default_factory=list)
    arguments: tuple = ()

    def __call__(self, params: Mapping[str, Any], xs: Any, ys: Any, s0: Any = None) -> tuple[Any, dict[str, np.ndarray]]:
        rows, batched = flat_arguments(self.spec, params, xs, ys, s0, self.arguments)
        if rows.shape[0] == 1:
            out = np.empty(self.layout[-1][2])
            self.function.unsafe_real(rows[0], out)  # shapes and dtype were checked just above
        else:
            out = self.function(rows)
        return unpack(self.spec, self.layout, out, batched)


def compile_llvm(spec: RNNSpec) -> LLVMCompiled:
    """Derive with SymEngine and compile the whole program with LLVM (``cse=True``).

    Raises:
        SymRNNError: symengine is not installed (the message says ``pip install symrnn[fast]``).
    """
    se = require_symengine()
    gradients = backward_fast(spec, numeric=True)
    J, entries = gradients.nested()
    function = se.Lambdify(list(gradients.inputs), [J, *entries], backend="llvm", cse=True)
    return LLVMCompiled(spec, function, "", "llvm", output_layout(spec), argument_layout(spec))


@dataclass(frozen=True, eq=False)
class MatrixCompiled(CompiledRNN):
    """Matrix-level NumPy code (matmuls over the batch, the δ recurrence, outer products)."""

    def __call__(self, params: Mapping[str, Any], xs: Any, ys: Any, s0: Any = None) -> tuple[Any, dict[str, np.ndarray]]:
        arrays, xs_b, ys_b, s0_b, batched = validate_call(self.spec, params, xs, ys, s0)
        with np.errstate(over="raise", invalid="raise"):
            try:
                J, grads = self.function(*arrays.values(), xs_b, ys_b, s0_b)
            except FloatingPointError as error:
                raise overflow_error(str(error)) from None
        if not batched:
            return float(J[0]), {name: value[0] for name, value in grads.items()}
        return J, grads


def compile_matrix_backend(spec: RNNSpec) -> MatrixCompiled:
    """The matrix-level backend of ``spec`` (see :mod:`symrnn.numeric.matrix`)."""
    function, source = compile_matrix(spec)
    return MatrixCompiled(spec, function, source, "matrix")


@dataclass(frozen=True, eq=False)
class AutoCompiled(CompiledRNN):
    """Per call: straight-line code for small batches, matrix-level code for large ones."""

    small: Callable | None = None
    large: Callable | None = None

    def __call__(self, params: Mapping[str, Any], xs: Any, ys: Any, s0: Any = None) -> tuple[Any, dict[str, np.ndarray]]:
        if self.small is not None and (np.ndim(xs) == 2 or len(xs) <= LLVM_AUTO_BATCH):
            return self.small(params, xs, ys, s0)
        return self.large(params, xs, ys, s0)


def compile_auto(spec: RNNSpec) -> AutoCompiled:
    """``auto``: LLVM (when installed and the unrolled program is small) for small batches, else matrix."""
    large = compile_matrix_backend(spec)
    small = compile_llvm(spec) if symengine_available() and spec.z * spec.n**2 <= LLVM_AUTO_SIZE else None
    chosen = "llvm+matrix" if small is not None else "matrix"
    return AutoCompiled(spec, large.function, large.source, f"auto ({chosen})", small, large)
