"""The formula tree: frozen dataclasses built by ``parse`` and read by the evaluator."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, fields
from fractions import Fraction
from types import MappingProxyType
from typing import Any, Union

from ..notation import ROLES

GENERIC_PARAMETER = "P"
"""Role of the notes' generic parameter ``P`` (Eq. (1)): the statement is meant for each of W, U, V, b, c."""
QUANTITY_ROLES = (*ROLES, GENERIC_PARAMETER)
PARAMETER_ROLES = frozenset({"W", "U", "V", "b", "c", GENERIC_PARAMETER})
DERIVATIVE_KINDS = ("partial", "immediate", "total", "nabla")
FUNCTIONS = (
    "f",
    "f_prime",
    "tanh",
    "sigma",
    "relu",
    "max",
    "exp",
    "log",
    "softmax",
    "tanh_prime",
    "sigma_prime",
    "relu_prime",
    "loss",
)
PRIMED = MappingProxyType(
    {"f": "f_prime", "tanh": "tanh_prime", "sigma": "sigma_prime", "relu": "relu_prime"}
)
"""Functions that may carry a prime (``\\tanh'(u_t)``, ``\\sigma'``, ``f^\\prime``) and the derivative's name."""
OPERATORS = ("juxtapose", "cdot", "odot", "circ", "times")
OPERATOR_COMMANDS = MappingProxyType(
    {r"\cdot": "cdot", r"\odot": "odot", r"\circ": "circ", r"\times": "times"}
)
FUNCTION_WORDS = MappingProxyType(
    {
        "diag": "diag",
        "tanh": "tanh",
        "sigma": "sigma",
        "sigmoid": "sigma",
        "relu": "relu",
        "ReLU": "relu",
        "exp": "exp",
        "log": "log",
        "max": "max",
        "softmax": "softmax",
        "ell": "loss",
        "l": "loss",
        "phi": "f",
        "varphi": "f",
    }
)
"""How function names are spelled (``\\tanh``, ``\\operatorname{softmax}``) -> FUNCTIONS (or "diag")."""
INDEX_VARIABLES = frozenset({"i", "j", "k", "m", "n", "t", "z", "T", "tau"})
"""The letters read as index variables (``\\tau`` is stored as "tau"); every other letter names a quantity."""
LENGTH_VARIABLES = frozenset({"z", "T", "tau"})
"""Index variables that name the sequence length in the notes (z), d2l (T) and Goodfellow (tau)."""

# Names of each notation: text key -> role. Keys: a letter, \hat{y}, \delta, or letter_{label}.
_COMMON = {
    "x": "x",
    "y": "y",
    r"\hat{y}": "yhat",
    "o": "yhat",
    "s": "s",
    "h": "s",
    "u": "u",
    "J": "J",
    "L": "J",
    r"\delta": "delta",
    "P": GENERIC_PARAMETER,
    "W_{xh}": "W",
    "W_{hx}": "W",
    "W_{hh}": "U",
    "W_{hy}": "V",
    "W_{hq}": "V",
    "W_{qh}": "V",
    "b_{h}": "b",
    "b_{y}": "c",
    "b_{q}": "c",
}
NAMES: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {
        "notes": MappingProxyType(
            {**_COMMON, "W": "W", "U": "U", "V": "V", "b": "b", "c": "c", "w": "W", "v": "V"}
        ),
        "d2l": MappingProxyType(dict(_COMMON)),
        "goodfellow": MappingProxyType(
            {**_COMMON, "U": "W", "W": "U", "V": "V", "b": "b", "c": "c", "a": "u"}
        ),
    }
)
"""For each notation, the accepted quantity names and their roles (``w``, ``v``: the notes' lower case)."""

Span = tuple[int, int]


def _span() -> Any:
    # Source span (start, end) in the parsed text; not part of equality, so trees compare by meaning.
    return field(default=(0, 0), compare=False, repr=False, kw_only=True)


def _check(value: str, allowed: tuple[str, ...] | frozenset[str], what: str) -> None:
    if value not in allowed:
        raise ValueError(f"unknown {what} {value!r}; expected one of {sorted(allowed)}")


@dataclass(frozen=True)
class Index:
    """An integer index ``constant + sum(coefficient * variable)``, e.g. ``t-1``, ``0`` or ``T+t-i``.

    Attributes:
        constant: the integer part.
        terms: ``(variable, coefficient)`` pairs sorted by variable, no zero coefficients
            (``tau`` is written ``tau``).
    """

    constant: int = 0
    terms: tuple[tuple[str, int], ...] = ()
    span: Span = _span()

    def __post_init__(self) -> None:
        if isinstance(self.constant, bool) or not isinstance(self.constant, int):
            raise TypeError("an index constant must be an int")
        names = [name for name, _ in self.terms]
        if names != sorted(set(names)) or any(
            type(n) is not str or type(c) is not int or c == 0 for n, c in self.terms
        ):
            raise ValueError(
                "index terms must be sorted by variable (a str), unique, with non-zero int coefficients"
            )

    @classmethod
    def of(cls, variable: str | None = None, offset: int = 0, *, span: Span = (0, 0)) -> Index:
        """``variable + offset`` (or the number ``offset`` when variable is None): ``Index.of("t", -1)``."""
        return cls(offset, () if variable is None else ((variable, 1),), span=span)

    @classmethod
    def combine(cls, coefficients: Mapping[str, int], constant: int = 0, *, span: Span = (0, 0)) -> Index:
        """The normalized index ``constant + sum(coefficients[v] * v)``."""
        terms = tuple(sorted((name, c) for name, c in coefficients.items() if c != 0))
        return cls(constant, terms, span=span)

    def shift(self, delta: int) -> Index:
        """``self + delta``."""
        return Index(self.constant + delta, self.terms, span=self.span)

    @property
    def variables(self) -> frozenset[str]:
        """The index variables that occur."""
        return frozenset(name for name, _ in self.terms)

    @property
    def is_constant(self) -> bool:
        """True for a plain integer such as ``0`` or ``2``."""
        return not self.terms

    def evaluate(self, values: Mapping[str, int]) -> int:
        """The integer value for the given values of the variables."""
        return self.constant + sum(c * values[name] for name, c in self.terms)

    def __str__(self) -> str:
        parts = []
        for name, c in self.terms:
            sign = "-" if c < 0 else "+"
            parts.append(f"{sign}{'' if abs(c) == 1 else abs(c)}{name}")
        if self.constant or not parts:
            parts.append(f"{'-' if self.constant < 0 else '+'}{abs(self.constant)}")
        text = "".join(parts)
        return text[1:] if text.startswith("+") else text


@dataclass(frozen=True)
class Quantity:
    """A named quantity of the graph, e.g. ``s_{t-1}`` (role "s", time t-1) or ``W_{hh}`` (role "U").

    Attributes:
        role: one of QUANTITY_ROLES, after the notation was resolved.
        time: time index, or None (parameters; ``J`` the total loss; an untimed ``u`` or ``x``).
            A parameter with a time (``W^{(t)}``) is Goodfellow's copy used at step t.
        raw: the source text, e.g. ``\\underline{W}_0`` (ignored by ``==``).
    """

    role: str
    time: Index | None = None
    raw: str = field(default="", compare=False)
    span: Span = _span()

    def __post_init__(self) -> None:
        _check(self.role, QUANTITY_ROLES, "role")


@dataclass(frozen=True)
class Number:
    """An exact number: ``2``, ``0.5`` (stored as Fraction(1, 2)), ``\\frac{1}{2}``."""

    value: int | Fraction
    span: Span = _span()

    def __post_init__(self) -> None:
        if isinstance(self.value, bool) or not isinstance(self.value, (int, Fraction)):
            raise TypeError("a Number holds an int or a Fraction")


@dataclass(frozen=True)
class Ratio:
    """``\\frac{1}{T}``: a number over an index (d2l's averaged loss); T, z and tau are the length."""

    numerator: int | Fraction
    denominator: Index
    span: Span = _span()


@dataclass(frozen=True)
class Identity:
    """The identity matrix ``I`` or ``\\mathbb{1}`` (size from context)."""

    span: Span = _span()


@dataclass(frozen=True)
class Dots:
    """An ellipsis ``\\dots`` in a chain or argument list (the notes' Eq. [19], Eq. (14))."""

    span: Span = _span()


@dataclass(frozen=True)
class Derivative:
    """A derivative of ``of`` with respect to ``wrt`` (a Quantity).

    Attributes:
        kind: "partial" (``\\frac{\\partial A}{\\partial B}``, ``\\partial A / \\partial B``),
            "immediate" (``\\partial^+``: the other arguments of the step held fixed),
            "total" (``\\frac{dA}{dB}``) or "nabla" (``\\nabla_B A``: gradient layout).
        of: usually a Quantity; ``Apply("f", ())`` for ``\\partial f``; any node in parentheses.
    """

    kind: str
    of: Node
    wrt: Quantity
    span: Span = _span()

    def __post_init__(self) -> None:
        _check(self.kind, DERIVATIVE_KINDS, "derivative kind")


@dataclass(frozen=True)
class Sum:
    """``\\sum_{variable=lower}^{upper} body``; lower and upper None for ``\\sum_t`` (range implied)."""

    variable: str
    lower: Index | None
    upper: Index | None
    body: Node
    span: Span = _span()


@dataclass(frozen=True)
class Product:
    """``\\prod_{variable=lower}^{upper} body``, written in chain order (the notes' Eq. (17))."""

    variable: str
    lower: Index | None
    upper: Index | None
    body: Node
    span: Span = _span()


@dataclass(frozen=True)
class Add:
    """A sum of two or more terms; a subtracted term is a Neg."""

    terms: tuple[Node, ...]
    span: Span = _span()


@dataclass(frozen=True)
class Neg:
    """``-operand``."""

    operand: Node
    span: Span = _span()


@dataclass(frozen=True)
class Mul:
    """A product ``factors[0] op factors[1] op ...`` applied left to right.

    Attributes:
        operators: one per gap, from OPERATORS ("juxtapose" where nothing is written);
            ``len(operators) == len(factors) - 1``.
    """

    factors: tuple[Node, ...]
    operators: tuple[str, ...]
    span: Span = _span()

    def __post_init__(self) -> None:
        if len(self.operators) != len(self.factors) - 1 or len(self.factors) < 2:
            raise ValueError("a Mul has two or more factors and one operator per gap")
        for op in self.operators:
            _check(op, OPERATORS, "operator")

    @property
    def op(self) -> str | None:
        """The common operator when all gaps use the same one, else None."""
        return self.operators[0] if len(set(self.operators)) == 1 else None


@dataclass(frozen=True)
class Power:
    """``base^exponent`` with an integer exponent (``h_t^2``, ``(W^T)^{t-i}``, ``f^2(u)``)."""

    base: Node
    exponent: Index
    span: Span = _span()


@dataclass(frozen=True)
class Transpose:
    """``operand^T`` (also ``^\\top``, ``^{T}``, ``^\\intercal``)."""

    operand: Node
    span: Span = _span()


@dataclass(frozen=True)
class Diag:
    """``\\operatorname{diag}(operand)``: the diagonal matrix of a vector."""

    operand: Node
    span: Span = _span()


@dataclass(frozen=True)
class Apply:
    """A function applied elementwise (``max`` takes two arguments; no arguments: the bare ``f`` of ``\\partial f``)."""

    function: str
    arguments: tuple[Node, ...]
    span: Span = _span()

    def __post_init__(self) -> None:
        _check(self.function, FUNCTIONS, "function")


@dataclass(frozen=True)
class Dependence:
    """A declaration of dependence, ``s_2(s_1(w), s_0(w); w)`` (the notes' Eqs. (5), (14)): not a value."""

    quantity: Quantity
    arguments: tuple[Node, ...]
    span: Span = _span()


@dataclass(frozen=True)
class Equation:
    """``lhs = rhs``; rhs None for a bare expression such as the notes' [17] and [21]."""

    lhs: Node
    rhs: Node | None
    span: Span = _span()


@dataclass(frozen=True)
class Formula:
    """One or more statements, e.g. a recurrence for delta followed by the gradient that uses it.

    ``A = B = C`` becomes the two equations ``A = B`` and ``B = C``.
    """

    equations: tuple[Equation, ...]
    notation: str = "notes"
    text: str = field(default="", compare=False, repr=False)
    span: Span = _span()


NODE_TYPES = (
    Quantity,
    Number,
    Ratio,
    Identity,
    Dots,
    Derivative,
    Sum,
    Product,
    Add,
    Neg,
    Mul,
    Power,
    Transpose,
    Diag,
    Apply,
    Dependence,
    Equation,
    Formula,
)
Node = Union[NODE_TYPES]  # noqa: UP007 - every formula node type, from the one list above


def children(node: Node) -> tuple[Node, ...]:
    """The direct sub-nodes, in source order (Index values are not nodes)."""
    found: list[Node] = []
    for item in fields(node):
        value = getattr(node, item.name)
        if isinstance(value, NODE_TYPES):
            found.append(value)
        elif isinstance(value, tuple):
            found.extend(v for v in value if isinstance(v, NODE_TYPES))
    return tuple(found)


def walk(node: Node) -> Iterator[Node]:
    """Every node of the tree, parents before children (iterative: safe for any depth)."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(children(current)))


def depth(node: Node) -> int:
    """The number of nodes on the longest path from node down to a leaf (iterative)."""
    deepest, stack = 0, [(node, 1)]
    while stack:
        current, level = stack.pop()
        deepest = max(deepest, level)
        stack.extend((child, level + 1) for child in children(current))
    return deepest


def free_variables(node: Node) -> frozenset[str]:
    """Index variables used but not bound by an enclosing Sum or Product (``t`` in Eq. (9))."""
    free: set[str] = set()
    stack: list[tuple[Node, frozenset[str]]] = [(node, frozenset())]
    while stack:
        current, bound = stack.pop()
        indices = [getattr(current, item.name) for item in fields(current)]
        for index in indices:
            if isinstance(index, Index):
                free |= index.variables - bound
        if isinstance(current, (Sum, Product)):
            bound = bound | {current.variable}
        stack.extend((child, bound) for child in children(current))
    return frozenset(free)
