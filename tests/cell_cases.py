"""Random problems for every cell (shared by the oracle tests and the PyTorch peer tests)."""

from __future__ import annotations

from typing import Any

import numpy as np

# Rows of W, U, b, b_U per unit of state: PyTorch stacks the LSTM's 4 and the GRU's 3 gates.
GATES = {"rnn": 1, "lstm": 4, "gru": 3}


def random_cell_case(
    rng: np.random.Generator,
    *,
    cell: str,
    z: int,
    e: int,
    n: int,
    m: int,
    bias: bool,
    loss: str,
    batch: int | None = None,
    zero_s0: bool = False,
) -> tuple[dict, Any, Any, Any]:
    """Parameters, xs, ys and s0 of moderate size (gradients neither vanish nor explode at z <= 8).

    ``bias=False`` leaves out b, b_U and c (PyTorch's ``bias=False`` and no output bias). The LSTM's
    s0 is a pair (h0, c0); ``zero_s0`` gives None (zeros).
    """
    G = GATES[cell]
    lead = () if batch is None else (batch,)
    params = {
        "W": rng.normal(0, 0.8, (G * n, e)),
        "U": rng.normal(0, 0.5, (G * n, n)),
        "V": rng.normal(0, 0.8, (m, n)),
    }
    if bias:
        params["b"] = rng.normal(0, 0.5, G * n)
        if cell != "rnn":
            params["b_U"] = rng.normal(0, 0.5, G * n)
        params["c"] = rng.normal(0, 0.5, m)
    xs = rng.normal(0, 1, (*lead, z, e))
    if loss == "ce":  # probability vectors, sometimes unnormalised (the gradient is exact for both)
        ys = rng.dirichlet(np.ones(m), size=(*lead, z)) * (1.0 if rng.random() < 0.5 else rng.uniform(0.2, 3))
    else:
        ys = rng.normal(0, 1, (*lead, z, m))
    if zero_s0:
        s0 = None
    elif cell == "lstm":
        s0 = (rng.normal(0, 0.5, (*lead, n)), rng.normal(0, 0.5, (*lead, n)))
    else:
        s0 = rng.normal(0, 0.5, (*lead, n))
    return params, xs, ys, s0


def flat(gradients: dict) -> np.ndarray:
    """Every gradient entry in one vector, keys in sorted order."""
    return np.concatenate([np.ravel(gradients[key]) for key in sorted(gradients)])
