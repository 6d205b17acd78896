"""PyTorch's ``nn.LSTM`` cell: gates i, f, g, o stacked in that order in ``weight_ih`` (W) and ``weight_hh`` (U)."""

from __future__ import annotations

from .cell import make_cell
from .expression import names, sigmoid, tanh

W, U, b, b_U, x, h_prev, c_prev, a, i, f, g, o, c = names("W U b b_U x h_prev c_prev a i f g o c")

LSTM = make_cell(
    "lstm",
    parameters={"W": ("4n", "e"), "U": ("4n", "n"), "b": ("4n",), "b_U": ("4n",)},
    equations=[
        ("a", W @ x + b + U @ h_prev + b_U),  # the four gates' pre-activations, stacked
        ("i", sigmoid(a.block(0, 4))),
        ("f", sigmoid(a.block(1, 4))),
        ("g", tanh(a.block(2, 4))),
        ("o", sigmoid(a.block(3, 4))),
        ("c", f * c_prev + i * g),
        ("h", o * tanh(c)),
    ],
    states=["h", "c"],
    output="h",
    biases=["b", "b_U"],
    description="the LSTM of PyTorch's nn.LSTM (gates i, f, g, o)",
)
