"""symrnn codegen: a standalone NumPy module, imported in a fresh interpreter, against the reference."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import sympy

from symrnn import RNNSpec, __version__
from symrnn.cli import main
from symrnn.numeric.codegen import generate_module
from symrnn.numeric.reference import loss_and_gradients, relative_error

REFERENCE_TOLERANCE = 1e-10  # DESIGN.md: compiled vs the hand-written reference

RUNNER = r"""
import importlib.util, json, sys
import numpy as np
spec = importlib.util.spec_from_file_location("generated", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
data = json.loads(sys.stdin.read())
arrays = {key: np.array(value) for key, value in data.items() if value is not None}
names = [name for name in ("W", "U", "V", "b", "c") if name in arrays]
J, grads = module.loss_and_grad({name: arrays[name] for name in names}, arrays["xs"], arrays["ys"], arrays.get("s0"))
errors = []
for bad in ("shape", "nan"):
    xs = arrays["xs"][..., :-1] if bad == "shape" else np.full_like(arrays["xs"], np.nan)
    try:
        module.loss_and_grad({name: arrays[name] for name in names}, xs, arrays["ys"])
    except ValueError as error:
        errors.append(str(error))
loaded = sorted(name for name in sys.modules if name.split(".")[0] in ("sympy", "symrnn"))
print(json.dumps({"J": np.asarray(J).tolist(), "grads": {k: v.tolist() for k, v in grads.items()},
                  "loaded": loaded, "errors": errors, "doc": module.__doc__}))
"""


def run_generated(path: Path, arrays: dict) -> dict:
    payload = json.dumps(
        {key: (None if value is None else np.asarray(value).tolist()) for key, value in arrays.items()}
    )
    completed = subprocess.run(
        [sys.executable, "-c", RUNNER, str(path)],
        input=payload,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return json.loads(completed.stdout)


@pytest.mark.parametrize(
    "activation, loss, bias, batch",
    [
        ("tanh", "sse", True, None),
        ("sigmoid", "ce", True, 3),
        ("relu", "sse", False, 2),
        ("identity", "ce", False, None),
    ],
)
def test_generated_module_runs_standalone(
    tmp_path: Path, activation: str, loss: str, bias: bool, batch: int | None
) -> None:
    spec = RNNSpec(z=4, e=2, n=3, m=2, activation=activation, loss=loss, bias=bias)
    path = tmp_path / "generated_rnn.py"
    path.write_text(generate_module(spec))
    rng = np.random.default_rng(12)
    lead = () if batch is None else (batch,)
    arrays = {
        "W": rng.normal(0, 0.8, (3, 2)),
        "U": rng.normal(0, 0.5, (3, 3)),
        "V": rng.normal(0, 0.8, (2, 3)),
        "b": rng.normal(0, 0.5, 3) if bias else None,
        "c": rng.normal(0, 0.5, 2) if bias else None,
        "xs": rng.normal(size=(*lead, 4, 2)),
        "ys": rng.dirichlet(np.ones(2), size=(*lead, 4)) if loss == "ce" else rng.normal(size=(*lead, 4, 2)),
        "s0": rng.normal(size=(*lead, 3)),
    }
    result = run_generated(path, arrays)
    assert result["loaded"] == []
    params = {key: arrays[key] for key in ("W", "U", "V", "b", "c") if arrays[key] is not None}
    J_ref, grads_ref = loss_and_gradients(
        params, arrays["xs"], arrays["ys"], arrays["s0"], activation=activation, loss=loss
    )
    assert relative_error(result["J"], J_ref) < REFERENCE_TOLERANCE
    assert set(result["grads"]) == set(grads_ref)
    for name, value in grads_ref.items():
        assert relative_error(result["grads"][name], value) < REFERENCE_TOLERANCE, name
    assert (
        len(result["errors"]) == 2
        and "xs must have shape" in result["errors"][0]
        and "NaN" in result["errors"][1]
    )
    assert f"symrnn {__version__}" in result["doc"] and f"activation={activation}" in result["doc"]


def test_signature_follows_bias() -> None:
    with_bias = generate_module(RNNSpec())
    without = generate_module(RNNSpec(bias=False))
    assert "def loss_and_grad(params, xs, ys, s0=None):" in with_bias and "without" not in with_bias
    assert "exactly the keys W, U, V, b, c;" in with_bias
    assert "exactly the keys W, U, V;" in without
    for source in (with_bias, without):
        compile(source, "generated", "exec")
        assert "import sympy" not in source and "symrnn." not in source


def test_custom_activation_cannot_inject_text() -> None:
    x = sympy.Symbol('x"""; import os; """')
    source = generate_module(RNNSpec(activation=sympy.Lambda(x, x**3)))
    compile(source, "generated", "exec")  # still valid Python
    assert "import os" not in source and "custom, f(u) = u**3" in source


def test_bad_backend_and_cli(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="choose one of numpy"):
        generate_module(RNNSpec(), backend="c")
    target = tmp_path / "cli_rnn.py"
    assert main(["codegen", "--z", "3", "-o", str(target)]) == 0
    assert "RNNSpec(cell=rnn, z=3," in target.read_text()
