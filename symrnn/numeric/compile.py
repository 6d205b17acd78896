"""``symrnn.compile``: one entry point over every backend, with the compile cost checked before any work."""

from __future__ import annotations

from collections.abc import Callable

from ..spec import RNNSpec
from .auto import compile_auto
from .base import BACKENDS, REDUCTIONS, CompiledRNN, refuse_slow_compile
from .llvm import compile_llvm
from .loop import compile_loop
from .matrix import compile_matrix_backend
from .scan import compile_scan
from .unrolled import compile_unrolled

__all__ = ["BACKENDS", "CompiledRNN", "compile_spec"]

BUILDERS: dict[str, Callable[..., CompiledRNN]] = {
    "numpy": compile_unrolled,
    "llvm": compile_llvm,
    "matrix": compile_matrix_backend,
    "scan": compile_scan,
    "auto": compile_auto,
    "loop": compile_loop,
}


def compile_spec(
    spec: RNNSpec, *, backend: str = "auto", reduce: str = "none", allow_slow: bool = False
) -> CompiledRNN:
    """Compile the loss and every gradient of ``spec`` into one batched function.

    Args:
        spec: the model.
        backend: ``"auto"`` (LLVM straight-line code for small programs and batches when SymEngine is
            installed, the matrix backend otherwise), ``"matrix"`` (the engine's matrix program as
            matmuls over the batch; any z), ``"scan"`` (one step and its VJP compiled, looped; any z),
            ``"numpy"`` (the lambdified unrolled program), ``"llvm"`` (the same as machine code
            through SymEngine: ``pip install symrnn[fast]``) or ``"loop"`` (the forward and backward
            time loops compiled by Numba; kernels cached on disk; any z).
        reduce: ``"none"``: per-sequence results for a batch; ``"sum"`` or ``"mean"`` over the batch.
        allow_slow: compile an unrolled backend even when that is estimated to take over two seconds.

    Returns:
        A :class:`CompiledRNN`; call it as ``J, grads = fn(params, xs, ys, s0=None)``.

    Raises:
        SymRNNError: the chosen backend's optional dependency is missing, or (without ``allow_slow``)
            its compile would take too long: the message names the size and the fast backends.
    """
    if not isinstance(spec, RNNSpec):
        raise TypeError(f"compile expects an RNNSpec, got {type(spec).__name__}")
    if not isinstance(backend, str) or backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    if not isinstance(reduce, str) or reduce not in REDUCTIONS:
        raise ValueError(f"unknown reduce {reduce!r}; choose one of {', '.join(REDUCTIONS)}")
    if spec.truncation is not None and spec.truncation < spec.z:
        # Truncated BPTT is compiled from its (t, k) terms: only the unrolled NumPy form exists.
        if backend not in ("auto", "numpy") or reduce != "none":
            raise ValueError(
                f"a truncated spec (truncation={spec.truncation} < z={spec.z}) compiles with "
                "backend 'numpy' or 'auto' and reduce 'none' only"
            )
        from ..truncation import compile_truncated

        return compile_truncated(spec)
    if backend in ("numpy", "llvm") and not allow_slow:
        refuse_slow_compile(spec, backend)
    return BUILDERS[backend](spec, reduce=reduce)
