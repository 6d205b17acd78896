"""Truncated BPTT derived symbolically: keep the (t, k) terms with t − k < τ; the rest is the exact error."""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy
from sympy.utilities.lambdify import lambdify

from .engine.adjoint import Gradients
from .engine.service import Quantity, derivative, shape_of
from .numeric.arrays import validate_call
from .numeric.base import CompiledRNN, overflow_error
from .numeric.unrolled import UnrolledCompiled, program
from .spec import RNNSpec
from .unroll import Graph, unroll

PARTS = ("kept", "dropped")


def truncation_of(spec: RNNSpec, truncation: int | None) -> int | None:
    """The truncation length τ: the argument, else ``spec.truncation`` (once specs carry it), else None.

    Raises:
        ValueError: τ is not a positive integer.
    """
    if truncation is None:
        truncation = getattr(spec, "truncation", None)
    if truncation is None:
        return None
    if isinstance(truncation, bool) or not isinstance(truncation, (int, np.integer)) or truncation < 1:
        raise ValueError(
            f"truncation must be a positive integer number of steps (or None for full BPTT), "
            f"got {truncation!r}"
        )
    return int(truncation)


def state_role(spec: RNNSpec) -> str:
    """The one recurrent state of the cell ("s" for the vanilla cell, "h" for the GRU).

    Raises:
        ValueError: the cell carries several states (the LSTM's (h, c)); its (t, k) terms need the
            state-vector Jacobian of the engine's step program, not a single role of the graph.
    """
    names = tuple(getattr(spec, "state_names", ("s",)))
    if len(names) != 1:
        raise ValueError(
            f"truncated BPTT through the derivative service needs a cell with one state; "
            f"{getattr(spec, 'cell', 'rnn')!r} carries {', '.join(names)}"
        )
    return names[0]


@dataclass(frozen=True)
class LagTerm:
    """One (t, k) term of ``∂J/∂P``: ``∂J_t/∂s_t · ∂s_t/∂s_k · ∂⁺s_k/∂P`` (Eqs. 9, 16), plus, for k = t,
    the output layer's own ``∂⁺J_t/∂P`` (V and c). ``value`` has the parameter's shape."""

    parameter: str
    t: int
    k: int
    value: np.ndarray

    @property
    def lag(self) -> int:
        return self.t - self.k


def _is_zero(tensor: np.ndarray) -> bool:
    return all(entry == 0 for entry in np.asarray(tensor, dtype=object).ravel())


def lag_terms(
    graph: Graph, parameter: str, *, chains: dict[sympy.Symbol, sympy.Expr] | None = None
) -> list[LagTerm]:
    """Every (t, k) term of the gradient of J with respect to ``parameter``, each factor from the service.

    ``∂J_t/∂s_t`` and the one-step Jacobians ``∂s_m/∂s_{m-1}`` are the service's *total* derivatives,
    multiplied into ``∂s_t/∂s_k`` as in Eq. (17); ``∂⁺s_k/∂P`` is its *immediate* derivative (s_{k-1}
    held fixed). Nothing here names a particular cell's equations. (Tests compare ``∂s_t/∂s_k`` with the
    service's own total derivative across several steps.)

    Args:
        chains: if given, each row vector ``∂J_t/∂s_t · ∂s_t/∂s_k`` is named by fresh symbols whose
            definitions are added to this dict in evaluation order (compiled code then stays linear
            in the number of terms instead of nesting z deep).
    """
    role = state_role(graph.spec)
    P, z, terms = Quantity(parameter), graph.spec.z, []
    rank = len(shape_of(graph, Quantity(role, 1)))
    immediate_by_k = {k: derivative(graph, Quantity(role, k), P, immediate=True) for k in range(1, z + 1)}
    recurrent = not all(_is_zero(value) for value in immediate_by_k.values())
    jacobians: dict[int, np.ndarray] = {}

    def state_jacobian(m: int) -> np.ndarray:  # ∂s_m/∂s_{m-1}, total, from the service
        if m not in jacobians:
            jacobians[m] = derivative(graph, Quantity(role, m), Quantity(role, m - 1))
        return jacobians[m]

    for t in range(1, z + 1):
        direct = derivative(graph, Quantity("J", t), P, immediate=True)  # the output layer: V, c
        # g = ∂J_t/∂s_t · ∂s_t/∂s_k from k = t down: one more service Jacobian ∂s_{k+1}/∂s_k per step (17).
        g = derivative(graph, Quantity("J", t), Quantity(role, t)) if recurrent else None
        for k in range(t, 0, -1):
            value = direct if k == t else None
            if recurrent and k < t:
                g = np.tensordot(g, state_jacobian(k + 1), axes=rank)
                if chains is not None:
                    names = [sympy.Symbol(f"chain_{parameter}_{t}_{k}_{i}", real=True) for i in range(g.size)]
                    chains.update(zip(names, g.ravel()))
                    g = np.array(names, dtype=object).reshape(g.shape)
            if recurrent and not _is_zero(immediate_by_k[k]):
                chain = np.tensordot(g, immediate_by_k[k], axes=rank)
                value = chain if value is None else value + chain
            if value is not None:
                terms.append(LagTerm(parameter, t, k, np.asarray(value, dtype=object)))
    return terms


def _as_matrix(tensor: np.ndarray) -> sympy.Matrix:
    """A parameter-shaped tensor as a Matrix: a vector becomes a column (the layout compile expects)."""
    return sympy.Matrix(tensor.reshape(tensor.shape[0], -1).tolist())


@dataclass(frozen=True, eq=False)
class TruncatedGradients:
    """The gradient of J split by lag: ``kept`` (t − k < τ, truncated BPTT) + ``dropped`` = the full gradient.

    Attributes:
        graph: the unrolled model.
        truncation: τ (None: nothing dropped).
        terms: every :class:`LagTerm` of each parameter.
        kept, dropped: per parameter, a Matrix in named intermediates shaped like the parameter
            (vectors as columns); ``dropped`` is the exact truncation error of ``kept``.
        chains: definitions of the named chain symbols (empty unless derived with ``named=True``).
    """

    graph: Graph
    truncation: int | None
    terms: dict[str, list[LagTerm]]
    kept: dict[str, sympy.Matrix]
    dropped: dict[str, sympy.Matrix]
    chains: dict[sympy.Symbol, sympy.Expr]

    def as_gradients(self, part: str = "kept") -> Gradients:
        """One part as a :class:`Gradients` mapping over the forward program (what compile reads)."""
        if part not in PARTS:
            raise ValueError(f"part must be one of {', '.join(PARTS)}, got {part!r}")
        return Gradients(
            self.graph, (), dict(self.chains), dict(self.kept if part == "kept" else self.dropped)
        )

    def compile(self, part: str = "kept") -> CompiledRNN:
        """One part compiled with the contract of :func:`symrnn.compile` (see :func:`compile_truncated`)."""
        function = _lambdify_program(self.as_gradients(part))
        return UnrolledCompiled(self.graph.spec, function, inspect.getsource(function), "numpy (truncated)")


def truncated_gradients(
    spec: RNNSpec, truncation: int | None = None, *, named: bool = False
) -> TruncatedGradients:
    """Derive truncated BPTT: ``Σ_t Σ_{k > t − τ} ∂J_t/∂s_t · ∂s_t/∂s_k · ∂⁺s_k/∂P`` for every parameter.

    Args:
        spec: the model (a cell with one state).
        truncation: τ ≥ 1, the number of steps each loss is propagated back (t − k < τ are kept);
            None takes ``spec.truncation`` when the spec has one, else keeps everything.
        named: name the chain vectors ``∂J_t/∂s_t · ∂s_t/∂s_k`` by symbols (for compiling); otherwise
            every expression is in the forward program's named intermediates only.

    Returns:
        The kept and dropped parts as expressions in the graph's named intermediates.
    """
    tau = truncation_of(spec, truncation)
    if getattr(spec, "initial_state_parameter", False):
        raise ValueError(
            "truncated BPTT with initial_state_parameter=True is not supported; build the spec without it"
        )
    graph, chains = unroll(spec), {}
    terms, kept, dropped = {}, {}, {}
    for name in spec.parameter_names:
        terms[name] = lag_terms(graph, name, chains=chains if named else None)
        zero = np.full(spec.shapes[name], sympy.Integer(0), dtype=object)
        keep, drop = zero.copy(), zero.copy()
        for term in terms[name]:
            if tau is None or term.lag < tau:
                keep = keep + term.value
            else:
                drop = drop + term.value
        kept[name], dropped[name] = _as_matrix(keep), _as_matrix(drop)
    return TruncatedGradients(graph, tau, terms, kept, dropped, chains)


def _lambdify_program(gradients: Gradients) -> Any:
    replacements, outputs = program(gradients)
    return lambdify(
        [list(gradients.graph.inputs)],
        outputs,
        modules="numpy",
        cse=lambda _: (replacements, outputs),
        docstring_limit=0,
    )


def compile_truncated(spec: RNNSpec, truncation: int | None = None, *, part: str = "kept") -> CompiledRNN:
    """Compile truncated BPTT (``part="kept"``) or its exact error (``part="dropped"``).

    Returns:
        A function with the contract of :func:`symrnn.compile`: ``J, grads = fn(params, xs, ys, s0=None)``,
        ``J`` the full loss and ``grads`` the chosen part of the gradient (batched like compile).
    """
    return truncated_gradients(spec, truncation, named=True).compile(part)


@dataclass(frozen=True, eq=False)
class LagTermFunction:
    """``terms = fn(params, xs, ys, s0=None)``: every (t, k) term as numbers, for sweeps over τ.

    ``terms[name]`` has shape ``(B, z, z, *shape)`` (index ``[b, t-1, k-1]``; zero for k > t), without
    the ``B`` axis for one unbatched sequence. Arguments as for :func:`symrnn.compile`.
    """

    spec: RNNSpec
    function: Any
    pairs: tuple[tuple[int, int], ...]

    def __call__(self, params: Mapping[str, Any], xs: Any, ys: Any, s0: Any = None) -> dict[str, np.ndarray]:
        arrays, xs_b, ys_b, s0_b, batched = validate_call(self.spec, params, xs, ys, s0)
        B, z = xs_b.shape[0], self.spec.z
        arguments: list[Any] = [value for name in arrays for value in arrays[name].ravel()]
        arguments += list(s0_b.T) + list(xs_b.reshape(B, -1).T) + list(ys_b.reshape(B, -1).T)
        with np.errstate(over="raise", invalid="raise"):
            try:
                outputs = self.function(arguments)
            except FloatingPointError as error:
                raise overflow_error(str(error)) from None
        outputs = [np.broadcast_to(np.asarray(value, dtype=np.float64), (B,)) for value in outputs[1:]]
        result, position = {}, 0
        for name in self.spec.parameter_names:
            shape = self.spec.shapes[name]
            size = int(np.prod(shape))
            array = np.zeros((B, z, z, *shape))
            for t, k in self.pairs:
                block = np.stack(outputs[position : position + size], axis=-1)
                array[:, t - 1, k - 1] = block.reshape((B, *shape))
                position += size
            result[name] = array if batched else array[0]
        return result

    def gradient(self, terms: dict[str, np.ndarray], truncation: int | None) -> dict[str, np.ndarray]:
        """Sum the terms with t − k < τ (all of them for None): truncated BPTT from the numbers."""
        z = self.spec.z
        lag = np.subtract.outer(np.arange(z), np.arange(z))
        mask = ((lag >= 0) & (lag < (z if truncation is None else truncation))).astype(float)
        result = {}
        for name, value in terms.items():
            axis = value.ndim - len(self.spec.shapes[name]) - 2  # the t axis
            kept_axes = [i for i in range(value.ndim) if i not in (axis, axis + 1)]
            result[name] = np.einsum(value, list(range(value.ndim)), mask, [axis, axis + 1], kept_axes)
        return result


def lag_term_function(spec: RNNSpec) -> LagTermFunction:
    """Compile every (t, k) term of every gradient into one batched function (one call, any τ after)."""
    graph, chains = unroll(spec), {}
    pairs = tuple((t, k) for t in range(1, spec.z + 1) for k in range(1, t + 1))
    matrices = {}
    for name in spec.parameter_names:
        zero = np.full(spec.shapes[name], sympy.Integer(0), dtype=object)
        by_pair = {(term.t, term.k): term.value for term in lag_terms(graph, name, chains=chains)}
        matrices[name] = sympy.Matrix(
            [[entry for pair in pairs for entry in by_pair.get(pair, zero).ravel()]]
        )
    function = _lambdify_program(Gradients(graph, (), chains, matrices))
    return LagTermFunction(spec, function, pairs)


def relative_truncation_error(
    spec: RNNSpec,
    params: Mapping[str, Any],
    xs: Any,
    ys: Any,
    truncations: list[int] | range,
    *,
    function: LagTermFunction | None = None,
) -> np.ndarray:
    """``‖∇_τ J − ∇J‖ / ‖∇J‖`` (all parameters as one vector) for each τ; batched data gives ``(B, len(τ))``.

    Args:
        function: a :func:`lag_term_function` of ``spec`` to reuse (compiled once per spec).
    """
    function = function or lag_term_function(spec)
    terms = function(params, xs, ys)
    batched = np.ndim(xs) == 3

    def flat(gradients: dict[str, np.ndarray]) -> np.ndarray:
        return np.concatenate(
            [np.reshape(value, (value.shape[0], -1) if batched else (-1,)) for value in gradients.values()],
            axis=-1,
        )

    full = flat(function.gradient(terms, None))
    norm = np.maximum(np.linalg.norm(full, axis=-1), np.finfo(float).tiny)
    errors = [
        np.linalg.norm(flat(function.gradient(terms, tau)) - full, axis=-1) / norm for tau in truncations
    ]
    return np.stack(errors, axis=-1)
