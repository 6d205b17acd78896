"""The default NumPy backend of symrnn.compile: contract shapes, batch rule, keyword-only backend option."""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest

import symrnn
from symrnn import RNNSpec
from symrnn.numeric.compile import BACKENDS, CompiledRNN
from symrnn.numeric.reference import loss_and_gradients, relative_error

REFERENCE_TOLERANCE = 1e-10  # DESIGN.md: compiled vs the hand-written reference
EXACT_TOLERANCE = 1e-12  # a batch against single calls: the same arithmetic


@cache
def numpy_backend(spec: RNNSpec) -> CompiledRNN:
    return symrnn.compile(spec, backend="numpy")


def make_call(seed: int, spec: RNNSpec, batch: int | None):
    rng = np.random.default_rng(seed)
    lead = () if batch is None else (batch,)
    params = {
        "W": rng.normal(0, 0.8, (spec.n, spec.e)),
        "U": rng.normal(0, 0.5, (spec.n, spec.n)),
        "V": rng.normal(0, 0.8, (spec.m, spec.n)),
    }
    if spec.bias:
        params |= {"b": rng.normal(0, 0.5, spec.n), "c": rng.normal(0, 0.5, spec.m)}
    return params, rng.normal(size=(*lead, spec.z, spec.e)), rng.normal(size=(*lead, spec.z, spec.m))


def test_default_backend_is_auto_and_the_numpy_backend_matches_reference() -> None:
    spec = RNNSpec(z=3, e=2, n=2, m=1)
    assert symrnn.compile(spec).backend.startswith("auto")
    fn = numpy_backend(spec)
    assert fn.backend == "numpy" and "def " in fn.source
    params, xs, ys = make_call(0, spec, None)
    J, grads = fn(params, xs, ys)
    J_ref, grads_ref = loss_and_gradients(params, xs, ys)
    assert isinstance(J, float) and relative_error(J, J_ref) < REFERENCE_TOLERANCE
    for name in ("W", "U", "V", "b", "c"):
        assert grads[name].shape == spec.shapes[name]
        assert relative_error(grads[name], grads_ref[name]) < REFERENCE_TOLERANCE


def test_batch_rule() -> None:
    spec = RNNSpec(z=3, e=2, n=2, m=1)
    params, xs, ys = make_call(1, spec, 3)
    J, grads = numpy_backend(spec)(params, xs, ys, np.full(2, 0.3))
    assert J.shape == (3,) and grads["U"].shape == (3, 2, 2)
    for index in range(3):
        J_one, grads_one = numpy_backend(spec)(params, xs[index], ys[index], np.full(2, 0.3))
        assert relative_error(J[index], J_one) < EXACT_TOLERANCE
        assert relative_error(grads["W"][index], grads_one["W"]) < EXACT_TOLERANCE


def test_backend_is_keyword_only_and_listed() -> None:
    assert BACKENDS == ("numpy", "llvm", "matrix", "scan", "auto", "loop")
    with pytest.raises(TypeError):
        symrnn.compile(RNNSpec(), "matrix")  # type: ignore[misc]
    with pytest.raises(TypeError, match="RNNSpec"):
        symrnn.compile("rnn")  # type: ignore[arg-type]


@pytest.mark.parametrize("backend", ["numpy", "matrix"])
def test_no_bias_has_no_b_c(backend: str) -> None:
    spec = RNNSpec(z=2, e=1, n=2, m=1, bias=False)
    params, xs, ys = make_call(2, spec, None)
    _, grads = symrnn.compile(spec, backend=backend)(params, xs, ys)
    assert set(grads) == {"W", "U", "V"}


def test_a_slow_unrolled_compile_is_refused_with_its_estimate_and_auto_routes_to_matrix() -> None:
    spec = RNNSpec(z=200, e=8, n=8, m=8)
    for backend in ("numpy", "llvm"):
        with pytest.raises(
            symrnn.SymRNNError, match=r"z=200, n=8 would take about \d+ s .*use backend 'matrix'"
        ):
            symrnn.compile(spec, backend=backend)
    # The default never compiles the unrolled program: matrix code, and the compiled step for small batches.
    assert symrnn.compile(spec).backend in ("auto (matrix)", "auto (scan+matrix)")


def test_reduce_sums_or_averages_over_the_batch() -> None:
    spec = RNNSpec(z=3, e=2, n=2, m=1)
    params, xs, ys = make_call(4, spec, 5)
    J, grads = symrnn.compile(spec, backend="matrix")(params, xs, ys)
    J_sum, grads_sum = symrnn.compile(spec, backend="matrix", reduce="sum")(params, xs, ys)
    J_mean, grads_mean = symrnn.compile(spec, backend="matrix", reduce="mean")(params, xs, ys)
    assert relative_error(J_sum, J.sum()) < REFERENCE_TOLERANCE
    assert relative_error(J_mean, J.mean()) < REFERENCE_TOLERANCE
    for name in grads:
        assert relative_error(grads_sum[name], grads[name].sum(axis=0)) < REFERENCE_TOLERANCE
        assert relative_error(grads_mean[name], grads[name].mean(axis=0)) < REFERENCE_TOLERANCE
    with pytest.raises(ValueError, match="unknown reduce 'max'"):
        symrnn.compile(spec, reduce="max")
