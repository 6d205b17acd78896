"""Parse a hand-written BPTT formula (a LaTeX subset) into the tree of ``symrnn.formula.tree``."""

from __future__ import annotations

import difflib
import itertools
import re
from collections import namedtuple
from dataclasses import replace
from fractions import Fraction
from functools import lru_cache
from importlib import resources
from typing import Any

from lark import Lark, Token
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken, VisitError
from lark.visitors import Transformer_NonRecursive, v_args

from ..errors import FormulaError
from . import tree as T

MAX_LENGTH = 5000
"""Longest accepted formula, in characters."""
MAX_NESTING = 64
"""Deepest accepted nesting of brackets ``{ ( [``."""
MAX_DIGITS = 15
"""Longest number literal, in digits: exactly representable in float64 and far from overflow."""
MAX_DEPTH = 100
"""Deepest accepted formula tree (counted in nodes), so that recursive evaluators are safe."""

# Every accepted backslash command; anything else (\input, \def, \catcode, ...) is refused by name.
COMMANDS = frozenset(
    """
    sum prod frac tfrac dfrac partial nabla delta tau hat widehat underline mathbf boldsymbol bm bar vec
    tanh sigma exp log max ell operatorname mathrm textrm text rm mathsf mathbb top intercal
    le leq ge geq lt gt mathcal mathit phi varphi
    dots ldots cdots cdot odot circ times left right big Big bigg Bigg bigl bigr Bigl Bigr biggl biggr
    Biggl Biggr quad qquad limits displaystyle""".split()
) | frozenset(", ; : ! { } \\".split() + [" "])

_DEPENDENT_ROLES = frozenset({"s", "u", "yhat", "J"})
_ARITY = {"max": 2, "loss": 2}

_BAD_CHARACTER = re.compile(r"[^\x20-\x7e\t\n\r]")
_BRACKET = re.compile(r"[{}()\[\]]")
_COMMAND = re.compile(r"\\([A-Za-z]+|[^A-Za-z]|$)")

_EXPRESSION_START = frozenset(
    {
        "ONES",
        "NAME",
        "DELTA",
        "HAT",
        "WRAP",
        "NUMBER",
        "FRAC",
        "IDENTITY",
        "F",
        "FUNCTION",
        "D",
        "OPNAME",
        "LPAR",
        "LSQB",
        "LBRACE",
        "LBRACE_ESC",
        "NABLA",
        "PARTIAL",
        "DOTS",
        "BIGOP",
    }
)
_HUMAN = {  # terminals in words; literal ones ('(', '_', ...) are shown as written
    "NAME": "a quantity such as W, x_t or s_t",
    "IVAR": "an index variable (t, k, m, i, j, n, z, T, \\tau)",
    "DIGIT": "a digit",
    "NUMBER": "a number",
    "ADDOP": "'+' or '-'",
    "BIGOP": "\\sum or \\prod",
    "MULOP": "a product sign (\\cdot, \\odot, \\circ, \\times)",
    "WRAP": "a wrapper such as \\underline",
    "FUNCTION": "a function such as \\tanh",
    "OPNAME": "\\operatorname{...}",
    "TOP": "\\top",
    "IDENTITY": "\\mathbb{1}",
    "ONES": "\\mathbf{1}",
    "CMP": "a relation (\\leq, <, \\geq, >)",
    "DOTS": "\\dots",
    "D": "d (as in dA/dB)",
    "PRIME": "a prime",
    "FRAC": "\\frac",
    "PARTIAL": "\\partial",
    "NABLA": "\\nabla",
    "DELTA": "\\delta",
    "HAT": "\\hat",
    "$END": "the end of the formula",
}
_TERM = "a term (a quantity, number, function, derivative, sum or bracket)"


def parse(text: str, *, notation: str = "notes") -> T.Formula:
    """Read a formula into a tree, resolving quantity names in the given notation.

    Args:
        text: LaTeX such as ``\\frac{\\partial J}{\\partial V} = \\sum_{t=1}^{z} (\\hat{y}_t - y_t) s_t^T``;
            several statements are separated by ``;``, ``\\\\`` or ``,`` (e.g. ``,\\quad``).
        notation: "notes", "d2l" or "goodfellow" (how W, U, V, b, c, h, o, a are read).

    Returns:
        The Formula; its nodes keep their source spans.

    Raises:
        FormulaError: malformed, unsupported or unsafe input, with the character position.
    """
    if notation not in T.NAMES:
        raise ValueError(f"unknown notation {notation!r}; expected one of {sorted(T.NAMES)}")
    if isinstance(text, str) and len(text) <= MAX_LENGTH:
        text = normalize(text)
    check_limits(text)
    try:
        syntax = _parser().parse(text)
    except UnexpectedInput as error:
        raise _syntax_error(error, text) from None
    try:
        formula = _Builder(text, notation).transform(syntax)
    except VisitError as error:
        if isinstance(error.orig_exc, FormulaError):
            raise error.orig_exc from None
        raise
    if T.depth(formula) > MAX_DEPTH:
        raise FormulaError(
            f"the formula nests deeper than {MAX_DEPTH} levels; split it into simpler statements"
        )
    return formula


# Unicode pasted from PDFs and web pages, and other spellings, rewritten to the ASCII LaTeX of the grammar.
_UNICODE = {
    "\u2212": "-",
    "\u2013": "-",
    "\u2014": "-",
    "\u2202": "\\partial ",
    "\u03a3": "\\sum ",
    "\u2211": "\\sum ",
    "\u220f": "\\prod ",
    "\u03a0": "\\prod ",
    "\u2299": "\\odot ",
    "\u2218": "\\circ ",
    "\u00b7": "\\cdot ",
    "\u22c5": "\\cdot ",
    "\u00d7": "\\times ",
    "\u1d40": "^{T}",
    "\u22a4": "\\top ",
    "\u2207": "\\nabla ",
    "\u03b4": "\\delta ",
    "\u03c3": "\\sigma ",
    "\u03c4": "\\tau ",
    "\u0177": "\\hat{y}",
    "\u2032": "'",
    "\u2264": "\\leq ",
    "\u2265": "\\geq ",
    "\u00a0": " ",
    "\u2026": "\\dots ",
    "\u22ef": "\\cdots ",
    "\u00b2": "^{2}",
    "\u2113": "\\ell ",
    "\u2009": " ",
    "\u202f": " ",
    "\u200b": "",
}
_UNICODE_PATTERN = re.compile("|".join(map(re.escape, _UNICODE)))
_REWRITES = (
    (re.compile(r"\$\$?"), " "),  # $...$ and $$...$$ delimiters
    (re.compile(r"(?<!\\)\\[\[\]()]"), "  "),  # \[...\] and \(...\)
    (re.compile(r"\^\s*\{\s*\\prime\s*\}|\^\s*\\prime(?![A-Za-z])"), "'"),  # f^\prime, f^{\prime}
    (re.compile(r"\\prime(?![A-Za-z])"), "'"),
    (re.compile(r"(?<![A-Za-z\\])l(?=\s*\()"), "\\\\ell"),  # d2l's loss l(o_t, y_t)
    (re.compile(r"y\u0302"), "\\\\hat{y}"),  # y followed by a combining circumflex
)
_PLAIN_WORDS = re.compile(
    r"(?<![\\A-Za-z{])(?<!\{ )(sum|prod|partial|frac|nabla|delta|tanh|sigma|hat|diag|sigmoid|softmax)"
    r"(?![A-Za-z])"
)


def normalize(text: str) -> str:
    """Unicode symbols (∂ Σ ⊙ ᵀ − ...), ``$``/``\\[`` delimiters and ``^\\prime`` rewritten to the grammar's LaTeX."""
    text = _UNICODE_PATTERN.sub(lambda match: _UNICODE[match.group()], text)
    for pattern, replacement in _REWRITES:
        text = pattern.sub(replacement, text)
    return text


def _plain_text_hint(text: str) -> None:
    """Plain words such as ``sum_t`` or ``partial J`` where LaTeX commands belong: say what was meant."""
    match = _PLAIN_WORDS.search(text)
    if match is None:
        return
    word = match.group(1)
    example = {
        "sum": "\\sum_{t=1}^{z}",
        "prod": "\\prod_{m=k+1}^{t}",
        "partial": "\\frac{\\partial J}{\\partial W}",
        "frac": "\\frac{\\partial J}{\\partial W}",
    }.get(word, f"\\{word}")
    raise FormulaError(
        f"'{word}' is plain text; did you mean {example}? (formulas are LaTeX: commands start "
        "with a backslash)",
        position=match.start(),
    )


def check_limits(text: str) -> None:
    """The checks made before the grammar runs: type, length, characters, nesting, commands."""
    if not isinstance(text, str):
        raise TypeError(f"a formula must be a str, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise FormulaError(
            f"the formula has {len(text):,} characters; the limit is {MAX_LENGTH:,}", position=MAX_LENGTH
        )
    _plain_text_hint(text)
    bad = _BAD_CHARACTER.search(text)
    if bad:
        raise FormulaError(
            f"character {bad.group()!r} (U+{ord(bad.group()):04X}) is not allowed; "
            "write the formula in ASCII LaTeX",
            position=bad.start(),
        )
    depth = 0
    for match in _BRACKET.finditer(text):
        depth += 1 if match.group() in "{([" else -1
        if depth > MAX_NESTING:
            raise FormulaError(
                f"brackets are nested deeper than {MAX_NESTING} levels", position=match.start()
            )
    for match in _COMMAND.finditer(text):
        if match.group(1) not in COMMANDS:
            close = difflib.get_close_matches(match.group(1), COMMANDS, n=1)
            hint = f"; did you mean \\{close[0]}?" if close else " (see symrnn.formula.parse.COMMANDS)"
            raise FormulaError(
                f"the command \\{match.group(1)} is not supported{hint}"
                if match.group(1)
                else "a lone backslash ends the formula",
                position=match.start(),
            )


@lru_cache(maxsize=1)
def _parser() -> Lark:
    grammar = resources.files("symrnn.formula").joinpath("grammar.lark").read_text(encoding="utf-8")
    tau = {"IVAR": lambda token: token.update(value="tau") if token == "\\tau" else token}
    return Lark(
        grammar,
        parser="lalr",
        lexer="contextual",
        propagate_positions=True,
        maybe_placeholders=False,
        cache=True,  # the LALR tables are built once per grammar version (lark keys the file by its hash)
        lexer_callbacks=tau,
    )


def _syntax_error(error: UnexpectedInput, text: str) -> FormulaError:
    """One sentence: what was found where, and what the grammar expected there, in words."""
    if isinstance(error, UnexpectedToken) and error.token.type != "$END":
        expected, position, found = error.accepts or error.expected, error.token.start_pos, f"'{error.token}'"
    elif isinstance(error, UnexpectedCharacters):
        expected, position, found = (
            error.allowed or set(),
            error.pos_in_stream,
            f"'{text[error.pos_in_stream]}'",
        )
    else:  # the end of the input (UnexpectedToken at $END or UnexpectedEOF)
        expected, position, found = (
            getattr(error, "accepts", None) or error.expected,
            len(text),
            "end of the formula",
        )
    expected, words = set(expected) - {"WS", "SPACING"}, []
    if len(_EXPRESSION_START & expected) > 3:
        words, expected = [_TERM], expected - _EXPRESSION_START
    patterns = {t.name: t.pattern.value for t in _parser().terminals}
    words += [_HUMAN.get(name) or f"'{patterns.get(name, name)}'" for name in sorted(expected)]
    listed = ("one of: " + "; ".join(words)) if len(words) > 1 else "".join(words) or "nothing more"
    return FormulaError(f"unexpected {found}; expected {listed}", position=position)


_BARE = ""  # the index of a \sum written without limits, until resolve_bare_sums names it
_DIRECTION = {
    "\\le": "up",
    "\\leq": "up",
    "\\lt": "up",
    "<": "up",
    "<=": "up",
    "\\ge": "down",
    "\\geq": "down",
    "\\gt": "down",
    ">": "down",
    ">=": "down",
}
_STRICT = frozenset({"\\lt", "<", "\\gt", ">"})

# Intermediate results, never left in a finished tree.
_Name = namedtuple("_Name", "key index label", defaults=(None, None))  # a name before notation lookup
_Paren = namedtuple("_Paren", "node span")  # (expression): a factor, or the argument of s_2(w)
_IndexGroup = namedtuple("_IndexGroup", "index span")  # (t-1) in s(t-1)
_Arguments = namedtuple("_Arguments", "nodes span")  # (0, x) in \max(0, x)
_Sup = namedtuple("_Sup", "kind index transpose span")  # kind: "transpose", "power" or "time"
_BigOp = namedtuple("_BigOp", "node")  # a sum or product closing a term


def _resolve_bare(node: T.Node, outer: frozenset[str]) -> T.Node:
    """Name the index of each ``\\sum`` written without limits: the one index of its body not fixed outside."""
    from .rewrite import transform

    def edit(n: T.Node) -> T.Node | None:
        if not isinstance(n, (T.Sum, T.Product)) or n.variable != _BARE:
            return None
        candidates = sorted(T.free_variables(n.body) - T.LENGTH_VARIABLES - outer)
        if len(candidates) != 1:
            found = ", ".join(candidates) or "none"
            raise FormulaError(
                f"cannot tell which index a {'sum' if isinstance(n, T.Sum) else 'product'} without "
                f"limits runs over (candidates: {found}); write it, e.g. \\sum_{{t=1}}^{{z}}",
                position=n.span[0],
            )
        return replace(n, variable=candidates[0])

    return transform(node, edit)


def _span(meta: Any) -> T.Span:
    return (meta.start_pos, meta.end_pos)


def _is(token: Any, *types: str) -> bool:
    return isinstance(token, Token) and token.type in types


def _node(item: Any) -> Any:
    """A finished node from a child: unwrap parentheses, refuse stray index groups and argument lists."""
    if isinstance(item, _Paren):
        return item.node
    if isinstance(item, (_IndexGroup, _Arguments)):
        raise FormulaError(
            f"the index ({item.index}) must follow a quantity, as in s({item.index})"
            if isinstance(item, _IndexGroup)
            else "a list of arguments must follow a function, as in \\max(0, x)",
            position=item.span[0],
        )
    return item


@v_args(meta=True)
class _Builder(Transformer_NonRecursive):
    """Builds tree nodes bottom-up (non-recursive: deep chains cannot overflow the stack)."""

    def __init__(self, text: str, notation: str) -> None:
        super().__init__()
        self.text, self.notation, self.names = text, notation, T.NAMES[notation]

    def start(self, meta, children):
        equations = tuple(eq for child in children if isinstance(child, list) for eq in child)
        return T.Formula(equations, self.notation, self.text, span=(0, len(self.text)))

    def statement(self, meta, children):
        sides = [_node(c) for c in children]
        if any(
            isinstance(n, (T.Sum, T.Product)) and n.variable == _BARE for side in sides for n in T.walk(side)
        ):
            outer = T.free_variables(sides[0]) - T.LENGTH_VARIABLES
            sides = [sides[0]] + [_resolve_bare(side, outer) for side in sides[1:]]
            sides[0] = _resolve_bare(sides[0], frozenset())
        if len(sides) == 1:
            return [T.Equation(sides[0], None, span=_span(meta))]
        return [T.Equation(a, b, span=(a.span[0], b.span[1])) for a, b in itertools.pairwise(sides)]

    def additive(self, meta, children):
        terms, sign = [], None
        for child in children:
            if _is(child, "ADDOP"):
                sign = child
                continue
            term = _node(child)
            terms.append(T.Neg(term, span=(sign.start_pos, term.span[1])) if sign == "-" else term)
            sign = None
        return terms[0] if len(terms) == 1 else T.Add(tuple(terms), span=_span(meta))

    def term(self, meta, children):
        items, operators, gap = [], [], "juxtapose"
        for child in children:
            if _is(child, "MULOP"):
                gap = T.OPERATOR_COMMANDS[str(child)]
                continue
            previous = items[-1] if items and gap == "juxtapose" else None
            merged = self._merge(previous, child) if isinstance(previous, T.Quantity) else None
            if merged is not None:
                items[-1] = merged
            else:
                operators += [gap] if items else []
                items.append(child.node if isinstance(child, _BigOp) else child)
            gap = "juxtapose"
        nodes = [_node(item) for item in items]
        return nodes[0] if len(nodes) == 1 else T.Mul(tuple(nodes), tuple(operators), span=_span(meta))

    def _merge(self, quantity: T.Quantity, item: Any) -> Any:
        """``s(t)`` -> s_t; ``s_2(s_1(w), w)`` -> a Dependence; None when item is a plain factor."""
        if isinstance(item, _IndexGroup):
            if quantity.time is not None or quantity.role in T.PARAMETER_ROLES:
                raise FormulaError(
                    f"{quantity.raw} cannot take the time index ({item.index})", position=item.span[0]
                )
            span = (quantity.span[0], item.span[1])
            return replace(quantity, time=item.index, raw=self.text[span[0] : span[1]], span=span)
        if not isinstance(item, (_Paren, _Arguments)) or quantity.role not in _DEPENDENT_ROLES:
            return None
        arguments = (item.node,) if isinstance(item, _Paren) else item.nodes
        if all(isinstance(a, (T.Quantity, T.Dependence, T.Dots)) for a in arguments):
            return T.Dependence(quantity, arguments, span=(quantity.span[0], item.span[1]))
        return None

    def bigop(self, meta, children):
        if len(children) == 2:  # \sum without limits: the index is inferred (resolve_bare_sums)
            children = [children[0], (_BARE, None, None), children[1]]
        kind, (variable, lower, upper), body = children
        kind = T.Sum if kind == "\\sum" else T.Product
        return _BigOp(kind(variable, lower, upper, _node(body), span=_span(meta)))

    def limits(self, meta, children):
        ((variable, start),) = [c for c in children if isinstance(c, tuple)]
        end = next((c for c in children if not isinstance(c, tuple)), None)
        if isinstance(end, list):  # the notes' \prod_{m=k+1}^{m=t}
            named, end = end
            if named != variable:
                raise FormulaError(
                    f"the upper limit names {named}, but the index is {variable}", position=end.span[0]
                )
        return variable, start, end

    def relation_limits(self, meta, children):
        """``\\sum_{1 \\leq k \\leq t}``, ``\\prod_{t \\geq i > k}``, ``\\sum_{k < t}``: Pascanu et al.'s limits."""
        parts, relations = children[0::2], [str(c) for c in children[1::2]]
        bare = [p for p in parts if len(p.terms) == 1 and p.terms[0][1] == 1 and p.constant == 0]
        middle = parts[1] if len(parts) == 3 else parts[0]
        if middle not in bare or len({_DIRECTION[r] for r in relations}) != 1:
            raise FormulaError(
                "write the limits as a <= k <= b (or b >= k > a) with the index k in the middle, or k <= b",
                position=meta.start_pos,
            )
        variable = middle.terms[0][0]
        ascending = _DIRECTION[relations[0]] == "up"
        bounds: dict[str, T.Index | None] = {"lower": None, "upper": None}
        if len(parts) == 3:
            first, second = parts[0], parts[2]
            strict_first, strict_second = relations[0] in _STRICT, relations[1] in _STRICT
            low, low_strict, high, high_strict = (
                (first, strict_first, second, strict_second)
                if ascending
                else (second, strict_second, first, strict_first)
            )
            bounds = {
                "lower": low.shift(1) if low_strict else low,
                "upper": high.shift(-1) if high_strict else high,
            }
        else:
            other, strict = parts[1], relations[0] in _STRICT
            key = "upper" if ascending else "lower"
            bounds[key] = other.shift(-1 if ascending else 1) if strict else other
        return variable, bounds["lower"], bounds["upper"]

    def lower(self, meta, children):
        return (str(children[0]), children[1] if len(children) > 1 else None)

    def upper(self, meta, children):
        if len(children) == 2:
            return [str(children[0]), children[1]]
        return children[0] if isinstance(children[0], T.Index) else self.index(meta, children)

    def index(self, meta, children) -> T.Index:
        coefficients: dict[str, int] = {}
        constant, sign = 0, 1
        for child in children:
            if _is(child, "ADDOP"):
                sign = -1 if child == "-" else 1
                continue
            if _is(child, "IVAR"):
                coefficients[str(child)] = coefficients.get(str(child), 0) + sign
            elif child.isdigit():
                constant += sign * int(child)
            else:
                raise FormulaError(f"an index must be an integer, not {child}", position=child.start_pos)
            sign = 1
        return T.Index.combine(coefficients, constant, span=_span(meta))

    def nabla(self, meta, children):
        return T.Derivative("nabla", _node(children[2]), children[1], span=_span(meta))

    def nabla_wrt(self, meta, children):
        if _is(children[0], "NAME"):
            return self._quantity(_Name(str(children[0])), _span(meta))
        return self._wrt(children[0])

    def leaf(self, meta, children):
        return (T.Dots if _is(children[0], "DOTS") else T.Identity)(span=_span(meta))

    def postfix(self, meta, children):
        base = children[0]
        for sup in children[1:]:
            base, span = _node(base), (meta.start_pos, sup.span[1])
            if sup.kind == "time":
                if not isinstance(base, T.Quantity) or base.time is not None:
                    raise FormulaError(
                        f"the time superscript ({sup.index}) must follow a quantity without "
                        "a time index, as in h^{(t)}",
                        position=sup.span[0],
                    )
                raw = f"{base.raw}^{{({sup.index})}}" if sup.transpose else self.text[span[0] : span[1]]
                base = replace(base, time=sup.index, raw=raw, span=span)
            if sup.kind == "transpose" or sup.transpose:
                base = T.Transpose(base, span=span)
            elif sup.kind == "power":
                base = T.Power(base, sup.index, span=span)
        return base

    def sup(self, meta, children):
        first, span = children[0], _span(meta)
        if _is(first, "LPAR"):  # h^{(t)}, h^{(t)\top}
            flag = children[-1]
            if _is(flag, "IVAR") and flag != "T":
                raise FormulaError(
                    f"only a transpose may follow h^{{(t)}}, not {flag}", position=flag.start_pos
                )
            return _Sup("time", children[1], _is(flag, "IVAR", "TOP"), span)
        index = (
            first if isinstance(first, T.Index) else None if _is(first, "TOP") else self.index(meta, children)
        )
        if index is None or index == T.Index.of("T"):
            return _Sup("transpose", None, False, span)
        return _Sup("power", index, False, span)

    def apply(self, meta, children):
        (name, prime, power), group = children
        arguments = (group.node,) if isinstance(group, _Paren) else getattr(group, "nodes", ())
        if len(arguments) != _ARITY.get(name, 1) or (prime and name not in T.PRIMED):
            raise FormulaError(
                f"{name} takes {_ARITY.get(name, 1)} argument(s) in parentheses"
                + (f"; only {', '.join(T.PRIMED)} may carry a prime" if prime else ""),
                position=group.span[0],
            )
        node = (
            T.Diag(arguments[0], span=_span(meta))
            if name == "diag"
            else T.Apply(T.PRIMED[name] if prime else name, tuple(arguments), span=_span(meta))
        )
        return T.Power(node, power, span=_span(meta)) if power is not None else node

    def fhead(self, meta, children):
        token = children[0]
        word = re.sub(r"^\\(?:operatorname|mathrm|textrm|text|rm)\s*\{\s*|\s*\}$|^\\", "", str(token))
        if word not in T.FUNCTION_WORDS and word != "f":
            raise FormulaError(
                f"unknown function {token}; known: {', '.join(sorted(T.FUNCTION_WORDS))}",
                position=token.start_pos,
            )
        power = children[-1] if isinstance(children[-1], T.Index) else None
        power = self.index(meta, children[-1:]) if _is(children[-1], "DIGIT") else power
        return (T.FUNCTION_WORDS.get(word, word), any(_is(c, "PRIME") for c in children), power)

    def group(self, meta, children):
        return children[1]._replace(span=_span(meta))

    def paren(self, meta, children):
        return _Paren(_node(children[0]), _span(meta))

    def index_group(self, meta, children):
        return _IndexGroup(self.index(meta, children), _span(meta))

    def arguments(self, meta, children):
        return _Arguments(tuple(_node(c) for c in children if not _is(c, "COMMA", "SEMICOLON")), _span(meta))

    def number(self, meta, children):
        for child in children:
            if _is(child, "NUMBER") and len(str(child).replace(".", "")) > MAX_DIGITS:
                raise FormulaError(
                    f"the number {str(child)[:12]}... has {len(str(child)):,} characters; numbers "
                    f"of up to {MAX_DIGITS} digits are accepted",
                    position=child.start_pos,
                )
        numerator, *denominator = [Fraction(str(c)) for c in children if _is(c, "NUMBER")]
        if denominator == [0]:
            raise FormulaError("division by zero in \\frac", position=meta.start_pos)
        value = numerator / denominator[0] if denominator else numerator
        return T.Number(int(value) if value.denominator == 1 else value, span=_span(meta))

    def operator_derivative(self, meta, children):
        """``\\frac{\\partial}{\\partial W} J``: the operator form, the same derivative."""
        top, bottom, wrt, of = [c for c in children if not _is(c, "FRAC")]
        return self.derivative(meta, [top, _node(of), bottom, wrt])

    def ratio(self, meta, children):
        number, variable = [c for c in children if _is(c, "NUMBER", "IVAR")]
        value = Fraction(str(number))
        return T.Ratio(
            int(value) if value.denominator == 1 else value, T.Index.of(str(variable)), span=_span(meta)
        )

    def ones(self, meta, children):
        return T.Number(1, span=_span(meta))  # the all-ones vector: 1 - s_t^2 acts entrywise

    def derivative(self, meta, children):
        top, of, bottom, wrt = [c for c in children if not _is(c, "FRAC")]
        if (top == "total") != (bottom == "total") or bottom == "immediate":
            raise FormulaError(
                "write d over d, or \\partial (or \\partial^+) over \\partial", position=meta.start_pos
            )
        return T.Derivative(top, of, self._wrt(wrt), span=_span(meta))

    def dhead(self, meta, children):
        return "total" if _is(children[0], "D") else "immediate" if len(children) > 1 else "partial"

    def derivand(self, meta, children):
        return T.Apply("f", (), span=_span(meta)) if _is(children[0], "F") else _node(children[0])

    def quantity(self, meta, children):
        return self._quantity(self._subscripted(children[0], children[1:], meta), _span(meta))

    def qbase(self, meta, children):
        head, *rest = children
        if not rest:
            return _Name(str(head))
        name = rest[0] if isinstance(rest[0], _Name) else _Name(str(rest[0]))
        name = self._subscripted(name, rest[1:], meta)
        if _is(head, "HAT"):
            if name != _Name("y"):
                raise FormulaError("only \\hat{y} is a known quantity with a hat", position=meta.start_pos)
            return _Name(r"\hat{y}")
        return name

    def _subscripted(self, name: _Name, subscripts: list, meta: Any) -> _Name:
        if subscripts and (name.index is not None or name.label is not None):
            raise FormulaError("a quantity has at most one subscript", position=meta.start_pos)
        return _Name(name.key, *subscripts[0]) if subscripts else name

    def qsub(self, meta, children):
        if _is(children[0], "NAME"):
            return (None, "".join(children))
        return (children[0] if isinstance(children[0], T.Index) else self.index(meta, children), None)

    def _quantity(self, name: _Name, span: T.Span) -> T.Quantity | T.Identity:
        key = name.key if name.label is None else f"{name.key}_{{{name.label}}}"
        raw = self.text[span[0] : span[1]]
        if key == "I" and name.index is None:
            return T.Identity(span=span)
        role = self.names.get(key)
        if role is None:
            allowed = ", ".join(sorted(self.names, key=str.lower))
            raise FormulaError(
                f"unknown symbol {key} in notation {self.notation!r}; known: {allowed}", position=span[0]
            )
        time = name.index
        if time is not None and role in T.PARAMETER_ROLES:
            if time != T.Index.of(None, 0):
                raise FormulaError(
                    f"{raw} is a parameter and takes no time subscript "
                    "(Goodfellow's copies are written W^{(t)})",
                    position=span[0],
                )
            time = None  # the notes write \underline{W}_0 for W
        return T.Quantity(role, time, raw, span=span)

    def _wrt(self, item: Any) -> T.Quantity:
        node = _node(item)
        if not isinstance(node, T.Quantity):
            raise FormulaError(
                "differentiate with respect to a quantity such as W or s_t", position=node.span[0]
            )
        return node
