"""Verdicts on hand-written formulas: evaluate both sides over z, sizes, points and free indices."""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from ..errors import SymRNNError
from ..spec import RNNSpec
from . import budget
from . import tree as T
from .diagnose import diagnose
from .evaluate import (
    LOSS_SCALE,
    ZERO,
    Context,
    LayoutMismatch,
    Model,
    Undefined,
    Unevaluable,
    Value,
    evaluate,
)
from .parse import parse

# Both sides are computed in float64 from 30-digit intermediates: a true identity agrees to ~1e-15.
VERIFY_TOLERANCE = 1e-9
MAX_Z = 12
"""Longest sequence a verdict checks (every index pattern of the language occurs by z = 4)."""
DEFAULT_SEEDS = (0, 1)
EXTRA_SIZES = ((3, 2, 2),)  # (e, n, m): unequal sizes expose missing transposes by shape
LAYOUTS = ("numerator", "denominator", "mixed")
GRADIENT_LAYOUTS = (
    "denominator",
    "mixed",
)  # with a ∇ the gradients are columns; Jacobians may stay numerator
TIME_STEP_ROLES = ("J", "yhat", "y", "x", "u")  # exist for t = 1..z; states from s_0
TIMED_ROLES = frozenset({"s", "u", "yhat", "J", "x", "y"})
RESOLUTION = 1e-12
"""Values below this on both sides cannot be told from round-off in float64: such a case decides nothing."""
RETRY_SCALES = (1.0, 0.25)
"""Points are drawn at these scales in turn when a case overflows or gives NaN."""
PARAMETER_ROLES = ("W", "U", "V", "b", "c")
DEFINED_ROLES = ("delta",)


@dataclass(frozen=True)
class Counterexample:
    """The smallest failing case: z, the free index values, the sizes and both sides' values."""

    z: int
    indices: dict[str, int]
    sizes: dict[str, int]
    lhs: Any
    rhs: Any
    parameter: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "z": self.z,
            "indices": self.indices,
            "sizes": self.sizes,
            "lhs": self.lhs,
            "rhs": self.rhs,
            **({"parameter": self.parameter} if self.parameter else {}),
        }


@dataclass(frozen=True)
class Verdict:
    """``holds`` / ``fails`` / ``undecided`` with the layout read, a counterexample and a diagnosis."""

    verdict: str
    layout: str
    counterexample: Counterexample | None = None
    diagnosis: str | None = None
    checked: int = 0
    formula: str = field(default="", repr=False)

    def as_json(self) -> dict[str, Any]:
        """The stable ``verify --json`` object: verdict, layout, counterexample, diagnosis, checked cases."""
        return {
            "verdict": self.verdict,
            "layout": self.layout,
            "counterexample": None if self.counterexample is None else self.counterexample.as_json(),
            "diagnosis": self.diagnosis,
            "checked_cases": self.checked,
        }

    def describe(self) -> str:
        """A few human lines."""
        lines = [f"{self.verdict} ({self.layout} layout, {self.checked} cases checked)"]
        if self.counterexample is not None:
            c = self.counterexample
            where = ", ".join(f"{k} = {v}" for k, v in c.indices.items())
            sizes = ", ".join(f"{k} = {v}" for k, v in c.sizes.items())
            lines.append(
                f"counterexample: z = {c.z}{', ' + where if where else ''} ({sizes})"
                f"{' for ' + c.parameter if c.parameter else ''}"
            )
            lines.append(f"  left side:  {c.lhs}")
            lines.append(f"  right side: {c.rhs}")
        if self.diagnosis:
            lines.append(f"diagnosis: {self.diagnosis}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        from ..display import verdict_repr

        return verdict_repr(self)

    def _repr_markdown_(self) -> str:
        from ..display import verdict_markdown

        return verdict_markdown(self)


def _bound_variables(node: T.Node) -> set[str]:
    return {n.variable for n in T.walk(node) if isinstance(n, (T.Sum, T.Product))}


def _index_variables(node: T.Node) -> set[str]:
    found: set[str] = set()
    for n in T.walk(node):
        for name in ("time", "lower", "upper", "exponent"):
            index = getattr(n, name, None)
            if isinstance(index, T.Index):
                found |= index.variables
    return found


def free_indices(equation: T.Equation) -> list[str]:
    """Index variables of the equation bound by no Σ/Π and not naming the length (z, T, τ)."""
    return sorted(T.free_variables(equation) - set(T.LENGTH_VARIABLES))


def first_value(equation: T.Equation, name: str) -> int:
    """Where a free index starts: 1 if it indexes a time step (J, ŷ, y, x, u; directly or through the lower
    limit of a Σ/Π whose variable does), else 0 (a state index: s_0 exists)."""
    steps = {
        v
        for n in T.walk(equation)
        if isinstance(n, T.Quantity) and n.role in TIME_STEP_ROLES and n.time is not None
        for v in n.time.variables
    }
    bigs = [n for n in T.walk(equation) if isinstance(n, (T.Sum, T.Product)) and n.lower is not None]
    for _ in range(len(bigs)):
        steps |= {v for n in bigs if n.variable in steps for v, c in n.lower.terms if c > 0}
    return 1 if name in steps else 0


def _states_go_backwards(node: T.Node, context: Context) -> bool:
    # ∂A_t/∂B_k of two timed quantities (states, pre-activations, outputs, losses) is only meant for
    # k <= t (later quantities cannot influence earlier ones): skip assignments with a later denominator.
    for n in T.walk(node):
        if (
            isinstance(n, T.Derivative)
            and isinstance(n.of, T.Quantity)
            and n.of.time is not None
            and n.wrt.time is not None
            and n.of.role in TIMED_ROLES
            and n.wrt.role in TIMED_ROLES
        ):
            try:
                if context.time(n.of.time, n) < context.time(n.wrt.time, n):
                    return True
            except Unevaluable:
                continue
    return False


@dataclass
class _Outcome:
    checked: int = 0
    failure: Counterexample | None = None
    undefined: str | None = None
    nonfinite: str | None = None  # a case gave NaN/inf at every point scale tried
    unresolved: int = 0  # cases whose values were all below float64 resolution (neither agreement nor not)

    @property
    def held(self) -> bool:
        return self.failure is None and self.nonfinite is None and self.checked > 0


def _with_parameter(equation: T.Equation, parameter: str) -> T.Equation:
    """The notes' generic P replaced by one concrete parameter."""
    from .rewrite import replace_roles

    return replace_roles(equation, {T.GENERIC_PARAMETER: parameter})


def _cases(
    lengths: tuple[int, ...], sizes: tuple[tuple[int, int, int], ...]
) -> Iterator[tuple[int, tuple[int, int, int], int]]:
    for z in lengths:
        for size in sizes:
            for seed in DEFAULT_SEEDS:
                yield z, size, seed


def _model(models: dict, spec: RNNSpec, z: int, size: tuple[int, int, int], seed: int, scale: float) -> Model:
    key = (z, *size, seed, scale)
    if key not in models:
        e, n, m = size
        models[key] = Model(spec.replace(z=z, e=e, n=n, m=m), seed, scale)
    return models[key]


def _nonfinite(a: np.ndarray, b: np.ndarray) -> str | None:
    for side, array in (("left", a), ("right", b)):
        if np.isnan(array).any():
            return f"the {side} side is NaN (e.g. a log of a negative number or inf - inf)"
        if np.isinf(array).any():
            return f"the {side} side overflows to infinity"
    return None


EXACT_DIGITS = 60
"""Digits of the re-check of a case that float64 cannot decide (overflow, NaN, values below 1e-12)."""
EXACT_TOLERANCE = 1e-40
"""Relative agreement demanded in that re-check: far below float64, so only a true identity passes."""


def _exact_case(
    variant: T.Equation,
    definitions: dict,
    models: dict,
    spec: RNNSpec,
    z: int,
    size: tuple,
    seed: int,
    indices: dict,
    layout: str,
    notation: str,
) -> tuple[bool, Any, Any] | None:
    """Evaluate one case in EXACT_DIGITS-digit arithmetic (mpmath): (agrees, left, right), or None when
    that cannot decide either (a complex value, a function without a high-precision form)."""
    import mpmath

    try:
        with mpmath.workdps(EXACT_DIGITS):
            key = (z, *size, seed, "exact")
            if key not in models:
                e, n, m = size
                models[key] = Model(spec.replace(z=z, e=e, n=n, m=m), seed, 1.0, EXACT_DIGITS)
            context = Context(models[key], indices, layout, definitions, notation=notation)
            a, b = _comparable(evaluate(variant.lhs, context), evaluate(variant.rhs, context))
            entries = [mpmath.mpmathify(v) for v in np.ravel(a)] + [mpmath.mpmathify(v) for v in np.ravel(b)]
            if not all(isinstance(v, mpmath.mpf) and mpmath.isfinite(v) for v in entries):
                return None
            difference = max(
                (abs(mpmath.mpmathify(x) - mpmath.mpmathify(y)) for x, y in zip(np.ravel(a), np.ravel(b))),
                default=mpmath.mpf(0),
            )
            largest = max((abs(v) for v in entries), default=mpmath.mpf(0))
            agrees = difference == 0 or difference <= EXACT_TOLERANCE * largest
            return agrees, _show_exact(a), _show_exact(b)
    except (ArithmeticError, TypeError, AttributeError, ValueError, Unevaluable, Undefined, LayoutMismatch):
        return None


def _show_exact(array: Any) -> Any:
    import mpmath

    return np.frompyfunc(lambda v: mpmath.nstr(mpmath.mpmathify(v), 12), 1, 1)(
        np.asarray(array, dtype=object)
    ).tolist()


class _UnderflowFlag:
    """NumPy's error callback: records that an operation underflowed (flushed a value towards 0)."""

    raised = False

    def __call__(self, kind: str, flag: int) -> None:
        self.raised = True


class _errcall:
    def __init__(self, callback: _UnderflowFlag) -> None:
        self.callback = callback

    def __enter__(self) -> None:
        self.previous = np.seterrcall(self.callback)

    def __exit__(self, *exc: object) -> None:
        np.seterrcall(self.previous)


def check_equation(
    equation: T.Equation,
    definitions: dict[str, tuple[T.Equation, ...]],
    *,
    spec: RNNSpec,
    lengths: tuple[int, ...],
    sizes: tuple[tuple[int, int, int], ...],
    layout: str,
    models: dict,
    notation: str = "notes",
) -> _Outcome:
    """Evaluate one equation in one layout over every case; stop at the first failure.

    A case whose values are NaN or infinite is re-drawn at smaller points (RETRY_SCALES); when every
    scale gives NaN/inf the outcome records why, and it is never counted as agreement.
    """
    outcome = _Outcome()
    parameters = PARAMETER_ROLES if spec.bias else PARAMETER_ROLES[:3]
    generic = any(isinstance(n, T.Quantity) and n.role == T.GENERIC_PARAMETER for n in T.walk(equation))
    variants = [(p, _with_parameter(equation, p)) for p in parameters] if generic else [(None, equation)]
    names = free_indices(equation)
    starts = {name: first_value(equation, name) for name in names}
    underflow = _UnderflowFlag()
    with np.errstate(all="ignore", under="call"), _errcall(underflow):
        for z, (e, n, m), seed in _cases(lengths, sizes):
            for values in itertools.product(*(range(starts[name], z + 1) for name in names)):
                indices = dict(zip(names, values))
                for parameter, variant in variants:
                    sizes_seen = {"e": e, "n": n, "m": m}
                    reason = None
                    for scale in RETRY_SCALES:
                        model = _model(models, spec, z, (e, n, m), seed, scale)
                        context = Context(model, indices, layout, definitions, notation=notation)
                        try:
                            if _states_go_backwards(variant.lhs, context):
                                break
                            left = evaluate(variant.lhs, context)
                        except Undefined:
                            break
                        try:
                            right = evaluate(variant.rhs, context)
                        except Undefined as error:
                            if error.inside_range:
                                outcome.undefined = str(error)
                                outcome.failure = Counterexample(
                                    z, indices, sizes_seen, _show(left), str(error), parameter
                                )
                                return outcome
                            break
                        a, b = _comparable(left, right)
                        flushed, underflow.raised = underflow.raised, False
                        reason = _nonfinite(a, b)
                        if reason is not None:
                            continue  # overflow or NaN: try smaller points
                        difference = float(np.abs(a - b).max(initial=0.0))
                        largest = max(float(np.abs(a).max(initial=0.0)), float(np.abs(b).max(initial=0.0)))
                        tiny = (flushed or difference != 0.0) and largest < RESOLUTION
                        exact = (
                            _exact_case(
                                variant,
                                definitions,
                                models,
                                spec,
                                z,
                                (e, n, m),
                                seed,
                                indices,
                                layout,
                                notation,
                            )
                            if tiny
                            else None
                        )
                        if exact is not None:  # decided in 60-digit arithmetic
                            outcome.checked += 1
                            if not exact[0]:
                                outcome.failure = Counterexample(
                                    z, indices, sizes_seen, exact[1], exact[2], parameter
                                )
                                return outcome
                        elif tiny:
                            outcome.unresolved += (
                                1  # below float64 resolution or underflowed: equal zeros prove nothing
                            )
                        elif difference == 0.0 or difference / largest <= VERIFY_TOLERANCE:
                            outcome.checked += 1
                        else:
                            outcome.checked += 1
                            outcome.failure = Counterexample(
                                z, indices, sizes_seen, _show(a), _show(b), parameter
                            )
                            return outcome
                        break
                    else:
                        exact = _exact_case(
                            variant, definitions, models, spec, z, (e, n, m), seed, indices, layout, notation
                        )
                        if exact is not None:  # float64 overflowed or gave NaN; 60 digits decide
                            outcome.checked += 1
                            if not exact[0]:
                                outcome.failure = Counterexample(
                                    z, indices, sizes_seen, exact[1], exact[2], parameter
                                )
                                return outcome
                            continue
                        outcome.nonfinite = outcome.nonfinite or (
                            f"{reason} at z = {z}{''.join(f', {k} = {v}' for k, v in indices.items())} "
                            f"(n = {n}), also at points scaled by {RETRY_SCALES[-1]}"
                        )
    return outcome


def _comparable(left: Value, right: Value) -> tuple[np.ndarray, np.ndarray]:
    a, b = left.array, right.array
    if left is ZERO or right is ZERO:
        other = right if left is ZERO else left
        shape = () if other.array is None else other.array.shape
        return (np.zeros(shape), _dense(other)) if left is ZERO else (_dense(other), np.zeros(shape))
    if a is None or b is None:
        size = b if a is None else a
        if size is None:
            return np.zeros(0), np.zeros(0)
        eye = np.eye(size.shape[0]) if size.ndim == 2 else np.ones(size.shape)
        return (eye, b) if a is None else (a, eye)
    if a.shape != b.shape:
        if a.size == b.size and (a.size == 1 or np.squeeze(a).shape == np.squeeze(b).shape):
            return np.squeeze(a), np.squeeze(b)
        raise LayoutMismatch(f"the left side has shape {a.shape} and the right side {b.shape}")
    return a, b


def _dense(value: Value) -> np.ndarray:
    return np.zeros(()) if value.array is None else value.array


def _show(value: Any) -> Any:
    array = value.array if hasattr(value, "array") else value
    if array is None:
        return "I"
    return np.round(np.asarray(array, dtype=float), 12).tolist()


def _averaged_loss(equation: T.Equation) -> tuple[T.Equation, T.Equation] | None:
    """d2l's ``L = \\frac{1}{T} \\sum_t l(o_t, y_t)``: (the scale's definition, the rest), or None."""
    lhs, rhs = equation.lhs, equation.rhs
    if not (
        isinstance(lhs, T.Quantity)
        and lhs.role == "J"
        and lhs.time is None
        and isinstance(rhs, T.Mul)
        and isinstance(rhs.factors[0], T.Ratio)
        and rhs.factors[0].denominator.variables <= T.LENGTH_VARIABLES
        and rhs.operators[0] in ("juxtapose", "cdot")
    ):
        return None
    rest = rhs.factors[1] if len(rhs.factors) == 2 else T.Mul(rhs.factors[1:], rhs.operators[1:])
    return T.Equation(lhs, rhs.factors[0]), replace(equation, rhs=rest)


def _split(formula: T.Formula) -> tuple[dict[str, T.Equation], list[T.Equation]]:
    definitions, claims = {}, []
    for equation in formula.equations:
        averaged = _averaged_loss(equation) if equation.rhs is not None else None
        if averaged is not None:
            definitions[LOSS_SCALE] = (averaged[0],)
            claims.append(equation)  # checked with the scale: (1/T) J = (1/T) sum_t l(o_t, y_t)
            continue
        lhs = equation.lhs
        if isinstance(lhs, T.Quantity) and lhs.role in DEFINED_ROLES and equation.rhs is not None:
            definitions[lhs.role] = definitions.get(lhs.role, ()) + (equation,)
        else:
            claims.append(equation)
    return definitions, claims


def verify(
    formula: str,
    *,
    z_max: int = 4,
    notation: str | None = None,
    spec: RNNSpec | None = None,
    sizes: tuple[tuple[int, int, int], ...] | None = None,
    diagnose: bool = True,
    z: int | None = None,
) -> Verdict:
    """Check a hand-written BPTT formula against the derived truth.

    Args:
        formula: LaTeX in symrnn's formula language (several statements separated by ``;``).
        z_max: sequence lengths 1..z_max are checked.
        notation: "notes", "d2l" or "goodfellow" (default: the spec's notation).
        spec: the model (default: the notes' RNN, tanh, sse, with biases); its z is ignored.
        sizes: (e, n, m) triples to check (default: the spec's sizes and (3, 2, 2)); given sizes are
            the only ones checked (``--n 1`` checks the single-neuron case only).
        diagnose: look for the single edit that repairs a failing formula.
        z: check this one sequence length only (overrides z_max).

    Returns:
        A :class:`Verdict`: ``holds`` only when every case checked agrees to VERIFY_TOLERANCE and no
        case gave NaN or infinity; ``undecided`` with the reason when no honest comparison was possible.

    Raises:
        FormulaError: the text is malformed or unsafe.
        ValueError: bad options (z_max, sizes, cross-entropy with one output).
        SymRNNError: the work of the formula is over a limit (see symrnn.formula.budget).
    """
    if not isinstance(z_max, int) or isinstance(z_max, bool) or not 1 <= z_max <= MAX_Z:
        raise ValueError(f"--z-max must be an integer in 1..{MAX_Z}, got {z_max!r}")
    if z is not None and (not isinstance(z, int) or isinstance(z, bool) or not 1 <= z <= MAX_Z):
        raise ValueError(f"--z must be an integer in 1..{MAX_Z}, got {z!r}")
    lengths = (z,) if z is not None else tuple(range(1, z_max + 1))
    spec = spec if spec is not None else RNNSpec()
    if spec.cell_name != "rnn" or spec.e == 0:
        # The formula language names the notes' quantities (s, u, W, U, V, b, c); gated cells' h_t, c_t and
        # gates are not in it yet.
        raise SymRNNError(
            f"verify reads formulas about the notes' cell (--cell rnn with --e >= 1); "
            f"--cell {spec.cell_name} --e {spec.e} is not in the formula language yet"
        )
    notation = notation or spec.notation
    if sizes is None:
        sizes = ((spec.e, spec.n, spec.m),) + tuple(s for s in EXTRA_SIZES if s != (spec.e, spec.n, spec.m))
        if spec.loss == "ce":
            sizes = tuple(s for s in sizes if s[2] >= 2) or sizes
    sizes = tuple(tuple(s) for s in sizes)
    if not sizes or any(
        len(s) != 3 or any(isinstance(v, bool) or not isinstance(v, int) or v < 1 for v in s) for s in sizes
    ):
        raise ValueError(f"sizes must be (e, n, m) triples of positive integers, got {sizes!r}")
    if spec.loss == "ce" and any(m < 2 for _, _, m in sizes):
        raise ValueError(
            "--loss ce needs --m 2 or more: with one output softmax is 1 and the loss is identically 0"
        )
    budget.check_sizes(sizes, lengths)
    tree = parse(formula, notation=notation)
    nabla_any = any(_uses_nabla(eq) for eq in tree.equations)
    budget.estimate(
        tree,
        lengths=lengths,
        cases=len(lengths) * len(sizes) * len(DEFAULT_SEEDS),
        layouts=len(GRADIENT_LAYOUTS if nabla_any else LAYOUTS),
    )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            with np.errstate(all="ignore"):
                return _verdict(
                    tree,
                    formula,
                    spec=spec,
                    notation=notation,
                    sizes=sizes,
                    lengths=lengths,
                    diagnose=diagnose,
                )
    except (ArithmeticError, RecursionError, np.linalg.LinAlgError) as error:
        return Verdict("undecided", "none", diagnosis=f"the evaluation failed: {error}", formula=formula)


def _verdict(
    tree: T.Formula,
    formula: str,
    *,
    spec: RNNSpec,
    notation: str,
    sizes: tuple,
    lengths: tuple,
    diagnose: bool,
) -> Verdict:
    definitions, claims = _split(tree)
    if not claims:
        return Verdict(
            "undecided",
            "numerator",
            diagnosis="the formula only defines quantities; add a claim",
            formula=formula,
        )
    models: dict = {}
    total_checked, layouts = 0, set()
    for equation in claims:
        if equation.rhs is None:
            return Verdict(
                "undecided",
                "numerator",
                diagnosis="a bare expression states nothing to check",
                formula=formula,
            )
        nabla = _uses_nabla(equation)
        held, first, shape_error = None, None, None
        for candidate in GRADIENT_LAYOUTS if nabla else LAYOUTS:
            try:
                outcome = check_equation(
                    equation,
                    definitions,
                    spec=spec,
                    lengths=lengths,
                    sizes=sizes,
                    layout=candidate,
                    models=models,
                    notation=notation,
                )
            except LayoutMismatch as error:
                shape_error = shape_error or str(error)
                continue
            except Unevaluable as error:
                return Verdict(
                    "undecided", _layout_name(candidate, nabla), diagnosis=str(error), formula=formula
                )
            if outcome.held:
                held = (outcome, candidate)
                break
            if (
                outcome.failure is not None
                or first is None
                or (first[0].checked == 0 and outcome.checked > 0)
            ):
                first = (outcome, candidate) if first is None or first[0].failure is None else first
        if held is None and first is None:
            diagnosis = f"the two sides do not fit together in any layout: {shape_error}"
            repaired = (
                _repair(equation, definitions, spec, sizes, lengths, tree.text, notation)
                if diagnose
                else None
            )
            return Verdict(
                "fails",
                "none",
                diagnosis=f"{diagnosis}; {repaired}" if repaired else diagnosis,
                formula=formula,
            )
        outcome, candidate = held or first
        layout = _layout_name(candidate, nabla)
        total_checked += outcome.checked
        if outcome.failure is not None:
            diagnosis = outcome.undefined
            if diagnose and diagnosis is None:
                diagnosis = _repair(equation, definitions, spec, sizes, lengths, tree.text, notation)
            return Verdict("fails", layout, outcome.failure, diagnosis, total_checked, formula)
        if outcome.nonfinite is not None:
            return Verdict(
                "undecided",
                layout,
                diagnosis=f"no honest comparison: {outcome.nonfinite}",
                checked=total_checked,
                formula=formula,
            )
        if outcome.checked == 0:
            reason = (
                f"in all {outcome.unresolved} cases both sides were below {RESOLUTION:g}, where float64 "
                "cannot tell a value from round-off"
                if outcome.unresolved
                else "no index values in range could be checked"
            )
            return Verdict("undecided", layout, diagnosis=reason, formula=formula)
        layouts.add(layout)
    layout = layouts.pop() if len(layouts) == 1 else "mixed"
    return Verdict("holds", layout, None, None, total_checked, formula)


def _uses_nabla(equation: T.Equation) -> bool:
    return any(isinstance(n, T.Derivative) and n.kind == "nabla" for n in T.walk(equation))


def _layout_name(candidate: str, nabla: bool) -> str:
    if candidate == "denominator":
        return "gradient" if nabla else "denominator"
    return candidate


def _repair(
    equation: T.Equation,
    definitions: dict,
    spec: RNNSpec,
    sizes: tuple,
    lengths: tuple,
    source: str,
    notation: str,
) -> str | None:
    return diagnose(
        equation,
        definitions,
        spec=spec,
        sizes=sizes,
        lengths=tuple(z for z in lengths if z <= 3) or lengths[:1],
        check=check_equation,
        layouts=LAYOUTS,
        source=source,
        notation=notation,
    )
