"""PyTorch's ``nn.GRU`` cell: gates r, z, n stacked in that order; ``b_hn`` sits inside ``r ⊙ (W_hn h + b_hn)``."""

from __future__ import annotations

from .cell import make_cell
from .expression import names, sigmoid, tanh

W, U, b, b_U, x, h_prev, a, q, r, z, n = names("W U b b_U x h_prev a q r z n")

GRU = make_cell(
    "gru",
    parameters={"W": ("3n", "e"), "U": ("3n", "n"), "b": ("3n",), "b_U": ("3n",)},
    equations=[
        ("a", W @ x + b),  # input projections of r, z, n, stacked
        ("q", U @ h_prev + b_U),  # recurrent projections of r, z, n, stacked
        ("r", sigmoid(a.block(0, 3) + q.block(0, 3))),
        ("z", sigmoid(a.block(1, 3) + q.block(1, 3))),
        ("n", tanh(a.block(2, 3) + r * q.block(2, 3))),
        ("h", (1 - z) * n + z * h_prev),
    ],
    states=["h"],
    biases=["b", "b_U"],
    description="the GRU of PyTorch's nn.GRU (gates r, z, n)",
)
