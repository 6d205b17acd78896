"""Line breaking for displayed sums: terms ordered by time, signs as a person writes them, rows that fit."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import sympy

from ..notation import parse_symbol_name

# Width of a display row in "characters" of the estimate below (an 11pt page with 2 cm margins holds
# about 80; the rest is room for the tag, the margin mark and the alignment indent).
ROW_BUDGET = 62.0
_ZERO_WIDTH = {
    "left",
    "right",
    "bigl",
    "bigr",
    "Bigl",
    "Bigr",
    "big",
    "Big",
    "hat",
    "bar",
    "tilde",
    "mathbf",
    "operatorname",
    "mathrm",
    "boldsymbol",
    "underline",
    "displaystyle",
    "textstyle",
    "tfrac",
    "mathclose",
    "mathopen",
    "lVert",
    "rVert",
    "nonumber",
    "top",
    "limits",
}
_WIDE = {"quad": 2.0, "qquad": 4.0, "sum": 2.0, "prod": 2.0, "cdots": 3.0, "dots": 3.0, "ldots": 3.0}


def _group(text: str, start: int) -> tuple[str, int]:
    """The brace group starting at ``text[start] == '{'``: (its content, the index after it)."""
    depth = 0
    for index in range(start, len(text)):
        if text[index] == "{":
            depth += 1
        elif text[index] == "}":
            depth -= 1
            if depth == 0:
                return text[start + 1 : index], index + 1
    return text[start + 1 :], len(text)


def tex_width(text: str) -> float:
    """A rough printed width of LaTeX math, in characters: fractions count their wider half, scripts 0.7."""
    width, index = 0.0, 0
    while index < len(text):
        character = text[index]
        if character == "\\":
            end = index + 1
            while end < len(text) and text[end].isalpha():
                end += 1
            name = text[index + 1 : end] or text[end : end + 1]
            if name in ("frac", "tfrac", "dfrac"):
                numerator, end = _group(text, end) if text[end : end + 1] == "{" else ("", end)
                denominator, end = _group(text, end) if text[end : end + 1] == "{" else ("", end)
                width += max(tex_width(numerator), tex_width(denominator)) * (0.8 if name == "tfrac" else 1.0)
            elif name in ("begin", "end") and text[end : end + 1] == "{":
                _, end = _group(text, end)
            elif name in _WIDE:
                width += _WIDE[name]
            elif name not in _ZERO_WIDTH:
                width += 1.0
            index = max(end, index + 2) if not name else end
        elif character in "_^":
            if text[index + 1 : index + 2] == "{":
                content, index = _group(text, index + 1)
            else:
                content, index = text[index + 1 : index + 2], index + 2
            width += 0.7 * tex_width(content)
        elif character in "{} &":
            index += 1
        else:
            width += 1.0 if character not in "+-=" else 2.0
            index += 1
    return width


def signed(part: str, first: bool) -> str:
    """A term as it follows the previous one: ``+ a`` or ``- a`` (never ``+ -a``); the first keeps its sign."""
    part = part.strip()
    if first:
        return part
    if part.startswith("-"):
        return "- " + part[1:].lstrip()
    return "+ " + part


def pack(parts: Iterable[str], *, first_budget: float = ROW_BUDGET, budget: float = ROW_BUDGET) -> list[str]:
    """Group terms into display rows that fit the budgets; each row after the first starts with its sign."""
    rows: list[list[str]] = [[]]
    used, limit = 0.0, first_budget
    for index, part in enumerate(parts):
        text = signed(part, index == 0)
        size = tex_width(text) + 1.0
        if rows[-1] and used + size > limit:
            rows.append([])
            used, limit = 0.0, budget
        rows[-1].append(text)
        used += size
    return [" ".join(row) for row in rows if row]


def _time_key(term: sympy.Expr) -> tuple:
    """Order terms by the latest time index they contain, then by element indices, then by their text."""
    times, elements = [], []
    for symbol in sorted(term.free_symbols, key=str):
        parsed = parse_symbol_name(getattr(symbol, "name", ""))
        if parsed is None:
            continue
        role, indices = parsed
        if role in ("x", "y", "s", "u", "yhat", "J", "delta") and indices:
            times.append(indices[0])
            elements.append(indices[1:])
    return (
        max(times, default=0),
        min(times, default=0),
        term.could_extract_minus_sign(),
        sorted(elements),
        sympy.default_sort_key(term),
    )


def ordered_terms(expression: sympy.Expr, tex: Callable[[sympy.Expr], str]) -> list[str]:
    """The LaTeX of each term of a sum, ordered by time (δ₁, δ₂, …, δ₁₀, never δ₁₀, δ₁, δ₂)."""
    terms = sorted(sympy.Add.make_args(expression), key=_time_key)
    return [tex(term) for term in terms]
