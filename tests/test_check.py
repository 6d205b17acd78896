"""check(): compiled vs the NumPy oracle vs finite differences, for every activation, loss and bias."""

from __future__ import annotations

import numpy as np
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

import symrnn
from symrnn import RNNSpec
from symrnn.check import COMPILED_VS_REFERENCE_TOLERANCE, FINITE_DIFFERENCE_TOLERANCE, check, random_problem
from symrnn.numeric import reference

ACTIVATIONS = ["tanh", "sigmoid", "relu", "identity"]


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("loss", ["sse", "ce"])
@pytest.mark.parametrize("bias", [True, False])
@settings(max_examples=3, deadline=None, derandomize=True)
@given(
    z=st.integers(1, 5),
    e=st.integers(1, 3),
    n=st.integers(1, 3),
    m=st.integers(1, 3),
    seed=st.integers(0, 99),
)
def test_compiled_reference_and_finite_differences_agree(activation, loss, bias, z, e, n, m, seed) -> None:
    spec = RNNSpec(
        z=z, e=e, n=n, m=m, activation=activation, loss=loss, bias=bias, initial_state_parameter=seed % 2 == 0
    )
    report = check(spec, seed=seed, brute_force=False)
    assert report.compiled_vs_reference <= COMPILED_VS_REFERENCE_TOLERANCE
    assert report.reference_vs_finite_diff <= FINITE_DIFFERENCE_TOLERANCE
    assert report.ok and report.structured_vs_brute is None


def test_check_runs_brute_force_when_small_and_reports_json_shape() -> None:
    report = check(RNNSpec())
    assert report.structured_vs_brute is not None and report.structured_vs_brute < 1e-45
    assert set(report.as_json()) == {"ok", "max_rel_error"}
    assert set(report.as_json()["max_rel_error"]) == {
        "structured_vs_brute",
        "compiled_vs_reference",
        "reference_vs_finite_diff",
    }


def test_user_lambda_activation_is_checked() -> None:
    v = sympy.Symbol("v")
    report = check(RNNSpec(z=3, activation=sympy.Lambda(v, sympy.sin(v) + v / 2)))
    assert report.ok


def test_batch_equals_single_calls() -> None:
    spec = RNNSpec(z=4, e=2, n=3, m=2, loss="ce")
    fn = symrnn.compile(spec)
    params, xs, ys, s0 = random_problem(spec, seed=5, batch=4)
    J, grads = fn(params, xs, ys, s0)
    assert J.shape == (4,) and grads["W"].shape == (4, 3, 2) and grads["c"].shape == (4, 2)
    for i in range(4):
        J_i, grads_i = fn(params, xs[i], ys[i], s0[i])
        assert isinstance(J_i, float) and grads_i["U"].shape == (3, 3)
        assert reference.relative_error(J_i, J[i]) < 1e-15
        for name in grads:
            assert reference.relative_error(grads_i[name], grads[name][i]) < 1e-15


def test_compiled_agrees_with_an_independent_hand_computation() -> None:
    # z = 1, n = e = m = 1, identity, sse: J = ½(V(Wx + Us0 + b) + c - y)², all derivatives by hand.
    fn = symrnn.compile(RNNSpec(z=1, e=1, n=1, m=1, activation="identity"))
    W, U, V, b, c, x, y, s0 = 0.5, -0.3, 2.0, 0.1, -0.2, 1.5, 0.4, 0.7
    residual = V * (W * x + U * s0 + b) + c - y
    J, grads = fn({"W": [[W]], "U": [[U]], "V": [[V]], "b": [b], "c": [c]}, [[x]], [[y]], [s0])
    assert J == pytest.approx(residual**2 / 2, rel=1e-14)
    assert grads["W"][0, 0] == pytest.approx(residual * V * x, rel=1e-14)
    assert grads["U"][0, 0] == pytest.approx(residual * V * s0, rel=1e-14)
    assert grads["V"][0, 0] == pytest.approx(residual * (W * x + U * s0 + b), rel=1e-14)
    assert grads["c"][0] == pytest.approx(residual, rel=1e-14)


@pytest.mark.parametrize(
    "change, words",
    [
        (lambda p, xs, ys: ({**p, "W": np.zeros((3, 3))}, xs, ys), r"params\['W'\] must have shape \(2, 2\)"),
        (lambda p, xs, ys: ({k: v for k, v in p.items() if k != "b"}, xs, ys), "params is missing b"),
        (lambda p, xs, ys: (p, xs[:, :1], ys), r"xs must have shape"),
        (lambda p, xs, ys: (p, xs, ys[:, :, :1].repeat(2, axis=2)), r"ys must have shape"),
        (lambda p, xs, ys: (p, np.where(xs > 0, np.nan, xs), ys), "xs contains NaN or inf"),
        (lambda p, xs, ys: (p, xs, ys * np.inf), "ys contains NaN or inf"),
        (lambda p, xs, ys: ({**p, "U": p["U"].astype(str)}, xs, ys), "must be an array of real numbers"),
        (lambda p, xs, ys: ({**p, "Q": 1.0}, xs, ys), "unexpected entries Q"),
    ],
)
def test_bad_input_gets_a_clear_error_naming_the_argument(change, words: str) -> None:
    spec = RNNSpec()
    params, xs, ys, _ = random_problem(spec, seed=1)
    with pytest.raises((ValueError, TypeError), match=words):
        symrnn.compile(spec)(*change(params, xs, ys))
