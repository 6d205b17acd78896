"""Writing a derivation document: LaTeX or Markdown text with its figure files, or a PDF made by pdflatex."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from ..errors import SymRNNError
from .blocks import Derivation
from .figures import write_figures

FORMATS = ("latex", "markdown", "pdf")
# pdflatex runs twice at most (the check table's column widths settle on the second run).
PDFLATEX_RUNS = 2
PDFLATEX_TIMEOUT = 300


def document_text(document: Derivation, *, format: str = "latex", checks: str = "margin") -> str:
    """The document as LaTeX or Markdown text."""
    if format == "markdown":
        return document.markdown(checks=checks)
    if format == "latex":
        return document.latex(checks=checks)
    raise ValueError(f"unknown format {format!r}; choose latex or markdown (pdf is written to a file)")


def _first_error(log: str) -> str:
    for line in log.splitlines():
        if line.startswith("!"):
            return line[1:].strip()
    return "see the log"


def compile_pdf(document: Derivation, path: str | os.PathLike, *, checks: str = "margin") -> Path:
    """Compile the document with pdflatex in a temporary directory and copy the PDF to ``path``.

    Raises:
        SymRNNError: pdflatex is not installed, or it failed (the message names the first TeX error).
        ValueError: the directory of ``path`` does not exist.
    """
    target = Path(path)
    if not target.parent.resolve().is_dir():
        raise ValueError(f"cannot write {path}: directory {target.parent.resolve()} does not exist")
    program = shutil.which("pdflatex")
    if program is None:
        raise SymRNNError("pdflatex not found: install TeX Live (pdflatex) or use --format latex")
    with tempfile.TemporaryDirectory(prefix="symrnn-pdf-") as directory:
        source = Path(directory) / "derivation.tex"
        source.write_text(document.latex(checks=checks), encoding="utf-8")
        write_figures(document, Path(directory))
        for _ in range(PDFLATEX_RUNS):
            result = subprocess.run(
                [program, "-halt-on-error", "-interaction=nonstopmode", source.name],
                cwd=directory,
                capture_output=True,
                text=True,
                timeout=PDFLATEX_TIMEOUT,
                check=False,
            )
            log = Path(directory) / "derivation.log"
            text = log.read_text(encoding="utf-8", errors="replace") if log.exists() else result.stdout
            if result.returncode != 0:
                raise SymRNNError(f"pdflatex failed: {_first_error(text)}")
            if "Rerun" not in text:
                break
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".symrnn-", suffix=".pdf")
        os.close(handle)
        shutil.copyfile(Path(directory) / "derivation.pdf", temporary)
        os.replace(temporary, target)
    return target


def write_document(document: Derivation, path: str | None, *, format: str, checks: str, write_text) -> None:
    """Write text (through ``write_text(text, path)``) and, next to a file, the figures it refers to; or a PDF."""
    if format == "pdf":
        if path is None or path == "-":
            raise ValueError("--format pdf needs -o FILE.pdf")
        compile_pdf(document, path, checks=checks)
        return
    write_text(document_text(document, format=format, checks=checks), path)
    if path is not None and path != "-":
        write_figures(document, Path(path).resolve().parent, graphics=True)
