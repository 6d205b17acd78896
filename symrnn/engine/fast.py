"""SymEngine derivation route: the unrolled program and its reverse-mode adjoints built with symengine."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy

from ..errors import SymRNNError
from ..notation import parse_symbol_name, symbol_name
from ..spec import RNNSpec
from .step import StepProgram, step_program

INSTALL_HINT = "pip install symrnn[fast]"
AUTO_SIZE = 64  # auto uses SymEngine from z·n² of this many scalar entries on (SymPy is fine below)


def require_symengine() -> Any:
    """Import symengine, or raise a one-line SymRNNError saying how to install it."""
    try:
        import symengine
    except ImportError:
        raise SymRNNError(
            f"the SymEngine route needs the optional dependency symengine: {INSTALL_HINT}"
        ) from None
    return symengine


def to_symengine(expression: sympy.Basic) -> Any:
    """A SymPy object as SymEngine's; refuses text, which ``symengine.sympify`` would parse."""
    if not isinstance(expression, sympy.Basic):
        raise TypeError(f"expected a SymPy expression, got {type(expression).__name__}")
    import symengine

    return symengine.sympify(expression)


def to_sympy(expression: Any) -> sympy.Basic:
    """A SymEngine object (or number) back as SymPy's, never from text."""
    return sympy.sympify(expression, strict=True)


def symengine_available() -> bool:
    """Whether the optional ``fast`` extra (symengine) is installed."""
    try:
        import symengine  # noqa: F401
    except ImportError:
        return False
    return True


def use_symengine(spec: RNNSpec, engine: str = "auto") -> bool:
    """Resolve ``engine`` ("sympy", "symengine" or "auto": SymEngine when installed and the case is big)."""
    if engine not in ("sympy", "symengine", "auto"):
        raise ValueError(f"unknown engine {engine!r}; choose sympy, symengine or auto")
    if engine == "auto":
        return symengine_available() and spec.z * spec.n * spec.n >= AUTO_SIZE
    if engine == "symengine":
        require_symengine()
    return engine == "symengine"


@dataclass(frozen=True, eq=False)
class FastGradients:
    """The gradients of J in SymEngine objects, over named intermediates (as :class:`Gradients`).

    Attributes:
        spec: the model.
        inputs: the leaf symbols in the fixed argument order (parameters, s0, xs, ys), as in ``Graph.inputs``.
        definitions: every intermediate (u, s, ŷ, J_t, then the adjoints δ) and its expression, in order.
        J: the total loss (a sum of J_t symbols).
        matrices: parameter name -> flat row-major list of gradient entries.
    """

    spec: RNNSpec
    inputs: tuple[Any, ...]
    definitions: dict[Any, Any]
    J: Any
    matrices: dict[str, list[Any]]

    def nested(self) -> tuple[Any, list[Any]]:
        """``(J, entries)`` in leaf symbols only: a shared DAG, linear in size (each definition substituted once)."""
        values: dict[Any, Any] = {}

        def substitute(expression: Any) -> Any:
            # Pass only the symbols that occur: converting the whole dict per call would be quadratic.
            needed = {symbol: values[symbol] for symbol in expression.free_symbols if symbol in values}
            return expression.xreplace(needed) if needed else expression

        for symbol, expression in self.definitions.items():
            values[symbol] = substitute(expression)
        outputs = [substitute(entry) for name in self.matrices for entry in self.matrices[name]]
        return substitute(self.J), outputs

    def to_sympy(self) -> dict[str, sympy.Matrix]:
        """The gradients (in named intermediates) as SymPy matrices shaped like each parameter."""
        shapes = self.spec.shapes
        result = {}
        for name, entries in self.matrices.items():
            shape = shapes[name]
            rows, columns = (shape[0], shape[1]) if len(shape) == 2 else (shape[0], 1)
            result[name] = sympy.Matrix(rows, columns, [to_sympy(entry) for entry in entries])
        return result

    def sympy_definitions(self) -> dict[sympy.Symbol, sympy.Expr]:
        """The definitions as SymPy objects (converted object by object, never through strings)."""
        return {to_sympy(symbol): to_sympy(expression) for symbol, expression in self.definitions.items()}


def nest_in_symengine(definitions: dict[sympy.Symbol, sympy.Expr], outputs: list[sympy.Expr]) -> list[Any]:
    """``outputs`` with the named ``definitions`` substituted, built in SymEngine (a shared DAG, linear in size)."""
    values: dict[Any, Any] = {}
    converted = [
        (to_symengine(symbol), to_symengine(expression)) for symbol, expression in definitions.items()
    ]
    for symbol, expression in converted:
        needed = {s: values[s] for s in expression.free_symbols if s in values}
        values[symbol] = expression.xreplace(needed) if needed else expression
    result = []
    for entry in outputs:
        entry = to_symengine(entry)
        needed = {s: values[s] for s in entry.free_symbols if s in values}
        result.append(entry.xreplace(needed) if needed else entry)
    return result


def _renamer(program: StepProgram) -> Callable[[int, int], dict[Any, Any]]:
    """``rename(t, z)``: step symbols (time 1, previous state at time 0) as SymEngine symbols of time ``t``.

    Parameters keep their names; the future adjoint ``∂J_{>t}/∂state_t`` becomes ``future_h_t_i`` (0 at t = z).
    """
    se = require_symengine()
    symbols = set().union(*(expression.free_symbols for expression in program.definitions.values()))
    symbols |= set(program.definitions) | set(program.state_prev) | set(program.x) | set(program.y)
    symbols |= set().union(*(entry.free_symbols for entry in program.named_backward_outputs))
    timed = []
    for symbol in symbols - set(program.parameters) - set(program.adjoint):
        role, indices = parse_symbol_name(symbol.name)
        timed.append((se.Symbol(symbol.name), role, indices[0], indices[1:]))  # time first: x_1_i, a_1_i, J_1
    future = [(se.Symbol(symbol.name), *parse_symbol_name(symbol.name)) for symbol in program.adjoint]

    def rename(t: int, z: int) -> dict[Any, Any]:
        mapping = {
            symbol: se.Symbol(symbol_name(role, time + t - 1, *rest)) for symbol, role, time, rest in timed
        }
        for symbol, role, (i,) in future:
            mapping[symbol] = se.Integer(0) if t == z else se.Symbol(symbol_name(role, t, i))
        return mapping

    return rename


def backward_fast(spec: RNNSpec, *, numeric: bool = True) -> FastGradients:
    """Reverse-mode BPTT of any cell in SymEngine: the engine's step program, renamed for every t.

    The entry-level engine derives one step and its VJP once (in SymPy); each time step is that
    program with its symbols renamed, built in SymEngine, so the program stays linear in z and the
    adjoints ``∂J/∂state_t`` are named symbols.

    Args:
        spec: the model.
        numeric: use the overflow-free loss (as compiled code does).

    Returns:
        The :class:`FastGradients`.
    """
    se = require_symengine()
    program = step_program(spec, numeric=numeric)
    z, rename = spec.z, _renamer(program)
    # Everything a step renames, packed as the arguments of one undefined function: one xreplace per step
    # (SymEngine converts the mapping on every call, for a matrix on every entry: O(entries × mapping)).
    column = [*program.definitions, *program.definitions.values(), *program.named_backward_outputs]
    column = se.Function("symrnn_pack")(*[to_symengine(entry) for entry in column])
    D, F, S = len(program.definitions), program.forward_count, len(program.state_prev)
    names = [name for name in spec.parameter_names if name != "s0"]
    sizes = [int(np.prod(spec.shapes[name])) for name in names]
    # Evaluation order: the forward steps t = 1..z, then for t = z..1 the future adjoint of step t
    # (step t+1's previous-state gradient) followed by step t's own adjoints.
    forward: dict[Any, Any] = {}
    backward: list[list[tuple[Any, Any]]] = [[] for _ in range(z + 1)]
    totals: list[list[Any]] = [[] for _ in range(sum(sizes))]
    J_symbols = []
    for t in range(1, z + 1):
        entries = column.xreplace(rename(t, z)).args
        forward.update(zip(entries[:F], entries[D : D + F]))
        backward[t] += list(zip(entries[F:D], entries[D + F : 2 * D]))
        renamed = entries[2 * D :]
        J_symbols.append(renamed[0])
        previous = renamed[1 : 1 + S]
        if t == 1:
            initial_gradient = previous  # ∂J/∂state_0
        else:  # ∂J_{>t-1}/∂state_{t-1}, read by step t - 1 as its future adjoint
            for adjoint, expression in zip(program.adjoint, previous):
                role, (i,) = parse_symbol_name(adjoint.name)
                backward[t - 1].insert(0, (se.Symbol(symbol_name(role, t - 1, i)), expression))
        for k, entry in enumerate(renamed[1 + S :]):
            totals[k].append(entry)
    matrices, position = {}, 0
    for name, size in zip(names, sizes):
        matrices[name] = [se.Add(*totals[position + k]) for k in range(size)]
        position += size
    if spec.initial_state_parameter:
        matrices["s0"] = initial_gradient
    # Leaves in the order of Graph.inputs: parameters, initial states, then every x_t, then every y_t.
    leaves = [to_symengine(symbol) for symbol in program.parameters + program.state_prev]
    for inputs in (program.x, program.y):
        leaves += [se.Symbol(_at(symbol.name, t)) for t in range(1, z + 1) for symbol in inputs]
    definitions = dict(forward)
    for t in range(z, 0, -1):
        definitions.update(backward[t])
    return FastGradients(spec, tuple(leaves), definitions, se.Add(*J_symbols), matrices)


def _at(name: str, t: int) -> str:
    role, (time, *rest) = parse_symbol_name(name)
    return symbol_name(role, time + t - 1, *rest)
