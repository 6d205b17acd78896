"""Regenerate the committed documents: ``python -m symrnn.latex.regenerate [--output-dir DIRECTORY]``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from ..files import write_text
from ..spec import RNNSpec
from .documents import derive
from .figures import gradient_flow_files

# file stem -> (spec, title). The notes' worked example first.
DOCUMENTS: dict[str, tuple[RNNSpec, str]] = {
    "notes_example": (
        RNNSpec(z=2, e=2, n=2, m=1, activation="tanh", loss="sse"),
        "The notes' worked example: tanh, squared error, $z = 2$",
    ),
    "general_z3": (
        RNNSpec(z=3, e=2, n=2, m=2, activation="tanh", loss="sse"),
        "A general case: tanh, squared error, $z = 3$, $m = 2$",
    ),
    "relu": (RNNSpec(z=2, e=2, n=2, m=1, activation="relu", loss="sse"), "ReLU, squared error, $z = 2$"),
    "sigmoid_ce": (
        RNNSpec(z=2, e=2, n=2, m=2, activation="sigmoid", loss="ce"),
        "Sigmoid with softmax cross-entropy, $z = 2$, $m = 2$",
    ),
    "single_neuron": (
        RNNSpec(z=2, e=2, n=1, m=1, activation="tanh", loss="sse", bias=False, notation="d2l"),
        "The single neuron of Eqs. 22-27: $n = m = 1$, $x_t \\in \\mathbb{R}^{2}$, d2l notation",
    ),
    "d2l_notation": (
        RNNSpec(z=2, e=2, n=2, m=1, activation="tanh", loss="sse", notation="d2l"),
        "The worked example in d2l notation ($W_{xh}, W_{hh}, W_{hy}, h$)",
    ),
}
DIRECTORY = Path(__file__).resolve().parents[2] / "derivations"  # the repository's copy (tests compare it)
DEFAULT_OUTPUT = "derivations"  # the command's default, relative to the current directory


def render(stem: str) -> dict[str, str]:
    """The .tex and .md texts of one committed document."""
    spec, title = DOCUMENTS[stem]
    document = derive(spec, title=title)
    if not document.ok:
        failed = [equation.label for equation in document.equations if not equation.check.ok]
        raise RuntimeError(f"{stem}: checks failed for {', '.join(failed)}")
    texts = {f"{stem}.tex": document.latex(), f"{stem}.md": document.markdown()}
    texts.update(
        {f"figures/{figure.name}.svg": figure.svg for figure in document.figures if not figure.graphic}
    )
    return texts


def regenerate(directory: Path = DIRECTORY, *, graphics: bool = True) -> list[Path]:
    """Write every document of DOCUMENTS (and its figures) into ``directory``; returns the written paths.

    The SVG figures are text and committed; the gradient-flow plot (``figures/gradient_flow.pdf`` for the
    LaTeX, ``.png`` for the Markdown) is a binary cache made here and ignored by git.
    """
    (directory / "figures").mkdir(parents=True, exist_ok=True)
    written = []
    for stem in DOCUMENTS:
        for name, text in render(stem).items():
            path = directory / name
            write_text(path, text, newline=False)
            written.append(path)
    if graphics:  # the gradient-flow plot: PDF for LaTeX, PNG for Markdown (binary, not committed)
        written += gradient_flow_files(directory / "figures")
    return written


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry: regenerate every document into ``--output-dir`` (default ./derivations)."""
    parser = argparse.ArgumentParser(
        prog="python -m symrnn.latex.regenerate",
        description="Regenerate the derivation documents (.tex and .md).",
    )
    parser.add_argument(
        "-d",
        "--output-dir",
        default=DEFAULT_OUTPUT,
        metavar="DIRECTORY",
        help="where to write them, created if missing (default: ./derivations in the current "
        "directory; run it from the repository root to update the committed copies)",
    )
    arguments = parser.parse_args(argv)
    for path in regenerate(Path(arguments.output_dir)):
        print(path)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
