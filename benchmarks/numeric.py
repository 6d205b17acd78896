"""Benchmark of symrnn's compiled backends against the NumPy reference and PyTorch autograd (CPU, float64).

Run: ``python benchmarks/numeric.py`` (about 5 minutes on 2 cores). Correctness first: every method must
agree with the hand-written NumPy reference to 1e-10 on each case before anything is timed.
"""
from __future__ import annotations

import os
import statistics
import sys
import time
from typing import Callable

import numpy as np

import symrnn
from symrnn import RNNSpec
from symrnn.engine.fast import symengine_available
from symrnn.numeric.reference import loss_and_gradients, relative_error

AGREEMENT = 1e-10
BATCHES, LENGTHS, SIZES = (1, 1024), (4, 16, 64), (2, 8, 32)
LLVM_COMPILE_LIMIT = 1024  # z·n²: beyond this the unrolled LLVM program takes too long to compile (z=4, n=32: 26 s)
NUMPY_COMPILE_LIMIT = 256  # z·n²: SymPy's lambdify of the unrolled program (its CSE dominates)
SCAN_SIZE_LIMIT = 8  # n: the scan step is derived with SymPy (per-entry diff), slow to build for n = 32
TIME_BUDGET = 0.25  # seconds of calls per timing (at least MIN_CALLS calls)
MIN_CALLS = 5


def median_seconds(call: Callable[[], object]) -> float:
    """Median wall time of one call, over repeated calls filling TIME_BUDGET."""
    call()
    samples, started = [], time.perf_counter()
    while len(samples) < MIN_CALLS or time.perf_counter() - started < TIME_BUDGET:
        begin = time.perf_counter()
        call()
        samples.append(time.perf_counter() - begin)
        if len(samples) >= 2000:
            break
    return statistics.median(samples)


def matmul_peak() -> float:
    """Measured float64 matmul GFLOP/s of this machine (1024×1024, all BLAS threads)."""
    a = np.random.default_rng(0).normal(size=(1024, 1024))
    seconds = min(median_seconds(lambda: a @ a) for _ in range(3))
    return 2 * 1024**3 / seconds / 1e9


def flops(B: int, z: int, n: int, e: int, m: int) -> float:
    """Multiply-adds ×2 of BPTT: forward W x, U s, V s; backward Vᵀ g, Uᵀ r and the three outer products."""
    return 2.0 * B * z * (2 * n * e + 2 * n * n + 2 * m * n)


def torch_method(spec: RNNSpec) -> Callable | None:
    """PyTorch autograd with per-sequence gradients (parameters expanded over the batch), or None."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(os.cpu_count() or 1)

    def run(params: dict, xs: np.ndarray, ys: np.ndarray, s0: np.ndarray):
        B = xs.shape[0]
        leaves = {k: torch.from_numpy(np.array(np.broadcast_to(v, (B, *v.shape)))).requires_grad_()
                  for k, v in params.items()}
        x, y, s = torch.from_numpy(xs), torch.from_numpy(ys), torch.from_numpy(s0)
        W, U, V, b, c = (leaves[k] for k in ("W", "U", "V", "b", "c"))
        J = torch.zeros(B, dtype=torch.float64)
        for t in range(xs.shape[1]):
            s = torch.tanh(torch.bmm(W, x[:, t, :, None])[..., 0] + torch.bmm(U, s[..., None])[..., 0] + b)
            yhat = torch.bmm(V, s[..., None])[..., 0] + c
            J = J + 0.5 * ((yhat - y[:, t]) ** 2).sum(-1)
        J.sum().backward()
        return J.detach().numpy(), {k: v.grad.numpy() for k, v in leaves.items()}
    return run


def main() -> int:
    print(f"symrnn {symrnn.__version__}, numpy {np.__version__}, {os.cpu_count()} cores, "
          f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(unset)')}")
    peak = matmul_peak()
    print(f"measured float64 matmul peak: {peak:.1f} GFLOP/s\n")
    if not symengine_available():
        print("note: symengine is not installed (pip install symrnn[fast]): llvm rows are skipped")
    rng = np.random.default_rng(0)
    rows, compile_rows, failures = [], [], 0
    for z in LENGTHS:
        for n in SIZES:
            spec = RNNSpec(z=z, e=n, n=n, m=n)
            methods: dict[str, Callable | str] = {}
            size = z * n * n
            for backend, limit in (("numpy", NUMPY_COMPILE_LIMIT), ("llvm", LLVM_COMPILE_LIMIT),
                                   ("matrix", None), ("scan", None), ("auto", None)):
                if backend == "llvm" and not symengine_available():
                    methods[backend] = "not installed"
                    continue
                if backend == "scan" and n > SCAN_SIZE_LIMIT:
                    methods[backend] = f"not compiled (the SymPy step derivation is slow for n > {SCAN_SIZE_LIMIT})"
                    continue
                if limit is not None and size > limit:
                    methods[backend] = f"not compiled (z·n² = {size} > {limit})"
                    continue
                started = time.perf_counter()
                methods[backend] = symrnn.compile(spec, backend=backend)
                compile_rows.append((z, n, backend, time.perf_counter() - started))
            torch_run = torch_method(spec)
            for B in BATCHES:
                params = {"W": rng.normal(0, 0.4, (n, n)), "U": rng.normal(0, 0.3, (n, n)),
                          "V": rng.normal(0, 0.4, (n, n)), "b": rng.normal(0, 0.1, n), "c": rng.normal(0, 0.1, n)}
                xs, ys, s0 = rng.normal(size=(B, z, n)), rng.normal(size=(B, z, n)), np.zeros((B, n))
                if B == 1:  # the single-sequence call form (no batch axis), as a user would call it
                    xs, ys, s0 = xs[0], ys[0], s0[0]
                calls = {name: (lambda f=f: f(params, xs, ys, s0)) for name, f in methods.items() if callable(f)}
                calls["reference"] = lambda: loss_and_gradients(params, xs, ys, s0)
                if torch_run is not None:
                    batched = (xs, ys, s0) if B > 1 else (xs[None], ys[None], s0[None])
                    calls["pytorch"] = lambda: torch_run(params, *batched)
                J_ref, grads_ref = calls["reference"]()
                for name, call in calls.items():  # correctness first
                    J, grads = call()
                    J, grads = (J, grads) if B > 1 or name != "pytorch" else (J[0], {k: v[0] for k, v in grads.items()})
                    error = max([relative_error(J, J_ref)] + [relative_error(grads[k], grads_ref[k]) for k in grads_ref])
                    if error > AGREEMENT:
                        print(f"DISAGREES: {name} at B={B} z={z} n={n}: {error:.2e}")
                        failures += 1
                times = {name: median_seconds(call) for name, call in calls.items()}
                for name, reason in methods.items():
                    if isinstance(reason, str):
                        times[name] = reason
                rows.append((B, z, n, times))
                print(f"B={B:5d} z={z:3d} n={n:3d}: " + ", ".join(
                    f"{k} {v * 1e6:.0f}µs" if isinstance(v, float) else f"{k}: {v}" for k, v in times.items()), flush=True)
    print_tables(rows, compile_rows, peak)
    started = time.perf_counter()
    long_spec = RNNSpec(z=10_000, e=4, n=4, m=2)
    scan = symrnn.compile(long_spec, backend="scan")
    params = {"W": rng.normal(0, 0.4, (4, 4)), "U": rng.normal(0, 0.3, (4, 4)), "V": rng.normal(0, 0.4, (2, 4)),
              "b": rng.normal(0, 0.1, 4), "c": rng.normal(0, 0.1, 2)}
    xs, ys = rng.normal(size=(10_000, 4)), rng.normal(size=(10_000, 2))
    J, grads = scan(params, xs, ys)
    J_ref, grads_ref = loss_and_gradients(params, xs, ys)
    error = max([relative_error(J, J_ref)] + [relative_error(grads[k], grads_ref[k]) for k in grads_ref])
    print(f"\nscan, z = 10,000 (n = 4): compile + run {time.perf_counter() - started:.2f} s, "
          f"max relative error vs reference {error:.1e}")
    failures += error > AGREEMENT
    print("\nall methods agree to 1e-10" if not failures else f"\n{failures} disagreements")
    return 1 if failures else 0


def print_tables(rows: list, compile_rows: list, peak: float) -> None:
    print("\n| B | z | n | best symrnn | time µs | reference µs | PyTorch µs | vs reference | vs PyTorch | GFLOP/s (% peak) |"
          " numpy | llvm | matrix | scan | auto |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for B, z, n, times in rows:
        ours = {k: v for k, v in times.items() if k not in ("reference", "pytorch") and isinstance(v, float)}
        best = min(ours, key=ours.get)
        reference, torch_time = times["reference"], times.get("pytorch")
        rate = flops(B, z, n, n, n) / ours[best] / 1e9
        cells = [f"{times[k] * 1e6:.0f}" if isinstance(times.get(k), float) else "—"
                 for k in ("numpy", "llvm", "matrix", "scan", "auto")]
        torch_cells = (f"{torch_time * 1e6:.0f}", f"{torch_time / ours[best]:.1f}×") if torch_time else ("skipped", "—")
        print(f"| {B} | {z} | {n} | {best} | {ours[best] * 1e6:.1f} | {reference * 1e6:.0f} | {torch_cells[0]} | "
              f"{reference / ours[best]:.1f}× | {torch_cells[1]} | {rate:.2f} ({100 * rate / peak:.1f}%) | " + " | ".join(cells) + " |")
    print("\n— : not compiled (the unrolled symbolic program is too large to compile in reasonable time) or not installed."
          "\nPyTorch: torch autograd on CPU with per-sequence gradients (parameters expanded over the batch).")
    print("\ncompile times (s):")
    for z, n, backend, seconds in compile_rows:
        print(f"  z={z:3d} n={n:3d} {backend:7s} {seconds:7.2f}")


if __name__ == "__main__":
    sys.exit(main())
