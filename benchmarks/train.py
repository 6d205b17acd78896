"""Training-step time: symrnn's compiled derived gradients (matrix backend, NumPy Adam) against PyTorch.

Run: ``python benchmarks/train.py`` (about a minute on 2 cores). One training step on the adding problem =
loss and gradients of a batch, the mean over the batch, gradient-norm clipping when configured, one Adam
update. The PyTorch model is the same network (``nn.RNN``/``nn.LSTM``/``nn.GRU`` + ``nn.Linear``, float64,
CPU, same weights), loss ½(ŷ_T − y_T)² averaged over the batch, ``loss.backward()``, ``clip_grad_norm_``,
``torch.optim.Adam``; PyTorch timed with 1 and with all threads, the faster counted. Correctness first: the
two first-step gradients must agree to 1e-10 (except in the chaotic regime, see CHAOTIC_GRADIENT).
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable

import numpy as np

from symrnn.gradflow import initial_parameters, make_spec
from symrnn.train import (
    DEFAULT_TRAIN_CONFIGURATIONS,
    Adam,
    Objective,
    adding_problem,
    clip_gradient_norm,
)

AGREEMENT = 1e-10
LENGTHS, BATCH, HIDDEN = (50, 100), 32, 32
TIME_BUDGET, MIN_CALLS = 1.0, 10
# Gradients larger than this amplify float64 rounding of the forward states past 1e-10 (tanh with N(0, 1)
# weights is chaotic): two correct implementations then disagree, so they are not compared.
CHAOTIC_GRADIENT = 1e6


def median_seconds(call: Callable[[], object]) -> float:
    call()
    samples, started = [], time.perf_counter()
    while len(samples) < MIN_CALLS or time.perf_counter() - started < TIME_BUDGET:
        begin = time.perf_counter()
        call()
        samples.append(time.perf_counter() - begin)
    return statistics.median(samples)


def torch_step(configuration, params: dict, n: int) -> Callable | None:
    """One PyTorch training step of the same model with the same weights, or None without torch."""
    try:
        import torch
    except ImportError:
        return None
    kind = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[configuration.cell]
    options = {"nonlinearity": configuration.activation} if configuration.cell == "rnn" else {}
    recurrent = kind(2, n, batch_first=True, dtype=torch.float64, **options)
    readout = torch.nn.Linear(n, 1, dtype=torch.float64)
    with torch.no_grad():
        recurrent.weight_ih_l0.copy_(torch.from_numpy(params["W"]))
        recurrent.weight_hh_l0.copy_(torch.from_numpy(params["U"]))
        recurrent.bias_ih_l0.copy_(torch.from_numpy(params["b"]))
        recurrent.bias_hh_l0.copy_(torch.from_numpy(params.get("b_U", np.zeros_like(params["b"]))))
        readout.weight.copy_(torch.from_numpy(params["V"]))
        readout.bias.copy_(torch.from_numpy(params["c"]))
    parameters = list(recurrent.parameters()) + list(readout.parameters())
    optimiser = torch.optim.Adam(parameters, lr=1e-3)

    def step(xs: np.ndarray, ys: np.ndarray, update: bool = True) -> dict:
        optimiser.zero_grad()
        output, _ = recurrent(torch.from_numpy(xs))
        yhat = readout(output[:, -1])
        loss = 0.5 * ((yhat - torch.from_numpy(ys[:, -1])) ** 2).sum(-1).mean()
        loss.backward()
        if update and configuration.clip is not None:  # (torch adds 1e-6 to the norm: compare unclipped)
            torch.nn.utils.clip_grad_norm_(parameters, configuration.clip)
        grads = {
            "W": recurrent.weight_ih_l0.grad,
            "U": recurrent.weight_hh_l0.grad,
            "V": readout.weight.grad,
            "b": recurrent.bias_ih_l0.grad,
            "c": readout.bias.grad,
        }
        result = {k: v.detach().numpy().copy() for k, v in grads.items()}
        if update:
            optimiser.step()
        return result

    return step


def main() -> int:
    print(f"numpy {np.__version__}, {os.cpu_count()} cores; B = {BATCH}, n = {HIDDEN}, adding problem")
    rows, failures = [], 0
    for length in LENGTHS:
        for configuration in DEFAULT_TRAIN_CONFIGURATIONS:
            try:
                spec = make_spec(
                    configuration.cell, z=length, e=2, n=HIDDEN, m=1, activation=configuration.activation
                )
            except ValueError:
                rows.append((configuration.name, length, "needs the engine", None, None))
                continue
            rng = np.random.default_rng(0)
            params = initial_parameters(
                spec, configuration.initialisation, rng, forget_bias=configuration.forget_bias
            )
            objective = Objective(spec, last_only=True)
            batch = adding_problem(BATCH, length, rng)
            optimiser = Adam(1e-3)
            state = {name: value.copy() for name, value in params.items()}

            def ours(
                objective=objective,
                state=state,
                batch=batch,
                configuration=configuration,
                optimiser=optimiser,
            ) -> dict:
                _, grads = objective.per_sequence(state, batch)
                mean = {name: value.mean(axis=0) for name, value in grads.items()}
                if configuration.clip is not None:
                    clip_gradient_norm(mean, configuration.clip)
                optimiser.update(state, mean)
                return mean

            theirs = torch_step(configuration, params, HIDDEN)
            if theirs is not None and configuration.cell == "rnn":  # same first-step gradients
                _, grads = objective.per_sequence(params, batch)
                mean = {name: value.mean(axis=0) for name, value in grads.items()}
                reference = theirs(batch.xs, batch.ys, update=False)
                scale = max(max(np.abs(v).max() for v in reference.values()), 1e-300)
                error = max(np.abs(mean[k] - reference[k]).max() for k in reference) / scale
                if scale > CHAOTIC_GRADIENT:
                    print(
                        f"not compared: {configuration.name}, T = {length}: gradients of size {scale:.1e} "
                        f"(chaotic regime; relative difference {error:.1e})"
                    )
                elif error > AGREEMENT:
                    print(f"DISAGREES: {configuration.name}, T = {length}: {error:.2e}")
                    failures += 1
            ours_seconds = median_seconds(ours)
            theirs_seconds = None
            if theirs is not None:  # PyTorch's best thread count (one thread is fastest for these sizes)
                import torch

                timings = []
                for threads in sorted({1, os.cpu_count() or 1}):
                    torch.set_num_threads(threads)
                    timings.append(
                        median_seconds(lambda theirs=theirs, batch=batch: theirs(batch.xs, batch.ys))
                    )
                theirs_seconds = min(timings)
            rows.append((configuration.name, length, "ok", ours_seconds, theirs_seconds))
            ratio = "" if theirs_seconds is None else f", PyTorch {1e3 * theirs_seconds:.2f} ms"
            print(
                f"{configuration.name:22s} T = {length:3d}: symrnn {1e3 * ours_seconds:.2f} ms{ratio}",
                flush=True,
            )
    print("\n| configuration | T | symrnn step (ms) | PyTorch step (ms) | PyTorch / symrnn |")
    print("|---|---|---|---|---|")
    for name, length, status, ours_seconds, theirs_seconds in rows:
        if status != "ok":
            print(f"| {name} | {length} | {status} | | |")
            continue
        torch_text = "—" if theirs_seconds is None else f"{1e3 * theirs_seconds:.2f}"
        ratio = "—" if theirs_seconds is None else f"{theirs_seconds / ours_seconds:.2f}"
        print(f"| {name} | {length} | {1e3 * ours_seconds:.2f} | {torch_text} | {ratio} |")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
