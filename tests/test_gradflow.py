"""Gradient flow: the compiled step Jacobian, the norms of its products, and real plot files."""
from __future__ import annotations

import json

import numpy as np
import pytest

from symrnn.cli import main
from symrnn.gradflow import compiled_step, gradient_flow, plot, recurrent_matrix

FINITE_DIFFERENCE_STEP = 1e-6
JACOBIAN_TOLERANCE = 1e-8


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu", "identity"])
def test_compiled_step_jacobian_matches_finite_differences_of_the_step(activation: str) -> None:
    rng = np.random.default_rng(3)
    n = 4
    f = {"tanh": np.tanh, "sigmoid": lambda u: 1 / (1 + np.exp(-u)), "relu": lambda u: np.maximum(u, 0),
         "identity": lambda u: u}[activation]
    U, Wx, s_prev = rng.standard_normal((n, n)), rng.standard_normal(n), rng.standard_normal(n)
    u = Wx + U @ s_prev
    jacobian = compiled_step(activation, n)(U, u, f(u))
    numeric = np.empty((n, n))
    for j in range(n):
        e = np.zeros(n)
        e[j] = FINITE_DIFFERENCE_STEP
        numeric[:, j] = (f(Wx + U @ (s_prev + e)) - f(Wx + U @ (s_prev - e))) / (2 * FINITE_DIFFERENCE_STEP)
    assert np.abs(jacobian - numeric).max() < JACOBIAN_TOLERANCE


def test_scalar_case_is_the_notes_eq_27() -> None:
    # n = 1: ∂h_t/∂h_{t-1} = (1 - tanh²(u)) W_hh.
    U, u = np.array([[0.7]]), np.array([0.3])
    assert compiled_step("tanh", 1)(U, u, np.tanh(u))[0, 0] == pytest.approx((1 - np.tanh(0.3) ** 2) * 0.7, rel=1e-14)


def test_orthogonal_linear_flow_keeps_norm_one_and_tanh_scaled_vanishes() -> None:
    flat = gradient_flow(activation="identity", initialisation="orthogonal", n=5, z=30, samples=3)
    assert np.abs(flat.norms - 1).max() < 1e-10
    vanishing = gradient_flow(activation="tanh", initialisation="scaled", n=5, z=30, samples=8)
    assert vanishing.median[-1] < 1e-3 * vanishing.median[0]


def test_recurrent_matrices() -> None:
    rng = np.random.default_rng(0)
    Q = recurrent_matrix("orthogonal", 6, rng)
    assert np.abs(Q @ Q.T - np.eye(6)).max() < 1e-12
    assert np.array_equal(recurrent_matrix("identity", 3, rng), np.eye(3))
    with pytest.raises(ValueError, match="unknown initialisation"):
        recurrent_matrix("xavier", 3, rng)


@pytest.mark.parametrize("suffix, magic", [(".png", b"\x89PNG\r\n\x1a\n"), (".pdf", b"%PDF")])
def test_plots_are_real_files(tmp_path, suffix: str, magic: bytes) -> None:
    pytest.importorskip("matplotlib")
    path = tmp_path / f"flow{suffix}"
    plot([gradient_flow(z=10, samples=2), gradient_flow(activation="relu", initialisation="identity", z=10, samples=2)],
         str(path))
    assert path.read_bytes().startswith(magic) and path.stat().st_size > 5000


def test_cli_json_and_bad_output(capsys: pytest.CaptureFixture, tmp_path) -> None:
    assert main(["gradflow", "--z", "5", "--samples", "2", "--activation", "tanh", "--init", "scaled", "--json"]) == 0
    (flow,) = json.loads(capsys.readouterr().out)
    assert flow["activation"] == "tanh" and len(flow["median_norm"]) == 5
    assert main(["gradflow", "--z", "5", "-o", str(tmp_path / "nope" / "x.png")]) == 2
    assert "does not exist" in capsys.readouterr().err
