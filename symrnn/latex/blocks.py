"""The document model: numbered equations that carry their checks, sections, and their LaTeX/Markdown."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..engine.exact import EXACT_DIGITS
from .checks import Check
from .layout import ROW_BUDGET, pack, tex_width

_LATEX_SPECIALS = {
    "\\": r"\textbackslash{}",
    "_": r"\_",
    "%": r"\%",
    "&": r"\&",
    "#": r"\#",
    "$": r"\$",
    "{": r"\{",
    "}": r"\}",
    "^": r"\^{}",
    "~": r"\~{}",
}


def latex_text(text: str) -> str:
    """Plain text made safe for LaTeX (check details are plain text, not math)."""
    return "".join(_LATEX_SPECIALS.get(character, character) for character in text)


@dataclass(frozen=True)
class Line:
    """One line of a concrete instance: ``lhs = parts[0] + parts[1] + ...``; rows are packed to fit the page."""

    lhs: str
    parts: tuple[str, ...]


CHECK_MODES = ("margin", "table", "inline", "none")
CHECKS_INTRO = (
    f"Every equation above was checked when this document was made. A numeric comparison evaluates both "
    f"sides exactly at one rational point (inputs, targets and parameters drawn as small fractions), "
    f"intermediates to {EXACT_DIGITS} digits, and reports the relative error; a symbolic one asks SymPy to "
    f"simplify the difference to $0$."
)


def check_mode(mode: str) -> str:
    """Validate a ``checks`` option: margin (a mark per equation and one table), table, inline or none."""
    if not isinstance(mode, str) or mode not in CHECK_MODES:
        raise ValueError(f"unknown checks mode {mode!r}; choose one of {', '.join(CHECK_MODES)}")
    return mode


def _error_latex(check: Check) -> str:
    if check.error is None:
        return "0 (exact)" if check.ok else "--"
    if check.error == 0:
        return "0"
    mantissa, exponent = f"{check.error:.1e}".split("e")
    return rf"${mantissa} \times 10^{{{int(exponent)}}}$"


def _error_markdown(check: Check) -> str:
    if check.error is None:
        return "0 (exact)" if check.ok else "–"
    return "0" if check.error == 0 else f"{check.error:.1e}"


@dataclass(frozen=True)
class Equation:
    """A numbered equation: its general form, its concrete instance for the spec, and its check.

    Attributes:
        label: the number as the notes print it, e.g. ``"(8)"``, ``"[27]"``, ``"(A)"``.
        lhs, rhs: LaTeX of the general (symbolic-index) form.
        instance: the concrete instance for the spec's z and sizes (may be empty when the general
            form already is concrete, e.g. a step of the tanh derivation).
        check: the result of this equation's own check.
        note: a remark printed under it (e.g. the correction of the notes).
        caption: a short heading for the instance, e.g. ``"For z = 2:"``.
    """

    label: str
    lhs: str
    rhs: str
    check: Check
    instance: tuple[Line, ...] = ()
    note: str = ""
    caption: str = ""
    relation: str = "="

    @property
    def general(self) -> str:
        """LaTeX of the general form ``lhs = rhs`` (or another relation)."""
        return f"{self.lhs} {self.relation} {self.rhs}"

    def math(self, mark: str = "") -> str:
        """The general form as display math with its tag (works in LaTeX, KaTeX and MathJax)."""
        return rf"{self.general} \tag*{{{self.label}{mark}}}"

    def instance_math(self) -> str:
        """The concrete instance as one ``aligned`` block ('' when there is none), long sums broken into rows."""
        rows = []
        for line in self.instance:
            first_budget = ROW_BUDGET - tex_width(line.lhs) - 2
            packed = pack(line.parts, first_budget=first_budget, budget=ROW_BUDGET - 4)
            rows.append(rf"{line.lhs} &= {packed[0]}")
            rows += [rf"&\quad {row}" for row in packed[1:]]
        if not rows:
            return ""
        return "\\begin{aligned}\n" + " \\\\\n".join(rows) + "\n\\end{aligned}"

    def latex(self, *, mode: str = "margin", number: int = 0) -> str:
        """The equation, its instance and note (and its check as ``mode`` says) as a LaTeX fragment."""
        symbol = r"\checkmark" if self.check.ok else r"\times"
        mark = ""
        if mode == "margin":
            mark = (
                rf"\rlap{{\hspace{{1.2em}}\hyperlink{{check:{number}}}{{\scriptsize$"
                rf"{symbol}$\,{number}}}}}"
            )
        out = [f"\\begin{{equation*}}\n{self.math(mark)}\n\\end{{equation*}}"]
        if self.instance:
            out.append(self.caption + "\n\\[\n" + self.instance_math() + "\n\\]")
        if self.note:
            out.append(rf"\noindent\textbf{{Note.}} {self.note}" + "\n")
        if mode == "inline":
            verdict = rf"${symbol}$" if self.check.ok else r"\textbf{FAILED}"
            out.append(
                rf"\noindent{{\small\raggedright {verdict} \emph{{Check ({self.check.how}):}} "
                rf"{self.check.detail}; relative error {_error_latex(self.check)}.\par}}" + "\n"
            )
        return "\n".join(out)

    def markdown(self, *, mode: str = "margin", number: int = 0) -> str:
        """The same content as Markdown with fenced ``math`` blocks (GitHub) for display math."""
        out = [f"```math\n{self.math()}\n```"]
        if self.instance:
            out.append(self.caption + "\n\n```math\n" + self.instance_math() + "\n```")
        if self.note:
            out.append(f"**Note.** {self.note}")
        symbol = "✔" if self.check.ok else "✘ **FAILED**"
        if mode == "margin":
            out.append(f"<sub>{symbol} check {number} ([table](#checks))</sub>")
        elif mode == "inline":
            out.append(
                f"> {symbol} *Check ({self.check.how}):* {self.check.detail}; "
                f"relative error {_error_markdown(self.check)}."
            )
        return "\n\n".join(out) + "\n"


@dataclass(frozen=True)
class Paragraph:
    r"""Prose with inline ``$math$``, written to be valid in both LaTeX and Markdown (``\lbrace``, not ``\{``)."""

    text: str

    def latex(self, **_: Any) -> str:
        return self.text + "\n"

    def markdown(self, **_: Any) -> str:
        return self.text + "\n"


@dataclass(frozen=True)
class Figure:
    """A figure: TikZ in the LaTeX, an SVG or PNG file in the Markdown, or an included graphic.

    Attributes:
        name: file stem under ``figures/`` (``name.svg`` for Markdown; ``name.pdf``/``name.png`` for a graphic).
        caption: the caption (LaTeX-and-Markdown prose).
        tikz: the ``tikzpicture`` (LaTeX); empty for an included graphic.
        svg: the SVG text written next to the Markdown; empty for an included graphic.
        graphic: True when the figure is a generated PDF (LaTeX) / PNG (Markdown) pair.
    """

    name: str
    caption: str
    tikz: str = ""
    svg: str = ""
    graphic: bool = False

    def latex(self, **_: Any) -> str:
        if self.graphic:
            body = (
                rf"\IfFileExists{{figures/{self.name}.pdf}}{{\includegraphics[width=0.8\textwidth]"
                rf"{{figures/{self.name}.pdf}}}}{{\fbox{{\parbox{{0.8\textwidth}}{{The figure file "
                rf"\texttt{{{latex_text('figures/' + self.name + '.pdf')}}} is not here: "
                rf"\texttt{{symrnn derive -o FILE}} writes it next to the document.}}}}}}"
            )
        else:
            body = self.tikz
        return (
            "\\begin{figure}[htbp]\n\\centering\n"
            + body
            + f"\n\\caption{{{self.caption}}}\n\\end{{figure}}\n"
        )

    def markdown(self, **_: Any) -> str:
        suffix = "png" if self.graphic else "svg"
        return f"![{self.name}](figures/{self.name}.{suffix})\n\n*{self.caption}*\n"


Block = Equation | Paragraph | Figure


@dataclass(frozen=True)
class Section:
    """A titled sequence of paragraphs, figures and equations."""

    title: str
    blocks: tuple[Block, ...] = ()

    @property
    def equations(self) -> tuple[Equation, ...]:
        return tuple(block for block in self.blocks if isinstance(block, Equation))


_PREAMBLE = r"""\documentclass[11pt]{article}
\usepackage[utf8]{inputenc}
\usepackage[margin=2cm]{geometry}
\usepackage{amsmath,amssymb}
\usepackage{graphicx,longtable,array}
\usepackage{tikz}
\usetikzlibrary{arrows.meta,positioning}
\usepackage[hidelinks]{hyperref}
\allowdisplaybreaks
\setlength{\parindent}{0pt}
\setlength{\parskip}{0.4em}
"""


@dataclass(frozen=True)
class Derivation:
    """The derivation document of one spec: ordered sections of numbered, checked equations.

    ``ok`` is True when every equation's check passed. ``latex()`` gives a standalone amsmath
    document (or a fragment), ``markdown()`` Markdown with fenced math for GitHub/KaTeX. ``checks``
    chooses how the checks appear: ``margin`` (a numbered mark per equation, one table at the end),
    ``table`` (the table only), ``inline`` (a line under each equation) or ``none``.
    """

    spec: Any
    title: str
    sections: tuple[Section, ...]
    appendix: tuple[Section, ...] = field(default=())

    @property
    def equations(self) -> tuple[Equation, ...]:
        """Every numbered equation in document order."""
        return tuple(eq for section in (*self.sections, *self.appendix) for eq in section.equations)

    @property
    def figures(self) -> tuple[Figure, ...]:
        """Every figure in document order."""
        return tuple(
            block
            for section in (*self.sections, *self.appendix)
            for block in section.blocks
            if isinstance(block, Figure)
        )

    @property
    def ok(self) -> bool:
        """Whether every equation's check passed."""
        return all(equation.check.ok for equation in self.equations)

    def equation(self, label: str) -> Equation:
        """The equation numbered ``label`` (e.g. ``"(8)"``)."""
        for equation in self.equations:
            if equation.label == label:
                return equation
        raise KeyError(f"no equation {label!r} in this derivation")

    def _body(self, render: str, mode: str) -> list[tuple[Section, list[str]]]:
        numbers = {id(equation): number for number, equation in enumerate(self.equations, start=1)}
        out = []
        for section in (*self.sections, *self.appendix):
            texts = [
                getattr(block, render)(mode=mode, number=numbers.get(id(block), 0))
                for block in section.blocks
            ]
            out.append((section, texts))
        return out

    def check_table_latex(self) -> str:
        """One table of every check: number, equation, what was compared, how, the relative error."""
        rows = []
        for number, equation in enumerate(self.equations, start=1):
            check = equation.check
            verdict = "" if check.ok else r" \textbf{FAILED}"
            rows.append(
                rf"\hypertarget{{check:{number}}}{{{number}}} & {equation.label} & {check.detail}{verdict} & "
                rf"{check.how} & {_error_latex(check)} \\"
            )
        return (
            "\\section*{Checks}\n" + CHECKS_INTRO + "\n\n{\\small\\setlength{\\tabcolsep}{3pt}\n"
            "\\begin{longtable}{@{}r>{\\raggedright}p{1.6cm}>{\\raggedright}p{8.3cm}"
            ">{\\raggedright}p{3.4cm}r@{}}\n"
            "& Eq. & compared & how & rel.\\ error \\tabularnewline\\hline\\endhead\n"
            + "\n".join(row.replace(r" \\", r" \tabularnewline") for row in rows)
            + "\n\\end{longtable}}\n"
        )

    def check_table_markdown(self) -> str:
        """The table of checks in Markdown (GitHub table syntax)."""
        rows = ["| | Eq. | compared | how | rel. error |", "|---:|---|---|---|---:|"]
        for number, equation in enumerate(self.equations, start=1):
            check = equation.check
            verdict = "" if check.ok else " **FAILED**"
            rows.append(
                f"| {number} | {equation.label} | {check.detail}{verdict} | {check.how} | {_error_markdown(check)} |"
            )
        return "## Checks\n\n" + CHECKS_INTRO + "\n\n" + "\n".join(rows) + "\n"

    def latex(self, *, standalone: bool = True, checks: str = "margin") -> str:
        """The document as LaTeX: a complete amsmath document, or a fragment to ``\\input``."""
        mode = check_mode(checks)
        body = []
        for index, (section, texts) in enumerate(self._body("latex", mode)):
            if index == len(self.sections):
                body.append("\\appendix\n")
            body.append(f"\\section*{{{section.title}}}\n")
            body += texts
        if mode in ("margin", "table"):
            body.append(self.check_table_latex())
        text = "\n".join(body)
        if not standalone:
            return text
        return (
            _PREAMBLE
            + f"\\title{{{self.title}}}\n\\date{{}}\n\\begin{{document}}\n\\maketitle\n\n"
            + text
            + "\n\\end{document}\n"
        )

    def markdown(self, *, checks: str = "margin") -> str:
        """The document as Markdown: fenced ``math`` blocks for display math, ``$`` inline math."""
        mode = check_mode(checks)
        body = [f"# {self.title}\n"]
        for section, texts in self._body("markdown", mode):
            body.append(f"## {section.title}\n")
            body += texts
        if mode in ("margin", "table"):
            body.append(self.check_table_markdown())
        return "\n".join(body)

    def _repr_markdown_(self) -> str:
        return self.markdown()

    def _repr_latex_(self) -> str:
        return "\n".join(f"$$ {equation.math()} $$" for equation in self.equations)

    def __repr__(self) -> str:
        from ..display import derivation_repr

        return derivation_repr(self)
