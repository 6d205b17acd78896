"""Gradient flow through time: how ‖∂s_t/∂s_k‖ shrinks or grows with t − k (the notes' vanishing-gradient story)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import sympy

from .engine.structured import step_jacobian
from .numeric import reference
from .spec import RNNSpec
from .unroll import unroll

INITIALISATIONS = ("normal", "scaled", "identity", "orthogonal")
# The notes' story: tanh with N(0,1) weights, the same scaled, ReLU with identity init (Solution II),
# sigmoid, and the linear orthogonal case where nothing shrinks.
DEFAULT_CONFIGURATIONS = (("tanh", "normal"), ("tanh", "scaled"), ("relu", "identity"), ("sigmoid", "scaled"),
                          ("identity", "orthogonal"))


def recurrent_matrix(initialisation: str, n: int, rng: np.random.Generator) -> np.ndarray:
    """U drawn as the notes discuss: N(0, 1) entries, N(0, 1/n), the identity (Solution II), or orthogonal."""
    if initialisation == "normal":
        return rng.standard_normal((n, n))
    if initialisation == "scaled":
        return rng.standard_normal((n, n)) / np.sqrt(n)
    if initialisation == "identity":
        return np.eye(n)
    if initialisation == "orthogonal":
        q, r = np.linalg.qr(rng.standard_normal((n, n)))
        return q * np.sign(np.diag(r))
    raise ValueError(f"unknown initialisation {initialisation!r}; choose one of {', '.join(INITIALISATIONS)}")


def compiled_step(activation: str, n: int) -> Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]:
    """``(U, u_t, s_t) -> ∂s_t/∂s_{t-1}``, lambdified from the symbolic step Jacobian diag(f'(u_t)) U."""
    graph = unroll(RNNSpec(z=1, e=1, n=n, m=1, activation=activation, bias=False))
    jacobian = step_jacobian(graph, 1)
    arguments = [list(graph.parameters["U"]), list(graph.symbols("u", 1)), list(graph.symbols("s", 1))]
    function = sympy.lambdify(arguments, jacobian, modules="numpy")
    return lambda U, u_t, s_t: np.asarray(function(U.ravel(), u_t, s_t), dtype=float)


@dataclass(frozen=True)
class GradientFlow:
    """Spectral norms of ``∂s_t/∂s_0`` for t = 1..z over random draws (rows: samples, columns: t)."""

    activation: str
    initialisation: str
    n: int
    norms: np.ndarray

    @property
    def median(self) -> np.ndarray:
        return np.median(self.norms, axis=0)

    @property
    def label(self) -> str:
        return f"{self.activation}, U {self.initialisation}"

    def as_json(self) -> dict:
        return {"activation": self.activation, "initialisation": self.initialisation, "n": self.n,
                "median_norm": [float(v) for v in self.median]}


def gradient_flow(*, activation: str = "tanh", initialisation: str = "normal", n: int = 8, z: int = 40,
                  samples: int = 16, seed: int = 0) -> GradientFlow:
    """Run random sequences forward and multiply the step Jacobians: ``∂s_t/∂s_0 = Π_m diag(f'(u_m)) U``.

    Args:
        activation: tanh, sigmoid, relu or identity.
        initialisation: how U is drawn (see :func:`recurrent_matrix`); W ~ N(0, 1/n), inputs ~ N(0, 1).
        n: state size (e = n).
        z: sequence length.
        samples: independent draws of U, W and the inputs.
        seed: random seed.
    """
    RNNSpec(z=z, e=n, n=n, activation=activation)  # validates the sizes and the activation name
    if isinstance(samples, bool) or not isinstance(samples, int) or samples < 1:
        raise ValueError(f"samples must be a positive integer, got {samples!r}")
    rng = np.random.default_rng(seed)
    step = compiled_step(activation, n)
    f = reference.ACTIVATIONS[activation][0]
    norms = np.empty((samples, z))
    for sample in range(samples):
        U = recurrent_matrix(initialisation, n, rng)
        W = rng.standard_normal((n, n)) / np.sqrt(n)
        s, product = np.zeros(n), np.eye(n)
        for t in range(z):
            u = W @ rng.standard_normal(n) + U @ s
            s = f(u)
            product = step(U, u, s) @ product
            norms[sample, t] = np.linalg.norm(product, 2)
    return GradientFlow(activation, initialisation, n, norms)


def plot(flows: list[GradientFlow], path: str) -> None:
    """A semilog plot of the median ‖∂s_t/∂s_0‖ against t, written as PNG or PDF (by the suffix)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError("plots need matplotlib: pip install 'symrnn[plot]'") from None
    figure, axes = plt.subplots(figsize=(6.4, 4.0))
    for flow in flows:
        t = np.arange(1, flow.norms.shape[1] + 1)
        # Exact zeros (every ReLU unit dead at some step) cannot be drawn on a log axis: leave gaps.
        visible = np.where(flow.norms > 0, flow.norms, np.nan)
        low, high = np.nanpercentile(visible, [25, 75], axis=0) if np.isfinite(visible).any() else (t * np.nan,) * 2
        median = np.where(flow.median > 0, flow.median, np.nan)
        axes.semilogy(t, median, label=flow.label + (" (reaches exactly 0)" if (flow.median == 0).any() else ""))
        axes.fill_between(t, low, high, alpha=0.2)
    axes.set_xlabel("t (steps back to s_0)")
    axes.set_ylabel(r"$\|\partial s_t / \partial s_0\|_2$ (median, quartiles)")
    axes.set_title(f"Gradient flow through time, n = {flows[0].n}")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(fontsize="small")
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)
