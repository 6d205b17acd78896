"""Tests of the NumPy oracle's cells (rnn, lstm, gru), the autonomous system (e = 0) and truncated BPTT."""

from __future__ import annotations

import math

import numpy as np
import pytest
from cell_cases import GATES, flat, random_cell_case

from symrnn.numeric.finite_diff import DEFAULT_STEP, central_difference_gradients
from symrnn.numeric.reference import CELLS, forward, loss_and_gradients, relative_error

FINITE_DIFF_TOLERANCE = 1e-6  # central differences with h = 1e-6 are good to ~1e-8 here
EXACT_TOLERANCE = 1e-12  # the same arithmetic reordered (batch vs single, truncated with τ >= z vs full)
TRUNCATION_VISIBLE = 1e-6  # a truncated gradient (τ < z) must differ from the full one by more than this
RELU_MARGIN = 1e-3  # keep every u_t this far from relu's kink: a step of 1e-6 never crosses it

# (cell, activation): the gated cells use PyTorch's fixed sigmoid and tanh.
VARIANTS = [
    ("rnn", "tanh"),
    ("rnn", "sigmoid"),
    ("rnn", "relu"),
    ("rnn", "identity"),
    ("lstm", "tanh"),
    ("gru", "tanh"),
]
SIZES = [(1, 1, 1, 1), (3, 2, 3, 2), (5, 0, 2, 3), (4, 3, 2, 1), (2, 0, 1, 1)]  # (z, e, n, m); e = 0 twice
STATES = {"rnn": ("s",), "lstm": ("h", "c"), "gru": ("h",)}


def expected_shapes(cell: str, e: int, n: int, m: int) -> dict[str, tuple[int, ...]]:
    G = GATES[cell]
    shapes = {"W": (G * n, e), "U": (G * n, n), "V": (m, n), "b": (G * n,), "c": (m,)}
    if cell != "rnn":
        shapes["b_U"] = (G * n,)
    shapes["s0"] = (2, n) if cell == "lstm" else (n,)
    return shapes


def case_away_from_kinks(seed: int, *, cell: str, activation: str, **sizes):
    """random_cell_case, re-drawn (deterministically) until relu's pre-activations avoid 0."""
    rng = np.random.default_rng(seed)
    while True:
        params, xs, ys, s0 = random_cell_case(rng, cell=cell, **sizes)
        if activation != "relu":
            return params, xs, ys, s0
        u = forward(params, xs, ys, s0, activation="relu", loss=sizes["loss"], cell=cell)["u"]
        if np.min(np.abs(u)) > RELU_MARGIN:
            return params, xs, ys, s0


# ----------------------------------------------------------- (a) every cell against central differences
@pytest.mark.parametrize("size_index", range(len(SIZES)))
@pytest.mark.parametrize("bias", [True, False], ids=["bias", "no-bias"])
@pytest.mark.parametrize("loss", ["sse", "ce"])
@pytest.mark.parametrize("cell, activation", VARIANTS)
def test_every_cell_matches_central_differences(cell, activation, loss, bias, size_index):
    z, e, n, m = SIZES[size_index]
    params, xs, ys, s0 = case_away_from_kinks(
        1000 + size_index,
        cell=cell,
        activation=activation,
        z=z,
        e=e,
        n=n,
        m=m,
        bias=bias,
        loss=loss,
        zero_s0=size_index == 1,
    )
    kwargs = {"activation": activation, "loss": loss, "cell": cell, "initial_state_gradient": True}
    J, analytic = loss_and_gradients(params, xs, ys, s0, **kwargs)
    numeric = central_difference_gradients(params, xs, ys, s0, **kwargs)
    shapes = expected_shapes(cell, e, n, m)
    biases = ({"b", "b_U", "c"} if cell != "rnn" else {"b", "c"}) if bias else set()
    expected_keys = {"W", "U", "V", "s0"} | biases
    assert set(analytic) == set(numeric) == expected_keys
    assert all(analytic[key].shape == numeric[key].shape == shapes[key] for key in expected_keys)
    assert np.ndim(J) == 0
    J_forward = forward(params, xs, ys, s0, activation=activation, loss=loss, cell=cell)["J"]
    assert abs(J - J_forward) < EXACT_TOLERANCE
    error = relative_error(flat(analytic), flat(numeric))  # one scale for the whole gradient
    assert error < FINITE_DIFF_TOLERANCE, f"analytic: {flat(analytic)} numeric: {flat(numeric)}"


def test_a_wrong_gate_derivative_is_caught(monkeypatch):
    # The FD comparison above has teeth: break the GRU's backward pass and it must fail by far.
    from symrnn.numeric import reference

    params, xs, ys, s0 = random_cell_case(
        np.random.default_rng(5), cell="gru", z=3, e=2, n=2, m=2, bias=True, loss="sse"
    )
    right = reference._gru_vjp

    def wrong(p, h_prev, saved, h_bar):  # forgets that z also gates h_prev directly
        state_bar, a_x_bar, a_h_bar = right(p, h_prev, saved, h_bar)
        return state_bar - h_bar * saved["z"], a_x_bar, a_h_bar

    monkeypatch.setitem(reference.CELLS, "gru", reference.CELLS["gru"]._replace(vjp=wrong))
    _, analytic = loss_and_gradients(params, xs, ys, s0, cell="gru")
    numeric = central_difference_gradients(params, xs, ys, s0, cell="gru")
    assert relative_error(flat(analytic), flat(numeric)) > 1e-3


# -------------------------------------------------------------------- (b) forward passes written by hand
def sigmoid(a: float) -> float:
    return 1.0 / (1.0 + math.exp(-a))


def test_lstm_forward_by_hand_scalar():
    # n = e = m = 1: W, U, b, b_U hold the gates i, f, g, o in this order (PyTorch's stacking).
    W, U, b, b_U = [0.3, -0.5, 0.8, 0.2], [0.4, 0.1, -0.6, 0.7], [0.1, 0.2, -0.1, 0.05], [-0.2, 0.3, 0.1, 0.0]
    V, c_out, xs, ys, h, c = 1.5, -0.2, [0.9, -1.1], [0.3, 0.4], 0.25, -0.5
    params = {
        "W": np.array(W)[:, None],
        "U": np.array(U)[:, None],
        "b": b,
        "b_U": b_U,
        "V": [[V]],
        "c": [c_out],
    }
    out = forward(params, np.array(xs)[:, None], np.array(ys)[:, None], ([h], [c]), cell="lstm")
    J = 0.0
    for t, (x, y) in enumerate(zip(xs, ys), start=1):
        a = [W[k] * x + b[k] + U[k] * h + b_U[k] for k in range(4)]
        i, f, g, o = sigmoid(a[0]), sigmoid(a[1]), math.tanh(a[2]), sigmoid(a[3])
        c = f * c + i * g
        h = o * math.tanh(c)
        J += 0.5 * (V * h + c_out - y) ** 2
        for name, value in {"i": i, "f": f, "g": g, "o": o}.items():
            assert abs(out[name][t - 1, 0] - value) < EXACT_TOLERANCE, (name, t)
        assert abs(out["h"][t, 0] - h) < EXACT_TOLERANCE and abs(out["c"][t, 0] - c) < EXACT_TOLERANCE
    assert abs(out["J"] - J) < EXACT_TOLERANCE
    assert out["h"].shape == out["c"].shape == (3, 1) and out["i"].shape == (2, 1)


def test_gru_forward_by_hand_scalar():
    # PyTorch's GRU: b_hn stays inside r ⊙ (W_hn h + b_hn); gates r, z, n in this order.
    W, U, b, b_U = [0.3, -0.5, 0.8], [0.4, 0.1, -0.6], [0.1, 0.2, -0.1], [-0.2, 0.3, 0.45]
    V, c_out, xs, ys, h = 1.5, -0.2, [0.9, -1.1], [0.3, 0.4], 0.25
    params = {
        "W": np.array(W)[:, None],
        "U": np.array(U)[:, None],
        "b": b,
        "b_U": b_U,
        "V": [[V]],
        "c": [c_out],
    }
    out = forward(params, np.array(xs)[:, None], np.array(ys)[:, None], [h], cell="gru")
    J = 0.0
    for t, (x, y) in enumerate(zip(xs, ys), start=1):
        r = sigmoid(W[0] * x + b[0] + U[0] * h + b_U[0])
        z = sigmoid(W[1] * x + b[1] + U[1] * h + b_U[1])
        n = math.tanh(W[2] * x + b[2] + r * (U[2] * h + b_U[2]))
        h = (1 - z) * n + z * h
        J += 0.5 * (V * h + c_out - y) ** 2
        for name, value in {"r": r, "z": z, "n": n, "h": h}.items():
            assert abs(out[name][t if name == "h" else t - 1, 0] - value) < EXACT_TOLERANCE, (name, t)
    assert abs(out["J"] - J) < EXACT_TOLERANCE


@pytest.mark.parametrize("cell", sorted(CELLS))
def test_forward_roles_and_states(cell):
    params, xs, ys, s0 = random_cell_case(
        np.random.default_rng(9), cell=cell, z=4, e=2, n=3, m=2, bias=True, loss="sse"
    )
    out = forward(params, xs, ys, s0, cell=cell)
    roles = {"rnn": {"u", "s"}, "lstm": {"i", "f", "g", "o", "h", "c"}, "gru": {"r", "z", "n", "h"}}[cell]
    assert set(out) == roles | {"yhat", "J_t", "J"}
    for name in roles:
        assert out[name].shape == ((5, 3) if name in STATES[cell] else (4, 3)), name
    initial = s0 if cell != "lstm" else np.concatenate(s0)
    assert relative_error(np.concatenate([out[name][0] for name in STATES[cell]]), initial) < EXACT_TOLERANCE
    h = out[STATES[cell][0]]
    assert relative_error(out["yhat"], h[1:] @ params["V"].T + params["c"]) < EXACT_TOLERANCE


# ------------------------------------------------------------------------- (c) the autonomous system, e = 0
@pytest.mark.parametrize("cell", sorted(CELLS))
def test_autonomous_system_without_W_equals_W_of_width_zero(cell):
    params, xs, ys, s0 = random_cell_case(
        np.random.default_rng(11), cell=cell, z=4, e=0, n=2, m=2, bias=True, loss="sse"
    )
    assert params["W"].shape == (GATES[cell] * 2, 0) and xs.shape == (4, 0)
    J, with_W = loss_and_gradients(params, xs, ys, s0, cell=cell, initial_state_gradient=True)
    for absent in ({key: value for key, value in params.items() if key != "W"}, {**params, "W": None}):
        J_absent, without_W = loss_and_gradients(absent, xs, ys, s0, cell=cell, initial_state_gradient=True)
        assert abs(J - J_absent) < EXACT_TOLERANCE
        assert set(with_W) == set(without_W) | {"W"} and with_W["W"].shape == (GATES[cell] * 2, 0)
        for key in without_W:
            assert relative_error(with_W[key], without_W[key]) < EXACT_TOLERANCE, key


@pytest.mark.parametrize("cell", sorted(CELLS))
def test_autonomous_system_equals_a_zero_input(cell):
    # s_t = cell(U s_{t-1} + b): the same as any W fed x_t = 0, so every other gradient must agree.
    rng = np.random.default_rng(12)
    params, _, ys, s0 = random_cell_case(rng, cell=cell, z=5, e=1, n=3, m=2, bias=True, loss="ce")
    autonomous = {key: value for key, value in params.items() if key != "W"}
    J0, g0 = loss_and_gradients(autonomous, np.zeros((5, 0)), ys, s0, cell=cell, loss="ce")
    J1, g1 = loss_and_gradients(params, np.zeros((5, 1)), ys, s0, cell=cell, loss="ce")
    assert abs(J0 - J1) < EXACT_TOLERANCE
    assert np.max(np.abs(g1["W"])) < EXACT_TOLERANCE  # ∂J/∂W = Σ_t ā_t x_tᵀ = 0
    for key in g0:
        assert relative_error(g0[key], g1[key]) < EXACT_TOLERANCE, key


# ------------------------------------------------------------------------------------- (d) truncated BPTT
def cut_states(params, xs, ys, s0, *, cell: str, loss: str) -> list:
    """The states s_0..s_z of the untouched forward pass, in the form forward takes as s0."""
    out = forward(params, xs, ys, s0, cell=cell, loss=loss)
    z = xs.shape[0]
    if cell == "lstm":
        return [(out["h"][k], out["c"][k]) for k in range(z + 1)]
    return [out[STATES[cell][0]][k] for k in range(z + 1)]


def detached_loss(params, xs, ys, s0, *, cell: str, loss: str, tau: int, cut: list) -> float:
    """Σ_t J_t, each J_t computed from s_0 (t <= τ) or from the constant state cut[t − τ] (t > τ)."""
    J = 0.0
    for t in range(1, xs.shape[0] + 1):
        start, state = (0, s0) if t <= tau else (t - tau, cut[t - tau])
        J += forward(params, xs[start:t], ys[start:t], state, cell=cell, loss=loss)["J_t"][-1]
    return J


def brute_truncated_gradients(params, xs, ys, s0, *, cell: str, loss: str, tau: int) -> dict:
    """Central differences of detached_loss: every parameter entry and every initial-state entry."""
    cut = cut_states(params, xs, ys, s0, cell=cell, loss=loss)
    s0_array = np.array(s0, dtype=float)  # (n,) or, for the LSTM, (2, n)
    values = {**params, "s0": s0_array}
    gradients = {}
    for name, theta in values.items():
        gradient = np.empty(theta.shape)
        for index in np.ndindex(*theta.shape):
            sides = []
            for sign in (1.0, -1.0):
                moved = theta.copy()
                moved[index] += sign * DEFAULT_STEP
                current = {**values, name: moved}
                start = current.pop("s0")
                start = (start[0], start[1]) if cell == "lstm" else start
                sides.append(detached_loss(current, xs, ys, start, cell=cell, loss=loss, tau=tau, cut=cut))
            gradient[index] = (sides[0] - sides[1]) / (2 * DEFAULT_STEP)
        gradients[name] = gradient
    return gradients


@pytest.mark.parametrize("tau", [1, 2, 4])
@pytest.mark.parametrize("loss", ["sse", "ce"])
@pytest.mark.parametrize("cell", sorted(CELLS))
def test_truncated_gradient_equals_the_detached_loss_gradient(cell, loss, tau):
    z = 5
    params, xs, ys, s0 = random_cell_case(
        np.random.default_rng(20 + tau), cell=cell, z=z, e=2, n=2, m=2, bias=True, loss=loss
    )
    kwargs = {"cell": cell, "loss": loss, "initial_state_gradient": True}
    _, truncated = loss_and_gradients(params, xs, ys, s0, truncation=tau, **kwargs)
    _, full = loss_and_gradients(params, xs, ys, s0, **kwargs)
    brute = brute_truncated_gradients(params, xs, ys, s0, cell=cell, loss=loss, tau=tau)
    assert set(truncated) == set(brute)
    error = relative_error(flat(truncated), flat(brute))
    assert error < FINITE_DIFF_TOLERANCE, f"truncated: {flat(truncated)} brute: {flat(brute)}"
    assert relative_error(flat(truncated), flat(full)) > TRUNCATION_VISIBLE  # τ < z really drops terms
    for key in ("V", "c"):  # the output layer never goes through a state transition
        assert relative_error(truncated[key], full[key]) < EXACT_TOLERANCE


@pytest.mark.parametrize("cell", sorted(CELLS))
def test_truncation_at_least_z_is_the_full_gradient(cell):
    z = 4
    params, xs, ys, s0 = random_cell_case(
        np.random.default_rng(30), cell=cell, z=z, e=2, n=3, m=2, bias=True, loss="sse", batch=3
    )
    kwargs = {"cell": cell, "initial_state_gradient": True}
    J, full = loss_and_gradients(params, xs, ys, s0, **kwargs)
    for tau in (z, z + 1, 100):
        J_tau, truncated = loss_and_gradients(params, xs, ys, s0, truncation=tau, **kwargs)
        assert relative_error(J, J_tau) < EXACT_TOLERANCE
        for key in full:
            assert relative_error(full[key], truncated[key]) < EXACT_TOLERANCE, (tau, key)


def test_truncation_one_is_the_immediate_gradient_by_hand():
    # τ = 1 keeps only the (t, t) terms: ∂J/∂W = Σ_t (f'(u_t) ⊙ Vᵀ g_t) x_tᵀ, and s_0 only hears J_1.
    params, xs, ys, s0 = random_cell_case(
        np.random.default_rng(31), cell="rnn", z=4, e=2, n=3, m=2, bias=True, loss="sse"
    )
    out = forward(params, xs, ys, s0)
    r = (1.0 - np.tanh(out["u"]) ** 2) * ((out["yhat"] - ys) @ params["V"])  # (z, n)
    _, g = loss_and_gradients(params, xs, ys, s0, truncation=1, initial_state_gradient=True)
    assert relative_error(g["W"], r.T @ xs) < EXACT_TOLERANCE
    assert relative_error(g["U"], r.T @ out["s"][:-1]) < EXACT_TOLERANCE
    assert relative_error(g["b"], r.sum(axis=0)) < EXACT_TOLERANCE
    assert relative_error(g["s0"], params["U"].T @ r[0]) < EXACT_TOLERANCE


# --------------------------------------------------------------------- (e) a batch is B independent calls
@pytest.mark.parametrize("truncation", [None, 2])
@pytest.mark.parametrize("s0_kind", ["none", "shared", "per-sequence"])
@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_gated_batch_equals_single_calls(cell, s0_kind, truncation):
    B = 3
    params, xs, ys, s0 = random_cell_case(
        np.random.default_rng(40), cell=cell, z=4, e=2, n=2, m=3, bias=True, loss="ce", batch=B
    )

    def initial(i):
        if s0_kind == "none":
            return None
        pick = (lambda a: a[0]) if s0_kind == "shared" else (lambda a: a[i])
        return (pick(s0[0]), pick(s0[1])) if cell == "lstm" else pick(s0)

    s0_batch = initial(0) if s0_kind == "shared" else (None if s0_kind == "none" else s0)
    kwargs = {"cell": cell, "loss": "ce", "initial_state_gradient": True}
    J, gradients = loss_and_gradients(params, xs, ys, s0_batch, truncation=truncation, **kwargs)
    assert J.shape == (B,) and gradients["U"].shape == (B, GATES[cell] * 2, 2)
    assert gradients["s0"].shape == ((B, 2, 2) if cell == "lstm" else (B, 2))
    if truncation is None:
        numeric = central_difference_gradients(params, xs, ys, s0_batch, **kwargs)
        assert relative_error(flat(numeric), flat(gradients)) < FINITE_DIFF_TOLERANCE
    for i in range(B):
        J_i, gradients_i = loss_and_gradients(
            params, xs[i], ys[i], initial(i), truncation=truncation, **kwargs
        )
        assert relative_error(J[i], J_i) < EXACT_TOLERANCE
        for key in gradients_i:
            assert relative_error(gradients[key][i], gradients_i[key]) < EXACT_TOLERANCE, key


# --------------------------------------------------------------------- (f) bad inputs name the argument
def _lstm_arguments(**changes) -> dict:
    arguments = {
        "params": {"W": np.ones((8, 3)), "U": np.ones((8, 2)), "V": np.ones((1, 2))},
        "xs": np.ones((4, 3)),
        "ys": np.ones((4, 1)),
        "s0": None,
        "options": {"cell": "lstm"},
    }
    for key, value in changes.items():
        if key in arguments:
            arguments[key] = value
        elif key in ("cell", "activation", "truncation"):
            arguments["options"] = {**arguments["options"], key: value}
        else:
            arguments["params"] = {**arguments["params"], key: value}
    return arguments


BAD_CELL_INPUTS = [
    (
        _lstm_arguments(cell="transformer"),
        ValueError,
        r"unknown cell 'transformer'; choose one of rnn, lstm, gru",
    ),
    (_lstm_arguments(cell=None), TypeError, r"cell must be a name"),
    (_lstm_arguments(activation="relu"), ValueError, r"cell='lstm' uses PyTorch's fixed sigmoid"),
    (_lstm_arguments(W=np.ones((6, 3))), ValueError, r"params\['W'\] must be a 2-D array of shape \(4n, e\)"),
    (_lstm_arguments(U=np.ones((8, 3))), ValueError, r"params\['U'\] must have shape \(4n, n\).*\(8, 2\)"),
    (_lstm_arguments(b=np.ones(2)), ValueError, r"params\['b'\] must have shape \(4n,\) = \(8,\)"),
    (_lstm_arguments(b_U=np.ones(3)), ValueError, r"params\['b_U'\] must have shape \(4n,\) = \(8,\)"),
    (
        _lstm_arguments(cell="rnn", W=np.ones((2, 3)), U=np.eye(2), b_U=np.ones(2)),
        ValueError,
        r"unknown key\(s\) b_U; allowed for cell='rnn': W, U, V, b, c",
    ),
    (_lstm_arguments(W=None), ValueError, r"missing W; W \(4n, e\) is required unless e = 0"),
    (_lstm_arguments(s0=np.ones(2)), ValueError, r"s0 must be a pair \(h0, c0\)"),
    (_lstm_arguments(s0=(np.ones(2), np.ones(2), np.ones(2))), ValueError, r"s0 must be a pair"),
    (_lstm_arguments(s0=(np.ones(2), np.ones(3))), ValueError, r"s0\[1\] \(c0\) must have shape \(n,\)"),
    (_lstm_arguments(s0=(np.ones(2), [np.nan, 0.0])), ValueError, r"s0\[1\] \(c0\) contains NaN"),
    (
        _lstm_arguments(cell="gru", W=np.ones((6, 3)), U=np.ones((6, 2)), s0=(np.ones(2), np.ones(2))),
        ValueError,
        r"s0 must have shape \(n,\) = \(2,\), got \(2, 2\)",
    ),
    (_lstm_arguments(W=None, U=np.ones((8, 3))), ValueError, r"params\['U'\] must have shape \(4n, n\)"),
]


@pytest.mark.parametrize("arguments, error, message", BAD_CELL_INPUTS)
@pytest.mark.parametrize("function", [forward, loss_and_gradients, central_difference_gradients])
def test_bad_cell_inputs_name_the_argument(function, arguments, error, message):
    options = {key: value for key, value in arguments["options"].items() if key != "truncation"}
    with pytest.raises(error, match=message):
        function(arguments["params"], arguments["xs"], arguments["ys"], arguments["s0"], **options)


@pytest.mark.parametrize(
    "truncation, error",
    [(0, ValueError), (-2, ValueError), (1.5, TypeError), ("2", TypeError), (True, TypeError)],
)
def test_bad_truncation(truncation, error):
    arguments = _lstm_arguments()
    with pytest.raises(error, match="truncation"):
        loss_and_gradients(
            arguments["params"], arguments["xs"], arguments["ys"], cell="lstm", truncation=truncation
        )


def test_lstm_with_defaults_runs():  # the well-formed base of the table above
    arguments = _lstm_arguments()
    J, gradients = loss_and_gradients(arguments["params"], arguments["xs"], arguments["ys"], cell="lstm")
    assert np.isfinite(J) and set(gradients) == {"W", "U", "V"}
