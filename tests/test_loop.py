"""backend="loop": compiled time loops (Numba) agree with the NumPy oracle; reduce modes; the disk cache."""

from __future__ import annotations

import itertools
from functools import lru_cache

import numpy as np
import pytest

from symrnn import RNNSpec
from symrnn.engine.step import StepProgram
from symrnn.numeric import cache
from symrnn.numeric.loop import REDUCTIONS, compile_loop, kernel_module, step_program
from symrnn.numeric.reference import loss_and_gradients, relative_error

pytest.importorskip("numba")

ORACLE_TOLERANCE = 1e-12  # issue 13: every new backend vs the NumPy oracle, relative
ACTIVATIONS, LOSSES = ("tanh", "sigmoid", "relu", "identity"), ("sse", "ce")


@lru_cache(maxsize=None)  # noqa: UP033 - "cache" names the disk-cache module here
def compiled(spec: RNNSpec, generator: str, reduce: str):
    return compile_loop(spec, generator=generator, reduce=reduce)


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


def oracle(spec: RNNSpec, params, xs, ys, s0):
    return loss_and_gradients(
        params,
        xs,
        ys,
        s0,
        activation=spec.activation,
        loss=spec.loss,
        initial_state_gradient=spec.initial_state_parameter,
    )


def worst_error(result, expected) -> float:
    (J, grads), (J_ref, grads_ref) = result, expected
    assert set(grads) == set(grads_ref)
    return max([relative_error(J, J_ref)] + [relative_error(grads[k], grads_ref[k]) for k in grads_ref])


def check_every_mode(spec: RNNSpec, generator: str, seed: int) -> None:
    rng = np.random.default_rng(seed)
    for batch in (None, 3):
        call = random_call(rng, spec, batch)
        J_ref, grads_ref = oracle(spec, *call)
        for reduce in REDUCTIONS:
            J, grads = compiled(spec, generator, reduce)(*call)
            if batch is None:  # one sequence: a float and parameter shapes whatever the reduction
                assert isinstance(J, float)
                expected = (J_ref, grads_ref)
            elif reduce == "none":
                expected = (J_ref, grads_ref)
            else:
                scale = 1.0 / batch if reduce == "mean" else 1.0
                expected = (J_ref.sum() * scale, {k: v.sum(axis=0) * scale for k, v in grads_ref.items()})
            shapes = {k: np.shape(v) for k, v in expected[1].items()}
            assert {k: np.shape(v) for k, v in grads.items()} == shapes
            assert worst_error((J, grads), expected) < ORACLE_TOLERANCE, (generator, reduce, batch)


# Each activation, each loss, bias on and off and the s0 gradient, with one compiled kernel per spec (Numba
# compiles each in seconds on a cold cache; the full activation × loss × bias product is marked `slow`).
SETTINGS = [
    ("tanh", "sse", True, True),
    ("sigmoid", "ce", False, False),
    ("relu", "sse", False, True),
    ("identity", "ce", True, False),
]


@pytest.mark.parametrize("activation, loss, bias, s0_parameter", SETTINGS)
@pytest.mark.parametrize("generator", ["scalar", "matrix"])
def test_backend_matches_oracle(
    generator: str, activation: str, loss: str, bias: bool, s0_parameter: bool
) -> None:
    spec = RNNSpec(
        z=4, e=2, n=3, m=2, activation=activation, loss=loss, bias=bias, initial_state_parameter=s0_parameter
    )
    check_every_mode(spec, generator, seed=len(activation) + 7 * bias)


@pytest.mark.parametrize("z", [1, 2, 37])
def test_any_sequence_length_with_one_kernel(z: int) -> None:
    """The kernels do not depend on z: one compiled module serves every length (its cache key omits z)."""
    spec = RNNSpec(z=z, e=2, n=3, m=2, activation="tanh", loss="sse", initial_state_parameter=True)
    for generator in ("scalar", "matrix"):
        check_every_mode(spec, generator, seed=z)
        assert compiled(spec, generator, "sum").module is compiled(spec.replace(z=4), generator, "sum").module


@pytest.mark.slow
def test_matrix_generator_whole_vector_loss() -> None:
    for loss in LOSSES:  # m > 8: the loss as a loop over the output instead of printed code
        check_every_mode(RNNSpec(z=3, e=2, n=3, m=9, loss=loss), "matrix", seed=5)


@pytest.mark.slow
@pytest.mark.parametrize(
    "activation, loss, bias", list(itertools.product(ACTIVATIONS, LOSSES, (True, False)))
)
def test_full_product_matches_oracle(activation: str, loss: str, bias: bool) -> None:
    spec = RNNSpec(
        z=3, e=2, n=3, m=2, activation=activation, loss=loss, bias=bias, initial_state_parameter=True
    )
    for generator in ("scalar", "matrix"):
        check_every_mode(spec, generator, seed=11)


def test_the_engine_step_program_has_the_contract_layout() -> None:
    spec = RNNSpec(z=9, e=3, n=2, m=1, initial_state_parameter=True)
    program = step_program(spec)
    assert isinstance(program, StepProgram)
    assert (len(program.state_prev), len(program.x), len(program.y), len(program.adjoint)) == (2, 3, 1, 2)
    sizes = sum(int(np.prod(spec.shapes[name])) for name in spec.parameter_names if name != "s0")
    assert len(program.parameters) == sizes
    assert len(program.backward_outputs) == 1 + 2 + sizes  # [J_t, adjoint_(t-1), contributions]
    allowed = set(program.parameters + program.state_prev + program.x + program.y + program.adjoint)
    assert all(e.free_symbols <= allowed for e in program.backward_outputs)
    assert all(e.free_symbols <= allowed - set(program.y + program.adjoint) for e in program.forward_outputs)


def test_bad_input_and_overflow_are_clear_errors() -> None:
    spec = RNNSpec(z=4, e=2, n=3, m=2, activation="identity", loss="ce", bias=True)  # a kernel compiled above
    function = compiled(spec, "scalar", "none")
    params, xs, ys, _ = random_call(np.random.default_rng(1), spec, None)
    huge = {name: np.full_like(value, 1e300) for name, value in params.items()}
    with pytest.raises(ValueError, match="overflow"):
        function(huge, np.full_like(xs, 1e300), ys)
    with pytest.raises(ValueError, match="must have shape"):
        function(params | {"U": np.ones((2, 2))}, xs, ys)
    with pytest.raises(ValueError, match="NaN"):
        function(params, np.full_like(xs, np.nan), ys)
    with pytest.raises(ValueError, match="unknown reduce"):
        compile_loop(spec, reduce="max")


# ---------------------------------------------------------------------------------------------- disk cache
@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv(cache.ENVIRONMENT_VARIABLE, str(tmp_path))
    cache.forget_loaded()
    yield tmp_path
    cache.forget_loaded()


CACHED_SPEC = RNNSpec(z=3, e=1, n=1, m=1, activation="identity")


def _fresh_result(spec: RNNSpec):
    cache.forget_loaded()
    function = compile_loop(spec, generator="scalar")
    call = random_call(np.random.default_rng(0), spec, 2)
    assert worst_error(function(*call), oracle(spec, *call)) < ORACLE_TOLERANCE
    return function


def test_disk_cache_hit_miss_corrupted_deleted(cache_dir) -> None:
    assert cache.cache_directory() == cache_dir
    assert not _fresh_result(CACHED_SPEC).cache_hit  # miss: derived, generated, compiled, stored
    modules = list(cache_dir.glob("k_*.py"))
    assert len(modules) == 1 and modules[0].stem == "k_" + cache.digest(modules[0].read_text())
    numba_files = list((cache_dir / "__pycache__").glob(modules[0].stem + ".*"))
    assert any(path.suffix == ".nbi" for path in numba_files)  # Numba's machine code stored beside it
    assert _fresh_result(CACHED_SPEC).cache_hit  # hit in a fresh load
    assert _fresh_result(CACHED_SPEC.replace(z=7)).cache_hit  # z is not part of the key

    module = modules[0]  # a corrupted module file is ignored (its content no longer matches its hash) ...
    module.write_text(module.read_text() + "\nraise RuntimeError('corrupted')\n")
    assert not _fresh_result(CACHED_SPEC).cache_hit
    assert cache.digest(module.read_text()) == module.stem.removeprefix("k_")  # ... and rewritten
    assert _fresh_result(CACHED_SPEC).cache_hit

    for path in (cache_dir / "__pycache__").iterdir():  # corrupted Numba files: deleted and recompiled
        path.write_bytes(b"\x80\x04garbage")
    for path in cache_dir.glob("spec_*.txt"):
        path.write_text("not a hash")
    assert not _fresh_result(CACHED_SPEC).cache_hit
    assert _fresh_result(CACHED_SPEC).cache_hit

    import shutil

    shutil.rmtree(cache_dir)  # safe to delete: everything is rebuilt
    assert not _fresh_result(CACHED_SPEC).cache_hit
    module, hit = kernel_module(CACHED_SPEC, "scalar")
    assert hit and hasattr(module, "run")


def test_registered_as_compile_backend() -> None:
    import symrnn

    spec = RNNSpec(z=6, e=2, n=3, m=2, activation="tanh", loss="sse", initial_state_parameter=True)
    function = symrnn.compile(spec, backend="loop")  # the kernel of the tanh/sse spec above (cache hit)
    call = random_call(np.random.default_rng(4), spec, 2)
    assert function.backend == "loop"
    assert worst_error(function(*call), oracle(spec, *call)) < ORACLE_TOLERANCE


# ---------------------------------------------------------------------------------------------- cost model
def test_cost_model_interpolates_measured_times_and_chooses(monkeypatch, tmp_path) -> None:
    from symrnn.numeric import costmodel

    cells = [
        [
            n,
            z,
            B,
            {
                "loop-matrix": 1e-6 * z * (B if n == 2 else 2 * B),
                "matrix": 1e-6 * z * 1.5 * B,
                "llvm": 1e-7 * z * n * n * B,
            },
        ]
        for n in (2, 32)
        for z in (4, 64)
        for B in (1, 1024)
    ]
    model = {"cells": cells, "compile": {"matrix": [[2, 4, 0.5], [32, 64, 0.9]]}}
    monkeypatch.setattr(costmodel, "load", lambda: model)
    predicted = costmodel.predict(model, 2, 16, 32)  # between grid points: geometric interpolation
    assert predicted["loop-matrix"] == pytest.approx(1e-6 * 16 * 32)
    assert predicted["matrix"] == pytest.approx(1.5e-6 * 16 * 32)
    assert costmodel.choose_backend(RNNSpec(z=16, e=2, n=2, m=2), 32) == "llvm"  # 4e-7·z·B: the least
    assert costmodel.choose_backend(RNNSpec(z=64, e=32, n=32, m=2), 1024) == "matrix"  # llvm not allowed
    assert costmodel.choose_backend(RNNSpec(z=4096, e=2, n=300, m=2), 10**6) == "matrix"  # clamped
    assert costmodel.estimate_compile_seconds(RNNSpec(z=50, e=2, n=30, m=2), "matrix") == 0.9
    monkeypatch.setattr(costmodel, "load", lambda: None)
    assert costmodel.choose_backend(RNNSpec(z=16, e=2, n=2, m=2), 1) == "loop-matrix"  # no model: loop


def test_cost_model_files_are_read_and_a_corrupted_one_ignored(monkeypatch, tmp_path) -> None:
    from symrnn.numeric import costmodel

    monkeypatch.setenv(cache.ENVIRONMENT_VARIABLE, str(tmp_path / "kernels"))
    monkeypatch.setattr(costmodel, "SHIPPED", tmp_path / "shipped.json")
    costmodel.load.cache_clear()
    assert costmodel.load() is None
    path = costmodel.store({"cells": [[2, 4, 1, {"matrix": 1.0}]]})
    assert path.parent == tmp_path and costmodel.load()["cells"][0][3] == {"matrix": 1.0}
    path.write_text("{ not json")
    costmodel.load.cache_clear()
    assert costmodel.load() is None
    costmodel.load.cache_clear()


def test_cost_model_builds_its_choice() -> None:
    from symrnn.numeric import costmodel

    spec = RNNSpec(z=5, e=2, n=3, m=2, activation="tanh", loss="sse", initial_state_parameter=True)
    call = random_call(np.random.default_rng(6), spec, None)
    for choice in ("loop-scalar", "loop-matrix", "matrix"):
        assert worst_error(costmodel.build(spec, choice)(*call), oracle(spec, *call)) < ORACLE_TOLERANCE
    assert costmodel.choose_backend(spec, 1) in costmodel.allowed(spec)


@pytest.mark.parametrize("cell", ["lstm", pytest.param("gru", marks=pytest.mark.slow)])
def test_gated_cells_through_the_engine_step_program(cell: str) -> None:
    from symrnn.check import random_problem, reference_call

    spec = RNNSpec(cell=cell, z=3, e=2, n=2, m=2, initial_state_parameter=True)
    params, xs, ys, s0 = random_problem(spec, seed=5)
    J_ref, grads_ref = reference_call(spec, params, xs, ys, s0)
    J, grads = compile_loop(spec)(params, xs, ys, s0)
    assert worst_error((J, grads), (J_ref, grads_ref)) < ORACLE_TOLERANCE


def test_wide_gated_cells_are_refused_with_the_alternative() -> None:
    from symrnn import SymRNNError

    with pytest.raises(SymRNNError, match="use backend 'matrix' or 'scan'"):
        compile_loop(RNNSpec(cell="lstm", n=8))
