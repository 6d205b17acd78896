"""LaTeX printing in a notation profile: a LatexPrinter subclass and the names of general forms."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sympy
from sympy.printing.latex import LatexPrinter

from ..cells import CELLS
from ..notation import NOTATIONS, TIME_ROLES, Notation, parse_symbol_name


def notation_profile(name: str) -> Notation:
    """The notation profile called ``name`` ("notes", "d2l", "goodfellow"); ValueError otherwise."""
    if not isinstance(name, str) or name not in NOTATIONS:
        raise ValueError(f"unknown notation {name!r}; choose one of {', '.join(NOTATIONS)}")
    return NOTATIONS[name]


def _braced(text: str) -> str:
    return text if len(text) == 1 else "{" + text + "}"


class RNNLatexPrinter(LatexPrinter):
    """SymPy's LaTeX printer with symrnn's symbols written in a notation profile.

    ``s_2_0`` (element 0 of s_2) prints as ``s_{2,1}`` (element indices 1-based), ``W_0_1`` as
    ``W_{1,2}`` (``(W_{xh})_{1,2}`` in d2l), ``delta_1_0`` as ``\\delta_{1,1}``, ``J_3`` as ``J_{3}``.
    Dimensions listed in ``scalar_roles`` have size 1 and lose their element index (the single
    neuron's ``h_t``, ``W_{hh}``). Transposes print as ``^{\\top}``.
    """

    printmethod = "_symrnn_latex"

    def __init__(
        self,
        notation: str = "notes",
        *,
        scalar_roles: Mapping[str, tuple[bool, ...]] | None = None,
        **settings: Any,
    ) -> None:
        settings.setdefault("mat_delim", "(")
        super().__init__(settings)
        self.notation = notation_profile(notation)
        self.scalar_roles = dict(scalar_roles or {})

    def element_name(self, role: str, indices: tuple[int, ...]) -> str:
        """LaTeX of one scalar of a role: time index first for time roles, element indices 1-based."""
        head = self.role_latex(role)
        # A gated cell's state c_t_i has two indices; the output bias c_i has one.
        timed = role in _CELL_TIME_ROLES or role.startswith("delta_")
        if role in TIME_ROLES or (timed and len(indices) >= 2):
            time, elements = (indices[0],), indices[1:]
        else:
            time, elements = (), indices
        drop = self.scalar_roles.get(role, ())
        shown = [
            str(i + 1) for position, i in enumerate(elements) if not (position < len(drop) and drop[position])
        ]
        subscript = ",".join([*map(str, time), *shown])
        if not subscript:
            return head
        if "_" in head:  # already subscripted (W_{xh}, b_h): keep it whole
            return rf"({head})_{_braced(subscript)}"
        return f"{head}_{_braced(subscript)}"

    def role_latex(self, role: str) -> str | None:
        """LaTeX of a role: the notation's name, a gated cell's letter, ``δ^{h}`` for a state's adjoint."""
        if role in self.notation.latex:
            return self.notation[role]
        if role.startswith("delta_"):
            return rf"\delta^{{{role[6:]}}}"
        if role in _CELL_TIME_ROLES:
            return role
        if role in _CELL_PARAMETERS:
            head, _, tail = role.partition("_")
            return f"{head}_{{{tail}}}" if tail else head
        return None

    def _print_Symbol(self, expr: sympy.Symbol, style: str = "plain") -> str:
        parsed = parse_symbol_name(expr.name)
        if parsed is None or self.role_latex(parsed[0]) is None:
            return super()._print_Symbol(expr, style=style)
        return self.element_name(*parsed)

    def _print_Transpose(self, expr: Any) -> str:
        return f"{self.parenthesize_super(self._print(expr.arg))}^{{\\top}}"

    @staticmethod
    def _inline_piecewise(expr: Any) -> bool:
        """ReLU and its derivative: ``Piecewise((1 or u, u > 0), (0, True))``."""
        if not isinstance(expr, sympy.Piecewise) or len(expr.args) != 2:
            return False
        (value, condition), (zero, otherwise) = expr.args
        return (
            otherwise == sympy.true
            and zero == 0
            and isinstance(condition, sympy.StrictGreaterThan)
            and condition.rhs == 0
            and value in (1, condition.lhs)
        )

    def _needs_mul_brackets(self, expr: Any, first: bool = False, last: bool = False) -> bool:
        return (
            False
            if self._inline_piecewise(expr)
            else super()._needs_mul_brackets(expr, first=first, last=last)
        )

    def _print_Piecewise(self, expr: sympy.Piecewise) -> str:
        """ReLU's pieces as a person writes them inline: ``\\mathbf{1}[u > 0]`` and ``\\max(0, u)``."""
        if len(expr.args) == 2 and expr.args[1].cond == sympy.true and expr.args[1].expr == 0:
            value, condition = expr.args[0]
            if isinstance(condition, sympy.StrictGreaterThan) and condition.rhs == 0:
                argument = condition.lhs
                if value == 1:
                    return rf"\mathbf{{1}}[{self._print(argument)} > 0]"
                if value == argument:
                    return rf"\max\left(0, {self._print(argument)}\right)"
        return super()._print_Piecewise(expr)

    def _print_Add(self, expr: sympy.Add, order: str | None = None) -> str:
        """A sum as a person writes it: a positive term first (``\\hat{y} - y``, not ``- y + \\hat{y}``)."""
        if self._settings.get("order") == "none":
            terms = list(expr.args)
        else:
            terms = list(self._as_ordered_terms(expr, order=order))
        if terms and terms[0].could_extract_minus_sign():
            positive = next(
                (index for index, term in enumerate(terms) if not term.could_extract_minus_sign()), None
            )
            if positive is not None:
                terms.insert(0, terms.pop(positive))
        saved = self._settings.get("order")
        self._settings["order"] = "none"
        try:
            return super()._print_Add(sympy.Add(*terms, evaluate=False), order="none")
        finally:
            self._settings["order"] = saved

    def _print_MatrixBase(self, expr: Any) -> str:
        if expr.shape == (1, 1):  # a 1 × 1 matrix is its entry
            return self._print(expr[0, 0])
        return super()._print_MatrixBase(expr)

    _print_ImmutableMatrix = _print_ImmutableDenseMatrix = _print_Matrix = _print_MutableDenseMatrix = (
        _print_MatrixBase
    )


_CELL_TIME_ROLES = frozenset(eq.name for cell in CELLS.values() for eq in cell.equations)
_CELL_PARAMETERS = frozenset(name for cell in CELLS.values() for name in cell.parameter_names)


def scalar_roles_of(spec: Any) -> dict[str, tuple[bool, ...]]:
    """Which element indices of each role have size 1 (and are not printed) for a spec's sizes."""
    e, n, m = spec.e, spec.n, spec.m
    return {
        "s": (n == 1,),
        "u": (n == 1,),
        "delta": (n == 1,),
        "x": (e == 1,),
        "y": (m == 1,),
        "yhat": (m == 1,),
        "W": (n == 1, e == 1),
        "U": (n == 1, n == 1),
        "V": (m == 1, n == 1),
        "b": (n == 1,),
        "c": (m == 1,),
    }


def to_latex(
    expr: Any,
    *,
    notation: str = "notes",
    scalar_roles: Mapping[str, tuple[bool, ...]] | None = None,
    as_built: bool = False,
) -> str:
    """LaTeX of a SymPy expression or matrix in a notation profile; ``as_built`` keeps the factor order of an
    unevaluated product (``Mul(g, V, f', U, evaluate=False)`` prints in that order)."""
    settings = {"order": "none"} if as_built else {}
    return RNNLatexPrinter(notation, scalar_roles=scalar_roles, **settings).doprint(expr)


@dataclass(frozen=True)
class Names:
    """LaTeX of the quantities of general (symbolic-index) forms in one notation profile.

    ``names.q("s", "t-1")`` is ``s_{t-1}``; ``names.partial("J_t", "W")`` is a partial-derivative fraction.
    """

    notation: Notation

    def q(self, role: str, index: str | int | None = None) -> str:
        """A quantity with an optional time index, e.g. ``\\hat{y}_{t}``."""
        head = self.notation[role]
        if index is None:
            return head
        index = str(index)
        if "_" in head:  # h_0-like heads are not used with a time index; W_{xh} never takes one
            return rf"({head})_{_braced(index)}"
        return f"{head}_{_braced(index)}"

    def __getitem__(self, role: str) -> str:
        return self.notation[role]

    @staticmethod
    def partial(of: str, wrt: str, *, immediate: bool = False) -> str:
        """``∂ of / ∂ wrt``; ``immediate`` marks the notes' ∂⁺ (previous state held fixed)."""
        mark = r"\partial^{+}" if immediate else r"\partial"
        return rf"\frac{{{mark} {of}}}{{\partial {wrt}}}"

    @staticmethod
    def total(of: str, wrt: str) -> str:
        """The total derivative ``d of / d wrt``."""
        return rf"\frac{{d {of}}}{{d {wrt}}}"
