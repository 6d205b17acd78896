"""SymEngine derivation route: the unrolled program and its reverse-mode adjoints built with symengine."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sympy

from ..activations import activation_rule
from ..errors import SymRNNError
from ..losses import loss_rule
from ..notation import symbol_name
from ..spec import RNNSpec

INSTALL_HINT = "pip install symrnn[fast]"
AUTO_SIZE = 64  # auto uses SymEngine from z·n² of this many scalar entries on (SymPy is fine below)


def require_symengine() -> Any:
    """Import symengine, or raise a one-line SymRNNError saying how to install it."""
    try:
        import symengine
    except ImportError:
        raise SymRNNError(f"the SymEngine route needs the optional dependency symengine: {INSTALL_HINT}") from None
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


def backward_fast(spec: RNNSpec, *, numeric: bool = True) -> FastGradients:
    """Reverse-mode BPTT of ``spec`` built in SymEngine: ``symengine.diff`` gives each local partial.

    The forward program is the one of :func:`symrnn.unroll.unroll` (same symbol names); the adjoint
    ``δ_t = ∂J/∂s_t`` of each state is a named symbol, so the program stays linear in z.

    Args:
        spec: the model.
        numeric: use the overflow-free loss (as compiled code does).

    Returns:
        The :class:`FastGradients`.
    """
    se = require_symengine()
    e, n, m, z = spec.e, spec.n, spec.m, spec.z
    activation, loss = activation_rule(spec.activation), loss_rule(spec.loss, numeric=numeric)

    def symbol(role: str, *indices: int) -> Any:
        return se.Symbol(symbol_name(role, *indices))

    # f and f' as SymEngine functions of one placeholder, converted from the SymPy rule table.
    placeholder = sympy.Symbol(symbol_name("u", 0, 0), real=True)
    f_u = to_symengine(activation.function(placeholder))
    u_symbol = to_symengine(placeholder)
    # f'(u_t) through the output s_t where the table has that form (as the structured route), else diff.
    s_placeholder = sympy.Symbol(symbol_name("s", 0, 0), real=True)
    if activation.derivative_of_output is not None:
        f_prime, prime_argument = to_symengine(activation.derivative_of_output(s_placeholder)), "s"
    else:
        f_prime, prime_argument = se.diff(f_u, u_symbol), "u"
    prime_symbol = to_symengine(s_placeholder) if prime_argument == "s" else u_symbol

    W = [[symbol("W", i, j) for j in range(e)] for i in range(n)]
    U = [[symbol("U", i, j) for j in range(n)] for i in range(n)]
    V = [[symbol("V", i, j) for j in range(n)] for i in range(m)]
    b = [symbol("b", i) for i in range(n)] if spec.bias else None
    c = [symbol("c", i) for i in range(m)] if spec.bias else None
    s = {0: [symbol("s", 0, i) for i in range(n)]}
    xs = {t: [symbol("x", t, i) for i in range(e)] for t in range(1, z + 1)}
    ys = {t: [symbol("y", t, i) for i in range(m)] for t in range(1, z + 1)}
    u, yhat, definitions = {}, {}, {}
    sympy_yhat = [sympy.Symbol(symbol_name("yhat", 0, i), real=True) for i in range(m)]
    sympy_y = [sympy.Symbol(symbol_name("y", 0, i), real=True) for i in range(m)]
    loss_value = to_symengine(loss.value(sympy_yhat, sympy_y))
    loss_gradient = [to_symengine(entry) for entry in loss.gradient(sympy_yhat, sympy_y)]
    placeholders = [to_symengine(symbol) for symbol in (*sympy_yhat, *sympy_y)]
    J_symbols, g = [], {}
    for t in range(1, z + 1):
        u[t] = [symbol("u", t, i) for i in range(n)]
        s[t] = [symbol("s", t, i) for i in range(n)]
        yhat[t] = [symbol("yhat", t, i) for i in range(m)]
        for i in range(n):
            total = se.Add(*[W[i][j] * xs[t][j] for j in range(e)], *[U[i][j] * s[t - 1][j] for j in range(n)])
            definitions[u[t][i]] = total + b[i] if b else total
        for i in range(n):
            definitions[s[t][i]] = f_u.xreplace({u_symbol: u[t][i]})
        for i in range(m):
            total = se.Add(*[V[i][j] * s[t][j] for j in range(n)])
            definitions[yhat[t][i]] = total + c[i] if c else total
        J_t = symbol("J", t)
        binding = dict(zip(placeholders, [*yhat[t], *ys[t]]))
        definitions[J_t] = loss_value.xreplace(binding)
        g[t] = [entry.xreplace(binding) for entry in loss_gradient]  # ∂J_t/∂ŷ_t from the loss table
        J_symbols.append(J_t)
    r: dict[int, list[Any]] = {}  # r_t = ∂J/∂u_t = f'(u_t) ⊙ δ_t
    for t in range(z, 0, -1):
        delta_t = [symbol("delta", t, j) for j in range(n)]
        for j in range(n):
            contributions = [V[i][j] * g[t][i] for i in range(m)]
            if t < z:
                contributions += [U[i][j] * r[t + 1][i] for i in range(n)]
            definitions[delta_t[j]] = se.Add(*contributions)
        at = s[t] if prime_argument == "s" else u[t]
        r[t] = [f_prime.xreplace({prime_symbol: at[i]}) * delta_t[i] for i in range(n)]
    steps = range(1, z + 1)
    matrices = {
        "W": [se.Add(*[r[t][i] * xs[t][j] for t in steps]) for i in range(n) for j in range(e)],
        "U": [se.Add(*[r[t][i] * s[t - 1][j] for t in steps]) for i in range(n) for j in range(n)],
        "V": [se.Add(*[g[t][i] * s[t][j] for t in steps]) for i in range(m) for j in range(n)],
    }
    if spec.bias:
        matrices["b"] = [se.Add(*[r[t][i] for t in steps]) for i in range(n)]
        matrices["c"] = [se.Add(*[g[t][i] for t in steps]) for i in range(m)]
    if spec.initial_state_parameter:
        matrices["s0"] = [se.Add(*[U[i][j] * r[1][i] for i in range(n)]) for j in range(n)]
    leaves = [entry for row in W for entry in row] + [entry for row in U for entry in row]
    leaves += [entry for row in V for entry in row] + (list(b) + list(c) if spec.bias else [])
    leaves += s[0] + [entry for t in steps for entry in xs[t]] + [entry for t in steps for entry in ys[t]]
    return FastGradients(spec, tuple(leaves), definitions, se.Add(*J_symbols), matrices)
