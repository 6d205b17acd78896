"""Compiled backends (llvm, matrix, scan, auto) and the SymEngine derivation route agree with each other."""

from __future__ import annotations

import sys
from functools import cache

import numpy as np
import pytest
import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import symrnn
from symrnn import RNNSpec, SymRNNError
from symrnn.engine.adjoint import backward
from symrnn.engine.fast import backward_fast, use_symengine
from symrnn.numeric.reference import loss_and_gradients, relative_error
from symrnn.unroll import unroll

CROSS_BACKEND_TOLERANCE = 1e-12  # the same float64 arithmetic, reordered by each backend
REFERENCE_TOLERANCE = 1e-10  # DESIGN.md: compiled vs the hand-written reference
FAST_BACKENDS = ("llvm", "matrix", "scan", "auto")
pytest.importorskip("symengine")


@cache
def compiled(spec: RNNSpec, backend: str):
    return symrnn.compile(spec, backend=backend)


def random_call(rng: np.random.Generator, spec: RNNSpec, batch: int | None):
    n, e, m, z = spec.n, spec.e, spec.m, spec.z
    lead = () if batch is None else (batch,)
    params = {
        "W": rng.normal(0, 0.8, (n, e)),
        "U": rng.normal(0, 0.5, (n, n)),
        "V": rng.normal(0, 0.8, (m, n)),
    }
    if spec.bias:
        params |= {"b": rng.normal(0, 0.5, n), "c": rng.normal(0, 0.5, m)}
    xs = rng.normal(0, 1, (*lead, z, e))
    ys = rng.dirichlet(np.ones(m), size=(*lead, z)) if spec.loss == "ce" else rng.normal(0, 1, (*lead, z, m))
    return params, xs, ys, rng.normal(0, 0.5, (*lead, n))


def worst_error(first, second) -> float:
    (J_a, grads_a), (J_b, grads_b) = first, second
    assert set(grads_a) == set(grads_b)
    return max([relative_error(J_a, J_b)] + [relative_error(grads_a[key], grads_b[key]) for key in grads_a])


def reference(spec: RNNSpec, params, xs, ys, s0):
    return loss_and_gradients(
        params,
        xs,
        ys,
        s0,
        activation=spec.activation,
        loss=spec.loss,
        initial_state_gradient=spec.initial_state_parameter,
    )


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu", "identity"])
@pytest.mark.parametrize("loss", ["sse", "ce"])
@pytest.mark.parametrize("bias", [True, False])
def test_every_backend_matches_numpy_backend_and_reference(activation: str, loss: str, bias: bool) -> None:
    spec = RNNSpec(
        z=3, e=2, n=2, m=2, activation=activation, loss=loss, bias=bias, initial_state_parameter=not bias
    )
    rng = np.random.default_rng(7)
    for batch in (None, 3):
        call = random_call(rng, spec, batch)
        expected = compiled(spec, "numpy")(*call)
        assert worst_error(expected, reference(spec, *call)) < REFERENCE_TOLERANCE
        for backend in FAST_BACKENDS:
            assert worst_error(compiled(spec, backend)(*call), expected) < CROSS_BACKEND_TOLERANCE, backend


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    z=st.integers(1, 5),
    e=st.integers(1, 3),
    n=st.integers(1, 4),
    m=st.integers(1, 3),
    batch=st.sampled_from([None, 1, 5]),
    seed=st.integers(0, 2**16),
)
def test_sizes_vary(z: int, e: int, n: int, m: int, batch: int | None, seed: int) -> None:
    spec = RNNSpec(z=z, e=e, n=n, m=m)
    call = random_call(np.random.default_rng(seed), spec, batch)
    expected = reference(spec, *call)
    results = {backend: compiled(spec, backend)(*call) for backend in ("llvm", "matrix", "scan")}
    for backend, result in results.items():
        assert worst_error(result, expected) < REFERENCE_TOLERANCE, backend
        assert worst_error(result, results["llvm"]) < CROSS_BACKEND_TOLERANCE, backend


def test_custom_lambda_activation() -> None:
    x = sympy.Symbol("x")
    spec = RNNSpec(z=3, e=2, n=2, m=1, activation=sympy.Lambda(x, x / (1 + x**2)))
    call = random_call(np.random.default_rng(3), spec, 2)
    expected = compiled(spec, "numpy")(*call)
    for backend in FAST_BACKENDS:
        assert worst_error(compiled(spec, backend)(*call), expected) < CROSS_BACKEND_TOLERANCE, backend


def test_single_sequence_gives_floats_and_parameter_shapes() -> None:
    spec = RNNSpec(z=2, e=3, n=2, m=1)
    params, xs, ys, _s0 = random_call(np.random.default_rng(1), spec, None)
    for backend in FAST_BACKENDS:
        J, grads = compiled(spec, backend)(params, xs, ys)
        assert isinstance(J, float)
        assert {key: value.shape for key, value in grads.items()} == {key: spec.shapes[key] for key in grads}


def test_batch_equals_single_calls() -> None:
    spec = RNNSpec(z=3, e=2, n=3, m=2, loss="ce")
    params, xs, ys, s0 = random_call(np.random.default_rng(5), spec, 4)
    for backend in FAST_BACKENDS:
        J, grads = compiled(spec, backend)(params, xs, ys, s0)
        for index in range(4):
            J_one, grads_one = compiled(spec, backend)(params, xs[index], ys[index], s0[index])
            assert (
                worst_error((J[index], {k: v[index] for k, v in grads.items()}), (J_one, grads_one))
                < CROSS_BACKEND_TOLERANCE
            )


def _error_message(function, *args) -> tuple[type, str]:
    with pytest.raises((ValueError, TypeError)) as info:
        function(*args)
    return info.type, str(info.value)


@pytest.mark.parametrize("case", ["shape", "nan", "dtype", "missing", "ys", "s0", "list_shape"])
def test_bad_input_gets_the_numpy_backend_error(case: str) -> None:
    spec = RNNSpec(z=2, e=2, n=2, m=1)
    params, xs, ys, s0 = random_call(np.random.default_rng(2), spec, None)
    if case == "shape":
        params["U"] = np.ones((3, 3))
    elif case == "nan":
        xs[1, 0] = np.nan
    elif case == "dtype":
        params["W"] = np.array([["a", "b"], ["c", "d"]])
    elif case == "missing":
        del params["V"]
    elif case == "ys":
        ys = np.ones((3, 1))
    elif case == "s0":
        s0 = np.ones(5)
    else:
        xs = [[1.0, 2.0, 3.0]]
    expected = _error_message(compiled(spec, "numpy"), params, xs, ys, s0)
    for backend in FAST_BACKENDS:
        found = _error_message(compiled(spec, backend), params, xs, ys, s0)
        if case == "list_shape" and backend in ("matrix", "scan"):
            # These loop over time and take any z: the message names the free length instead of z = 2.
            assert found == (ValueError, "xs must have shape (z, 2) or (B, z, 2) for any z >= 1, got (1, 3)")
            continue
        assert found == expected, backend


def test_overflow_is_a_clear_error_everywhere() -> None:
    spec = RNNSpec(z=2, e=1, n=1, m=2, loss="ce", activation="identity")
    params = {
        "W": np.array([[1e300]]),
        "U": np.array([[1e300]]),
        "V": np.array([[1e300], [1e300]]),
        "b": np.zeros(1),
        "c": np.zeros(2),
    }
    xs, ys = np.array([[1e300], [1e300]]), np.full((2, 2), 0.5)
    for backend in ("numpy", *FAST_BACKENDS):
        with pytest.raises(ValueError, match="overflow"):
            compiled(spec, backend)(params, xs, ys)


def test_unknown_backend_is_rejected() -> None:
    with pytest.raises(ValueError, match="choose one of numpy, llvm, matrix, scan, auto"):
        symrnn.compile(RNNSpec(), backend="cuda")


def test_missing_symengine_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "symengine", None)  # import symengine now raises ImportError
    with pytest.raises(SymRNNError, match=r"pip install symrnn\[fast\]") as info:
        symrnn.compile(RNNSpec(z=5, n=3), backend="llvm")
    assert "\n" not in str(info.value)
    assert compiled(RNNSpec(z=2), "matrix").backend == "matrix"  # the matrix backend needs nothing optional
    assert symrnn.compile(RNNSpec(z=2, n=1), backend="auto").backend == "auto (matrix)"
    assert not use_symengine(RNNSpec(z=64, n=8))


# ------------------------------------------------------------------------------------ SymEngine derivation
def _real(expression: sympy.Expr) -> sympy.Expr:
    return expression.xreplace({s: sympy.Symbol(s.name, real=True) for s in expression.free_symbols})


def _fast_entries_at(spec: RNNSpec, point: dict, digits: int) -> list:
    """The SymEngine route's J and gradient entries, nested into the leaves, evaluated with ``digits`` digits."""
    from symrnn.engine.fast import to_sympy

    fast = backward_fast(spec, numeric=False)
    J, entries = fast.nested()
    by_name = {symbol.name: value for symbol, value in point.items()}
    values = []
    for entry in (J, *entries):
        expression = to_sympy(entry)
        binding = {s: sympy.Float(by_name[s.name], digits) for s in expression.free_symbols}
        values.append(sympy.N(expression.xreplace(binding), digits))
    return values


@pytest.mark.parametrize(
    "spec",
    [
        *(
            RNNSpec(z=2, e=2, n=2, m=2, activation=a, loss=l, initial_state_parameter=True)
            for a in ("tanh", "sigmoid", "relu", "identity")
            for l in ("sse", "ce")
        ),
        RNNSpec(z=2, e=1, n=1, m=1, cell="lstm", initial_state_parameter=True),
        RNNSpec(z=2, e=2, n=1, m=2, cell="gru", loss="ce", bias=False),
        RNNSpec(z=3, e=0, n=2, m=1),
    ],
    ids=str,
)
def test_symengine_route_equals_the_entry_level_engine_exactly(spec: RNNSpec) -> None:
    from symrnn.engine.exact import EXACT_DIGITS, EXACT_TOLERANCE, exact_relative_error, rational_point

    structured = backward(unroll(spec))
    point = rational_point(structured.graph, seed=5)
    values = {symbol: sympy.Float(value, EXACT_DIGITS) for symbol, value in point.items()}
    for symbol, expression in structured.definitions.items():
        values[symbol] = sympy.N(expression.xreplace(values), EXACT_DIGITS)
    want = [sympy.N(structured.graph.J.xreplace(values), EXACT_DIGITS)]
    want += [
        sympy.N(entry.xreplace(values), EXACT_DIGITS) for name in structured for entry in structured[name]
    ]
    got = _fast_entries_at(spec, point, EXACT_DIGITS)
    assert exact_relative_error(got, want) <= EXACT_TOLERANCE


def test_engine_option() -> None:
    assert use_symengine(RNNSpec(z=64, n=8))
    assert not use_symengine(RNNSpec(z=2, n=2))
    assert not use_symengine(RNNSpec(z=64, n=8), "sympy")
    with pytest.raises(ValueError, match="choose sympy, symengine or auto"):
        use_symengine(RNNSpec(), "maple")


@pytest.mark.parametrize("loss", ["sse", "ce"])
@pytest.mark.parametrize("m", [1, 3, 7])
def test_vectorised_loss_equals_the_printed_rule_table_form(loss: str, m: int) -> None:
    from symrnn.numeric.matrix import loss_source

    spec = RNNSpec(m=m, loss=loss)
    rng = np.random.default_rng(m)
    yhat = rng.normal(size=(3, 2, m)) * 3
    y = rng.dirichlet(np.ones(m), size=(3, 2)) if loss == "ce" else rng.normal(size=(3, 2, m))
    results = []
    for vectorised in (False, True):
        namespace: dict = {"numpy": np}
        exec(loss_source(spec, vectorised=vectorised), namespace)
        results.append(namespace["loss_terms"](yhat, y))
    (J_printed, g_printed), (J_vector, g_vector) = results
    assert np.abs(J_printed - J_vector).max() < 1e-12 and np.abs(g_printed - g_vector).max() < 1e-12
