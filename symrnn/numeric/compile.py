"""Lambdify the structured gradients into batched NumPy functions with a fixed argument order."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping

import numpy as np
import sympy
from sympy.utilities.lambdify import lambdify

from ..engine.structured import Gradients, backward
from ..spec import RNNSpec
from ..unroll import Graph, unroll
from .arrays import validate_call


def argument_symbols(graph: Graph) -> list[sympy.Symbol]:
    """The flat argument order: parameters (spec order, row-major), s0, xs (t, i), ys (t, i)."""
    return list(graph.inputs)


def program(gradients: Gradients) -> tuple[list[tuple[sympy.Symbol, sympy.Expr]], list[sympy.Expr]]:
    """Straight-line code: the named intermediates, then a CSE of the outputs ``[J, ∂J/∂P entries...]``.

    The named intermediates already are the common subexpressions of the unrolled graph, so the
    generated code grows linearly in z; SymPy's ``cse`` then shares factors such as ``f'(u_t) δ_t``.
    """
    outputs = [gradients.graph.J] + [entry for name in gradients for entry in gradients[name]]
    replacements, reduced = sympy.cse(outputs, symbols=sympy.numbered_symbols("common_"), order="none")
    return list(gradients.definitions.items()) + replacements, reduced


BACKENDS = ("numpy", "llvm", "matrix", "scan", "auto", "loop")


def overflow_error(detail: str) -> ValueError:
    """The one error every backend raises when float64 evaluation overflows."""
    return ValueError(f"floating-point overflow while evaluating the compiled RNN ({detail}); "
                      "scale the inputs or parameters down")


@dataclass(frozen=True, eq=False)
class CompiledRNN:
    """``J, grads = fn(params, xs, ys, s0=None)`` for one spec (DESIGN.md shapes and batch rule).

    Attributes:
        spec: the model.
        function: the lambdified straight-line program, one flat list argument.
        source: its generated Python source.
    """

    spec: RNNSpec
    function: Callable
    source: str
    backend: str = "numpy"

    def __call__(self, params: Mapping[str, Any], xs: Any, ys: Any, s0: Any = None) -> tuple[Any, dict[str, np.ndarray]]:
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
            grads[name] = np.stack(outputs[position:position + size], axis=-1).reshape((B, *shape))
            position += size
        if not batched:
            return float(J[0]), {name: value[0] for name, value in grads.items()}
        return J.copy(), grads


def compile_spec(spec: RNNSpec, *, backend: str = "numpy") -> CompiledRNN:
    """Compile the loss and every gradient of ``spec`` into one batched function.

    Args:
        spec: the model.
        backend: ``"numpy"`` (lambdified unrolled program, always available), ``"llvm"`` (the same
            program as machine code through SymEngine: ``pip install symrnn[fast]``), ``"matrix"``
            (matmuls over the batch from the structured derivation), ``"scan"`` (one step compiled from
            the symbols, the recurrence run numerically: any z), or ``"auto"`` (LLVM for small programs
            and batches when installed, matrix otherwise).

    Returns:
        A :class:`CompiledRNN`; call it as ``J, grads = fn(params, xs, ys, s0=None)``.

    Raises:
        SymRNNError: the chosen backend's optional dependency is missing.
    """
    if not isinstance(spec, RNNSpec):
        raise TypeError(f"compile expects an RNNSpec, got {type(spec).__name__}")
    if not isinstance(backend, str) or backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    if backend != "numpy":
        from . import backends, loop, scan

        builders = {"llvm": backends.compile_llvm, "matrix": backends.compile_matrix_backend,
                    "auto": backends.compile_auto, "scan": scan.compile_scan, "loop": loop.compile_loop}
        return builders[backend](spec)
    graph = unroll(spec, numeric=True)
    gradients = backward(graph)
    replacements, outputs = program(gradients)
    function = lambdify([argument_symbols(graph)], outputs, modules="numpy", cse=lambda _: (replacements, outputs),
                        docstring_limit=0)
    import inspect

    return CompiledRNN(spec, function, inspect.getsource(function))
