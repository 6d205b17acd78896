"""Short reprs and notebook display (Markdown, LaTeX) for symrnn's result types.

Each function takes the object and reads only public attributes, so the classes can call them from
one-line methods::

    def __repr__(self) -> str:
        return display.graph_repr(self)

    def _repr_markdown_(self) -> str:
        return display.graph_markdown(self)

A repr stays on one line and under ``REPR_LIMIT`` characters; the rich forms stay small too (the
program of a long sequence is shown for its first and last steps only).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

REPR_LIMIT = 200  # characters: a repr is a glance, not a dump
SHOWN_STEPS = 4  # rich display of a program: this many steps at each end, "⋮" between


def spec_text(spec: Any) -> str:
    """``rnn z=2 e=2 n=2 m=1 tanh sse`` (plus ``no bias``): a spec in a few words."""
    activation = getattr(spec, "activation_name", None) or getattr(spec, "activation", "?")
    if not isinstance(activation, str):
        activation = "custom"
    words = [str(getattr(spec, "cell", "rnn"))]
    words += [f"{name}={getattr(spec, name)}" for name in ("z", "e", "n", "m") if hasattr(spec, name)]
    words += [activation, str(getattr(spec, "loss", "?"))]
    if getattr(spec, "bias", True) is False:
        words.append("no bias")
    return " ".join(words)


def spec_markdown(spec: Any) -> str:
    """The spec in words, then the shape of every parameter and of the per-sequence data."""
    shapes = dict(getattr(spec, "shapes", {}))
    listed = ", ".join(f"`{name}` {_shape_text(shape)}" for name, shape in shapes.items())
    return f"**RNNSpec** {spec_text(spec)}\n\nshapes: {listed}"


def _shape(value: Any) -> str:
    shape = getattr(value, "shape", None)
    return "×".join(map(str, shape)) if shape is not None else "?"


def _one_line(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= REPR_LIMIT else text[: REPR_LIMIT - 1] + "…"


def _parameters(mapping: Any) -> str:
    return ", ".join(f"{name} {_shape(value)}" for name, value in dict(mapping).items())


def graph_repr(graph: Any) -> str:
    """``<Graph rnn z=2 ... : 8 steps, parameters W 2×2, ...>``."""
    steps = getattr(graph, "steps", ())
    return _one_line(
        f"<Graph {spec_text(graph.spec)}: {len(steps)} steps, "
        f"parameters {_parameters(getattr(graph, 'parameters', {}))}>"
    )


def _latex(expression: Any) -> str:
    import sympy

    return sympy.latex(expression)


def _elided(items: list) -> Iterable:
    if len(items) <= 2 * SHOWN_STEPS:
        return items
    return [*items[:SHOWN_STEPS], None, *items[-SHOWN_STEPS:]]


def graph_latex(graph: Any) -> str:
    """The program's named intermediates as an ``aligned`` block (first and last steps of a long one)."""
    rows = []
    for step in _elided(list(getattr(graph, "steps", ()))):
        if step is None:
            rows.append(r"&\vdots")
        else:
            rows.append(f"{_latex(step.symbols.T)}^T &= {_latex(step.expression.T)}^T")
    return "$$\\begin{aligned}" + r" \\ ".join(rows) + "\\end{aligned}$$"


def graph_markdown(graph: Any) -> str:
    """A heading line and the program (see :func:`graph_latex`)."""
    return f"**Graph** {spec_text(graph.spec)}, {len(graph.steps)} steps\n\n{graph_latex(graph)}"


def gradients_repr(gradients: Any) -> str:
    """``<Gradients rnn z=2 ...: W 2×2, U 2×2, ...; 2 adjoint definitions>``."""
    graph = getattr(gradients, "graph", None)
    spec = spec_text(graph.spec) if graph is not None else ""
    definitions = getattr(gradients, "adjoint_definitions", {})
    return _one_line(
        f"<Gradients {spec}: {_parameters({name: gradients[name] for name in gradients})}; "
        f"{len(definitions)} adjoint definitions>"
    )


def gradients_latex(gradients: Any) -> str:
    """The adjoint recurrence (first and last definitions of a long one) as an ``aligned`` block."""
    rows = []
    for item in _elided(list(getattr(gradients, "adjoint_definitions", {}).items())):
        rows.append(r"&\vdots" if item is None else f"{_latex(item[0])} &= {_latex(item[1])}")
    return "$$\\begin{aligned}" + r" \\ ".join(rows) + "\\end{aligned}$$"


def gradients_markdown(gradients: Any) -> str:
    """A heading line with each gradient's shape, then the adjoint recurrence."""
    shapes = _parameters({name: gradients[name] for name in gradients})
    return f"**Gradients** of J: {shapes}\n\n{gradients_latex(gradients)}"


CALL = "J, grads = fn(params, xs, ys, s0=None)"


def compiled_repr(compiled: Any) -> str:
    """``<CompiledRNN rnn z=2 ... (numpy backend): J, grads = fn(params, xs, ys, s0=None)>``."""
    backend = getattr(compiled, "backend", "?")
    return _one_line(f"<CompiledRNN {spec_text(compiled.spec)} ({backend} backend): {CALL}>")


def compiled_markdown(compiled: Any) -> str:
    """What the compiled function takes and returns, with the spec's shapes."""
    spec = compiled.spec
    shapes = getattr(spec, "shapes", {})
    names = list(getattr(spec, "parameter_names", ()))
    parameters = ", ".join(f"`{name}` {_shape_text(shapes.get(name))}" for name in names)
    return (
        f"**CompiledRNN** {spec_text(spec)}, backend `{getattr(compiled, 'backend', '?')}`\n\n"
        f"`{CALL}`; params: {parameters}; `xs` {_shape_text(shapes.get('xs'))}, "
        f"`ys` {_shape_text(shapes.get('ys'))} (a leading batch axis is allowed)"
    )


def _shape_text(shape: Any) -> str:
    if shape is None:
        return "?"
    return "(" + ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"


def check_report_repr(report: Any) -> str:
    """``<CheckReport ok=True rnn z=2 ...: structured_vs_brute 0, ...>``."""
    errors = report.as_json()["max_rel_error"]
    measured = ", ".join(
        f"{name} {'not run' if value is None else f'{value:.1e}'}" for name, value in errors.items()
    )
    return _one_line(f"<CheckReport ok={report.ok} {spec_text(report.spec)}: {measured}>")


def check_report_markdown(report: Any) -> str:
    """A small table: each comparison, its worst relative error and whether it passed."""
    errors = report.as_json()["max_rel_error"]
    lines = [
        f"**check** {spec_text(report.spec)}: {'all routes agree' if report.ok else '**routes disagree**'}",
        "",
        "| comparison | worst relative error |",
        "|---|---|",
    ]
    lines += [
        f"| {name.replace('_', ' ')} | {'not run (too large)' if value is None else f'{value:.3e}'} |"
        for name, value in errors.items()
    ]
    return "\n".join(lines)


def verdict_repr(verdict: Any) -> str:
    """``<Verdict holds (denominator layout, 16 cases)>`` plus the diagnosis, if any."""
    text = f"<Verdict {verdict.verdict} ({verdict.layout} layout, {verdict.checked} cases)"
    if verdict.diagnosis:
        text += f": {verdict.diagnosis}"
    return _one_line(text + ">")


def verdict_markdown(verdict: Any) -> str:
    """The verdict in bold, the formula as display math, then the counterexample and diagnosis."""
    lines = [f"**{verdict.verdict}** ({verdict.layout} layout, {verdict.checked} cases checked)"]
    if getattr(verdict, "formula", ""):
        lines += ["", f"$${verdict.formula}$$"]
    counterexample = verdict.counterexample
    if counterexample is not None:
        indices = ", ".join(
            f"{k} = {v}" for k, v in {"z": counterexample.z, **counterexample.indices}.items()
        )
        lines += ["", f"counterexample: {indices}; left `{counterexample.lhs}`, right `{counterexample.rhs}`"]
    if verdict.diagnosis:
        lines += ["", f"diagnosis: {verdict.diagnosis}"]
    return "\n".join(lines)


def derivation_repr(document: Any) -> str:
    """``<Derivation rnn z=2 ...: 52 equations, every one checked>``."""
    equations = document.equations
    failed = sum(not equation.check.ok for equation in equations)
    state = "every one checked" if not failed else f"{failed} checks FAILED"
    return _one_line(f"<Derivation {spec_text(document.spec)}: {len(equations)} equations, {state}>")
