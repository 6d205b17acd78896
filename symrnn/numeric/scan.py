"""Scan form for any z: one step and its vector-Jacobian product compiled from the symbols, looped numerically."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping

import numpy as np
import sympy
from sympy.utilities.lambdify import lambdify

from ..activations import activation_rule
from ..engine.fast import symengine_available, to_symengine
from ..losses import loss_rule
from ..notation import symbol_name
from ..spec import RNNSpec
from .arrays import validate_call
from .compile import CompiledRNN, overflow_error


def _column(role: str, length: int, *time: int) -> list[sympy.Symbol]:
    return [sympy.Symbol(symbol_name(role, *time, i), real=True) for i in range(length)]


def _matrix(role: str, rows: int, columns: int) -> list[list[sympy.Symbol]]:
    return [[sympy.Symbol(symbol_name(role, i, j), real=True) for j in range(columns)] for i in range(rows)]


@dataclass(frozen=True)
class StepProgram:
    """One step in symbols. ``forward``: (params, s_{t-1}, x_t) -> s_t. ``backward``: (params, s_{t-1},
    x_t, y_t, a_t) -> [J_t, a_{t-1}, r_t, g_t] where ``a_t = ∂J_{>t}/∂s_t`` comes from the future,
    ``r_t = ∂J/∂u_t``, ``g_t = ∂J_t/∂ŷ_t`` and ``a_{t-1} = ∂(J_t + a_t·s_t)/∂s_{t-1}`` (the step's VJP)."""

    parameters: list[sympy.Symbol]
    forward_inputs: list[sympy.Symbol]
    forward_outputs: list[sympy.Expr]
    backward_inputs: list[sympy.Symbol]
    backward_outputs: list[sympy.Expr]


def step_program(spec: RNNSpec) -> StepProgram:
    """Differentiate one step of ``spec`` symbolically (``sympy.diff`` through the step's local Jacobians)."""
    e, n, m = spec.e, spec.n, spec.m
    activation, loss = activation_rule(spec.activation), loss_rule(spec.loss, numeric=True)
    W, U, V = _matrix("W", n, e), _matrix("U", n, n), _matrix("V", m, n)
    b, c = (_column("b", n), _column("c", m)) if spec.bias else ([0] * n, [0] * m)
    s_prev, x, y, a = _column("s", n, 0), _column("x", e, 1), _column("y", m, 1), _column("delta", n, 1)
    u = _column("u", n, 1)
    u_of_s = [sum((W[i][j] * x[j] for j in range(e)), b[i]) + sum(U[i][j] * s_prev[j] for j in range(n))
              for i in range(n)]
    s = [activation.function(u_i) for u_i in u]
    yhat = [sum((V[i][j] * s[j] for j in range(n)), c[i]) for i in range(m)]
    g = loss.gradient(yhat, y)  # ∂J_t/∂ŷ_t from the loss table (the shifted softmax has no derivative of max)
    G = _column("yhat", m, 1)  # stand-ins for g while differentiating through ŷ_t = V s_t + c
    linear = sum(a_i * s_i for a_i, s_i in zip(a, s)) + sum(G_k * yhat_k for G_k, yhat_k in zip(G, yhat))
    r = [sympy.diff(linear, u_i).xreplace(dict(zip(G, g))) for u_i in u]
    R = _column("u", n, 2)  # stand-ins for r while differentiating u_t with respect to s_{t-1}
    a_prev = [sympy.diff(sum(R_i * u_i for R_i, u_i in zip(R, u_of_s)), s_j).xreplace(dict(zip(R, r)))
              for s_j in s_prev]
    binding = dict(zip(u, u_of_s))
    parameters = [entry for row in W + U + V for entry in row] + (b + c if spec.bias else [])
    J_t = loss.value(yhat, y)
    backward = [expression.xreplace(binding) for expression in (J_t, *a_prev, *r, *g)]
    forward = [s_i.xreplace(binding) for s_i in s]
    return StepProgram(parameters, parameters + s_prev + x, forward, parameters + s_prev + x + y + a, backward)


def _kernel(inputs: list[sympy.Symbol], outputs: list[sympy.Expr]) -> Callable[[np.ndarray], np.ndarray]:
    """``rows (B, N) -> (B, K)``: SymEngine LLVM when installed, else a lambdified NumPy function."""
    if symengine_available():
        import symengine as se

        function = se.Lambdify([to_symengine(v) for v in inputs], [to_symengine(o) for o in outputs],
                               backend="llvm", cse=True)
        size = len(outputs)

        def run(rows: np.ndarray) -> np.ndarray:
            if rows.shape[0] == 1:
                out = np.empty((1, size))
                function.unsafe_real(rows[0], out[0])
                return out
            return function(rows)
        return run
    function = lambdify([inputs], outputs, modules="numpy", cse=True, docstring_limit=0)

    def run_numpy(rows: np.ndarray) -> np.ndarray:
        values = np.broadcast_arrays(*[np.asarray(v, dtype=np.float64) for v in function(list(rows.T))],
                                     np.empty(rows.shape[0]))[:-1]
        return np.stack(values, axis=-1)
    return run_numpy


@dataclass(frozen=True, eq=False)
class ScanCompiled(CompiledRNN):
    """``fn(params, xs, ys, s0=None)`` for any sequence length: the compiled step run over t = 1..z."""

    forward_step: Callable | None = None
    backward_step: Callable | None = None

    def __call__(self, params: Mapping[str, Any], xs: Any, ys: Any, s0: Any = None) -> tuple[Any, dict[str, np.ndarray]]:
        arrays, xs_b, ys_b, s0_b, batched = validate_call(self.spec, params, xs, ys, s0)
        with np.errstate(over="raise", invalid="raise"):
            try:
                J, grads = self._scan(arrays, xs_b, ys_b, s0_b)
            except FloatingPointError as error:
                raise overflow_error(str(error)) from None
        if not np.all(np.isfinite(J)):
            raise overflow_error("a non-finite loss")
        if not batched:
            return float(J[0]), {name: value[0] for name, value in grads.items()}
        return J, grads

    def _scan(self, arrays: dict, xs: np.ndarray, ys: np.ndarray, s0: np.ndarray) -> tuple[np.ndarray, dict]:
        spec, (B, z, e), n, m = self.spec, xs.shape, self.spec.n, self.spec.m
        parameters = np.concatenate([value.ravel() for value in arrays.values()])
        P = parameters.size
        rows = np.empty((B, P + n + e + m + n))  # one buffer: params | s_{t-1} | x_t | y_t | a_t
        rows[:, :P] = parameters
        s = np.empty((z + 1, B, n))
        s[0] = s0
        forward_columns = P + n + e
        for t in range(z):  # forward scan: s_t = step(s_{t-1}, x_t)
            rows[:, P:P + n] = s[t]
            rows[:, P + n:forward_columns] = xs[:, t]
            s[t + 1] = self.forward_step(rows[:, :forward_columns])
        J = np.zeros(B)
        r, g = np.empty((z, B, n)), np.empty((z, B, m))
        rows[:, -n:] = 0.0  # a_z = 0: nothing follows the last step
        for t in range(z - 1, -1, -1):  # reverse scan with the step's VJP
            rows[:, P:P + n] = s[t]
            rows[:, P + n:forward_columns] = xs[:, t]
            rows[:, forward_columns:forward_columns + m] = ys[:, t]
            out = self.backward_step(rows)
            J += out[:, 0]
            rows[:, -n:] = out[:, 1:1 + n]
            r[t], g[t] = out[:, 1 + n:1 + 2 * n], out[:, 1 + 2 * n:]
        grads = {"W": np.einsum("tbi,btj->bij", r, xs), "U": np.einsum("tbi,tbj->bij", r, s[:-1]),
                 "V": np.einsum("tbi,tbj->bij", g, s[1:])}
        if spec.bias:
            grads["b"], grads["c"] = r.sum(axis=0), g.sum(axis=0)
        if spec.initial_state_parameter:
            grads["s0"] = rows[:, -n:].copy()  # a_0 = ∂J/∂s_0
        return J, grads


def compile_scan(spec: RNNSpec) -> ScanCompiled:
    """Compile one step of ``spec`` and its VJP; the returned function runs any sequence length."""
    program = step_program(spec)
    forward_step = _kernel(program.forward_inputs, program.forward_outputs)
    backward_step = _kernel(program.backward_inputs, program.backward_outputs)
    return ScanCompiled(spec, forward_step, "", "scan", forward_step, backward_step)
