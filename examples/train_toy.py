"""Train a small tanh RNN with the compiled symbolic gradients: predict the running mean of the inputs.

Run: python examples/train_toy.py [--steps 200] [--seed 0]
"""

from __future__ import annotations

import argparse

import numpy as np

import symrnn


def toy_batch(rng: np.random.Generator, batch: int, z: int) -> tuple[np.ndarray, np.ndarray]:
    """Inputs uniform in [-1, 1] (shape (B, z, 1)); target at t: the mean of x_1..x_t (shape (B, z, 1))."""
    xs = rng.uniform(-1, 1, size=(batch, z, 1))
    ys = np.cumsum(xs, axis=1) / np.arange(1, z + 1)[None, :, None]
    return xs, ys


def train(*, steps: int = 200, seed: int = 0, learning_rate: float = 0.1) -> tuple[float, float]:
    """Plain SGD on fresh batches; returns the mean loss on a held-out batch before and after training."""
    spec = symrnn.RNNSpec(z=4, e=1, n=3, m=1, activation="tanh", loss="sse")
    loss_and_grad = symrnn.compile(spec)  # J, grads = loss_and_grad(params, xs, ys)
    rng = np.random.default_rng(seed)
    params = {name: rng.normal(0, 0.3, size=spec.shapes[name]) for name in spec.parameter_names}
    held_out = toy_batch(rng, 256, spec.z)
    before = float(np.mean(loss_and_grad(params, *held_out)[0]))
    for _ in range(steps):
        _, grads = loss_and_grad(params, *toy_batch(rng, 32, spec.z))  # per-sequence: J (B,), grads (B, ...)
        for name in params:
            params[name] -= learning_rate * grads[name].mean(axis=0)
    after = float(np.mean(loss_and_grad(params, *held_out)[0]))
    return before, after


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=200, help="SGD steps (default: 200)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    arguments = parser.parse_args()
    before, after = train(steps=arguments.steps, seed=arguments.seed)
    print(f"held-out loss: {before:.4f} before, {after:.4f} after {arguments.steps} SGD steps")


if __name__ == "__main__":
    main()
