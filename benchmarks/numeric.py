"""symrnn's compiled backends against JAX, torch.compile and PyTorch eager (CPU, float64), in one run.

Run: ``python benchmarks/numeric.py`` (the grid n ∈ {2, 8, 32, 128} × z ∈ {4, 16, 64, 256} × B ∈
{1, 64, 1024}) or ``--quick`` (a subset). ``--store`` also writes the measured times as ``auto``'s cost
model for this machine (symrnn/numeric/costmodel.py); ``--ship`` writes the package's default copy.

Every method computes the loss and every gradient summed over the batch (the call a training loop makes):
symrnn ``loop`` with ``reduce="sum"``, the other symrnn backends per-sequence then summed, JAX
``jax.jit(jax.value_and_grad(loss))`` over ``lax.scan``, PyTorch eager and ``torch.compile`` with the
ordinary ``J.sum().backward()``. Per-sequence gradients (B separate gradients) are timed in their own
table against ``jax.vmap`` and ``torch.func.vmap(grad)``. Correctness first: every method must agree
with the NumPy oracle (symrnn.numeric.reference) to 1e-10 before it is timed.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable

import numpy as np

import symrnn
from symrnn import RNNSpec
from symrnn.numeric import costmodel
from symrnn.numeric.loop import compile_loop
from symrnn.numeric.reference import loss_and_gradients, relative_error

AGREEMENT = 1e-10
GRID = {"n": (2, 8, 32, 128), "z": (4, 16, 64, 256), "B": (1, 64, 1024)}
QUICK = {"n": (2, 32), "z": (16, 64), "B": (1, 1024)}
PER_SEQUENCE_CELLS = [(2, 64), (8, 64), (32, 16), (128, 4)]  # (n, z), at B = 64 and 1024
TIME_BUDGET = 0.2  # seconds of calls per timing ...
SLOW_CALL = 0.5  # ... but a method slower than this per call is timed 3 times only
TORCH_COMPILE_MAX_Z = 64  # torch.compile unrolls the Python time loop: its compile time grows with z
LLVM_MAX_SIZE = costmodel.LLVM_MAX_SIZE


def median_seconds(call: Callable[[], object]) -> float:
    first = time.perf_counter()
    call()
    if time.perf_counter() - first > SLOW_CALL:
        return statistics.median([_timed(call) for _ in range(3)])
    samples, started = [], time.perf_counter()
    while len(samples) < 5 or time.perf_counter() - started < TIME_BUDGET:
        samples.append(_timed(call))
        if len(samples) >= 1000:
            break
    return statistics.median(samples)


def _timed(call: Callable[[], object]) -> float:
    begin = time.perf_counter()
    call()
    return time.perf_counter() - begin


def matmul_peak() -> float:
    a = np.random.default_rng(0).normal(size=(1024, 1024))
    seconds = min(median_seconds(lambda: a @ a) for _ in range(3))
    return 2 * 1024**3 / seconds / 1e9


def flops(B: int, z: int, n: int) -> float:
    """Multiply-adds ×2 of BPTT with e = m = n: forward W x, U s, V s; backward Vᵀ g, Uᵀ r, three outer products."""
    return 2.0 * B * z * 8 * n * n


# ------------------------------------------------------------------------------------------------- peers
def jax_methods() -> dict[str, Callable] | None:
    try:
        import jax
        import jax.numpy as jnp
    except ImportError:
        return None
    jax.config.update("jax_enable_x64", True)

    def sequence_loss(params, xs, ys, s0):  # xs (z, e) or (z, B, e): the same code, batched by matmul
        W, U, V, b, c = params

        def step(s, xy):
            x, y = xy
            s = jnp.tanh(x @ W.T + s @ U.T + b)
            return s, 0.5 * jnp.sum((s @ V.T + c - y) ** 2)

        _, losses = jax.lax.scan(step, s0, (xs, ys))
        return losses.sum()

    summed = jax.jit(jax.value_and_grad(sequence_loss))
    per_sequence = jax.jit(jax.vmap(jax.value_and_grad(sequence_loss), in_axes=(None, 0, 0, 0)))

    def run_summed(params, xs, ys, s0):
        J, grads = summed(params, jnp.asarray(xs.transpose(1, 0, 2)), jnp.asarray(ys.transpose(1, 0, 2)), s0)
        return float(J), [np.asarray(g) for g in grads]

    def run_per_sequence(params, xs, ys, s0):
        J, grads = per_sequence(params, xs, ys, s0)
        return np.asarray(J), [np.asarray(g) for g in grads]

    return {"jax": run_summed, "jax.vmap": run_per_sequence}


def torch_methods() -> dict[str, Callable] | None:
    try:
        import torch
        import torch._dynamo
    except ImportError:
        return None
    torch.set_num_threads(os.cpu_count() or 1)
    torch._dynamo.config.cache_size_limit = 256
    torch._dynamo.config.automatic_dynamic_shapes = False

    def batch_loss(W, U, V, b, c, xs, ys, s0):  # xs (B, z, e)
        s, J = s0, 0.0
        for t in range(xs.shape[1]):
            s = torch.tanh(xs[:, t] @ W.T + s @ U.T + b)
            J = J + 0.5 * ((s @ V.T + c - ys[:, t]) ** 2).sum()
        return J

    compiled = torch.compile(batch_loss)

    def make(loss):
        def run(params, xs, ys, s0):
            leaves = [torch.from_numpy(p).requires_grad_() for p in params]
            J = loss(*leaves, torch.from_numpy(xs), torch.from_numpy(ys), torch.from_numpy(s0))
            J.backward()
            return float(J.detach()), [p.grad.numpy() for p in leaves]

        return run

    def sequence_loss(W, U, V, b, c, xs, ys, s0):  # xs (z, e)
        s, J = s0, 0.0
        for t in range(xs.shape[0]):
            s = torch.tanh(W @ xs[t] + U @ s + b)
            J = J + 0.5 * ((V @ s + c - ys[t]) ** 2).sum()
        return J

    from torch.func import grad_and_value, vmap

    per_sequence = vmap(
        grad_and_value(sequence_loss, argnums=(0, 1, 2, 3, 4)),
        in_dims=(None, None, None, None, None, 0, 0, 0),
    )

    def run_per_sequence(params, xs, ys, s0):
        tensors = [torch.from_numpy(p) for p in params]
        grads, J = per_sequence(*tensors, torch.from_numpy(xs), torch.from_numpy(ys), torch.from_numpy(s0))
        return J.numpy(), [g.numpy() for g in grads]

    return {"torch": make(batch_loss), "torch.compile": make(compiled), "torch.vmap": run_per_sequence}


# ------------------------------------------------------------------------------------------------ symrnn
def symrnn_methods(spec: RNNSpec, compile_rows: list) -> dict[str, Callable | str]:
    """``name -> fn(params_dict, xs, ys, s0) -> (J summed, {grad summed})``, or a reason it is absent."""
    methods: dict[str, Callable | str] = {}
    builders: dict[str, Callable] = {
        "loop-matrix": lambda: compile_loop(spec, generator="matrix", reduce="sum"),
        "matrix": lambda: symrnn.compile(spec, backend="matrix"),
        "auto (today)": lambda: symrnn.compile(spec, backend="auto"),
    }
    if spec.n <= costmodel.SCALAR_MAX_N:
        builders["loop-scalar"] = lambda: compile_loop(spec, generator="scalar", reduce="sum")
    else:
        methods["loop-scalar"] = f"n > {costmodel.SCALAR_MAX_N}"
    if spec.z * spec.n**2 <= LLVM_MAX_SIZE:
        builders["llvm"] = lambda: symrnn.compile(spec, backend="llvm")
    else:
        methods["llvm"] = f"z·n² > {LLVM_MAX_SIZE}"
    for name, build in builders.items():
        started = time.perf_counter()
        function = build()
        seconds = time.perf_counter() - started
        hit = getattr(function, "cache_hit", None)
        compile_rows.append((spec.n, spec.z, name, seconds, hit))
        if name.startswith("loop"):
            methods[name] = function
        else:
            methods[name] = (lambda f: lambda *a: _summed(f(*a)))(function)
    return methods


def _summed(result):
    J, grads = result
    if np.ndim(J) == 0:
        return float(J), grads
    return float(np.sum(J)), {k: v.sum(axis=0) for k, v in grads.items()}


def error_against(result, expected, order) -> float:
    J, grads = result
    J_ref, grads_ref = expected
    if isinstance(grads, list):
        grads = dict(zip(order, grads))
    return max([relative_error(J, J_ref)] + [relative_error(grads[k], grads_ref[k]) for k in order])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a subset of the grid (about a minute)")
    parser.add_argument("--store", action="store_true", help="store the times as this machine's cost model")
    parser.add_argument("--ship", action="store_true", help="write the package's default cost model")
    parser.add_argument("--json", help="also write every measurement to this file")
    args = parser.parse_args()
    grid = QUICK if args.quick else GRID
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"symrnn {symrnn.__version__}, numpy {np.__version__}, {os.cpu_count()} cores, "
        f"load average at start {load:.1f}"
    )
    peak = matmul_peak()
    print(f"measured float64 matmul peak: {peak:.1f} GFLOP/s\n", flush=True)
    jax_run, torch_run = jax_methods() or {}, torch_methods() or {}
    rng = np.random.default_rng(0)
    order = ("W", "U", "V", "b", "c")
    rows, per_sequence_rows, compile_rows, first_rows, failures = [], [], [], [], 0
    started_all = time.perf_counter()
    for n in grid["n"]:
        for z in grid["z"]:
            spec = RNNSpec(z=z, e=n, n=n, m=n)
            ours = symrnn_methods(spec, compile_rows)
            peers = {name: run for name, run in (jax_run | torch_run).items() if "vmap" not in name}
            if z > TORCH_COMPILE_MAX_Z:
                peers.pop("torch.compile", None)
            first_seen: set[str] = set()
            for B in grid["B"]:
                params = {
                    "W": rng.normal(0, 0.4, (n, n)),
                    "U": rng.normal(0, 0.3, (n, n)),
                    "V": rng.normal(0, 0.4, (n, n)),
                    "b": rng.normal(0, 0.1, n),
                    "c": rng.normal(0, 0.1, n),
                }
                xs, ys, s0 = rng.normal(size=(B, z, n)), rng.normal(size=(B, z, n)), np.zeros((B, n))
                plist = [params[k] for k in order]
                J_ref, grads_ref = _summed(loss_and_gradients(params, xs, ys, s0))
                calls: dict[str, Callable] = {}
                for name, fn in ours.items():
                    if callable(fn):
                        one = B == 1  # the single-sequence call form, as a user writes it
                        calls[name] = lambda f=fn, one=one: (
                            f(params, xs[0], ys[0], s0[0]) if one else f(params, xs, ys, s0)
                        )
                for name, run in peers.items():
                    calls[name] = lambda run=run: run(plist, xs, ys, s0)
                times: dict[str, float | str] = {}
                for name, call in calls.items():
                    begin = time.perf_counter()
                    result = call()  # correctness first; the first call includes a peer's trace and compile
                    if name not in first_seen and name in peers:
                        first_rows.append((n, z, name, time.perf_counter() - begin))
                        first_seen.add(name)
                    error = error_against(result, (J_ref, grads_ref), order)
                    if error > AGREEMENT:
                        print(f"DISAGREES: {name} at B={B} z={z} n={n}: {error:.2e}")
                        failures += 1
                        times[name] = "disagrees"
                        continue
                    times[name] = median_seconds(call)
                for name, reason in ours.items():
                    if isinstance(reason, str):
                        times[name] = reason
                if "torch.compile" not in peers and "torch.compile" in torch_run:
                    times["torch.compile"] = f"z > {TORCH_COMPILE_MAX_Z}"
                rows.append((n, z, B, times))
                if args.json:  # after every cell, so an interrupted run keeps what it measured
                    write_json(args.json, rows, per_sequence_rows, compile_rows, first_rows, peak)
                print(
                    f"n={n:3d} z={z:3d} B={B:5d}: "
                    + ", ".join(
                        f"{k} {v * 1e6:.0f}µs" if isinstance(v, float) else f"{k}: {v}"
                        for k, v in times.items()
                    )
                    + f"  [{time.perf_counter() - started_all:.0f} s]",
                    flush=True,
                )
            if (n, z) in PER_SEQUENCE_CELLS:
                per_sequence_rows += per_sequence_cell(spec, rng, jax_run, torch_run)
    print_tables(rows, per_sequence_rows, compile_rows, first_rows, peak)
    if args.json:
        write_json(args.json, rows, per_sequence_rows, compile_rows, first_rows, peak)
    if args.store or args.ship:
        model = cost_model(rows, compile_rows)
        print(f"\ncost model written to {costmodel.store(model, shipped=args.ship)}")
    print(
        f"\nall methods agree with the oracle to {AGREEMENT:g}"
        if not failures
        else f"\n{failures} disagreements"
    )
    print(f"total {time.perf_counter() - started_all:.0f} s")
    return 1 if failures else 0


def write_json(path: str, rows, per_sequence_rows, compile_rows, first_rows, peak) -> None:
    with open(path, "w", encoding="utf-8") as stream:
        json.dump(
            {
                "rows": rows,
                "per_sequence": per_sequence_rows,
                "compile": compile_rows,
                "first": first_rows,
                "peak": peak,
            },
            stream,
            indent=1,
        )


def per_sequence_cell(spec: RNNSpec, rng, jax_run, torch_run) -> list:
    """B separate gradients: symrnn loop (reduce="none") and the best per-sequence symrnn vs the vmap peers."""
    n, z, out = spec.n, spec.z, []
    loop = compile_loop(spec, reduce="none", generator="scalar" if n <= costmodel.SCALAR_MAX_N else "matrix")
    matrix = symrnn.compile(spec, backend="matrix")
    for B in (64, 1024):
        params = {
            "W": rng.normal(0, 0.4, (n, n)),
            "U": rng.normal(0, 0.3, (n, n)),
            "V": rng.normal(0, 0.4, (n, n)),
            "b": rng.normal(0, 0.1, n),
            "c": rng.normal(0, 0.1, n),
        }
        xs, ys, s0 = rng.normal(size=(B, z, n)), rng.normal(size=(B, z, n)), np.zeros((B, n))
        plist = [params[k] for k in ("W", "U", "V", "b", "c")]
        J_ref, grads_ref = loss_and_gradients(params, xs, ys, s0)
        calls = {"loop": lambda: loop(params, xs, ys, s0), "matrix": lambda: matrix(params, xs, ys, s0)}
        if "jax.vmap" in jax_run:
            calls["jax.vmap"] = lambda: jax_run["jax.vmap"](plist, xs, ys, s0)
        if "torch.vmap" in torch_run:
            calls["torch.vmap"] = lambda: torch_run["torch.vmap"](plist, xs, ys, s0)
        times = {}
        for name, call in calls.items():
            J, grads = call()
            grads = dict(zip(("W", "U", "V", "b", "c"), grads)) if isinstance(grads, list) else grads
            error = max(
                [relative_error(J, J_ref)] + [relative_error(grads[k], grads_ref[k]) for k in grads_ref]
            )
            times[name] = median_seconds(call) if error <= AGREEMENT else "disagrees"
        out.append((n, z, B, times))
        print(
            f"per-sequence n={n} z={z} B={B}: "
            + ", ".join(
                f"{k} {v * 1e6:.0f}µs" if isinstance(v, float) else f"{k}: {v}" for k, v in times.items()
            ),
            flush=True,
        )
    return out


def cost_model(rows: list, compile_rows: list) -> dict:
    cells = [
        [n, z, B, {k: v for k, v in times.items() if k in costmodel.CHOICES and isinstance(v, float)}]
        for n, z, B, times in rows
    ]
    compile_table: dict[str, list] = {}
    for n, z, name, seconds, hit in compile_rows:
        if hit:
            compile_table.setdefault("loop-hit-samples", []).append(seconds)
        else:
            compile_table.setdefault(name, []).append([n, z, seconds])
    hits = compile_table.pop("loop-hit-samples", [])
    if hits:
        compile_table["loop-hit"] = statistics.median(hits)
    return {"machine": costmodel.machine_key(), "cells": cells, "compile": compile_table}


PEERS = ("jax", "torch.compile", "torch")
OURS = ("loop-scalar", "loop-matrix", "llvm", "matrix", "auto (today)")


def _us(value) -> str:
    return f"{value * 1e6:,.0f}" if isinstance(value, float) else "—"


def print_tables(rows, per_sequence_rows, compile_rows, first_rows, peak) -> None:
    print(
        f"\nLoss + every gradient summed over the batch; median µs per call; matmul peak {peak:.0f} GFLOP/s."
    )
    print(
        "| n | z | B | best symrnn | µs | fastest peer | µs | ratio | GFLOP/s (% peak) | auto (model) | "
        + " | ".join(OURS)
        + " | "
        + " | ".join(PEERS)
        + " |"
    )
    print("|" + "---|" * (10 + len(OURS) + len(PEERS)))
    model = costmodel.load()
    for n, z, B, times in rows:
        ours = {k: v for k, v in times.items() if k in OURS and isinstance(v, float)}
        peers = {k: v for k, v in times.items() if k in PEERS and isinstance(v, float)}
        best = min(ours, key=ours.get)
        peer = min(peers, key=peers.get) if peers else None
        rate = flops(B, z, n) / ours[best] / 1e9
        choice = "—"
        if model is not None:
            spec = RNNSpec(z=z, e=n, n=n, m=n)
            chosen = costmodel.choose_backend(spec, B)
            chosen_time = times.get(chosen)
            if isinstance(chosen_time, float):
                choice = f"{chosen} ({chosen_time / ours[best]:.2f}× best)"
        print(
            f"| {n} | {z} | {B} | {best} | {_us(ours[best])} | {peer or '—'} | {_us(peers.get(peer))} | "
            f"{ours[best] / peers[peer]:.2f} | {rate:.1f} ({100 * rate / peak:.0f}%) | {choice} | "
            if peer
            else f"| {n} | {z} | {B} | {best} | {_us(ours[best])} | — | — | — | {rate:.1f} | {choice} | ",
            end="",
        )
        print(
            " | ".join(_us(times.get(k)) for k in OURS)
            + " | "
            + " | ".join(_us(times.get(k)) for k in PEERS)
            + " |"
        )
    print("\nratio = best symrnn / fastest peer (below 1: symrnn faster). —: not run (see the log line).")
    if per_sequence_rows:
        print("\nPer-sequence gradients (B separate gradients), median µs per call:")
        print(
            "| n | z | B | symrnn loop | symrnn matrix | jax.vmap | torch.func.vmap(grad) | best symrnn / best peer |"
        )
        print("|---|---|---|---|---|---|---|---|")
        for n, z, B, times in per_sequence_rows:
            ours = [v for k, v in times.items() if k in ("loop", "matrix") and isinstance(v, float)]
            peers = [v for k, v in times.items() if "vmap" in k and isinstance(v, float)]
            ratio = f"{min(ours) / min(peers):.2f}" if ours and peers else "—"
            print(
                f"| {n} | {z} | {B} | {_us(times.get('loop'))} | {_us(times.get('matrix'))} | "
                f"{_us(times.get('jax.vmap'))} | {_us(times.get('torch.vmap'))} | {ratio} |"
            )
    print("\nTime to build (s) per symrnn backend (loop: hit = kernels loaded from the disk cache):")
    for n, z, name, seconds, hit in compile_rows:
        print(
            f"  n={n:3d} z={z:3d} {name:14s} {seconds:7.2f}"
            + ("" if hit is None else f"  cache {'hit' if hit else 'miss'}")
        )
    print("\nTime to first result (s) of the peers (first call: trace + compile + run):")
    for n, z, name, seconds in first_rows:
        print(f"  n={n:3d} z={z:3d} {name:14s} {seconds:7.2f}")


if __name__ == "__main__":
    sys.exit(main())
