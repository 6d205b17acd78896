"""The document model: numbered equations that carry their checks, sections, and their LaTeX/Markdown."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Union

from .checks import Check

_LATEX_SPECIALS = {"\\": r"\textbackslash{}", "_": r"\_", "%": r"\%", "&": r"\&", "#": r"\#", "$": r"\$",
                   "{": r"\{", "}": r"\}", "^": r"\^{}", "~": r"\~{}"}


def latex_text(text: str) -> str:
    """Plain text made safe for LaTeX (check details are plain text, not math)."""
    return "".join(_LATEX_SPECIALS.get(character, character) for character in text)


@dataclass(frozen=True)
class Line:
    """One line of a concrete instance: ``lhs = parts[0] + parts[1] + ...``, one part per printed row."""

    lhs: str
    parts: tuple[str, ...]


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

    @property
    def general(self) -> str:
        """LaTeX of the general form ``lhs = rhs``."""
        return f"{self.lhs} = {self.rhs}"

    def math(self) -> str:
        """The general form as display math with its tag (works in LaTeX, KaTeX and MathJax)."""
        return rf"{self.general} \tag*{{{self.label}}}"

    def instance_math(self) -> str:
        """The concrete instance as one ``aligned`` block ('' when there is none)."""
        rows = []
        for line in self.instance:
            rows.append(rf"{line.lhs} &= {line.parts[0]}")
            rows += [rf"&\quad + {part}" for part in line.parts[1:]]
        if not rows:
            return ""
        return "\\begin{aligned}\n" + " \\\\\n".join(rows) + "\n\\end{aligned}"

    def latex(self) -> str:
        """The equation, its instance, note and check as a LaTeX fragment."""
        out = [f"\\begin{{equation*}}\n{self.math()}\n\\end{{equation*}}"]
        if self.instance:
            out.append(self.caption + "\n\\[\n" + self.instance_math() + "\n\\]")
        if self.note:
            out.append(rf"\noindent\textbf{{Note.}} {self.note}" + "\n")
        mark = r"$\checkmark$" if self.check.ok else r"\textbf{FAILED}"
        out.append(rf"\noindent{{\small\raggedright {mark} \emph{{check ({latex_text(self.check.method)}):}} "
                   rf"{latex_text(self.check.detail)}\par}}" + "\n")
        return "\n".join(out)

    def markdown(self) -> str:
        """The same content as Markdown with ``$$`` math."""
        out = [f"$$\n{self.math()}\n$$"]
        if self.instance:
            out.append(self.caption + "\n\n$$\n" + self.instance_math() + "\n$$")
        if self.note:
            out.append(f"**Note.** {self.note}")
        mark = "✔" if self.check.ok else "**FAILED**"
        out.append(f"> {mark} *check ({self.check.method}):* {self.check.detail}")
        return "\n\n".join(out) + "\n"


@dataclass(frozen=True)
class Paragraph:
    """Prose with inline ``$math$``, written to be valid in both LaTeX and Markdown."""

    text: str

    def latex(self) -> str:
        return self.text + "\n"

    def markdown(self) -> str:
        return self.text + "\n"


Block = Union[Equation, Paragraph]


@dataclass(frozen=True)
class Section:
    """A titled sequence of paragraphs and equations."""

    title: str
    blocks: tuple[Block, ...] = ()

    @property
    def equations(self) -> tuple[Equation, ...]:
        return tuple(block for block in self.blocks if isinstance(block, Equation))


_PREAMBLE = r"""\documentclass[11pt]{article}
\usepackage[utf8]{inputenc}
\usepackage[T1]{fontenc}
\usepackage[margin=2cm]{geometry}
\usepackage{amsmath,amssymb}
\allowdisplaybreaks
"""


@dataclass(frozen=True)
class Derivation:
    """The derivation document of one spec: ordered sections of numbered, checked equations.

    ``ok`` is True when every equation's check passed. ``latex()`` gives a standalone amsmath
    document (or a fragment), ``markdown()`` Markdown with ``$$`` math for GitHub/KaTeX.
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
    def ok(self) -> bool:
        """Whether every equation's check passed."""
        return all(equation.check.ok for equation in self.equations)

    def equation(self, label: str) -> Equation:
        """The equation numbered ``label`` (e.g. ``"(8)"``)."""
        for equation in self.equations:
            if equation.label == label:
                return equation
        raise KeyError(f"no equation {label!r} in this derivation")

    def latex(self, *, standalone: bool = True) -> str:
        """The document as LaTeX: a complete amsmath document, or a fragment to ``\\input``."""
        body = []
        for section in self.sections:
            body.append(f"\\section*{{{section.title}}}\n")
            body += [block.latex() for block in section.blocks]
        if self.appendix:
            body.append("\\appendix\n")
            for section in self.appendix:
                body.append(f"\\section*{{{section.title}}}\n")
                body += [block.latex() for block in section.blocks]
        text = "\n".join(body)
        if not standalone:
            return text
        return (_PREAMBLE + f"\\title{{{self.title}}}\n\\date{{}}\n\\begin{{document}}\n\\maketitle\n\n"
                + text + "\n\\end{document}\n")

    def markdown(self) -> str:
        """The document as Markdown with ``$$`` display math and ``$`` inline math."""
        body = [f"# {self.title}\n"]
        for section in (*self.sections, *self.appendix):
            body.append(f"## {section.title}\n")
            body += [block.markdown() for block in section.blocks]
        return "\n".join(body)

    def _repr_markdown_(self) -> str:
        return self.markdown()

    def _repr_latex_(self) -> str:
        return "\n".join(f"$$ {equation.math()} $$" for equation in self.equations)

    def __repr__(self) -> str:
        from ..display import derivation_repr

        return derivation_repr(self)
