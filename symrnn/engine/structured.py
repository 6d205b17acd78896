"""The structured route: per-step Jacobians, their products, (t, k) terms and the δ recurrence."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Iterator

import numpy as np
import sympy

from ..algebra import matvec_transposed, sum_of_outers
from ..notation import symbol_name
from ..unroll import Graph
from .service import Quantity, activation_derivative, derivative, shape_of


def step_jacobian(graph: Graph, m: int) -> sympy.Matrix:
    """``∂s_m/∂s_{m-1} = diag(f'(u_m)) U`` (n × n)."""
    return sympy.diag(*activation_derivative(graph, m)) * graph.parameters["U"]


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

    For V and c the state does not depend on the parameter, so each J_t contributes one term
    ``∂J_t/∂ŷ_t · ∂⁺ŷ_t/∂P`` with k = t (Eq. 12). For W, U, b the k range is 1..t (the k = 0 term
    of the notes vanishes, since s_0 does not depend on the weights).
    """
    z, terms = graph.spec.z, []
    P = Quantity(parameter)
    for t in range(1, z + 1):
        dJ_dyhat = derivative(graph, Quantity("J", t), Quantity("yhat", t), immediate=True)
        if parameter in ("V", "c"):
            dyhat_dP = derivative(graph, Quantity("yhat", t), P, immediate=True)
            value = np.tensordot(dJ_dyhat, dyhat_dP, axes=1)
            terms.append(Term(parameter, t, t, (dJ_dyhat, dyhat_dP), value))
            continue
        dyhat_ds = derivative(graph, Quantity("yhat", t), Quantity("s", t), immediate=True)
        for k in range(1, t + 1):
            ds_ds = np.array(jacobian_product(graph, t, k).tolist(), dtype=object)
            ds_dP = derivative(graph, Quantity("s", k), P, immediate=True)
            value = np.tensordot(np.tensordot(np.tensordot(dJ_dyhat, dyhat_ds, axes=1), ds_ds, axes=1), ds_dP, axes=1)
            terms.append(Term(parameter, t, k, (dJ_dyhat, dyhat_ds, ds_ds, ds_dP), value))
    return terms


@dataclass(frozen=True, eq=False)
class Gradients(Mapping):
    """The gradients of J, ``{"W": Matrix, ...}``, in named intermediates (forward u, s, ŷ and the adjoints δ).

    Attributes:
        graph: the forward program.
        deltas: ``δ_t = ∂J/∂s_t`` symbol columns, index t-1 for time t.
        adjoint_definitions: each δ symbol and its definition, in evaluation order (t = z down to 1):
            ``δ_z = Vᵀ g_z``, ``δ_t = Vᵀ g_t + Uᵀ (f'(u_{t+1}) ⊙ δ_{t+1})``, ``g_t = ∂J_t/∂ŷ_t``.
        matrices: the gradient of each parameter, shaped like it (vectors as columns).
    """

    graph: Graph
    deltas: tuple[sympy.Matrix, ...]
    adjoint_definitions: dict[sympy.Symbol, sympy.Expr]
    matrices: dict[str, sympy.Matrix]

    def __getitem__(self, name: str) -> sympy.Matrix:
        return self.matrices[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.matrices)

    def __len__(self) -> int:
        return len(self.matrices)

    @property
    def definitions(self) -> dict[sympy.Symbol, sympy.Expr]:
        """The whole program: forward intermediates then adjoints, each defined by earlier ones."""
        return {**self.graph.definitions, **self.adjoint_definitions}

    def substituted(self) -> dict[str, sympy.Matrix]:
        """Every gradient in leaf symbols only (parameters, s0, xs, ys): small cases only."""
        nested = dict(self.graph.nested_definitions())
        for sym, expr in self.adjoint_definitions.items():
            nested[sym] = expr.xreplace(nested)
        return {name: matrix.xreplace(nested) for name, matrix in self.matrices.items()}


def backward(graph: Graph) -> Gradients:
    """Reverse-mode BPTT over the named intermediates: linear in z, each step O(n² + nm) entries.

    Returns:
        The :class:`Gradients` of J for every parameter of the spec (and s0 when asked for).
    """
    spec = graph.spec
    U, V = graph.parameters["U"], graph.parameters["V"]
    g = {t: sympy.Matrix(graph.loss.gradient(list(graph.symbols("yhat", t)), list(graph.symbols("y", t))))
         for t in range(1, spec.z + 1)}
    deltas = {t: sympy.Matrix([sympy.Symbol(symbol_name("delta", t, i), real=True) for i in range(spec.n)])
              for t in range(1, spec.z + 1)}
    r = {t: activation_derivative(graph, t).multiply_elementwise(deltas[t]) for t in deltas}  # ∂J/∂u_t
    definitions: dict[sympy.Symbol, sympy.Expr] = {}
    for t in range(spec.z, 0, -1):
        delta_t = matvec_transposed(V, g[t])
        if t < spec.z:
            delta_t += matvec_transposed(U, r[t + 1])
        definitions.update(zip(deltas[t], delta_t))
    steps = range(1, spec.z + 1)

    def column_total(columns) -> sympy.Matrix:
        columns = list(columns)
        return sympy.Matrix([sympy.Add(*[c[i] for c in columns]) for i in range(columns[0].rows)])

    matrices = {
        "W": sum_of_outers([(r[t], graph.symbols("x", t)) for t in steps]),
        "U": sum_of_outers([(r[t], graph.symbols("s", t - 1)) for t in steps]),
        "V": sum_of_outers([(g[t], graph.symbols("s", t)) for t in steps]),
    }
    if spec.bias:
        matrices["b"] = column_total(r[t] for t in steps)
        matrices["c"] = column_total(g[t] for t in steps)
    if spec.initial_state_parameter:
        matrices["s0"] = matvec_transposed(U, r[1])
    return Gradients(graph, tuple(deltas[t] for t in steps), definitions, matrices)


def gradient_from_terms(graph: Graph, parameter: str) -> np.ndarray:
    """Σ of :func:`bptt_terms`: the notes' double sum evaluated exactly (for cross-checks)."""
    terms = bptt_terms(graph, parameter)
    result = np.full(shape_of(graph, Quantity(parameter)), sympy.Integer(0), dtype=object)
    for term in terms:
        result = result + term.value
    return result
