"""Three independent checks of one spec: structured vs brute force, compiled vs reference, reference vs FD."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy

from . import display
from .engine.brute import BRUTE_FORCE_WORK_LIMIT, brute_force_gradients, estimated_work
from .engine.exact import EXACT_DIGITS, EXACT_TOLERANCE, exact_relative_error, rational_point
from .engine.structured import backward
from .numeric import reference
from .numeric.compile import compile_spec
from .numeric.finite_diff import central_difference_gradients, central_differences
from .spec import RNNSpec
from .unroll import unroll

# Digits tried in turn when the two exact routes disagree (see structured_vs_brute).
PRECISION_LADDER = (EXACT_DIGITS, 4 * EXACT_DIGITS, 10 * EXACT_DIGITS)
COMPILED_VS_REFERENCE_TOLERANCE = 1e-10
FINITE_DIFFERENCE_TOLERANCE = 1e-6


@dataclass(frozen=True)
class CheckReport:
    """Worst relative errors of the three comparisons (``None``: brute force not feasible for this size)."""

    spec: RNNSpec
    structured_vs_brute: float | None
    compiled_vs_reference: float
    reference_vs_finite_diff: float
    notes: tuple[str, ...] = field(default=())
    reference: str = "hand-written NumPy BPTT"

    @property
    def ok(self) -> bool:
        """All performed comparisons within their named tolerances."""
        exact = self.structured_vs_brute is None or self.structured_vs_brute <= EXACT_TOLERANCE
        compiled_tolerance = (
            COMPILED_VS_REFERENCE_TOLERANCE
            if self.reference == "hand-written NumPy BPTT"
            else FINITE_DIFFERENCE_TOLERANCE
        )
        return (
            exact
            and self.compiled_vs_reference <= compiled_tolerance
            and self.reference_vs_finite_diff <= FINITE_DIFFERENCE_TOLERANCE
        )

    def as_json(self) -> dict[str, Any]:
        """The stable ``check --json`` object: ``{"ok": bool, "max_rel_error": {comparison: float or None}}``."""
        return {
            "ok": self.ok,
            "max_rel_error": {
                "structured_vs_brute": self.structured_vs_brute,
                "compiled_vs_reference": self.compiled_vs_reference,
                "reference_vs_finite_diff": self.reference_vs_finite_diff,
            },
        }

    def __repr__(self) -> str:
        return display.check_report_repr(self)

    def _repr_markdown_(self) -> str:
        return display.check_report_markdown(self)


def structured_vs_brute(spec: RNNSpec, *, seed: int = 0) -> float:
    """Worst relative difference of the structured and brute-force gradients at a rational point.

    The leaves are exact rationals, carried as floats of EXACT_DIGITS digits through both programs
    (the structured one intermediate by intermediate, the brute-force one through its nested tree).
    A disagreement is re-measured with more digits before it is reported: the nested tree can cancel
    catastrophically (a cubic activation reaches ŷ ~ 1e146 at z = 4), while a real difference stays.
    Raises SymRNNError when brute force is not feasible.
    """
    graph = unroll(spec)
    brute = brute_force_gradients(graph)
    gradients = backward(graph)
    rationals = rational_point(graph, seed)
    for digits in PRECISION_LADDER:
        point = {sym: sympy.Float(value, digits) for sym, value in rationals.items()}
        values = dict(point)
        for sym, expression in gradients.definitions.items():
            values[sym] = sympy.N(expression.xreplace(values), digits)
        left, right = [], []
        for name in spec.parameter_names:
            left += [sympy.N(entry, digits) for entry in gradients[name].xreplace(values)]
            right += [sympy.N(entry, digits) for entry in brute[name].xreplace(point)]
        error = exact_relative_error(left, right)
        if error <= EXACT_TOLERANCE:
            break
    return error


def random_problem(
    spec: RNNSpec, *, seed: int = 0, batch: int = 3
) -> tuple[dict, np.ndarray, np.ndarray, np.ndarray]:
    """Float64 parameters, a batch of sequences and initial states for numeric checks."""
    rng = np.random.default_rng(seed)
    params = {
        name: rng.uniform(-0.8, 0.8, size=spec.shapes[name]) for name in spec.parameter_names if name != "s0"
    }
    xs = rng.uniform(-1, 1, size=(batch, *spec.shapes["xs"]))
    if spec.loss == "ce":
        ys = rng.dirichlet(np.ones(spec.m), size=(batch, spec.z))
    else:
        ys = rng.uniform(-1, 1, size=(batch, *spec.shapes["ys"]))
    s0 = rng.uniform(-0.5, 0.5, size=(batch, spec.state_size))
    return params, xs, ys, s0


def reference_call(
    spec: RNNSpec,
    params: dict,
    xs: np.ndarray,
    ys: np.ndarray,
    s0: np.ndarray,
    *,
    finite_differences: bool = False,
) -> tuple[Any, dict[str, np.ndarray]]:
    """The hand-written NumPy BPTT (or its central differences) for a built-in cell, in the compiled layout.

    The oracle takes the LSTM's initial state as a pair ``(h0, c0)`` and returns its gradient as (2, n);
    here both are the concatenated state of ``spec.state_size`` entries.
    """
    k = len(spec.state_names)
    s0_arg = tuple(np.split(s0, k, axis=-1)) if k > 1 else s0
    options = dict(
        activation=reference_activation(spec),
        loss=spec.loss,
        cell=spec.cell_name,
        initial_state_gradient=spec.initial_state_parameter,
    )
    if finite_differences:
        J, grads = None, central_difference_gradients(params, xs, ys, s0_arg, **options)
    else:
        J, grads = reference.loss_and_gradients(params, xs, ys, s0_arg, truncation=spec.truncation, **options)
    if "s0" in grads:
        grads = {
            **grads,
            "s0": np.reshape(grads["s0"], (*np.shape(grads["s0"])[:-2], -1)) if k > 1 else grads["s0"],
        }
    return J, grads


def reference_activation(spec: RNNSpec) -> Any:
    """The reference's activation argument: a table name, or NumPy callables for a user Lambda."""
    if isinstance(spec.activation, str):
        return spec.activation
    (v,) = spec.activation.variables
    f = sympy.lambdify(v, spec.activation.expr, modules="numpy")
    f_prime = sympy.lambdify(v, sympy.diff(spec.activation.expr, v), modules="numpy")
    return (lambda u: f(u) + 0 * u, lambda u: f_prime(u) + 0 * u)


def _flatten(J: Any, grads: dict[str, np.ndarray], names: tuple[str, ...]) -> np.ndarray:
    return np.concatenate([np.ravel(J)] + [np.ravel(grads[name]) for name in names])


def check(spec: RNNSpec, *, seed: int = 0, brute_force: bool | None = None) -> CheckReport:
    """Compare every route of ``spec``: structured vs brute force, compiled vs reference, reference vs FD.

    Args:
        spec: the model.
        seed: seed of the random points.
        brute_force: force the exact comparison on (True) or off (False); by default it runs
            when its estimated work is within the brute-force limit.
    """
    if not isinstance(spec, RNNSpec):
        raise TypeError(f"check expects an RNNSpec, got {type(spec).__name__}")
    notes = []
    exact = None
    if brute_force is None:
        graph = unroll(spec)
        brute_force = estimated_work(graph, spec.parameter_names) <= BRUTE_FORCE_WORK_LIMIT
        if not brute_force:
            notes.append("structured vs brute force skipped: the nested loss is too large for sympy.diff")
    if brute_force:
        exact = structured_vs_brute(spec, seed=seed)
    params, xs, ys, s0 = random_problem(spec, seed=seed)
    names = spec.parameter_names
    J_sym, grads_sym = compile_spec(spec)(params, xs, ys, s0)
    if not isinstance(spec.cell, str):
        # No hand-written oracle knows a user's cell: its gradients are compared with central differences
        # of the compiled loss (forward code only), with the finite-difference tolerance.
        notes.append("user cell: compiled gradients compared with central differences of the compiled loss")
        grads_fd = _compiled_finite_differences(spec, params, xs, ys, s0)
        finite = reference.relative_error(_flatten(0.0, grads_sym, names), _flatten(0.0, grads_fd, names))
        return CheckReport(spec, exact, finite, finite, tuple(notes), reference="finite differences")
    J_ref, grads_ref = reference_call(spec, params, xs, ys, s0)
    _, grads_fd = reference_call(spec, params, xs, ys, s0, finite_differences=True)
    compiled = reference.relative_error(_flatten(J_sym, grads_sym, names), _flatten(J_ref, grads_ref, names))
    if spec.truncation is not None and spec.truncation < spec.z:
        # Finite differences see the full gradient: they check the oracle's full BPTT, whose truncated
        # form is compared with the compiled one above.
        notes.append("truncated BPTT: the oracle's full gradient is compared with finite differences")
        _, grads_ref = reference_call(spec.replace(truncation=None), params, xs, ys, s0)
    finite = reference.relative_error(_flatten(0.0, grads_ref, names), _flatten(0.0, grads_fd, names))
    return CheckReport(spec, exact, compiled, finite, tuple(notes))


def _compiled_finite_differences(
    spec: RNNSpec, params: dict, xs: np.ndarray, ys: np.ndarray, s0: np.ndarray
) -> dict[str, np.ndarray]:
    """Central differences of the compiled loss J (B,) with respect to every parameter, per sequence."""
    function = compile_spec(spec, backend="matrix")

    def loss_at(name: str, theta: np.ndarray) -> np.ndarray:
        if name == "s0":
            return function(params, xs, ys, theta)[0]
        return function({**params, name: theta}, xs, ys, s0)[0]

    values = {
        name: np.array(s0 if name == "s0" else params[name], dtype=float) for name in spec.parameter_names
    }
    return central_differences(loss_at, values, xs.shape[0])
