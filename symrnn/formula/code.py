"""Verdicts on hand-written NumPy BPTT code: call it at random points, compare, and localise a wrong gradient."""

from __future__ import annotations

import importlib.util
import inspect
import os
import sys
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..numeric import reference
from ..spec import RNNSpec

CODE_TOLERANCE = 1e-7
"""Largest relative error (max |a - b| / max |b|) of a gradient that counts as right (float64 code)."""
MATCH_TOLERANCE = 1e-7
"""A wrong gradient is said to make a known mistake when it equals that mistake's gradient this closely."""
PROBE_LENGTHS = (1, 2, 3, 4)
"""Sequence lengths probed: the first at which a gradient goes wrong says which contributions are wrong."""
SEEDS = (0, 1, 2)
STYLES = ("symrnn", "minchar", "cs231n")
MISTAKES = (
    "missing recurrent term",
    "missing f'",
    "transposed",
    "off-by-one in time",
    "gradient not accumulated across steps",
    "wrong sign",
)


@dataclass(frozen=True)
class ParameterReport:
    """What is wrong with one gradient: where it first goes wrong, and the mistake it matches."""

    name: str
    ok: bool
    max_rel_error: float
    first_wrong_length: int | None = None
    first_wrong_step: int | None = None
    mistake: str | None = None

    def describe(self) -> str:
        if self.ok:
            return f"  d{self.name}: right (max relative error {self.max_rel_error:.1e})"
        parts = [f"  d{self.name}: WRONG (max relative error {self.max_rel_error:.2g})"]
        if self.first_wrong_length is not None:
            parts.append(
                f"first wrong at z = {self.first_wrong_length}"
                + (
                    " (the step's own contribution)"
                    if self.first_wrong_length == 1
                    else " (contributions carried back from later steps)"
                )
            )
        if self.first_wrong_step is not None:
            parts.append(f"the gradient of J_{self.first_wrong_step} is the first wrong one")
        if self.mistake:
            parts.append(f"matches: {self.mistake}")
        return "; ".join(parts)


@dataclass(frozen=True)
class CodeVerdict:
    """``holds`` / ``fails`` for a function, with one report per gradient it returns."""

    verdict: str
    style: str
    parameters: tuple[ParameterReport, ...] = ()
    diagnosis: str | None = None
    checked: int = 0
    extra: dict = field(default_factory=dict, repr=False)

    def as_json(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "style": self.style,
            "diagnosis": self.diagnosis,
            "checked_cases": self.checked,
            "parameters": [
                {
                    "name": p.name,
                    "ok": p.ok,
                    "max_rel_error": p.max_rel_error,
                    "first_wrong_length": p.first_wrong_length,
                    "first_wrong_step": p.first_wrong_step,
                    "mistake": p.mistake,
                }
                for p in self.parameters
            ],
        }

    def describe(self) -> str:
        lines = [f"{self.verdict} ({self.style} calling convention, {self.checked} cases checked)"]
        lines += [p.describe() for p in self.parameters]
        if self.diagnosis:
            lines.append(f"diagnosis: {self.diagnosis}")
        return "\n".join(lines)


# ---------------------------------------------------------------------------------- calling conventions
# An adapter calls the user's function on our data and returns its gradients in our names and layout
# (W (n,e), U (n,n), V (m,n), b (n,), c (m,)); absent keys were not computed by the function.
Adapter = Callable[
    [Callable, Mapping[str, np.ndarray], np.ndarray, np.ndarray, np.ndarray, RNNSpec], dict[str, np.ndarray]
]


def _symrnn_style(
    fn: Callable, params: Mapping, xs: np.ndarray, ys: np.ndarray, s0: np.ndarray, spec: RNNSpec
) -> dict[str, np.ndarray]:
    """``J, grads = fn(params, xs, ys, s0)`` with our names: the contract of ``symrnn.compile``."""
    result = fn({k: v.copy() for k, v in params.items()}, xs.copy(), ys.copy(), s0.copy())
    if not (isinstance(result, tuple) and len(result) == 2 and isinstance(result[1], Mapping)):
        raise TypeError("a symrnn-style function returns (J, {'W': dW, 'U': dU, ...})")
    return {str(k): np.asarray(v, dtype=float) for k, v in result[1].items()}


MINCHAR_NAMES = {"Wxh": "W", "Whh": "U", "Why": "V", "bh": "b", "by": "c"}


def _minchar_style(
    fn: Callable, params: Mapping, xs: np.ndarray, ys: np.ndarray, s0: np.ndarray, spec: RNNSpec
) -> dict[str, np.ndarray]:
    """Karpathy's min-char-rnn: ``loss, dWxh, dWhh, dWhy, dbh, dby, h = lossFun(inputs, targets, hprev)``.

    The weights are the module's globals Wxh, Whh, Why, bh, by (columns (n,1), (m,1) for the biases);
    inputs and targets are lists of character indices (one-hot x_t and y_t); the loss is softmax
    cross-entropy. The globals are set for the call and restored after it.
    """
    inputs = [int(i) for i in np.argmax(xs, axis=1)]
    targets = [int(i) for i in np.argmax(ys, axis=1)]
    module = fn.__globals__
    ours = {
        "Wxh": params["W"],
        "Whh": params["U"],
        "Why": params["V"],
        "bh": params["b"].reshape(-1, 1),
        "by": params["c"].reshape(-1, 1),
    }
    saved = {name: module[name] for name in ours if name in module}
    try:
        module.update({name: value.copy() for name, value in ours.items()})
        result = fn(inputs, targets, s0.reshape(-1, 1).copy())
    finally:
        for name in ours:
            if name in saved:
                module[name] = saved[name]
            else:
                module.pop(name, None)
    _, dWxh, dWhh, dWhy, dbh, dby = result[:6]
    return {
        "W": np.asarray(dWxh, float),
        "U": np.asarray(dWhh, float),
        "V": np.asarray(dWhy, float),
        "b": np.asarray(dbh, float).reshape(-1),
        "c": np.asarray(dby, float).reshape(-1),
    }


def _cs231n_style(
    fn: Callable, params: Mapping, xs: np.ndarray, ys: np.ndarray, s0: np.ndarray, spec: RNNSpec
) -> dict[str, np.ndarray]:
    """CS231n: ``h, cache = rnn_forward(x, h0, Wx, Wh, b)``; ``dx, dh0, dWx, dWh, db = rnn_backward(dh, cache)``.

    Or the step pair ``rnn_step_forward(x, prev_h, Wx, Wh, b)`` / ``rnn_step_backward(dnext_h, cache)``,
    with the time loop ours. Their weights are ours transposed (``x Wx``: Wx = Wᵀ, Wh = Uᵀ); ``dh`` is the
    gradient of our loss through our output layer (ŷ_t = V h_t + c), and dWx, dWh, db are compared.
    """
    module = fn.__globals__
    x, h0 = xs[np.newaxis].copy(), s0[np.newaxis].copy()
    Wx, Wh, b = params["W"].T.copy(), params["U"].T.copy(), params["b"].copy()
    direct = _direct_state_gradients(params, xs, ys, s0, spec)  # ∂J_t/∂h_t through ŷ_t only, (z, n)
    if _is_step(fn):
        step_forward = module["rnn_step_forward"]
        caches, h = [], h0[0:1]
        for t in range(xs.shape[0]):
            h, cache = step_forward(x[:, t], h, Wx, Wh, b)
            caches.append(cache)
        dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b)
        dnext = np.zeros((1, spec.n))
        for t in reversed(range(xs.shape[0])):
            _, dnext, dWx_t, dWh_t, db_t = fn(direct[t][np.newaxis] + dnext, caches[t])
            dWx, dWh, db = dWx + dWx_t, dWh + dWh_t, db + db_t
    else:
        _, cache = module["rnn_forward"](x, h0, Wx, Wh, b)
        _, _, dWx, dWh, db = fn(direct[np.newaxis].copy(), cache)
    return {
        "W": np.asarray(dWx, float).T,
        "U": np.asarray(dWh, float).T,
        "b": np.asarray(db, float).reshape(-1),
    }


def _is_step(fn: Callable) -> bool:
    return "step_backward" in fn.__name__ or (
        "rnn_step_forward" in fn.__globals__ and "rnn_forward" not in fn.__globals__
    )


def _check_convention(function: Callable, style: str) -> None:
    """Refuse (ValueError) what no call could fix: a missing companion function or module global."""
    module = getattr(function, "__globals__", {})
    if style == "cs231n":
        needed = "rnn_step_forward" if _is_step(function) else "rnn_forward"
        if not callable(module.get(needed)):
            raise ValueError(f"--style cs231n: {function.__name__} needs {needed} in the same file")


ADAPTERS: dict[str, Adapter] = {"symrnn": _symrnn_style, "minchar": _minchar_style, "cs231n": _cs231n_style}


def _direct_state_gradients(
    params: Mapping, xs: np.ndarray, ys: np.ndarray, s0: np.ndarray, spec: RNNSpec
) -> np.ndarray:
    """``Vᵀ ∂J_t/∂ŷ_t`` for each t, rows (z, n): what flows into h_t from its own output."""
    cache = reference.forward(dict(params), xs, ys, s0, activation=spec.activation, loss=spec.loss)
    yhat = np.asarray(cache["yhat"])
    if spec.loss == "ce":
        p = np.exp(yhat - yhat.max(axis=1, keepdims=True))
        g = p / p.sum(axis=1, keepdims=True) * ys.sum(axis=1, keepdims=True) - ys
    else:
        g = yhat - ys
    return g @ params["V"]


# ---------------------------------------------------------------------------------- truth and mistakes
def _bptt(
    params: Mapping, xs: np.ndarray, ys: np.ndarray, s0: np.ndarray, spec: RNNSpec, mistake: str | None = None
) -> dict[str, np.ndarray]:
    """Our own BPTT, optionally with one classic mistake: the catalogue a wrong gradient is matched against."""
    f, f_prime = reference.ACTIVATIONS[spec.activation]
    W, U, V, b, c = (params[k] for k in ("W", "U", "V", "b", "c"))
    z = xs.shape[0]
    s, u = [s0], []
    for t in range(z):
        u.append(W @ xs[t] + U @ s[-1] + b)
        s.append(f(u[-1]))
    yhat = np.array([V @ s[t + 1] + c for t in range(z)])
    if spec.loss == "ce":
        p = np.exp(yhat - yhat.max(axis=1, keepdims=True))
        g = p / p.sum(axis=1, keepdims=True) * ys.sum(axis=1, keepdims=True) - ys
    else:
        g = yhat - ys
    grads = {k: np.zeros_like(v) for k, v in params.items()}
    r_next = np.zeros_like(b)
    for t in reversed(range(z)):
        delta = V.T @ g[t] + (0.0 if mistake == "missing recurrent term" else U.T @ r_next)
        r = delta if mistake == "missing f'" else f_prime(u[t]) * delta
        s_prev = s[t + 1] if mistake == "off-by-one in time" else s[t]
        contributions = {
            "W": np.outer(r, xs[t]),
            "U": np.outer(r, s_prev),
            "b": r,
            "V": np.outer(g[t], s[t + 1]),
            "c": g[t],
        }
        for name, value in contributions.items():
            grads[name] = value if mistake == "gradient not accumulated across steps" else grads[name] + value
        r_next = r
    if mistake == "transposed":
        grads = {k: v.T for k, v in grads.items()}
    if mistake == "wrong sign":
        grads = {k: -v for k, v in grads.items()}
    return grads


def _truth(
    params: Mapping, xs: np.ndarray, ys: np.ndarray, s0: np.ndarray, spec: RNNSpec
) -> dict[str, np.ndarray]:
    """The right gradients, from the independent oracle ``symrnn.numeric.reference`` (NumPy only)."""
    _, gradients = reference.loss_and_gradients(
        dict(params), xs, ys, s0, activation=spec.activation, loss=spec.loss
    )
    return {name: np.asarray(value, dtype=float) for name, value in gradients.items()}


def _relative(a: np.ndarray, b: np.ndarray) -> float:
    if a.shape != b.shape:
        return float("inf")
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        return float("inf")
    scale = max(float(np.abs(b).max(initial=0.0)), float(np.abs(a).max(initial=0.0)), 1e-12)
    return float(np.abs(a - b).max(initial=0.0)) / scale


def _point(spec: RNNSpec, z: int, seed: int, style: str) -> tuple[dict, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    e, n, m = spec.e, spec.n, spec.m
    params = {
        "W": rng.uniform(-0.9, 0.9, (n, e)),
        "U": rng.uniform(-0.9, 0.9, (n, n)),
        "V": rng.uniform(-0.9, 0.9, (m, n)),
        "b": rng.uniform(-0.5, 0.5, n),
        "c": rng.uniform(-0.5, 0.5, m),
    }
    if style == "minchar" or spec.loss == "ce":
        if style == "minchar":
            xs = np.eye(e)[rng.integers(0, e, z)]
            ys = np.eye(m)[rng.integers(0, m, z)]
        else:
            xs = rng.uniform(-0.9, 0.9, (z, e))
            weights = rng.uniform(0.1, 1.0, (z, m))
            ys = weights / weights.sum(axis=1, keepdims=True)
    else:
        xs, ys = rng.uniform(-0.9, 0.9, (z, e)), rng.uniform(-0.9, 0.9, (z, m))
    s0 = rng.uniform(-0.5, 0.5, n)
    return params, xs, ys, s0


def _only_step(
    params: dict, xs: np.ndarray, ys: np.ndarray, s0: np.ndarray, spec: RNNSpec, k: int
) -> np.ndarray:
    """Targets that make every loss but J_k stationary (y_t = ŷ_t for sse, softmax(ŷ_t) for ce)."""
    cache = reference.forward(params, xs, ys, s0, activation=spec.activation, loss=spec.loss)
    yhat = np.asarray(cache["yhat"])
    if spec.loss == "ce":
        p = np.exp(yhat - yhat.max(axis=1, keepdims=True))
        yhat = p / p.sum(axis=1, keepdims=True)
    probe = yhat.copy()
    probe[k - 1] = ys[k - 1]
    return probe


def verify_function(
    function: Callable, spec: RNNSpec | None = None, *, style: str = "symrnn", z_max: int = 4
) -> CodeVerdict:
    """Check a hand-written NumPy BPTT function against the truth and localise a wrong gradient.

    Args:
        function: the user's function, called as its ``style`` says (see ADAPTERS and the README):
            "symrnn" ``J, grads = f(params, xs, ys, s0)``; "minchar" Karpathy's ``lossFun(inputs,
            targets, hprev)`` with the weights as module globals; "cs231n" ``rnn_backward(dh, cache)`` (with
            ``rnn_forward`` in the same module) or ``rnn_step_backward(dnext_h, cache)`` (with
            ``rnn_step_forward``).
        spec: the model (sizes, activation, loss); z is ignored (lengths 1..z_max are probed).
        style: the calling convention.
        z_max: longest sequence probed.

    Returns:
        A :class:`CodeVerdict`: per returned gradient right or wrong, the first sequence length and
        the first step whose loss it gets wrong, and the classic mistake it equals (MISTAKES), if any.
    """
    if style not in ADAPTERS:
        raise ValueError(f"unknown --style {style!r}; expected one of {', '.join(STYLES)}")
    if not callable(function):
        raise TypeError("verify_function needs a callable")
    if not isinstance(z_max, int) or isinstance(z_max, bool) or not 1 <= z_max <= 12:
        raise ValueError(f"--z-max must be an integer in 1..12, got {z_max!r}")
    spec = spec if spec is not None else RNNSpec(e=3, n=2, m=2)
    if spec.activation not in reference.ACTIVATIONS:
        raise ValueError("verify_function supports the activations tanh, sigmoid, relu and identity")
    if style == "minchar":
        spec = (
            spec.replace(loss="ce", m=spec.e, bias=True) if (spec.loss != "ce" or spec.m != spec.e) else spec
        )
    if spec.loss == "ce" and spec.m < 2:
        raise ValueError("--loss ce needs --m 2 or more: with one output the loss is identically 0")
    if style == "cs231n":
        spec = spec.replace(activation="tanh")  # CS231n's vanilla RNN is tanh
    if not spec.bias:
        spec = spec.replace(bias=True)  # every supported convention has biases
    adapter = ADAPTERS[style]
    _check_convention(function, style)
    errors: dict[str, float] = {}
    first_length: dict[str, int] = {}
    samples: dict[str, list] = {}
    checked = 0
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        for z in range(1, z_max + 1):
            for seed in SEEDS:
                params, xs, ys, s0 = _point(spec, z, seed, style)
                try:
                    got = adapter(function, params, xs, ys, s0, spec)
                except Exception as error:
                    return CodeVerdict(
                        "fails",
                        style,
                        diagnosis=f"the function raised {type(error).__name__}: {error} (at z = {z})",
                        checked=checked,
                    )
                truth = _truth(params, xs, ys, s0, spec)
                checked += 1
                for name, value in got.items():
                    if name not in truth:
                        continue
                    error = _relative(value, truth[name])
                    errors[name] = max(errors.get(name, 0.0), error)
                    if error > CODE_TOLERANCE:
                        first_length.setdefault(name, z)
                        samples.setdefault(name, []).append((params, xs, ys, s0, value))
        reports = []
        for name in sorted(errors, key=lambda k: "WUVbc".index(k) if k in "WUVbc" else 9):
            if errors[name] <= CODE_TOLERANCE:
                reports.append(ParameterReport(name, True, errors[name]))
                continue
            mistake = _classify(name, samples[name], spec)
            step = _first_wrong_step(function, adapter, name, spec, style)
            reports.append(ParameterReport(name, False, errors[name], first_length[name], step, mistake))
    wrong = [r for r in reports if not r.ok]
    if not reports:
        return CodeVerdict(
            "fails",
            style,
            diagnosis="the function returned none of the gradients W, U, V, b, c",
            checked=checked,
        )
    if not wrong:
        return CodeVerdict("holds", style, tuple(reports), checked=checked)
    words = "; ".join(f"d{r.name}" + (f": {r.mistake}" if r.mistake else "") for r in wrong)
    return CodeVerdict("fails", style, tuple(reports), diagnosis=f"wrong gradients: {words}", checked=checked)


def _classify(name: str, samples: list, spec: RNNSpec) -> str | None:
    """The first classic mistake whose gradient equals the function's at every wrong sample."""
    for mistake in MISTAKES:
        if all(
            _relative(value, _bptt(params, xs, ys, s0, spec, mistake)[name]) <= MATCH_TOLERANCE
            for params, xs, ys, s0, value in samples
        ):
            return mistake
    return None


def _first_wrong_step(
    function: Callable, adapter: Adapter, name: str, spec: RNNSpec, style: str
) -> int | None:
    """With every loss but J_k made stationary (single-step probes), the first k whose gradient is wrong."""
    if style == "minchar":
        return None  # one-hot targets cannot make a step's loss stationary
    z = min(3, max(PROBE_LENGTHS))
    params, xs, ys, s0 = _point(spec, z, SEEDS[0], style)
    for k in range(1, z + 1):
        probe = _only_step(params, xs, ys, s0, spec, k)
        got = adapter(function, params, xs, probe, s0, spec).get(name)
        if got is not None and _relative(got, _truth(params, xs, probe, s0, spec)[name]) > CODE_TOLERANCE:
            return k
    return None


def load_function(target: str) -> Callable:
    """``FILE.py:FUNCTION`` -> the function, importing the user's file (only on their request: --python)."""
    path, _, name = target.rpartition(":")
    if not path or not name or not name.isidentifier():
        raise ValueError(f"--python expects FILE.py:FUNCTION, got {target!r}")
    if not os.path.isfile(path):
        raise ValueError(f"--python: no file {path}")
    spec = importlib.util.spec_from_file_location(f"symrnn_user_{abs(hash(path))}", path)
    if spec is None or spec.loader is None:
        raise ValueError(f"--python: cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    directory = os.path.dirname(os.path.abspath(path))
    sys.path.insert(0, directory)
    try:
        spec.loader.exec_module(module)
    except Exception as error:
        raise ValueError(f"--python: importing {path} raised {type(error).__name__}: {error}") from None
    finally:
        sys.path.remove(directory)
    function = getattr(module, name, None)
    if not callable(function) or not inspect.isfunction(function):
        raise ValueError(f"--python: {path} has no function {name}")
    return function
