"""The ``numpy`` backend: the unrolled program and its adjoints lambdified into straight-line NumPy code."""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any

import numpy as np
import sympy
from sympy.utilities.lambdify import lambdify

from ..engine.adjoint import Gradients, backward
from ..spec import RNNSpec
from ..unroll import unroll
from .arrays import validate_call
from .base import CompiledRNN, overflow_error


def program(gradients: Gradients) -> tuple[list[tuple[sympy.Symbol, sympy.Expr]], list[sympy.Expr]]:
    """Straight-line code: the named intermediates, then a CSE of the outputs ``[J, ∂J/∂P entries...]``.

    The named intermediates already are the common subexpressions of the unrolled graph, so the
    generated code grows linearly in z; SymPy's ``cse`` then shares factors such as ``f'(u_t) δ_t``.
    """
    outputs = [gradients.graph.J] + [entry for name in gradients for entry in gradients[name]]
    replacements, reduced = sympy.cse(outputs, symbols=sympy.numbered_symbols("common_"), order="none")
    return list(gradients.definitions.items()) + replacements, reduced


class UnrolledCompiled(CompiledRNN):
    """Calls the lambdified program with one flat list of per-sequence columns."""

    def evaluate(self, params: Mapping[str, Any], xs: Any, ys: Any, s0: Any = None) -> tuple[Any, dict, bool]:
        arrays, xs_b, ys_b, s0_b, batched = validate_call(self.spec, params, xs, ys, s0)
        B = xs_b.shape[0]
        arguments: list[Any] = [value for name in arrays for value in arrays[name].ravel()]
        arguments += list(s0_b.T)
        arguments += list(xs_b.reshape(B, -1).T) + list(ys_b.reshape(B, -1).T)
        with np.errstate(over="raise", invalid="raise"):
            try:
                outputs = self.function(arguments)
            except FloatingPointError as error:
                raise overflow_error(str(error)) from None
        outputs = [np.broadcast_to(np.asarray(value, dtype=np.float64), (B,)) for value in outputs]
        J, position, grads = outputs[0], 1, {}
        for name in self.spec.parameter_names:
            shape = self.spec.shapes[name]
            size = int(np.prod(shape))
            grads[name] = np.stack(outputs[position : position + size], axis=-1).reshape((B, *shape))
            position += size
        if not batched:
            return float(J[0]), {name: value[0] for name, value in grads.items()}, False
        return J.copy(), grads, True


def compile_unrolled(spec: RNNSpec, *, reduce: str = "none") -> UnrolledCompiled:
    """Lambdify the engine's entry-level program of ``spec`` (its named intermediates are the CSE)."""
    graph = unroll(spec, numeric=True)
    replacements, outputs = program(backward(graph))
    function = lambdify(
        [list(graph.inputs)],
        outputs,
        modules="numpy",
        cse=lambda _: (replacements, outputs),
        docstring_limit=0,
    )
    return UnrolledCompiled(spec, function, inspect.getsource(function), "numpy", reduce)
