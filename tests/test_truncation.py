"""Truncated BPTT: exact identities with the full gradient, numbers against an independent loop."""

from __future__ import annotations

import inspect

import numpy as np
import pytest
import sympy

from symrnn import compile as compile_spec
from symrnn.engine.service import Quantity, derivative
from symrnn.engine.structured import backward, bptt_terms
from symrnn.numeric import reference
from symrnn.spec import RNNSpec
from symrnn.truncation import (
    compile_truncated,
    lag_term_function,
    lag_terms,
    relative_truncation_error,
    truncated_gradients,
    truncation_of,
)
from symrnn.unroll import unroll

RELATIVE_TOLERANCE = 1e-11


def full_gradient_in_intermediates(graph) -> dict[str, sympy.Matrix]:
    """The engine's reverse-mode gradients (δ recurrence) with the adjoint symbols substituted away."""
    gradients = backward(graph)
    adjoints: dict = {}
    for symbol, expression in gradients.adjoint_definitions.items():
        adjoints[symbol] = expression.xreplace(adjoints)
    return {name: gradients[name].xreplace(adjoints) for name in gradients}


def is_zero(matrix: sympy.Matrix) -> bool:
    return all(sympy.expand(entry) == 0 for entry in matrix)


@pytest.mark.parametrize("activation, tau", [("tanh", 3), ("tanh", 9), ("sigmoid", 3), ("relu", 4)])
def test_truncation_at_or_beyond_z_is_the_full_gradient_exactly(activation: str, tau: int) -> None:
    spec = RNNSpec(z=3, e=2, n=2, m=1, activation=activation)
    truncated = truncated_gradients(spec, tau)
    full = full_gradient_in_intermediates(truncated.graph)
    for name in spec.parameter_names:
        assert is_zero(truncated.dropped[name])
        assert is_zero(truncated.kept[name] - full[name]), name


@pytest.mark.parametrize("activation, tau", [("tanh", 1), ("relu", 2)])
def test_truncated_gradient_is_the_full_one_minus_the_dropped_terms_exactly(
    activation: str, tau: int
) -> None:
    spec = RNNSpec(z=3, e=2, n=2, m=1, activation=activation)
    truncated = truncated_gradients(spec, tau)
    graph = truncated.graph
    full = full_gradient_in_intermediates(graph)
    for name in spec.parameter_names:
        assert is_zero(truncated.kept[name] - (full[name] - truncated.dropped[name])), name
        # the dropped part, recomputed from the structured route's own (t, k) terms (Jacobian products)
        expected = sympy.zeros(*truncated.dropped[name].shape)
        for term in bptt_terms(graph, name):
            if term.t - term.k >= tau:
                expected += sympy.Matrix(np.asarray(term.value).reshape(expected.shape).tolist())
        assert is_zero(truncated.dropped[name] - expected), name
        if name in ("W", "U", "b"):
            assert not is_zero(truncated.dropped[name])  # something really was dropped


def test_chained_state_jacobians_equal_the_services_total_derivative() -> None:
    graph = unroll(RNNSpec(z=3, e=1, n=2, m=1))
    chains: dict = {}
    terms = {(term.t, term.k): term.value for term in lag_terms(graph, "W", chains=chains)}
    plain = {(term.t, term.k): term.value for term in lag_terms(graph, "W")}
    nested = dict(chains)
    for symbol, expression in chains.items():
        nested[symbol] = expression.xreplace(nested)
    for (t, k), value in plain.items():
        named = [entry.xreplace(nested) for entry in terms[(t, k)].ravel()]
        assert all(sympy.expand(a - b) == 0 for a, b in zip(named, value.ravel()))
    # the term (3, 1) built from the service's one-step Jacobians = the service's 2-step total derivative
    dJ_ds = derivative(graph, Quantity("J", 3), Quantity("s", 3))
    ds_ds = derivative(graph, Quantity("s", 3), Quantity("s", 1))
    ds_dW = derivative(graph, Quantity("s", 1), Quantity("W"), immediate=True)
    direct = np.tensordot(np.tensordot(dJ_ds, ds_ds, axes=1), ds_dW, axes=1)
    assert all(sympy.expand(a - b) == 0 for a, b in zip(direct.ravel(), plain[(3, 1)].ravel()))


def independent_truncated_bptt(
    params: dict, xs: np.ndarray, ys: np.ndarray, tau: int, activation: str
) -> dict:
    """Truncated BPTT by hand, for one sequence: each J_t sends its error back at most τ − 1 steps."""
    f, f_prime = reference.ACTIVATIONS[activation]
    W, U, V, b, c = (params[name] for name in ("W", "U", "V", "b", "c"))
    z, n = xs.shape[0], U.shape[0]
    s, u = [np.zeros(n)], [None]
    for t in range(1, z + 1):
        u.append(W @ xs[t - 1] + U @ s[-1] + b)
        s.append(f(u[-1]))
    grads = {name: np.zeros_like(value) for name, value in params.items()}
    for t in range(1, z + 1):
        g = V @ s[t] + c - ys[t - 1]  # ∂J_t/∂ŷ_t for ½‖ŷ − y‖²
        grads["V"] += np.outer(g, s[t])
        grads["c"] += g
        delta = V.T @ g  # ∂J_t/∂s_t
        for k in range(t, max(t - tau, 0), -1):  # k = t .. t − τ + 1
            r = f_prime(u[k]) * delta
            grads["W"] += np.outer(r, xs[k - 1])
            grads["U"] += np.outer(r, s[k - 1])
            grads["b"] += r
            delta = U.T @ r
    return grads


def oracle(params: dict, xs: np.ndarray, ys: np.ndarray, tau: int, activation: str) -> dict:
    """The NumPy oracle's truncated BPTT when it has one (``truncation=``), else the loop above."""
    if "truncation" in inspect.signature(reference.loss_and_gradients).parameters:
        _, grads = reference.loss_and_gradients(params, xs, ys, activation=activation, truncation=tau)
        return grads
    return independent_truncated_bptt(params, xs, ys, tau, activation)


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_compiled_truncated_gradients_match_an_independent_numpy_truncated_bptt(activation: str) -> None:
    z, tau = 5, 2
    spec = RNNSpec(z=z, e=2, n=2, m=2, activation=activation)
    rng = np.random.default_rng(11)
    params = {name: rng.standard_normal(spec.shapes[name]) * 0.7 for name in spec.parameter_names}
    xs, ys = rng.standard_normal((3, z, 2)), rng.standard_normal((3, z, 2))
    _, full = compile_spec(spec)(params, xs, ys)
    derived = truncated_gradients(spec, tau, named=True)
    _, kept = derived.compile("kept")(params, xs, ys)
    _, dropped = derived.compile("dropped")(params, xs, ys)
    terms = lag_term_function(spec)
    numbers = terms(params, xs, ys)
    for b in range(xs.shape[0]):
        expected = oracle(params, xs[b], ys[b], tau, activation)
        for name in spec.parameter_names:
            assert reference.relative_error(kept[name][b], expected[name]) < RELATIVE_TOLERANCE
            assert (
                reference.relative_error(kept[name][b] + dropped[name][b], full[name][b]) < RELATIVE_TOLERANCE
            )
    for every in range(1, z + 1):  # every τ from the compiled (t, k) terms
        from_terms = terms.gradient(numbers, every)
        for b in range(xs.shape[0]):
            expected = oracle(params, xs[b], ys[b], every, activation)
            for name in spec.parameter_names:
                assert reference.relative_error(from_terms[name][b], expected[name]) < RELATIVE_TOLERANCE


def test_compile_truncated_keeps_the_compile_contract() -> None:
    spec = RNNSpec(z=3, e=1, n=2, m=1)
    rng = np.random.default_rng(4)
    params = {name: rng.standard_normal(spec.shapes[name]) for name in spec.parameter_names}
    xs, ys = rng.standard_normal((3, 1)), rng.standard_normal((3, 1))
    J, grads = compile_truncated(spec, 2)(params, xs, ys)
    J_full, _ = compile_spec(spec)(params, xs, ys)
    assert isinstance(J, float) and abs(J - J_full) <= RELATIVE_TOLERANCE * abs(J_full)
    assert {name: value.shape for name, value in grads.items()} == {
        name: spec.shapes[name] for name in spec.parameter_names
    }


def test_relative_truncation_error_vanishes_at_z_and_is_positive_below() -> None:
    spec = RNNSpec(z=5, e=1, n=2, m=1)
    rng = np.random.default_rng(2)
    params = {name: rng.standard_normal(spec.shapes[name]) for name in spec.parameter_names}
    errors = relative_truncation_error(
        spec, params, rng.standard_normal((3, 5, 1)), rng.standard_normal((3, 5, 1)), range(1, 6)
    )
    assert errors.shape == (3, 5) and np.all(errors[:, -1] == 0) and np.all(errors[:, :-1] > 0)


@pytest.mark.parametrize("bad", [0, -1, True, 2.0, "3"])
def test_truncation_must_be_a_positive_integer(bad) -> None:
    with pytest.raises(ValueError, match="truncation must be a positive integer"):
        truncation_of(RNNSpec(), bad)
    assert truncation_of(RNNSpec(), None) is None
