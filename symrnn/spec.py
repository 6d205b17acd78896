"""Specifications of the recurrent models: frozen, validated configuration."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sympy

from .activations import ACTIVATIONS
from .losses import LOSSES
from .notation import NOTATIONS

PARAMETER_NAMES = ("W", "U", "V", "b", "c")


def _check_size(name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be a positive integer, got {value!r}")
    if value <= 0:
        raise ValueError(f"{name} must be a positive integer (>= 1), got {value}")


@dataclass(frozen=True)
class RNNSpec:
    """The notes' vanilla RNN: ``s_t = f(W x_t + U s_{t-1} + b)``, ``ŷ_t = V s_t + c``.

    Attributes:
        z: sequence length (time steps t = 1..z).
        e: input size, ``x_t ∈ R^e``.
        n: state size, ``s_t ∈ R^n``.
        m: output size, ``ŷ_t, y_t ∈ R^m``.
        activation: ``"tanh" | "sigmoid" | "relu" | "identity"`` or a one-argument ``sympy.Lambda``.
        loss: ``"sse"`` (½‖ŷ_t − y_t‖²) or ``"ce"`` (softmax cross-entropy against a probability vector).
        bias: whether the biases ``b`` and ``c`` exist.
        notation: ``"notes"`` (s, W, U, V) or ``"d2l"`` (h, W_xh, W_hh, W_hy).
        initial_state_parameter: also differentiate with respect to ``s_0``.
    """

    z: int = 2
    e: int = 2
    n: int = 2
    m: int = 1
    activation: str | sympy.Lambda = "tanh"
    loss: str = "sse"
    bias: bool = True
    notation: str = "notes"
    initial_state_parameter: bool = False

    cell = "rnn"

    def __post_init__(self) -> None:
        for name in ("z", "e", "n", "m"):
            _check_size(name, getattr(self, name))
        if isinstance(self.activation, sympy.Lambda):
            if len(self.activation.variables) != 1:
                raise ValueError("activation Lambda must take exactly one argument, e.g. Lambda(x, x**3)")
            if self.activation.expr.free_symbols - set(self.activation.variables):
                raise ValueError("activation Lambda may not contain free symbols other than its argument")
        elif not isinstance(self.activation, str) or self.activation not in ACTIVATIONS:
            raise ValueError(f"unknown activation {self.activation!r}; choose one of {', '.join(ACTIVATIONS)} or a sympy.Lambda")
        if not isinstance(self.loss, str) or self.loss not in LOSSES:
            raise ValueError(f"unknown loss {self.loss!r}; choose one of {', '.join(LOSSES)}")
        if not isinstance(self.bias, bool):
            raise TypeError(f"bias must be True or False, got {self.bias!r}")
        if not isinstance(self.notation, str) or self.notation not in NOTATIONS:
            raise ValueError(f"unknown notation {self.notation!r}; choose one of {', '.join(NOTATIONS)}")
        if not isinstance(self.initial_state_parameter, bool):
            raise TypeError("initial_state_parameter must be True or False")

    @property
    def parameter_names(self) -> tuple[str, ...]:
        """Names of the differentiated parameters, in the fixed argument order."""
        names = PARAMETER_NAMES if self.bias else ("W", "U", "V")
        return names + (("s0",) if self.initial_state_parameter else ())

    @property
    def shapes(self) -> dict[str, tuple[int, ...]]:
        """Shapes of parameters and per-sequence data (W (n,e), U (n,n), V (m,n), b (n,), c (m,))."""
        e, n, m, z = self.e, self.n, self.m, self.z
        return {"W": (n, e), "U": (n, n), "V": (m, n), "b": (n,), "c": (m,), "s0": (n,), "xs": (z, e), "ys": (z, m)}

    @property
    def activation_name(self) -> str:
        """The activation's table name, or ``"custom"`` for a user Lambda."""
        return self.activation if isinstance(self.activation, str) else "custom"

    def replace(self, **changes: Any) -> "RNNSpec":
        """A copy with some fields changed (validated again)."""
        from dataclasses import replace

        return replace(self, **changes)
