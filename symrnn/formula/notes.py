"""The lecture notes' equations and claims as written, with corrected forms, and their audit."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..spec import RNNSpec
from . import claims
from .verify import verify

AUDIT_Z_MAX = 3
"""Sequence lengths 1..3 are checked for each equation (every index pattern of the notes occurs by z = 3)."""

# The models the notes use: their system (A)-(B) has no biases; the update equations add b and c; the
# single-neuron section [22]-[27] has n = m = 1 and x_t in R^p with p = 2.
MODELS: dict[str, tuple[RNNSpec, tuple[tuple[int, int, int], ...] | None]] = {
    "notes": (RNNSpec(bias=False), None),
    "bias": (RNNSpec(bias=True), None),
    "neuron": (RNNSpec(e=2, n=1, m=1, bias=False), ((2, 1, 1),)),
}
CONVENTION = (
    "the notes take W_xh in R^{p x 1}, so their W_xh^T x_t is our W x_t with W = W_xh^T in R^{1 x p}; "
    "checked as written with that convention stated (W_xh^T replaced by our W_xh)"
)


@dataclass(frozen=True)
class Note:
    """One numbered equation of the notes.

    Attributes:
        number: the label as printed, e.g. "(8)" or "[27]".
        as_written: the LaTeX of the notes.
        corrected: a form that holds, or None when the equation holds as written.
        explanation: a hand-written diagnosis, used with (or instead of) the engine's.
        checked: what the engine reads when it differs from ``as_written`` (a stated convention).
        model: key of MODELS.
        notation: how the names are read ("notes" or "d2l" for h and W_hh).
    """

    number: str
    as_written: str
    corrected: str | None = None
    explanation: str | None = None
    checked: str | None = None
    model: str = "notes"
    notation: str = "notes"


@dataclass(frozen=True)
class Claim:
    """A statement of the notes that is not an equation, with the function that checks it."""

    number: str
    as_written: str
    check: Callable[[], claims.ClaimResult]


_CHAIN = (
    r"\frac{\partial J_t}{\partial \hat{y}_t} \cdot \frac{\partial \hat{y}_t}{\partial s_t} \cdot "
    r"\frac{\partial s_t}{\partial s_k} \cdot \frac{\partial s_k}{\partial \underline{%s}}"
)
_CHAIN_2 = (
    r"\frac{\partial J_2}{\partial \hat{y}_2} \cdot \frac{\partial \hat{y}_2}{\partial s_2} \cdot "
    r"\frac{\partial s_2}{\partial s_k} \cdot \frac{\partial s_k}{\partial \underline{w}}"
)
_U_MEANT = (
    "in (13)-(16) the notes' v is the recurrent matrix (it asks for the contributions of v in previous "
    "time steps), i.e. U; "
)

NOTES: tuple[Note | Claim, ...] = (
    Claim("IX", r"s_1 = \text{tanh}(Wx_0 + Us_0)", claims.first_word_index),
    Note(
        "(A)",
        r"\underline{s}_t = f(\underline{W} \circ \underline{x}_t + \underline{U} \circ \underline{s}_{t-1})",
    ),
    Note("(B)", r"\underline{\hat{y}}_t = \underline{V} \circ \underline{s}_t"),
    Claim(
        "[SIGMOID FORM]",
        r"f(x) = \frac{e^x - e^{-x}}{e^x + e^{-x}} \quad \text{[SIGMOID FORM]}",
        claims.sigmoid_form_label,
    ),
    Claim(
        "f' = 1 - f^2",
        r"f'(x) = \frac{p'(x)q(x) - p(x)q'(x)}{q^2(x)} \Rightarrow \dots \Rightarrow f'(x) = 1 - f^2(x)",
        claims.tanh_derivation,
    ),
    Note(
        "update s(t)",
        r"s(t) = f(\underline{W}_0 x(t) + \underline{U}_0 s(t-1) + \underline{b})",
        model="bias",
    ),
    Note("update y(t)", r"\hat{y}(t) = \underline{V}_0 s(t) + \underline{c}", model="bias"),
    Note(
        "J(theta)",
        r"J(\underline{\theta}) = \sum_{t=0}^z J_t(\underline{\theta})",
        corrected=r"J = \sum_{t=1}^z J_t",
        checked=r"J = \sum_{t=0}^z J_t",
        explanation="there is no J_0: losses exist for t = 1..z (targets y_1..y_z, xii), so the sum starts at 1",
    ),
    Note("(1)", r"\frac{\partial J}{\partial P} = \sum_t \frac{\partial J_t}{\partial P}"),
    Note(
        "(2)",
        r"\frac{\partial J}{\partial \underline{W}} = \sum_t \frac{\partial J_t}{\partial \underline{W}}",
    ),
    Note(
        "(3)",
        r"\frac{\partial J_2}{\partial \underline{W}} = \frac{\partial J_2}{\partial \hat{y}_2} \cdot "
        r"\frac{\partial \hat{y}_2}{\partial s_2} \cdot \frac{\partial s_2}{\partial \underline{W}}",
        corrected=r"\frac{\partial J_2}{\partial \underline{W}} = \frac{\partial J_2}{\partial \hat{y}_2} \cdot "
        r"\frac{\partial \hat{y}_2}{\partial s_2} \cdot \frac{d s_2}{d \underline{W}}",
        explanation="the last factor must be the total derivative ds_2/dW (s_1 also depends on W), as the notes "
        "say right after; with the partial it keeps only the immediate dependence of s_2 on W",
    ),
    Note(
        "(5)",
        r"s_2 = s_2(s_1(\underline{w}), s_0(\underline{w}); \underline{w})",
        checked=r"\frac{d s_0}{d \underline{w}} = 0",
        explanation="a declaration of dependence, not a value; its one checkable content holds: s_0 is the fixed "
        "initial state, so s_0(w) is constant (ds_0/dw = 0 checked) and s_2 reaches s_0 only through s_1",
    ),
    Note(
        "(6)",
        r"\frac{ds_2}{d\underline{w}} = \frac{\partial s_2}{\partial \underline{w}} + \frac{\partial s_2}"
        r"{\partial s_1} \cdot \frac{\partial s_1}{\partial \underline{w}} + \frac{\partial s_2}{\partial s_0}"
        r" \cdot \frac{\partial s_0}{\partial \underline{w}}",
    ),
    Note(
        "(7)",
        r"\frac{ds_2}{d\underline{w}} = \sum_{k=0}^2 \frac{\partial s_2}{\partial s_k} \cdot "
        r"\frac{\partial s_k}{\partial \underline{w}}",
    ),
    Note(
        "(7), k = 2",
        r"\frac{\partial s_2}{\partial s_2} \cdot \frac{\partial s_2}{\partial \underline{w}} = "
        r"\frac{\partial s_2}{\partial \underline{w}}",
    ),
    Note(
        "(8)",
        r"\frac{\partial s_2}{\partial \underline{w}} = \sum_{k=0}^1 \frac{\partial s_2}{\partial \hat{y}_2}"
        r" \cdot \frac{\partial \hat{y}_2}{\partial s_2} \cdot \frac{\partial s_2}{\partial s_k} \cdot "
        r"\frac{\partial s_k}{\partial \underline{w}}",
        corrected=r"\frac{\partial J_2}{\partial \underline{w}} = \sum_{k=0}^2 " + _CHAIN_2,
        explanation="three slips: the left side is the derivative of s_2 where Eq. (3) has J_2; the first factor "
        "is ds_2/dyhat_2 where it must be dJ_2/dyhat_2 (s_2 does not depend on yhat_2); and the sum "
        "stops at k = 1, dropping the k = 2 term (the immediate dependence of s_2 on w, Eq. (7))",
    ),
    Note("(9)", r"\frac{\partial J_t}{\partial \underline{w}} = \sum_{k=0}^t " + _CHAIN % "w"),
    Note(
        "(10)",
        r"\frac{\partial J}{\partial \underline{v}} = \sum_t \frac{\partial J_t}{\partial \underline{v}}",
    ),
    Note(
        "(11)",
        r"\frac{\partial J}{\partial \underline{v}} = \sum_t \frac{\partial J_t}{\partial \underline{v}}",
        explanation="holds, but repeats (10) word for word; the question before it asks about two matrices, so the "
        "second is presumably the recurrent U, for which the same sum also holds (Eq. (1))",
    ),
    Claim(
        "(12) (i)",
        r"s_t \text{ does depend on } \underline{v}",
        lambda: claims.state_depends_on_output_weight(meant="depends"),
    ),
    Claim(
        "(12) (ii)",
        r"s_t \text{ does not depend on } \underline{v}",
        lambda: claims.state_depends_on_output_weight(meant="does not"),
    ),
    Note(
        "(12)",
        r"\frac{\partial J_t}{\partial \underline{v}} = \frac{\partial J_t}{\partial \hat{y}_t} \cdot "
        r"\frac{\partial \hat{y}_t}{\partial \underline{v}}",
    ),
    Note(
        "(13)",
        r"\frac{\partial J_t}{\partial \underline{v}} = \frac{\partial J_t}{\partial \hat{y}_t} \cdot "
        r"\frac{\partial \hat{y}_t}{\partial s_t} \cdot \frac{\partial s_t}{\partial \underline{v}}",
        corrected=r"\frac{\partial J_t}{\partial \underline{U}} = \frac{\partial J_t}{\partial \hat{y}_t} \cdot "
        r"\frac{\partial \hat{y}_t}{\partial s_t} \cdot \frac{d s_t}{d \underline{U}}",
        explanation=_U_MEANT
        + "read as V the right side is 0 (s_t does not depend on V); read as U it still needs "
        "the total ds_t/dU in the last factor, which the notes derive next in (15)",
    ),
    Note(
        "(14)",
        r"s_t = s_t(s_{t-1}(\underline{v}), s_{t-2}(\underline{v}), \dots, s_0(\underline{v}), \underline{v})",
        checked=r"\frac{d s_0}{d \underline{U}} = 0",
        explanation="a declaration of dependence, not a value; read with v = U (see (13)) it is right, and s_0(v) "
        "is constant (ds_0/dU = 0 checked)",
    ),
    Note(
        "(15)",
        r"\frac{ds_t}{d\underline{v}} = \sum_{k=0}^t \frac{\partial s_t}{\partial s_k} \cdot "
        r"\frac{\partial s_k}{\partial \underline{v}}",
        corrected=r"\frac{ds_t}{d\underline{U}} = \sum_{k=0}^t \frac{\partial s_t}{\partial s_k} \cdot "
        r"\frac{\partial s_k}{\partial \underline{U}}",
        explanation=_U_MEANT
        + "read as V both sides are 0, so it holds only vacuously; the intended U form holds",
    ),
    Note(
        "(16)",
        r"\frac{\partial J_t}{\partial \underline{v}} = \sum_{k=0}^t " + _CHAIN % "v",
        corrected=r"\frac{\partial J_t}{\partial \underline{U}} = \sum_{k=0}^t " + _CHAIN % "U",
        explanation=_U_MEANT
        + "read as V the sum is 0 because every ds_k/dV vanishes; for U (and W) it holds",
    ),
    Note(
        "(17)", r"\frac{\partial s_t}{\partial s_k} = \prod_{m=k+1}^t \frac{\partial s_m}{\partial s_{m-1}}"
    ),
    Note("[17]", r"\frac{\partial \underline{h}_t}{\partial \underline{h}_k}"),
    Note(
        "[18]",
        r"\frac{\partial \underline{h}_2}{\partial \underline{h}_0} = \frac{\partial \underline{h}_2}"
        r"{\partial \underline{h}_1} \cdot \frac{\partial \underline{h}_1}{\partial \underline{h}_0}",
    ),
    Note(
        "[19]",
        r"\frac{\partial \underline{h}_t}{\partial \underline{h}_0} = \frac{\partial \underline{h}_t}"
        r"{\partial \underline{h}_{t-1}} \cdot \frac{\partial \underline{h}_{t-1}}{\partial \underline{h}_{t-2}}"
        r" \cdot \dots \cdot \frac{\partial \underline{h}_2}{\partial \underline{h}_1} \cdot "
        r"\frac{\partial \underline{h}_1}{\partial \underline{h}_0}",
        checked=r"\frac{\partial h_t}{\partial h_0} = \prod_{m=1}^{t} \frac{\partial h_m}{\partial h_{m-1}}",
        explanation="the ellipsis is read as the product over m = 1..t (checked in that closed form)",
    ),
    Note(
        "[20]",
        r"\frac{\partial \underline{h}_t}{\partial \underline{h}_k} = \prod_{m=k+1}^{m=t} "
        r"\frac{\partial \underline{h}_m}{\partial \underline{h}_{m-1}}",
    ),
    Note("[21]", r"\frac{\partial \underline{h}_t}{\partial \underline{h}_{t-1}}"),
    Note(
        "[22]",
        r"h_t = f(\underline{W}_{xh}^T \cdot \underline{x}_t + W_{hh} \cdot h_{t-1})",
        checked=r"h_t = f(W_{xh} \cdot x_t + W_{hh} \cdot h_{t-1})",
        model="neuron",
        notation="d2l",
        explanation=CONVENTION,
    ),
    Note(
        "[23]",
        r"y_t = W_{hy} \cdot h_t",
        corrected=r"\hat{y}_t = W_{hy} \cdot h_t",
        model="neuron",
        notation="d2l",
        explanation="y_t is the target (definition (2)); the network's output is yhat_t = W_hy h_t",
    ),
    Note(
        "u (i)",
        r"u = \underline{W}_{xh}^T \cdot \underline{x}_t + W_{hh} \cdot h_{t-1}",
        checked=r"u_t = W_{xh} x_t + W_{hh} h_{t-1}",
        model="neuron",
        notation="d2l",
        explanation=CONVENTION + "; the shape note [1 x 2][2 x 1] + [1 x 1][1 x 1] is right (the notes print "
        "'+' for the second product)",
    ),
    Note(
        "[24]",
        r"\frac{\partial h_t}{\partial h_{t-1}} = \frac{\partial f}{\partial u} \cdot "
        r"\frac{\partial u}{\partial h_{t-1}}",
        model="neuron",
        notation="d2l",
    ),
    Note("[25]", r"\frac{\partial u}{\partial h_{t-1}} = W_{hh}", model="neuron", notation="d2l"),
    Note(
        "[26]", r"\frac{\partial h_t}{\partial h_{t-1}} = f'(u) \cdot W_{hh}", model="neuron", notation="d2l"
    ),
    Note(
        "[27]",
        r"\frac{\partial h_t}{\partial h_{t-1}} = (1 - f^2(\underline{W}_{xh}^T \underline{x}_t + "
        r"W_{hh} \cdot h_{t-1})) W_{hh}",
        checked=r"\frac{\partial h_t}{\partial h_{t-1}} = (1 - f^2(W_{xh} x_t + W_{hh} h_{t-1})) W_{hh}",
        model="neuron",
        notation="d2l",
        explanation=CONVENTION,
    ),
    Claim("[26] (i)", r"f(u) = \tanh(u) \Rightarrow f'(u) \in [0, 1]", claims.tanh_derivative_bound),
    Claim("[26] (ii)", r"W_{hh} \sim N(0, 1) \text{ so that } W_{hh} < 1", claims.normal_weight_below_one),
    Claim(
        "[28]",
        r"f(x) = \max(0, x) = x \text{ for } x > 0, \; 0 \text{ for } x \leq 0",
        claims.relu_definition,
    ),
    Claim("[29]", r"f'(x) = 1 \text{ for } x > 0, \; 0 \text{ for } x \leq 0", claims.relu_derivative),
    Claim(
        "ReLU",
        r"\text{choosing ReLU as the activation function prevents } f' \text{ from shrinking}",
        claims.relu_prevents_shrinking,
    ),
)


@dataclass(frozen=True)
class AuditEntry:
    """The verdict on one equation or claim of the notes, with a diagnosis and a corrected form that holds."""

    number: str
    as_written: str
    verdict: str
    diagnosis: str | None
    corrected: str | None
    corrected_verdict: str | None

    def as_json(self) -> dict[str, Any]:
        """The stable ``audit --json`` object of one item (number, as_written, verdict, diagnosis, corrected)."""
        return {
            "number": self.number,
            "as_written": self.as_written,
            "verdict": self.verdict,
            "diagnosis": self.diagnosis,
            "corrected": self.corrected,
            "corrected_verdict": self.corrected_verdict,
        }

    def describe(self) -> str:
        """The label and verdict, the equation as written, the diagnosis, and the corrected form (if any)."""
        lines = [f"{self.number:14s} {self.verdict}", f"{'':14s} as written: {self.as_written}"]
        if self.diagnosis:
            lines.append(f"{'':14s} {'why' if self.verdict != 'holds' else 'note'}: {self.diagnosis}")
        if self.corrected:
            lines.append(f"{'':14s} corrected ({self.corrected_verdict}): {self.corrected}")
        return "\n".join(lines)


def _check(note: Note) -> AuditEntry:
    spec, sizes = MODELS[note.model]
    run = lambda text, **options: verify(
        text, z_max=AUDIT_Z_MAX, notation=note.notation, spec=spec, sizes=sizes, **options
    )
    result = run(note.checked or note.as_written)
    engine = result.diagnosis if result.verdict != "holds" else None
    if result.verdict == "undecided" and result.diagnosis and "bare expression" in result.diagnosis:
        engine = "a term the notes name, not a claim: nothing to check"
    diagnosis = "; ".join(
        filter(None, [note.explanation, f"engine: {engine}" if engine and note.explanation else engine])
    )
    corrected = run(note.corrected, diagnose=False).verdict if note.corrected else None
    return AuditEntry(
        note.number, note.as_written, result.verdict, diagnosis or None, note.corrected, corrected
    )


def _claim(claim: Claim) -> AuditEntry:
    result = claim.check()
    return AuditEntry(
        claim.number,
        claim.as_written,
        result.verdict,
        result.diagnosis,
        result.corrected,
        result.corrected_verdict,
    )


def audit() -> list[AuditEntry]:
    """Check every equation and claim of the lecture notes as written, in the order of the notes."""
    return [_claim(item) if isinstance(item, Claim) else _check(item) for item in NOTES]
