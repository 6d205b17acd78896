"""The brute-force route: sympy.diff of the fully substituted loss, the ground truth for small cases."""

from __future__ import annotations

import sympy

from ..errors import SymRNNError
from ..unroll import Graph

# Tree nodes × differentiated scalars: measured ~30 µs per unit (n = 3, z = 4: 352k units, 11.7 s),
# so the limit keeps one brute-force derivation under a minute.
BRUTE_FORCE_WORK_LIMIT = 1_500_000


def _tree_size(expression: sympy.Basic, sizes: dict[sympy.Basic, int]) -> int:
    if expression in sizes:
        return sizes[expression]
    if not expression.args:
        return 1
    return 1 + sum(_tree_size(arg, sizes) for arg in expression.args)


def nested_loss_size(graph: Graph) -> int:
    """Tree size of the fully substituted J, counted without building it (each definition is small)."""
    sizes: dict[sympy.Basic, int] = {}
    for sym, expression in graph.definitions.items():
        sizes[sym] = _tree_size(expression, sizes)
    return _tree_size(graph.J, sizes)


def estimated_work(graph: Graph, parameters: tuple[str, ...]) -> int:
    """Nodes of the nested loss times the number of scalar derivatives taken.

    A piecewise activation (ReLU) costs more than its tree: sympy.diff carries every nested
    condition along, measured at 1.5x (z = 2) to 44x (z = 6) the smooth rate, so its work counts 2**z.
    """
    count = sum(len(_parameter_matrix(graph, name)) for name in parameters)
    probe = sympy.Symbol("probe", real=True)
    piecewise = graph.activation.function(probe).has(sympy.Piecewise)
    return nested_loss_size(graph) * count * (2**graph.spec.z if piecewise else 1)


def _parameter_matrix(graph: Graph, name: str) -> sympy.Matrix:
    return graph.s0 if name == "s0" else graph.parameters[name]


def brute_force_gradients(graph: Graph, *, limit: int = BRUTE_FORCE_WORK_LIMIT) -> dict[str, sympy.Matrix]:
    """``sympy.diff`` of the nested J with respect to every scalar parameter.

    Raises:
        SymRNNError: when the estimated work exceeds ``limit`` (the message names the size and the
            structured alternative) instead of running for minutes.
    """
    names = graph.spec.parameter_names
    work = estimated_work(graph, names)
    if work > limit:
        spec = graph.spec
        raise SymRNNError(
            f"brute-force differentiation refused for z={spec.z}, n={spec.n}: the nested loss has "
            f"{nested_loss_size(graph):,} tree nodes and {work:,} units of work (limit {limit:,}); "
            "use the structured route (symrnn.gradients) instead"
        )
    J = graph.substituted(graph.J)
    return {name: _parameter_matrix(graph, name).applyfunc(lambda p: sympy.diff(J, p)) for name in names}
