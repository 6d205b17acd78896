"""Hand-written NumPy forward pass and backpropagation through time: the independent oracle (no SymPy)."""
from __future__ import annotations

from typing import Any, Callable, Mapping, NamedTuple, Union

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["ACTIVATIONS", "LOSSES", "RELATIVE_ERROR_FLOOR", "forward", "loss_and_gradients", "relative_error"]

Array = NDArray[np.float64]
Elementwise = Callable[[Array], Array]
ActivationPair = tuple[Elementwise, Elementwise]
Activation = Union[str, ActivationPair]

# Denominator floor of relative_error: two all-zero gradients agree instead of dividing 0 by 0.
RELATIVE_ERROR_FLOOR = 1e-12
PARAMETER_NAMES = ("W", "U", "V", "b", "c")


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


# ----------------------------------------------------------------------------------------------- validation
class _Prepared(NamedTuple):
    """Validated float64 inputs, always with a batch axis (shared with finite_diff)."""

    params: dict[str, Array]  # W, U, V, and b, c when present
    xs: Array  # (B, z, e)
    ys: Array  # (B, z, m)
    s0: Array  # (B, n)
    batched: bool
    f: Elementwise
    f_prime: Elementwise
    loss_value: Callable[[Array, Array], Array]
    loss_gradient: Callable[[Array, Array], Array]


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
            raise TypeError(f"{name} must hold real numbers; got objects that do not convert to float") from None
    elif kind not in "iuf":
        raise TypeError(f"{name} must hold real numbers, got dtype {array.dtype}; "
                        f"convert it with numpy.asarray(..., dtype=float)")
    array = np.array(array, dtype=np.float64)  # always a private copy
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} contains NaN or inf")
    return array


def _require_shape(name: str, array: Array, expected: tuple[int, ...], meaning: str) -> None:
    if array.shape != expected:
        raise ValueError(f"{name} must have shape {meaning} = {expected}, got {array.shape}")


def _resolve_activation(activation: Any) -> ActivationPair:
    if isinstance(activation, str):
        if activation not in ACTIVATIONS:
            raise ValueError(f"unknown activation {activation!r}; choose one of {', '.join(ACTIVATIONS)} "
                             f"or pass a pair (f, f_prime) of NumPy callables")
        return ACTIVATIONS[activation]
    if isinstance(activation, (tuple, list)) and len(activation) == 2 and all(map(callable, activation)):
        f, f_prime = activation
        return _elementwise("activation f", f), _elementwise("activation f_prime", f_prime)
    raise TypeError(f"activation must be one of {', '.join(ACTIVATIONS)} or a pair (f, f_prime) of "
                    f"NumPy callables, got {activation!r}")


def _elementwise(name: str, function: Elementwise) -> Elementwise:
    """Wrap a user callable so that a non-elementwise result is reported instead of broadcast."""
    def checked(u: Array) -> Array:
        value = np.asarray(function(u), dtype=np.float64)
        if value.shape != u.shape:
            raise ValueError(f"{name} returned shape {value.shape} for an input of shape {u.shape}; "
                             f"it must act elementwise")
        return value
    return checked


def _resolve_loss(loss: Any) -> tuple[Callable[[Array, Array], Array], Callable[[Array, Array], Array]]:
    if not isinstance(loss, str):
        raise TypeError(f"loss must be a name, one of {', '.join(LOSSES)}; got {loss!r}")
    if loss not in LOSSES:
        raise ValueError(f"unknown loss {loss!r}; choose one of {', '.join(LOSSES)}")
    return LOSSES[loss]


def _prepare(params: Mapping[str, ArrayLike | None], xs: ArrayLike, ys: ArrayLike, s0: ArrayLike | None,
             activation: Activation, loss: str) -> _Prepared:
    """Validate every argument and bring the data to a leading batch axis."""
    f, f_prime = _resolve_activation(activation)
    loss_value, loss_gradient = _resolve_loss(loss)
    if not isinstance(params, Mapping):
        raise TypeError(f"params must be a dict with keys W, U, V (and optionally b, c), got {type(params).__name__}")
    unknown = sorted(str(key) for key in params if key not in PARAMETER_NAMES)
    if unknown:
        raise ValueError(f"params has unknown key(s) {', '.join(unknown)}; allowed: {', '.join(PARAMETER_NAMES)}")
    missing = [key for key in ("W", "U", "V") if params.get(key) is None]
    if missing:
        raise ValueError(f"params is missing {', '.join(missing)}; W (n,e), U (n,n) and V (m,n) are required")
    P = {key: _as_float_array(f"params[{key!r}]", value) for key, value in params.items() if value is not None}
    W, U, V = P["W"], P["U"], P["V"]
    if W.ndim != 2 or 0 in W.shape:
        raise ValueError(f"params['W'] must be a non-empty 2-D array of shape (n, e), got shape {W.shape}")
    n, e = W.shape
    _require_shape("params['U']", U, (n, n), "(n, n) with n = W.shape[0]")
    if V.ndim != 2 or V.shape[1] != n or V.shape[0] == 0:
        raise ValueError(f"params['V'] must have shape (m, n) with n = {n} (from W), got {V.shape}")
    m = V.shape[0]
    if "b" in P:
        _require_shape("params['b']", P["b"], (n,), "(n,)")
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
    if x.shape[2] != e:
        raise ValueError(f"xs has {x.shape[2]} inputs per step but params['W'] has shape (n, e) = {W.shape}")
    y = _as_float_array("ys", ys)
    _require_shape("ys", y, (B, z, m) if batched else (z, m), "(B, z, m)" if batched else "(z, m)")
    y = y if batched else y[np.newaxis]

    if s0 is None:
        s_0 = np.zeros((B, n))
    else:
        s_0 = _as_float_array("s0", s0)
        if s_0.ndim == 2 and batched:
            _require_shape("s0", s_0, (B, n), "(n,) or (B, n)")
        else:
            _require_shape("s0", s_0, (n,), "(n,) or (B, n)" if batched else "(n,)")
            s_0 = np.broadcast_to(s_0, (B, n)).copy()
    return _Prepared(P, x, y, s_0, batched, f, f_prime, loss_value, loss_gradient)


# ------------------------------------------------------------------------------------------ forward and BPTT
def _run_forward(p: _Prepared) -> dict[str, Array]:
    """The unrolled network on batched inputs; ``u[:, t-1]`` is u_t and ``s[:, t]`` is s_t."""
    W, U, V = p.params["W"], p.params["U"], p.params["V"]
    b, c = p.params.get("b", 0.0), p.params.get("c", 0.0)
    B, z, _ = p.xs.shape
    n, m = W.shape[0], V.shape[0]
    u, s, yhat = np.empty((B, z, n)), np.empty((B, z + 1, n)), np.empty((B, z, m))
    s[:, 0] = p.s0
    for t in range(1, z + 1):
        x_t, s_prev = p.xs[:, t - 1], s[:, t - 1]
        u_t = x_t @ W.T + s_prev @ U.T + b  # row vectors: (W x_t)ᵀ = x_tᵀ Wᵀ
        s_t = p.f(u_t)
        u[:, t - 1], s[:, t] = u_t, s_t
        yhat[:, t - 1] = s_t @ V.T + c
    J_t = p.loss_value(yhat, p.ys)
    return {"u": u, "s": s, "yhat": yhat, "J_t": J_t, "J": J_t.sum(axis=1)}


def _squeeze(values: dict[str, Array], batched: bool) -> dict[str, Any]:
    return values if batched else {key: value[0] for key, value in values.items()}


def forward(params: Mapping[str, ArrayLike | None], xs: ArrayLike, ys: ArrayLike, s0: ArrayLike | None = None,
            *, activation: Activation = "tanh", loss: str = "sse") -> dict[str, Any]:
    """Run the RNN ``u_t = W x_t + U s_{t-1} + b``, ``s_t = f(u_t)``, ``ŷ_t = V s_t + c`` for t = 1..z.

    Args:
        params: ``{"W": (n,e), "U": (n,n), "V": (m,n)}`` and optionally ``"b": (n,)``, ``"c": (m,)``
            (absent or None means no bias).
        xs: inputs ``(z, e)``, or ``(B, z, e)`` for a batch of B sequences.
        ys: targets ``(z, m)``, or ``(B, z, m)``.
        s0: initial state ``(n,)`` (shared) or ``(B, n)``; zeros by default.
        activation: ``"tanh" | "sigmoid" | "relu" | "identity"`` or a pair ``(f, f_prime)`` of
            elementwise NumPy callables.
        loss: ``"sse"`` (``J_t = ½‖ŷ_t − y_t‖²``) or ``"ce"`` (``J_t = −Σ_i y_{t,i} log softmax(ŷ_t)_i``).

    Returns:
        ``{"u": (z,n), "s": (z+1,n) with s[0] = s_0, "yhat": (z,m), "J_t": (z,), "J": float}``; with a
        batch axis every entry gains a leading ``B`` and ``J`` has shape ``(B,)``.

    Raises:
        ValueError: wrong shapes, inconsistent sizes, NaN or inf, unknown activation or loss name.
        TypeError: non-numeric data or an argument of the wrong kind.
    """
    p = _prepare(params, xs, ys, s0, activation, loss)
    return _squeeze(_run_forward(p), p.batched)


def loss_and_gradients(params: Mapping[str, ArrayLike | None], xs: ArrayLike, ys: ArrayLike,
                       s0: ArrayLike | None = None, *, activation: Activation = "tanh", loss: str = "sse",
                       initial_state_gradient: bool = False) -> tuple[Any, dict[str, Array]]:
    """The loss and its gradients by hand-written reverse-mode BPTT.

    With ``g_t = ∂J_t/∂ŷ_t``, ``δ_t = ∂J/∂s_t = Vᵀ g_t + Uᵀ r_{t+1}`` and ``r_t = f'(u_t) ⊙ δ_t``
    (``r_{z+1} = 0``): ``∂J/∂W = Σ_t r_t x_tᵀ``, ``∂J/∂U = Σ_t r_t s_{t−1}ᵀ``, ``∂J/∂b = Σ_t r_t``,
    ``∂J/∂V = Σ_t g_t s_tᵀ``, ``∂J/∂c = Σ_t g_t`` and ``∂J/∂s_0 = Uᵀ r_1``.

    Args:
        params, xs, ys, s0, activation, loss: as for :func:`forward`.
        initial_state_gradient: also return ``"s0"``, the gradient with respect to the initial state.

    Returns:
        ``(J, gradients)``: ``J`` a float (``(B,)`` for a batch); ``gradients`` has keys W, U, V, then b
        and c when the params have them, then s0 when asked for; each has its parameter's shape, with a
        leading ``B`` for a batch (one gradient per sequence).

    Raises:
        ValueError: as for :func:`forward`.
        TypeError: as for :func:`forward`, or a non-bool ``initial_state_gradient``.
    """
    if not isinstance(initial_state_gradient, (bool, np.bool_)):
        raise TypeError(f"initial_state_gradient must be True or False, got {initial_state_gradient!r}")
    p = _prepare(params, xs, ys, s0, activation, loss)
    cache = _run_forward(p)
    U, V = p.params["U"], p.params["V"]
    u, s = cache["u"], cache["s"]
    B, z, n = u.shape
    g = p.loss_gradient(cache["yhat"], p.ys)  # g_t = ∂J_t/∂ŷ_t, (B, z, m)
    f_prime_u = p.f_prime(u)
    r = np.empty((B, z, n))
    r_next = np.zeros((B, n))  # r_{z+1}: nothing follows the last step
    for t in range(z, 0, -1):
        delta_t = g[:, t - 1] @ V + r_next @ U  # δ_t = Vᵀ g_t + Uᵀ r_{t+1}, as row vectors
        r_t = f_prime_u[:, t - 1] * delta_t
        r[:, t - 1] = r_next = r_t
    gradients = {
        "W": np.einsum("bti,btj->bij", r, p.xs),
        "U": np.einsum("bti,btj->bij", r, s[:, :-1]),
        "V": np.einsum("bti,btj->bij", g, s[:, 1:]),
    }
    if "b" in p.params:
        gradients["b"] = r.sum(axis=1)
    if "c" in p.params:
        gradients["c"] = g.sum(axis=1)
    if initial_state_gradient:
        gradients["s0"] = r[:, 0] @ U  # Uᵀ r_1
    J = cache["J"] if p.batched else cache["J"][0]
    return J, _squeeze(gradients, p.batched)


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
