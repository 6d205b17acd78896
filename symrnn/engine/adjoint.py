"""Entry-level reverse mode: the adjoint program of any unrolled cell, from the local partials of its definitions."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

import sympy

from ..notation import symbol_name
from ..unroll import Graph, Step


def adjoint_role(state: str) -> str:
    """The role of a state's adjoint symbols: δ for the notes' s, ``delta_h``, ``delta_c`` for other states."""
    return "delta" if state == "s" else f"delta_{state}"


def local_gradient(expression: sympy.Expr, wanted: set) -> dict[sympy.Symbol, list[sympy.Expr]]:
    """``{v: [terms of ∂expression/∂v]}`` for the wanted symbols, in one pass over a small definition.

    Sums and products are differentiated by their rules; anything else (a function, a power) by
    ``sympy.diff`` of that node, so the result equals ``sympy.diff(expression, v)`` term by term.
    """
    found: dict[sympy.Symbol, list[sympy.Expr]] = defaultdict(list)

    def visit(node: sympy.Expr, seed: sympy.Expr) -> None:
        if node.is_Symbol:
            if node in wanted:
                found[node].append(seed)
            return
        if node.is_Number:
            return
        if node.is_Add:
            for argument in node.args:
                visit(argument, seed)
            return
        if node.is_Mul:
            factors = node.args
            for k, factor in enumerate(factors):
                if factor.free_symbols & wanted:
                    visit(factor, seed * sympy.Mul(*factors[:k], *factors[k + 1 :]))
            return
        for symbol in node.free_symbols & wanted:
            found[symbol].append(seed * sympy.diff(node, symbol))

    visit(expression, sympy.Integer(1))
    return found


def step_partials(step: Step, i: int, wanted: set) -> dict[sympy.Symbol, list[sympy.Expr]]:
    """The local partials of entry ``i`` of a step, ``f'`` written through the output where the rule table allows."""
    rule = step.rule
    if rule is not None and rule.derivative_of_output is not None:
        outer = rule.derivative_of_output(step.symbols[i])
        inner = local_gradient(step.argument[i], wanted)
        return {v: [outer * term for term in terms] for v, terms in inner.items()}
    return local_gradient(step.expression[i], wanted)


@dataclass(frozen=True, eq=False)
class Gradients(Mapping):
    """The gradients of J, ``{"W": Matrix, ...}``, in named intermediates (forward and adjoint).

    Attributes:
        graph: the forward program.
        deltas: the first state's adjoint columns ``δ_t = ∂J/∂s_t``, index t-1 for time t.
        adjoint_definitions: each adjoint symbol of a state and its definition, in evaluation order
            (t = z down to 1), e.g. ``δ_t = Vᵀ g_t + Uᵀ (f'(u_{t+1}) ⊙ δ_{t+1})`` for the notes' cell.
        matrices: the gradient of each parameter, shaped like it (vectors as columns).
        adjoints: every state's adjoint columns by state name.
    """

    graph: Graph
    deltas: tuple[sympy.Matrix, ...]
    adjoint_definitions: dict[sympy.Symbol, sympy.Expr]
    matrices: dict[str, sympy.Matrix]
    adjoints: dict[str, tuple[sympy.Matrix, ...]] = field(default_factory=dict)

    def __getitem__(self, name: str) -> sympy.Matrix:
        return self.matrices[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.matrices)

    def __len__(self) -> int:
        return len(self.matrices)

    def __repr__(self) -> str:
        shapes = ", ".join(f"{name}: {matrix.rows}×{matrix.cols}" for name, matrix in self.matrices.items())
        return f"Gradients({shapes}; {len(self.adjoint_definitions)} adjoint definitions)"

    def _repr_latex_(self) -> str:
        from ..display import gradients_latex

        return gradients_latex(self)

    def _repr_markdown_(self) -> str:
        from ..display import gradients_markdown

        return gradients_markdown(self)

    @property
    def definitions(self) -> dict[sympy.Symbol, sympy.Expr]:
        """The whole program: forward intermediates then adjoints, each defined by earlier ones."""
        return {**self.graph.definitions, **self.adjoint_definitions}

    def substituted(self) -> dict[str, sympy.Matrix]:
        """Every gradient in leaf symbols only (parameters, s0, xs, ys): small cases only."""
        nested = dict(self.graph.nested_definitions())
        for sym, expr in self.adjoint_definitions.items():
            nested[sym] = expr.xreplace(nested)
        return {name: matrix.xreplace(nested) for name, matrix in self.matrices.items()}


def backward(
    graph: Graph, *, seeds: Mapping[sympy.Symbol, sympy.Expr] | None = None, name_every_adjoint: bool = False
) -> Gradients:
    """Generic symbolic reverse mode over the unrolled program: linear in z.

    Each adjoint is ``v̄ = Σ_consumers ∂consumer/∂v · consumer̄``, the partials from the small local
    definitions. States get named adjoint symbols (``δ_t``), so the program stays linear in z; the
    adjoints of other intermediates are local to a step and stay inline. ``g_t = ∂J_t/∂ŷ_t`` comes
    from the loss rule table.

    Args:
        graph: the unrolled program.
        seeds: extra adjoints entering from outside the program (``∂J_{>z}/∂s_z`` for one step of a scan).
        name_every_adjoint: give every intermediate's adjoint a named symbol (``bar_a_t_i``), not only the
            states': compact programs for compilers (one step of a scan).
    """
    spec, cell = graph.spec, graph.spec.cell_definition
    states = set(cell.states)
    parameters = dict(graph.parameters)
    leaves = {symbol for matrix in parameters.values() for symbol in matrix}
    if spec.initial_state_parameter:
        leaves |= {symbol for matrix in graph.initial_states.values() for symbol in matrix}
    wanted = leaves | set(graph.definitions)
    bar: dict[sympy.Symbol, list[sympy.Expr]] = defaultdict(list)
    for symbol, seed in (seeds or {}).items():
        bar[symbol].append(seed)
    definitions: dict[sympy.Symbol, sympy.Expr] = {}
    adjoints: dict[str, dict[int, sympy.Matrix]] = {state: {} for state in cell.states}
    for step in reversed(graph.steps):
        if step.role == "J":
            t = step.t
            yhat_t, y_t = graph.symbols("yhat", t), graph.symbols("y", t)
            for symbol, g in zip(yhat_t, graph.loss.gradient(list(yhat_t), list(y_t))):
                bar[symbol].append(g)
            continue
        if step.role in states or name_every_adjoint:
            role = adjoint_role(step.role) if step.role in states else f"bar_{step.role}"
            named = sympy.Matrix(
                [sympy.Symbol(symbol_name(role, step.t, i), real=True) for i in range(step.symbols.rows)]
            )
            for symbol, adjoint in zip(step.symbols, named):
                definitions[adjoint] = sympy.Add(*bar.pop(symbol, []))
            if step.role in states:
                adjoints[step.role][step.t] = named
            seeds = list(named)
        else:
            seeds = [sympy.Add(*bar.pop(symbol, [])) for symbol in step.symbols]
        for i, seed in enumerate(seeds):
            if seed == 0:
                continue
            for v, terms in step_partials(step, i, wanted).items():
                bar[v].extend(term * seed for term in terms)
    matrices = {
        name: matrix.applyfunc(lambda p: sympy.Add(*bar.get(p, []))) for name, matrix in parameters.items()
    }
    if spec.initial_state_parameter:
        entries = [sympy.Add(*bar.get(p, [])) for state in cell.states for p in graph.initial_states[state]]
        matrices["s0"] = sympy.Matrix(len(entries), 1, entries)
    ordered = {state: tuple(adjoints[state][t] for t in range(1, spec.z + 1)) for state in cell.states}
    return Gradients(graph, ordered[cell.states[0]], definitions, matrices, ordered)
