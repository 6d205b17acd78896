"""Tests of the NumPy oracle: hand-written BPTT against finite differences, batches and hand derivations."""

from __future__ import annotations

import ast
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from symrnn.numeric.finite_diff import DEFAULT_STEP, central_difference_gradients
from symrnn.numeric.reference import ACTIVATIONS, LOSSES, forward, loss_and_gradients, relative_error

NUMERIC_DIR = Path(__file__).resolve().parents[1] / "symrnn" / "numeric"
FINITE_DIFF_TOLERANCE = 1e-6  # central differences with h = 1e-6 are good to ~1e-9 here
EXACT_TOLERANCE = 1e-12  # the same arithmetic reordered (batch vs single, code vs hand formula)
RELU_MARGIN = 1e-3  # keep every u_t this far from relu's kink: a step of 1e-6 never crosses it


def random_case(
    rng: np.random.Generator,
    *,
    z: int,
    e: int,
    n: int,
    m: int,
    bias: bool,
    loss: str,
    batch: int | None = None,
) -> tuple[dict, np.ndarray, np.ndarray, np.ndarray]:
    """Parameters, xs, ys and s0 of moderate size (so that gradients neither vanish nor explode)."""
    lead = () if batch is None else (batch,)
    params = {
        "W": rng.normal(0, 0.8, (n, e)),
        "U": rng.normal(0, 0.5, (n, n)),
        "V": rng.normal(0, 0.8, (m, n)),
    }
    if bias:
        params |= {"b": rng.normal(0, 0.5, n), "c": rng.normal(0, 0.5, m)}
    xs = rng.normal(0, 1, (*lead, z, e))
    if loss == "ce":  # probability vectors, and sometimes unnormalised ones (the gradient is exact for both)
        ys = rng.dirichlet(np.ones(m), size=(*lead, z)) * (1.0 if rng.random() < 0.5 else rng.uniform(0.2, 3))
    else:
        ys = rng.normal(0, 1, (*lead, z, m))
    return params, xs, ys, rng.normal(0, 0.5, (*lead, n))


def flat(gradients: dict) -> np.ndarray:
    return np.concatenate([np.ravel(gradients[key]) for key in sorted(gradients)])


# ------------------------------------------------------------------- (a) an oracle independent of SymPy
STANDALONE_SCRIPT = """
import importlib, importlib.util, sys, types
numeric_dir = sys.argv[1]
# reference.py on its own, as a top-level module.
spec = importlib.util.spec_from_file_location("standalone_reference", numeric_dir + "/reference.py")
reference = importlib.util.module_from_spec(spec)
spec.loader.exec_module(reference)
# finite_diff.py imports `.reference`: give both a stub parent package whose __init__ is never run.
package = types.ModuleType("standalone_numeric")
package.__path__ = [numeric_dir]
sys.modules["standalone_numeric"] = package
finite_diff = importlib.import_module("standalone_numeric.finite_diff")
params = {"W": [[0.5]], "U": [[0.3]], "V": [[0.7]]}
J, gradients = reference.loss_and_gradients(params, [[1.0], [2.0]], [[0.5], [0.1]])
numeric = finite_diff.central_difference_gradients(params, [[1.0], [2.0]], [[0.5], [0.1]])
assert reference.relative_error(gradients["W"], numeric["W"]) < 1e-6
for cell, G in (("lstm", 4), ("gru", 3)):  # the gated cells too, and the autonomous system (e = 0, no W)
    params = {"U": [[0.3]] * G, "V": [[0.7]], "b": [0.1] * G}
    J, gradients = reference.loss_and_gradients(params, [[], []], [[0.5], [0.1]], cell=cell)
    numeric = finite_diff.central_difference_gradients(params, [[], []], [[0.5], [0.1]], cell=cell)
    assert reference.relative_error(gradients["U"], numeric["U"]) < 1e-6
assert "sympy" not in sys.modules, "the oracle loaded sympy"
assert not any(name == "symrnn" or name.startswith("symrnn.") for name in sys.modules)
print("ok")
"""


def test_oracle_loads_in_a_fresh_interpreter_without_sympy():
    # `import symrnn.numeric.reference` would first run symrnn/__init__.py, which imports SymPy, so the
    # subprocess loads the files by path: reference.py as a top-level module, finite_diff.py inside a stub
    # package (its one relative import, `.reference`, then resolves without touching symrnn/__init__.py).
    result = subprocess.run(
        [sys.executable, "-c", STANDALONE_SCRIPT, str(NUMERIC_DIR)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


@pytest.mark.parametrize(
    "filename, allowed",
    [
        ("reference.py", {"__future__", "typing", "collections.abc", "numpy", "numpy.typing"}),
        (
            "finite_diff.py",
            {"__future__", "typing", "collections.abc", "numpy", "numpy.typing", ".reference"},
        ),
    ],
)
def test_oracle_imports_numpy_only(filename, allowed):
    tree = ast.parse((NUMERIC_DIR / filename).read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add("." * node.level + (node.module or ""))
    assert imported <= allowed, f"unexpected imports {imported - allowed}"


# ----------------------------------------------------------- (b) hand-written BPTT vs central differences
@pytest.mark.parametrize("bias", [True, False], ids=["bias", "no-bias"])
@pytest.mark.parametrize("loss", sorted(LOSSES))
@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
@settings(
    max_examples=12,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.filter_too_much],
)
@given(
    z=st.integers(1, 5),
    e=st.integers(1, 3),
    n=st.integers(1, 3),
    m=st.integers(1, 3),
    seed=st.integers(0, 2**32 - 1),
    zero_s0=st.booleans(),
)
def test_bptt_matches_central_differences(activation, loss, bias, z, e, n, m, seed, zero_s0):
    params, xs, ys, s0 = random_case(np.random.default_rng(seed), z=z, e=e, n=n, m=m, bias=bias, loss=loss)
    s0 = None if zero_s0 else s0
    kwargs = {"activation": activation, "loss": loss, "initial_state_gradient": True}
    if activation == "relu":
        assume(np.min(np.abs(forward(params, xs, ys, s0, activation="relu", loss=loss)["u"])) > RELU_MARGIN)
    J, analytic = loss_and_gradients(params, xs, ys, s0, **kwargs)
    numeric = central_difference_gradients(params, xs, ys, s0, **kwargs)
    expected_keys = {"W", "U", "V", "s0"} | ({"b", "c"} if bias else set())
    assert set(analytic) == set(numeric) == expected_keys
    shapes = {"W": (n, e), "U": (n, n), "V": (m, n), "b": (n,), "c": (m,), "s0": (n,)}
    assert all(analytic[key].shape == numeric[key].shape == shapes[key] for key in expected_keys)
    assert np.ndim(J) == 0
    error = relative_error(flat(analytic), flat(numeric))  # one scale for the whole gradient
    assert error < FINITE_DIFF_TOLERANCE, f"analytic: {flat(analytic)} numeric: {flat(numeric)}"


def test_user_activation_pair_matches_central_differences():
    params, xs, ys, s0 = random_case(np.random.default_rng(7), z=3, e=2, n=3, m=2, bias=True, loss="sse")
    activation = (np.sin, np.cos)
    _, analytic = loss_and_gradients(params, xs, ys, s0, activation=activation, initial_state_gradient=True)
    numeric = central_difference_gradients(
        params, xs, ys, s0, activation=activation, initial_state_gradient=True
    )
    assert relative_error(flat(analytic), flat(numeric)) < FINITE_DIFF_TOLERANCE


def test_a_wrong_derivative_is_caught():
    params, xs, ys, s0 = random_case(np.random.default_rng(8), z=3, e=2, n=2, m=2, bias=True, loss="sse")
    wrong = (np.tanh, lambda u: 1.0 - np.tanh(u))  # forgot the square
    _, analytic = loss_and_gradients(params, xs, ys, s0, activation=wrong)
    numeric = central_difference_gradients(params, xs, ys, s0, activation=wrong)
    assert relative_error(flat(analytic), flat(numeric)) > 1e-3


# --------------------------------------------------------------------- (c) a batch is B independent calls
@pytest.mark.parametrize("s0_kind", ["none", "shared", "per-sequence"])
@pytest.mark.parametrize("activation, loss", [("tanh", "sse"), ("sigmoid", "ce"), ("identity", "ce")])
def test_batch_equals_single_calls(activation, loss, s0_kind):
    B = 4
    params, xs, ys, s0 = random_case(
        np.random.default_rng(3), z=3, e=2, n=3, m=2, bias=True, loss=loss, batch=B
    )
    s0_arg = {"none": None, "shared": s0[0], "per-sequence": s0}[s0_kind]
    kwargs = {"activation": activation, "loss": loss, "initial_state_gradient": True}
    J, gradients = loss_and_gradients(params, xs, ys, s0_arg, **kwargs)
    numeric = central_difference_gradients(params, xs, ys, s0_arg, **kwargs)
    outputs = forward(params, xs, ys, s0_arg, activation=activation, loss=loss)
    assert J.shape == (B,)
    assert (
        gradients["W"].shape == (B, 3, 2)
        and gradients["s0"].shape == (B, 3)
        and numeric["U"].shape == (B, 3, 3)
    )
    for i in range(B):
        s0_i = {"none": None, "shared": s0[0], "per-sequence": s0[i]}[s0_kind]
        J_i, gradients_i = loss_and_gradients(params, xs[i], ys[i], s0_i, **kwargs)
        outputs_i = forward(params, xs[i], ys[i], s0_i, activation=activation, loss=loss)
        assert relative_error(J[i], J_i) < EXACT_TOLERANCE
        for key in gradients_i:
            assert relative_error(gradients[key][i], gradients_i[key]) < EXACT_TOLERANCE, key
            assert relative_error(numeric[key][i], gradients_i[key]) < FINITE_DIFF_TOLERANCE, key
        for key in ("u", "s", "yhat", "J_t"):
            assert relative_error(outputs[key][i], outputs_i[key]) < EXACT_TOLERANCE, key


def test_forward_outputs_shapes_and_consistency():
    params, xs, ys, s0 = random_case(np.random.default_rng(4), z=4, e=2, n=3, m=2, bias=True, loss="sse")
    out = forward(params, xs, ys, s0)
    assert out["u"].shape == (4, 3) and out["s"].shape == (5, 3) and out["yhat"].shape == (4, 2)
    assert out["J_t"].shape == (4,) and np.ndim(out["J"]) == 0
    assert relative_error(out["s"][0], s0) < EXACT_TOLERANCE
    assert relative_error(out["J"], out["J_t"].sum()) < EXACT_TOLERANCE
    assert relative_error(out["s"][1:], np.tanh(out["u"])) < EXACT_TOLERANCE


# ------------------------------------------------------------- (d) analytic checks written out by hand
def test_one_step_identity_sse_by_hand():
    W, U, V = np.array([[1.0, -2.0], [0.5, 0.0]]), np.array([[0.1, 0.2], [0.3, 0.4]]), np.array([[2.0, -1.0]])
    b, c = np.array([0.1, -0.1]), np.array([0.5])
    x, y, s0 = np.array([0.3, 0.7]), np.array([1.5]), np.array([1.0, -1.0])
    s1 = np.array(
        [1.0 * 0.3 - 2.0 * 0.7 + 0.1 * 1.0 - 0.2 * 1.0 + 0.1, 0.5 * 0.3 + 0.3 * 1.0 - 0.4 * 1.0 - 0.1]
    )  # W x + U s0 + b, entry by entry
    yhat = 2.0 * s1[0] - 1.0 * s1[1] + 0.5
    params = {"W": W, "U": U, "V": V, "b": b, "c": c}
    J, g = loss_and_gradients(
        params, x[None], y[None], s0, activation="identity", initial_state_gradient=True
    )
    error = yhat - 1.5
    assert abs(J - 0.5 * error**2) < EXACT_TOLERANCE
    assert relative_error(g["V"], [[error * s1[0], error * s1[1]]]) < EXACT_TOLERANCE  # (ŷ − y) s_1ᵀ
    assert relative_error(g["c"], [error]) < EXACT_TOLERANCE
    delta = error * np.array([2.0, -1.0])  # Vᵀ (ŷ − y)
    W_by_hand = [[delta[0] * 0.3, delta[0] * 0.7], [delta[1] * 0.3, delta[1] * 0.7]]  # Vᵀ(ŷ − y) x_1ᵀ
    assert relative_error(g["W"], W_by_hand) < EXACT_TOLERANCE
    assert relative_error(g["U"], [[delta[0], -delta[0]], [delta[1], -delta[1]]]) < EXACT_TOLERANCE
    assert relative_error(g["b"], delta) < EXACT_TOLERANCE
    assert (
        relative_error(g["s0"], [0.1 * delta[0] + 0.3 * delta[1], 0.2 * delta[0] + 0.4 * delta[1]])
        < EXACT_TOLERANCE
    )


def test_scalar_tanh_two_steps_closed_form():
    w, u, v, b, c, s0 = 0.7, -0.4, 1.3, 0.2, -0.1, 0.5
    x1, x2, y1, y2 = 0.9, -1.2, 0.3, -0.6
    s1 = math.tanh(w * x1 + u * s0 + b)
    s2 = math.tanh(w * x2 + u * s1 + b)
    e1, e2 = v * s1 + c - y1, v * s2 + c - y2  # ŷ_t − y_t
    d1, d2 = 1 - s1**2, 1 - s2**2  # tanh'(u_t)
    expected = {  # J = ½e1² + ½e2²; s2 depends on w, u, b also through s1 (the second term of each)
        "W": e1 * v * d1 * x1 + e2 * v * d2 * (x2 + u * d1 * x1),
        "U": e1 * v * d1 * s0 + e2 * v * d2 * (s1 + u * d1 * s0),
        "b": e1 * v * d1 + e2 * v * d2 * (1 + u * d1),
        "V": e1 * s1 + e2 * s2,
        "c": e1 + e2,
        "s0": e1 * v * d1 * u + e2 * v * d2 * u * d1 * u,
    }
    params = {"W": [[w]], "U": [[u]], "V": [[v]], "b": [b], "c": [c]}
    J, g = loss_and_gradients(params, [[x1], [x2]], [[y1], [y2]], [s0], initial_state_gradient=True)
    assert abs(J - 0.5 * (e1**2 + e2**2)) < EXACT_TOLERANCE
    for key, value in expected.items():
        assert relative_error(np.ravel(g[key]), [value]) < EXACT_TOLERANCE, key


def test_cross_entropy_one_hot_is_softmax_minus_y():
    logits = [2.0, -1.0, 0.5]
    total = sum(math.exp(a) for a in logits)
    softmax = [math.exp(a) / total for a in logits]
    y = [0.0, 0.0, 1.0]
    # z = 1, identity state with W = I, U = 0, V = I: ŷ_1 = x_1, so ∂J/∂c = ∂J/∂ŷ_1.
    params = {"W": np.eye(3), "U": np.zeros((3, 3)), "V": np.eye(3), "b": np.zeros(3), "c": np.zeros(3)}
    J, g = loss_and_gradients(params, [logits], [y], activation="identity", loss="ce")
    assert abs(J + math.log(softmax[2])) < EXACT_TOLERANCE
    assert relative_error(g["c"], [p - t for p, t in zip(softmax, y)]) < EXACT_TOLERANCE


def test_activation_table_values():
    u = np.array([-2.0, 0.0, 3.0])
    assert relative_error(ACTIVATIONS["relu"][1](u), [0.0, 0.0, 1.0]) < EXACT_TOLERANCE  # relu'(0) = 0
    sigmoid_by_hand = [1 / (1 + math.exp(2)), 0.5, 1 / (1 + math.exp(-3))]
    assert relative_error(ACTIVATIONS["sigmoid"][0](u), sigmoid_by_hand) < EXACT_TOLERANCE
    tanh_prime_by_hand = [1 - math.tanh(-2) ** 2, 1.0, 1 - math.tanh(3) ** 2]
    assert relative_error(ACTIVATIONS["tanh"][1](u), tanh_prime_by_hand) < EXACT_TOLERANCE
    assert relative_error(ACTIVATIONS["identity"][1](u), np.ones(3)) < EXACT_TOLERANCE


def test_extreme_values_stay_finite_without_warnings():  # warnings are errors in this suite
    sigmoid = ACTIVATIONS["sigmoid"][0](np.array([-1000.0, 1000.0]))
    assert relative_error(sigmoid, [0.0, 1.0]) < EXACT_TOLERANCE
    params = {"W": np.eye(2), "U": np.zeros((2, 2)), "V": np.eye(2)}
    J, g = loss_and_gradients(params, [[1000.0, -1000.0]], [[0.0, 1.0]], activation="identity", loss="ce")
    assert (
        abs(J - 2000.0) < 1e-9
        and relative_error(g["V"], [[1000.0, -1000.0], [-1000.0, 1000.0]]) < EXACT_TOLERANCE
    )


def test_relative_error_definition():
    assert abs(relative_error([1.0, 2.0], [1.0, 2.5]) - 0.5 / 2.5) < 1e-15
    assert relative_error(np.zeros(3), np.zeros(3)) < 1e-300
    assert abs(relative_error([0.0], [1e-13]) - 0.1) < 1e-12  # the 1e-12 floor
    assert relative_error([1.0, np.nan], [1.0, np.nan]) == math.inf
    with pytest.raises(ValueError, match="equal shapes"):
        relative_error(np.zeros(2), np.zeros(3))


# -------------------------------------------------------------------- (e) bad inputs name the argument
def _good() -> dict:
    return {
        "params": {"W": np.ones((2, 3)), "U": np.eye(2), "V": np.ones((1, 2)), "b": np.zeros(2), "c": None},
        "xs": np.ones((4, 3)),
        "ys": np.ones((4, 1)),
        "s0": None,
    }


def _with(**changes) -> dict:
    arguments = _good()
    for key, value in changes.items():
        if key not in arguments:  # a parameter name (or a wrong one)
            arguments["params"] = {**arguments["params"], key: value}
        else:
            arguments[key] = value
    return arguments


BAD_INPUTS = [
    (_with(W=np.ones(3)), ValueError, r"params\['W'\].*\(n, e\)"),
    (_with(U=np.eye(3)), ValueError, r"params\['U'\].*\(2, 2\), got \(3, 3\)"),
    (_with(V=np.ones((1, 3))), ValueError, r"params\['V'\]"),
    (_with(b=np.zeros(3)), ValueError, r"params\['b'\].*\(2,\), got \(3,\)"),
    (_with(c=np.zeros(2)), ValueError, r"params\['c'\].*\(1,\), got \(2,\)"),
    (_with(W=None), ValueError, r"missing W"),
    (_with(Q=np.ones(2)), ValueError, r"unknown key\(s\) Q"),
    (_with(params=[1, 2]), TypeError, r"params must be a dict"),
    (_with(xs=np.ones((4, 2))), ValueError, r"xs has 2 inputs per step"),
    (_with(xs=np.ones(4)), ValueError, r"xs must have shape"),
    (_with(ys=np.ones((3, 1))), ValueError, r"ys must have shape \(z, m\) = \(4, 1\), got \(3, 1\)"),
    (_with(xs=np.ones((2, 4, 3))), ValueError, r"ys must have shape \(B, z, m\) = \(2, 4, 1\)"),
    (_with(s0=np.ones(3)), ValueError, r"s0 must have shape \(n,\) = \(2,\), got \(3,\)"),
    (_with(s0=np.ones((1, 2))), ValueError, r"s0 must have shape"),
    (_with(xs=np.full((4, 3), np.nan)), ValueError, r"xs contains NaN or inf"),
    (_with(ys=np.array([[1.0], [np.inf], [0.0], [0.0]])), ValueError, r"ys contains NaN or inf"),
    (_with(U=np.array([[1.0, -np.inf], [0.0, 1.0]])), ValueError, r"params\['U'\] contains NaN or inf"),
    (_with(s0=[np.nan, 0.0]), ValueError, r"s0 contains NaN or inf"),
    (_with(xs=np.full((4, 3), "a")), TypeError, r"xs must hold real numbers"),
    (_with(ys=np.ones((4, 1), dtype=bool)), TypeError, r"ys must hold real numbers"),
    (_with(xs=[[1.0, 2.0, 3.0], [1.0]]), ValueError, r"xs must be a rectangular array"),
    (_with(xs=np.ones((0, 3)), ys=np.ones((0, 1))), ValueError, r"xs must hold at least one"),
]


@pytest.mark.parametrize("arguments, error, message", BAD_INPUTS)
@pytest.mark.parametrize("function", [forward, loss_and_gradients, central_difference_gradients])
def test_bad_inputs_name_the_argument(function, arguments, error, message):
    with pytest.raises(error, match=message):
        function(arguments["params"], arguments["xs"], arguments["ys"], arguments["s0"])


@pytest.mark.parametrize(
    "options, error, message",
    [
        (
            {"activation": "softplus"},
            ValueError,
            r"unknown activation 'softplus'; choose one of tanh, sigmoid",
        ),
        ({"activation": 3}, TypeError, r"activation must be one of"),
        ({"activation": (np.tanh,)}, TypeError, r"activation must be one of"),
        ({"activation": (np.sum, np.sum)}, ValueError, r"activation f returned shape"),
        ({"loss": "mse"}, ValueError, r"unknown loss 'mse'; choose one of sse, ce"),
        ({"loss": None}, TypeError, r"loss must be a name"),
    ],
)
def test_bad_options_name_the_argument(options, error, message):
    arguments = _good()
    for function in (forward, loss_and_gradients, central_difference_gradients):
        with pytest.raises(error, match=message):
            function(arguments["params"], arguments["xs"], arguments["ys"], **options)


@pytest.mark.parametrize(
    "step, error",
    [(0.0, ValueError), (-1e-6, ValueError), (math.inf, ValueError), ("1e-6", TypeError), (True, TypeError)],
)
def test_bad_step(step, error):
    arguments = _good()
    with pytest.raises(error, match="step"):
        central_difference_gradients(arguments["params"], arguments["xs"], arguments["ys"], step=step)


def test_default_step_is_the_documented_one():
    assert 1e-8 <= DEFAULT_STEP <= 1e-4
