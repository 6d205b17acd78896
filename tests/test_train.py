"""Training with the derived gradients: tasks, the last-step objective, optimisers, the quick run, the CLI."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from symrnn.cli import main
from symrnn.numeric import reference
from symrnn.spec import RNNSpec
from symrnn.train import (
    ADDING_BASELINE_MSE,
    DEFAULT_TRAIN_CONFIGURATIONS,
    SGD,
    Adam,
    Batch,
    Objective,
    TrainConfiguration,
    adding_problem,
    clip_gradient_norm,
    copy_memory,
    learning_curves,
    train,
)

RELATIVE_TOLERANCE = 1e-10
OPTIMISER_TOLERANCE = 1e-12


def test_adding_problem_has_one_marker_per_half_and_the_sum_as_last_target() -> None:
    batch = adding_problem(64, 10, np.random.default_rng(0))
    assert batch.xs.shape == (64, 10, 2) and batch.ys.shape == (64, 10, 1) and batch.last_only
    markers = batch.xs[:, :, 1]
    assert np.all(markers[:, :5].sum(axis=1) == 1) and np.all(markers[:, 5:].sum(axis=1) == 1)
    marked = (batch.xs[:, :, 0] * markers).sum(axis=1)
    assert np.allclose(batch.ys[:, -1, 0], marked) and not batch.ys[:, :-1].any()
    # the trivial baseline: predicting 1 has MSE Var(a + b) = 1/6 (a, b ~ U(0, 1))
    large = adding_problem(200_000, 4, np.random.default_rng(1))
    assert abs(np.mean((large.ys[:, -1, 0] - 1) ** 2) - ADDING_BASELINE_MSE) < 3e-3


def test_copy_memory_recalls_the_first_ten_symbols_after_the_delimiter() -> None:
    batch = copy_memory(8, 5, np.random.default_rng(0))
    assert batch.xs.shape == (8, 25, 10) and batch.ys.shape == (8, 25, 9) and not batch.last_only
    inputs, targets = batch.xs.argmax(-1), batch.ys.argmax(-1)
    assert np.all(inputs[:, 14] == 9) and np.all((inputs[:, :10] >= 1) & (inputs[:, :10] <= 8))
    assert np.array_equal(targets[:, -10:], inputs[:, :10]) and not targets[:, :-10].any()


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_last_step_objective_is_the_gradient_of_the_last_loss_alone(activation: str) -> None:
    T, n = 7, 3
    spec = RNNSpec(z=T, e=2, n=n, m=1, activation=activation)
    rng = np.random.default_rng(5)
    params = {name: rng.standard_normal(spec.shapes[name]) * 0.6 for name in spec.parameter_names}
    batch = adding_problem(4, T, rng)
    J, grads = Objective(spec, last_only=True).per_sequence(params, batch)
    # Oracle: the NumPy reference with the targets before T set to its own predictions (then g_t = 0).
    yhat = reference.forward(params, batch.xs, batch.ys, activation=activation)["yhat"]
    masked = yhat.copy()
    masked[:, -1] = batch.ys[:, -1]
    J_ref, expected = reference.loss_and_gradients(params, batch.xs, masked, activation=activation)
    assert reference.relative_error(J, J_ref) < RELATIVE_TOLERANCE
    for name in spec.parameter_names:
        assert reference.relative_error(grads[name], expected[name]) < RELATIVE_TOLERANCE


def test_first_adam_step_is_the_learning_rate_times_the_sign_and_sgd_is_a_gradient_step() -> None:
    # Adam's first bias-corrected step is lr · g / (|g| + ε): independent of the gradient's scale.
    gradient = np.array([[3.0, -1e-3], [0.0, 250.0]])
    params = {"W": np.zeros((2, 2))}
    Adam(0.01, epsilon=0.0).update(params, {"W": np.where(gradient == 0, 1.0, gradient)})
    assert (
        np.abs(params["W"] + 0.01 * np.sign(np.where(gradient == 0, 1.0, gradient))).max()
        < OPTIMISER_TOLERANCE
    )
    params = {"W": np.ones((2, 2))}
    SGD(0.5).update(params, {"W": gradient})
    assert np.abs(params["W"] - (1 - 0.5 * gradient)).max() < OPTIMISER_TOLERANCE


@pytest.mark.slow  # importing PyTorch alone takes about 10 s
def test_adam_and_sgd_match_pytorch() -> None:
    torch = pytest.importorskip("torch", reason="PyTorch (the peers extra) is the oracle for the optimisers")
    rng = np.random.default_rng(0)
    start = rng.standard_normal((3, 2))
    target = rng.standard_normal((3, 2))
    for ours, theirs in (
        (Adam(0.05), lambda p: torch.optim.Adam(p, lr=0.05)),
        (SGD(0.1, momentum=0.9), lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9)),
    ):
        params = {"W": start.copy()}
        weight = torch.tensor(start.copy(), dtype=torch.float64, requires_grad=True)
        optimiser = theirs([weight])
        for _ in range(5):
            ours.update(params, {"W": (params["W"] - target) ** 3})
            optimiser.zero_grad()
            weight.grad = (weight.detach() - torch.tensor(target)) ** 3
            optimiser.step()
        assert np.abs(params["W"] - weight.detach().numpy()).max() < OPTIMISER_TOLERANCE


def test_clip_gradient_norm() -> None:
    grads = {"a": np.array([3.0, 0.0]), "b": np.array([[4.0]])}
    assert clip_gradient_norm(grads, 1.0) == pytest.approx(5.0)
    assert math.sqrt(sum(float(np.sum(v**2)) for v in grads.values())) == pytest.approx(1.0)
    small = {"a": np.array([0.3])}
    clip_gradient_norm(small, 1.0)
    assert small["a"][0] == 0.3


def test_quick_run_trains_with_finite_decreasing_losses(tmp_path) -> None:
    report = train(quick=True, output=str(tmp_path / "curves.png"))
    assert {run.configuration.name for run in report.runs} == {c.name for c in DEFAULT_TRAIN_CONFIGURATIONS}
    trained = [run for run in report.runs if run.status == "trained"]
    assert trained and all(np.isfinite(run.losses).all() and run.test is not None for run in trained)
    assert any(run.losses[-10:].mean() < run.losses[:10].mean() for run in trained)
    for run in report.runs:
        assert run.status in ("trained", "diverged") or (
            run.status == "needs the engine" and run.configuration.cell != "rnn"
        )
    assert (tmp_path / "curves.png").read_bytes().startswith(b"\x89PNG")


def test_learning_curves_have_labelled_log_axes_and_a_legend() -> None:
    pytest.importorskip("matplotlib")
    import matplotlib.pyplot as plt

    configurations = [TrainConfiguration("tanh Xavier"), TrainConfiguration("GRU", cell="gru")]
    report = train(configurations, quick=True, steps=30, lengths=(6, 8))
    drawn = learning_curves(report)
    try:
        assert len(drawn.axes) == 2
        for axis in drawn.axes:
            assert axis.get_xlabel() and axis.get_ylabel() and axis.get_yscale() == "log"
            labels = [text.get_text() for text in axis.get_legend().get_texts()]
            assert any("baseline" in label for label in labels)
    finally:
        plt.close(drawn)


def test_copy_task_trains_on_every_step(tmp_path) -> None:
    report = train([TrainConfiguration("tanh Xavier")], task="copy", quick=True, steps=20, lengths=(3,))
    (run,) = report.runs
    assert run.status == "trained" and run.losses.shape == (20,) and np.isfinite(run.losses).all()
    assert run.baseline == pytest.approx(10 * math.log(8) / 23)


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="unknown task"):
        train(task="parity")
    with pytest.raises(ValueError, match="unknown optimiser"):
        train(optimiser="rmsprop")
    with pytest.raises(ValueError, match="steps must be a positive integer"):
        train(steps=-1)
    with pytest.raises(ValueError, match="at least 2"):
        adding_problem(2, 1, np.random.default_rng(0))
    assert isinstance(adding_problem(1, 2, np.random.default_rng(0)), Batch)


def test_cli_train_quick_json(capsys: pytest.CaptureFixture) -> None:
    assert main(["train", "--quick", "--steps", "15", "--config", "tanh Xavier", "GRU", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert [run["configuration"] for run in result["runs"]] == ["tanh Xavier", "GRU"]
    assert result["runs"][0]["status"] == "trained" and result["settings"]["steps"] == 15
    assert main(["train", "--quick", "--config", "nope"]) == 2
    assert "unknown --config" in capsys.readouterr().err
