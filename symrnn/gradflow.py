"""Gradient flow through time: ‖∂s_t/∂s_k‖ against t − k for every cell, Pascanu's bound, truncation error."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy

from .engine.step import state_jacobian_function
from .spec import RNNSpec

INITIALISATIONS = ("normal", "scaled", "xavier", "orthogonal", "identity", "pytorch")
# Pascanu et al. 2013, Eq. (7): ‖∂s_t/∂s_k‖ ≤ (γ σ_max(U))^{t−k} whenever |f'| ≤ γ. One row per activation.
DERIVATIVE_BOUNDS: Mapping[str, sympy.Rational] = {
    "tanh": sympy.Integer(1),
    "sigmoid": sympy.Rational(1, 4),
    "relu": sympy.Integer(1),
    "identity": sympy.Integer(1),
}
# Le et al. 2015 (IRNN): U = I, biases zero, the other weights N(0, 0.001²).
IRNN_INPUT_SCALE = 1e-3
QUANTILES = (0.25, 0.75)


def make_spec(cell: str, **sizes: Any) -> RNNSpec:
    """``RNNSpec(cell=cell, **sizes)``."""
    return RNNSpec(cell=cell, **sizes)


# ------------------------------------------------------------------------------------- initialisations
def _orthogonal(rows: int, columns: int, rng: np.random.Generator) -> np.ndarray:
    q, r = np.linalg.qr(rng.standard_normal((max(rows, columns), min(rows, columns))))
    q = q * np.sign(np.diag(r))
    return q if rows >= columns else q.T


def recurrent_matrix(
    initialisation: str, n: int, rng: np.random.Generator, *, scale: float = 1.0
) -> np.ndarray:
    """A square U: N(0, scale²) entries, N(0, 1/n), Xavier (N(0, 1/n) for a square matrix), orthogonal,
    or the identity (Le et al. 2015), times ``scale`` for the last two."""
    if initialisation == "normal":
        return scale * rng.standard_normal((n, n))
    if initialisation in ("scaled", "xavier"):
        return rng.standard_normal((n, n)) / np.sqrt(n)
    if initialisation == "orthogonal":
        return scale * _orthogonal(n, n, rng)
    if initialisation == "identity":
        return scale * np.eye(n)
    raise ValueError(
        f"unknown initialisation {initialisation!r} for a vanilla U; choose one of "
        f"{', '.join(INITIALISATIONS[:5])}"
    )


def initial_parameters(
    spec: RNNSpec,
    initialisation: str,
    rng: np.random.Generator,
    *,
    scale: float = 1.0,
    forget_bias: float = 0.0,
) -> dict[str, np.ndarray]:
    """Parameters for ``spec`` drawn by one named scheme (keys and shapes from the spec).

    Vanilla cell: ``normal`` (every weight N(0, scale²): the notes' setting at scale 1), ``scaled``
    (U ~ N(0, 1/n), W ~ N(0, 1/e)), ``xavier`` (Glorot normal, N(0, 2/(fan_in + fan_out))),
    ``orthogonal`` (U orthogonal, the rest Xavier), ``identity`` (IRNN: U = I, W ~ N(0, 0.001²), biases
    zero). Gated cells: ``pytorch`` (PyTorch's U(−1/√n, 1/√n)), ``xavier``, ``orthogonal`` (per gate
    block), ``normal``; ``forget_bias`` is added to the LSTM's forget-gate block of ``b``. The readout V
    is Xavier except under ``normal``; the biases start at zero except under ``pytorch``.
    """
    if initialisation not in INITIALISATIONS:
        raise ValueError(
            f"unknown initialisation {initialisation!r}; choose one of {', '.join(INITIALISATIONS)}"
        )
    cell, n = getattr(spec, "cell", "rnn"), spec.n
    shapes = spec.shapes

    def xavier(shape: tuple[int, ...]) -> np.ndarray:
        fan_out, fan_in = shape[0], shape[1] if len(shape) > 1 else 1
        return rng.standard_normal(shape) * np.sqrt(2.0 / (fan_in + fan_out))

    params: dict[str, np.ndarray] = {}
    for name in spec.parameter_names:
        shape = shapes[name]
        if name in ("b", "b_U", "c", "s0"):
            bound = 1 / np.sqrt(n)
            params[name] = (
                rng.uniform(-bound, bound, shape) if initialisation == "pytorch" else np.zeros(shape)
            )
        elif initialisation == "pytorch":
            params[name] = rng.uniform(-1 / np.sqrt(n), 1 / np.sqrt(n), shape)
        elif initialisation == "normal":
            params[name] = scale * rng.standard_normal(shape)
        elif name == "U" and cell == "rnn":
            params[name] = recurrent_matrix(initialisation, n, rng, scale=scale)
        elif name == "U":
            if initialisation == "identity":
                raise ValueError(f"the identity initialisation is for the vanilla cell, not {cell!r}")
            blocks = shape[0] // n
            draw = _orthogonal if initialisation == "orthogonal" else lambda r, c, g: xavier((r, c))
            params[name] = np.vstack([draw(n, n, rng) for _ in range(blocks)])
        elif name == "W" and initialisation == "identity":
            params[name] = IRNN_INPUT_SCALE * rng.standard_normal(shape)
        elif name == "W" and initialisation == "scaled":
            params[name] = rng.standard_normal(shape) / np.sqrt(shape[1])
        else:
            params[name] = xavier(shape)
    if cell == "lstm" and "b" in params:
        params["b"] = params["b"].copy()
        params["b"][n : 2 * n] += forget_bias  # PyTorch gate order i, f, g, o
    return params


# -------------------------------------------------------------------------------------------- the flow
@dataclass(frozen=True)
class FlowConfiguration:
    """One model to measure: cell, activation, initialisation (see :func:`initial_parameters`)."""

    cell: str = "rnn"
    activation: str = "tanh"
    initialisation: str = "normal"
    scale: float = 1.0
    forget_bias: float = 0.0

    @property
    def label(self) -> str:
        if self.cell != "rnn":
            extra = f", forget bias {self.forget_bias:g}" if self.forget_bias else ""
            return f"{self.cell.upper()} ({self.initialisation}{extra})"
        names = {
            "normal": f"N(0,{self.scale**2:g})",
            "scaled": "N(0,1/n)",
            "xavier": "Xavier",
            "orthogonal": "orthogonal",
            "identity": "identity (IRNN)" if self.activation == "relu" else "identity",
        }
        return f"{self.activation}, U {names[self.initialisation]}"


DEFAULT_CONFIGURATIONS = (
    FlowConfiguration("rnn", "tanh", "normal"),  # the notes' setting: N(0, 1) weights
    FlowConfiguration("rnn", "tanh", "scaled"),  # N(0, 1/n)
    FlowConfiguration("rnn", "sigmoid", "xavier"),
    FlowConfiguration("rnn", "relu", "identity"),  # Solution II: IRNN (Le et al. 2015)
    FlowConfiguration("rnn", "identity", "orthogonal"),  # linear and norm-preserving: nothing shrinks
    FlowConfiguration("lstm", "tanh", "pytorch", forget_bias=1.0),  # Solution III
    FlowConfiguration("gru", "tanh", "pytorch"),
)


@dataclass(frozen=True)
class GradientFlow:
    """``norms[block][sample, d-1] = ‖∂state_{k+d}/∂state_k‖₂`` for d = 1..lag over random draws.

    Attributes:
        configuration: what was measured.
        n: state size.
        norms: ``{"s": (samples, lag)}`` for one-state cells; for the LSTM ``"state"`` (the whole (h, c)
            Jacobian) and the diagonal blocks ``"h"`` and ``"c"``.
        bound: the Pascanu bound ``(γ σ_max(U))^d`` per sample, ``(samples, lag)``, for vanilla cells
            with a tabulated activation; None otherwise.
        sigma_max: σ_max(U) per sample (vanilla cells).
    """

    configuration: FlowConfiguration
    n: int
    norms: dict[str, np.ndarray]
    bound: np.ndarray | None = None
    sigma_max: np.ndarray | None = None

    @property
    def main(self) -> str:
        """The block plotted and tabulated: the state of a one-state cell, ``c`` for the LSTM."""
        return "c" if "c" in self.norms else next(iter(self.norms))

    @property
    def median(self) -> np.ndarray:
        return np.median(self.norms[self.main], axis=0)

    @property
    def label(self) -> str:
        return self.configuration.label + (f" [∂{self.main}]" if self.main == "c" else "")

    def as_json(self) -> dict:
        c = self.configuration
        result = {
            "cell": c.cell,
            "activation": c.activation,
            "initialisation": c.initialisation,
            "n": self.n,
            "median_norm": [float(v) for v in self.median],
        }
        for block, values in self.norms.items():
            result[f"median_norm_{block}"] = [float(v) for v in np.median(values, axis=0)]
        if self.bound is not None:
            result["median_bound"] = [float(v) for v in np.median(self.bound, axis=0)]
        return result


def gradient_flow(
    configuration: FlowConfiguration | None = None,
    *,
    activation: str | None = None,
    initialisation: str | None = None,
    n: int = 8,
    e: int | None = None,
    lag: int = 40,
    samples: int = 16,
    burn_in: int = 10,
    seed: int = 0,
) -> GradientFlow:
    """Multiply the cell's step Jacobians along random sequences: ``∂s_t/∂s_k = Π_{m=k+1}^t ∂s_m/∂s_{m-1}``.

    Each sample draws fresh parameters and inputs x_t ~ N(0, 1), runs ``burn_in`` steps from s_0 = 0
    (k = burn_in), then records ``‖∂s_{k+d}/∂s_k‖₂`` for d = 1..lag. The Jacobians come from
    :func:`state_jacobian_function` (the symbolic step Jacobian, lambdified).

    Args:
        configuration: cell, activation and initialisation; ``activation``/``initialisation`` override it
            (shorthand for the vanilla cell).
        n: state size; e: input size (default n).
        lag: the largest t − k.
        samples: independent draws of parameters and inputs.
        burn_in: steps run before k.
        seed: random seed.
    """
    configuration = configuration or FlowConfiguration()
    if activation is not None or initialisation is not None:
        configuration = FlowConfiguration(
            configuration.cell,
            activation or configuration.activation,
            initialisation or configuration.initialisation,
            configuration.scale,
            configuration.forget_bias,
        )
    for name, value in (("samples", samples), ("lag", lag), ("n", n)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    if isinstance(burn_in, bool) or not isinstance(burn_in, int) or burn_in < 0:
        raise ValueError(f"burn_in must be a non-negative integer, got {burn_in!r}")
    e = n if e is None else e
    spec = make_spec(configuration.cell, z=1, e=e, n=n, m=1, activation=configuration.activation)
    step = state_jacobian_function(spec)
    names = tuple(getattr(spec, "state_names", ("s",)))
    size = n * len(names)
    blocks = (
        {names[0]: slice(0, size)}
        if len(names) == 1
        else {"state": slice(0, size), **{name: slice(i * n, (i + 1) * n) for i, name in enumerate(names)}}
    )
    rng = np.random.default_rng(seed)
    norms = {block: np.empty((samples, lag)) for block in blocks}
    vanilla = configuration.cell == "rnn"
    gamma = DERIVATIVE_BOUNDS.get(configuration.activation) if vanilla else None
    sigma = np.empty(samples)
    for sample in range(samples):
        params = initial_parameters(
            spec,
            configuration.initialisation,
            rng,
            scale=configuration.scale,
            forget_bias=configuration.forget_bias,
        )
        sigma[sample] = np.linalg.norm(params["U"], 2)
        state, product = np.zeros(size), np.eye(size)
        for _ in range(burn_in):
            state, _jacobian = step(params, state, rng.standard_normal(e))
        for d in range(lag):
            state, jacobian = step(params, state, rng.standard_normal(e))
            product = jacobian @ product
            for block, part in blocks.items():
                norms[block][sample, d] = np.linalg.norm(product[part, part], 2)
    bound = None
    if gamma is not None:
        bound = (float(gamma) * sigma[:, None]) ** np.arange(1, lag + 1)[None, :]
    return GradientFlow(configuration, n, norms, bound, sigma if vanilla else None)


def scalar_closed_form(t: int, k: int) -> tuple[sympy.Expr, sympy.Function, sympy.Symbol]:
    """The notes' Eq. [27] for one tanh neuron, multiplied out: ``∂h_t/∂h_k = Π_{m=k+1}^t (1 − h_m²) W_hh``.

    Returns:
        ``(product, h, W_hh)``: the evaluated SymPy product in ``h(m)`` and ``W_hh``.
    """
    if not 0 <= k <= t:
        raise ValueError(f"need 0 <= k <= t, got t={t}, k={k}")
    m = sympy.Symbol("m", integer=True)
    h, W_hh = sympy.Function("h"), sympy.Symbol("W_hh", real=True)
    return sympy.Product((1 - h(m) ** 2) * W_hh, (m, k + 1, t)).doit(), h, W_hh


# ---------------------------------------------------------------------------- truncation error curve
TRUNCATION_Z, TRUNCATION_N = 12, 3


@dataclass(frozen=True)
class TruncationCurve:
    """``errors[sample, τ-1] = ‖∇_τ J − ∇J‖ / ‖∇J‖`` for τ = 1..z on random sequences (targets N(0, 1))."""

    configuration: FlowConfiguration
    z: int
    errors: np.ndarray

    @property
    def median(self) -> np.ndarray:
        return np.median(self.errors, axis=0)


def truncation_curve(
    configuration: FlowConfiguration,
    *,
    z: int = TRUNCATION_Z,
    n: int = TRUNCATION_N,
    samples: int = 8,
    seed: int = 0,
) -> TruncationCurve:
    """The relative truncation error of truncated BPTT against τ, from the derived (t, k) terms."""
    from .truncation import lag_term_function, relative_truncation_error

    spec = make_spec(configuration.cell, z=z, e=n, n=n, m=1, activation=configuration.activation)
    function = lag_term_function(spec)
    rng = np.random.default_rng(seed)
    rows = []
    for _ in range(samples):
        params = initial_parameters(
            spec,
            configuration.initialisation,
            rng,
            scale=configuration.scale,
            forget_bias=configuration.forget_bias,
        )
        xs, ys = rng.standard_normal((1, z, n)), rng.standard_normal((1, z, 1))
        rows.append(relative_truncation_error(spec, params, xs, ys, range(1, z + 1), function=function)[0])
    return TruncationCurve(configuration, z, np.array(rows))


# -------------------------------------------------------------------------------------- the whole run
@dataclass(frozen=True)
class GradflowReport:
    """What :func:`gradflow` measured: flows, truncation curves, configurations that need the engine."""

    flows: list[GradientFlow]
    truncation: list[TruncationCurve] = field(default_factory=list)
    unavailable: dict[str, str] = field(default_factory=dict)

    def csv(self) -> str:
        """One row per configuration, block and lag: median, quartiles, median Pascanu bound."""
        stream = io.StringIO()
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(["configuration", "block", "lag", "median", "q25", "q75", "median_bound"])
        for flow in self.flows:
            for block, values in flow.norms.items():
                median = np.median(values, axis=0)
                low, high = np.quantile(values, QUANTILES, axis=0)
                bound = np.median(flow.bound, axis=0) if flow.bound is not None else None
                for d in range(values.shape[1]):
                    writer.writerow(
                        [
                            flow.configuration.label,
                            block,
                            d + 1,
                            f"{median[d]:.6e}",
                            f"{low[d]:.6e}",
                            f"{high[d]:.6e}",
                            "" if bound is None else f"{bound[d]:.6e}",
                        ]
                    )
        for curve in self.truncation:
            for tau, value in enumerate(curve.median, start=1):
                writer.writerow(
                    [curve.configuration.label, "relative_truncation_error", tau, f"{value:.6e}", "", "", ""]
                )
        return stream.getvalue()

    def table(self, lags: Sequence[int] = (1, 10, 20, 50)) -> str:
        """The median norms at a few lags, and which configurations need the engine."""
        lag = self.flows[0].norms[self.flows[0].main].shape[1] if self.flows else 0
        columns = [d for d in lags if d <= lag] or [lag]
        lines = [
            f"median ‖∂s_t/∂s_k‖₂ against t − k over {self.flows[0].norms[self.flows[0].main].shape[0]} "
            f"draws, n = {self.flows[0].n}"
            if self.flows
            else "no configuration could be measured",
            f"{'configuration':34s}" + "".join(f"{'t-k = ' + str(d):>13s}" for d in columns),
        ]
        for flow in self.flows:
            lines.append(f"{flow.label:34s}" + "".join(f"{flow.median[d - 1]:13.3e}" for d in columns))
            if flow.bound is not None:
                bound = np.median(flow.bound, axis=0)
                lines.append(
                    f"{'  Pascanu bound (γ σ_max(U))^(t-k)':34s}"
                    + "".join(f"{bound[d - 1]:13.3e}" for d in columns)
                )
        for label, reason in self.unavailable.items():
            lines.append(f"{label:34s}  {reason}")
        return "\n".join(lines)

    def as_json(self) -> list[dict]:
        return [flow.as_json() for flow in self.flows]


def gradflow(
    configurations: Sequence[FlowConfiguration] | None = None,
    *,
    n: int = 8,
    lag: int = 60,
    samples: int = 16,
    seed: int = 0,
    truncation: bool = False,
    output: str | Sequence[str] | None = None,
    csv_path: str | None = None,
) -> GradflowReport:
    """Measure gradient flow for several configurations; optionally plot (PNG/PDF) and write a CSV.

    Args:
        configurations: default :data:`DEFAULT_CONFIGURATIONS`; a gated configuration that cannot be
            measured is listed in ``unavailable`` instead of failing the run.
        n, lag, samples, seed: as for :func:`gradient_flow`.
        truncation: also measure the relative truncation error against τ for the vanilla configurations
            (z = 12, n = 3: the (t, k) terms are derived symbolically).
        output: plot file(s), ``.png`` or ``.pdf``.
        csv_path: where to write :meth:`GradflowReport.csv`.
    """
    flows, curves, unavailable = [], [], {}
    for configuration in configurations or DEFAULT_CONFIGURATIONS:
        try:
            flows.append(gradient_flow(configuration, n=n, lag=lag, samples=samples, seed=seed))
        except ValueError as error:
            if configuration.cell == "rnn":
                raise
            unavailable[configuration.label] = str(error)
            continue
        if truncation and configuration.cell == "rnn":
            curves.append(truncation_curve(configuration, seed=seed))
    report = GradflowReport(flows, curves, unavailable)
    for path in [output] if isinstance(output, str) else list(output or ()):
        plot(report, path)
    if csv_path is not None:
        with open(csv_path, "w", encoding="utf-8") as stream:
            stream.write(report.csv())
    return report


def _pyplot() -> Any:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError("plots need matplotlib: pip install 'symrnn[plot]'") from None
    return plt


def plot(report: GradflowReport | Sequence[GradientFlow], path: str) -> None:
    """Write :func:`figure` as PNG or PDF (by the suffix)."""
    if not str(path).lower().endswith((".png", ".pdf")):
        raise ValueError(f"the plot must be a .png or .pdf file, got {path}")
    plt = _pyplot()
    drawn = figure(report)
    drawn.savefig(path)
    plt.close(drawn)


def figure(report: GradflowReport | Sequence[GradientFlow]) -> Any:
    """Median ‖∂s_t/∂s_k‖₂ against t − k with quartile bands and the Pascanu bound (dashed) on a log axis;
    a second panel with the relative truncation error against τ when measured (a matplotlib Figure)."""
    report = report if isinstance(report, GradflowReport) else GradflowReport(list(report))
    if not report.flows:
        raise ValueError("nothing to plot: no configuration was measured")
    plt = _pyplot()
    panels = 2 if report.truncation else 1
    drawn, axes = plt.subplots(1, panels, figsize=(6.8 * panels, 6.2), squeeze=False)
    left = axes[0, 0]
    for index, flow in enumerate(report.flows):
        colour = f"C{index % 10}"
        values = flow.norms[flow.main]
        d = np.arange(1, values.shape[1] + 1)
        # Exact zeros (every ReLU unit dead along the way) cannot be drawn on a log axis: leave gaps.
        median = np.where(flow.median > 0, flow.median, np.nan)
        low, high = np.quantile(values, QUANTILES, axis=0)
        zero = " (reaches exactly 0)" if (flow.median == 0).any() else ""
        width = max(2.8 - 0.4 * index, 1.0)  # earlier curves wider, so coinciding ones stay visible
        left.semilogy(d, median, color=colour, linewidth=width, label=flow.label + zero)
        left.fill_between(
            d, np.where(low > 0, low, np.nan), np.where(high > 0, high, np.nan), color=colour, alpha=0.2
        )
        if flow.bound is not None:
            bound = np.median(flow.bound, axis=0)
            left.semilogy(
                d,
                np.where((bound > 0) & (bound < 1e30), bound, np.nan),
                color=colour,
                linestyle="--",
                linewidth=0.9,
                label=f"bound (γσ_max(U))^(t−k), {flow.configuration.activation}",
            )
    left.set_xlabel("t − k (steps back)")
    left.set_ylabel(r"$\|\partial s_t / \partial s_k\|_2$ (median, quartile band)")
    left.set_title(f"Gradient flow through time, n = {report.flows[0].n}")
    left.set_ylim(1e-30, 1e8)
    left.grid(True, which="major", alpha=0.3)
    left.legend(fontsize="x-small", loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=2)
    if report.truncation:
        right = axes[0, 1]
        for curve in report.truncation:
            tau = np.arange(1, curve.z + 1)
            median = curve.median
            right.semilogy(
                tau[:-1],
                np.where(median[:-1] > 0, median[:-1], np.nan),
                marker="o",
                markersize=3,
                label=curve.configuration.label,
            )
        right.set_xlabel("truncation τ (t − k < τ kept)")
        right.set_ylabel(r"$\|\nabla_\tau J - \nabla J\| / \|\nabla J\|$ (median)")
        right.set_title(f"Truncated BPTT: relative error, z = {report.truncation[0].z}")
        right.grid(True, which="major", alpha=0.3)
        right.legend(fontsize="x-small", loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=2)
    drawn.tight_layout()
    return drawn
