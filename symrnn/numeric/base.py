"""What every compiled backend shares: the callable's base class, output layout, overflow errors, compile-cost estimates."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import SymRNNError
from ..spec import RNNSpec

BACKENDS = ("numpy", "llvm", "matrix", "scan", "auto", "loop")
REDUCTIONS = ("none", "sum", "mean")

# Compile cost of the unrolled straight-line backends, measured on 2 cores (benchmarks/numeric.py):
# seconds per scalar multiply-add of the program (parameters' entries times time steps).
COMPILE_SECONDS_PER_TERM = {"numpy": 1.2e-3, "llvm": 0.7e-3}
# A compile expected to take longer than this is refused (or routed by auto), never run silently.
COMPILE_SECONDS_LIMIT = 2.0


def program_terms(spec: RNNSpec) -> int:
    """Scalar multiply-adds of the unrolled program: every parameter entry once per time step."""
    per_step = sum(int(np.prod(spec.shapes[name])) for name in spec.parameter_names if name != "s0")
    return spec.z * max(per_step, 1)


def estimated_compile_seconds(spec: RNNSpec, backend: str) -> float:
    """Estimated compile time of a backend for ``spec`` (matrix and scan compile one step: about 0.1 s)."""
    return program_terms(spec) * COMPILE_SECONDS_PER_TERM.get(backend, 0.0)


def refuse_slow_compile(spec: RNNSpec, backend: str) -> None:
    """Raise a SymRNNError naming the size and the fast alternative when a compile would take too long."""
    seconds = estimated_compile_seconds(spec, backend)
    if seconds > COMPILE_SECONDS_LIMIT:
        raise SymRNNError(
            f"compiling the unrolled program with backend {backend!r} for z={spec.z}, n={spec.n} would take "
            f"about {seconds:.0f} s ({program_terms(spec):,} scalar terms; limit {COMPILE_SECONDS_LIMIT:.0f} s); "
            "use backend 'matrix' or 'scan' (they compile one step, for any z), 'auto', or pass allow_slow=True"
        )


def overflow_error(detail: str) -> ValueError:
    """The one error every backend raises when float64 evaluation overflows."""
    return ValueError(
        f"floating-point overflow while evaluating the compiled RNN ({detail}); "
        "scale the inputs or parameters down"
    )


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
    """Split flat outputs ``(K,)`` or ``(B, K)`` into ``(J, {name: gradient})`` (the documented shapes)."""
    if not (math.isfinite(out.sum()) or np.isfinite(out).all()):
        raise overflow_error("a non-finite result")
    if not batched:
        row = out if out.ndim == 1 else out[0]
        return float(row[0]), {name: row[start:stop].reshape(shape) for name, start, stop, shape in layout}
    out = out.reshape(1, -1) if out.ndim == 1 else out
    B = out.shape[0]
    return out[:, 0].copy(), {
        name: out[:, start:stop].reshape((B, *shape)) for name, start, stop, shape in layout
    }


def reduced(
    J: Any, grads: dict[str, np.ndarray], reduce: str, batched: bool
) -> tuple[Any, dict[str, np.ndarray]]:
    """Per-sequence results summed (``"sum"``) or averaged (``"mean"``) over the batch; ``"none"`` keeps them."""
    if reduce == "none" or not batched:
        return J, grads
    scale = 1.0 / len(J) if reduce == "mean" else 1.0
    return float(np.sum(J) * scale), {name: value.sum(axis=0) * scale for name, value in grads.items()}


@dataclass(frozen=True, eq=False, repr=False)
class CompiledRNN:
    """``J, grads = fn(params, xs, ys, s0=None)`` for one spec, one backend (shapes and batch rule of the README).

    Attributes:
        spec: the model.
        function: the compiled program.
        source: its generated Python source, where there is one.
        backend: the backend's name.
        reduce: ``"none"`` (per-sequence results for a batch), ``"sum"`` or ``"mean"`` over the batch.
    """

    spec: RNNSpec
    function: Callable
    source: str
    backend: str = "numpy"
    reduce: str = "none"

    def __repr__(self) -> str:
        from ..display import compiled_repr

        return compiled_repr(self)

    def _repr_markdown_(self) -> str:
        from ..display import compiled_markdown

        return compiled_markdown(self)

    def __call__(
        self, params: Mapping[str, Any], xs: Any, ys: Any, s0: Any = None
    ) -> tuple[Any, dict[str, np.ndarray]]:
        J, grads, batched = self.evaluate(params, xs, ys, s0)
        return reduced(J, grads, self.reduce, batched)

    def evaluate(self, params: Mapping[str, Any], xs: Any, ys: Any, s0: Any = None) -> tuple[Any, dict, bool]:
        """Per-sequence ``(J, grads, batched)``; each backend implements it."""
        raise NotImplementedError
