"""Verdicts on hand-written formulas: evaluate both sides over z, sizes, points and free indices."""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any, Iterator

import numpy as np

from ..spec import RNNSpec
from . import tree as T
from .evaluate import ZERO, Context, LayoutMismatch, Model, Undefined, Unevaluable, Value, evaluate
from .parse import parse

# Both sides are computed in float64 from 30-digit intermediates: a true identity agrees to ~1e-15.
VERIFY_TOLERANCE = 1e-9
DEFAULT_SEEDS = (0, 1)
EXTRA_SIZES = ((3, 2, 2),)  # (e, n, m): unequal sizes expose missing transposes by shape
LAYOUTS = ("numerator", "denominator", "mixed")
GRADIENT_LAYOUTS = ("denominator", "mixed")  # with a ∇ the gradients are columns; Jacobians may stay numerator
TIME_STEP_ROLES = ("J", "yhat", "y", "x", "u")  # exist for t = 1..z; states from s_0
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
        return {"z": self.z, "indices": self.indices, "sizes": self.sizes, "lhs": self.lhs, "rhs": self.rhs,
                **({"parameter": self.parameter} if self.parameter else {})}


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
        return {"verdict": self.verdict, "layout": self.layout,
                "counterexample": None if self.counterexample is None else self.counterexample.as_json(),
                "diagnosis": self.diagnosis, "checked_cases": self.checked}

    def describe(self) -> str:
        """A few human lines."""
        lines = [f"{self.verdict} ({self.layout} layout, {self.checked} cases checked)"]
        if self.counterexample is not None:
            c = self.counterexample
            where = ", ".join(f"{k} = {v}" for k, v in c.indices.items())
            sizes = ", ".join(f"{k} = {v}" for k, v in c.sizes.items())
            lines.append(f"counterexample: z = {c.z}{', ' + where if where else ''} ({sizes})"
                         f"{' for ' + c.parameter if c.parameter else ''}")
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
    bound = _bound_variables(equation)
    return sorted(_index_variables(equation) - bound - set(T.LENGTH_VARIABLES))


def first_value(equation: T.Equation, name: str) -> int:
    """Where a free index starts: 1 if it indexes a time step (J, ŷ, y, x, u; directly or through the lower
    limit of a Σ/Π whose variable does), else 0 (a state index: s_0 exists)."""
    steps = {v for n in T.walk(equation) if isinstance(n, T.Quantity) and n.role in TIME_STEP_ROLES
             and n.time is not None for v in n.time.variables}
    bigs = [n for n in T.walk(equation) if isinstance(n, (T.Sum, T.Product)) and n.lower is not None]
    for _ in range(len(bigs)):
        steps |= {v for n in bigs if n.variable in steps for v, c in n.lower.terms if c > 0}
    return 1 if name in steps else 0


def _states_go_backwards(node: T.Node, context: Context) -> bool:
    # ∂s_t/∂s_k is only meant for k <= t: skip assignments with a later denominator.
    for n in T.walk(node):
        if isinstance(n, T.Derivative) and isinstance(n.of, T.Quantity) and n.of.role == n.wrt.role == "s":
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


def _with_parameter(equation: T.Equation, parameter: str) -> T.Equation:
    """The notes' generic P replaced by one concrete parameter."""
    from .rewrite import replace_roles

    return replace_roles(equation, {T.GENERIC_PARAMETER: parameter})


def _cases(z_max: int, sizes: tuple[tuple[int, int, int], ...]) -> Iterator[tuple[int, tuple[int, int, int], int]]:
    for z in range(1, z_max + 1):
        for size in sizes:
            for seed in DEFAULT_SEEDS:
                yield z, size, seed


def check_equation(equation: T.Equation, definitions: dict[str, tuple[T.Equation, ...]], *, spec: RNNSpec, z_max: int,
                   sizes: tuple[tuple[int, int, int], ...], layout: str, models: dict) -> _Outcome:
    """Evaluate one equation in one layout over every case; stop at the first failure."""
    outcome = _Outcome()
    parameters = PARAMETER_ROLES if spec.bias else PARAMETER_ROLES[:3]
    generic = any(isinstance(n, T.Quantity) and n.role == T.GENERIC_PARAMETER for n in T.walk(equation))
    variants = [(p, _with_parameter(equation, p)) for p in parameters] if generic else [(None, equation)]
    names = free_indices(equation)
    starts = {name: first_value(equation, name) for name in names}
    for z, (e, n, m), seed in _cases(z_max, sizes):
        key = (z, e, n, m, seed)
        if key not in models:
            models[key] = Model(spec.replace(z=z, e=e, n=n, m=m), seed)
        model = models[key]
        for values in itertools.product(*(range(starts[name], z + 1) for name in names)):
            indices = dict(zip(names, values))
            for parameter, variant in variants:
                context = Context(model, indices, layout, definitions)
                try:
                    if _states_go_backwards(variant.lhs, context):
                        continue
                    left = evaluate(variant.lhs, context)
                except Undefined:
                    continue
                try:
                    right = evaluate(variant.rhs, context)
                except Undefined as error:
                    if error.inside_range:
                        outcome.undefined = str(error)
                        outcome.failure = Counterexample(z, indices, {"e": e, "n": n, "m": m}, _show(left), str(error), parameter)
                        return outcome
                    continue
                outcome.checked += 1
                a, b = _comparable(left, right)
                scale = max(np.abs(a).max(initial=0.0), np.abs(b).max(initial=0.0), 1e-12)
                if np.abs(a - b).max(initial=0.0) / scale > VERIFY_TOLERANCE:
                    outcome.failure = Counterexample(z, indices, {"e": e, "n": n, "m": m}, _show(a), _show(b), parameter)
                    return outcome
    return outcome


def _comparable(left: Value, right: Value) -> tuple[np.ndarray, np.ndarray]:
    a, b = left.array, right.array
    if left is ZERO or right is ZERO:
        other = right if left is ZERO else left
        shape = () if other.array is None else other.array.shape
        return (np.zeros(shape), _dense(other)) if left is ZERO else (_dense(other), np.zeros(shape))
    if a is None or b is None:
        size = (b if a is None else a)
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


def _split(formula: T.Formula) -> tuple[dict[str, T.Equation], list[T.Equation]]:
    definitions, claims = {}, []
    for equation in formula.equations:
        lhs = equation.lhs
        if isinstance(lhs, T.Quantity) and lhs.role in DEFINED_ROLES and equation.rhs is not None:
            definitions[lhs.role] = definitions.get(lhs.role, ()) + (equation,)
        else:
            claims.append(equation)
    return definitions, claims


def verify(formula: str, *, z_max: int = 4, notation: str | None = None, spec: RNNSpec | None = None,
           sizes: tuple[tuple[int, int, int], ...] | None = None, diagnose: bool = True) -> Verdict:
    """Check a hand-written BPTT formula against the derived truth.

    Args:
        formula: LaTeX in symrnn's formula language (several statements separated by ``;``).
        z_max: sequence lengths 1..z_max are checked.
        notation: "notes", "d2l" or "goodfellow" (default: the spec's notation).
        spec: the model (default: the notes' RNN, tanh, sse, with biases); its z is ignored.
        sizes: (e, n, m) triples to check (default: the spec's sizes and (3, 2, 2)).
        diagnose: look for the single edit that repairs a failing formula.

    Returns:
        A :class:`Verdict`.

    Raises:
        FormulaError: the text is malformed or unsafe.
    """
    if not isinstance(z_max, int) or isinstance(z_max, bool) or not 1 <= z_max <= 12:
        raise ValueError(f"z_max must be an integer in 1..12, got {z_max!r}")
    spec = spec if spec is not None else RNNSpec()
    notation = notation or spec.notation
    tree = parse(formula, notation=notation)
    if sizes is None:
        sizes = ((spec.e, spec.n, spec.m),) + tuple(s for s in EXTRA_SIZES if s != (spec.e, spec.n, spec.m))
    definitions, claims = _split(tree)
    if not claims:
        return Verdict("undecided", "numerator", diagnosis="the formula only defines quantities; add a claim", formula=formula)
    models: dict = {}
    total_checked, layouts = 0, set()
    for equation in claims:
        if equation.rhs is None:
            return Verdict("undecided", "numerator", diagnosis="a bare expression states nothing to check", formula=formula)
        nabla = _uses_nabla(equation)
        held, first, shape_error = None, None, None
        for candidate in GRADIENT_LAYOUTS if nabla else LAYOUTS:
            try:
                outcome = check_equation(equation, definitions, spec=spec, z_max=z_max, sizes=sizes,
                                         layout=candidate, models=models)
            except LayoutMismatch as error:
                shape_error = shape_error or str(error)
                continue
            except Unevaluable as error:
                return Verdict("undecided", candidate, diagnosis=str(error), formula=formula)
            if outcome.failure is None and outcome.checked > 0:
                held = (outcome, candidate)
                break
            first = first or (outcome, candidate)
        if held is None and first is None:
            diagnosis = f"the two sides do not fit together in any layout: {shape_error}"
            repaired = _repair(equation, definitions, spec, sizes, z_max, formula, notation) if diagnose else None
            return Verdict("fails", "none", diagnosis=f"{diagnosis}; {repaired}" if repaired else diagnosis, formula=formula)
        outcome, candidate = held or first
        layout = _layout_name(candidate, nabla)
        total_checked += outcome.checked
        if outcome.failure is not None:
            diagnosis = outcome.undefined
            if diagnose and diagnosis is None:
                diagnosis = _repair(equation, definitions, spec, sizes, z_max, formula, notation)
            return Verdict("fails", layout, outcome.failure, diagnosis, total_checked, formula)
        if outcome.checked == 0:
            return Verdict("undecided", layout, diagnosis="no index values in range could be checked", formula=formula)
        layouts.add(layout)
    layout = layouts.pop() if len(layouts) == 1 else "mixed"
    return Verdict("holds", layout, None, None, total_checked, formula)


def _uses_nabla(equation: T.Equation) -> bool:
    return any(isinstance(n, T.Derivative) and n.kind == "nabla" for n in T.walk(equation))


def _layout_name(candidate: str, nabla: bool) -> str:
    if candidate == "denominator":
        return "gradient" if nabla else "denominator"
    return candidate


def _repair(equation: T.Equation, definitions: dict, spec: RNNSpec, sizes: tuple, z_max: int, source: str,
            notation: str) -> str | None:
    from .diagnose import diagnose

    return diagnose(equation, definitions, spec=spec, sizes=sizes, z_max=min(z_max, 3), source=source,
                    notation=notation)
