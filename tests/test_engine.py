"""The engine: cells as data, entry-level and matrix-level reverse mode, cross-checked for every cell."""

from __future__ import annotations

import numpy as np
import pytest
import sympy

import symrnn
from symrnn import RNNSpec
from symrnn.cells import Cell, make_cell, names, sigmoid, tanh
from symrnn.cells.expression import Hadamard, Name, TensorSum
from symrnn.check import random_problem, reference_call, structured_vs_brute
from symrnn.engine.exact import EXACT_TOLERANCE
from symrnn.engine.vjp import Adjoint, ElementwiseDerivative, LossGradient, Next, Transposed, matrix_program
from symrnn.numeric.reference import relative_error

REFERENCE_TOLERANCE = 1e-10  # compiled vs the hand-written NumPy oracle
LEVELS_TOLERANCE = 1e-12  # entry level vs matrix level: the same float64 arithmetic, reordered


def minimal_gated_unit() -> Cell:
    """The README's user cell: the minimal gated unit (Zhou et al. 2016), one forget gate."""
    W_f, U_f, b_f, W_h, U_h, b_h, x, h_prev, f, g = names("W_f U_f b_f W_h U_h b_h x h_prev f g")
    return make_cell(
        "mgu",
        parameters={
            "W_f": ("n", "e"),
            "U_f": ("n", "n"),
            "b_f": ("n",),
            "W_h": ("n", "e"),
            "U_h": ("n", "n"),
            "b_h": ("n",),
        },
        equations=[
            ("f", sigmoid(W_f @ x + U_f @ h_prev + b_f)),
            ("g", tanh(W_h @ x + U_h @ (f * h_prev) + b_h)),
            ("h", (1 - f) * h_prev + f * g),
        ],
        states=["h"],
        biases=["b_f", "b_h"],
    )


EXACT_CASES = [
    RNNSpec(z=3, e=2, n=2, m=1),
    RNNSpec(z=2, e=0, n=2, m=2, loss="ce", activation="sigmoid"),
    RNNSpec(z=2, e=1, n=1, m=1, cell="lstm", initial_state_parameter=True),
    RNNSpec(z=2, e=1, n=1, m=2, cell="gru", bias=False),
    RNNSpec(z=2, e=1, n=1, m=1, cell=minimal_gated_unit()),
]
SLOW_EXACT_CASES = [
    RNNSpec(z=2, e=1, n=2, m=2, cell="lstm", loss="ce"),
    RNNSpec(z=3, e=1, n=1, m=1, cell="gru", initial_state_parameter=True),
    RNNSpec(z=2, e=2, n=2, m=1, cell=minimal_gated_unit(), bias=False),
    RNNSpec(z=3, e=0, n=1, m=1, cell="lstm"),
]


@pytest.mark.parametrize("spec", EXACT_CASES, ids=lambda s: f"{s.cell_name}-z{s.z}-e{s.e}-n{s.n}")
def test_entry_level_equals_brute_force_exactly(spec: RNNSpec) -> None:
    assert structured_vs_brute(spec) <= EXACT_TOLERANCE


@pytest.mark.slow
@pytest.mark.parametrize("spec", SLOW_EXACT_CASES, ids=lambda s: f"{s.cell_name}-z{s.z}-e{s.e}-n{s.n}")
def test_entry_level_equals_brute_force_exactly_larger(spec: RNNSpec) -> None:
    assert structured_vs_brute(spec) <= EXACT_TOLERANCE


CELL_CASES = [
    dict(cell=cell, z=z, e=e, n=n, m=m, bias=bias, loss=loss)
    for cell, z, e, n, m, bias, loss in [
        ("rnn", 4, 3, 2, 2, True, "sse"),
        ("rnn", 3, 0, 3, 1, False, "sse"),
        ("lstm", 4, 2, 3, 2, True, "ce"),
        ("lstm", 3, 0, 2, 1, False, "sse"),
        ("gru", 4, 3, 2, 1, True, "sse"),
        ("gru", 2, 1, 3, 3, False, "ce"),
    ]
]


@pytest.mark.parametrize("case", CELL_CASES, ids=lambda c: "-".join(f"{k}{v}" for k, v in c.items()))
def test_every_backend_equals_the_numpy_oracle(case: dict) -> None:
    spec = RNNSpec(initial_state_parameter=True, **case)
    params, xs, ys, s0 = random_problem(spec, seed=7)
    J_ref, grads_ref = reference_call(spec, params, xs, ys, s0)
    _, grads_fd = reference_call(spec, params, xs, ys, s0, finite_differences=True)
    for name in spec.parameter_names:
        assert relative_error(grads_ref[name], grads_fd[name]) < 1e-6, name
    for backend in ("numpy", "llvm", "matrix", "scan", "auto"):
        J, grads = symrnn.compile(spec, backend=backend)(params, xs, ys, s0)
        assert relative_error(J, J_ref) < REFERENCE_TOLERANCE, backend
        for name in spec.parameter_names:
            assert grads[name].shape == grads_ref[name].shape, (backend, name)
            assert relative_error(grads[name], grads_ref[name]) < REFERENCE_TOLERANCE, (backend, name)


@pytest.mark.parametrize(
    "cell", ["rnn", "lstm", "gru", minimal_gated_unit()], ids=["rnn", "lstm", "gru", "mgu"]
)
def test_matrix_level_equals_entry_level(cell: str | Cell) -> None:
    spec = RNNSpec(cell=cell, z=5, e=2, n=3, m=2, initial_state_parameter=True)
    params, xs, ys, s0 = random_problem(spec, seed=3)
    J_entry, entry = symrnn.compile(spec, backend="numpy")(params, xs, ys, s0)
    J_matrix, matrix = symrnn.compile(spec, backend="matrix")(params, xs, ys, s0)
    assert relative_error(J_matrix, J_entry) < LEVELS_TOLERANCE
    for name in spec.parameter_names:
        assert relative_error(matrix[name], entry[name]) < LEVELS_TOLERANCE, name


def test_user_cell_is_checked_by_finite_differences() -> None:
    report = symrnn.check(RNNSpec(cell=minimal_gated_unit(), z=2, e=1, n=1, m=1))
    assert report.ok and report.reference == "finite differences"
    assert report.structured_vs_brute is not None and report.structured_vs_brute <= EXACT_TOLERANCE


def test_the_notes_recurrence_comes_out_of_the_matrix_engine() -> None:
    # δ_t = Vᵀ g_t + Uᵀ (f'(u_{t+1}) ⊙ δ_{t+1}): derived from u = W x + U s_prev + b; s = f(u), not typed in.
    V, U, u = Name("V"), Name("U"), Name("u")
    expected = TensorSum(
        (
            Transposed(V, LossGradient()),
            Next(Transposed(U, Hadamard(ElementwiseDerivative("f", u, "s"), Adjoint("s")))),
        )
    )
    assert matrix_program(RNNSpec()).inlined("s") == expected


def test_the_lstm_cell_state_has_an_additive_path() -> None:
    program = matrix_program(RNNSpec(cell="lstm"))
    c_bar = program.adjoint("c").expression
    assert Next(Hadamard(Name("f"), Adjoint("c"))) in c_bar.terms  # c̄_{t} ∋ f_{t+1} ⊙ c̄_{t+1}
    assert program.adjoint("c").state and not program.adjoint("i").state


def test_immediate_cell_state_jacobian_is_diag_of_the_forget_gate() -> None:
    from symrnn.engine.service import Quantity, derivative

    graph = symrnn.unroll(RNNSpec(cell="lstm", z=3, e=1, n=2, m=1))
    jacobian = derivative(graph, Quantity("c", 2), Quantity("c", 1), immediate=True)
    assert sympy.Matrix(jacobian.tolist()) == sympy.diag(*graph.symbols("f", 2))


def test_state_jacobian_function_matches_finite_differences() -> None:
    from symrnn.engine.step import state_jacobian_function

    spec = RNNSpec(cell="lstm", e=2, n=2)
    rng = np.random.default_rng(0)
    params = {name: rng.normal(0, 0.5, spec.shapes[name]) for name in spec.parameter_names}
    state, x = rng.normal(0, 0.5, spec.state_size), rng.normal(0, 1, spec.e)
    function = state_jacobian_function(spec)
    value, jacobian = function(params, state, x)
    step = 1e-6
    for j in range(spec.state_size):
        delta = np.zeros(spec.state_size)
        delta[j] = step
        column = (function(params, state + delta, x)[0] - function(params, state - delta, x)[0]) / (2 * step)
        assert np.allclose(column, jacobian[:, j], atol=1e-8)
    assert value.shape == (spec.state_size,)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_any_sequence_length_through_scan(cell: str) -> None:
    spec = RNNSpec(cell=cell, z=2, e=1, n=2, m=1)
    fn = symrnn.compile(spec, backend="scan")
    params, _, _, _ = random_problem(spec)
    rng = np.random.default_rng(1)
    xs, ys = rng.normal(size=(40, 1)), rng.normal(size=(40, 1))
    J, grads = fn(params, xs, ys)
    J_ref, grads_ref = reference_call(
        spec.replace(z=40), params, xs[None], ys[None], np.zeros((1, spec.state_size))
    )
    assert relative_error(J, J_ref[0]) < REFERENCE_TOLERANCE
    assert all(relative_error(grads[k], grads_ref[k][0]) < REFERENCE_TOLERANCE for k in grads)


def test_lstm_initial_state_is_a_pair() -> None:
    spec = RNNSpec(cell="lstm", z=2, e=1, n=2, m=1)
    params, xs, ys, s0 = random_problem(spec, batch=1)
    fn = symrnn.compile(spec, backend="matrix")
    joined = fn(params, xs[0], ys[0], s0[0])
    paired = fn(params, xs[0], ys[0], (s0[0, :2], s0[0, 2:]))
    assert joined[0] == paired[0]


# ------------------------------------------------------------------------------------------- bad cells
x, s_prev, W, U, b = names("x s_prev W U b")


@pytest.mark.parametrize(
    "kwargs, words",
    [
        (
            dict(parameters={"W": ("n", "e")}, equations=[("s", W @ x + Name("Q"))], states=["s"]),
            r"equation 's' reads undefined name\(s\) Q",
        ),
        (
            dict(
                parameters={"W": ("n", "e"), "U": ("2n", "n")},
                equations=[("s", W @ x + U @ s_prev)],
                states=["s"],
            ),
            r"equation 's': cannot combine shapes \(n,\) \+ \(2n,\)",
        ),
        (
            dict(parameters={"W": ("n", "e")}, equations=[("s", W @ s_prev)], states=["s"]),
            r"equation 's': cannot multiply \(n, e\) by \(n,\)",
        ),
        (
            dict(parameters={"W": ("n", "e")}, equations=[("s", tanh(W @ x))], states=["s"]),
            "state 's' never feeds back",
        ),
        (dict(parameters={}, equations=[("s", tanh(s_prev))], states=["s"]), "has no parameters"),
        (
            dict(
                parameters={"W": ("3n", "e")}, equations=[("s", (W @ x).block(0, 2) + s_prev)], states=["s"]
            ),
            "cannot split 3n rows into 2 equal blocks",
        ),
        (
            dict(parameters={"W": ("n", "e")}, equations=[("s", W @ x + s_prev)], states=["h"]),
            "state 'h' has no equation",
        ),
        (
            dict(
                parameters={"W": ("n", "e"), "U": ("n", "n")}, equations=[("s", W @ x + s_prev)], states=["s"]
            ),
            "parameter.s. U appear in no equation",
        ),
    ],
)
def test_a_bad_cell_is_refused_before_any_sympy_work(kwargs: dict, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        make_cell("bad", **kwargs)


def test_bad_names_and_fixed_activations() -> None:
    with pytest.raises(ValueError, match="bad name"):
        Name("s; import os")
    with pytest.raises(ValueError, match="fixed activations"):
        RNNSpec(cell="lstm", activation="relu")
    with pytest.raises(ValueError, match="unknown cell 'transformer'"):
        RNNSpec(cell="transformer")


def test_the_document_prints_the_engine_recurrence() -> None:
    from symrnn.latex.context import Context
    from symrnn.latex.matrix_program import MatrixLatex
    from symrnn.latex.sections.matrix_form import diag_form

    for notation in ("notes", "d2l"):
        spec = RNNSpec(notation=notation)
        context = Context(spec, symrnn.unroll(spec), True)
        printed = MatrixLatex(context, lambda t, c=context: diag_form(c, t))(
            matrix_program(spec).inlined("s")
        )
        assert printed.count(r"^{\top}") == 2 and "_{t+1}" in printed
        assert printed in symrnn.derive(spec).latex()
