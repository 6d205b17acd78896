"""Checks of the notes' statements that are not equations: bounds, probabilities, derivative rules."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import sympy

from ..engine.service import Quantity
from ..spec import RNNSpec
from .model import Model

SAMPLES = 200_001
"""Points of the sampling checks (seeded, on a grid that contains 0)."""
SAMPLE_TOLERANCE = 1e-12
"""Agreement of two closed forms at sampled points."""
PROBABILITY_TOLERANCE = 0.01
"""Agreement of a Monte-Carlo frequency with the exact probability."""
ZERO_TOLERANCE = 1e-15
"""A derivative whose largest entry is below this is zero (exact zeros come out as 0.0)."""
SEED = 0


@dataclass(frozen=True)
class ClaimResult:
    """The verdict on a statement, its numbers in words, and a corrected statement with its own verdict."""

    verdict: str
    diagnosis: str | None
    corrected: str | None = None
    corrected_verdict: str | None = None


def _verdict(ok: bool) -> str:
    return "holds" if ok else "fails"


def tanh_derivative_bound() -> ClaimResult:
    """ "f(u) = tanh(u) ⇒ f'(u) ∈ [0, 1]": true, and sharper: f'(u) ∈ (0, 1]."""
    u = sympy.Symbol("u", real=True)
    derivative = sympy.diff(sympy.tanh(u), u)
    critical = sympy.solve(sympy.diff(derivative, u), u)
    maximum = max(derivative.subs(u, c) for c in critical)
    limit = sympy.limit(derivative, u, sympy.oo)
    grid = np.linspace(-10.0, 10.0, SAMPLES)
    values = np.cosh(grid) ** -2.0  # = 1 - tanh^2, without the cancellation
    ok = bool(values.min() >= 0.0 and values.max() <= 1.0) and maximum == 1 and limit == 0
    strictly = bool((values > 0).all())
    return ClaimResult(
        _verdict(ok),
        (
            f"true: f'(u) = 1 - tanh^2(u) has its maximum {maximum} at u = {critical[0]} and tends to {limit} as "
            f"|u| -> oo (symbolic); on {SAMPLES:,} points of [-10, 10] min = {values.min():.3g}, "
            f"max = {values.max():.3g}; sharper: f'(u) = 1/cosh^2(u) > 0, so f'(u) in (0, 1], never 0"
        ),
        r"f'(u) = 1 - \tanh^2(u) \in (0, 1]",
        _verdict(ok and strictly),
    )


def normal_weight_below_one() -> ClaimResult:
    """ "W_hh sampled from N(0, 1) so that W_hh < 1": false as a certainty; P(|W_hh| < 1) = erf(1/√2)."""
    exact = math.erf(1 / math.sqrt(2))
    one_sided = 0.5 * (1 + math.erf(1 / math.sqrt(2)))
    draws = np.random.default_rng(SEED).standard_normal(SAMPLES)
    frequency = float((np.abs(draws) < 1).mean())
    ok = abs(frequency - exact) < PROBABILITY_TOLERANCE
    always_below = one_sided >= 1.0 and bool((draws < 1).all())  # the claim: every draw is below 1
    return ClaimResult(
        _verdict(always_below),
        (
            f"a standard normal draw is not always below 1: P(|W_hh| < 1) = erf(1/sqrt 2) = {exact:.4f} "
            f"(sampled: {frequency:.4f} of {SAMPLES:,}), P(W_hh < 1) = {one_sided:.4f}; with probability "
            f"{1 - exact:.4f} the factor |W_hh| >= 1 and the product of Eq. [26] need not vanish"
        ),
        r"W_{hh} \sim N(0, 1) \Rightarrow P(|W_{hh}| < 1) = \operatorname{erf}(1/\sqrt{2}) \approx 0.683",
        _verdict(ok),
    )


def relu_definition() -> ClaimResult:
    """[28]: max(0, x) equals the two cases x (x > 0), 0 (x ≤ 0)."""
    grid = np.linspace(-5.0, 5.0, SAMPLES)
    cases = np.where(grid > 0, grid, 0.0)
    ok = bool(np.abs(np.maximum(0.0, grid) - cases).max() <= SAMPLE_TOLERANCE)
    return ClaimResult(_verdict(ok), None if ok else "max(0, x) differs from the cases")


def relu_derivative() -> ClaimResult:
    """[29]: relu'(x) = 1 for x > 0, 0 for x ≤ 0 (at 0 the convention relu'(0) = 0, as in PyTorch)."""
    x = sympy.Symbol("x", real=True)
    relu = sympy.Piecewise((x, x > 0), (0, True))
    derivative = sympy.diff(relu, x)
    points = [sympy.Rational(k, 4) for k in range(-8, 9) if k != 0]
    ok = all(derivative.subs(x, p) == (1 if p > 0 else 0) for p in points)
    step = sympy.Rational(1, 10**8)
    left, right = (relu.subs(x, -step) / -step), (relu.subs(x, step) / step)  # one-sided quotients at 0
    return ClaimResult(
        _verdict(ok),
        (
            f"holds for x != 0 (symbolic derivative at {len(points)} points); at x = 0 relu is not differentiable "
            f"(one-sided derivatives {left} and {right}): the value 0 there is the convention of PyTorch and symrnn"
        ),
    )


def relu_prevents_shrinking() -> ClaimResult:
    """ "ReLU prevents f' from shrinking": f' ∈ {0, 1} does not shrink but vanishes on inactive units."""
    pre = np.random.default_rng(SEED).standard_normal(SAMPLES)
    inactive = float((pre <= 0).mean())
    weight, steps = 0.5, 10
    never_shrinks = inactive == 0.0  # the claim: f' never takes a value below 1
    return ClaimResult(
        _verdict(never_shrinks),
        (
            f"half true: relu' takes only the values 1 and 0, so an active unit passes the gradient unshrunk, but an "
            f"inactive one stops it (f' = 0 for {inactive:.1%} of N(0, 1) pre-activations), and the factor W_hh of "
            f"Eq. [26] still shrinks it: with W_hh = {weight} and every unit active, dh_{steps}/dh_0 = "
            f"{weight}^{steps} = {weight**steps:.2e}"
        ),
        r"f(x) = \max(0, x) \Rightarrow f'(x) \in \{0, 1\}",
        _verdict(inactive > 0 and weight**steps < 1),
    )


def tanh_derivation() -> ClaimResult:
    """Each step of the notes' derivation of tanh' = 1 − tanh² (symbolic, with p = e^x − e^−x, q = e^x + e^−x)."""
    x = sympy.Symbol("x", real=True)
    p, q = sympy.exp(x) - sympy.exp(-x), sympy.exp(x) + sympy.exp(-x)
    f = p / q
    steps = {
        "(i) p' = q": sympy.diff(p, x) - q,
        "(ii) q' = p": sympy.diff(q, x) - p,
        "quotient rule": sympy.diff(f, x) - (sympy.diff(p, x) * q - p * sympy.diff(q, x)) / q**2,
        "(q^2 - p^2)/q^2": sympy.diff(f, x) - (q**2 - p**2) / q**2,
        "1 - p^2/q^2": sympy.diff(f, x) - (1 - p**2 / q**2),
        "1 - f^2": sympy.diff(f, x) - (1 - f**2),
        "f = tanh": f - sympy.tanh(x),
    }
    wrong = [name for name, difference in steps.items() if sympy.simplify(difference.rewrite(sympy.exp)) != 0]
    return ClaimResult(
        _verdict(not wrong),
        ("every step simplifies to 0 symbolically: " + ", ".join(steps))
        if not wrong
        else f"steps that do not hold: {', '.join(wrong)}",
    )


def sigmoid_form_label() -> ClaimResult:
    """The notes label (e^x − e^−x)/(e^x + e^−x) "SIGMOID FORM": it is tanh, not the sigmoid σ."""
    x = sympy.Symbol("x", real=True)
    tanh_form = (sympy.exp(x) - sympy.exp(-x)) / (sympy.exp(x) + sympy.exp(-x))
    sigmoid = 1 / (1 + sympy.exp(-x))
    relation = sympy.simplify((tanh_form - (2 * sigmoid.subs(x, 2 * x) - 1)).rewrite(sympy.exp)) == 0
    value = float(tanh_form.subs(x, 1)), float(sigmoid.subs(x, 1))
    is_sigmoid = sympy.simplify((tanh_form - sigmoid).rewrite(sympy.exp)) == 0  # the label's claim
    return ClaimResult(
        _verdict(is_sigmoid),
        (
            f"the formula is tanh, not the sigmoid: at x = 1 it gives {value[0]:.4f}, sigma(1) = {value[1]:.4f}; "
            f"they are related by tanh(x) = 2 sigma(2x) - 1 (symbolic: {relation})"
        ),
        r"\frac{e^x - e^{-x}}{e^x + e^{-x}} = \tanh(x) = 2\sigma(2x) - 1",
        _verdict(relation),
    )


def state_depends_on_output_weight(*, meant: str) -> ClaimResult:
    """(i) "s_t does depend on v" / (ii) "does not": measured as max |ds_t/dV| and max |ds_t/dU| over t."""
    model = Model(RNNSpec(z=3, e=2, n=2, m=2, bias=False), SEED)
    size = {
        role: max(
            float(np.abs(model.derivative(Quantity("s", t), Quantity(role), False)).max())
            for t in range(1, 4)
        )
        for role in ("V", "U")
    }
    numbers = f"max over t = 1..3 of |ds_t/dV| = {size['V']:.3g}, of |ds_t/dU| = {size['U']:.3g}"
    if meant == "depends":
        return ClaimResult(
            _verdict(size["V"] > ZERO_TOLERANCE),
            (
                f"s_t does not depend on the output weights V ({numbers}); (i) and (ii) contradict each other as "
                "written: (i) is true of the recurrent weights U, (ii) of V"
            ),
            r"s_t \text{ depends on } U \text{ (and } W\text{)}, \text{ not on } V",
            _verdict(size["U"] > ZERO_TOLERANCE >= size["V"]),
        )
    return ClaimResult(_verdict(size["V"] <= ZERO_TOLERANCE), f"true for the output weights V: {numbers}")


def first_word_index() -> ClaimResult:
    """IX: s_1 = tanh(W x_0 + U s_0) numbers the inputs from 0, unlike xii and (A) (x_t for t ∈ [z])."""
    from ..unroll import unroll
    from .verify import verify

    corrected = r"s_1 = \tanh(W x_1 + U s_0)"
    held = verify(corrected, z_max=2, spec=RNNSpec(bias=False), diagnose=False).verdict
    try:  # the claim needs an input x_0 in the model of xii and (A)
        unroll(RNNSpec(z=2, bias=False)).symbols("x", 0)
        exists = True
    except ValueError:
        exists = False
    return ClaimResult(
        _verdict(exists and held == "holds"),
        (
            "x_0 does not exist in the model of xii and (A): inputs are x_1..x_z and s_t = f(W x_t + U s_{t-1}), "
            "so the state after the first word is s_1 = tanh(W x_1 + U s_0) (the same shift affects s_2 = ... x_1)"
        ),
        corrected,
        held,
    )
