"""The scan form: one step compiled from the symbols, run for any sequence length."""

from __future__ import annotations

import numpy as np
import pytest
import sympy

import symrnn
from symrnn import RNNSpec
from symrnn.numeric.reference import loss_and_gradients, relative_error
from symrnn.numeric.scan import step_program

REFERENCE_TOLERANCE = 1e-10  # DESIGN.md: compiled vs the hand-written reference
LONG_SEQUENCE = 400  # far past what the unrolled symbolic program could be compiled for in a test


def random_call(rng: np.random.Generator, spec: RNNSpec, batch: int | None):
    lead = () if batch is None else (batch,)
    params = {
        "W": rng.normal(0, 0.5, (spec.n, spec.e)),
        "U": rng.normal(0, 0.4, (spec.n, spec.n)),
        "V": rng.normal(0, 0.5, (spec.m, spec.n)),
    }
    if spec.bias:
        params |= {"b": rng.normal(0, 0.3, spec.n), "c": rng.normal(0, 0.3, spec.m)}
    xs = rng.normal(size=(*lead, spec.z, spec.e))
    ys = (
        rng.dirichlet(np.ones(spec.m), size=(*lead, spec.z))
        if spec.loss == "ce"
        else rng.normal(size=(*lead, spec.z, spec.m))
    )
    return params, xs, ys, rng.normal(0, 0.5, (*lead, spec.n))


def assert_matches_reference(spec: RNNSpec, result, call) -> None:
    J, grads = result
    J_ref, grads_ref = loss_and_gradients(
        *call, activation=spec.activation, loss=spec.loss, initial_state_gradient=spec.initial_state_parameter
    )
    assert relative_error(J, J_ref) < REFERENCE_TOLERANCE
    assert set(grads) == set(grads_ref)
    for name in grads:
        assert relative_error(grads[name], grads_ref[name]) < REFERENCE_TOLERANCE, name


@pytest.mark.parametrize(
    "activation, loss, batch", [("tanh", "sse", None), ("sigmoid", "ce", 3), ("relu", "sse", 2)]
)
def test_long_sequence_matches_reference(activation: str, loss: str, batch: int | None) -> None:
    spec = RNNSpec(
        z=LONG_SEQUENCE, e=2, n=3, m=2, activation=activation, loss=loss, initial_state_parameter=True
    )
    call = random_call(np.random.default_rng(4), spec, batch)
    assert_matches_reference(spec, symrnn.compile(spec, backend="scan")(*call), call)


def test_step_program_is_one_step_only() -> None:
    spec = RNNSpec(z=10_000, e=2, n=2, m=1)
    program = step_program(spec)  # its size does not depend on z
    assert len(program.forward_outputs) == 2
    # J_t, the previous state's adjoint, then this step's share of W (2x2), U (2x2), V (1x2), b (2), c (1).
    assert len(program.backward_outputs) == 1 + 2 + 4 + 4 + 2 + 2 + 1
    names = {symbol.name for expression in program.backward_outputs for symbol in expression.free_symbols}
    assert all(name.split("_")[0] in {"W", "U", "V", "b", "c", "s", "x", "y", "future"} for name in names)
    assert all(not name.split("_")[-2].isdigit() or int(name.split("_")[-2]) <= 1 for name in names)


def test_scan_without_symengine(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "symengine", None)  # forces the lambdified NumPy step
    x = sympy.Symbol("x")
    spec = RNNSpec(z=30, e=1, n=2, m=1, activation=sympy.Lambda(x, sympy.atan(x)), bias=False)
    call = random_call(np.random.default_rng(8), spec, 2)
    expected = symrnn.compile(spec.replace(z=30), backend="matrix")(*call)
    J, grads = symrnn.compile(spec, backend="scan")(*call)
    assert relative_error(J, expected[0]) < REFERENCE_TOLERANCE
    for name in grads:
        assert relative_error(grads[name], expected[1][name]) < REFERENCE_TOLERANCE


@pytest.mark.slow
def test_ten_thousand_steps() -> None:
    spec = RNNSpec(z=10_000, e=2, n=4, m=2)
    call = random_call(np.random.default_rng(10), spec, None)
    assert_matches_reference(spec, symrnn.compile(spec, backend="scan")(*call), call)
