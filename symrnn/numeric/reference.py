"""Hand-written NumPy BPTT for the rnn, lstm and gru cells: an independent oracle (no SymPy)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "ACTIVATIONS",
    "CELLS",
    "LOSSES",
    "RELATIVE_ERROR_FLOOR",
    "forward",
    "loss_and_gradients",
    "relative_error",
]

Array = NDArray[np.float64]
Elementwise = Callable[[Array], Array]
ActivationPair = tuple[Elementwise, Elementwise]
Activation = str | ActivationPair

# Denominator floor of relative_error: two all-zero gradients agree instead of dividing 0 by 0.
RELATIVE_ERROR_FLOOR = 1e-12
PARAMETER_NAMES = ("W", "U", "V", "b", "c")  # the vanilla cell
GATED_PARAMETER_NAMES = ("W", "U", "V", "b", "b_U", "c")  # lstm and gru: b = bias_ih, b_U = bias_hh


# ---------------------------------------------------------------------------------------------- activations
def _tanh(u: Array) -> Array:
    return np.tanh(u)


def _tanh_prime(u: Array) -> Array:
    return 1.0 - np.tanh(u) ** 2


def _sigmoid(u: Array) -> Array:
    # exp(-|u|) lies in (0, 1]: neither branch can overflow, whatever the sign of u.
    q = np.exp(-np.abs(u))
    return np.where(u >= 0, 1.0 / (1.0 + q), q / (1.0 + q))


def _sigmoid_prime(u: Array) -> Array:
    sigma = _sigmoid(u)
    return sigma * (1.0 - sigma)


def _relu(u: Array) -> Array:
    return np.maximum(u, 0.0)


def _relu_prime(u: Array) -> Array:
    return (u > 0).astype(np.float64)  # relu'(0) = 0, as in PyTorch


def _identity(u: Array) -> Array:
    return np.array(u, dtype=np.float64)


def _identity_prime(u: Array) -> Array:
    return np.ones_like(u, dtype=np.float64)


# One row per activation: name -> (f, f'), both elementwise on float64 arrays.
ACTIVATIONS: dict[str, ActivationPair] = {
    "tanh": (_tanh, _tanh_prime),
    "sigmoid": (_sigmoid, _sigmoid_prime),
    "relu": (_relu, _relu_prime),
    "identity": (_identity, _identity_prime),
}


# --------------------------------------------------------------------------------------------------- losses
def _sse(yhat: Array, y: Array) -> Array:
    return 0.5 * np.sum((yhat - y) ** 2, axis=-1)


def _sse_gradient(yhat: Array, y: Array) -> Array:
    return yhat - y


def _log_softmax(yhat: Array) -> Array:
    shifted = yhat - np.max(yhat, axis=-1, keepdims=True)  # log-sum-exp trick: exp never overflows
    return shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))


def _ce(yhat: Array, y: Array) -> Array:
    return -np.sum(y * _log_softmax(yhat), axis=-1)


def _ce_gradient(yhat: Array, y: Array) -> Array:
    # d/dŷ of -Σ_i y_i log softmax(ŷ)_i is softmax(ŷ) Σ_i y_i - y: exact even when y does not sum to 1.
    return np.exp(_log_softmax(yhat)) * np.sum(y, axis=-1, keepdims=True) - y


# One row per loss: name -> (J_t(ŷ, y), ∂J_t/∂ŷ), reducing / acting on the last axis.
LOSSES: dict[str, tuple[Callable[[Array, Array], Array], Callable[[Array, Array], Array]]] = {
    "sse": (_sse, _sse_gradient),
    "ce": (_ce, _ce_gradient),
}


# -------------------------------------------------------------------------------------------------- cells
# Every cell is one step ``state_t, saved = step(p, x_t, state_{t-1})`` on batched row vectors and its
# hand-written vector-Jacobian product ``vjp(p, state_{t-1}, saved, ā_t) -> (ā_{t-1}, ā_x, ā_h)``, where
# ``ā_t = ∂L/∂state_t`` for whatever scalar L is being back-propagated, ``ā_x`` is the adjoint of the
# input-side pre-activation ``W x_t + b`` (it gives ∂L/∂W and ∂L/∂b) and ``ā_h`` that of the state-side
# one ``U h_{t-1} + b_U`` (it gives ∂L/∂U and ∂L/∂b_U). The state is stored flat, (B, S) with S = k·n:
# ``s`` for rnn, ``h`` then ``c`` for the LSTM, ``h`` for the GRU; the output layer reads its first n
# entries (``s_t`` or ``h_t``).
Saved = dict[str, Array]


def _input_side(p: _Prepared, x_t: Array) -> Array:
    """``W x_t + b`` for a batch of row vectors; (B, G·n). With e = 0 there is no W and only b remains."""
    return x_t @ p.W.T + p.params.get("b", 0.0)


def _state_side(p: _Prepared, h_prev: Array) -> Array:
    """``U h_{t-1} + b_U``; (B, G·n). The vanilla cell has no b_U (its one bias is b)."""
    return h_prev @ p.params["U"].T + p.params.get("b_U", 0.0)


def _rnn_step(p: _Prepared, x_t: Array, s_prev: Array) -> tuple[Array, Saved]:
    u_t = _input_side(p, x_t) + _state_side(p, s_prev)  # u_t = W x_t + U s_{t-1} + b
    return p.f(u_t), {"u": u_t}


def _rnn_vjp(p: _Prepared, s_prev: Array, saved: Saved, s_bar: Array) -> tuple[Array, Array, Array]:
    u_bar = p.f_prime(saved["u"]) * s_bar  # r_t = f'(u_t) ⊙ δ_t
    return u_bar @ p.params["U"], u_bar, u_bar  # ∂L/∂s_{t-1} = Uᵀ r_t


def _lstm_step(p: _Prepared, x_t: Array, state_prev: Array) -> tuple[Array, Saved]:
    """PyTorch nn.LSTM: gates i, f, g, o stacked in this order in W, U, b, b_U."""
    n = p.n
    h_prev, c_prev = state_prev[:, :n], state_prev[:, n:]
    a = _input_side(p, x_t) + _state_side(p, h_prev)  # (B, 4n)
    i, f = _sigmoid(a[:, :n]), _sigmoid(a[:, n : 2 * n])
    g, o = np.tanh(a[:, 2 * n : 3 * n]), _sigmoid(a[:, 3 * n :])
    c = f * c_prev + i * g
    tanh_c = np.tanh(c)
    h = o * tanh_c
    return np.concatenate([h, c], axis=1), {"i": i, "f": f, "g": g, "o": o, "_tanh_c": tanh_c}


def _lstm_vjp(p: _Prepared, state_prev: Array, saved: Saved, state_bar: Array) -> tuple[Array, Array, Array]:
    n = p.n
    c_prev = state_prev[:, n:]
    h_bar, c_bar = state_bar[:, :n], state_bar[:, n:]
    i, f, g, o, tanh_c = saved["i"], saved["f"], saved["g"], saved["o"], saved["_tanh_c"]
    o_bar = h_bar * tanh_c  # h = o ⊙ tanh(c)
    c_bar = c_bar + h_bar * o * (1.0 - tanh_c**2)  # c feeds h_t and (below) c_{t+1}: the additive path
    i_bar, g_bar, f_bar = c_bar * g, c_bar * i, c_bar * c_prev  # c = f ⊙ c_prev + i ⊙ g
    a_bar = np.concatenate(
        [i_bar * i * (1.0 - i), f_bar * f * (1.0 - f), g_bar * (1.0 - g**2), o_bar * o * (1.0 - o)], axis=1
    )  # through σ, σ, tanh, σ
    h_prev_bar = a_bar @ p.params["U"]
    return np.concatenate([h_prev_bar, c_bar * f], axis=1), a_bar, a_bar


def _gru_step(p: _Prepared, x_t: Array, h_prev: Array) -> tuple[Array, Saved]:
    """PyTorch nn.GRU: gates r, z, n stacked in this order; b_hn stays inside r ⊙ (W_hn h + b_hn)."""
    n = p.n
    a_x, a_h = _input_side(p, x_t), _state_side(p, h_prev)  # (B, 3n) each
    r = _sigmoid(a_x[:, :n] + a_h[:, :n])
    z = _sigmoid(a_x[:, n : 2 * n] + a_h[:, n : 2 * n])
    candidate = np.tanh(a_x[:, 2 * n :] + r * a_h[:, 2 * n :])
    h = (1.0 - z) * candidate + z * h_prev
    return h, {"r": r, "z": z, "n": candidate, "_a_hn": a_h[:, 2 * n :]}


def _gru_vjp(p: _Prepared, h_prev: Array, saved: Saved, h_bar: Array) -> tuple[Array, Array, Array]:
    r, z, candidate, a_hn = saved["r"], saved["z"], saved["n"], saved["_a_hn"]
    candidate_pre_bar = h_bar * (1.0 - z) * (1.0 - candidate**2)  # h = (1 − z) ⊙ n + z ⊙ h_prev
    r_pre_bar = candidate_pre_bar * a_hn * r * (1.0 - r)  # n = tanh(a_in + r ⊙ a_hn)
    z_pre_bar = h_bar * (h_prev - candidate) * z * (1.0 - z)
    a_x_bar = np.concatenate([r_pre_bar, z_pre_bar, candidate_pre_bar], axis=1)
    a_h_bar = np.concatenate([r_pre_bar, z_pre_bar, candidate_pre_bar * r], axis=1)
    return h_bar * z + a_h_bar @ p.params["U"], a_x_bar, a_h_bar


class _Cell(NamedTuple):
    gates: int  # G: W is (G·n, e), U is (G·n, n), b and b_U are (G·n,)
    states: tuple[str, ...]  # names of the state's blocks, each of size n, in storage order
    roles: tuple[str, ...]  # per-step intermediates reported by forward (besides the states)
    parameters: tuple[str, ...]  # every parameter name, in argument order
    step: Callable[..., tuple[Array, Saved]]
    vjp: Callable[..., tuple[Array, Array, Array]]


# One row per cell. The names of roles, states and parameters are those of the engine (symrnn.unroll).
CELLS: dict[str, _Cell] = {
    "rnn": _Cell(1, ("s",), ("u",), PARAMETER_NAMES, _rnn_step, _rnn_vjp),
    "lstm": _Cell(4, ("h", "c"), ("i", "f", "g", "o"), GATED_PARAMETER_NAMES, _lstm_step, _lstm_vjp),
    "gru": _Cell(3, ("h",), ("r", "z", "n"), GATED_PARAMETER_NAMES, _gru_step, _gru_vjp),
}


# ----------------------------------------------------------------------------------------------- validation
class _Prepared(NamedTuple):
    """Validated float64 inputs, always with a batch axis (shared with finite_diff)."""

    params: dict[str, Array]  # the parameters given: W (unless e = 0), U, V, and b, b_U, c when present
    xs: Array  # (B, z, e)
    ys: Array  # (B, z, m)
    s0: Array  # (B, S): the initial state, flat (h0 then c0 for the LSTM)
    batched: bool
    f: Elementwise
    f_prime: Elementwise
    loss_value: Callable[[Array, Array], Array]
    loss_gradient: Callable[[Array, Array], Array]
    cell: _Cell
    n: int
    W: Array  # params["W"], or an empty (G·n, 0) matrix when e = 0 and W is absent


def _as_float_array(name: str, value: Any) -> Array:
    """``value`` as a finite float64 array, or a ValueError/TypeError naming ``name``."""
    try:
        array = np.asarray(value)
    except (ValueError, TypeError) as error:
        raise ValueError(f"{name} must be a rectangular array of real numbers ({error})") from None
    kind = array.dtype.kind
    if kind == "O":
        try:
            array = array.astype(np.float64)
        except (TypeError, ValueError):
            raise TypeError(
                f"{name} must hold real numbers; got objects that do not convert to float"
            ) from None
    elif kind not in "iuf":
        raise TypeError(
            f"{name} must hold real numbers, got dtype {array.dtype}; "
            f"convert it with numpy.asarray(..., dtype=float)"
        )
    array = np.array(array, dtype=np.float64)  # always a private copy
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} contains NaN or inf")
    return array


def _require_shape(name: str, array: Array, expected: tuple[int, ...], meaning: str) -> None:
    if array.shape != expected:
        raise ValueError(f"{name} must have shape {meaning} = {expected}, got {array.shape}")


def _resolve_cell(cell: Any) -> _Cell:
    if not isinstance(cell, str):
        raise TypeError(f"cell must be a name, one of {', '.join(CELLS)}; got {cell!r}")
    if cell not in CELLS:
        raise ValueError(f"unknown cell {cell!r}; choose one of {', '.join(CELLS)}")
    return CELLS[cell]


def _resolve_activation(activation: Any) -> ActivationPair:
    if isinstance(activation, str):
        if activation not in ACTIVATIONS:
            raise ValueError(
                f"unknown activation {activation!r}; choose one of {', '.join(ACTIVATIONS)} "
                f"or pass a pair (f, f_prime) of NumPy callables"
            )
        return ACTIVATIONS[activation]
    if isinstance(activation, (tuple, list)) and len(activation) == 2 and all(map(callable, activation)):
        f, f_prime = activation
        return _elementwise("activation f", f), _elementwise("activation f_prime", f_prime)
    raise TypeError(
        f"activation must be one of {', '.join(ACTIVATIONS)} or a pair (f, f_prime) of "
        f"NumPy callables, got {activation!r}"
    )


def _elementwise(name: str, function: Elementwise) -> Elementwise:
    """Wrap a user callable so that a non-elementwise result is reported instead of broadcast."""

    def checked(u: Array) -> Array:
        value = np.asarray(function(u), dtype=np.float64)
        if value.shape != u.shape:
            raise ValueError(
                f"{name} returned shape {value.shape} for an input of shape {u.shape}; "
                f"it must act elementwise"
            )
        return value

    return checked


def _resolve_loss(loss: Any) -> tuple[Callable[[Array, Array], Array], Callable[[Array, Array], Array]]:
    if not isinstance(loss, str):
        raise TypeError(f"loss must be a name, one of {', '.join(LOSSES)}; got {loss!r}")
    if loss not in LOSSES:
        raise ValueError(f"unknown loss {loss!r}; choose one of {', '.join(LOSSES)}")
    return LOSSES[loss]


def _one_state(name: str, value: Any, B: int, n: int, batched: bool) -> Array:
    """One initial state block, (n,) or (B, n) for a batch, as (B, n); zeros when None."""
    if value is None:
        return np.zeros((B, n))
    state = _as_float_array(name, value)
    if state.ndim == 2 and batched:
        _require_shape(name, state, (B, n), "(n,) or (B, n)")
        return state
    _require_shape(name, state, (n,), "(n,) or (B, n)" if batched else "(n,)")
    return np.broadcast_to(state, (B, n)).copy()


def _initial_state(cell: _Cell, s0: Any, B: int, n: int, batched: bool) -> Array:
    if len(cell.states) == 1:
        return _one_state("s0", s0, B, n, batched)
    if s0 is None:
        return np.zeros((B, len(cell.states) * n))
    names = " and ".join(f"{name}0" for name in cell.states)
    if (
        isinstance(s0, (str, bytes, Mapping))
        or not hasattr(s0, "__len__")
        or len(s0) != len(cell.states)
        or any(value is not None and np.ndim(value) == 0 for value in s0)
    ):  # one state, not a pair
        pair = ", ".join(f"{name}0" for name in cell.states)
        raise ValueError(
            f"s0 must be a pair ({pair}) for this cell, {names} each of shape (n,) or (B, n), "
            f"or None for zeros"
        )
    return np.concatenate(
        [
            _one_state(f"s0[{k}] ({name}0)", value, B, n, batched)
            for k, (name, value) in enumerate(zip(cell.states, s0))
        ],
        axis=1,
    )


def _prepare(
    params: Mapping[str, ArrayLike | None],
    xs: ArrayLike,
    ys: ArrayLike,
    s0: Any,
    activation: Activation,
    loss: str,
    cell: str = "rnn",
) -> _Prepared:
    """Validate every argument and bring the data to a leading batch axis."""
    cell_rows = _resolve_cell(cell)
    f, f_prime = _resolve_activation(activation)
    if cell != "rnn" and not (isinstance(activation, str) and activation == "tanh"):
        raise ValueError(
            f"cell={cell!r} uses PyTorch's fixed sigmoid gates and tanh; leave activation at "
            f"its default 'tanh' (got {activation!r})"
        )
    loss_value, loss_gradient = _resolve_loss(loss)
    allowed = cell_rows.parameters
    if not isinstance(params, Mapping):
        raise TypeError(
            f"params must be a dict with keys {', '.join(allowed)} (W unless e = 0, U and V "
            f"required), got {type(params).__name__}"
        )
    unknown = sorted(str(key) for key in params if key not in allowed)
    if unknown:
        raise ValueError(
            f"params has unknown key(s) {', '.join(unknown)}; allowed for cell={cell!r}: {', '.join(allowed)}"
        )
    G = cell_rows.gates
    rows = "n" if G == 1 else f"{G}n"
    missing = [key for key in ("U", "V") if params.get(key) is None]
    if missing:
        raise ValueError(
            f"params is missing {', '.join(missing)}; W ({rows},e) (unless e = 0), U ({rows},n) "
            f"and V (m,n) are required"
        )
    P = {
        key: _as_float_array(f"params[{key!r}]", value) for key, value in params.items() if value is not None
    }
    U, V = P["U"], P["V"]
    if "W" in P:
        W = P["W"]
        if W.ndim != 2 or W.shape[0] == 0 or W.shape[0] % G:
            raise ValueError(
                f"params['W'] must be a 2-D array of shape ({rows}, e) with n >= 1 and e >= 0, "
                f"got shape {W.shape}"
            )
        n, e = W.shape[0] // G, W.shape[1]
        where_n = "n = W.shape[0]" if G == 1 else f"n = W.shape[0] / {G}"
    else:
        if U.ndim != 2 or U.shape[1] == 0 or U.shape[0] != G * U.shape[1]:
            raise ValueError(f"params['U'] must have shape ({rows}, n) with n >= 1, got {U.shape}")
        n, e = U.shape[1], 0
        W, where_n = np.zeros((G * n, 0)), "n = U.shape[1]"
    _require_shape("params['U']", U, (G * n, n), f"({rows}, n) with {where_n}")
    if V.ndim != 2 or V.shape[1] != n or V.shape[0] == 0:
        raise ValueError(
            f"params['V'] must have shape (m, n) with n = {n} (from {where_n.split(' = ')[1]}), got {V.shape}"
        )
    m = V.shape[0]
    for key in ("b", "b_U"):
        if key in P:
            _require_shape(f"params[{key!r}]", P[key], (G * n,), f"({rows},)")
    if "c" in P:
        _require_shape("params['c']", P["c"], (m,), "(m,)")

    x = _as_float_array("xs", xs)
    if x.ndim not in (2, 3):
        raise ValueError(f"xs must have shape (z, e) or (B, z, e) with e = {e}, got {x.shape}")
    batched = x.ndim == 3
    x = x if batched else x[np.newaxis]
    B, z = x.shape[0], x.shape[1]
    if B == 0 or z == 0:
        raise ValueError(f"xs must hold at least one sequence of at least one step, got shape {x.shape}")
    if "W" not in P and params.get("W", None) is None and x.shape[2] != 0:
        raise ValueError(
            f"params is missing W; W ({rows}, e) is required unless e = 0 "
            f"(xs of shape (z, 0), autonomous system)"
        )
    if x.shape[2] != e:
        raise ValueError(
            f"xs has {x.shape[2]} inputs per step but params['W'] has shape ({rows}, e) = {W.shape}"
        )
    y = _as_float_array("ys", ys)
    _require_shape("ys", y, (B, z, m) if batched else (z, m), "(B, z, m)" if batched else "(z, m)")
    y = y if batched else y[np.newaxis]
    s_0 = _initial_state(cell_rows, s0, B, n, batched)
    return _Prepared(P, x, y, s_0, batched, f, f_prime, loss_value, loss_gradient, cell_rows, n, W)


# ------------------------------------------------------------------------------------------ forward and BPTT
class _Trace(NamedTuple):
    states: Array  # (B, z+1, S): states[:, t] is the state at t, states[:, 0] the initial state
    saved: list[Saved]  # saved[t-1]: step t's intermediates, each (B, n)
    yhat: Array  # (B, z, m)
    J_t: Array  # (B, z)


def _run(p: _Prepared) -> _Trace:
    """The unrolled network on batched inputs."""
    V, c = p.params["V"], p.params.get("c", 0.0)
    B, z, _ = p.xs.shape
    states = np.empty((B, z + 1, p.s0.shape[1]))
    states[:, 0] = p.s0
    saved = []
    for t in range(1, z + 1):
        states[:, t], saved_t = p.cell.step(p, p.xs[:, t - 1], states[:, t - 1])
        saved.append(saved_t)
    yhat = states[:, 1:, : p.n] @ V.T + c  # ŷ_t = V s_t + c (V h_t + c for the gated cells)
    return _Trace(states, saved, yhat, p.loss_value(yhat, p.ys))


def _run_forward(p: _Prepared) -> dict[str, Array]:
    """The forward pass as a dict of named, batched arrays (see :func:`forward`)."""
    trace = _run(p)
    values = {role: np.stack([saved_t[role] for saved_t in trace.saved], axis=1) for role in p.cell.roles}
    for k, name in enumerate(p.cell.states):
        values[name] = trace.states[:, :, k * p.n : (k + 1) * p.n]
    return {**values, "yhat": trace.yhat, "J_t": trace.J_t, "J": trace.J_t.sum(axis=1)}


def _squeeze(values: dict[str, Array], batched: bool) -> dict[str, Any]:
    return values if batched else {key: value[0] for key, value in values.items()}


def forward(
    params: Mapping[str, ArrayLike | None],
    xs: ArrayLike,
    ys: ArrayLike,
    s0: Any = None,
    *,
    activation: Activation = "tanh",
    loss: str = "sse",
    cell: str = "rnn",
) -> dict[str, Any]:
    """Run the network for t = 1..z: a cell, then the output layer ``ŷ_t = V h_t + c`` and the loss.

    Cells (``h_t`` is ``s_t`` for ``"rnn"``; σ is the logistic sigmoid; ``⊙`` the elementwise product):

    - ``"rnn"``: ``u_t = W x_t + U s_{t-1} + b``, ``s_t = f(u_t)``.
    - ``"lstm"`` (PyTorch ``nn.LSTM``; W, U, b, b_U stack the gates i, f, g, o in this order):
      ``[a_i; a_f; a_g; a_o] = W x_t + b + U h_{t-1} + b_U``, ``i, f, o = σ(a_i), σ(a_f), σ(a_o)``,
      ``g = tanh(a_g)``, ``c_t = f ⊙ c_{t-1} + i ⊙ g``, ``h_t = o ⊙ tanh(c_t)``.
    - ``"gru"`` (PyTorch ``nn.GRU``; gates r, z, n): ``[x_r; x_z; x_n] = W x_t + b``,
      ``[h_r; h_z; h_n] = U h_{t-1} + b_U``, ``r = σ(x_r + h_r)``, ``z = σ(x_z + h_z)``,
      ``n = tanh(x_n + r ⊙ h_n)``, ``h_t = (1 − z) ⊙ n + z ⊙ h_{t-1}``.

    Args:
        params: ``"W"`` (rnn ``(n,e)``, lstm ``(4n,e)``, gru ``(3n,e)``), ``"U"`` (``(n,n)``, ``(4n,n)``,
            ``(3n,n)``), ``"V"`` ``(m,n)``; optionally ``"b"`` (``(n,)``, ``(4n,)``, ``(3n,)``),
            ``"b_U"`` (lstm and gru only, the shape of b) and ``"c"`` ``(m,)``. An absent (or None)
            bias is zero. The autonomous system (e = 0) takes ``xs`` of shape ``(z, 0)`` and W either
            absent (None) or of shape ``(G·n, 0)``.
        xs: inputs ``(z, e)``, or ``(B, z, e)`` for a batch of B sequences.
        ys: targets ``(z, m)``, or ``(B, z, m)``.
        s0: initial state, zeros by default. rnn and gru: ``(n,)`` (shared) or ``(B, n)``. lstm: a pair
            ``(h0, c0)``, each ``(n,)`` or ``(B, n)`` or None (zeros).
        activation: the vanilla cell's ``f``: ``"tanh" | "sigmoid" | "relu" | "identity"`` or a pair
            ``(f, f_prime)`` of elementwise NumPy callables. The gated cells use sigmoid and tanh as
            PyTorch does and accept only the default ``"tanh"``.
        loss: ``"sse"`` (``J_t = ½‖ŷ_t − y_t‖²``) or ``"ce"`` (``J_t = −Σ_i y_{t,i} log softmax(ŷ_t)_i``).
        cell: ``"rnn"`` (default), ``"lstm"`` or ``"gru"``.

    Returns:
        The per-step intermediates ``(z, n)`` (rnn: ``"u"``; lstm: the gates ``"i", "f", "g", "o"``;
        gru: ``"r", "z", "n"``), the states ``(z+1, n)`` with the initial state at index 0 (rnn: ``"s"``;
        lstm: ``"h", "c"``; gru: ``"h"``), ``"yhat": (z,m)``, ``"J_t": (z,)``, ``"J": float``. With a
        batch axis every entry gains a leading ``B`` and ``J`` has shape ``(B,)``.

    Raises:
        ValueError: wrong shapes, inconsistent sizes, NaN or inf, unknown cell, activation or loss name.
        TypeError: non-numeric data or an argument of the wrong kind.
    """
    p = _prepare(params, xs, ys, s0, activation, loss, cell)
    return _squeeze(_run_forward(p), p.batched)


def _full_adjoints(p: _Prepared, trace: _Trace, g: Array) -> tuple[Array, Array, Array]:
    """Reverse-mode BPTT over the whole sequence: per-step pre-activation adjoints and ∂J/∂s_0."""
    B, z, _ = g.shape
    V = p.params["V"]
    a_x_bar, a_h_bar = np.empty((B, z, p.W.shape[0])), np.empty((B, z, p.W.shape[0]))
    state_bar = np.zeros_like(p.s0)  # ∂J_{>z}/∂state_z = 0: nothing follows the last step
    for t in range(z, 0, -1):
        state_bar[:, : p.n] += g[:, t - 1] @ V  # δ_t = Vᵀ g_t + (what flowed back from step t + 1)
        state_bar, a_x_bar[:, t - 1], a_h_bar[:, t - 1] = p.cell.vjp(
            p, trace.states[:, t - 1], trace.saved[t - 1], state_bar
        )
    return a_x_bar, a_h_bar, state_bar


def _truncated_adjoints(p: _Prepared, trace: _Trace, g: Array, tau: int) -> tuple[Array, Array, Array]:
    """Truncated BPTT: each J_t back-propagated on its own through steps t, t−1, ..., max(1, t−τ+1)."""
    B, z, _ = g.shape
    V = p.params["V"]
    a_x_bar, a_h_bar = np.zeros((B, z, p.W.shape[0])), np.zeros((B, z, p.W.shape[0]))
    s0_bar = np.zeros_like(p.s0)
    for t in range(1, z + 1):
        state_bar = np.zeros_like(p.s0)
        state_bar[:, : p.n] = g[:, t - 1] @ V  # ∂J_t/∂state_t
        for k in range(t, max(1, t - tau + 1) - 1, -1):  # the (t, k) terms with t − k < τ
            state_bar, a_x_k, a_h_k = p.cell.vjp(p, trace.states[:, k - 1], trace.saved[k - 1], state_bar)
            a_x_bar[:, k - 1] += a_x_k
            a_h_bar[:, k - 1] += a_h_k
        if t <= tau:  # J_t reached the initial state within τ steps
            s0_bar += state_bar
    return a_x_bar, a_h_bar, s0_bar


def loss_and_gradients(
    params: Mapping[str, ArrayLike | None],
    xs: ArrayLike,
    ys: ArrayLike,
    s0: Any = None,
    *,
    activation: Activation = "tanh",
    loss: str = "sse",
    initial_state_gradient: bool = False,
    cell: str = "rnn",
    truncation: int | None = None,
) -> tuple[Any, dict[str, Array]]:
    """The loss and its gradients by hand-written reverse-mode BPTT.

    For the vanilla cell, with ``g_t = ∂J_t/∂ŷ_t``, ``δ_t = ∂J/∂s_t = Vᵀ g_t + Uᵀ r_{t+1}`` and
    ``r_t = f'(u_t) ⊙ δ_t`` (``r_{z+1} = 0``): ``∂J/∂W = Σ_t r_t x_tᵀ``, ``∂J/∂U = Σ_t r_t s_{t−1}ᵀ``,
    ``∂J/∂b = Σ_t r_t``, ``∂J/∂V = Σ_t g_t s_tᵀ``, ``∂J/∂c = Σ_t g_t`` and ``∂J/∂s_0 = Uᵀ r_1``. The
    gated cells run the same recurrence through their own hand-written one-step backward pass.

    Truncated BPTT (``truncation=τ``): each ``J_t`` is back-propagated through at most τ steps, i.e.
    ``∂J/∂θ = Σ_t Σ_{k = max(1, t−τ+1)}^{t} ∂J_t/∂state_t · ∂state_t/∂state_k · ∂⁺state_k/∂θ``: every
    ``(t, k)`` term with ``t − k ≥ τ`` is dropped. This is the gradient of ``Σ_t J_t`` when ``J_t`` is
    computed from the state ``state_{t−τ}`` detached (held constant). ``∂J/∂V`` and ``∂J/∂c`` do not go
    through the state and are exact; the initial state's gradient keeps ``J_t`` for ``t ≤ τ``; ``τ ≥ z``
    gives the full gradient.

    Args:
        params, xs, ys, s0, activation, loss, cell: as for :func:`forward`.
        initial_state_gradient: also return ``"s0"``, the gradient with respect to the initial state.
        truncation: None (full BPTT) or a positive integer τ.

    Returns:
        ``(J, gradients)``: ``J`` a float (``(B,)`` for a batch); ``gradients`` has the keys of the params
        given (rnn: W, U, V, b, c; lstm and gru: W, U, V, b, b_U, c; absent biases and an absent W absent
        too), then ``"s0"`` when asked for: ``(n,)``, or ``(2, n)`` for the LSTM (row 0 ``∂J/∂h_0``,
        row 1 ``∂J/∂c_0``). Each has its parameter's shape, with a leading ``B`` for a batch (one
        gradient per sequence).

    Raises:
        ValueError: as for :func:`forward`, or a truncation that is not a positive integer.
        TypeError: as for :func:`forward`, or a non-bool ``initial_state_gradient``.
    """
    if not isinstance(initial_state_gradient, (bool, np.bool_)):
        raise TypeError(f"initial_state_gradient must be True or False, got {initial_state_gradient!r}")
    if truncation is not None:
        if isinstance(truncation, (bool, np.bool_)) or not isinstance(truncation, (int, np.integer)):
            raise TypeError(f"truncation must be None or a positive integer, got {truncation!r}")
        if truncation < 1:
            raise ValueError(
                f"truncation must be a positive integer (steps to back-propagate through), got {truncation}"
            )
    p = _prepare(params, xs, ys, s0, activation, loss, cell)
    trace = _run(p)
    g = p.loss_gradient(trace.yhat, p.ys)  # g_t = ∂J_t/∂ŷ_t, (B, z, m)
    if truncation is None:
        a_x_bar, a_h_bar, s0_bar = _full_adjoints(p, trace, g)
    else:
        a_x_bar, a_h_bar, s0_bar = _truncated_adjoints(p, trace, g, int(truncation))
    n = p.n
    h = trace.states[:, :, :n]  # s_t (rnn) or h_t: what the output layer and U read
    gradients = {
        "W": np.einsum("bti,btj->bij", a_x_bar, p.xs),
        "U": np.einsum("bti,btj->bij", a_h_bar, h[:, :-1]),
        "V": np.einsum("bti,btj->bij", g, h[:, 1:]),
        "b": a_x_bar.sum(axis=1),
        "b_U": a_h_bar.sum(axis=1),
        "c": g.sum(axis=1),
    }
    gradients = {name: gradients[name] for name in p.cell.parameters if name in p.params}
    if initial_state_gradient:
        k = len(p.cell.states)
        gradients["s0"] = s0_bar if k == 1 else s0_bar.reshape(s0_bar.shape[0], k, n)
    J = trace.J_t.sum(axis=1)
    return (J if p.batched else J[0]), _squeeze(gradients, p.batched)


def relative_error(a: ArrayLike, b: ArrayLike) -> float:
    """``max|a − b| / max(max|a|, max|b|, 1e-12)``: one scale for the whole array.

    Args:
        a, b: arrays (or scalars) of the same shape.

    Returns:
        The relative error; ``0.0`` for empty arrays and ``inf`` when either side holds NaN or inf (so a
        non-finite result never passes a tolerance check).

    Raises:
        ValueError: the shapes differ.
    """
    a_array, b_array = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a_array.shape != b_array.shape:
        raise ValueError(f"relative_error needs equal shapes, got {a_array.shape} and {b_array.shape}")
    if a_array.size == 0:
        return 0.0
    if not (np.all(np.isfinite(a_array)) and np.all(np.isfinite(b_array))):
        return float("inf")
    scale = max(float(np.max(np.abs(a_array))), float(np.max(np.abs(b_array))), RELATIVE_ERROR_FLOOR)
    return float(np.max(np.abs(a_array - b_array))) / scale
