"""One step of any cell and its vector-Jacobian product, derived by the engine: what scan-style backends compile."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import sympy

from ..notation import symbol_name
from ..spec import RNNSpec
from ..unroll import Graph, unroll
from .adjoint import backward


@dataclass(eq=False)
class StepProgram:
    """One time step in symbols, for any cell.

    ``forward``: (parameters, state_prev, x) -> state_t. ``backward``: (parameters, state_prev, x, y,
    adjoint) -> ``[J_t, *adjoint_prev, *contributions]`` where ``adjoint = ∂J_{>t}/∂state_t`` comes
    from the future, ``adjoint_prev = ∂(J_t + adjoint · state_t)/∂state_{t-1}`` (the step's VJP), and
    ``contributions`` is this step's part of every parameter gradient, flat in ``spec.parameter_names``
    order (row-major, without s0). States are concatenated in the cell's order (h then c for the LSTM).

    Attributes:
        definitions: the step's named intermediates (forward then adjoint), for compilers that keep them;
            ``forward_outputs`` and ``backward_outputs`` are already written in the inputs only.
    """

    spec: RNNSpec
    parameters: list[sympy.Symbol]
    state_prev: list[sympy.Symbol]
    x: list[sympy.Symbol]
    y: list[sympy.Symbol]
    adjoint: list[sympy.Symbol]
    definitions: dict[sympy.Symbol, sympy.Expr]
    named_forward_outputs: list[sympy.Expr]
    named_backward_outputs: list[sympy.Expr]
    forward_count: int = 0  # the first forward_count definitions are the forward step, the rest its adjoints

    @cached_property
    def _nested(self) -> dict[sympy.Symbol, sympy.Expr]:
        nested: dict[sympy.Symbol, sympy.Expr] = {}
        for symbol, expression in self.definitions.items():
            nested[symbol] = expression.xreplace(nested)
        return nested

    @cached_property
    def forward_outputs(self) -> list[sympy.Expr]:
        """state_t in parameters, state_prev and x only (nested; SymPy, so small cells only)."""
        return [entry.xreplace(self._nested) for entry in self.named_forward_outputs]

    @cached_property
    def backward_outputs(self) -> list[sympy.Expr]:
        """``[J_t, *adjoint_prev, *contributions]`` in the backward inputs only (nested; small cells only)."""
        return [entry.xreplace(self._nested) for entry in self.named_backward_outputs]

    @property
    def forward_inputs(self) -> list[sympy.Symbol]:
        return self.parameters + self.state_prev + self.x

    @property
    def backward_inputs(self) -> list[sympy.Symbol]:
        return self.parameters + self.state_prev + self.x + self.y + self.adjoint


def one_step_graph(spec: RNNSpec, *, numeric: bool = False) -> Graph:
    """The program of a single step (z = 1) whose initial states stand for ``state_{t-1}``."""
    return unroll(spec.replace(z=1, initial_state_parameter=True, truncation=None), numeric=numeric)


def step_program(spec: RNNSpec, *, numeric: bool = True) -> StepProgram:
    """Differentiate one step of ``spec`` with the entry-level engine (the same reverse mode as ``gradients``)."""
    graph = one_step_graph(spec, numeric=numeric)
    cell = spec.cell_definition
    state_prev = [symbol for state in cell.states for symbol in graph.initial_states[state]]
    state_now = [symbol for state in cell.states for symbol in graph.symbols(state, 1)]
    adjoint = [
        sympy.Symbol(symbol_name(f"future_{state}", i), real=True)
        for state in cell.states
        for i in range(spec.n)
    ]
    gradients = backward(graph, seeds=dict(zip(state_now, adjoint)), name_every_adjoint=True)
    names = [name for name in spec.parameter_names if name != "s0"]
    parameters = [symbol for name in names for symbol in graph.parameters[name]]
    contributions = [entry for name in names for entry in gradients[name]]
    named_backward = [graph.symbols("J", 1)[0], *gradients["s0"], *contributions]
    return StepProgram(
        spec,
        parameters,
        state_prev,
        list(graph.xs[0]),
        list(graph.ys[0]),
        adjoint,
        gradients.definitions,
        state_now,
        named_backward,
        len(graph.definitions),
    )


def state_jacobian(spec: RNNSpec) -> tuple[list[sympy.Symbol], list[sympy.Expr], sympy.Matrix]:
    """``(inputs, state_t, ∂state_t/∂state_{t-1})`` of one step, in parameters, state_prev and x only."""
    graph = one_step_graph(spec)
    cell = spec.cell_definition
    state_prev = [symbol for state in cell.states for symbol in graph.initial_states[state]]
    nested = graph.nested_definitions()
    state_now = [nested[symbol] for state in cell.states for symbol in graph.symbols(state, 1)]
    names = [name for name in spec.parameter_names if name not in ("s0", "V", "c")]
    inputs = [symbol for name in names for symbol in graph.parameters[name]] + state_prev + list(graph.xs[0])
    jacobian = sympy.Matrix(state_now).jacobian(sympy.Matrix(state_prev)) if state_prev else sympy.zeros(0, 0)
    return inputs, state_now, jacobian


def state_jacobian_function(
    spec: RNNSpec,
) -> Callable[[Mapping[str, Any], Any, Any], tuple[np.ndarray, np.ndarray]]:
    """``fn(params, state_prev (S,), x (e,)) -> (state_t (S,), ∂state_t/∂state_{t-1} (S, S))`` compiled with NumPy.

    ``params`` holds the cell's parameters (V and c, if present, are ignored); S = ``spec.state_size``.
    """
    inputs, state_now, jacobian = state_jacobian(spec)
    function = sympy.lambdify([inputs], [*state_now, *jacobian], modules="numpy", cse=True, docstring_limit=0)
    names = [name for name in spec.parameter_names if name not in ("s0", "V", "c")]
    S = spec.state_size

    def evaluate(params: Mapping[str, Any], state_prev: Any, x: Any) -> tuple[np.ndarray, np.ndarray]:
        parts = [np.asarray(params[name], dtype=np.float64).ravel() for name in names]
        row = np.concatenate(
            [
                *parts,
                np.asarray(state_prev, dtype=np.float64).ravel(),
                np.asarray(x, dtype=np.float64).ravel(),
            ]
        )
        values = np.array(function(row), dtype=np.float64)
        return values[:S], values[S:].reshape(S, S)

    return evaluate
