"""``auto``'s measured cost model: which backend is fastest for a spec and batch on this machine.

The model is the table of median call times that ``benchmarks/numeric.py --store`` measures on the grid
n × z × B (vanilla cell, loss + gradients summed over the batch), interpolated linearly in
(log n, log z, log B): for a query the predicted time of each backend is interpolated from the measured
cells around it (clamped at the grid's edges), and the backend with the least prediction wins.

Lookup order: ``<cache dir>/costmodel-<machine>.json`` (written by the benchmark on this machine: a
per-machine calibration) then the copy shipped with the package (measured on the development machine).
Compile times measured in the same run give :func:`estimate_compile_seconds`.
"""

from __future__ import annotations

import json
import math
import os
import platform
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..spec import RNNSpec

SHIPPED = Path(__file__).with_name("costmodel.json")
# Backends the model may choose (llvm only where its unrolled program compiles quickly).
CHOICES = ("loop-scalar", "loop-matrix", "matrix", "llvm")
LLVM_MAX_SIZE = 1024  # z·n²: beyond it the unrolled LLVM program takes seconds to minutes to compile
SCALAR_MAX_N = 4  # = loop.SCALAR_MAX_N: the scalar kernels compile slowly beyond it


def machine_key() -> str:
    """CPU model and core count: a calibration is valid on the machine that measured it."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    text = f"{cpu}-{os.cpu_count()}"
    return "".join(ch if ch.isalnum() else "_" for ch in text)[:80]


def calibration_path() -> Path:
    from .cache import cache_directory

    return cache_directory().parent / f"costmodel-{machine_key()}.json"


def store(model: dict[str, Any], *, shipped: bool = False) -> Path:
    """Write a model (``{"cells": [[n, z, B, {backend: seconds}]...], "compile": {...}}``)."""
    path = SHIPPED if shipped else calibration_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(model, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    load.cache_clear()
    return path


@lru_cache(maxsize=1)
def load() -> dict[str, Any] | None:
    """The per-machine calibration, else the shipped model, else None (a corrupted file is ignored)."""
    for path in (calibration_path(), SHIPPED):
        try:
            model = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(model, dict) and isinstance(model.get("cells"), list) and model["cells"]:
            return model
    return None


def _axis(values: list[float], query: float) -> list[tuple[float, float]]:
    """``[(grid value, weight)]`` for linear interpolation in log space, clamped to the grid."""
    grid = sorted(set(values))
    q = math.log(query)
    logs = [math.log(v) for v in grid]
    if q <= logs[0]:
        return [(grid[0], 1.0)]
    if q >= logs[-1]:
        return [(grid[-1], 1.0)]
    for low, high, log_low, log_high in zip(grid, grid[1:], logs, logs[1:]):
        if log_low <= q <= log_high:
            w = (q - log_low) / (log_high - log_low)
            return [(low, 1.0 - w), (high, w)]
    raise AssertionError("unreachable")


def predict(model: dict[str, Any], n: int, z: int, batch: int) -> dict[str, float]:
    """Predicted seconds per call of every backend measured at all the cells around (n, z, batch)."""
    table = {(cell[0], cell[1], cell[2]): cell[3] for cell in model["cells"]}
    ns, zs, bs = ([key[i] for key in table] for i in range(3))
    predictions: dict[str, float] = {}
    for backend in CHOICES:
        total, complete = 0.0, True
        for n_grid, wn in _axis(ns, n):
            for z_grid, wz in _axis(zs, z):
                for b_grid, wb in _axis(bs, batch):
                    seconds = table.get((n_grid, z_grid, b_grid), {}).get(backend)
                    if seconds is None:
                        complete = False
                        break
                    total += wn * wz * wb * math.log(seconds)
        if complete:
            predictions[backend] = math.exp(total)
    return predictions


def allowed(spec: RNNSpec) -> list[str]:
    """The backends that can serve ``spec`` at a reasonable compile cost."""
    choices = []
    if spec.n <= SCALAR_MAX_N or getattr(spec, "cell", "rnn") != "rnn":
        choices.append("loop-scalar")
    if getattr(spec, "cell", "rnn") == "rnn":
        choices += ["loop-matrix", "matrix"]
        if spec.z * spec.n**2 <= LLVM_MAX_SIZE:
            choices.append("llvm")
    return choices


def fallback(spec: RNNSpec, batch: int) -> str:
    """Without a measured model: the compiled time loop (matrix-level for the vanilla cell)."""
    return "loop-matrix" if getattr(spec, "cell", "rnn") == "rnn" else "loop-scalar"


def choose_backend(spec: RNNSpec, batch: int) -> str:
    """The backend predicted fastest for ``spec`` at ``batch`` sequences per call on this machine.

    Returns one of :data:`CHOICES`: ``"loop-scalar"`` / ``"loop-matrix"`` mean
    ``symrnn.numeric.loop.compile_loop(spec, generator="scalar" | "matrix")``.
    """
    batch = max(int(batch), 1)
    candidates = allowed(spec)
    model = load()
    if model is None:
        return fallback(spec, batch)
    predictions = {k: v for k, v in predict(model, spec.n, spec.z, batch).items() if k in candidates}
    if not predictions:
        return fallback(spec, batch)
    return min(predictions, key=predictions.get)


def build(spec: RNNSpec, choice: str, *, reduce: str = "none"):
    """The compiled function for a :func:`choose_backend` answer (``reduce`` applies to the loop only)."""
    if choice.startswith("loop-"):
        from .loop import compile_loop

        return compile_loop(spec, generator=choice.removeprefix("loop-"), reduce=reduce)
    from .compile import compile_spec

    return compile_spec(spec, backend=choice)


def estimate_compile_seconds(spec: RNNSpec, backend: str) -> float:
    """Up-front estimate of the time to build ``backend`` for ``spec`` (from the measured compile table;
    a kernel already in the disk cache costs only its load). Unknown: ``inf``."""
    if backend.startswith("loop-"):
        from .cache import lookup_source
        from .loop import _spec_key

        try:
            if lookup_source(_spec_key(spec, backend.removeprefix("loop-"))) is not None:
                return (load() or {}).get("compile", {}).get("loop-hit", 0.2)
        except ImportError:
            return math.inf
    model = load() or {}
    measured = model.get("compile", {}).get(backend)
    if not measured:
        return math.inf
    points = [(row[0], row[1], row[2]) for row in measured]  # (n, z, seconds)
    best = min(points, key=lambda p: abs(math.log(p[0] / spec.n)) + abs(math.log(p[1] / spec.z)))
    return float(best[2])
