"""Tests of verify_function and `symrnn verify --python`: right code holds, each classic mistake is localised."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import bptt_functions as B
import pytest

import symrnn
from symrnn.formula.code import MISTAKES, verify_function
from symrnn.spec import RNNSpec

SPEC = RNNSpec(e=3, n=2, m=2)
HERE = os.path.dirname(os.path.abspath(__file__))
STARTUP_ALLOWANCE = 60.0


def test_there_are_at_least_twelve_functions_in_three_styles() -> None:
    assert len(B.EXPECTED) >= 12
    assert {style for style, _ in B.EXPECTED.values()} == {"symrnn", "minchar", "cs231n"}
    named = {mistake for _, wrong in B.EXPECTED.values() if wrong for _, mistake in wrong.values()}
    assert set(MISTAKES) <= named  # one function per mistake class at least


@pytest.mark.parametrize("name", sorted(B.EXPECTED))
def test_verdict_and_localisation(name: str) -> None:
    style, expected = B.EXPECTED[name]
    verdict = verify_function(getattr(B, name), SPEC, style=style, z_max=3)
    if expected is None:  # the user's function raised: a verdict, with the exception named
        assert verdict.verdict == "fails" and "raised IndexError" in verdict.diagnosis
        return
    assert verdict.verdict == ("holds" if not expected else "fails"), verdict.describe()
    wrong = {p.name: (p.first_wrong_length, p.mistake) for p in verdict.parameters if not p.ok}
    assert wrong == expected, verdict.describe()
    if style != "minchar":  # single-step probes: the first loss whose gradient is wrong
        for report in verdict.parameters:
            if not report.ok and report.mistake == "missing recurrent term":
                assert report.first_wrong_step == 2
            if not report.ok and report.mistake == "missing f'":
                assert report.first_wrong_step == 1


def test_top_level_name_and_json() -> None:
    verdict = symrnn.verify_function(B.symrnn_no_f_prime, SPEC)
    payload = json.loads(json.dumps(verdict.as_json()))
    assert payload["verdict"] == "fails"
    assert {p["name"] for p in payload["parameters"] if not p["ok"]} == {"W", "U", "b"}


def test_sigmoid_model_is_checked_against_its_own_derivative() -> None:
    # The tanh code is wrong for a sigmoid model: the mismatch is reported, not hidden.
    verdict = verify_function(B.symrnn_right, RNNSpec(e=3, n=2, m=2, activation="sigmoid"), z_max=2)
    assert verdict.verdict == "fails"


@pytest.mark.parametrize("bad, error", [({"style": "keras"}, ValueError), ({"z_max": 0}, ValueError)])
def test_bad_options(bad, error) -> None:
    with pytest.raises(error):
        verify_function(B.symrnn_right, SPEC, **bad)


def test_cs231n_needs_its_forward() -> None:
    def lonely_backward(dh, cache):
        return None

    with pytest.raises(ValueError, match="rnn_forward"):
        verify_function(lonely_backward, SPEC, style="cs231n")


def _cli(*arguments: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=os.path.dirname(HERE))
    return subprocess.run(
        [sys.executable, "-m", "symrnn", "verify", *arguments],
        capture_output=True,
        text=True,
        timeout=STARTUP_ALLOWANCE,
        env=env,
        check=False,
    )


def test_cli_python_option() -> None:
    path = os.path.join(HERE, "bptt_functions.py")
    right = _cli("--python", f"{path}:cs231n_backward_right", "--style", "cs231n")
    assert right.returncode == 0 and right.stdout.startswith("holds"), right.stderr
    wrong = _cli("--python", f"{path}:minchar_no_f_prime", "--style", "minchar", "--json")
    assert wrong.returncode == 1 and json.loads(wrong.stdout)["verdict"] == "fails"
    missing = _cli("--python", f"{path}:no_such_function")
    assert missing.returncode == 2 and missing.stderr.count("\n") == 1


@pytest.mark.parametrize("activation, loss", [("tanh", "sse"), ("sigmoid", "ce"), ("relu", "sse")])
def test_mistake_catalogue_without_a_mistake_is_the_reference(activation: str, loss: str) -> None:
    from symrnn.formula.code import _bptt, _point, _relative, _truth

    spec = RNNSpec(e=3, n=2, m=3, activation=activation, loss=loss)
    params, xs, ys, s0 = _point(spec, 3, 0, "symrnn")
    ours, oracle = _bptt(params, xs, ys, s0, spec), _truth(params, xs, ys, s0, spec)
    assert all(_relative(ours[name], oracle[name]) <= 1e-12 for name in oracle)
