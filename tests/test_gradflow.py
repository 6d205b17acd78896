"""Gradient flow: the engine's step Jacobians, the Pascanu bound, Eq. [27] in closed form, plots and CSV."""

from __future__ import annotations

import json

import numpy as np
import pytest
import sympy

from symrnn.cli import main
from symrnn.engine.service import Quantity, derivative
from symrnn.engine.structured import jacobian_product
from symrnn.gradflow import (
    DEFAULT_CONFIGURATIONS,
    DERIVATIVE_BOUNDS,
    FlowConfiguration,
    GradflowReport,
    figure,
    gradflow,
    gradient_flow,
    initial_parameters,
    make_spec,
    plot,
    recurrent_matrix,
    scalar_closed_form,
    state_jacobian_function,
)
from symrnn.spec import RNNSpec
from symrnn.unroll import unroll

FINITE_DIFFERENCE_STEP = 1e-6
JACOBIAN_TOLERANCE = 1e-8
# The bound is an inequality between float64 products of up to 40 factors: allow their rounding.
BOUND_ROUNDING = 1e-9
NORM_ONE_TOLERANCE = 1e-10
ACTIVATIONS = {
    "tanh": np.tanh,
    "sigmoid": lambda u: 1 / (1 + np.exp(-u)),
    "relu": lambda u: np.maximum(u, 0),
    "identity": lambda u: u,
}


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_step_and_its_jacobian_match_an_independent_step_and_finite_differences(activation: str) -> None:
    rng = np.random.default_rng(3)
    n, e = 4, 3
    spec = RNNSpec(z=1, e=e, n=n, m=2, activation=activation)
    params = {name: rng.standard_normal(spec.shapes[name]) for name in spec.parameter_names}
    s_prev, x = rng.standard_normal(n), rng.standard_normal(e)
    f = ACTIVATIONS[activation]

    def independent_step(s: np.ndarray) -> np.ndarray:
        return f(params["W"] @ x + params["U"] @ s + params["b"])

    state, jacobian = state_jacobian_function(spec)(params, s_prev, x)
    assert np.abs(state - independent_step(s_prev)).max() < JACOBIAN_TOLERANCE
    numeric = np.empty((n, n))
    for j in range(n):
        step = np.zeros(n)
        step[j] = FINITE_DIFFERENCE_STEP
        numeric[:, j] = (independent_step(s_prev + step) - independent_step(s_prev - step)) / (
            2 * FINITE_DIFFERENCE_STEP
        )
    assert np.abs(jacobian - numeric).max() < JACOBIAN_TOLERANCE


@pytest.mark.parametrize(
    "activation, initialisation",
    [
        ("tanh", "normal"),
        ("tanh", "scaled"),
        ("tanh", "xavier"),
        ("sigmoid", "xavier"),
        ("sigmoid", "normal"),
        ("relu", "identity"),
        ("relu", "xavier"),
        ("identity", "orthogonal"),
        ("identity", "scaled"),
    ],
)
def test_pascanu_bound_holds_on_every_sampled_sequence(activation: str, initialisation: str) -> None:
    flow = gradient_flow(
        FlowConfiguration("rnn", activation, initialisation), n=5, lag=30, samples=12, seed=7
    )
    (norms,) = flow.norms.values()
    assert flow.bound is not None and norms.shape == flow.bound.shape == (12, 30)
    assert np.all(norms <= flow.bound * (1 + BOUND_ROUNDING)), "‖∂s_t/∂s_k‖ exceeded (γ σ_max(U))^(t−k)"
    # the bound is recomputed here from U's singular value, independently of the module's table
    gamma = {"tanh": 1.0, "sigmoid": 0.25, "relu": 1.0, "identity": 1.0}[activation]
    assert np.allclose(flow.bound[:, 0], gamma * flow.sigma_max)


@pytest.mark.parametrize("activation", sorted(DERIVATIVE_BOUNDS))
def test_gamma_bounds_the_activation_derivative(activation: str) -> None:
    u = sympy.Symbol("u", real=True)
    from symrnn.activations import activation_rule

    derivative_of_u = sympy.lambdify(u, activation_rule(activation).derivative(u), "numpy")
    grid = np.linspace(-20, 20, 4001)
    values = np.broadcast_to(np.asarray(derivative_of_u(grid), dtype=float), grid.shape)
    assert values.max() <= float(DERIVATIVE_BOUNDS[activation])
    assert values.max() >= 0.99 * float(DERIVATIVE_BOUNDS[activation])  # and is attained (tight)


@pytest.mark.parametrize("t, k", [(1, 0), (2, 0), (3, 1), (4, 0), (4, 4)])
def test_scalar_closed_form_equals_the_engines_jacobian_product_exactly(t: int, k: int) -> None:
    graph = unroll(RNNSpec(z=4, e=2, n=1, m=1, activation="tanh"))
    closed, h, W_hh = scalar_closed_form(t, k)
    names = {h(m): graph.symbols("s", m)[0] for m in range(5)}
    names[W_hh] = graph.parameters["U"][0, 0]
    ours = closed.xreplace(names)
    service = derivative(graph, Quantity("s", t), Quantity("s", k)).reshape(-1)[0]  # total, every path
    assert sympy.expand(ours - service) == 0
    assert sympy.expand(ours - jacobian_product(graph, t, k)[0, 0]) == 0
    if t > k:  # a product of t − k factors (1 − h_m²) W_hh, as Eq. [27] says
        assert sympy.degree(sympy.expand(ours), names[W_hh]) == t - k


def test_orthogonal_linear_flow_keeps_norm_one_and_tanh_scaled_vanishes() -> None:
    flat = gradient_flow(activation="identity", initialisation="orthogonal", n=5, lag=30, samples=3)
    assert np.abs(flat.norms["s"] - 1).max() < NORM_ONE_TOLERANCE
    vanishing = gradient_flow(activation="tanh", initialisation="scaled", n=5, lag=30, samples=8)
    assert vanishing.median[-1] < 1e-3 * vanishing.median[0]


def test_initial_parameters() -> None:
    rng = np.random.default_rng(0)
    Q = recurrent_matrix("orthogonal", 6, rng)
    assert np.abs(Q @ Q.T - np.eye(6)).max() < 1e-12
    assert np.array_equal(recurrent_matrix("identity", 3, rng), np.eye(3))
    spec = RNNSpec(z=1, e=2, n=64, m=1, activation="relu")
    irnn = initial_parameters(spec, "identity", rng)
    assert np.array_equal(irnn["U"], np.eye(64)) and not irnn["b"].any() and not irnn["c"].any()
    assert np.abs(irnn["W"]).max() < 0.01
    xavier = initial_parameters(spec, "xavier", rng)["U"]
    assert 0.8 < xavier.var() * 64 < 1.2  # N(0, 2/(n + n))
    with pytest.raises(ValueError, match="unknown initialisation"):
        recurrent_matrix("pytorch", 3, rng)
    with pytest.raises(ValueError, match="unknown initialisation"):
        initial_parameters(spec, "zeros", rng)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_gated_cells_before_and_after_the_engine(cell: str) -> None:
    """Before the engine: a clear "needs the engine" error; after: finite flows for every state block."""
    try:
        spec = make_spec(cell, z=1, e=2, n=3, m=1)
    except ValueError as error:
        assert "needs the engine" in str(error)
        with pytest.raises(ValueError, match="needs the engine"):
            gradient_flow(FlowConfiguration(cell, "tanh", "pytorch"), n=3, lag=4, samples=2)
        return
    params = initial_parameters(spec, "pytorch", np.random.default_rng(0), forget_bias=1.0)
    if cell == "lstm":
        assert np.all(params["b"][3:6] > 0.4)  # U(-1/√3, 1/√3) + 1 on the forget gate
    flow = gradient_flow(FlowConfiguration(cell, "tanh", "pytorch", forget_bias=1.0), n=3, lag=6, samples=2)
    assert all(values.shape == (2, 6) and np.all(np.isfinite(values)) for values in flow.norms.values())


def test_gradflow_report_lists_gated_cells_it_cannot_run_yet_and_writes_a_csv(tmp_path) -> None:
    report = gradflow(DEFAULT_CONFIGURATIONS, n=3, lag=6, samples=3, csv_path=str(tmp_path / "flow.csv"))
    rows = (tmp_path / "flow.csv").read_text().splitlines()
    assert rows[0] == "configuration,block,lag,median,q25,q75,median_bound"
    assert len(rows) == 1 + sum(len(flow.norms) * 6 for flow in report.flows)
    assert len(report.flows) + len(report.unavailable) == len(DEFAULT_CONFIGURATIONS)
    assert all("engine" in reason for reason in report.unavailable.values())
    assert "Pascanu bound" in report.table()


def test_figure_has_labelled_log_axes_a_legend_and_the_truncation_panel() -> None:
    pytest.importorskip("matplotlib")
    import matplotlib.pyplot as plt

    configurations = [
        FlowConfiguration("rnn", "tanh", "scaled"),
        FlowConfiguration("rnn", "relu", "identity"),
    ]
    report = gradflow(configurations, n=3, lag=8, samples=2)
    from symrnn.gradflow import TruncationCurve

    report = GradflowReport(
        report.flows, [TruncationCurve(configurations[0], 4, np.array([[0.5, 0.1, 0.01, 0.0]]))]
    )
    drawn = figure(report)
    try:
        left, right = drawn.axes
        for axis in (left, right):
            assert axis.get_xlabel() and axis.get_ylabel() and axis.get_yscale() == "log"
            assert axis.get_legend() is not None
        labels = [text.get_text() for text in left.get_legend().get_texts()]
        assert any("bound" in label for label in labels) and any("IRNN" in label for label in labels)
    finally:
        plt.close(drawn)


def test_plots_are_real_files(tmp_path) -> None:
    pytest.importorskip("matplotlib")
    flows = [
        gradient_flow(lag=10, samples=2),
        gradient_flow(activation="relu", initialisation="identity", lag=10, samples=2),
    ]
    for suffix, magic in ((".png", b"\x89PNG\r\n\x1a\n"), (".pdf", b"%PDF")):
        path = tmp_path / f"flow{suffix}"
        plot(flows, str(path))
        assert path.read_bytes().startswith(magic) and path.stat().st_size > 5000


def test_cli_json_csv_and_bad_output(capsys: pytest.CaptureFixture, tmp_path) -> None:
    assert (
        main(
            [
                "gradflow",
                "--z",
                "5",
                "--samples",
                "2",
                "--activation",
                "tanh",
                "--init",
                "scaled",
                "--json",
                "--csv",
                str(tmp_path / "flow.csv"),
            ]
        )
        == 0
    )
    (flow,) = json.loads(capsys.readouterr().out)
    assert flow["activation"] == "tanh" and len(flow["median_norm"]) == 5 and len(flow["median_bound"]) == 5
    assert (tmp_path / "flow.csv").read_text().startswith("configuration,")
    assert main(["gradflow", "--z", "5", "-o", str(tmp_path / "nope" / "x.png")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["gradflow", "--z", "5", "-o", str(tmp_path / "x.svg")]) == 2
    assert ".png or .pdf" in capsys.readouterr().err
