"""Central finite differences of the reference loss, for every cell: a derivative-free oracle (NumPy only)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

# The only import from this package, and a relative one: loaded as part of a package (symrnn.numeric, or
# the stand-alone stub package of tests/test_reference.py) this module never imports symrnn/__init__.py.
from .reference import Activation, _prepare, _run

__all__ = ["DEFAULT_STEP", "central_difference_gradients", "central_differences"]

# Central differences err by truncation ≈ h²·|J'''|/6 and by rounding ≈ ε·|J|/h (ε ≈ 2.2e-16). At unit
# scale, h = 1e-6 makes these ≈ 2e-13 and ≈ 2e-10: far below the 1e-6 agreement asked of the oracles.
# (The balance point (6ε)^(1/3) ≈ 1e-5 would be a few times more accurate, but the smaller step keeps
# relu's kink out of reach unless some |u_t| is within about 1e-6 of 0.)
DEFAULT_STEP = 1e-6


def central_difference_gradients(
    params: Mapping[str, ArrayLike | None],
    xs: ArrayLike,
    ys: ArrayLike,
    s0: Any = None,
    *,
    activation: Activation = "tanh",
    loss: str = "sse",
    step: float = DEFAULT_STEP,
    initial_state_gradient: bool = False,
    cell: str = "rnn",
) -> dict[str, NDArray[np.float64]]:
    """Each gradient entry as ``(J(θ + h) − J(θ − h)) / 2h`` of ``reference.forward(...)["J"]``.

    A shared parameter is perturbed for all sequences of a batch at once: each sequence's loss depends
    only on its own data, so one pair of forward passes gives every sequence's partial derivative.

    Args:
        params, xs, ys, s0, activation, loss, cell: as for :func:`symrnn.numeric.reference.forward`
            (the LSTM's ``s0`` is a pair ``(h0, c0)``).
        step: the difference step ``h`` (absolute), positive and finite.
        initial_state_gradient: also return ``"s0"``, the gradient with respect to the initial state.

    Returns:
        The gradients with the keys and shapes of :func:`symrnn.numeric.reference.loss_and_gradients`
        (the LSTM's ``"s0"`` is ``(2, n)``: ∂J/∂h_0 then ∂J/∂c_0).

    Raises:
        ValueError: as for ``forward``, or a step that is not positive and finite.
        TypeError: as for ``forward``, or a non-numeric step or non-bool ``initial_state_gradient``.
    """
    if isinstance(step, (bool, np.bool_)) or not isinstance(step, (int, float, np.integer, np.floating)):
        raise TypeError(f"step must be a positive number, got {step!r}")
    if not (np.isfinite(step) and step > 0):
        raise ValueError(f"step must be positive and finite, got {step!r}")
    if not isinstance(initial_state_gradient, (bool, np.bool_)):
        raise TypeError(f"initial_state_gradient must be True or False, got {initial_state_gradient!r}")
    p = _prepare(params, xs, ys, s0, activation, loss, cell)
    values: dict[str, Any] = dict(p.params)
    if initial_state_gradient:
        values["s0"] = p.s0  # (B, S), flat: per sequence, so one perturbation moves every sequence's own s_0

    def loss_at(changed: str, theta: NDArray[np.float64]) -> NDArray[np.float64]:
        if changed == "s0":
            return _run(p._replace(s0=theta)).J_t.sum(axis=1)  # (B,)
        current = {**p.params, changed: theta}
        return _run(p._replace(params=current, W=current.get("W", p.W))).J_t.sum(axis=1)

    B = p.xs.shape[0]
    gradients = central_differences(loss_at, values, B, step=step)
    if initial_state_gradient and len(p.cell.states) > 1:  # the LSTM: (B, 2, n), rows ∂J/∂h_0 and ∂J/∂c_0
        gradients["s0"] = gradients["s0"].reshape(B, len(p.cell.states), p.n)
    return gradients if p.batched else {name: gradient[0] for name, gradient in gradients.items()}


def central_differences(
    loss_at: Callable[[str, NDArray[np.float64]], NDArray[np.float64]],
    values: Mapping[str, NDArray[np.float64]],
    batch: int,
    *,
    step: float = DEFAULT_STEP,
) -> dict[str, NDArray[np.float64]]:
    """Per-sequence central differences of any batched loss: ``loss_at(name, θ) -> J (B,)``.

    ``values["s0"]``, when present, is per sequence ``(B, S)``; every other value is shared by the batch,
    so one pair of loss evaluations gives every sequence's partial derivative. Returns ``(B, *shape)``.
    """
    gradients: dict[str, NDArray[np.float64]] = {}
    for name, theta in values.items():
        per_sequence = name == "s0"
        shape = theta.shape[1:] if per_sequence else theta.shape
        gradient = np.empty((batch, *shape))
        for index in np.ndindex(*shape):
            where = (slice(None), *index) if per_sequence else index
            theta_plus, theta_minus = theta.copy(), theta.copy()
            theta_plus[where] += step
            theta_minus[where] -= step
            two_h = theta_plus[where] - theta_minus[where]  # the step actually taken, after rounding
            gradient[(slice(None), *index)] = (loss_at(name, theta_plus) - loss_at(name, theta_minus)) / two_h
        gradients[name] = gradient
    return gradients
