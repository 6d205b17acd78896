"""Regenerate the committed documents in derivations/: ``python -m symrnn.latex.regenerate [DIRECTORY]``."""
from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from ..spec import RNNSpec
from .documents import derive
from .figures import gradient_flow_files

# file stem -> (spec, title). The notes' worked example first.
DOCUMENTS: dict[str, tuple[RNNSpec, str]] = {
    "notes_example": (RNNSpec(z=2, e=2, n=2, m=1, activation="tanh", loss="sse"),
                      "The notes' worked example: tanh, squared error, $z = 2$"),
    "general_z3": (RNNSpec(z=3, e=2, n=2, m=2, activation="tanh", loss="sse"),
                   "A general case: tanh, squared error, $z = 3$, $m = 2$"),
    "relu": (RNNSpec(z=2, e=2, n=2, m=1, activation="relu", loss="sse"), "ReLU, squared error, $z = 2$"),
    "sigmoid_ce": (RNNSpec(z=2, e=2, n=2, m=2, activation="sigmoid", loss="ce"),
                   "Sigmoid with softmax cross-entropy, $z = 2$, $m = 2$"),
    "single_neuron": (RNNSpec(z=2, e=2, n=1, m=1, activation="tanh", loss="sse", bias=False, notation="d2l"),
                      "The single neuron of Eqs. 22-27: $n = m = 1$, $x_t \\in \\mathbb{R}^{2}$, d2l notation"),
    "d2l_notation": (RNNSpec(z=2, e=2, n=2, m=1, activation="tanh", loss="sse", notation="d2l"),
                     "The worked example in d2l notation ($W_{xh}, W_{hh}, W_{hy}, h$)"),
}
DIRECTORY = Path(__file__).resolve().parents[2] / "derivations"


def render(stem: str) -> dict[str, str]:
    """The .tex and .md texts of one committed document."""
    spec, title = DOCUMENTS[stem]
    document = derive(spec, title=title)
    if not document.ok:
        failed = [equation.label for equation in document.equations if not equation.check.ok]
        raise RuntimeError(f"{stem}: checks failed for {', '.join(failed)}")
    texts = {f"{stem}.tex": document.latex(), f"{stem}.md": document.markdown()}
    texts.update({f"figures/{figure.name}.svg": figure.svg for figure in document.figures if not figure.graphic})
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
            path.write_text(text, encoding="utf-8")
            written.append(path)
    if graphics:  # the gradient-flow plot: PDF for LaTeX, PNG for Markdown (binary, not committed)
        written += gradient_flow_files(directory / "figures")
    return written


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry: regenerate into the given directory (default: the repository's derivations/)."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    for path in regenerate(Path(arguments[0]) if arguments else DIRECTORY):
        print(path)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
