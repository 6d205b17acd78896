"""The named-intermediate program: definitions, linear size, and the nested form on request."""

from __future__ import annotations

import sympy

from symrnn import RNNSpec, unroll
from symrnn.engine.brute import nested_loss_size


def test_program_matches_the_notes_equations() -> None:
    graph = unroll(RNNSpec(z=2, e=1, n=1, m=1))
    W, U, V, b, c = (graph.parameters[name][0] for name in "WUVbc")
    x1, x2, y2 = graph.xs[0][0], graph.xs[1][0], graph.ys[1][0]
    s0, s1, u2 = graph.s0[0], graph.symbols("s", 1)[0], graph.symbols("u", 2)[0]
    definitions = graph.definitions
    assert definitions[graph.symbols("u", 1)[0]] == W * x1 + U * s0 + b
    assert definitions[u2] == W * x2 + U * s1 + b
    assert definitions[graph.symbols("s", 2)[0]] == sympy.tanh(u2)
    yhat2 = graph.symbols("yhat", 2)[0]
    assert definitions[yhat2] == V * graph.symbols("s", 2)[0] + c
    assert definitions[graph.symbols("J", 2)[0]] == (yhat2 - y2) ** 2 / 2
    assert graph.J == graph.symbols("J", 1)[0] + graph.symbols("J", 2)[0]


def test_substituted_loss_is_the_hand_nested_expression() -> None:
    graph = unroll(RNNSpec(z=2, e=1, n=1, m=1, bias=False))
    W, U, V = (graph.parameters[name][0] for name in "WUV")
    x1, x2, y1, y2, s0 = graph.xs[0][0], graph.xs[1][0], graph.ys[0][0], graph.ys[1][0], graph.s0[0]
    s1 = sympy.tanh(W * x1 + U * s0)
    s2 = sympy.tanh(W * x2 + U * s1)
    expected = (V * s1 - y1) ** 2 / 2 + (V * s2 - y2) ** 2 / 2
    assert sympy.expand(graph.substituted(graph.J) - expected) == 0


def test_program_grows_linearly_while_nested_tree_grows_exponentially() -> None:
    sizes = {
        z: sum(sympy.count_ops(e) for e in unroll(RNNSpec(z=z, e=3, n=3, m=3)).definitions.values())
        for z in (4, 8, 16)
    }
    assert sizes[16] - sizes[8] == 2 * (sizes[8] - sizes[4])  # exactly linear in z
    nested = {z: nested_loss_size(unroll(RNNSpec(z=z, e=3, n=3, m=3))) for z in (4, 8)}
    assert nested[8] > 50 * nested[4]


def test_symbols_come_from_symrnn_names_only() -> None:
    graph = unroll(RNNSpec(z=3))
    names = {sym.name for sym in graph.inputs} | {sym.name for sym in graph.definitions}
    assert all(name.replace("_", "").isalnum() and name.isascii() for name in names)
    assert "s_0_1" in names and "W_1_0" in names and "yhat_3_0" in names
