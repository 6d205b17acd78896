"""Figures of the computational graph: TikZ for the LaTeX, SVG (drawn from the same layout) for the Markdown."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path

from .blocks import Derivation, Figure
from .printer import Names

# Above this many steps the unfolded graph shows s_1, s_2, ..., s_z with dots in between.
UNFOLDED_LIMIT = 6
_X_STEP, _Y_STEP = 2.0, 1.3  # TikZ units (cm) between nodes
_PX, _PY = 48, 64  # SVG pixels per TikZ cm, across and up (more room for the labels of the vertical edges)

GRADIENT_FLOW = "gradient_flow"


@dataclass(frozen=True)
class Node:
    key: str
    x: float
    y: float
    tex: str  # LaTeX label
    text: tuple  # (base, subscript) for the SVG label
    shape: str = "circle"  # circle (state), rect (loss), plain


@dataclass(frozen=True)
class Edge:
    start: str
    end: str
    tex: str = ""
    text: tuple = ("", "")
    highlight: int = 0  # 0 plain, 1 first path colour, 2 second, 3 dashed (a zero path)
    bend: str = ""  # "loop" for the folded cell's recurrence


_PLAIN = {r"\hat{y}": "ŷ", r"\delta": "δ"}


def _text(head: str, index: str | int | None = None) -> tuple[str, str]:
    """A LaTeX head such as ``W_{xh}`` or ``\\hat{y}`` as an SVG (base, subscript) pair, plus a time index."""
    match = re.fullmatch(r"(.+?)_\{?([^{}]+)\}?", head)
    base, sub = (match.group(1), match.group(2)) if match else (head, "")
    base = _PLAIN.get(base, base)
    if index is not None:
        sub = f"{sub},{index}" if sub else str(index)
    return base, sub


def _tikz(nodes: Sequence[Node], edges: Sequence[Edge], scale: float = 1.0) -> str:
    lines = [
        (
            rf"\begin{{tikzpicture}}[scale={scale}, every node/.style={{transform shape}}, "
            r">={Stealth[length=2mm]}, state/.style={circle, draw, minimum size=8mm, inner sep=1pt}, "
            r"loss/.style={rectangle, draw, rounded corners, minimum size=6mm, inner sep=2pt}, "
            r"plain/.style={inner sep=2pt}]"
        )
    ]
    styles = {"circle": "state", "rect": "loss", "plain": "plain"}
    for node in nodes:
        lines.append(
            rf"\node[{styles[node.shape]}] ({node.key}) at ({node.x:.2f},{node.y:.2f}) {{${node.tex}$}};"
        )
    colours = {0: "->", 1: "->, very thick, blue", 2: "->, very thick, red!70!black", 3: "->, dashed, gray"}
    where = {node.key: node for node in nodes}
    for edge in edges:
        first, second = where[edge.start], where[edge.end]
        side = "right" if abs(second.y - first.y) > abs(second.x - first.x) else "above"
        label = (
            rf" node[midway, {side}, inner sep=2pt, font=\footnotesize] {{${edge.tex}$}}" if edge.tex else ""
        )
        if edge.bend == "loop":
            lines.append(
                rf"\draw[{colours[edge.highlight]}] ({edge.start}) edge[loop right, min distance=10mm] "
                rf"node[right, font=\footnotesize] {{${edge.tex}$}} ({edge.end});"
            )
        elif edge.bend:
            lines.append(
                rf"\draw[{colours[edge.highlight]}] ({edge.start}) to[{edge.bend}]{label} ({edge.end});"
            )
        else:
            lines.append(rf"\draw[{colours[edge.highlight]}] ({edge.start}) --{label} ({edge.end});")
    lines.append(r"\end{tikzpicture}")
    return "\n".join(lines)


def _svg_label(x: float, y: float, text: tuple, size: int = 15) -> str:
    base, sub = text
    sub_part = (
        f'<tspan baseline-shift="sub" font-size="{int(size * 0.7)}">{escape(sub)}</tspan>' if sub else ""
    )
    return (
        f'<text x="{x:.1f}" y="{y + size * 0.35:.1f}" font-family="serif" font-style="italic" '
        f'font-size="{size}" text-anchor="middle">{escape(base)}{sub_part}</text>'
    )


def _svg(nodes: Sequence[Node], edges: Sequence[Edge], title: str) -> str:
    xs = [node.x for node in nodes]
    ys = [node.y for node in nodes]
    margin = 1.0
    left, top = min(xs) - margin, max(ys) + margin
    width = (max(xs) - min(xs) + 2 * margin + 1.0) * _PX
    height = (max(ys) - min(ys) + 2 * margin) * _PY
    where = {node.key: ((node.x - left) * _PX, (top - node.y) * _PY, node) for node in nodes}
    colours = {0: "#000", 1: "#1f4fd1", 2: "#a01010", 3: "#888"}
    out = [
        (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
            f'viewBox="0 0 {width:.0f} {height:.0f}" role="img" aria-label="{escape(title)}">'
        ),
        f"<title>{escape(title)}</title>",
        "<defs>"
        + "".join(
            f'<marker id="arrow{k}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="9" markerHeight="9" '
            f'markerUnits="userSpaceOnUse" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="{c}"/></marker>'
            for k, c in colours.items()
        )
        + "</defs>",
        '<rect width="100%" height="100%" fill="white"/>',
    ]
    radius = 0.4 * _PX
    for edge in edges:
        x1, y1, first = where[edge.start]
        x2, y2, second = where[edge.end]
        colour, width_px = colours[edge.highlight], 2.5 if edge.highlight in (1, 2) else 1.2
        dash = ' stroke-dasharray="5,4"' if edge.highlight == 3 else ""
        if edge.bend == "loop":
            out.append(
                f'<path d="M {x1 + radius * 0.7:.1f} {y1 - radius * 0.7:.1f} C {x1 + 2.2 * radius:.1f} '
                f"{y1 - 2.2 * radius:.1f}, {x1 + 2.2 * radius:.1f} {y1 + 2.2 * radius:.1f}, "
                f'{x1 + radius * 0.7:.1f} {y1 + radius * 0.7:.1f}" fill="none" stroke="{colour}" '
                f'stroke-width="{width_px}" marker-end="url(#arrow{edge.highlight})"/>'
            )
            out.append(_svg_label(x1 + 2.4 * radius, y1, edge.text, 13))
            continue
        length = math.hypot(x2 - x1, y2 - y1) or 1.0
        ux, uy = (x2 - x1) / length, (y2 - y1) / length
        r1 = radius if first.shape != "plain" else radius * 0.55
        r2 = radius if second.shape != "plain" else radius * 0.55
        sx, sy, ex, ey = x1 + ux * r1, y1 + uy * r1, x2 - ux * r2, y2 - uy * r2
        if edge.bend:  # a curved edge: bow to the left of its direction
            mx, my = (sx + ex) / 2 - uy * 0.35 * length, (sy + ey) / 2 + ux * 0.35 * length
            out.append(
                f'<path d="M {sx:.1f} {sy:.1f} Q {mx:.1f} {my:.1f} {ex:.1f} {ey:.1f}" fill="none" '
                f'stroke="{colour}" stroke-width="{width_px}"{dash} marker-end="url(#arrow{edge.highlight})"/>'
            )
            lx, ly = (sx + 2 * mx + ex) / 4, (sy + 2 * my + ey) / 4
        else:
            out.append(
                f'<line x1="{sx:.1f}" y1="{sy:.1f}" x2="{ex:.1f}" y2="{ey:.1f}" stroke="{colour}" '
                f'stroke-width="{width_px}"{dash} marker-end="url(#arrow{edge.highlight})"/>'
            )
            lx, ly = (sx + ex) / 2, (sy + ey) / 2
        if edge.text[0]:  # beside the edge: right of a vertical one, above a horizontal one
            dx, dy = (-uy * 14, ux * 14) if abs(uy) > abs(ux) else (uy * 12, -abs(ux) * 11)
            out.append(_svg_label(lx + (abs(dx) + 4 if abs(uy) > abs(ux) else dx), ly + dy, edge.text, 13))
    for x, y, node in where.values():
        if node.shape == "circle":
            out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{radius:.1f}" fill="white" stroke="#000"/>')
        elif node.shape == "rect":
            out.append(
                f'<rect x="{x - radius:.1f}" y="{y - radius * 0.7:.1f}" width="{2 * radius:.1f}" '
                f'height="{1.4 * radius:.1f}" rx="5" fill="white" stroke="#000"/>'
            )
        if node.text[0]:
            out.append(_svg_label(x, y, node.text))
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _figure(name: str, caption: str, nodes: list[Node], edges: list[Edge], scale: float = 1.0) -> Figure:
    return Figure(
        name, caption, tikz=_tikz(nodes, edges, scale), svg=_svg(nodes, edges, name.replace("_", " "))
    )


def _column(N: Names, t, x: float, key: str) -> tuple[list[Node], list[Edge]]:
    """x_t below, s_t, ŷ_t above, J_t on top, with the weights on the edges."""
    nodes = [
        Node(f"x{key}", x, 0, N.q("x", t), _text(N["x"], t), "plain"),
        Node(f"s{key}", x, _Y_STEP, N.q("s", t), _text(N["s"], t)),
        Node(f"y{key}", x, 2 * _Y_STEP, N.q("yhat", t), _text(N["yhat"], t), "plain"),
        Node(f"J{key}", x, 3 * _Y_STEP, N.q("J", t), _text(N["J"], t), "rect"),
    ]
    edges = [
        Edge(f"x{key}", f"s{key}", N["W"], _text(N["W"])),
        Edge(f"s{key}", f"y{key}", N["V"], _text(N["V"])),
        Edge(f"y{key}", f"J{key}"),
    ]
    return nodes, edges


def cell_figure(N: Names, notation: str) -> Figure:
    """The folded cell (the notes' III and VI): x_t into s_t, the recurrence U on s, the output and its loss."""
    nodes, edges = _column(N, "t", 0.0, "t")
    edges.append(Edge("st", "st", N["U"], _text(N["U"]), bend="loop"))
    return _figure(
        f"cell_{notation}",
        rf"The folded cell: one step, with the recurrence ${N['U']}$ drawn as a loop "
        rf"from ${N.q('s', 't-1')}$ to ${N.q('s', 't')}$.",
        nodes,
        edges,
    )


def unfolded_figure(N: Names, notation: str, z: int) -> Figure:
    """The graph unfolded over the document's z steps (the notes' IV, VII, X); dots in the middle for long z."""
    steps: list = list(range(1, z + 1)) if z <= UNFOLDED_LIMIT else [1, 2, "dots", z]
    nodes = [Node("s0", 0.0, _Y_STEP, N.q("s", 0), _text(N["s"], 0))]
    edges: list[Edge] = []
    previous = "s0"
    for position, t in enumerate(steps, start=1):
        x = position * _X_STEP
        if t == "dots":
            nodes.append(Node("sdots", x, _Y_STEP, r"\cdots", ("⋯", ""), "plain"))
            edges.append(Edge(previous, "sdots", N["U"], _text(N["U"])))
            previous = "sdots"
            continue
        column_nodes, column_edges = _column(N, t, x, str(t))
        nodes += column_nodes
        edges += column_edges
        edges.append(Edge(previous, f"s{t}", N["U"], _text(N["U"])))
        previous = f"s{t}"
    scale = min(1.0, 7.5 / ((len(steps) + 1) * _X_STEP))
    return _figure(
        f"unfolded_{notation}_z{z}",
        rf"The graph unfolded over $z = {z}$ steps: the same "
        rf"${N['W']}$, ${N['U']}$, ${N['V']}$ at every step, and ${N['J']} = \sum_t {N.q('J', 't')}$.",
        nodes,
        edges,
        scale,
    )


def paths_figure(N: Names, notation: str) -> Figure:
    """The paths from W to J_2 that make up (8): through s_1 (k = 1), directly into s_2 (k = 2); s_0 gives none."""
    nodes = [Node("W", 2.0, 0.0, N["W"], _text(N["W"]), "plain")]
    nodes += [Node(f"s{k}", k * 2.0, 1.6, N.q("s", k), _text(N["s"], k)) for k in (0, 1, 2)]
    nodes += [
        Node("y2", 4.0, 2.9, N.q("yhat", 2), _text(N["yhat"], 2), "plain"),
        Node("J2", 4.0, 4.1, N.q("J", 2), _text(N["J"], 2), "rect"),
    ]
    edges = [
        Edge("W", "s0", highlight=3),
        Edge("s0", "s1", N["U"], _text(N["U"])),
        Edge("W", "s1", highlight=1),
        Edge("s1", "s2", N["U"], _text(N["U"]), highlight=1),
        Edge("W", "s2", highlight=2),
        Edge("s2", "y2", N["V"], _text(N["V"])),
        Edge("y2", "J2"),
    ]
    return _figure(
        f"paths8_{notation}",
        rf"The paths of (8): ${N['W']}$ reaches ${N.q('J', 2)}$ through "
        rf"${N.q('s', 1)}$ (blue, the $k = 1$ term) and directly through ${N.q('s', 2)}$ (red, $k = 2$); "
        rf"${N.q('s', 0)}$ is given, so the dashed path carries nothing ($k = 0$).",
        nodes,
        edges,
    )


def write_figures(document: Derivation, directory: Path, *, graphics: bool = True) -> list[Path]:
    """Write every figure file a document refers to into ``directory/figures``: the SVGs and, when
    ``graphics``, the gradient-flow plot as PDF (for LaTeX) and PNG (for Markdown). Returns the paths."""
    folder = Path(directory) / "figures"
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for figure in document.figures:
        if figure.graphic:
            if graphics and figure.name == GRADIENT_FLOW:
                try:
                    written += gradient_flow_files(folder)
                except ImportError:  # no matplotlib: the LaTeX shows a note instead of the plot
                    pass
            continue
        path = folder / f"{figure.name}.svg"
        path.write_text(figure.svg, encoding="utf-8")
        written.append(path)
    return written


def gradient_flow_files(folder: Path) -> list[Path]:
    """The gradient-flow plot (median ‖∂s_t/∂s_k‖ against t − k for every cell and remedy) as PDF and PNG."""
    from ..gradflow import gradflow

    paths = [folder / f"{GRADIENT_FLOW}.pdf", folder / f"{GRADIENT_FLOW}.png"]
    gradflow(n=8, lag=40, samples=16, seed=0, output=[str(path) for path in paths])
    return paths
