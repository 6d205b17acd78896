"""The closing chapter's claims ([26]-[29], Solutions I-III), each against an independent computation."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy

from symrnn import RNNSpec
from symrnn.latex.documents import derive
from symrnn.latex.sections.closing import (
    BOUND_SLACK,
    closing_facts,
    lstm_cell_path,
    sampled_bound,
)

# Monte Carlo tolerance for 400,000 standard normal draws (about 6 standard errors of a proportion).
MC_DRAWS = 400_000
MC_TOLERANCE = 0.005
# Finite differences on float64 scalar recurrences.
FD_STEP = 1e-6
FD_TOLERANCE = 1e-6


@pytest.fixture(scope="module")
def chapter():
    document = derive(RNNSpec(z=3), appendix=False)
    return {equation.label: equation for equation in document.equations}


def test_probability_that_a_normal_weight_is_below_one():
    facts = closing_facts()
    assert facts.probability_below_one == sympy.erf(1 / sympy.sqrt(2))
    value = float(facts.probability_below_one)
    assert value == pytest.approx(math.erf(1 / math.sqrt(2)), abs=1e-15)
    assert round(value, 4) == 0.6827
    draws = np.random.default_rng(0).standard_normal(MC_DRAWS)
    assert abs(np.mean(np.abs(draws) < 1) - value) < MC_TOLERANCE


def test_half_of_relu_inputs_have_zero_derivative():
    facts = closing_facts()
    assert facts.probability_inactive == sympy.Rational(1, 2)
    draws = np.random.default_rng(1).standard_normal(MC_DRAWS)
    assert abs(np.mean(draws <= 0) - 0.5) < MC_TOLERANCE


def test_gamma_is_the_largest_derivative():
    grid = np.linspace(-20, 20, 400_001)
    tanh_prime = 1 - np.tanh(grid) ** 2
    sigmoid = 1 / (1 + np.exp(-grid))
    gamma = closing_facts().gamma
    assert float(gamma["tanh"]) == pytest.approx(tanh_prime.max(), abs=1e-12)
    assert float(gamma["sigmoid"]) == pytest.approx((sigmoid * (1 - sigmoid)).max(), abs=1e-12)
    assert (1 / np.cosh(grid) ** 2).min() > 0  # [26](i) corrected: f' = 1/cosh² never reaches 0


@pytest.mark.parametrize("activation", ["tanh", "sigmoid"])
def test_pascanu_bound_holds_on_samples_and_is_approached(activation):
    worst, count = sampled_bound(activation, 3, samples=32, steps=10, seed=7)
    assert count == 320
    assert worst <= 1 + BOUND_SLACK
    assert worst > 0.3 if activation == "tanh" else worst > 0.01  # the bound is not vacuous


def _scalar_tanh_state(W_hh: float, h0: float, steps: int) -> float:
    h = h0
    for _ in range(steps):
        h = math.tanh(W_hh * h)  # zero inputs, no bias
    return h


@pytest.mark.parametrize("W_hh, expected", [(0.5, 0.125), (2.0, 8.0)])
def test_vanishing_and_exploding_scalar_products(chapter, W_hh, expected):
    finite = (_scalar_tanh_state(W_hh, FD_STEP, 3) - _scalar_tanh_state(W_hh, -FD_STEP, 3)) / (2 * FD_STEP)
    assert finite == pytest.approx(expected, rel=FD_TOLERANCE)
    assert chapter["(V2)"].check.ok


def test_identity_initialisation_keeps_the_jacobian_at_identity(chapter):
    W, U, b = np.full((2, 2), 0.5), np.eye(2), np.zeros(2)

    def run(s0):
        s = s0
        for _ in range(3):
            s = np.maximum(0, W @ np.ones(2) + U @ s + b)
        return s

    s0 = np.ones(2)
    jacobian = np.column_stack(
        [(run(s0 + FD_STEP * e) - run(s0 - FD_STEP * e)) / (2 * FD_STEP) for e in np.eye(2)]
    )
    assert np.allclose(jacobian, np.eye(2), atol=FD_TOLERANCE)
    assert chapter["(R2)"].check.ok


def test_scalar_product_and_bound_equations_pass(chapter):
    for label in ("[26]$'$", "[26](i)", "(V1)", "[26](ii)", "(V3)", "(R1)", "[29]$'$", "(TB)"):
        assert chapter[label].check.ok, label


def test_truncated_bptt_drops_a_nonzero_part():
    from symrnn.latex.context import Context
    from symrnn.latex.sections.closing import _truncated
    from symrnn.unroll import unroll

    spec = RNNSpec(z=3)
    context = Context(spec, unroll(spec), True)
    (equation,) = _truncated(context)
    assert equation.check.ok and equation.check.error is not None
    dropped = sum(context.point.term("W", t, k) for t in (2, 3) for k in range(1, t))
    assert any(abs(float(v)) > 1e-6 for v in np.asarray(dropped).ravel())


def test_gated_cells_are_derived_or_said_not_to_be():
    document = derive(RNNSpec(z=2), appendix=False)
    labels = [equation.label for equation in document.equations]
    if lstm_cell_path() is None:
        assert "(G1)" not in labels
        assert "does not derive it yet" in document.latex()
    else:
        assert document.equation("(G1)").check.ok
