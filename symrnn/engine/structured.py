"""The notes' structured view of any cell: step Jacobians, their products and the (t, k) terms of Eqs. (9), (16)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sympy

from ..unroll import Graph
from .adjoint import Gradients, backward
from .service import Quantity, derivative, shape_of

__all__ = [
    "Gradients",
    "Term",
    "backward",
    "bptt_terms",
    "gradient_from_terms",
    "jacobian_product",
    "step_jacobian",
]


def _state(graph: Graph) -> str:
    states = graph.spec.state_names
    if len(states) != 1:
        raise ValueError(
            f"the {graph.spec.cell_name} cell carries several states {states}: "
            "ask the derivative service for each block"
        )
    return states[0]


def step_jacobian(graph: Graph, m: int) -> sympy.Matrix:
    """``∂s_m/∂s_{m-1}`` with the previous state's own inputs held fixed (``diag(f'(u_m)) U`` for the notes' cell)."""
    state = _state(graph)
    return sympy.Matrix(
        derivative(graph, Quantity(state, m), Quantity(state, m - 1), immediate=True).tolist()
    )


def jacobian_product(graph: Graph, t: int, k: int) -> sympy.Matrix:
    """``∂s_t/∂s_k = Π_{m=k+1}^{t} ∂s_m/∂s_{m-1}`` (Eq. 17), the later factors on the left; I for k = t."""
    if not 0 <= k <= t <= graph.spec.z:
        raise ValueError(f"need 0 <= k <= t <= z, got t={t}, k={k}, z={graph.spec.z}")
    product = sympy.eye(graph.spec.n)
    for m in range(t, k, -1):
        product = product * step_jacobian(graph, m)
    return product


@dataclass(frozen=True)
class Term:
    """One (t, k) term of ``∂J/∂P = Σ_t Σ_k ∂J_t/∂ŷ_t · ∂ŷ_t/∂s_t · ∂s_t/∂s_k · ∂⁺s_k/∂P`` (Eqs. 9, 16).

    ``value`` has the parameter's shape; ``factors`` are the four tensors in that order.
    """

    parameter: str
    t: int
    k: int
    factors: tuple[np.ndarray, ...]
    value: np.ndarray


def bptt_terms(graph: Graph, parameter: str) -> list[Term]:
    """Every non-trivially-present (t, k) term of the gradient of J with respect to ``parameter``.

    For the output layer (V, c) the state does not depend on the parameter, so each J_t contributes
    one term ``∂J_t/∂ŷ_t · ∂⁺ŷ_t/∂P`` with k = t (Eq. 12). For the cell's parameters the k range is
    1..t (the k = 0 term of the notes vanishes, since s_0 does not depend on the weights).
    """
    state, z, terms = _state(graph), graph.spec.z, []
    P = Quantity(parameter)
    for t in range(1, z + 1):
        dJ_dyhat = derivative(graph, Quantity("J", t), Quantity("yhat", t), immediate=True)
        if parameter in ("V", "c"):
            dyhat_dP = derivative(graph, Quantity("yhat", t), P, immediate=True)
            value = np.tensordot(dJ_dyhat, dyhat_dP, axes=1)
            terms.append(Term(parameter, t, t, (dJ_dyhat, dyhat_dP), value))
            continue
        dyhat_ds = derivative(graph, Quantity("yhat", t), Quantity(state, t), immediate=True)
        for k in range(1, t + 1):
            ds_ds = np.array(jacobian_product(graph, t, k).tolist(), dtype=object)
            ds_dP = derivative(graph, Quantity(state, k), P, immediate=True)
            value = np.tensordot(
                np.tensordot(np.tensordot(dJ_dyhat, dyhat_ds, axes=1), ds_ds, axes=1), ds_dP, axes=1
            )
            terms.append(Term(parameter, t, k, (dJ_dyhat, dyhat_ds, ds_ds, ds_dP), value))
    return terms


def gradient_from_terms(graph: Graph, parameter: str) -> np.ndarray:
    """Σ of :func:`bptt_terms`: the notes' double sum evaluated exactly (for cross-checks)."""
    result = np.full(shape_of(graph, Quantity(parameter)), sympy.Integer(0), dtype=object)
    for term in bptt_terms(graph, parameter):
        result = result + term.value
    return result
