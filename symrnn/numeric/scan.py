"""Scan form for any z: one step and its vector-Jacobian product compiled from the symbols, looped numerically."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy
from sympy.utilities.lambdify import lambdify

from ..engine.fast import nest_in_symengine, symengine_available, to_symengine
from ..engine.step import step_program
from ..spec import RNNSpec
from .arrays import validate_call
from .base import CompiledRNN, overflow_error


def _kernel(
    inputs: list[sympy.Symbol], definitions: dict, outputs: list[sympy.Expr]
) -> Callable[[np.ndarray], np.ndarray]:
    """``rows (B, N) -> (B, K)``: SymEngine LLVM when installed, else a lambdified NumPy function.

    ``outputs`` may read the named ``definitions`` (in order); both compilers keep them as common
    subexpressions instead of nesting them.
    """
    if symengine_available():
        import symengine as se

        nested = nest_in_symengine(definitions, outputs)
        function = se.Lambdify([to_symengine(v) for v in inputs], nested, backend="llvm", cse=True)
        size = len(outputs)

        def run(rows: np.ndarray) -> np.ndarray:
            if rows.shape[0] == 1:
                out = np.empty((1, size))
                function.unsafe_real(rows[0], out[0])
                return out
            return function(rows)

        return run
    used = _needed(definitions, outputs)
    function = lambdify(
        [inputs],
        outputs,
        modules="numpy",
        docstring_limit=0,
        cse=lambda expressions: (used, list(expressions)),
    )

    def run_numpy(rows: np.ndarray) -> np.ndarray:
        values = np.broadcast_arrays(
            *[np.asarray(v, dtype=np.float64) for v in function(list(rows.T))], np.empty(rows.shape[0])
        )[:-1]
        return np.stack(values, axis=-1)

    return run_numpy


def _needed(definitions: dict, outputs: list[sympy.Expr]) -> list[tuple[sympy.Symbol, sympy.Expr]]:
    """The definitions that the outputs read, directly or not, in order."""
    needed = set().union(*(entry.free_symbols for entry in outputs))
    for symbol in reversed(list(definitions)):
        if symbol in needed:
            needed |= definitions[symbol].free_symbols
    return [(symbol, expression) for symbol, expression in definitions.items() if symbol in needed]


@dataclass(frozen=True, eq=False, repr=False)
class ScanCompiled(CompiledRNN):
    """``fn(params, xs, ys, s0=None)`` for any sequence length: the compiled step run over t = 1..z."""

    forward_step: Callable | None = None
    backward_step: Callable | None = None

    def evaluate(self, params: Mapping[str, Any], xs: Any, ys: Any, s0: Any = None) -> tuple[Any, dict, bool]:
        arrays, xs_b, ys_b, s0_b, batched = validate_call(self.spec, params, xs, ys, s0, any_length=True)
        with np.errstate(over="raise", invalid="raise"):
            try:
                J, grads = self._scan(arrays, xs_b, ys_b, s0_b)
            except FloatingPointError as error:
                raise overflow_error(str(error)) from None
        if not np.all(np.isfinite(J)):
            raise overflow_error("a non-finite loss")
        if not batched:
            return float(J[0]), {name: value[0] for name, value in grads.items()}, False
        return J, grads, True

    def _scan(self, arrays: dict, xs: np.ndarray, ys: np.ndarray, s0: np.ndarray) -> tuple[np.ndarray, dict]:
        spec, (B, z, e), S, m = self.spec, xs.shape, self.spec.state_size, self.spec.m
        parameters = np.concatenate([value.ravel() for value in arrays.values()])
        P = parameters.size
        rows = np.empty((B, P + S + e + m + S))  # one buffer: params | state_{t-1} | x_t | y_t | adjoint_t
        rows[:, :P] = parameters
        state = np.empty((z + 1, B, S))
        state[0] = s0
        forward_columns = P + S + e
        for t in range(z):  # forward scan: state_t = step(state_{t-1}, x_t)
            rows[:, P : P + S] = state[t]
            rows[:, P + S : forward_columns] = xs[:, t]
            state[t + 1] = self.forward_step(rows[:, :forward_columns])
        J, totals = np.zeros(B), np.zeros((B, P))
        rows[:, -S:] = 0.0  # nothing follows the last step
        for t in range(z - 1, -1, -1):  # reverse scan with the step's VJP
            rows[:, P : P + S] = state[t]
            rows[:, P + S : forward_columns] = xs[:, t]
            rows[:, forward_columns : forward_columns + m] = ys[:, t]
            out = self.backward_step(rows)
            J += out[:, 0]
            rows[:, -S:] = out[:, 1 : 1 + S]
            totals += out[:, 1 + S :]
        grads, position = {}, 0
        for name, value in arrays.items():
            grads[name] = totals[:, position : position + value.size].reshape((B, *value.shape))
            position += value.size
        if spec.initial_state_parameter:
            grads["s0"] = rows[:, -S:].copy()  # ∂J/∂state_0
        return J, grads


def compile_scan(spec: RNNSpec, *, reduce: str = "none") -> ScanCompiled:
    """Compile one step of ``spec`` and its VJP; the returned function runs any sequence length."""
    program = step_program(spec, numeric=True)
    forward_step = _kernel(program.forward_inputs, program.definitions, program.named_forward_outputs)
    backward_step = _kernel(program.backward_inputs, program.definitions, program.named_backward_outputs)
    return ScanCompiled(spec, forward_step, "", "scan", reduce, forward_step, backward_step)
