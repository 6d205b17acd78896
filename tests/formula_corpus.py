"""Ground truth for the verifier: formulas that hold for the vanilla RNN, each with wrong variants."""

from __future__ import annotations

from typing import NamedTuple

# The model (notes' notation): u_t = W x_t + U s_{t-1} + b, s_t = f(u_t), yhat_t = V s_t + c,
# J_t = 1/2 |yhat_t - y_t|^2, J = sum_{t=1}^{z} J_t, s_0 fixed (not a parameter), bias present.
# Semantics (DESIGN.md): d/d is total; a partial between two states is the total Jacobian; a partial
# of a state (or of yhat_t, u_t) w.r.t. a parameter is the immediate one (previous state held fixed);
# dJ/dP and dJ_t/dP are total; the partial or nabla of the loss w.r.t. a state s_t (or yhat_t) is the
# total one through all later steps, as d2l and Goodfellow mean it. Numerator layout in the notes'
# chains; gradient layout (matrices shaped like the parameter, columns for vectors) with nabla and d2l.
# Goodfellow writes W for the recurrent and U for the input weights; d2l's L is our J (their 1/T
# factor is inside dL/do_t and does not change any relation below). Sums without limits run over
# t = 1..z (z, T and tau are the sequence length). A Product is read in chain order (Eq. (17)).
#
# Fields:
#   activation: "any" (every f), "tanh" (uses f' = 1 - f^2) or "identity" (d2l's linear model).
#   where: the range of the free indices for which the statement holds.


class Mutation(NamedTuple):
    latex: str
    kind: str
    change: str


class CorpusEntry(NamedTuple):
    latex: str
    notation: str
    source: str
    activation: str
    where: str
    mutations: tuple[Mutation, ...]
    loss: str = "sse"
    sizes: tuple[tuple[int, int, int], ...] | None = None  # (e, n, m) checked; None: the defaults
    bias: bool = True


KINDS = (
    "wrong sum range",
    "wrong index",
    "missing transpose",
    "wrong weight matrix",
    "missing diag(f')",
    "output weight treated like the recurrent one",
    "immediate partial instead of total derivative",
    "missing term",
    "missing factor",
    "wrong sign",
    "wrong activation derivative",
    "wrong argument",
    "J vs J_t",
    "wrong factor order",
    "wrong factor",
    "missing softmax",
)

_CHAIN_W = (
    r"\frac{\partial J_t}{\partial \hat{y}_t} \cdot \frac{\partial \hat{y}_t}{\partial s_t} \cdot "
    r"\frac{\partial s_t}{\partial s_k} \cdot \frac{\partial s_k}{\partial \underline{w}}"
)
_DELTA = (
    r"\delta_z = V^T (\hat{y}_z - y_z); "
    r"\delta_t = V^T (\hat{y}_t - y_t) + U^T \operatorname{diag}(1 - s_{t+1}^2) \delta_{t+1}; "
)


def _entry(
    latex: str,
    notation: str,
    source: str,
    activation: str,
    where: str,
    *mutations: tuple,
    loss: str = "sse",
    sizes: tuple | None = None,
) -> CorpusEntry:
    bias = sizes is None or all(n > 1 for _, n, _ in sizes)  # the notes' single neuron ([22]) has no bias
    return CorpusEntry(
        latex, notation, source, activation, where, tuple(Mutation(*m) for m in mutations), loss, sizes, bias
    )


CORPUS: list[CorpusEntry] = [
    # --- the notes, as written where they hold, corrected where they do not ---
    _entry(
        r"\frac{\partial J}{\partial P} = \sum_t \frac{\partial J_t}{\partial P}",
        "notes",
        "notes Eq. (1)",
        "any",
        "P in {W, U, V, b, c}",
        (
            r"\frac{\partial J}{\partial P} = \sum_{t=2}^{z} \frac{\partial J_t}{\partial P}",
            "wrong sum range",
            "the sum starts at t=2 and drops the first step",
        ),
    ),
    _entry(
        r"\frac{\partial J}{\partial \underline{W}} = \sum_{t=1}^{z} \frac{\partial J_t}{\partial \underline{W}}",
        "notes",
        "notes Eq. (2)",
        "any",
        "",
        (
            r"\frac{\partial J}{\partial \underline{W}} = \frac{\partial J_z}{\partial \underline{W}}",
            "missing term",
            "only the loss of the last step is kept",
        ),
    ),
    _entry(
        r"\frac{\partial J_2}{\partial \underline{W}} = \frac{\partial J_2}{\partial \hat{y}_2} \cdot "
        r"\frac{\partial \hat{y}_2}{\partial s_2} \cdot \frac{d s_2}{d \underline{W}}",
        "notes",
        "notes Eq. (3), last factor total",
        "any",
        "z >= 2",
        (
            r"\frac{\partial J_2}{\partial \underline{W}} = \frac{\partial J_2}{\partial \hat{y}_2} \cdot "
            r"\frac{\partial \hat{y}_2}{\partial s_2} \cdot \frac{\partial s_2}{\partial \underline{W}}",
            "immediate partial instead of total derivative",
            "the notes' ds_2/dW written as the partial ds_2/dW",
        ),
    ),
    _entry(
        r"\frac{ds_2}{d\underline{w}} = \frac{\partial s_2}{\partial \underline{w}} + "
        r"\frac{\partial s_2}{\partial s_1} \cdot \frac{\partial s_1}{\partial \underline{w}} + "
        r"\frac{\partial s_2}{\partial s_0} \cdot \frac{\partial s_0}{\partial \underline{w}}",
        "notes",
        "notes Eq. (6)",
        "any",
        "z >= 2",
        (
            r"\frac{ds_2}{d\underline{w}} = \frac{\partial s_2}{\partial \underline{w}} + "
            r"\frac{\partial s_2}{\partial s_0} \cdot \frac{\partial s_0}{\partial \underline{w}}",
            "missing term",
            "the path through s_1 is dropped",
        ),
    ),
    _entry(
        r"\frac{ds_2}{d\underline{w}} = \sum_{k=0}^2 \frac{\partial s_2}{\partial s_k} \cdot "
        r"\frac{\partial s_k}{\partial \underline{w}}",
        "notes",
        "notes Eq. (7)",
        "any",
        "z >= 2",
        (
            r"\frac{ds_2}{d\underline{w}} = \sum_{k=0}^1 \frac{\partial s_2}{\partial s_k} \cdot "
            r"\frac{\partial s_k}{\partial \underline{w}}",
            "wrong sum range",
            "upper limit 1 omits the k=2 term",
        ),
    ),
    _entry(
        r"\frac{\partial s_2}{\partial s_2} \cdot \frac{\partial s_2}{\partial \underline{w}} = "
        r"\frac{\partial s_2}{\partial \underline{w}}",
        "notes",
        "notes, the k=2 term after Eq. (7)",
        "any",
        "z >= 2",
        (
            r"\frac{\partial s_2}{\partial s_1} \cdot \frac{\partial s_2}{\partial \underline{w}} = "
            r"\frac{\partial s_2}{\partial \underline{w}}",
            "wrong index",
            "the Jacobian ds_2/ds_1 replaces ds_2/ds_2 = I",
        ),
    ),
    _entry(
        r"\frac{\partial J_2}{\partial \underline{w}} = \sum_{k=0}^{2} \frac{\partial J_2}{\partial \hat{y}_2} "
        r"\cdot \frac{\partial \hat{y}_2}{\partial s_2} \cdot \frac{\partial s_2}{\partial s_k} \cdot "
        r"\frac{\partial s_k}{\partial \underline{w}}",
        "notes",
        "notes Eq. (8), corrected",
        "any",
        "z >= 2",
        (
            r"\frac{\partial J_2}{\partial \underline{w}} = \sum_{k=0}^1 \frac{\partial J_2}{\partial \hat{y}_2} "
            r"\cdot \frac{\partial \hat{y}_2}{\partial s_2} \cdot \frac{\partial s_2}{\partial s_k} \cdot "
            r"\frac{\partial s_k}{\partial \underline{w}}",
            "wrong sum range",
            "the notes' upper limit 1 omits the k=2 term (the immediate dependence of s_2 on W)",
        ),
    ),
    _entry(
        r"\frac{\partial J_t}{\partial \underline{w}} = \sum_{k=0}^t " + _CHAIN_W,
        "notes",
        "notes Eq. (9)",
        "any",
        "1 <= t <= z (the k=0 term vanishes: the immediate ds_0/dW is 0)",
        (
            r"\frac{\partial J_t}{\partial \underline{w}} = \sum_{k=0}^{t-1} " + _CHAIN_W,
            "wrong sum range",
            "upper limit t-1 omits the k=t term",
        ),
    ),
    _entry(
        r"\frac{\partial J_t}{\partial W} = \sum_{k=1}^{t} \frac{\partial J_t}{\partial \hat{y}_t} \cdot "
        r"\frac{\partial \hat{y}_t}{\partial s_t} \cdot \frac{\partial s_t}{\partial s_k} \cdot "
        r"\frac{\partial s_k}{\partial W}",
        "notes",
        "notes Eq. (9), k from 1",
        "any",
        "1 <= t <= z",
        (
            r"\frac{\partial J_t}{\partial W} = \sum_{k=1}^{t} \frac{\partial J_t}{\partial \hat{y}_t} \cdot "
            r"\frac{\partial \hat{y}_t}{\partial s_t} \cdot \frac{\partial s_t}{\partial s_{k-1}} \cdot "
            r"\frac{\partial s_k}{\partial W}",
            "wrong index",
            "ds_t/ds_{k-1} instead of ds_t/ds_k",
        ),
    ),
    _entry(
        r"\frac{\partial J}{\partial \underline{V}} = \sum_t \frac{\partial J_t}{\partial \underline{V}}",
        "notes",
        "notes Eq. (10), read as V",
        "any",
        "",
        (
            r"\frac{\partial J}{\partial \underline{V}} = \sum_{t=1}^{z-1} \frac{\partial J_t}{\partial \underline{V}}",
            "wrong sum range",
            "the last step is dropped",
        ),
    ),
    _entry(
        r"\frac{\partial J}{\partial \underline{U}} = \sum_t \frac{\partial J_t}{\partial \underline{U}}",
        "notes",
        "notes Eq. (11), read as U",
        "any",
        "",
        (
            r"\frac{\partial J}{\partial \underline{U}} = \sum_t \frac{\partial J_t}{\partial \underline{W}}",
            "wrong weight matrix",
            "the input weights W replace U on the right",
        ),
    ),
    _entry(
        r"\frac{\partial J_t}{\partial \underline{v}} = \frac{\partial J_t}{\partial \hat{y}_t} \cdot "
        r"\frac{\partial \hat{y}_t}{\partial \underline{v}}",
        "notes",
        "notes Eq. (12)",
        "any",
        "1 <= t <= z",
        (
            r"\frac{\partial J_t}{\partial \underline{v}} = \sum_{k=0}^{t} \frac{\partial J_t}{\partial \hat{y}_t} "
            r"\cdot \frac{\partial \hat{y}_t}{\partial s_t} \cdot \frac{\partial s_t}{\partial s_k} \cdot "
            r"\frac{\partial s_k}{\partial \underline{v}}",
            "output weight treated like the recurrent one",
            "V is differentiated through the states, which do not depend on V: the result is 0",
        ),
    ),
    _entry(
        r"\frac{\partial J_t}{\partial c} = \frac{\partial J_t}{\partial \hat{y}_t} \cdot "
        r"\frac{\partial \hat{y}_t}{\partial c}",
        "notes",
        "notes Eq. (12) for the output bias",
        "any",
        "1 <= t <= z",
        (
            r"\frac{\partial J_t}{\partial c} = \sum_{k=1}^{t} \frac{\partial J_t}{\partial \hat{y}_t} \cdot "
            r"\frac{\partial \hat{y}_t}{\partial s_t} \cdot \frac{\partial s_t}{\partial s_k} \cdot "
            r"\frac{\partial s_k}{\partial c}",
            "output weight treated like the recurrent one",
            "c is differentiated through the states (result 0)",
        ),
    ),
    _entry(
        r"\frac{\partial J_t}{\partial \underline{U}} = \frac{\partial J_t}{\partial \hat{y}_t} \cdot "
        r"\frac{\partial \hat{y}_t}{\partial s_t} \cdot \frac{d s_t}{d \underline{U}}",
        "notes",
        "notes Eq. (13) for U, last factor total",
        "any",
        "1 <= t <= z",
        (
            r"\frac{\partial J_t}{\partial \underline{U}} = \frac{\partial J_t}{\partial \hat{y}_t} \cdot "
            r"\frac{\partial \hat{y}_t}{\partial s_t} \cdot \frac{\partial s_t}{\partial \underline{U}}",
            "immediate partial instead of total derivative",
            "only the immediate dependence of s_t on U (t >= 2)",
        ),
    ),
    _entry(
        r"\frac{ds_t}{d\underline{U}} = \sum_{k=0}^t \frac{\partial s_t}{\partial s_k} \cdot "
        r"\frac{\partial s_k}{\partial \underline{U}}",
        "notes",
        "notes Eq. (15) for U",
        "any",
        "1 <= t <= z",
        (
            r"\frac{ds_t}{d\underline{U}} = \sum_{k=0}^{t-1} \frac{\partial s_t}{\partial s_k} \cdot "
            r"\frac{\partial s_k}{\partial \underline{U}}",
            "wrong sum range",
            "the k=t term is omitted",
        ),
    ),
    _entry(
        r"\frac{\partial J_t}{\partial \underline{U}} = \sum_{k=0}^t \frac{\partial J_t}{\partial \hat{y}_t} "
        r"\cdot \frac{\partial \hat{y}_t}{\partial s_t} \cdot \frac{\partial s_t}{\partial s_k} \cdot "
        r"\frac{\partial s_k}{\partial \underline{U}}",
        "notes",
        "notes Eq. (16) for U",
        "any",
        "1 <= t <= z",
        (
            r"\frac{\partial J_t}{\partial \underline{U}} = \sum_{k=1}^{t-1} \frac{\partial J_t}{\partial \hat{y}_t} "
            r"\cdot \frac{\partial \hat{y}_t}{\partial s_t} \cdot \frac{\partial s_t}{\partial s_k} \cdot "
            r"\frac{\partial s_k}{\partial \underline{U}}",
            "wrong sum range",
            "the k=t term is omitted",
        ),
    ),
    _entry(
        r"\frac{\partial s_t}{\partial s_k} = \prod_{m=k+1}^t \frac{\partial s_m}{\partial s_{m-1}}",
        "notes",
        "notes Eq. (17)",
        "any",
        "0 <= k <= t <= z (the empty product for k=t is I)",
        (
            r"\frac{\partial s_t}{\partial s_k} = \prod_{m=k+2}^t \frac{\partial s_m}{\partial s_{m-1}}",
            "wrong sum range",
            "the factor ds_{k+1}/ds_k is omitted",
        ),
    ),
    _entry(
        r"\frac{\partial \underline{h}_2}{\partial \underline{h}_0} = \frac{\partial \underline{h}_2}"
        r"{\partial \underline{h}_1} \cdot \frac{\partial \underline{h}_1}{\partial \underline{h}_0}",
        "notes",
        "notes Eq. [18]",
        "any",
        "z >= 2",
        (
            r"\frac{\partial \underline{h}_2}{\partial \underline{h}_0} = \frac{\partial \underline{h}_2}"
            r"{\partial \underline{h}_1}",
            "missing factor",
            "the factor dh_1/dh_0 is dropped",
        ),
    ),
    _entry(
        r"\frac{\partial \underline{h}_t}{\partial \underline{h}_k} = \prod_{m=k+1}^{m=t} "
        r"\frac{\partial \underline{h}_m}{\partial \underline{h}_{m-1}}",
        "notes",
        "notes Eq. [20]",
        "any",
        "0 <= k <= t <= z",
        (
            r"\frac{\partial \underline{h}_t}{\partial \underline{h}_k} = \prod_{m=k+1}^{m=t} "
            r"\frac{\partial \underline{h}_m}{\partial \underline{h}_{k}}",
            "wrong index",
            "each factor differentiates by h_k instead of h_{m-1}",
        ),
    ),
    _entry(
        r"\frac{\partial u_t}{\partial s_{t-1}} = U",
        "notes",
        "notes Eq. [25] (matrix form)",
        "any",
        "1 <= t <= z",
        (
            r"\frac{\partial u_t}{\partial s_{t-1}} = W",
            "wrong weight matrix",
            "the input weights W replace U",
        ),
    ),
    _entry(
        r"\frac{\partial s_t}{\partial s_{t-1}} = \operatorname{diag}(f'(u_t)) \cdot U",
        "notes",
        "notes Eq. [26] (matrix form)",
        "any",
        "1 <= t <= z",
        (r"\frac{\partial s_t}{\partial s_{t-1}} = U", "missing diag(f')", "the derivative of f is left out"),
    ),
    _entry(
        r"\frac{\partial s_t}{\partial s_{t-1}} = \operatorname{diag}(1 - f^2(W x_t + U s_{t-1} + b)) U",
        "notes",
        "notes Eq. [27] (matrix form, with bias)",
        "tanh",
        "1 <= t <= z",
        (
            r"\frac{\partial s_t}{\partial s_{t-1}} = \operatorname{diag}(1 - f^2(W x_t + U s_{t-1} + b)) W",
            "wrong weight matrix",
            "W replaces U after diag",
        ),
    ),
    _entry(
        r"\frac{\partial s_t}{\partial s_{t-1}} = \operatorname{diag}(1 - s_t^2) U",
        "notes",
        "notes Eqs. [26] and f' = 1 - f^2",
        "tanh",
        "1 <= t <= z",
        (
            r"\frac{\partial s_t}{\partial s_{t-1}} = \operatorname{diag}(1 - s_{t-1}^2) U",
            "wrong index",
            "f' is taken at the previous state",
        ),
    ),
    _entry(
        r"f'(u_t) = 1 - s_t^2",
        "notes",
        "notes, f'(x) = 1 - f^2(x)",
        "tanh",
        "1 <= t <= z",
        (r"f'(u_t) = 1 - s_{t-1}^2", "wrong index", "the previous state instead of s_t"),
    ),
    _entry(
        r"\frac{d s_t}{d W} = \frac{\partial^+ s_t}{\partial W} + \frac{\partial s_t}{\partial s_{t-1}} "
        r"\frac{d s_{t-1}}{d W}",
        "notes",
        "total-derivative recurrence (notes Eq. (15) unrolled)",
        "any",
        "1 <= t <= z (ds_0/dW = 0)",
        (
            r"\frac{d s_t}{d W} = \frac{\partial^+ s_t}{\partial W}",
            "missing term",
            "the dependence through s_{t-1} is dropped",
        ),
    ),
    _entry(
        r"s_t = \tanh(W x_t + U s_{t-1} + b)",
        "notes",
        "notes (A) with bias",
        "tanh",
        "1 <= t <= z",
        (r"s_t = \tanh(W x_t + U s_t + b)", "wrong index", "the current state on the right"),
    ),
    _entry(
        r"\hat{y}_t = V s_t + c",
        "notes",
        "notes (B) with bias",
        "any",
        "1 <= t <= z",
        (r"\hat{y}_t = U s_t + c", "wrong weight matrix", "U replaces the output weights V"),
    ),
    _entry(
        r"J = \sum_{t=1}^{z} J_t",
        "notes",
        "notes, total loss",
        "any",
        "",
        (r"J = \sum_{t=1}^{z-1} J_t", "wrong sum range", "the last loss is dropped"),
    ),
    _entry(
        r"J_t = \frac{1}{2} (\hat{y}_t - y_t)^T (\hat{y}_t - y_t)",
        "notes",
        "sse loss",
        "any",
        "1 <= t <= z",
        (r"J_t = (\hat{y}_t - y_t)^T (\hat{y}_t - y_t)", "missing factor", "the factor 1/2 is dropped"),
    ),
    # --- the gradients in closed form ---
    _entry(
        r"\nabla_{\hat{y}_t} J = \hat{y}_t - y_t",
        "notes",
        "sse gradient",
        "any",
        "1 <= t <= z",
        (r"\nabla_{\hat{y}_t} J = y_t - \hat{y}_t", "wrong sign", "target minus prediction"),
    ),
    _entry(
        r"\frac{\partial J}{\partial V} = \sum_{t=1}^{z} (\hat{y}_t - y_t) s_t^T",
        "notes",
        "DESIGN.md example",
        "any",
        "",
        (
            r"\frac{\partial J}{\partial V} = \sum_{t=1}^{z} (\hat{y}_t - y_t) s_{t-1}^T",
            "wrong index",
            "the previous state instead of s_t",
        ),
    ),
    _entry(
        r"\frac{\partial J}{\partial c} = \sum_{t=1}^{z} (\hat{y}_t - y_t)",
        "notes",
        "output bias",
        "any",
        "",
        (
            r"\frac{\partial J}{\partial c} = \sum_{t=2}^{z} (\hat{y}_t - y_t)",
            "wrong sum range",
            "the first step is dropped",
        ),
    ),
    _entry(
        r"\nabla_{s_z} J = V^T (\hat{y}_z - y_z)",
        "notes",
        "delta at the last step",
        "any",
        "",
        (r"\nabla_{s_z} J = U^T (\hat{y}_z - y_z)", "wrong weight matrix", "U replaces the output weights V"),
    ),
    _entry(
        r"\nabla_{s_t} J = V^T (\hat{y}_t - y_t) + U^T \operatorname{diag}(1 - s_{t+1}^2) \nabla_{s_{t+1}} J",
        "notes",
        "delta recurrence",
        "tanh",
        "1 <= t <= z-1",
        (
            r"\nabla_{s_t} J = V^T (\hat{y}_t - y_t) + U^T \operatorname{diag}(1 - s_t^2) \nabla_{s_{t+1}} J",
            "wrong index",
            "f' taken at step t instead of t+1",
        ),
        (
            r"\nabla_{s_t} J = V^T (\hat{y}_t - y_t) + U \operatorname{diag}(1 - s_{t+1}^2) \nabla_{s_{t+1}} J",
            "missing transpose",
            "U is not transposed",
        ),
    ),
    _entry(
        r"\frac{\partial J}{\partial s_t} = (\hat{y}_t - y_t)^T V + \frac{\partial J}{\partial s_{t+1}} "
        r"\operatorname{diag}(1 - s_{t+1}^2) U",
        "notes",
        "delta recurrence, numerator layout (rows)",
        "tanh",
        "1 <= t <= z-1",
        (
            r"\frac{\partial J}{\partial s_t} = (\hat{y}_t - y_t)^T V + \frac{\partial J}{\partial s_{t+1}} U",
            "missing diag(f')",
            "the derivative of f at step t+1 is left out",
        ),
    ),
    _entry(
        _DELTA
        + r"\frac{\partial J}{\partial U} = \sum_{t=1}^{z} \operatorname{diag}(1 - s_t^2) \delta_t s_{t-1}^T",
        "notes",
        "BPTT with delta_t = dJ/ds_t (gradient layout)",
        "tanh",
        "the recurrence for 1 <= t <= z-1",
        (
            _DELTA
            + r"\frac{\partial J}{\partial U} = \sum_{t=1}^{z} \operatorname{diag}(1 - s_t^2) \delta_t s_t^T",
            "wrong index",
            "s_t^T instead of s_{t-1}^T",
        ),
    ),
    _entry(
        _DELTA
        + r"\frac{\partial J}{\partial W} = \sum_{t=1}^{z} \operatorname{diag}(1 - s_t^2) \delta_t x_t^T",
        "notes",
        "BPTT with delta_t = dJ/ds_t (gradient layout)",
        "tanh",
        "the recurrence for 1 <= t <= z-1",
        (
            _DELTA + r"\frac{\partial J}{\partial W} = \sum_{t=1}^{z} \delta_t x_t^T",
            "missing diag(f')",
            "the derivative of f is left out",
        ),
    ),
    _entry(
        r"\frac{\partial J}{\partial b} = \sum_{t=1}^{z} \operatorname{diag}(1 - s_t^2) \nabla_{s_t} J",
        "notes",
        "state bias",
        "tanh",
        "",
        (
            r"\frac{\partial J}{\partial b} = \sum_{t=1}^{z} \nabla_{s_t} J",
            "missing diag(f')",
            "the derivative of f is left out",
        ),
    ),
    _entry(
        r"\frac{\partial J}{\partial U} = \sum_{t=1}^{z} \operatorname{diag}(f'(u_t)) \nabla_{s_t} J \, s_{t-1}^T",
        "notes",
        "recurrent weights, any activation",
        "any",
        "",
        (
            r"\frac{\partial J}{\partial U} = \sum_{t=1}^{z} \operatorname{diag}(f'(u_t)) \nabla_{s_t} J \, s_t^T",
            "wrong index",
            "s_t^T instead of s_{t-1}^T",
        ),
    ),
    # --- Goodfellow et al., section 10.2.2 (W recurrent, U input) ---
    _entry(
        r"\nabla_{h_\tau} L = V^\top \nabla_{o_\tau} L",
        "goodfellow",
        "Goodfellow 10.2.2 eq. 10.19",
        "any",
        "",
        (
            r"\nabla_{h_\tau} L = W^\top \nabla_{o_\tau} L",
            "wrong weight matrix",
            "the recurrent weights W replace V",
        ),
    ),
    _entry(
        r"\nabla_{h_t} L = W^\top \operatorname{diag}(1 - h_{t+1}^2) (\nabla_{h_{t+1}} L) + V^\top (\nabla_{o_t} L)",
        "goodfellow",
        "Goodfellow 10.2.2 eqs. 10.20-10.21",
        "tanh",
        "1 <= t <= tau-1",
        (
            r"\nabla_{h_t} L = U^\top \operatorname{diag}(1 - h_{t+1}^2) (\nabla_{h_{t+1}} L) + "
            r"V^\top (\nabla_{o_t} L)",
            "wrong weight matrix",
            "the input weights U replace W",
        ),
        (
            r"\nabla_{h_t} L = W^\top \operatorname{diag}(1 - h_t^2) (\nabla_{h_{t+1}} L) + V^\top (\nabla_{o_t} L)",
            "wrong index",
            "f' taken at h_t instead of h_{t+1}",
        ),
    ),
    _entry(
        r"\nabla_{h^{(t)}} L = \left(\frac{\partial h^{(t+1)}}{\partial h^{(t)}}\right)^\top (\nabla_{h^{(t+1)}} L)"
        r" + \left(\frac{\partial o^{(t)}}{\partial h^{(t)}}\right)^\top (\nabla_{o^{(t)}} L)",
        "goodfellow",
        "Goodfellow 10.2.2 eq. 10.20 (Jacobian form)",
        "any",
        "1 <= t <= tau-1",
        (
            r"\nabla_{h^{(t)}} L = \left(\frac{\partial h^{(t+1)}}{\partial h^{(t)}}\right)^\top "
            r"(\nabla_{h^{(t+1)}} L)",
            "missing term",
            "the output at step t is left out",
        ),
    ),
    _entry(
        r"\nabla_c L = \sum_t \nabla_{o_t} L",
        "goodfellow",
        "Goodfellow 10.2.2 eq. 10.22",
        "any",
        "",
        (
            r"\nabla_c L = \sum_t \operatorname{diag}(1 - h_t^2) \nabla_{h_t} L",
            "output weight treated like the recurrent one",
            "the output bias gets the hidden bias's gradient",
        ),
    ),
    _entry(
        r"\nabla_b L = \sum_t \text{diag}\left(1 - \left(h^{(t)}\right)^2\right) \nabla_{h^{(t)}} L",
        "goodfellow",
        "Goodfellow 10.2.2 eq. 10.23",
        "tanh",
        "",
        (r"\nabla_b L = \sum_t \nabla_{h^{(t)}} L", "missing diag(f')", "the derivative of tanh is left out"),
    ),
    _entry(
        r"\nabla_V L = \sum_t (\nabla_{o^{(t)}} L) h^{(t)\top}",
        "goodfellow",
        "Goodfellow 10.2.2 eq. 10.24",
        "any",
        "",
        (
            r"\nabla_V L = \sum_t (\nabla_{o^{(t)}} L) h^{(t-1)\top}",
            "wrong index",
            "h^{(t-1)} instead of h^{(t)}",
        ),
    ),
    _entry(
        r"\nabla_W L = \sum_t \operatorname{diag}(1 - h_t^2)(\nabla_{h_t} L) h_{t-1}^\top",
        "goodfellow",
        "Goodfellow 10.2.2 eqs. 10.25-10.26",
        "tanh",
        "",
        (
            r"\nabla_W L = \sum_t \operatorname{diag}(1 - h_t^2)(\nabla_{h_t} L) h_t^\top",
            "wrong index",
            "h_t instead of h_{t-1}",
        ),
        (
            r"\nabla_W L = \sum_t (\nabla_{h_t} L) h_{t-1}^\top",
            "missing diag(f')",
            "the tanh derivative is left out",
        ),
    ),
    _entry(
        r"\nabla_U L = \sum_t \operatorname{diag}(1 - h_t^2)(\nabla_{h_t} L) x_t^\top",
        "goodfellow",
        "Goodfellow 10.2.2 eqs. 10.27-10.28",
        "tanh",
        "",
        (
            r"\nabla_U L = \sum_t \operatorname{diag}(1 - h_t^2)(\nabla_{h_t} L) h_{t-1}^\top",
            "wrong weight matrix",
            "the recurrent weights' formula used for the input weights",
        ),
    ),
    _entry(
        r"a_t = b + W h_{t-1} + U x_t",
        "goodfellow",
        "Goodfellow 10.2 eq. 10.8",
        "any",
        "1 <= t <= tau",
        (r"a_t = b + U h_{t-1} + W x_t", "wrong weight matrix", "W and U swapped"),
    ),
    # --- d2l, section 9.7 (W_hx input, W_hh recurrent, W_qh output; its model is linear) ---
    _entry(
        r"\frac{\partial L}{\partial W_{qh}} = \sum_{t=1}^T \frac{\partial L}{\partial o_t} h_t^\top",
        "d2l",
        "d2l 9.7.2, dL/dW_qh",
        "any",
        "",
        (
            r"\frac{\partial L}{\partial W_{qh}} = \sum_{t=1}^T \frac{\partial L}{\partial o_t} h_{t-1}^\top",
            "wrong index",
            "h_{t-1} instead of h_t",
        ),
    ),
    _entry(
        r"\frac{\partial L}{\partial h_T} = W_{qh}^\top \frac{\partial L}{\partial o_T}",
        "d2l",
        "d2l 9.7.2, dL/dh_T",
        "any",
        "",
        (
            r"\frac{\partial L}{\partial h_T} = W_{hh}^\top \frac{\partial L}{\partial o_T}",
            "output weight treated like the recurrent one",
            "W_hh replaces W_qh",
        ),
    ),
    _entry(
        r"\frac{\partial L}{\partial h_t} = W_{hh}^\top \frac{\partial L}{\partial h_{t+1}} + "
        r"W_{qh}^\top \frac{\partial L}{\partial o_t}",
        "d2l",
        "d2l 9.7.2, recurrence for dL/dh_t",
        "identity",
        "1 <= t <= T-1",
        (
            r"\frac{\partial L}{\partial h_t} = W_{hh} \frac{\partial L}{\partial h_{t+1}} + "
            r"W_{qh}^\top \frac{\partial L}{\partial o_t}",
            "missing transpose",
            "W_hh is not transposed",
        ),
    ),
    _entry(
        r"\frac{\partial L}{\partial h_t} = \sum_{i=t}^{T} (W_{hh}^\top)^{T-i} W_{qh}^\top "
        r"\frac{\partial L}{\partial o_{T+t-i}}",
        "d2l",
        "d2l 9.7.2, dL/dh_t unrolled",
        "identity",
        "1 <= t <= T",
        (
            r"\frac{\partial L}{\partial h_t} = \sum_{i=t}^{T} (W_{hh}^\top)^{T-i} W_{qh}^\top "
            r"\frac{\partial L}{\partial o_{i}}",
            "wrong index",
            "o_i paired with the power T-i",
        ),
        (
            r"\frac{\partial L}{\partial h_t} = \sum_{i=t+1}^{T} (W_{hh}^\top)^{T-i} W_{qh}^\top "
            r"\frac{\partial L}{\partial o_{T+t-i}}",
            "wrong sum range",
            "the i=t term (o_T) is omitted",
        ),
    ),
    _entry(
        r"\frac{\partial L}{\partial W_{hx}} = \sum_{t=1}^T \frac{\partial L}{\partial h_t} x_t^\top, \quad "
        r"\frac{\partial L}{\partial W_{hh}} = \sum_{t=1}^T \frac{\partial L}{\partial h_t} h_{t-1}^\top",
        "d2l",
        "d2l 9.7.2, dL/dW_hx and dL/dW_hh",
        "identity",
        "",
        (
            r"\frac{\partial L}{\partial W_{hx}} = \sum_{t=1}^T \frac{\partial L}{\partial h_t} x_t^\top, \quad "
            r"\frac{\partial L}{\partial W_{hh}} = \sum_{t=1}^T \frac{\partial L}{\partial h_t} h_t^\top",
            "wrong index",
            "h_t instead of h_{t-1} in the second equation",
        ),
    ),
    _entry(
        r"\frac{\partial L}{\partial W_{hh}} = \sum_{t=1}^T \operatorname{diag}(1 - h_t^2) "
        r"\frac{\partial L}{\partial h_t} h_{t-1}^\top",
        "d2l",
        "d2l 9.7.2 made exact for tanh",
        "tanh",
        "",
        (
            r"\frac{\partial L}{\partial W_{hh}} = \sum_{t=1}^T \frac{\partial L}{\partial h_t} h_{t-1}^\top",
            "missing diag(f')",
            "d2l's linear-model formula used with tanh",
        ),
    ),
    _entry(
        r"\frac{\partial L}{\partial h_t} = W_{hh}^\top \operatorname{diag}(1 - h_{t+1}^2) "
        r"\frac{\partial L}{\partial h_{t+1}} + W_{hq}^\top \frac{\partial L}{\partial o_t}",
        "d2l",
        "d2l 9.7.2 recurrence made exact for tanh",
        "tanh",
        "1 <= t <= T-1",
        (
            r"\frac{\partial L}{\partial h_t} = W_{hh}^\top \frac{\partial L}{\partial h_{t+1}} + "
            r"W_{hq}^\top \frac{\partial L}{\partial o_t}",
            "missing diag(f')",
            "d2l's linear recurrence used with tanh",
        ),
    ),
    _entry(
        r"h_t = W_{hx} x_t + W_{hh} h_{t-1} + b_h",
        "d2l",
        "d2l 9.7.2 model (linear, with bias)",
        "identity",
        "1 <= t <= T",
        (r"h_t = W_{hx} x_t + W_{hh} h_t + b_h", "wrong index", "h_t on the right"),
    ),
    _entry(
        r"o_t = W_{qh} h_t + b_q",
        "d2l",
        "d2l 9.7.2 output layer",
        "any",
        "1 <= t <= T",
        (r"o_t = W_{hh} h_t + b_q", "output weight treated like the recurrent one", "W_hh replaces W_qh"),
    ),
]

# --- added for issue 12: single neuron (n = 1), textbook notations, Pascanu et al. 2013, Goodfellow's
# softmax cross-entropy, d2l's averaged loss, min-char-rnn, mistakes inside definitions ---
CORPUS += [
    _entry(
        r"\frac{\partial h_t}{\partial h_{t-1}} = f'(u_t) \cdot W_{hh}",
        "d2l",
        r"notes Eq. [26], single neuron (n = 1)",
        "any",
        "1 <= t <= z",
        (r"\frac{\partial h_t}{\partial h_{t-1}} = f'(u_t)", "missing factor", r"W_hh is dropped"),
        sizes=((2, 1, 1),),
    ),
    _entry(
        r"\frac{\partial h_t}{\partial h_{t-1}} = (1 - f^2(W_{xh} x_t + W_{hh} h_{t-1})) W_{hh}",
        "d2l",
        r"notes Eq. [27], single neuron (n = 1)",
        "tanh",
        "1 <= t <= z",
        (
            r"\frac{\partial h_t}{\partial h_{t-1}} = f^2(W_{xh} x_t + W_{hh} h_{t-1}) W_{hh}",
            "wrong activation derivative",
            r"f^2 written for 1 - f^2",
        ),
        (
            r"\frac{\partial h_t}{\partial h_{t-1}} = (1 - f^2(W_{xh} x_t + W_{hh} h_{t-1}))",
            "missing factor",
            r"W_hh is dropped",
        ),
        (
            r"\frac{\partial h_t}{\partial h_{t-1}} = (1 - f^2(W_{xh} x_t + W_{hh} h_{t})) W_{hh}",
            "wrong index",
            r"h_t inside f",
        ),
        sizes=((2, 1, 1),),
    ),
    _entry(
        r"\frac{\partial u_t}{\partial h_{t-1}} = W_{hh}",
        "d2l",
        r"notes Eq. [25], single neuron",
        "any",
        "1 <= t <= z",
        (r"\frac{\partial u_t}{\partial h_{t-1}} = W_{xh}", "wrong weight matrix", r"the input weights"),
        sizes=((1, 1, 1),),
    ),
    _entry(
        r"\frac{\partial h_2}{\partial h_0} = f'(u_2) W_{hh} f'(u_1) W_{hh}",
        "d2l",
        r"notes Eq. [18], single neuron, expanded",
        "any",
        "z >= 2",
        (
            r"\frac{\partial h_2}{\partial h_0} = f'(u_2) W_{hh} W_{hh}",
            "missing diag(f')",
            r"f'(u_1) dropped",
        ),
        sizes=((2, 1, 1),),
    ),
    _entry(
        r"\frac{\partial s_t}{\partial s_{t-1}} = \operatorname{diag}(\tanh'(u_t)) U",
        "notes",
        r"notes Eq. [26] with tanh' written out",
        "tanh",
        "1 <= t <= z",
        (
            r"\frac{\partial s_t}{\partial s_{t-1}} = \operatorname{diag}(\tanh'(s_t)) U",
            "wrong argument",
            r"tanh' at the state",
        ),
    ),
    _entry(
        r"\frac{\partial s_t}{\partial s_{t-1}} = \operatorname{diag}(\sigma'(u_t)) U",
        "notes",
        r"notes Eq. [26] for the sigmoid",
        "sigmoid",
        "1 <= t <= z",
        (
            r"\frac{\partial s_t}{\partial s_{t-1}} = \operatorname{diag}(\tanh'(u_t)) U",
            "wrong activation derivative",
            r"tanh' for a sigmoid model",
        ),
    ),
    _entry(
        r"\frac{\partial s_t}{\partial s_{t-1}} = \operatorname{diag}(s_t \odot (\mathbf{1} - s_t)) U",
        "notes",
        r"notes Eq. [26], sigmoid through its output",
        "sigmoid",
        "1 <= t <= z",
        (
            r"\frac{\partial s_t}{\partial s_{t-1}} = \operatorname{diag}(\mathbf{1} - s_t^2) U",
            "wrong activation derivative",
            r"tanh' = 1 - s^2 for a sigmoid model",
        ),
    ),
    _entry(
        r"\frac{\partial s_t}{\partial s_{t-1}} = \text{diag}(f^\prime(u_t)) U",
        "notes",
        r"notes Eq. [26], f^\prime",
        "any",
        "1 <= t <= z",
        (
            r"\frac{\partial s_t}{\partial s_{t-1}} = \text{diag}(f^\prime(s_t)) U",
            "wrong argument",
            r"f' at s_t",
        ),
    ),
    _entry(
        r"\frac{\partial s_t}{\partial s_k} = \prod_{m=k+1}^{t} \operatorname{diag}(f'(u_m)) U",
        "notes",
        r"notes Eqs. (17) and [26] combined",
        "any",
        "0 <= k <= t <= z",
        (
            r"\frac{\partial s_t}{\partial s_k} = \prod_{m=k+1}^{t} U",
            "missing diag(f')",
            r"diag(f') left out inside the product",
        ),
        (
            r"\frac{\partial s_t}{\partial s_k} = \prod_{m=k+1}^{t} \operatorname{diag}(f'(s_m)) U",
            "wrong argument",
            r"f' at the state",
        ),
    ),
    _entry(
        r"\frac{\partial s_t}{\partial s_k} = U^{t-k}",
        "notes",
        r"notes Eq. (17) for the identity activation",
        "identity",
        "0 <= k <= t <= z",
        (r"\frac{\partial s_t}{\partial s_k} = U^{t-k+1}", "wrong index", r"one power too many"),
    ),
    _entry(
        r"\frac{\partial s_t}{\partial s_k} = \prod_{m=k+1}^{t} \operatorname{diag}(f'(u_m)) U",
        "notes",
        r"notes Eq. (17) for ReLU",
        "relu",
        "0 <= k <= t <= z",
        (r"\frac{\partial s_t}{\partial s_k} = U^{t-k}", "missing diag(f')", r"ReLU's f' assumed to be 1"),
    ),
    _entry(
        r"\frac{\partial}{\partial V} J = \sum_{t=1}^{z} (\hat{y}_t - y_t) s_t^\mathsf{T}",
        "notes",
        r"sse dJ/dV, operator form of d/dV",
        "any",
        "",
        (
            r"\frac{\partial}{\partial V} J = \sum_{t=1}^{z} (\hat{y}_t - y_t) s_t",
            "missing transpose",
            r"s_t not transposed",
        ),
    ),
    _entry(
        r"$\frac{\partial J}{\partial c} = \sum (\hat{y}_t - y_t)$",
        "notes",
        r"output bias, pasted with $ and no limits",
        "any",
        "",
        (r"$\frac{\partial J}{\partial c} = \sum (\hat{y}_t + y_t)$", "wrong sign", r"+ for -"),
    ),
    _entry(
        "\\[\\frac{\u2202J}{\u2202V} = \u03a3_{t=1}^{z} (\\hat{y}_t \u2212 y_t) s_t\u1d40\\]",
        "notes",
        r"dJ/dV pasted from a PDF (Unicode)",
        "any",
        "",
        (
            "\\[\\frac{\u2202J}{\u2202V} = \u03a3_{t=1}^{z} (\\hat{y}_t \u2212 y_t) s_{t-1}\u1d40\\]",
            "wrong index",
            r"s_{t-1}",
        ),
    ),
    _entry(
        (
            r"\frac{\mathrm{d} s_t}{\mathrm{d} U} = \frac{\partial^+ s_t}{\partial U} + \frac{\partial "
            r"s_t}{\partial s_{t-1}} \frac{\mathrm{d} s_{t-1}}{\mathrm{d} U}"
        ),
        "notes",
        r"total-derivative recurrence, \mathrm{d}",
        "any",
        "1 <= t <= z",
        (
            (
                r"\frac{\mathrm{d} s_t}{\mathrm{d} U} = \frac{\partial^+ s_t}{\partial U} + \frac{\partial "
                r"s_t}{\partial s_{t-1}} \frac{\partial s_{t-1}}{\partial U}"
            ),
            "immediate partial instead of total derivative",
            r"the recursion uses the immediate partial",
        ),
    ),
    _entry(
        (
            r"\frac{\partial J}{\partial V} = \sum_{t=1}^{z} \frac{\partial J_t}{\partial \hat{y}_t} "
            r"\frac{\partial \hat{y}_t}{\partial V}"
        ),
        "notes",
        r"notes Eqs. (10) and (12) combined",
        "any",
        "",
        (
            (
                r"\frac{\partial J_t}{\partial V} = \sum_{t=1}^{z} \frac{\partial J_t}{\partial \hat{y}_t} "
                r"\frac{\partial \hat{y}_t}{\partial V}"
            ),
            "J vs J_t",
            r"J_t on the left where J belongs",
        ),
    ),
    _entry(
        (
            r"\frac{\partial J}{\partial W} = \sum_{t=1}^{z} \sum_{k=1}^{t} \frac{\partial "
            r"J_t}{\partial s_t} \frac{\partial s_t}{\partial s_k} \frac{\partial^+ s_k}{\partial W}"
        ),
        "notes",
        r"notes Eqs. (2) and (9) combined (double sum)",
        "any",
        "",
        (
            (
                r"\frac{\partial J}{\partial W} = \sum_{t=1}^{z} \sum_{k=1}^{t} \frac{\partial "
                r"J_t}{\partial s_t} \frac{\partial s_t}{\partial s_k} \frac{\partial^+ s_k}{\partial U}"
            ),
            "wrong weight matrix",
            r"U in the last factor",
        ),
    ),
    _entry(
        r"J_t = \frac{1}{2} \left(\hat{y}_t - y_t\right)^\top \left(\hat{y}_t - y_t\right)",
        "notes",
        r"sse loss with \left( \right)",
        "any",
        "1 <= t <= z",
        (
            r"J_t = \frac{1}{2} \left(\hat{y}_t - y_t\right)^\top \left(\hat{y}_{t-1} - y_t\right)",
            "wrong index",
            r"yhat_{t-1}",
        ),
    ),
    _entry(
        r"\frac{\partial J}{\partial W} = \sum_{1 \leq t \leq z} \frac{\partial J_t}{\partial W}",
        "notes",
        r"Pascanu et al. 2013 eq. (3)",
        "any",
        "",
        (
            r"\frac{\partial J}{\partial W} = \sum_{1 \leq t < z} \frac{\partial J_t}{\partial W}",
            "wrong sum range",
            r"strict < drops t = z",
        ),
    ),
    _entry(
        (
            r"\frac{\partial J_t}{\partial W} = \sum_{1 \leq k \leq t} \frac{\partial J_t}{\partial "
            r"s_t} \frac{\partial s_t}{\partial s_k} \frac{\partial^+ s_k}{\partial W}"
        ),
        "notes",
        r"Pascanu et al. 2013 eq. (4)",
        "any",
        "1 <= t <= z",
        (
            (
                r"\frac{\partial J_t}{\partial W} = \sum_{1 \leq k < t} \frac{\partial J_t}{\partial s_t} "
                r"\frac{\partial s_t}{\partial s_k} \frac{\partial^+ s_k}{\partial W}"
            ),
            "wrong sum range",
            r"k = t omitted",
        ),
    ),
    _entry(
        (
            r"\frac{\partial s_t}{\partial s_k} = \prod_{t \geq i > k} \frac{\partial s_i}{\partial "
            r"s_{i-1}}"
        ),
        "notes",
        r"Pascanu et al. 2013 eq. (5), first form",
        "any",
        "0 <= k <= t <= z",
        (
            (
                r"\frac{\partial s_t}{\partial s_k} = \prod_{t \geq i \geq k} \frac{\partial s_i}{\partial "
                r"s_{i-1}}"
            ),
            "wrong sum range",
            r"one factor too many",
        ),
    ),
    _entry(
        (
            r"\frac{\partial u_t}{\partial u_k} = \prod_{t \geq i > k} U "
            r"\operatorname{diag}(\sigma'(u_{i-1}))"
        ),
        "notes",
        r"Pascanu et al. 2013 eq. (5), with x = u, W_rec = U, sigma = f",
        "sigmoid",
        "1 <= k <= t <= z",
        (
            r"\frac{\partial u_t}{\partial u_k} = \prod_{t \geq i > k} U",
            "missing diag(f')",
            r"the diag(sigma') factors dropped",
        ),
        (
            (
                r"\frac{\partial u_t}{\partial u_k} = \prod_{t \geq i > k} U "
                r"\operatorname{diag}(\sigma'(u_{i}))"
            ),
            "wrong index",
            r"sigma' at u_i",
        ),
    ),
    _entry(
        r"\frac{\partial u_t}{\partial u_k} = \prod_{i=k+1}^{t} U \operatorname{diag}(f'(u_{i-1}))",
        "notes",
        r"Pascanu et al. 2013 eq. (5), chain over pre-activations",
        "any",
        "1 <= k <= t <= z",
        (
            r"\frac{\partial u_t}{\partial u_k} = \prod_{i=k+1}^{t} \operatorname{diag}(f'(u_{i-1})) U",
            "wrong factor order",
            r"diag on the wrong side of U",
        ),
    ),
    _entry(
        r"\frac{\partial L}{\partial L^{(t)}} = 1",
        "goodfellow",
        r"Goodfellow 10.2.2 eq. 10.17",
        "any",
        "1 <= t <= tau",
        (r"\frac{\partial L}{\partial L^{(t)}} = 2", "wrong factor", r"2 for 1"),
    ),
    _entry(
        r"\nabla_{o^{(t)}} L = \hat{y}^{(t)} - y^{(t)}",
        "goodfellow",
        r"Goodfellow 10.2.2 eq. 10.18 (softmax cross-entropy)",
        "any",
        "1 <= t <= tau",
        (r"\nabla_{o^{(t)}} L = y^{(t)} - \hat{y}^{(t)}", "wrong sign", r"target minus prediction"),
        loss="ce",
        sizes=((2, 2, 3), (3, 2, 2)),
    ),
    _entry(
        r"\nabla_{o_t} J = \operatorname{softmax}(o_t) - y_t",
        "goodfellow",
        r"Goodfellow 10.18 with softmax written out",
        "any",
        "1 <= t <= tau",
        (r"\nabla_{o_t} J = o_t - y_t", "missing softmax", r"the logits for the probabilities"),
        loss="ce",
        sizes=((2, 2, 3),),
    ),
    _entry(
        r"\nabla_{h^{(\tau)}} L = V^\top \nabla_{o^{(\tau)}} L",
        "goodfellow",
        r"Goodfellow 10.2.2 eq. 10.19, superscript form",
        "any",
        "",
        (r"\nabla_{h^{(\tau)}} L = V \nabla_{o^{(\tau)}} L", "missing transpose", r"V not transposed"),
        loss="ce",
        sizes=((2, 2, 3),),
    ),
    _entry(
        r"\nabla_{c} L = \sum_t \nabla_{o^{(t)}} L",
        "goodfellow",
        r"Goodfellow 10.2.2 eq. 10.22, ce",
        "any",
        "",
        (
            r"\nabla_{c} L = \sum_t \nabla_{h^{(t)}} L",
            "output weight treated like the recurrent one",
            r"the hidden gradient",
        ),
        loss="ce",
        sizes=((2, 2, 3),),
    ),
    _entry(
        r"L = \frac{1}{T} \sum_{t=1}^{T} l(o_t, y_t)",
        "d2l",
        r"d2l 9.7 eq. (9.7.x), the averaged loss",
        "any",
        "",
        (r"L = \frac{1}{T} \sum_{t=1}^{T-1} l(o_t, y_t)", "wrong sum range", r"the last step is dropped"),
    ),
    _entry(
        (
            r"L = \frac{1}{T} \sum_{t=1}^{T} \ell(o_t, y_t); \frac{\partial L}{\partial o_t} = "
            r"\frac{1}{T} (o_t - y_t)"
        ),
        "d2l",
        r"d2l 9.7.2, dL/do_t with the averaged loss",
        "any",
        "1 <= t <= T",
        (
            (
                r"L = \frac{1}{T} \sum_{t=1}^{T} \ell(o_t, y_t); \frac{\partial L}{\partial o_t} = "
                r"\frac{1}{T} (o_t + y_t)"
            ),
            "wrong sign",
            r"o_t + y_t",
        ),
    ),
    _entry(
        (
            r"L = \frac{1}{T} \sum_{t=1}^{T} \ell(o_t, y_t); \frac{\partial L}{\partial W_{qh}} = "
            r"\sum_{t=1}^{T} \frac{\partial L}{\partial o_t} h_t^\top"
        ),
        "d2l",
        r"d2l 9.7.2, dL/dW_qh with the averaged loss",
        "any",
        "",
        (
            (
                r"L = \frac{1}{T} \sum_{t=1}^{T} \ell(o_t, y_t); \frac{\partial L}{\partial W_{qh}} = "
                r"\sum_{t=1}^{T} \frac{\partial L}{\partial o_t} h_t"
            ),
            "missing transpose",
            r"h_t not transposed",
        ),
    ),
    _entry(
        (
            r"\frac{\partial L}{\partial h_t} = \sum_{i=t}^{T} \left(W_{hh}^\top\right)^{T-i} "
            r"W_{qh}^\top \frac{\partial L}{\partial o_{T+t-i}}"
        ),
        "d2l",
        r"d2l 9.7.2 eq. (9.7.15) with \left(",
        "identity",
        "1 <= t <= T",
        (
            (
                r"\frac{\partial L}{\partial h_t} = \sum_{i=t}^{T} \left(W_{hh}^\top\right)^{T-i} W_{qh} "
                r"\frac{\partial L}{\partial o_{T+t-i}}"
            ),
            "missing transpose",
            r"W_qh not transposed",
        ),
    ),
    _entry(
        (
            r"\nabla_{u_t} J = (\mathbf{1} - s_t^2) \odot \left(V^T (\operatorname{softmax}(\hat{y}_t) "
            r"- y_t) + U^T \nabla_{u_{t+1}} J\right)"
        ),
        "notes",
        r"Karpathy min-char-rnn, dhraw",
        "tanh",
        "1 <= t <= z-1",
        (
            (
                r"\nabla_{u_t} J = (\mathbf{1} - s_t^2) \odot \left(V^T (\operatorname{softmax}(\hat{y}_t) "
                r"- y_t)\right)"
            ),
            "J vs J_t",
            r"dhnext dropped: what is left is the gradient of J_t alone",
        ),
        loss="ce",
        sizes=((3, 2, 3),),
    ),
    _entry(
        r"\frac{\partial J}{\partial U} = \sum_{t=1}^{z} \nabla_{u_t} J \, s_{t-1}^T",
        "notes",
        r"Karpathy min-char-rnn, dWhh += dhraw hs[t-1]^T",
        "any",
        "",
        (
            r"\frac{\partial J}{\partial U} = \sum_{t=1}^{z} \nabla_{u_t} J \, s_t^T",
            "wrong index",
            r"hs[t] for hs[t-1]",
        ),
        loss="ce",
        sizes=((3, 2, 3),),
    ),
    _entry(
        (
            r"\frac{\partial J}{\partial V} = \sum_{t=1}^{z} (\operatorname{softmax}(\hat{y}_t) - y_t) "
            r"s_t^T"
        ),
        "notes",
        r"Karpathy min-char-rnn, dWhy += dy hs[t]^T",
        "any",
        "",
        (
            r"\frac{\partial J}{\partial V} = \sum_{t=1}^{z} (\hat{y}_t - y_t) s_t^T",
            "missing softmax",
            r"logits for probabilities",
        ),
        loss="ce",
        sizes=((3, 2, 3),),
    ),
    _entry(
        r"\nabla_{s_t} J = V^T (\hat{y}_t - y_t) + U^T (f'(u_{t+1}) \odot \nabla_{s_{t+1}} J)",
        "notes",
        r"Karpathy/CS231n backward step, odot binds after the product",
        "any",
        "1 <= t <= z-1",
        (
            r"\nabla_{s_t} J = V^T (\hat{y}_t - y_t) + U^T (f'(u_t) \odot \nabla_{s_{t+1}} J)",
            "wrong index",
            r"f' at step t",
        ),
    ),
    _entry(
        r"\nabla_{u_t} J = f'(u_t) \odot V^T (\hat{y}_t - y_t) + f'(u_t) \odot U^T \nabla_{u_{t+1}} J",
        "notes",
        r"juxtaposition binds tighter than odot",
        "any",
        "1 <= t <= z-1",
        (
            r"\nabla_{u_t} J = f'(u_t) \odot V^T (\hat{y}_t - y_t) + f'(u_t) \odot U \nabla_{u_{t+1}} J",
            "missing transpose",
            r"U not transposed",
        ),
    ),
    _entry(
        (
            r"\delta_z = V^T (\hat{y}_z - y_z); \delta_t = V^T (\hat{y}_t - y_t) + U^T "
            r"\operatorname{diag}(1 - s_{t+1}^2) \delta_{t+1}; \nabla_{s_t} J = \delta_t"
        ),
        "notes",
        r"delta recurrence as definitions (the notes' BPTT)",
        "tanh",
        "",
        (
            (
                r"\delta_z = V^T (\hat{y}_z - y_z); \delta_t = V^T (\hat{y}_t - y_t) + U^T "
                r"\operatorname{diag}(1 - s_t^2) \delta_{t+1}; \nabla_{s_t} J = \delta_t"
            ),
            "wrong index",
            r"inside the definition of delta_t",
        ),
        (
            (
                r"\delta_z = V^T (\hat{y}_z - y_z); \delta_t = V^T (\hat{y}_t - y_t) + U "
                r"\operatorname{diag}(1 - s_{t+1}^2) \delta_{t+1}; \nabla_{s_t} J = \delta_t"
            ),
            "missing transpose",
            r"inside the definition",
        ),
    ),
]
