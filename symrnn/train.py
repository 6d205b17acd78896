"""Training with the derived gradients: SGD/Adam in NumPy on the compiled loss and gradients."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .gradflow import initial_parameters, make_spec

# The adding problem's trivial baseline: always predict 1 (the mean of the sum of two U(0, 1) numbers);
# its MSE is Var(a + b) = 2/12.
ADDING_BASELINE_MSE = 1 / 6
# "Solved": test MSE below this fraction of the baseline (Le et al. 2015 plot MSE against 0.167).
SOLVED_FRACTION = 0.1
# The copy-memory task (Arjovsky et al. 2016): remember this many symbols out of this alphabet.
COPY_REMEMBER, COPY_SYMBOLS = 10, 8
BACKEND = "matrix"  # any batch, any z: matmuls over the batch


# ------------------------------------------------------------------------------------------------ tasks
@dataclass(frozen=True)
class Batch:
    """Inputs ``xs (B, T, e)`` and targets ``ys (B, T, m)``; ``last_only``: only the last step has a loss."""

    xs: np.ndarray
    ys: np.ndarray
    last_only: bool


@dataclass(frozen=True)
class Task:
    """A sequence task: sizes, loss, a sampler and the trivial baseline of its metric."""

    name: str
    e: int
    m: int
    loss: str
    last_only: bool
    sample: Callable[[int, int, np.random.Generator], Batch]
    baseline: Callable[[int], float]
    metric: str

    def steps(self, length: int) -> int:
        """The sequence length z for a task length (the copy task adds the symbols and the recall)."""
        return length + 2 * COPY_REMEMBER if self.name == "copy" else length


def adding_problem(batch: int, length: int, rng: np.random.Generator) -> Batch:
    """Hochreiter & Schmidhuber 1997 / Le et al. 2015: x_t = (a_t ~ U(0,1), marker); one marker in each
    half; the target at the last step is the sum of the two marked numbers."""
    if length < 2:
        raise ValueError(f"the adding problem needs a length of at least 2, got {length}")
    values = rng.uniform(0.0, 1.0, (batch, length))
    markers = np.zeros((batch, length))
    half = length // 2
    first, second = rng.integers(0, half, batch), rng.integers(half, length, batch)
    rows = np.arange(batch)
    markers[rows, first] = markers[rows, second] = 1.0
    ys = np.zeros((batch, length, 1))
    ys[:, -1, 0] = values[rows, first] + values[rows, second]
    return Batch(np.stack([values, markers], axis=-1), ys, True)


def copy_memory(batch: int, delay: int, rng: np.random.Generator) -> Batch:
    """Arjovsky et al. 2016: ten symbols from {1..8}, ``delay − 1`` blanks, a delimiter (9), ten blanks; the
    target is blank (0) until the delimiter's recall phase, then the ten symbols. One-hot, e = 10, m = 9."""
    if delay < 1:
        raise ValueError(f"the copy task needs a delay of at least 1, got {delay}")
    z = delay + 2 * COPY_REMEMBER
    symbols = rng.integers(1, COPY_SYMBOLS + 1, (batch, COPY_REMEMBER))
    inputs = np.zeros((batch, z), dtype=int)
    inputs[:, :COPY_REMEMBER] = symbols
    inputs[:, COPY_REMEMBER + delay - 1] = COPY_SYMBOLS + 1
    targets = np.zeros((batch, z), dtype=int)
    targets[:, -COPY_REMEMBER:] = symbols
    return Batch(np.eye(COPY_SYMBOLS + 2)[inputs], np.eye(COPY_SYMBOLS + 1)[targets], False)


TASKS: Mapping[str, Task] = {
    "adding": Task(
        "adding", 2, 1, "sse", True, adding_problem, lambda length: ADDING_BASELINE_MSE, "test MSE"
    ),
    # The memoryless strategy: blanks, then a uniform guess among the 8 symbols for the ten recalled steps.
    "copy": Task(
        "copy",
        COPY_SYMBOLS + 2,
        COPY_SYMBOLS + 1,
        "ce",
        False,
        copy_memory,
        lambda delay: COPY_REMEMBER * math.log(COPY_SYMBOLS) / (delay + 2 * COPY_REMEMBER),
        "test cross-entropy per step",
    ),
}


# ------------------------------------------------------------------------------------------ objectives
class Objective:
    """Mean loss over a batch and its mean gradients, from the compiled loss-and-gradient functions.

    For a task scored at the last step only, the loss of the first T − 1 steps is removed exactly: the
    same model compiled for z = T − 1 on the prefix gives ``Σ_{t<T} J_t`` and its gradient, and
    ``J_T = J(z = T) − J(z = T − 1)`` (the forward computations agree step by step; targets before T are 0).
    """

    def __init__(self, spec: Any, last_only: bool) -> None:
        from . import compile as compile_spec  # the public symrnn.compile

        self.spec = spec
        self.full = compile_spec(spec, backend=BACKEND)
        self.prefix = (
            compile_spec(spec.replace(z=spec.z - 1), backend=BACKEND) if last_only and spec.z > 1 else None
        )

    def per_sequence(
        self, params: Mapping[str, np.ndarray], batch: Batch
    ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        J, grads = self.full(params, batch.xs, batch.ys)
        if self.prefix is not None:
            J_prefix, grads_prefix = self.prefix(params, batch.xs[:, :-1], batch.ys[:, :-1])
            J = J - J_prefix
            grads = {name: value - grads_prefix[name] for name, value in grads.items()}
        return J, grads

    def __call__(self, params: Mapping[str, np.ndarray], batch: Batch) -> tuple[float, dict[str, np.ndarray]]:
        J, grads = self.per_sequence(params, batch)
        return float(J.mean()), {name: value.mean(axis=0) for name, value in grads.items()}


# ---------------------------------------------------------------------------------------------- optimisers
class SGD:
    """Plain gradient descent with optional (heavy-ball) momentum."""

    def __init__(self, learning_rate: float = 1e-2, momentum: float = 0.0) -> None:
        self.learning_rate, self.momentum, self.velocity = learning_rate, momentum, {}

    def update(self, params: dict[str, np.ndarray], grads: Mapping[str, np.ndarray]) -> None:
        for name, gradient in grads.items():
            velocity = self.velocity.get(name, 0.0) * self.momentum - self.learning_rate * gradient
            self.velocity[name] = velocity
            params[name] = params[name] + velocity


class Adam:
    """Kingma & Ba 2015, with bias correction (the defaults of PyTorch's ``torch.optim.Adam``)."""

    def __init__(
        self, learning_rate: float = 1e-3, beta1: float = 0.9, beta2: float = 0.999, epsilon: float = 1e-8
    ) -> None:
        self.learning_rate, self.beta1, self.beta2, self.epsilon = learning_rate, beta1, beta2, epsilon
        self.first, self.second, self.count = {}, {}, 0

    def update(self, params: dict[str, np.ndarray], grads: Mapping[str, np.ndarray]) -> None:
        self.count += 1
        correction1, correction2 = 1 - self.beta1**self.count, 1 - self.beta2**self.count
        for name, gradient in grads.items():
            first = self.beta1 * self.first.get(name, 0.0) + (1 - self.beta1) * gradient
            second = self.beta2 * self.second.get(name, 0.0) + (1 - self.beta2) * gradient**2
            self.first[name], self.second[name] = first, second
            step = self.learning_rate * (first / correction1) / (np.sqrt(second / correction2) + self.epsilon)
            params[name] = params[name] - step


OPTIMISERS = {"adam": Adam, "sgd": SGD}


def clip_gradient_norm(grads: dict[str, np.ndarray], max_norm: float) -> float:
    """Scale every gradient so that their joint 2-norm is at most ``max_norm`` (Pascanu et al. 2013);
    returns the norm before clipping."""
    norm = math.sqrt(sum(float(np.sum(value**2)) for value in grads.values()))
    if norm > max_norm:
        for name, value in grads.items():
            grads[name] = value * (max_norm / norm)
    return norm


# ------------------------------------------------------------------------------------------ configurations
@dataclass(frozen=True)
class TrainConfiguration:
    """One model: cell, activation, initialisation (:func:`symrnn.gradflow.initial_parameters`), clipping."""

    name: str
    cell: str = "rnn"
    activation: str = "tanh"
    initialisation: str = "xavier"
    scale: float = 1.0
    forget_bias: float = 0.0
    clip: float | None = None


DEFAULT_TRAIN_CONFIGURATIONS = (
    TrainConfiguration("tanh N(0,1)", activation="tanh", initialisation="normal"),  # the notes' setting
    TrainConfiguration("tanh Xavier", activation="tanh", initialisation="xavier"),
    TrainConfiguration("tanh Xavier, clip 1", activation="tanh", initialisation="xavier", clip=1.0),
    TrainConfiguration("IRNN", activation="relu", initialisation="identity"),  # Le et al. 2015
    TrainConfiguration("IRNN, clip 1", activation="relu", initialisation="identity", clip=1.0),
    TrainConfiguration("LSTM, forget bias 1", cell="lstm", initialisation="pytorch", forget_bias=1.0),
    TrainConfiguration("GRU", cell="gru", initialisation="pytorch"),
)


@dataclass(frozen=True)
class TrainingRun:
    """One configuration trained on one task.

    Attributes:
        status: ``"trained"`` or ``"diverged"`` (a non-finite loss or an overflow: training stopped).
        losses: the training metric per step (MSE for the adding problem, cross-entropy per step for copy).
        test: the same metric on a fixed held-out set after training (None when not trained).
        baseline: the trivial baseline of the metric.
        step_seconds: median wall time of one training step (loss, gradients, clipping, update).
    """

    configuration: TrainConfiguration
    task: str
    length: int
    status: str
    losses: np.ndarray
    test: float | None
    baseline: float
    step_seconds: float | None
    detail: str = ""

    @property
    def solved(self) -> bool:
        return self.test is not None and self.test < SOLVED_FRACTION * self.baseline

    def as_json(self) -> dict:
        return {
            "configuration": self.configuration.name,
            "task": self.task,
            "length": self.length,
            "status": self.status,
            "test": self.test,
            "baseline": self.baseline,
            "solved": self.solved,
            "step_seconds": self.step_seconds,
            "final_train": float(self.losses[-1]) if len(self.losses) else None,
            "detail": self.detail,
        }


@dataclass(frozen=True)
class TrainingReport:
    """Every run of one :func:`train` call."""

    runs: list[TrainingRun]
    settings: dict = field(default_factory=dict)

    def table(self) -> str:
        header = (
            f"{'configuration':22s} {'task':>6s} {'T':>4s} {'status':>17s} {'test':>10s} {'baseline':>9s} "
            f"{'solved':>6s} {'ms/step':>8s}"
        )
        lines = [header]
        for run in self.runs:
            test = "—" if run.test is None else f"{run.test:.4f}"
            step = "—" if run.step_seconds is None else f"{1e3 * run.step_seconds:.1f}"
            lines.append(
                f"{run.configuration.name:22s} {run.task:>6s} {run.length:4d} {run.status:>17s} {test:>10s} "
                f"{run.baseline:9.4f} {('yes' if run.solved else 'no'):>6s} {step:>8s}"
            )
        return "\n".join(lines)

    def as_json(self) -> dict:
        return {"settings": self.settings, "runs": [run.as_json() for run in self.runs]}


QUICK = {"steps": 60, "batch": 16, "hidden": 16, "test_size": 128, "lengths": (20,)}
DEFAULTS = {"steps": 3000, "batch": 32, "hidden": 32, "test_size": 1000, "lengths": (50,)}


def _metric(task: Task, J: np.ndarray, length: int) -> np.ndarray:
    """Per-sequence metric from per-sequence losses: MSE = 2 J_T (sse is ½‖·‖²), or CE per step."""
    return 2.0 * J if task.loss == "sse" else J / task.steps(length)


def train_one(
    configuration: TrainConfiguration,
    *,
    task: str = "adding",
    length: int = 50,
    steps: int = 3000,
    batch: int = 32,
    hidden: int = 32,
    optimiser: str = "adam",
    learning_rate: float = 3e-3,
    test_size: int = 1000,
    seed: int = 0,
) -> TrainingRun:
    """Train one configuration with the compiled derived gradients; see :func:`train`."""
    spec_task = TASKS[task]
    baseline = spec_task.baseline(length)
    spec = make_spec(
        configuration.cell,
        z=spec_task.steps(length),
        e=spec_task.e,
        n=hidden,
        m=spec_task.m,
        activation=configuration.activation,
        loss=spec_task.loss,
    )
    objective = Objective(spec, spec_task.last_only)
    rng = np.random.default_rng(seed)
    params = initial_parameters(
        spec,
        configuration.initialisation,
        rng,
        scale=configuration.scale,
        forget_bias=configuration.forget_bias,
    )
    test_batch = spec_task.sample(test_size, length, np.random.default_rng(seed + 10_000))
    update = OPTIMISERS[optimiser](learning_rate)
    losses, times, status, detail = [], [], "trained", ""
    for _ in range(steps):
        data = spec_task.sample(batch, length, rng)
        started = time.perf_counter()
        try:
            J, grads = objective.per_sequence(params, data)
        except ValueError as error:  # the compiled functions report float64 overflow as a ValueError
            status, detail = "diverged", str(error)
            break
        mean_grads = {name: value.mean(axis=0) for name, value in grads.items()}
        if configuration.clip is not None:
            clip_gradient_norm(mean_grads, configuration.clip)
        update.update(params, mean_grads)
        times.append(time.perf_counter() - started)
        loss = float(_metric(spec_task, J, length).mean())
        losses.append(loss)
        if not (math.isfinite(loss) and all(np.isfinite(value).all() for value in params.values())):
            status, detail = "diverged", "a non-finite loss or parameter"
            break
    test = None
    if status == "trained":
        try:
            J_test, _ = objective.per_sequence(params, test_batch)
            test = float(_metric(spec_task, J_test, length).mean())
        except ValueError as error:
            status, detail = "diverged", str(error)
    step_seconds = float(np.median(times)) if times else None
    return TrainingRun(
        configuration, task, length, status, np.array(losses), test, baseline, step_seconds, detail
    )


def train(
    configurations: Sequence[TrainConfiguration] | None = None,
    *,
    task: str = "adding",
    lengths: Sequence[int] | None = None,
    steps: int | None = None,
    batch: int | None = None,
    hidden: int | None = None,
    optimiser: str = "adam",
    learning_rate: float = 3e-3,
    test_size: int | None = None,
    seed: int = 0,
    quick: bool = False,
    output: str | Sequence[str] | None = None,
    progress: Callable[[TrainingRun], None] | None = None,
) -> TrainingReport:
    """Train every configuration on a long-range task with the symbolically derived, compiled gradients.

    The same data (fixed seeds), optimiser, learning rate and number of steps for every configuration.

    Args:
        configurations: default :data:`DEFAULT_TRAIN_CONFIGURATIONS`.
        task: ``"adding"`` (the sum of two marked numbers, scored at the last step; metric test MSE
            against the baseline 0.167) or ``"copy"`` (copy memory; cross-entropy per step against the
            memoryless baseline ``10 log 8 / (T + 20)``).
        lengths: sequence lengths T (the copy task's delay); default (50,), quick (20,).
        steps, batch, hidden, test_size: training steps, sequences per step, state size n, held-out
            sequences; defaults 3000, 32, 32, 1000; ``quick``: 60, 16, 16, 128.
        optimiser: ``"adam"`` or ``"sgd"``; learning_rate its step size.
        seed: seeds the parameters, the training batches and (offset) the test set.
        quick: the small settings above (a smoke run in seconds).
        output: learning-curve plot file(s) (.png or .pdf).
        progress: called with each finished run.
    """
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; choose one of {', '.join(TASKS)}")
    if optimiser not in OPTIMISERS:
        raise ValueError(f"unknown optimiser {optimiser!r}; choose one of {', '.join(OPTIMISERS)}")
    if not (isinstance(learning_rate, (int, float)) and learning_rate > 0 and math.isfinite(learning_rate)):
        raise ValueError(f"learning_rate must be a positive number, got {learning_rate!r}")
    base = QUICK if quick else DEFAULTS
    settings = {
        "steps": steps or base["steps"],
        "batch": batch or base["batch"],
        "hidden": hidden or base["hidden"],
        "test_size": test_size or base["test_size"],
        "lengths": tuple(lengths or base["lengths"]),
        "optimiser": optimiser,
        "learning_rate": learning_rate,
        "seed": seed,
        "task": task,
        "backend": BACKEND,
    }
    for name in ("steps", "batch", "hidden", "test_size"):
        value = settings[name]
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    runs = []
    for length in settings["lengths"]:
        for configuration in configurations or DEFAULT_TRAIN_CONFIGURATIONS:
            run = train_one(
                configuration,
                task=task,
                length=length,
                steps=settings["steps"],
                batch=settings["batch"],
                hidden=settings["hidden"],
                optimiser=optimiser,
                learning_rate=learning_rate,
                test_size=settings["test_size"],
                seed=seed,
            )
            runs.append(run)
            if progress is not None:
                progress(run)
    report = TrainingReport(runs, settings)
    for path in [output] if isinstance(output, str) else list(output or ()):
        plot_learning_curves(report, path)
    return report


def plot_learning_curves(report: TrainingReport, path: str, *, window: int = 25) -> None:
    """Write :func:`learning_curves` as PNG or PDF (by the suffix)."""
    from .gradflow import _pyplot

    if not str(path).lower().endswith((".png", ".pdf")):
        raise ValueError(f"the plot must be a .png or .pdf file, got {path}")
    plt = _pyplot()
    drawn = learning_curves(report, window=window)
    drawn.savefig(path)
    plt.close(drawn)


def learning_curves(report: TrainingReport, *, window: int = 25) -> Any:
    """Training metric (moving average over ``window`` steps) against step, log scale, one panel per length,
    the trivial baseline dashed (a matplotlib Figure)."""
    from .gradflow import _pyplot

    if not report.runs:
        raise ValueError("nothing to plot: the report has no runs")
    lengths = sorted({run.length for run in report.runs})
    plt = _pyplot()
    drawn, axes = plt.subplots(1, len(lengths), figsize=(6.4 * len(lengths), 5.4), squeeze=False)
    for axis, length in zip(axes[0], lengths):
        runs = [run for run in report.runs if run.length == length]
        for index, run in enumerate(runs):
            if not len(run.losses):
                continue
            width = min(window, len(run.losses))
            smooth = np.convolve(run.losses, np.ones(width) / width, mode="valid")
            label = run.configuration.name + ("" if run.status == "trained" else f" ({run.status})")
            axis.semilogy(np.arange(width, len(run.losses) + 1), smooth, color=f"C{index % 10}", label=label)
        axis.axhline(
            runs[0].baseline,
            color="black",
            linestyle="--",
            linewidth=1,
            label=f"trivial baseline {runs[0].baseline:.3f}",
        )
        task = runs[0].task
        axis.set_title(
            f"{'adding problem' if task == 'adding' else 'copy memory'}, T = {length}", fontsize="small"
        )
        axis.set_xlabel("training step")
        axis.set_ylabel("training MSE" if task == "adding" else "training cross-entropy per step")
        axis.grid(True, which="major", alpha=0.3)
        axis.legend(fontsize="x-small", loc="lower left")
    drawn.tight_layout()
    return drawn
