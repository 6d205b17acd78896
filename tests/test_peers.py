"""PyTorch as a peer: the hand-written NumPy oracle against autograd on nn.RNN, nn.LSTM and nn.GRU."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from cell_cases import random_cell_case

from symrnn.numeric.reference import loss_and_gradients, relative_error

PEERS_MISSING = "PyTorch is not installed; the peer tests need the optional extra: pip install '.[peers]'"
torch = pytest.importorskip("torch", reason=PEERS_MISSING)

PEER_TOLERANCE = 1e-10  # float64 on both sides: the same sums in another order agree to ~1e-15

# (cell, activation): the vanilla cell against nn.RNN with both of its nonlinearities.
VARIANTS = [("rnn", "tanh"), ("rnn", "relu"), ("lstm", "tanh"), ("gru", "tanh")]
ALL_SIZES = list(itertools.product([1, 3, 8], [1, 2, 3], [1, 2, 3], [1, 2, 3]))  # (z, e, n, m)
# The default run: a Latin square over the sizes, so that every value of z, e, n and m appears.
DEFAULT_SIZES = {(1, 1, 2, 3), (3, 2, 3, 1), (8, 3, 1, 2)}


def torch_module(cell: str, activation: str, e: int, n: int, bias: bool, params: dict):
    """One-layer nn.RNN / nn.LSTM / nn.GRU in float64 with our weights copied in."""
    if cell == "rnn":
        module = torch.nn.RNN(e, n, nonlinearity=activation, bias=bias, dtype=torch.float64)
    else:
        module = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[cell](e, n, bias=bias, dtype=torch.float64)
    with torch.no_grad():
        module.weight_ih_l0.copy_(torch.from_numpy(params["W"]))
        module.weight_hh_l0.copy_(torch.from_numpy(params["U"]))
        if bias:
            module.bias_ih_l0.copy_(torch.from_numpy(params["b"]))
            # Our vanilla cell has one bias b: PyTorch's second one is held at zero.
            module.bias_hh_l0.copy_(torch.from_numpy(params["b_U"]) if cell != "rnn" else torch.zeros(n))
    return module


def torch_loss(yhat, ys, loss: str):
    """J = Σ_t J_t written in torch ops: ½‖ŷ_t − y_t‖² or −Σ_i y_{t,i} log softmax(ŷ_t)_i."""
    if loss == "sse":
        return 0.5 * ((yhat - ys) ** 2).sum()
    return -(ys * torch.log_softmax(yhat, dim=-1)).sum()


def torch_initial_state(cell: str, s0):
    """Leaf tensors for s0 (the LSTM's pair), shaped as nn.* wants them: (1, n) or (1, B, n)."""
    arrays = s0 if cell == "lstm" else (s0,)
    leaves = tuple(torch.tensor(np.asarray(a)[np.newaxis], requires_grad=True) for a in arrays)
    return leaves, (leaves if cell == "lstm" else leaves[0])


def torch_gradients(cell, activation, params, xs, ys, s0, *, loss: str, bias: bool):
    """(J, gradients) by torch autograd; xs (z, e) or (z, B, e) (PyTorch's sequence-first layout)."""
    n, m = params["V"].shape[1], params["V"].shape[0]
    module = torch_module(cell, activation, xs.shape[-1], n, bias, params)
    V = torch.tensor(params["V"], requires_grad=True)
    c = torch.tensor(params["c"] if bias else np.zeros(m), requires_grad=True)
    leaves, initial = torch_initial_state(cell, s0)
    outputs, _ = module(torch.from_numpy(xs), initial)  # h_1..h_z
    J = torch_loss(outputs @ V.T + c, torch.from_numpy(ys), loss)
    J.backward()
    gradients = {"W": module.weight_ih_l0.grad, "U": module.weight_hh_l0.grad, "V": V.grad}
    if bias:
        gradients |= {"b": module.bias_ih_l0.grad, "c": c.grad}
        if cell != "rnn":
            gradients["b_U"] = module.bias_hh_l0.grad
    gradients["s0"] = torch.stack([leaf.grad[0] for leaf in leaves]) if cell == "lstm" else leaves[0].grad[0]
    return J.item(), {key: value.numpy() for key, value in gradients.items()}


def worst_error(ours: dict, theirs: dict) -> float:
    assert set(ours) == set(theirs)
    return max(relative_error(ours[key], theirs[key]) for key in ours)


def peer_cases():
    cases = itertools.product(VARIANTS, [True, False], ["sse", "ce"], ALL_SIZES)
    for seed, ((cell, activation), bias, loss, sizes) in enumerate(cases):
        marks = () if sizes in DEFAULT_SIZES else (pytest.mark.slow,)
        z, e, n, m = sizes
        label = f"{cell}-{activation}-{'bias' if bias else 'no-bias'}-{loss}-z{z}e{e}n{n}m{m}"
        yield pytest.param(cell, activation, bias, loss, sizes, seed, marks=marks, id=label)


@pytest.mark.parametrize("cell, activation, bias, loss, sizes, seed", list(peer_cases()))
def test_reference_equals_torch_autograd(cell, activation, bias, loss, sizes, seed):
    z, e, n, m = sizes
    params, xs, ys, s0 = random_cell_case(
        np.random.default_rng(seed), cell=cell, z=z, e=e, n=n, m=m, bias=bias, loss=loss
    )
    J, ours = loss_and_gradients(
        params, xs, ys, s0, cell=cell, activation=activation, loss=loss, initial_state_gradient=True
    )
    J_torch, theirs = torch_gradients(cell, activation, params, xs, ys, s0, loss=loss, bias=bias)
    assert relative_error(J, J_torch) < PEER_TOLERANCE
    assert worst_error(ours, theirs) < PEER_TOLERANCE, f"ours: {ours} torch: {theirs}"


@pytest.mark.parametrize("cell, activation", VARIANTS)
def test_batch_equals_torch_batch(cell, activation):
    # A batch of B sequences: torch sums the parameter gradients over the batch, we give one per sequence.
    B, z, e, n, m = 4, 5, 2, 3, 2
    params, xs, ys, s0 = random_cell_case(
        np.random.default_rng(50), cell=cell, z=z, e=e, n=n, m=m, bias=True, loss="ce", batch=B
    )
    J, ours = loss_and_gradients(
        params, xs, ys, s0, cell=cell, activation=activation, loss="ce", initial_state_gradient=True
    )
    sequence_first = np.ascontiguousarray(np.swapaxes(xs, 0, 1))  # (z, B, e)
    J_torch, theirs = torch_gradients(
        cell, activation, params, sequence_first, np.swapaxes(ys, 0, 1), s0, loss="ce", bias=True
    )
    assert relative_error(J.sum(), J_torch) < PEER_TOLERANCE
    s0_theirs = theirs.pop("s0")  # (B, n), or (2, B, n) for the LSTM: per sequence in torch too
    s0_theirs = np.swapaxes(s0_theirs, 0, 1) if cell == "lstm" else s0_theirs
    assert relative_error(ours.pop("s0"), s0_theirs) < PEER_TOLERANCE
    assert worst_error({key: value.sum(axis=0) for key, value in ours.items()}, theirs) < PEER_TOLERANCE


# ----------------------------------------------------------------------- truncated BPTT, the PyTorch way
def torch_truncated_gradients(cell, activation, params, xs, ys, s0, *, tau: int):
    """Σ_t J_t, each J_t computed from the state at t − τ detached (from s_0 when t <= τ)."""
    z, e = xs.shape
    n = params["V"].shape[1]
    module = torch_module(cell, activation, e, n, True, params)
    V = torch.tensor(params["V"], requires_grad=True)
    c = torch.tensor(params["c"], requires_grad=True)
    leaves, initial = torch_initial_state(cell, s0)
    states, state = [initial], initial
    with torch.no_grad():  # the states s_1..s_z, as constants
        for t in range(z):
            _, state = module(torch.from_numpy(xs[t : t + 1]), state)
            states.append(state)
    J = 0.0
    for t in range(1, z + 1):
        start = 0 if t <= tau else t - tau
        outputs, _ = module(torch.from_numpy(xs[start:t]), states[start] if start else initial)
        J = J + torch_loss(outputs[-1] @ V.T + c, torch.from_numpy(ys[t - 1]), "sse")
    J.backward()
    gradients = {
        "W": module.weight_ih_l0.grad,
        "U": module.weight_hh_l0.grad,
        "V": V.grad,
        "b": module.bias_ih_l0.grad,
        "c": c.grad,
    }
    if cell != "rnn":
        gradients["b_U"] = module.bias_hh_l0.grad
    gradients["s0"] = torch.stack([leaf.grad[0] for leaf in leaves]) if cell == "lstm" else leaves[0].grad[0]
    return {key: value.numpy() for key, value in gradients.items()}


@pytest.mark.parametrize("tau", [1, 3])
@pytest.mark.parametrize("cell, activation", VARIANTS)
def test_truncated_reference_equals_torch_detach(cell, activation, tau):
    params, xs, ys, s0 = random_cell_case(
        np.random.default_rng(60 + tau), cell=cell, z=8, e=2, n=3, m=2, bias=True, loss="sse"
    )
    _, ours = loss_and_gradients(
        params, xs, ys, s0, cell=cell, activation=activation, truncation=tau, initial_state_gradient=True
    )
    theirs = torch_truncated_gradients(cell, activation, params, xs, ys, s0, tau=tau)
    assert worst_error(ours, theirs) < PEER_TOLERANCE, f"ours: {ours} torch: {theirs}"


@pytest.mark.parametrize("cell, activation", VARIANTS)
def test_autonomous_system_equals_torch_on_a_zero_input(cell, activation):
    # nn.RNN/LSTM/GRU refuse input_size = 0; fed x_t = 0 they compute the autonomous system whatever W is.
    z, n, m = 6, 3, 2
    params, _, ys, s0 = random_cell_case(
        np.random.default_rng(70), cell=cell, z=z, e=1, n=n, m=m, bias=True, loss="sse"
    )
    autonomous = {key: value for key, value in params.items() if key != "W"}  # e = 0: no W at all
    J, ours = loss_and_gradients(
        autonomous, np.zeros((z, 0)), ys, s0, cell=cell, activation=activation, initial_state_gradient=True
    )
    J_torch, theirs = torch_gradients(
        cell, activation, params, np.zeros((z, 1)), ys, s0, loss="sse", bias=True
    )
    assert not np.any(theirs.pop("W"))  # exactly zero: ∂J/∂W = Σ_t ā_t x_tᵀ with every x_t = 0
    assert relative_error(J, J_torch) < PEER_TOLERANCE
    assert worst_error(ours, theirs) < PEER_TOLERANCE, f"ours: {ours} torch: {theirs}"
