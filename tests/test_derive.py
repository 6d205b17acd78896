"""The structured route equals brute-force differentiation exactly; the service agrees with both."""

from __future__ import annotations

import numpy as np
import pytest
import sympy
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from symrnn import RNNSpec, SymRNNError, gradients, unroll
from symrnn.check import EXACT_TOLERANCE, structured_vs_brute
from symrnn.engine.brute import brute_force_gradients, estimated_work
from symrnn.engine.service import Quantity, derivative
from symrnn.engine.structured import (
    backward,
    bptt_terms,
    gradient_from_terms,
    jacobian_product,
    step_jacobian,
)

ACTIVATIONS = [
    "tanh",
    "sigmoid",
    "relu",
    "identity",
    sympy.Lambda(sympy.Symbol("v"), sympy.Symbol("v") ** 3 / 3 + sympy.Symbol("v")),
]
# Brute-force work allowed per CI example (~30 µs a unit): a representative subset; -m slow sweeps all.
CI_WORK = 40_000


def _spec_strategy(max_z: int):
    return st.builds(
        RNNSpec, z=st.integers(1, max_z), e=st.integers(1, 3), n=st.integers(1, 3), m=st.integers(1, 3)
    )


@pytest.mark.parametrize("activation", ACTIVATIONS, ids=["tanh", "sigmoid", "relu", "identity", "lambda"])
@pytest.mark.parametrize("loss", ["sse", "ce"])
@pytest.mark.parametrize("bias", [True, False])
@settings(
    max_examples=2, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.filter_too_much]
)
@given(base=_spec_strategy(max_z=5))
def test_structured_equals_brute_force(activation, loss: str, bias: bool, base: RNNSpec) -> None:
    spec = base.replace(activation=activation, loss=loss, bias=bias)
    assume(estimated_work(unroll(spec), spec.parameter_names) <= CI_WORK)
    assert structured_vs_brute(spec, seed=spec.z) <= EXACT_TOLERANCE


@pytest.mark.slow
@pytest.mark.parametrize("activation", ACTIVATIONS, ids=["tanh", "sigmoid", "relu", "identity", "lambda"])
@pytest.mark.parametrize("loss", ["sse", "ce"])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("z", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("size", [1, 2, 3])
def test_structured_equals_brute_force_sweep(activation, loss: str, bias: bool, z: int, size: int) -> None:
    spec = RNNSpec(z=z, e=size, n=size, m=size, activation=activation, loss=loss, bias=bias)
    if estimated_work(unroll(spec), spec.parameter_names) > 1_500_000:
        pytest.skip("beyond the brute-force limit")  # the refusal itself is tested below
    assert structured_vs_brute(spec, seed=z) <= EXACT_TOLERANCE


def test_identity_activation_is_exactly_equal_symbolically() -> None:
    spec = RNNSpec(z=2, e=2, n=2, m=1, activation="identity", initial_state_parameter=True)
    structured = gradients(spec, substitute=True)
    brute = brute_force_gradients(unroll(spec))
    for name in spec.parameter_names:
        assert (structured[name] - brute[name]).applyfunc(sympy.expand) == sympy.zeros(*brute[name].shape)


def test_tanh_scalar_symbolic_difference_expands_to_zero() -> None:
    # Both routes write tanh' as 1 - tanh², so the difference is a polynomial in the same tanh atoms.
    spec = RNNSpec(z=2, e=1, n=1, m=1)
    structured, brute = gradients(spec, substitute=True), brute_force_gradients(unroll(spec))
    for name in spec.parameter_names:
        assert sympy.expand(structured[name][0] - brute[name][0]) == 0


def test_a_wrong_recurrence_is_detected() -> None:
    spec = RNNSpec(z=3, e=1, n=2, m=1)
    graph = unroll(spec)
    good = backward(graph)
    U = graph.parameters["U"]
    # Mutation: U instead of Uᵀ in the δ recurrence (a classic hand-derivation slip).
    wrong = {
        sym: expr.xreplace({U[0, 1]: U[1, 0], U[1, 0]: U[0, 1]}) if sym.name.startswith("delta_1") else expr
        for sym, expr in good.adjoint_definitions.items()
    }
    point = {sym: sympy.Rational(k % 5 + 1, 7) for k, sym in enumerate(graph.inputs)}
    values_good, values_wrong = dict(point), dict(point)
    for sym, expr in graph.definitions.items():
        values_good[sym] = values_wrong[sym] = sympy.N(expr.xreplace(values_good), 30)
    for sym in good.adjoint_definitions:
        values_good[sym] = sympy.N(good.adjoint_definitions[sym].xreplace(values_good), 30)
        values_wrong[sym] = sympy.N(wrong[sym].xreplace(values_wrong), 30)
    truth = brute_force_gradients(graph)["W"].xreplace(point).evalf(30)
    assert max(abs(a - b) for a, b in zip(good["W"].xreplace(values_good), truth)) < 1e-25
    assert max(abs(a - b) for a, b in zip(good["W"].xreplace(values_wrong), truth)) > 1e-6


def test_brute_force_refuses_big_cases_with_size_and_alternative() -> None:
    graph = unroll(RNNSpec(z=12, e=4, n=4, m=4))
    with pytest.raises(SymRNNError, match=r"tree nodes.*structured route"):
        brute_force_gradients(graph)


def _at(point: dict, array) -> np.ndarray:
    return np.array(
        [sympy.N(sympy.sympify(entry).xreplace(point), 30) for entry in np.ravel(array)], dtype=float
    )


@pytest.mark.parametrize("parameter", ["W", "U", "V", "b", "c"])
def test_double_sum_of_terms_equals_backward_and_total_derivative(parameter: str) -> None:
    spec = RNNSpec(z=3, e=2, n=2, m=2, activation="sigmoid")
    graph = unroll(spec)
    grads = backward(graph)
    point = {sym: sympy.Rational((7 * k) % 11 - 5, 6) for k, sym in enumerate(graph.inputs)}
    for sym, expr in grads.definitions.items():
        point[sym] = sympy.N(expr.xreplace(point), 30)
    from_terms = _at(point, gradient_from_terms(graph, parameter))
    total = _at(point, derivative(graph, Quantity("J"), Quantity(parameter)))
    recurrence = _at(point, grads[parameter])
    np.testing.assert_allclose(from_terms, recurrence, rtol=1e-20, atol=1e-25)
    np.testing.assert_allclose(total, recurrence, rtol=1e-20, atol=1e-25)


def test_terms_have_the_notes_structure() -> None:
    graph = unroll(RNNSpec(z=3))
    assert [(term.t, term.k) for term in bptt_terms(graph, "U")] == [
        (1, 1),
        (2, 1),
        (2, 2),
        (3, 1),
        (3, 2),
        (3, 3),
    ]
    assert [(term.t, term.k) for term in bptt_terms(graph, "V")] == [(1, 1), (2, 2), (3, 3)]


def test_service_states_and_immediate_partials() -> None:
    graph = unroll(RNNSpec(z=3, e=1, n=2, m=1))
    total = derivative(graph, Quantity("s", 3), Quantity("s", 1))
    assert (sympy.Matrix(total.tolist()) - jacobian_product(graph, 3, 1)).applyfunc(
        sympy.expand
    ) == sympy.zeros(2, 2)
    assert sympy.Matrix(
        derivative(graph, Quantity("s", 2), Quantity("s", 1), immediate=True).tolist()
    ) == step_jacobian(graph, 2)
    assert all(
        entry == 0 for entry in derivative(graph, Quantity("s", 3), Quantity("s", 1), immediate=True).ravel()
    )
    # ∂⁺s_2/∂W holds s_1 fixed: only x_2 appears; the total derivative also reaches x_1.
    immediate = derivative(graph, Quantity("s", 2), Quantity("W"), immediate=True)
    total_W = derivative(graph, Quantity("s", 2), Quantity("W"))
    x1, x2 = graph.xs[0][0], graph.xs[1][0]
    assert immediate.shape == total_W.shape == (2, 2, 1)
    assert not any(x1 in sympy.sympify(e).free_symbols for e in immediate.ravel())
    assert any(x1 in sympy.sympify(e).free_symbols for e in total_W.ravel())
    assert immediate[0, 1, 0] == 0 and immediate[0, 0, 0].has(x2)
    with pytest.raises(ValueError, match="time index"):
        derivative(graph, Quantity("s", 9), Quantity("W"))


def test_piecewise_activation_work_is_estimated_with_its_blow_up() -> None:
    # n = 2, z = 4 with ReLU ran for over 13 minutes before the estimate counted nested conditions.
    graph = unroll(RNNSpec(z=4, e=2, n=2, m=2, activation="relu"))
    smooth = unroll(RNNSpec(z=4, e=2, n=2, m=2, activation="identity"))
    assert estimated_work(graph, graph.spec.parameter_names) > 8 * estimated_work(
        smooth, smooth.spec.parameter_names
    )
    with pytest.raises(SymRNNError, match="structured route"):
        brute_force_gradients(graph)
