"""Hand-written NumPy BPTT functions for verify_function: right ones in three styles and classic mistakes.

Each function is written the way its source writes it (min-char-rnn, CS231n's rnn_layers, the symrnn
contract); the mistakes are the ones students make. EXPECTED maps each name to (style, {parameter:
(first wrong length, mistake or None)}) for the wrong gradients; an empty dict means every gradient is right.
"""

from __future__ import annotations

import numpy as np

# min-char-rnn reads its weights from module globals; verify_function sets them for each call.
Wxh = Whh = Why = bh = by = None


# ------------------------------------------------------------------------- symrnn style: J, grads = f(...)
def _forward(params, xs, s0):
    W, U, V, b, c = (params[k] for k in ("W", "U", "V", "b", "c"))
    s, u = [s0], []
    for x in xs:
        u.append(W @ x + U @ s[-1] + b)
        s.append(np.tanh(u[-1]))
    yhat = [V @ st + c for st in s[1:]]
    return s, u, yhat


def _symrnn(
    params,
    xs,
    ys,
    s0,
    *,
    recurrent=True,
    f_prime=True,
    accumulate=True,
    previous=True,
    transpose_u=False,
    sign=1.0,
):
    _, U, V, b, _ = (params[k] for k in ("W", "U", "V", "b", "c"))
    s, _, yhat = _forward(params, xs, s0)
    J = sum(0.5 * np.sum((yh - y) ** 2) for yh, y in zip(yhat, ys))
    grads = {k: np.zeros_like(v) for k, v in params.items()}
    r_next = np.zeros_like(b)
    for t in reversed(range(len(xs))):
        g = yhat[t] - ys[t]
        delta = V.T @ g + (U.T @ r_next if recurrent else 0.0)
        r = (1 - s[t + 1] ** 2) * delta if f_prime else delta
        s_prev = s[t] if previous else s[t + 1]
        parts = {
            "W": np.outer(r, xs[t]),
            "U": np.outer(r, s_prev),
            "b": r,
            "V": np.outer(g, s[t + 1]),
            "c": g,
        }
        for k, v in parts.items():
            grads[k] = grads[k] + v if accumulate or k in ("V", "c") else v
        r_next = r
    if transpose_u:
        grads["U"] = grads["U"].T
    grads["W"] = sign * grads["W"]
    return J, grads


def symrnn_right(params, xs, ys, s0):
    return _symrnn(params, xs, ys, s0)


def symrnn_no_recurrent_term(params, xs, ys, s0):
    return _symrnn(params, xs, ys, s0, recurrent=False)


def symrnn_no_f_prime(params, xs, ys, s0):
    return _symrnn(params, xs, ys, s0, f_prime=False)


def symrnn_not_accumulated(params, xs, ys, s0):
    return _symrnn(params, xs, ys, s0, accumulate=False)


def symrnn_off_by_one(params, xs, ys, s0):
    return _symrnn(params, xs, ys, s0, previous=False)


def symrnn_transposed_u(params, xs, ys, s0):
    return _symrnn(params, xs, ys, s0, transpose_u=True)


def symrnn_wrong_sign_w(params, xs, ys, s0):
    return _symrnn(params, xs, ys, s0, sign=-1.0)


def symrnn_raises(params, xs, ys, s0):
    raise IndexError("list index out of range")


# ------------------------------------------------------------------------------- min-char-rnn (Karpathy)
def _lossfun(inputs, targets, hprev, recurrent=True, f_prime=True):
    xs, hs, ys, ps = {}, {}, {}, {}
    hs[-1] = np.copy(hprev)
    loss = 0
    vocab = Wxh.shape[1]
    for t in range(len(inputs)):
        xs[t] = np.zeros((vocab, 1))
        xs[t][inputs[t]] = 1
        hs[t] = np.tanh(np.dot(Wxh, xs[t]) + np.dot(Whh, hs[t - 1]) + bh)
        ys[t] = np.dot(Why, hs[t]) + by
        ps[t] = np.exp(ys[t] - np.max(ys[t])) / np.sum(np.exp(ys[t] - np.max(ys[t])))
        loss += -np.log(ps[t][targets[t], 0])
    dWxh, dWhh, dWhy = np.zeros_like(Wxh), np.zeros_like(Whh), np.zeros_like(Why)
    dbh, dby = np.zeros_like(bh), np.zeros_like(by)
    dhnext = np.zeros_like(hs[0])
    for t in reversed(range(len(inputs))):
        dy = np.copy(ps[t])
        dy[targets[t]] -= 1
        dWhy += np.dot(dy, hs[t].T)
        dby += dy
        dh = np.dot(Why.T, dy) + (dhnext if recurrent else 0)
        dhraw = (1 - hs[t] * hs[t]) * dh if f_prime else dh
        dbh += dhraw
        dWxh += np.dot(dhraw, xs[t].T)
        dWhh += np.dot(dhraw, hs[t - 1].T)
        dhnext = np.dot(Whh.T, dhraw)
    return loss, dWxh, dWhh, dWhy, dbh, dby, hs[len(inputs) - 1]


def minchar_right(inputs, targets, hprev):
    return _lossfun(inputs, targets, hprev)


def minchar_no_recurrent_term(inputs, targets, hprev):
    return _lossfun(inputs, targets, hprev, recurrent=False)


def minchar_no_f_prime(inputs, targets, hprev):
    return _lossfun(inputs, targets, hprev, f_prime=False)


# --------------------------------------------------------------------------------- CS231n rnn_layers.py
def rnn_step_forward(x, prev_h, Wx, Wh, b):
    next_h = np.tanh(x @ Wx + prev_h @ Wh + b)
    return next_h, (x, prev_h, Wx, Wh, next_h)


def rnn_step_backward(dnext_h, cache):
    x, prev_h, Wx, Wh, next_h = cache
    dtanh = dnext_h * (1 - next_h**2)
    return dtanh @ Wx.T, dtanh @ Wh.T, x.T @ dtanh, prev_h.T @ dtanh, dtanh.sum(axis=0)


def rnn_forward(x, h0, Wx, Wh, b):
    N, T, _ = x.shape
    h, caches, prev = np.zeros((N, T, h0.shape[1])), [], h0
    for t in range(T):
        prev, cache = rnn_step_forward(x[:, t], prev, Wx, Wh, b)
        h[:, t] = prev
        caches.append(cache)
    return h, caches


def rnn_backward(dh, cache, *, carry=True, derivative=True, previous=True):
    N, T, H = dh.shape
    x0, _, Wx, Wh, _ = cache[0]
    dx, dWx, dWh, db = np.zeros((N, T, x0.shape[1])), np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(H)
    dprev = np.zeros((N, H))
    for t in reversed(range(T)):
        x, prev_h, _, _, next_h = cache[t]
        dtanh = (dh[:, t] + (dprev if carry else 0)) * ((1 - next_h**2) if derivative else 1)
        dx[:, t] = dtanh @ Wx.T
        dWx += x.T @ dtanh
        dWh += (prev_h if previous else next_h).T @ dtanh
        db += dtanh.sum(axis=0)
        dprev = dtanh @ Wh.T
    return dx, dprev, dWx, dWh, db


def cs231n_backward_right(dh, cache):
    return rnn_backward(dh, cache)


def cs231n_backward_no_carry(dh, cache):
    return rnn_backward(dh, cache, carry=False)


def cs231n_backward_no_tanh_prime(dh, cache):
    return rnn_backward(dh, cache, derivative=False)


def cs231n_backward_off_by_one(dh, cache):
    return rnn_backward(dh, cache, previous=False)


def cs231n_step_backward_transposed(dnext_h, cache):
    dx, dprev, dWx, dWh, db = rnn_step_backward(dnext_h, cache)
    return dx, dprev, dWx, dWh.T, db


cs231n_step_backward_transposed.__name__ = "rnn_step_backward_transposed"

MR, MF, T_, OB, NA = (
    "missing recurrent term",
    "missing f'",
    "transposed",
    "off-by-one in time",
    "gradient not accumulated across steps",
)
EXPECTED = {
    "symrnn_right": ("symrnn", {}),
    "symrnn_raises": ("symrnn", None),
    "symrnn_no_recurrent_term": ("symrnn", {"W": (2, MR), "U": (2, MR), "b": (2, MR)}),
    "symrnn_no_f_prime": ("symrnn", {"W": (1, MF), "U": (1, MF), "b": (1, MF)}),
    "symrnn_not_accumulated": ("symrnn", {"W": (2, NA), "U": (2, NA), "b": (2, NA)}),
    "symrnn_off_by_one": ("symrnn", {"U": (1, OB)}),
    "symrnn_transposed_u": ("symrnn", {"U": (1, T_)}),
    "symrnn_wrong_sign_w": ("symrnn", {"W": (1, "wrong sign")}),
    "minchar_right": ("minchar", {}),
    "minchar_no_recurrent_term": ("minchar", {"W": (2, MR), "U": (2, MR), "b": (2, MR)}),
    "minchar_no_f_prime": ("minchar", {"W": (1, MF), "U": (1, MF), "b": (1, MF)}),
    "cs231n_backward_right": ("cs231n", {}),
    "rnn_step_backward": ("cs231n", {}),
    "cs231n_backward_no_carry": ("cs231n", {"W": (2, MR), "U": (2, MR), "b": (2, MR)}),
    "cs231n_backward_no_tanh_prime": ("cs231n", {"W": (1, MF), "U": (1, MF), "b": (1, MF)}),
    "cs231n_backward_off_by_one": ("cs231n", {"U": (1, OB)}),
    "cs231n_step_backward_transposed": ("cs231n", {"U": (1, T_)}),
}
