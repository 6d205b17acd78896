"""The notes' vanilla RNN cell (A): ``u_t = W x_t + U s_{t-1} + b``, ``s_t = f(u_t)``."""

from __future__ import annotations

from .cell import make_cell
from .expression import f, names

W, U, b, x, s_prev, u = names("W U b x s_prev u")

RNN = make_cell(
    "rnn",
    parameters={"W": ("n", "e"), "U": ("n", "n"), "b": ("n",)},
    equations=[
        ("u", W @ x + U @ s_prev + b),
        ("s", f(u)),
    ],
    states=["s"],
    biases=["b"],
    description="the vanilla RNN of the notes, s_t = f(W x_t + U s_{t-1} + b)",
)
