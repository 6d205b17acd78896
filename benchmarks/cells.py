"""Benchmark of the gated cells (LSTM, GRU): derivation time, compiled loss + gradients, and long sequences.

Run: ``python benchmarks/cells.py`` (a few minutes on 2 cores) or ``python benchmarks/cells.py --quick``
(fewer sizes and repeats, under 2 minutes). One run prints every table and a final targets summary:

1. Derivation time of every gradient, each in a fresh interpreter (no cache helps): the vanilla cell
   z=64, n=8 and the LSTM z=16, n=8 by the SymPy route (``symrnn.gradients``); the LSTM and GRU
   z=64, n=16 by the SymEngine route (``symrnn.engine.fast.backward_fast``).
2. Compiled loss + every gradient of the LSTM and GRU (symrnn's backends auto, llvm, matrix, scan)
   against the NumPy oracle (``symrnn.numeric.reference``), PyTorch eager (nn.LSTM / nn.GRU, float64)
   and JAX (the cells in jnp with PyTorch's equations, ``lax.scan``, ``jit(value_and_grad)``), at B=1
   and B=1024. Every method must agree with the oracle to 1e-10 before anything is timed.
3. z = 10,000 through ``backend="scan"`` for every cell: time and error against the oracle.

Times are medians of repeated calls (compile and jit excluded; the time to first result is printed
separately). symrnn returns per-sequence gradients for a batch (as the oracle does); PyTorch and JAX
return the gradient of the summed loss, so for B=1024 symrnn's are summed over the batch to compare.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # benchmark this checkout, not an installed copy
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

AGREEMENT = 1e-10
SYMRNN_BACKENDS = ("auto", "llvm", "matrix", "scan")
UNROLLED_COMPILE_LIMIT = 2.0  # seconds: llvm is skipped above this estimated compile time
TORCH_THREADS = 1  # set to PyTorch's default (torch.get_num_threads()) on import; "torch1" runs on one thread
EXTERNAL = ("torch", "torch1", "jax")

# ------------------------------------------------------------------------------------------ 1. derivation
DERIVATIONS = {
    # name: (route, cell, z, n, target seconds, target text)
    "rnn z=64 n=8 (SymPy)": ("sympy", "rnn", 64, 8, 2.9, "<= 2.9 s (old engine)"),
    "lstm z=16 n=8 (SymPy)": ("sympy", "lstm", 16, 8, 10.0, "< 10 s"),
    "lstm z=64 n=16 (SymEngine)": ("symengine", "lstm", 64, 16, 10.0, "< 10 s"),
    "gru z=64 n=16 (SymEngine)": ("symengine", "gru", 64, 16, 10.0, "< 10 s"),
}


def derive_child(name: str) -> None:
    """In a fresh interpreter: import everything, then time one derivation; print JSON."""
    route, cell, z, n, _, _ = DERIVATIONS[name]
    import sympy  # noqa: F401

    import symrnn
    import symrnn.engine.adjoint
    import symrnn.unroll
    from symrnn import RNNSpec

    spec = RNNSpec(cell=cell, z=z, e=n, n=n, m=n)
    if route == "sympy":
        started = time.perf_counter()
        result = symrnn.gradients(spec)
    else:
        from symrnn.engine.fast import backward_fast

        started = time.perf_counter()
        result = backward_fast(spec)
    seconds = time.perf_counter() - started
    print(json.dumps({"seconds": seconds, "result": type(result).__name__}))


def run_derivations(quick: bool) -> list[dict]:
    runs = 1 if quick else 3
    print(
        "== 1. Derivation time of every gradient (each run in a fresh interpreter; imports excluded; "
        f"{runs} run{'s' if runs > 1 else ''} each, the target judged on the median) =="
    )
    print(
        f"{'case':28s} {'route call (e = m = n)':48s} {'median s':>9s} {'min s':>6s} {'child s':>8s} "
        f"{'target':>22s}  met"
    )
    rows = []
    for name, (route, cell, z, n, target, text) in DERIVATIONS.items():
        call = (
            f"symrnn.gradients(RNNSpec(cell={cell!r},z={z},n={n}))"
            if route == "sympy"
            else f"backward_fast(RNNSpec(cell={cell!r},z={z},n={n}))"
        )
        samples, walls, failure = [], [], None
        for _ in range(runs):
            started = time.perf_counter()
            done = subprocess.run(
                [sys.executable, str(Path(__file__).resolve()), "--derive", name],
                capture_output=True,
                text=True,
                env={**os.environ, "PYTHONPATH": str(ROOT)},
            )
            walls.append(time.perf_counter() - started)
            if done.returncode != 0:
                failure = done.stderr.strip().splitlines()[-1:]
                break
            samples.append(json.loads(done.stdout.strip().splitlines()[-1])["seconds"])
        if failure is not None:
            print(f"{name:28s} {call:48s} FAILED: {failure}")
            rows.append({"name": name, "seconds": None, "target": target, "text": text, "met": False})
            continue
        seconds = statistics.median(samples)
        met = seconds <= target if "<=" in text else seconds < target
        verdict = "yes" if met else "NO"
        print(
            f"{name:28s} {call:48s} {seconds:9.2f} {min(samples):6.2f} {statistics.median(walls):8.2f} "
            f"{text:>22s}  {verdict}",
            flush=True,
        )
        rows.append(
            {
                "name": name,
                "seconds": seconds,
                "min": min(samples),
                "target": target,
                "text": text,
                "met": met,
            }
        )
    print()
    return rows


# ------------------------------------------------------------------------------------------ timing helpers
def median_seconds(call: Callable[[], object], quick: bool) -> tuple[float, int]:
    """Median seconds per call (timeit-style: ``number`` calls per sample, ``repeat`` samples)."""
    import timeit

    timer = timeit.Timer(call)
    one = timer.timeit(1)
    sample = 0.005 if quick else 0.02  # seconds per sample
    number = max(1, int(sample / max(one, 1e-7)))
    if one > 0.2:
        repeat = 3
    elif one > 0.02:
        repeat = 5 if quick else 7
    else:
        repeat = 5 if quick else 15
    samples = timer.repeat(repeat=repeat, number=number)
    return statistics.median(samples) / number, repeat * number


def max_relative_error(J: Any, grads: dict, J_ref: Any, grads_ref: dict) -> float:
    from symrnn.numeric.reference import relative_error

    errors = [relative_error(np.asarray(J, dtype=float), np.asarray(J_ref, dtype=float))]
    errors += [
        relative_error(np.asarray(grads[k], dtype=float), np.asarray(grads_ref[k], dtype=float))
        for k in grads_ref
    ]
    if set(grads) != set(grads_ref):
        return float("inf")
    return max(errors)


# ------------------------------------------------------------------------------------------ PyTorch
def torch_method(cell: str, params: dict, xs: np.ndarray, ys: np.ndarray) -> Callable[[], tuple]:
    """nn.LSTM / nn.GRU (float64, one layer, batch_first); yhat = h Vᵀ + c, J = ½ Σ (yhat − y)²."""
    import torch

    n, e = params["U"].shape[1], params["W"].shape[1]
    module = (torch.nn.LSTM if cell == "lstm" else torch.nn.GRU)(
        e, n, num_layers=1, bias=True, batch_first=True, dtype=torch.float64
    )
    with torch.no_grad():
        for attribute, key in (
            ("weight_ih_l0", "W"),
            ("weight_hh_l0", "U"),
            ("bias_ih_l0", "b"),
            ("bias_hh_l0", "b_U"),
        ):
            getattr(module, attribute).copy_(torch.from_numpy(params[key]))
    V = torch.from_numpy(params["V"].copy()).requires_grad_()
    c = torch.from_numpy(params["c"].copy()).requires_grad_()
    x = torch.from_numpy(xs if xs.ndim == 3 else xs[None])
    y = torch.from_numpy(ys if ys.ndim == 3 else ys[None])
    leaves = {
        "W": module.weight_ih_l0,
        "U": module.weight_hh_l0,
        "b": module.bias_ih_l0,
        "b_U": module.bias_hh_l0,
        "V": V,
        "c": c,
    }

    def run() -> tuple:
        for leaf in leaves.values():
            leaf.grad = None
        h, _ = module(x)
        J = 0.5 * ((h @ V.T + c - y) ** 2).sum()
        J.backward()
        return J.item(), {k: v.grad.numpy() for k, v in leaves.items()}

    return run


# ------------------------------------------------------------------------------------------ JAX
def jax_loss(cell: str):
    """The summed SSE loss of a one-layer cell in jnp with PyTorch's equations (xs: (z, e) or (B, z, e))."""
    import jax
    import jax.numpy as jnp

    def lstm_step(p, carry, x_t):
        h, c = carry
        a = x_t @ p["W"].T + p["b"] + h @ p["U"].T + p["b_U"]
        i, f, g, o = jnp.split(a, 4, axis=-1)
        i, f, g, o = jax.nn.sigmoid(i), jax.nn.sigmoid(f), jnp.tanh(g), jax.nn.sigmoid(o)
        c = f * c + i * g
        h = o * jnp.tanh(c)
        return (h, c), h

    def gru_step(p, carry, x_t):
        (h,) = carry
        a_x = x_t @ p["W"].T + p["b"]
        a_h = h @ p["U"].T + p["b_U"]
        x_r, x_z, x_n = jnp.split(a_x, 3, axis=-1)
        h_r, h_z, h_n = jnp.split(a_h, 3, axis=-1)
        r, z = jax.nn.sigmoid(x_r + h_r), jax.nn.sigmoid(x_z + h_z)
        candidate = jnp.tanh(x_n + r * h_n)  # b_hn inside r ⊙ (W_hn h + b_hn)
        h = (1.0 - z) * candidate + z * h
        return (h,), h

    step = lstm_step if cell == "lstm" else gru_step

    def loss(p, xs, ys):
        n = p["U"].shape[1]
        h0 = jnp.zeros(xs.shape[:-2] + (n,), dtype=xs.dtype)
        carry = (h0, h0) if cell == "lstm" else (h0,)
        _, hs = jax.lax.scan(lambda carry, x_t: step(p, carry, x_t), carry, jnp.moveaxis(xs, -2, 0))
        yhat = hs @ p["V"].T + p["c"]  # (z, [B,] m)
        return 0.5 * jnp.sum((yhat - jnp.moveaxis(ys, -2, 0)) ** 2)

    return loss


def jax_method(cell: str, params: dict, xs: np.ndarray, ys: np.ndarray) -> tuple[Callable, Callable]:
    """(setup-and-first-call, call): jit(value_and_grad) of :func:`jax_loss`."""
    import jax

    function = jax.jit(jax.value_and_grad(jax_loss(cell)))
    p = {k: jax.device_put(v) for k, v in params.items()}
    x, y = jax.device_put(xs), jax.device_put(ys)

    def run() -> tuple:
        J, grads = function(p, x, y)
        return jax.block_until_ready((J, grads))

    return run


def to_numpy(result: tuple) -> tuple:
    J, grads = result
    return float(J), {k: np.asarray(v) for k, v in grads.items()}


# ------------------------------------------------------------------------------------------ 2. cells
def run_cells(quick: bool) -> tuple[list[dict], int]:
    import symrnn
    from symrnn import RNNSpec
    from symrnn.numeric.base import estimated_compile_seconds
    from symrnn.numeric.reference import loss_and_gradients

    sizes = (2, 8)
    lengths = (4, 16) if not quick else (4,)
    batches = (1, 1024)
    print("== 2. Compiled loss + every gradient: LSTM and GRU (float64, CPU) ==")
    print(
        "times: median µs per call of J and every gradient (compile/jit excluded); B=1: xs (z, e); "
        "B=1024: xs (B, z, e),\n"
        "symrnn and the oracle per-sequence gradients, torch and JAX the summed loss's"
    )
    # Warm up every import and each backend's first-use cost on a tiny spec: compile times are the spec's own.
    for cell in ("lstm", "gru"):
        tiny = RNNSpec(cell=cell, z=2, e=1, n=1, m=1)
        for backend in SYMRNN_BACKENDS:
            symrnn.compile(tiny, backend=backend)
    import jax
    import torch

    global TORCH_THREADS
    TORCH_THREADS = torch.get_num_threads()

    jax.config.update("jax_enable_x64", True)
    rng = np.random.default_rng(0)
    rows, failures = [], 0
    for cell in ("lstm", "gru"):
        for n in sizes:
            for z in lengths:
                spec = RNNSpec(cell=cell, z=z, e=n, n=n, m=n)
                compiled, compile_seconds, skipped = {}, {}, {}
                for backend in SYMRNN_BACKENDS:
                    estimate = estimated_compile_seconds(spec, "llvm")
                    if backend == "llvm" and estimate > UNROLLED_COMPILE_LIMIT:
                        skipped[backend] = f"skipped (est. compile {estimate:.1f} s)"
                        continue
                    started = time.perf_counter()
                    compiled[backend] = symrnn.compile(spec, backend=backend)
                    compile_seconds[backend] = time.perf_counter() - started
                auto_chosen = compiled["auto"].backend
                params = {k: rng.normal(0, 0.4, spec.shapes[k]) for k in spec.parameter_names}
                for B in batches:
                    if B == 1:
                        xs, ys = rng.normal(size=(z, n)), rng.normal(size=(z, n))
                    else:
                        xs, ys = rng.normal(size=(B, z, n)), rng.normal(size=(B, z, n))
                    oracle = lambda p=params, xs=xs, ys=ys, c=cell: loss_and_gradients(p, xs, ys, cell=c)
                    started = time.perf_counter()
                    J_ref, grads_ref = oracle()
                    first = {"oracle": time.perf_counter() - started}
                    if B > 1:  # the summed loss's gradient: what torch and JAX compute
                        J_ref = float(np.sum(J_ref))
                        grads_ref = {k: v.sum(axis=0) for k, v in grads_ref.items()}
                    calls: dict[str, Callable] = {}
                    for backend, function in compiled.items():
                        calls[backend] = lambda f=function, p=params, xs=xs, ys=ys: f(p, xs, ys)
                        started = time.perf_counter()
                        calls[backend]()
                        setup = compile_seconds[backend] if B == 1 else 0.0
                        first[backend] = time.perf_counter() - started + setup
                    started = time.perf_counter()
                    calls["torch"] = torch_method(cell, params, xs, ys)
                    calls["torch"]()
                    first["torch"] = time.perf_counter() - started
                    # PyTorch's default intra-op threads spin badly on a loaded machine: also one thread.
                    torch.set_num_threads(1)
                    started = time.perf_counter()
                    calls["torch1"] = torch_method(cell, params, xs, ys)
                    calls["torch1"]()
                    first["torch1"] = time.perf_counter() - started
                    torch.set_num_threads(TORCH_THREADS)
                    started = time.perf_counter()
                    calls["jax"] = jax_method(cell, params, xs, ys)
                    calls["jax"]()
                    first["jax"] = time.perf_counter() - started
                    calls["oracle"] = oracle
                    errors = {}
                    for name, call in calls.items():  # correctness first
                        torch.set_num_threads(1 if name == "torch1" else TORCH_THREADS)
                        J, grads = to_numpy(call()) if name in EXTERNAL else call()
                        if B > 1 and name not in EXTERNAL:
                            J, grads = float(np.sum(J)), {k: v.sum(axis=0) for k, v in grads.items()}
                        errors[name] = max_relative_error(J, grads, J_ref, grads_ref)
                        if errors[name] > AGREEMENT:
                            print(
                                f"DISAGREES: {name} on {cell} B={B} z={z} n={n}: "
                                f"max relative error {errors[name]:.2e}"
                            )
                            failures += 1
                    times = {}
                    for name, call in calls.items():
                        torch.set_num_threads(1 if name == "torch1" else TORCH_THREADS)
                        times[name] = median_seconds(call, quick)[0] if errors[name] <= AGREEMENT else None
                    torch.set_num_threads(TORCH_THREADS)
                    agreed = [times[k] for k in ("torch", "torch1") if times[k] is not None]
                    times["torch best"] = min(agreed) if agreed else None
                    ours = {b: times[b] for b in compiled if times[b] is not None}
                    best = min(ours, key=ours.get) if ours else None
                    row = {
                        "cell": cell,
                        "n": n,
                        "z": z,
                        "B": B,
                        "times": times,
                        "first": first,
                        "errors": errors,
                        "best": best,
                        "skipped": skipped,
                        "auto": auto_chosen,
                    }
                    rows.append(row)
                    shown = fmt_us(times[best] if best else None)
                    print(
                        f"  {cell} n={n} z={z:2d} B={B:4d}: best {best} {shown} µs, "
                        + ", ".join(f"{k} {fmt_us(times[k])} µs" for k in ("oracle", *EXTERNAL)),
                        flush=True,
                    )
    print_cell_tables(rows)
    return rows, failures


def fmt_us(value: float | None) -> str:
    return "—" if value is None else (f"{value * 1e6:.1f}" if value < 1e-4 else f"{value * 1e6:.0f}")


def print_cell_tables(rows: list[dict]) -> None:
    names = ("auto", "llvm", "matrix", "scan", "oracle", "torch", "torch1", "jax")
    print(
        "\nTimes (µs per call, median; '—' = not compiled: llvm skipped when its estimated compile > 2 s; "
        f"torch: {TORCH_THREADS} intra-op threads (default), torch1: one thread)"
    )
    print(
        f"{'cell':5s} {'n':>2s} {'z':>3s} {'B':>5s} "
        + " ".join(f"{k:>9s}" for k in names)
        + f"  {'best':>7s}  auto uses"
    )
    for r in rows:
        print(
            f"{r['cell']:5s} {r['n']:2d} {r['z']:3d} {r['B']:5d} "
            + " ".join(f"{fmt_us(r['times'].get(k)):>9s}" for k in names)
            + f"  {r['best'] or '—':>7s}  {r['auto']}"
        )
    print(
        "\nRatios (time of the other method / symrnn's best: > 1 means symrnn is faster; "
        "torch: the faster of its default threads and one thread)"
    )
    print(
        f"{'cell':5s} {'n':>2s} {'z':>3s} {'B':>5s} {'best µs':>9s} {'vs oracle':>10s} {'vs torch':>9s} "
        f"{'vs jax':>8s}  targets"
    )
    for r in rows:
        t = r["times"]
        if r["best"] is None:
            print(f"{r['cell']:5s} {r['n']:2d} {r['z']:3d} {r['B']:5d}  no symrnn method agreed")
            continue
        b = t[r["best"]]
        ro, rt, rj = t["oracle"] / b, t["torch best"] / b, t["jax"] / b
        if r["B"] == 1:
            r["met"] = {"oracle ≥5×": ro >= 5, "torch ≥10×": rt >= 10, "jax ≥2×": rj >= 2}
        else:
            r["met"] = {"oracle ≥1×": ro >= 1}
        marks = ", ".join(f"{k} {'yes' if v else 'NO'}" for k, v in r["met"].items())
        print(
            f"{r['cell']:5s} {r['n']:2d} {r['z']:3d} {r['B']:5d} {fmt_us(b):>9s} {ro:10.2f} {rt:9.2f} "
            f"{rj:8.2f}  {marks}"
        )
    print(
        "\nTime to first result (s): symrnn compile + first call at B=1 (the compiled function is "
        "reused at B=1024: first call only);\ntorch: module setup + first call; "
        "jax: jit trace/compile + first call"
    )
    print(f"{'cell':5s} {'n':>2s} {'z':>3s} {'B':>5s} " + " ".join(f"{k:>9s}" for k in names))
    for r in rows:
        print(
            f"{r['cell']:5s} {r['n']:2d} {r['z']:3d} {r['B']:5d} "
            + " ".join(f"{r['first'][k]:9.3f}" if k in r["first"] else f"{'—':>9s}" for k in names)
        )
    print(
        "\nMax relative error vs the oracle (B=1024: symrnn's per-sequence gradients summed over the batch)"
    )
    others = [k for k in names if k != "oracle"]
    print(f"{'cell':5s} {'n':>2s} {'z':>3s} {'B':>5s} " + " ".join(f"{k:>9s}" for k in others))
    for r in rows:
        print(
            f"{r['cell']:5s} {r['n']:2d} {r['z']:3d} {r['B']:5d} "
            + " ".join(f"{r['errors'][k]:9.1e}" if k in r["errors"] else f"{'—':>9s}" for k in others)
        )
    print()


# ------------------------------------------------------------------------------------------ 3. long sequences
def run_long(quick: bool) -> tuple[list[dict], int]:
    import symrnn
    from symrnn import RNNSpec
    from symrnn.numeric.reference import loss_and_gradients

    Z, n = 10_000, 4
    print(
        f"== 3. z = {Z:,} through backend='scan' (n = e = m = {n}; compiled for z = 4, "
        f"called with z = {Z:,}) =="
    )
    print(
        f"{'cell':5s} {'compile s':>10s} {'scan ms':>9s} {'oracle ms':>10s} {'oracle/scan':>12s} "
        f"{'max rel err':>12s}"
    )
    rng = np.random.default_rng(1)
    rows, failures = [], 0
    for cell in ("rnn", "lstm", "gru"):
        spec = RNNSpec(cell=cell, z=4, e=n, n=n, m=n)
        started = time.perf_counter()
        scan = symrnn.compile(spec, backend="scan")
        compile_s = time.perf_counter() - started
        params = {k: rng.normal(0, 0.4, spec.shapes[k]) for k in spec.parameter_names}
        xs, ys = rng.normal(size=(Z, n)), rng.normal(size=(Z, n))
        J, grads = scan(params, xs, ys)
        J_ref, grads_ref = loss_and_gradients(params, xs, ys, cell=cell)
        error = max_relative_error(J, grads, J_ref, grads_ref)
        failures += error > AGREEMENT
        t_scan = median_seconds(lambda f=scan, p=params, x=xs, y=ys: f(p, x, y), True)[0]
        t_oracle = median_seconds(
            lambda p=params, x=xs, y=ys, c=cell: loss_and_gradients(p, x, y, cell=c), True
        )[0]
        print(
            f"{cell:5s} {compile_s:10.2f} {t_scan * 1e3:9.1f} {t_oracle * 1e3:10.1f} "
            f"{t_oracle / t_scan:12.2f} {error:12.1e}" + ("  DISAGREES" if error > AGREEMENT else ""),
            flush=True,
        )
        rows.append({"cell": cell, "error": error, "scan": t_scan, "oracle": t_oracle})
    print()
    return rows, failures


# ------------------------------------------------------------------------------------------ main
def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer sizes and repeats (under 2 minutes)")
    parser.add_argument("--derive", help=argparse.SUPPRESS)  # internal: one derivation in a child process
    args = parser.parse_args()
    if args.derive:
        derive_child(args.derive)
        return 0
    import symrnn

    started = time.perf_counter()
    versions = [f"symrnn {symrnn.__version__} ({Path(symrnn.__file__).parent})", f"numpy {np.__version__}"]
    for module in ("torch", "jax", "symengine", "llvmlite"):
        try:
            versions.append(f"{module} {__import__(module).__version__}")
        except ImportError:
            versions.append(f"{module} not installed")
    print(f"cells benchmark{' (--quick)' if args.quick else ''}: " + ", ".join(versions))
    print(
        f"python {platform.python_version()}, {os.cpu_count()} cores, load average at start "
        + " ".join(f"{x:.2f}" for x in os.getloadavg())
        + "\n"
    )
    derivations = run_derivations(args.quick)
    cells, cell_failures = run_cells(args.quick)
    _long_rows, long_failures = run_long(args.quick)

    print("== targets ==")
    for d in derivations:
        shown = "failed" if d["seconds"] is None else f"{d['seconds']:.2f} s (min {d['min']:.2f})"
        verdict = "met" if d["met"] else "NOT met"
        print(f"  derive {d['name']:28s} {shown:>18s} (target {d.get('text', '')}): {verdict}")
    for r in cells:
        for target, met in r.get("met", {}).items():
            verdict = "met" if met else "NOT met"
            print(f"  {r['cell']} n={r['n']} z={r['z']:2d} B={r['B']:4d}: {target:11s} {verdict}")
    met_cells = [v for r in cells for v in r.get("met", {}).values()]
    met_derive = [d["met"] for d in derivations]
    print(
        f"  met: derivations {sum(met_derive)}/{len(met_derive)}, "
        f"compiled-call targets {sum(met_cells)}/{len(met_cells)}"
    )
    failures = cell_failures + long_failures
    print(
        "  all methods agree with the oracle to 1e-10"
        if not failures
        else f"  {failures} disagreement(s) with the oracle"
    )
    print(
        "\nload average at end "
        + " ".join(f"{x:.2f}" for x in os.getloadavg())
        + f"; total {time.perf_counter() - started:.0f} s"
    )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
