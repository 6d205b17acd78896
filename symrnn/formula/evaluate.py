"""Evaluate a formula tree to numbers for one model, point and index assignment, via the derivative service."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from fractions import Fraction

import mpmath
import numpy as np

from ..engine.service import Quantity as GraphQuantity
from . import tree as T
from .model import Model

LENGTH_NAMES = T.LENGTH_VARIABLES
LOSS_SCALE = "J"
"""Key of ``Context.definitions`` for the factor of an averaged loss (``L = \\frac{1}{T} ...``)."""
PARAMETERS = ("W", "U", "V", "b", "c")


class Unevaluable(Exception):
    """The formula cannot be given numbers (an ellipsis, a dependence declaration, an unknown δ)."""


class LayoutMismatch(Exception):
    """Shapes do not chain in the layout being tried (the other layout may fit)."""


class Undefined(Exception):
    """A quantity outside the unrolled graph, e.g. J_0 or s_{z+1}."""

    def __init__(self, message: str, node: object = None, *, inside_range: bool = False) -> None:
        super().__init__(message)
        self.node = node
        self.inside_range = inside_range  # reached by a Σ/Π bound: the formula itself is at fault


@dataclass(frozen=True)
class Value:
    """A tensor whose first ``outputs`` axes are output (row) axes and the rest input (column) axes.

    A column vector has one output axis, a row vector one input axis, ``∂J/∂W`` in numerator layout
    zero output and two input axes. ``None`` arrays stand for the identity (an empty product).
    """

    array: np.ndarray | None
    outputs: int

    def __post_init__(self) -> None:
        if self.array is not None and not isinstance(self.array, np.ndarray):
            # NumPy returns a bare scalar for 0-d results (an mpmath number in the 60-digit re-check).
            object.__setattr__(
                self,
                "array",
                np.asarray(self.array, dtype=object if isinstance(self.array, mpmath.mpf) else None),
            )

    @property
    def inputs(self) -> int:
        return self.array.ndim - self.outputs

    @property
    def is_scalar(self) -> bool:
        return self.array is not None and self.array.ndim == 0


IDENTITY = Value(None, 0)
ZERO = Value(np.array(0.0), 0)  # an empty sum: neutral in sums and comparisons, whatever the shape


def _scalar(x: float) -> Value:
    if isinstance(x, mpmath.mpf):
        return Value(np.array(x, dtype=object), 0)
    return Value(np.array(float(x)), 0)


def _exact(value: int | Fraction, model: Model) -> float | mpmath.mpf:
    """A number of the formula in the model's arithmetic (float64, or mpmath when model.digits is set)."""
    if model.digits is None:
        return float(value)
    value = Fraction(value)
    return mpmath.mpf(value.numerator) / value.denominator


MP_EXP_LIMIT = 10**6
"""Largest |x| whose exp(x) the 60-digit re-check computes (beyond it the exponent alone is a huge integer)."""


def _mp_exp(v: mpmath.mpf) -> mpmath.mpf:
    if abs(v) > MP_EXP_LIMIT:
        raise ArithmeticError(f"exp of {mpmath.nstr(v, 3)} is beyond the high-precision re-check")
    return mpmath.exp(v)


_MP_FUNCTIONS = {
    "tanh": mpmath.tanh,
    "exp": _mp_exp,
    "log": mpmath.log,
    "sigma": lambda v: 1 / (1 + _mp_exp(-v)),
    "tanh_prime": lambda v: 1 - mpmath.tanh(v) ** 2,
    "sigma_prime": lambda v: _mp_exp(-v) / (1 + _mp_exp(-v)) ** 2,
    "relu": lambda v: v if v > 0 else mpmath.mpf(0),
    "relu_prime": lambda v: mpmath.mpf(1 if v > 0 else 0),
}


def _real(value: object) -> object:
    if isinstance(value, mpmath.mpc):
        raise ArithmeticError("a function left the real numbers")
    return value


@dataclass(frozen=True)
class Context:
    """Where an evaluation happens: the model, index values, layout, and user definitions (δ_t := ...)."""

    model: Model
    indices: Mapping[str, int]
    layout: (
        str  # "numerator", "denominator" or "mixed" (Jacobians numerator, derivatives of scalars gradients)
    )
    definitions: Mapping[str, tuple[T.Equation, ...]]  # role -> its defining equations (δ_z = ..., δ_t = ...)
    depth: int = 0
    notation: str = "notes"

    def time(self, index: T.Index | None, node: object) -> int | None:
        if index is None:
            return None
        values = dict(self.indices)
        for name in LENGTH_NAMES:
            values.setdefault(name, self.model.spec.z)
        missing = index.variables - set(values)
        if missing:
            raise Unevaluable(f"index {', '.join(sorted(missing))} has no value here")
        return index.evaluate(values)


def graph_quantity(node: T.Quantity, context: Context) -> GraphQuantity:
    """The graph node named by a formula quantity, or Undefined when it lies outside the graph."""
    spec, role = context.model.spec, node.role
    t = context.time(node.time, node)
    if role in PARAMETERS:
        if role in ("b", "c") and not spec.bias:
            raise Undefined(f"{node.raw or role}: the model has no biases", node)
        return GraphQuantity(role)
    if role == "J" and t is None:
        return GraphQuantity("J")
    if t is None:
        if "t" not in context.indices:
            raise Unevaluable(f"{node.raw or role} needs a time index")
        t = context.indices["t"]
    low = 0 if role == "s" else 1
    if not low <= t <= spec.z:
        raise Undefined(
            f"{node.raw or role} at t = {t} does not exist (the graph has t = {low}..{spec.z})", node
        )
    return GraphQuantity(role, t)


def _shape_value(model: Model, quantity: GraphQuantity, array: np.ndarray) -> Value:
    return Value(array, 0 if quantity.role == "J" else 1)


def evaluate(node: T.Node, context: Context) -> Value:
    """The numeric value of one node (see :class:`Value` for the axis convention)."""
    method = _EVALUATORS.get(type(node))
    if method is None:
        raise Unevaluable(f"{type(node).__name__} cannot be evaluated")
    return method(node, context)


def _quantity(node: T.Quantity, context: Context) -> Value:
    if node.role == "delta":
        return _defined(node, context)
    if node.role == T.GENERIC_PARAMETER:
        raise Unevaluable("the generic parameter P is checked for each parameter in turn")
    model = context.model
    quantity = graph_quantity(node, context)
    if quantity == GraphQuantity("J"):
        return _scalar(model.total_loss() * loss_scale(context))
    array = model.values_of(quantity.role, quantity.t)
    if quantity.role in ("W", "U", "V"):
        return Value(array, 1)
    if quantity.role == "J":
        return _scalar(array[0, 0])
    if (
        quantity.role == "yhat"
        and context.notation == "goodfellow"
        and "hat" in node.raw
        and model.spec.loss == "ce"
    ):
        return Value(_softmax(array[:, 0]), 1)  # Goodfellow's ŷ = softmax(o): probabilities, o the logits
    return Value(array[:, 0], 1)


def loss_scale(context: Context) -> float:
    """The factor of an averaged loss defined in the formula (d2l's ``L = \\frac{1}{T} \\sum_t l(o_t, y_t)``)."""
    scale = context.definitions.get(LOSS_SCALE)
    if not scale:
        return 1.0
    value = evaluate(scale[0].rhs, context)
    if value.array is None or not value.is_scalar:
        return 1.0
    return value.array.item() if context.model.digits is not None else float(value.array)


def _softmax(v: np.ndarray) -> np.ndarray:
    shifted = np.exp(v - v.max())
    return shifted / shifted.sum()


def _choose_definition(
    equations: tuple[T.Equation, ...], t: int, context: Context
) -> tuple[T.Equation, dict]:
    """The most specific definition whose left side matches time t: a fixed index (δ_z, δ_0) before δ_t."""
    general = None
    for equation in equations:
        index = equation.lhs.time
        if index is None:
            general = general or (equation, {})
            continue
        variables = index.variables - LENGTH_NAMES
        if not variables:
            if context.time(index, equation.lhs) == t:
                return equation, {}
            continue
        if general is None and len(index.terms) == 1 and index.terms[0][1] == 1:
            general = (equation, {index.terms[0][0]: t - index.constant})
        elif general is None and len(variables) == 1:
            (variable,) = variables
            rest = T.Index.combine({v: c for v, c in index.terms if v != variable}, index.constant)
            coefficient = dict(index.terms)[variable]
            remainder = t - context.time(rest, equation.lhs)
            if remainder % coefficient == 0:
                general = (equation, {variable: remainder // coefficient})
    if general is None:
        raise Undefined(f"no definition of {equations[0].lhs.raw or equations[0].lhs.role} covers t = {t}")
    return general


def _defined(node: T.Quantity, context: Context) -> Value:
    equations = context.definitions.get(node.role)
    if not equations:
        raise Unevaluable(
            f"{node.raw or node.role} is not defined; give its definition first, e.g. \\delta_t = ..."
        )
    if context.depth > 4 * context.model.spec.z + 8:
        raise Unevaluable(f"the definition of {node.raw or node.role} does not terminate")
    if node.time is None:
        equation, bound = equations[0], {}
    else:
        equation, bound = _choose_definition(tuple(equations), context.time(node.time, node), context)
    inner = replace(context, indices={**context.indices, **bound}, depth=context.depth + 1)
    return evaluate(equation.rhs, inner)


def _derivative(node: T.Derivative, context: Context) -> Value:
    of = node.of
    if isinstance(of, T.Apply) and of.function == "f" and not of.arguments:
        of = T.Quantity("s", node.wrt.time, raw="f")  # ∂f/∂u: the activation's output, i.e. s
    if not isinstance(of, T.Quantity):
        raise Unevaluable("only derivatives of named quantities can be evaluated")
    if of.role in ("delta", T.GENERIC_PARAMETER) or node.wrt.role in ("delta", T.GENERIC_PARAMETER):
        raise Unevaluable("derivatives of δ or of the generic P are not defined")
    top, bottom = graph_quantity(of, context), graph_quantity(node.wrt, context)
    immediate = node.kind == "immediate" or (
        node.kind == "partial" and bottom.role in PARAMETERS and top.role in ("s", "u", "yhat")
    )
    if node.kind != "total" and top.role == "s" and bottom.role == "u" and top.t == bottom.t:
        immediate = True
    array = context.model.derivative(top, bottom, immediate)
    if top == GraphQuantity("J"):
        array = array * loss_scale(context)
    rank_of = 0 if top.role == "J" else (2 if top.role in ("W", "U", "V") else 1)
    if (
        node.kind == "nabla"
        or context.layout == "denominator"
        or (context.layout == "mixed" and rank_of == 0)
    ):
        # Gradient (denominator) layout: the variable's axes first.
        moved = np.moveaxis(array, tuple(range(rank_of)), tuple(range(array.ndim - rank_of, array.ndim)))
        return Value(moved, array.ndim - rank_of)
    return Value(array, rank_of)


def _ratio(node: T.Ratio, context: Context) -> Value:
    denominator = context.time(node.denominator, node)
    if denominator == 0:
        raise Undefined(f"division by {node.denominator} = 0", node)
    return _scalar(_exact(node.numerator, context.model) / denominator)


def _number(node: T.Number, context: Context) -> Value:
    return ZERO if node.value == 0 else _scalar(_exact(node.value, context.model))


def _identity(node: T.Identity, context: Context) -> Value:
    return IDENTITY


def add(left: Value, right: Value) -> Value:
    """Sum of two values of one shape (scalars broadcast over nothing else: shapes must agree)."""
    if left is ZERO or right is ZERO:
        return right if left is ZERO else left
    if left.array is None or right.array is None:
        other = right if left.array is None else left
        if other.array is None or other.array.ndim != 2 or other.array.shape[0] != other.array.shape[1]:
            raise LayoutMismatch("I added to something that is not a square matrix")
        return Value(other.array + np.eye(other.array.shape[0]), 1)
    if (left.is_scalar and right.array.ndim == 1) or (right.is_scalar and left.array.ndim == 1):
        # 1 - h_t^2: a number added to a vector acts on each entry (Goodfellow's and d2l's usage).
        vector = right if left.is_scalar else left
        return Value(left.array + right.array, vector.outputs)
    if left.array.shape != right.array.shape:
        raise LayoutMismatch(f"cannot add shapes {left.array.shape} and {right.array.shape}")
    return Value(left.array + right.array, left.outputs)


def _add(node: T.Add, context: Context) -> Value:
    total = evaluate(node.terms[0], context)
    for term in node.terms[1:]:
        total = add(total, evaluate(term, context))
    return total


def _neg(node: T.Neg, context: Context) -> Value:
    value = evaluate(node.operand, context)
    if value.array is None:
        raise Unevaluable("-I without a size")
    return Value(-value.array, value.outputs)


def multiply(left: Value, right: Value) -> Value:
    """Matrix product generalised to tensors: left's input axes against right's output axes."""
    if left.array is None:
        return right
    if right.array is None:
        return left
    if left.is_scalar or right.is_scalar:
        outputs = right.outputs if left.is_scalar else left.outputs
        return Value(left.array * right.array, outputs)
    left_in = left.array.shape[left.outputs :]
    right_out = right.array.shape[: right.outputs]
    if left_in == right_out:
        # Includes the outer product of a column and a row (nothing to contract).
        return Value(np.tensordot(left.array, right.array, axes=len(left_in)), left.outputs)
    if left.array.size == 1 or right.array.size == 1:
        # A 1-vector of the single-neuron case (the notes' Eqs. 22-27) acts as a scalar.
        scalar, other = (left, right) if left.array.size == 1 else (right, left)
        return Value(scalar.array.reshape(()).item() * other.array, other.outputs)
    raise LayoutMismatch(f"shapes {left.array.shape} and {right.array.shape} do not chain")


def hadamard(left: Value, right: Value) -> Value:
    """Entrywise product; a number on one side scales the other."""
    if left.array is not None and right.array is not None and (left.is_scalar or right.is_scalar):
        return multiply(left, right)
    if left.array is None or right.array is None or left.array.shape != right.array.shape:
        raise LayoutMismatch("⊙ needs two operands of one shape")
    return Value(left.array * right.array, left.outputs)


def _chain_order(factors: tuple[T.Node, ...], context: Context) -> tuple[T.Node, ...]:
    """Derivative factors put in chain order by matching quantities (∂A/∂B next to ∂B/∂C)."""
    if not all(
        isinstance(f, T.Derivative) and isinstance(f.of, T.Quantity) and isinstance(f.wrt, T.Quantity)
        for f in factors
    ):
        return factors
    try:
        keys = [(graph_quantity(f.of, context), graph_quantity(f.wrt, context)) for f in factors]
    except (Undefined, Unevaluable):
        return factors
    remaining, ordered = list(range(len(factors))), []
    tops = [k for k in remaining if all(keys[k][0] != keys[j][1] for j in remaining if j != k)]
    if len(tops) != 1:
        return factors
    current = tops[0]
    while True:
        ordered.append(current)
        remaining.remove(current)
        following = [j for j in remaining if keys[j][0] == keys[current][1]]
        if len(following) != 1:
            break
        current = following[0]
    return tuple(factors[i] for i in ordered) if not remaining else factors


def _mul(node: T.Mul, context: Context) -> Value:
    """Products left to right; juxtaposition, \\cdot and \\circ bind tighter than \\odot (``a ⊙ B v = a ⊙ (B v)``)."""
    groups: list[tuple[list[T.Node], list[str]]] = [([node.factors[0]], [])]
    for operator, factor in zip(node.operators, node.factors[1:]):
        if operator == "odot":
            groups.append(([factor], []))
        else:
            groups[-1][0].append(factor)
            groups[-1][1].append(operator)
    result = None
    for factors, operators in groups:
        value = _chain_product(tuple(factors), tuple(operators), context)
        result = value if result is None else hadamard(result, value)
    return result


def _chain_product(factors: tuple[T.Node, ...], operators: tuple[str, ...], context: Context) -> Value:
    if len(factors) > 1 and set(operators) <= {"cdot", "juxtapose"}:
        if context.layout != "denominator":
            factors = _chain_order(factors, context)
        else:
            factors = tuple(reversed(_chain_order(tuple(reversed(factors)), context)))
    result = evaluate(factors[0], context)
    for operator, factor in zip(operators, factors[1:]):
        right = evaluate(factor, context)
        if operator == "circ":
            try:
                result = multiply(result, right)
            except LayoutMismatch:
                result = hadamard(result, right)
        else:
            result = multiply(result, right)
    return result


def _power(node: T.Power, context: Context) -> Value:
    base = evaluate(node.base, context)
    exponent = context.time(node.exponent, node)
    if base.array is None:
        return IDENTITY
    array = base.array
    if array.ndim == 2 and base.outputs == 1 and array.shape[0] == array.shape[1] and array.shape[0] > 1:
        if exponent < 0:
            raise Undefined(f"negative matrix power {exponent}", node)
        return Value(np.linalg.matrix_power(array, exponent), 1)
    return Value(array**exponent, base.outputs)


def _transpose(node: T.Transpose, context: Context) -> Value:
    value = evaluate(node.operand, context)
    if value.array is None or value.is_scalar:
        return value
    array = np.moveaxis(
        value.array,
        tuple(range(value.outputs)),
        tuple(range(value.array.ndim - value.outputs, value.array.ndim)),
    )
    return Value(array, value.inputs)


def _diag(node: T.Diag, context: Context) -> Value:
    value = evaluate(node.operand, context)
    if value.array is None or value.array.ndim > 1:
        raise LayoutMismatch("diag needs a vector")
    return Value(np.diag(np.atleast_1d(value.array)), 1)


def _apply(node: T.Apply, context: Context) -> Value:
    model = context.model
    if node.function == "f" and not node.arguments:
        raise Unevaluable("a bare f has no value")
    arguments = [evaluate(a, context) for a in node.arguments]
    if any(a.array is None for a in arguments):
        raise Unevaluable("a function of I")
    x = arguments[0].array
    if node.function == "max":
        return Value(
            np.maximum(x, arguments[1].array),
            arguments[1].outputs if arguments[0].is_scalar else arguments[0].outputs,
        )
    if model.digits is not None:
        return _apply_exact(node, model, x, arguments)
    if node.function == "loss":
        return _scalar(_loss(model.spec.loss, x, arguments[1].array))

    def sigma(v: np.ndarray) -> np.ndarray:
        return 1 / (1 + np.exp(-v))

    table = {
        "f": lambda v: model.activation(v, 0),
        "f_prime": lambda v: model.activation(v, 1),
        "tanh": np.tanh,
        "sigma": sigma,
        "relu": lambda v: np.maximum(v, 0.0),
        "exp": np.exp,
        "log": np.log,
        "softmax": _softmax,
        "tanh_prime": lambda v: 1 - np.tanh(v) ** 2,
        "sigma_prime": lambda v: sigma(v) * (1 - sigma(v)),
        "relu_prime": lambda v: (v > 0).astype(float),
    }
    return Value(
        np.asarray(table[node.function](np.asarray(x, dtype=float)), dtype=float), arguments[0].outputs
    )


def _apply_exact(node: T.Apply, model: Model, x: np.ndarray, arguments: list[Value]) -> Value:
    """``_apply`` in mpmath arithmetic (the high-precision re-check of an inconclusive case)."""
    if node.function in ("f", "f_prime"):
        return Value(model.activation(x, 0 if node.function == "f" else 1), arguments[0].outputs)
    if node.function in _MP_FUNCTIONS:
        return Value(
            np.frompyfunc(lambda v: _real(_MP_FUNCTIONS[node.function](v)), 1, 1)(x), arguments[0].outputs
        )
    raise Unevaluable(f"{node.function} has no high-precision form")


def _loss(kind: str, yhat: np.ndarray, y: np.ndarray) -> float:
    """The per-step loss l(ŷ, y) of the model's rule (d2l's l, Goodfellow's L^{(t)})."""
    yhat, y = np.atleast_1d(np.asarray(yhat, dtype=float)), np.atleast_1d(np.asarray(y, dtype=float))
    if yhat.shape != y.shape:
        raise LayoutMismatch(f"l(.,.) needs two vectors of one size, got {yhat.shape} and {y.shape}")
    if kind == "ce":
        log_softmax = yhat - yhat.max() - np.log(np.exp(yhat - yhat.max()).sum())
        return float(-(y * log_softmax).sum())
    return float(0.5 * ((yhat - y) ** 2).sum())


def _bounds(node: T.Sum | T.Product, context: Context) -> range:
    lower = context.time(node.lower, node) if node.lower is not None else 1
    upper = context.time(node.upper, node) if node.upper is not None else context.model.spec.z
    return range(lower, upper + 1)


def _term(node: T.Sum | T.Product, context: Context, value: int) -> Value:
    try:
        return evaluate(node.body, replace(context, indices={**context.indices, node.variable: value}))
    except Undefined as error:
        raise Undefined(
            f"the {'sum' if isinstance(node, T.Sum) else 'product'} over {node.variable} reaches "
            f"{node.variable} = {value}, where {error}",
            error.node,
            inside_range=True,
        ) from None


def _sum(node: T.Sum, context: Context) -> Value:
    total: Value | None = None
    for value in _bounds(node, context):
        term = _term(node, context, value)
        total = term if total is None else add(total, term)
    return total if total is not None else ZERO


def _product(node: T.Product, context: Context) -> Value:
    # Chain order: the factor with the largest index on the left (∂s_t/∂s_{t-1} ⋯ ∂s_{k+1}/∂s_k).
    result = IDENTITY
    steps = list(_bounds(node, context))
    ordered = reversed(steps) if context.layout != "denominator" else steps
    for value in ordered:
        result = multiply(result, _term(node, context, value))
    return result


def _unevaluable(node: T.Node, context: Context) -> Value:
    what = "an ellipsis (\\dots)" if isinstance(node, T.Dots) else "a dependence declaration"
    raise Unevaluable(f"{what} states a shape of the computation, not a value to check")


_EVALUATORS = {
    T.Quantity: _quantity,
    T.Derivative: _derivative,
    T.Number: _number,
    T.Ratio: _ratio,
    T.Identity: _identity,
    T.Add: _add,
    T.Neg: _neg,
    T.Mul: _mul,
    T.Power: _power,
    T.Transpose: _transpose,
    T.Diag: _diag,
    T.Apply: _apply,
    T.Sum: _sum,
    T.Product: _product,
    T.Dots: _unevaluable,
    T.Dependence: _unevaluable,
}
