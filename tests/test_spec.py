"""Spec validation: bad values get a ValueError/TypeError that says what is allowed."""

from __future__ import annotations

import pytest
import sympy

from symrnn import RNNSpec


def test_defaults_are_the_notes_worked_example() -> None:
    spec = RNNSpec()
    assert (spec.z, spec.e, spec.n, spec.m, spec.activation, spec.loss, spec.bias) == (
        2,
        2,
        2,
        1,
        "tanh",
        "sse",
        True,
    )
    assert spec.shapes == {
        "W": (2, 2),
        "U": (2, 2),
        "V": (1, 2),
        "b": (2,),
        "c": (1,),
        "s0": (2,),
        "xs": (2, 2),
        "ys": (2, 1),
    }
    assert spec.parameter_names == ("W", "U", "V", "b", "c")
    assert RNNSpec(bias=False, initial_state_parameter=True).parameter_names == ("W", "U", "V", "s0")


@pytest.mark.parametrize(
    "field, value, error, words",
    [
        ("z", 0, ValueError, "z must be a positive integer"),
        ("z", -3, ValueError, "z must be"),
        ("n", 2.5, TypeError, "n must be a positive integer"),
        ("e", True, TypeError, "e must be"),
        ("e", -1, ValueError, "e must be an integer >= 0"),
        ("m", "2", TypeError, "m must be"),
        ("activation", "softsign", ValueError, "tanh, sigmoid, relu, identity"),
        ("activation", 3, ValueError, "unknown activation"),
        ("loss", "mse", ValueError, "sse, ce"),
        ("bias", 1, TypeError, "bias must be True or False"),
        ("notation", "bishop", ValueError, "notes, d2l"),
    ],
)
def test_invalid_values_name_what_is_allowed(field: str, value: object, error: type, words: str) -> None:
    with pytest.raises(error, match=words):
        RNNSpec(**{field: value})


def test_user_lambda_activation() -> None:
    x, y = sympy.symbols("x y")
    assert RNNSpec(activation=sympy.Lambda(x, x**3)).activation_name == "custom"
    with pytest.raises(ValueError, match="free symbols"):
        RNNSpec(activation=sympy.Lambda(x, x * y))
    with pytest.raises(ValueError, match="exactly one argument"):
        RNNSpec(activation=sympy.Lambda((x, y), x * y))


def test_spec_is_frozen() -> None:
    spec = RNNSpec()
    with pytest.raises(AttributeError):
        spec.z = 5  # type: ignore[misc]
    assert spec.replace(z=5).z == 5
