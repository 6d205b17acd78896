"""Issue 12: honest numerics, domains, budgets and the textbook notations of the formula language."""

from __future__ import annotations

import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symrnn import cli
from symrnn.errors import FormulaError, SymRNNError
from symrnn.formula import tree as T
from symrnn.formula.parse import parse
from symrnn.formula.verify import verify
from symrnn.spec import RNNSpec

FUZZ_EXAMPLES = 40
STARTUP_ALLOWANCE = 60.0
"""Subprocess guard (interpreter start on a loaded machine); not a timing assertion."""

# ------------------------------------------------------------------------------------- honest numerics
# Expressions whose float64 value is NaN, infinite or below resolution at the points drawn.
RISKY = [
    r"\log(s_t - 5)",
    r"\exp(100000 s_t)",
    r"\log(-s_t^2 - 1)",
    r"\exp(\exp(\exp(10 J)))",
    r"\left(0.000001 s_t\right)^{60}",
    r"\exp(-100000 J)",
    r"\log(J - 1000)",
    r"\exp(1000 x_t) - \exp(1000 x_t)",
]


@settings(
    max_examples=FUZZ_EXAMPLES, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(
    risky=st.sampled_from(RISKY),
    form=st.sampled_from(["{a} = {a} + {c}", "{a} = {c} {a}", "{a} + {c} = {a}"]),
    constant=st.sampled_from(["3", "2", "0.5", r"\frac{1}{3}"]),
)
def test_nan_inf_and_underflow_never_hold(risky: str, form: str, constant: str) -> None:
    formula = form.format(a=risky, c=constant)
    verdict = verify(formula, z_max=2, diagnose=False)
    assert verdict.verdict != "holds", (formula, verdict.describe())


def test_undecided_says_why() -> None:
    verdict = verify(r"\log(s_t - 5) = \log(s_t - 5) + 1", z_max=2)  # complex in any precision
    assert verdict.verdict == "undecided" and "NaN" in verdict.diagnosis


@pytest.mark.parametrize(
    "left, right",
    [
        (r"\exp(100000 s_t)", r"2 \exp(100000 s_t)"),  # overflows float64
        (r"\left(0.000001 s_t\right)^{60}", r"2 \left(0.000001 s_t\right)^{60}"),  # underflows float64
        (
            r"\left(0.001 s_t\right)^{5}",
            r"\left(0.001 s_t\right)^{5} + 10^{-15} s_t^{0}",
        ),  # below its resolution
    ],
)
def test_what_float64_cannot_decide_is_decided_in_60_digits(left: str, right: str) -> None:
    assert verify(f"{left} = {right}", z_max=2, diagnose=False).verdict == "fails"
    assert verify(f"{left} = {left}", z_max=2, diagnose=False).verdict == "holds"


def test_no_runtime_warning_leaks() -> None:
    # Warnings are errors in this suite: the NaN formula must not raise a RuntimeWarning.
    assert verify(r"\log(s_t - 5) = \log(s_t - 5)", z_max=1).verdict == "undecided"


# -------------------------------------------------------------------------------------- honest domains
def test_k_at_most_t_for_pre_activations() -> None:
    verdict = verify(
        r"\frac{\partial u_t}{\partial u_k} = \prod_{i=k+1}^{t} U \operatorname{diag}(f'(u_{i-1}))"
    )
    assert verdict.verdict == "holds", verdict.describe()


def test_cross_entropy_targets_are_probabilities() -> None:
    spec = RNNSpec(loss="ce", m=3)
    assert verify(r"\nabla_{o_t} L = \hat{y}_t - y_t", notation="goodfellow", spec=spec).verdict == "holds"
    assert (
        verify(r"\nabla_{\hat{y}_t} J = \hat{y}_t - y_t", spec=spec).verdict == "fails"
    )  # logits, not probabilities


def test_cross_entropy_with_one_output_is_refused() -> None:
    with pytest.raises(ValueError, match="--m 2"):
        verify(r"J = \sum_t J_t", spec=RNNSpec(loss="ce", m=1), sizes=((2, 2, 1),))


def test_given_sizes_are_the_only_ones() -> None:
    formula = r"\frac{\partial h_t}{\partial h_{t-1}} = (1 - f^2(W_{xh} x_t + W_{hh} h_{t-1})) W_{hh}"
    spec = RNNSpec(n=1, m=1, bias=False)
    assert verify(formula, notation="d2l", spec=spec, sizes=((2, 1, 1),)).verdict == "holds"
    assert verify(formula, notation="d2l", spec=spec, sizes=((2, 1, 1), (3, 2, 2))).verdict == "fails"


def _main(capsys, *arguments: str) -> tuple[int, str, str]:
    code = cli.main(["verify", *arguments])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_cli_n_pins_the_size(capsys) -> None:
    formula = r"\frac{\partial h_t}{\partial h_{t-1}} = (1 - f^2(W_{xh} x_t + W_{hh} h_{t-1})) W_{hh}"
    code, out, _ = _main(capsys, "--n", "1", "--no-bias", "--notation", "d2l", "--z-max", "2", formula)
    assert code == 0 and "n = 1" not in out and out.startswith("holds")


def test_cli_z_checks_that_length_only(capsys) -> None:
    code, out, _ = _main(capsys, "--z", "3", "--json", r"J = \sum_{t=1}^{z-1} J_t")
    assert code == 1 and '"z": 3' in out


# ---------------------------------------------------------------------------------------------- budgets
@pytest.mark.parametrize(
    "formula, error, words",
    [
        (r"J = \sum_{t=1}^{100000000} J_1", SymRNNError, "limit is 10,000"),
        (r"\prod_{i=1}^{100000000} U = U", SymRNNError, "limit is 10,000"),
        (r"U^{100000} = 2 U^{100000}", SymRNNError, "limit is 64"),
        ("J = 1" + "0" * 400 + " J", FormulaError, "digits"),
    ],
)
def test_over_a_limit_is_refused_before_evaluation(formula: str, error: type, words: str) -> None:
    with pytest.raises(error, match=words):
        verify(formula)


@pytest.mark.parametrize("arguments", [["--n", "100000"], ["--e", "9"]])
def test_cli_sizes_over_the_limit_exit_2_with_one_line(capsys, arguments: list[str]) -> None:
    code, out, err = _main(capsys, *arguments, r"J = \sum_t J_t")
    assert code == 2 and out == "" and err.count("\n") == 1 and "limit of 8" in err


def test_closed_pipe_is_quiet() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "symrnn", "verify", "--json", r"J = \sum_t J_t"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    process.stdout.close()  # the reader is gone before anything is written (like `| head` finishing early)
    _, err = process.communicate(timeout=STARTUP_ALLOWANCE)
    assert b"Traceback" not in err and process.returncode == 141  # the documented code for a closed stdout


# ------------------------------------------------------------------------------------------- notations
SAME = [
    (r"\frac{\partial s_t}{\partial u_t} = \operatorname{diag}(\tanh'(u_t))", None),
    (r"\frac{\partial J}{\partial V} = s_t^\mathsf{T}", r"\frac{\partial J}{\partial V} = s_t^T"),
    (r"\frac{\partial}{\partial W} J = 0", r"\frac{\partial J}{\partial W} = 0"),
    (r"\frac{\mathrm{d}}{\mathrm{d} W} J = 0", r"\frac{d J}{d W} = 0"),
    (r"\mathbf{1} - s_t^2 = 0", r"1 - s_t^2 = 0"),
    (r"J = \sum J_t", r"J = \sum_{t} J_t"),
    (r"J_t = \sum_{1 \leq k \leq t} x_k", r"J_t = \sum_{k=1}^{t} x_k"),
    (r"J_t = \sum_{1 \le k < t} x_k", r"J_t = \sum_{k=1}^{t-1} x_k"),
    (r"A_t = \prod_{t \geq i > k} U", r"A_t = \prod_{i=k+1}^{t} U"),
    (r"$J = \sum_{t=1}^{z} J_t$", r"J = \sum_{t=1}^{z} J_t"),
    (r"\[J = \sum_{t=1}^{z} J_t\]", r"J = \sum_{t=1}^{z} J_t"),
    (
        "\u2202J/\u2202W = \u03a3_t x_t\u1d40 \u2212 s_t \u2299 s_t",
        r"\partial J / \partial W = \sum_t x_t^T - s_t \odot s_t",
    ),
    (r"\left.\frac{\partial J}{\partial V}\right. = 0", r"\frac{\partial J}{\partial V} = 0"),
    (r"\frac{\partial^+ s_t}{\partial W} = 0", None),
    (r"s_t = \text{diag}(u_t) U", r"s_t = \operatorname{diag}(u_t) U"),
    (r"s_t = f^\prime(u_t)", r"s_t = f'(u_t)"),
    (r"s_t = f^{\prime}(u_t)", r"s_t = f'(u_t)"),
    (r"J = \frac{1}{T} \sum_t \ell(\hat{y}_t, y_t)", r"J = \frac{1}{T} \sum_t l(\hat{y}_t, y_t)"),
    (r"s_t = \sigma'(u_t)", None),
]


@pytest.mark.parametrize("text, canonical", SAME)
def test_textbook_notations_read_as_their_canonical_form(text: str, canonical: str | None) -> None:
    tree = parse(text.replace("A_t", "J_t"))
    if canonical is not None:
        assert tree == parse(canonical.replace("A_t", "J_t"))


def test_juxtaposition_binds_tighter_than_hadamard() -> None:
    # a ⊙ B v = a ⊙ (B v): a (n,) vector times the (n,) result of U s_{t-1}
    assert verify(r"f'(u_t) \odot U s_{t-1} = f'(u_t) \odot (U s_{t-1})", z_max=2).verdict == "holds"


def test_primes_read_as_the_derivative() -> None:
    tree = parse(r"s_t = \tanh'(u_t) + \sigma'(u_t)")
    functions = {n.function for n in T.walk(tree) if isinstance(n, T.Apply)}
    assert functions == {"tanh_prime", "sigma_prime"}


def test_averaged_loss_scales_every_derivative_of_L() -> None:
    head = r"L = \frac{1}{T} \sum_{t=1}^{T} l(o_t, y_t); "
    assert (
        verify(head + r"\frac{\partial L}{\partial o_t} = \frac{1}{T} (o_t - y_t)", notation="d2l").verdict
        == "holds"
    )
    assert verify(head + r"\frac{\partial L}{\partial o_t} = o_t - y_t", notation="d2l").verdict == "fails"


@pytest.mark.parametrize(
    "text, hint",
    [
        ("J = sum_t J_t", r"\sum_{t=1}^{z}"),
        ("dJ/dW = partial J", r"\partial"),
        (r"s_t = tanh(u_t)", r"\tanh"),
    ],
)
def test_plain_text_gets_a_hint(text: str, hint: str) -> None:
    with pytest.raises(FormulaError, match="did you mean") as caught:
        parse(text)
    assert hint in str(caught.value)


# ------------------------------------------------------------------------------------------------ fuzz
_PIECES = [
    "\\frac{\\partial J}{\\partial W}",
    "=",
    "\\sum_{t=1}^{z}",
    "\\prod_{m=k+1}^{t}",
    "s_t",
    "s_{t-1}",
    "U",
    "^T",
    "\\odot",
    "\\cdot",
    "(",
    ")",
    "{",
    "}",
    "\\log",
    "\\exp",
    "1",
    "0",
    "99999999999",
    "-",
    "+",
    "^{60}",
    "\u2202",
    "\u03a3",
    "\u2212",
    "$",
    "\\[",
    "\\mathbf{1}",
    "\\tanh'",
    "f^\\prime",
    "\\leq",
    ">",
    "k",
    "_",
    "\\ell(o_t, y_t)",
    "\\frac{1}{T}",
    "\\delta_t",
    ";",
    "\\nabla_{s_t} J",
    "\u00e9",
    "\\x",
]


@settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(pieces=st.lists(st.sampled_from(_PIECES), min_size=1, max_size=9))
def test_fuzz_cli_ends_in_0_1_or_2_without_a_traceback(capsys, pieces: list[str]) -> None:
    code = cli.main(["verify", "--z-max", "2", " ".join(pieces)])
    captured = capsys.readouterr()
    assert code in (0, 1, 2)
    assert "Traceback" not in captured.err
    if code == 2:
        assert captured.err.count("\n") == 1 and captured.out == ""


@pytest.mark.parametrize(
    "formula, notation",
    [
        (
            r"\frac{\partial \mathcal{L}}{\partial W_{hy}} = \sum_{t=1}^{T} \frac{\partial \mathcal{L}}{\partial o_t} h_t^\top",
            "d2l",
        ),
        (r"\frac{\partial s_t}{\partial s_{t-1}} = \operatorname{diag}(\phi'(u_t)) \mathbf{U}", "notes"),
        (
            (
                r"\frac{\partial \boldsymbol{h}_t}{\partial \boldsymbol{h}_{t-1}} = \mathrm{diag}(1 - \boldsymbol{h}_t^2) "
                r"\mathbf{W}_{hh}"
            ),
            "d2l",
        ),
        (r"\nabla_{\hat{\mathbf{y}}_t} J = \hat{\mathbf{y}}_t - \mathbf{y}_t", "notes"),
        (r"\frac{\mathrm{d} J}{\mathrm{d} V} = \sum_t (\hat{y}_t - y_t) s_t^{\mathrm{T}}", "notes"),
    ],
)
def test_more_textbook_spellings_hold(formula: str, notation: str) -> None:
    assert verify(formula, notation=notation, z_max=2).verdict == "holds"


def test_high_precision_recheck_refuses_astronomical_exponents() -> None:
    # exp(exp(exp(10 J))) overflows float64; its 60-digit re-check must give up, not try exp(10^9565).
    verdict = verify(r"\exp(\exp(\exp(10 J))) = 3 \exp(\exp(\exp(10 J)))", z_max=2, diagnose=False)
    assert verdict.verdict != "holds"
