"""The checks that equations carry: SymPy identities, and exact comparisons at a rational point."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import sympy

from ..engine.brute import nested_loss_size
from ..engine.exact import (
    EXACT_DIGITS,
    EXACT_TOLERANCE,
    exact_relative_error,
    rational_point,
)
from ..engine.service import Quantity, derivative, shape_of
from ..engine.structured import backward, step_jacobian
from ..unroll import Graph, unroll

# Brute-force work (tree nodes × scalar derivatives) one document may spend per checked quantity; larger
# cases are checked against the δ recurrence instead (see Point.reference_gradient).
DOCUMENT_BRUTE_WORK_LIMIT = 12_000
# sympy.diff slows down with the depth of the nested tree too: brute force only over the first steps.
DOCUMENT_BRUTE_HORIZON = 4


# How each route is described in a document (in words, never module names).
ROUTES = {
    "identity": "symbolic: left $-$ right simplifies to $0$",
    "brute force": "SymPy's derivative of the fully substituted expression",
    "delta recurrence": r"the $\delta$ recurrence",
    "derivative service": "the derivative through every path of the unrolled graph",
    "chain rule": "the chain rule over every later output",
    "element-wise terms": r"the sum of the $(t, k)$ terms",
    "structured": "the product of one-step Jacobians",
    "dependency": "the edges of the unrolled graph",
    "reference": "an independent NumPy implementation",
    "sampling": "random samples",
    "exact value": "SymPy, exactly",
}


@dataclass(frozen=True)
class Check:
    """The verdict of one equation's check.

    Attributes:
        method: the route compared against: "identity" (simplifies to 0 in SymPy), "brute force"
            (sympy.diff of the nested loss), "delta recurrence", "derivative service", ... (see ROUTES).
        ok: whether it passed.
        detail: what was compared, as LaTeX prose in the document's notation (valid in Markdown too).
        error: the relative error of a numeric comparison (None for a symbolic identity).
        how: how it was compared, in words.
    """

    method: str
    ok: bool
    detail: str
    error: float | None = None
    how: str = ""


def _how(method: str, exact_point: bool) -> str:
    words = " + ".join(ROUTES.get(part, part) for part in method.split(" + "))
    return f"against {words}" if exact_point else words


def identity(pairs: Iterable[tuple[sympy.Expr, sympy.Expr]], *, what: str = "") -> Check:
    """Each ``lhs − rhs`` must simplify to 0 (exponentials rewritten first). ``what`` is LaTeX prose."""
    count = 0
    for lhs, rhs in pairs:
        count += 1
        difference = sympy.sympify(lhs - rhs, strict=True).rewrite(sympy.exp)
        if difference.has(sympy.Max, sympy.Min, sympy.Piecewise):
            difference = sympy.piecewise_fold(difference.rewrite(sympy.Piecewise))
        difference = sympy.simplify(sympy.expand(difference))
        if difference != 0:
            return Check(
                "identity",
                False,
                f"{what}: left $-$ right is ${sympy.latex(difference)}$, not $0$",
                how=ROUTES["identity"],
            )
    return Check("identity", True, f"{what} ({count} case{'s' * (count != 1)})", how=ROUTES["identity"])


def compare(left: list, right: list, *, method: str, what: str) -> Check:
    """Exact comparison of two lists of EXACT_DIGITS-digit values at the document's rational point."""
    if len(left) != len(right):
        return Check(
            method, False, f"{what}: {len(left)} values against {len(right)}", how=_how(method, True)
        )
    error = float(exact_relative_error(left, right))
    ok = error <= EXACT_TOLERANCE
    return Check(method, ok, what, error=error, how=_how(method, True))


def numeric(ok: bool, *, method: str, what: str, error: float | None = None) -> Check:
    """A check computed some other way (samples, an exact value): its verdict, what, and error."""
    return Check(method, bool(ok), what, error=error, how=ROUTES.get(method, method))


def combine(checks: Iterable[Check]) -> Check:
    """One check from several: passes when all pass; the first failure explains; the error is the largest."""
    checks = list(checks)
    failed = [check for check in checks if not check.ok]
    methods = " + ".join(dict.fromkeys(check.method for check in checks))
    hows = "; ".join(dict.fromkeys(check.how for check in checks))
    errors = [check.error for check in checks if check.error is not None]
    error = max(errors) if errors else None
    if failed:
        return Check(methods, False, failed[0].detail, error=error, how=hows)
    details = list(dict.fromkeys(check.detail for check in checks))
    if len(details) == 1:
        return Check(methods, True, details[0], error=error, how=hows)
    return Check(
        methods,
        True,
        details[0] + f"; and {len(details) - 1} more comparison{'s' * (len(details) > 2)}",
        error=error,
        how=hows,
    )


class Point:
    """The graph evaluated at one rational point: leaves exact, intermediates to EXACT_DIGITS digits."""

    def __init__(self, graph: Graph, *, seed: int = 0) -> None:
        self.graph = graph
        self.leaves = {
            sym: sympy.Float(value, EXACT_DIGITS) for sym, value in rational_point(graph, seed).items()
        }
        self.values = dict(self.leaves)
        self._chains: dict[tuple[str, int], np.ndarray] = {}
        self._cache: dict[tuple, np.ndarray] = {}
        self._prefixes: dict[int, dict[str, np.ndarray]] = {}
        for sym, expression in graph.definitions.items():
            self.values[sym] = sympy.N(expression.xreplace(self.values), EXACT_DIGITS)

    def evaluate(self, tensor: np.ndarray | sympy.Matrix | sympy.Expr) -> np.ndarray:
        """Numeric values (object array of Floats) of an expression in leaves and named intermediates."""
        array = np.asarray(tensor.tolist() if isinstance(tensor, sympy.MatrixBase) else tensor, dtype=object)
        flat = [
            sympy.N(sympy.sympify(entry, strict=True).xreplace(self.values), EXACT_DIGITS)
            for entry in array.ravel()
        ]
        return np.array(flat, dtype=object).reshape(array.shape)

    @cached_property
    def step_jacobians(self) -> dict[int, np.ndarray]:
        """``∂s_m/∂s_{m-1}`` at the point, for m = 1..z."""
        return {m: self.evaluate(step_jacobian(self.graph, m)) for m in range(1, self.graph.spec.z + 1)}

    def jacobian_product(self, t: int, k: int) -> np.ndarray:
        """``Π_{m=k+1}^{t} ∂s_m/∂s_{m-1}`` at the point (later factors on the left)."""
        key = ("product", t, k)
        if key not in self._cache:
            if k == t:
                self._cache[key] = np.array(sympy.eye(self.graph.spec.n).tolist(), dtype=object)
            else:
                self._cache[key] = np.asarray(
                    self.jacobian_product(t, k + 1).dot(self.step_jacobians[k + 1]), dtype=object
                )
        return self._cache[key]

    def immediate(self, of: Quantity, wrt: Quantity) -> np.ndarray:
        """An immediate derivative from the service, at the point."""
        key = ("immediate", of, wrt)
        if key not in self._cache:
            self._cache[key] = self.evaluate(derivative(self.graph, of, wrt, immediate=True))
        return self._cache[key]

    def total(self, of: Quantity, wrt: Quantity) -> np.ndarray:
        """A total derivative from the service (every path of the unrolled graph), at the point."""
        return self.evaluate(derivative(self.graph, of, wrt))

    def state_derivative(self, t: int, wrt: Quantity) -> tuple[str, np.ndarray]:
        """An independent ``ds_t/d wrt`` (total): brute force when small enough, else the service."""
        brute = self.brute(self.graph.symbols("s", t), self.graph.symbols(wrt.role, wrt.t), horizon=t)
        if brute is not None:
            return "brute force", brute
        return "derivative service", self.total(Quantity("s", t), wrt)

    def term(self, parameter: str, t: int, k: int) -> np.ndarray:
        """The (t, k) term ``∂J_t/∂ŷ_t · ∂ŷ_t/∂s_t · ∂s_t/∂s_k · ∂⁺s_k/∂P`` at the point (Eqs. 9, 16)."""
        row = self.immediate(Quantity("J", t), Quantity("yhat", t)).dot(
            self.immediate(Quantity("yhat", t), Quantity("s", t))
        )
        row = np.asarray(row, dtype=object).dot(self.jacobian_product(t, k))
        return np.tensordot(
            np.asarray(row, dtype=object), self.immediate(Quantity("s", k), Quantity(parameter)), axes=1
        )

    def chain(self, parameter: str, t: int) -> np.ndarray:
        """``∂J_t/∂P`` as the sum of its chain-rule terms: k = 1..t for W, U, b; the one term for V, c."""
        key = (parameter, t)
        if key not in self._chains:
            self._chains[key] = self._chain(parameter, t)
        return self._chains[key]

    def _chain(self, parameter: str, t: int) -> np.ndarray:
        if parameter in ("V", "c"):
            gradient = self.immediate(Quantity("J", t), Quantity("yhat", t))
            return np.tensordot(gradient, self.immediate(Quantity("yhat", t), Quantity(parameter)), axes=1)
        return sum((self.term(parameter, t, k) for k in range(1, t + 1)), start=self.zeros(parameter))

    def zeros(self, parameter: str) -> np.ndarray:
        """A zero array shaped like the parameter."""
        return np.full(shape_of(self.graph, Quantity(parameter)), sympy.Integer(0), dtype=object)

    def brute(self, of: sympy.Expr | sympy.Matrix, wrt: sympy.Matrix, *, horizon: int) -> np.ndarray | None:
        """``sympy.diff`` of the nested ``of`` w.r.t. each symbol of ``wrt`` at the point (numerator layout);
        None when the first ``horizon`` steps are too large (DOCUMENT_BRUTE_WORK_LIMIT, _HORIZON)."""
        if horizon > DOCUMENT_BRUTE_HORIZON:
            return None
        key = ("prefix", horizon)
        if key not in self._cache:
            self._cache[key] = (
                self.graph if horizon == self.graph.spec.z else unroll(self.graph.spec.replace(z=horizon))
            )
        prefix = self._cache[key]
        work = nested_loss_size(prefix) * len(wrt)
        if work > DOCUMENT_BRUTE_WORK_LIMIT or horizon > DOCUMENT_BRUTE_HORIZON:
            return None
        rows = list(of) if isinstance(of, sympy.MatrixBase) else [of]
        nested = prefix.nested_definitions()
        values = [
            [sympy.N(sympy.diff(row.xreplace(nested), p).xreplace(self.leaves), EXACT_DIGITS) for p in wrt]
            for row in rows
        ]
        wrt_shape = (wrt.rows,) if wrt.cols == 1 else tuple(wrt.shape)
        shape = ((len(rows),) if isinstance(of, sympy.MatrixBase) else ()) + wrt_shape
        return np.array(values, dtype=object).reshape(shape)

    @property
    def reference_gradients(self) -> dict[str, np.ndarray]:
        """Every gradient of J by the δ recurrence (``backward``) at the point, shaped like its parameter."""
        return self.prefix_gradients(self.graph.spec.z)

    def prefix_gradients(self, horizon: int) -> dict[str, np.ndarray]:
        """The δ-recurrence gradients of ``J_1 + ... + J_horizon`` at the point (the first steps only)."""
        if horizon not in self._prefixes:
            self._prefixes[horizon] = self._prefix_gradients(horizon)
        return self._prefixes[horizon]

    def _prefix_gradients(self, horizon: int) -> dict[str, np.ndarray]:
        if horizon == 0:
            return {name: self.zeros(name) for name in self.graph.parameters}
        graph = self.graph if horizon == self.graph.spec.z else unroll(self.graph.spec.replace(z=horizon))
        gradients = backward(graph)
        values = dict(self.values)
        for sym, expression in gradients.adjoint_definitions.items():
            values[sym] = sympy.N(expression.xreplace(values), EXACT_DIGITS)
        result = {}
        for name, matrix in gradients.items():
            array = np.array(
                [sympy.N(entry.xreplace(values), EXACT_DIGITS) for entry in matrix], dtype=object
            )
            result[name] = array.reshape(shape_of(self.graph, Quantity(name)))
        return result

    def step_gradient(self, parameter: str, t: int) -> tuple[str, np.ndarray]:
        """An independent value of ``∂J_t/∂P``: brute force when small enough, else the difference of the
        δ-recurrence gradients of the first t and t - 1 steps. Returns (method, value)."""
        P = self.graph.parameters[parameter]
        brute = self.brute(self.graph.symbols("J", t)[0], P, horizon=t)
        if brute is not None:
            return "brute force", brute
        return "delta recurrence", self.prefix_gradients(t)[parameter] - self.prefix_gradients(t - 1)[
            parameter
        ]

    def total_gradient(self, parameter: str) -> tuple[str, np.ndarray]:
        """An independent value of ``∂J/∂P``: brute force when small enough, else the δ recurrence."""
        brute = self.brute(self.graph.J, self.graph.parameters[parameter], horizon=self.graph.spec.z)
        if brute is not None:
            return "brute force", brute
        return "delta recurrence", self.reference_gradients[parameter]


def flat(array: np.ndarray) -> list:
    """An object array as a flat list (for :func:`compare`)."""
    return list(np.asarray(array, dtype=object).ravel())
